"""Status line, sync screen words and typed conflict values (no Flet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import pytest

from fieldapp.sync.state import Progress, Status, SyncState
from fieldapp.views.logic_sync import (
    CONNECTION_WORDS,
    connection,
    error_text,
    field_label,
    format_value,
    mutation_summary,
    parse_entered,
    photo_progress,
    photos_waiting,
    progress_label,
    status_line,
    transfer_label,
    transfer_progress,
)


@dataclass
class Snapshot:
    status: str
    progress: Any = None


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("syncing", "syncing"),
        ("online", "online"),
        ("offline", "offline"),
        ("error", "sync problem"),
        ("unknown", "offline"),
        ("", "offline"),
        ("revoked", "signed out"),
        ("signed_out", "signed out"),
    ],
)
def test_connection(status: str, shown: str) -> None:
    assert connection(Snapshot(status)) == shown
    assert connection({"status": status}) == shown


def test_every_status_the_engine_emits_has_words_and_no_other() -> None:
    assert set(CONNECTION_WORDS) == set(get_args(Status))


@pytest.mark.parametrize(
    ("status", "pending", "conflicts", "line"),
    [
        ("offline", 3, 1, "Offline · 3 pending · 1 conflict"),
        ("online", 0, 0, "Online · all saved to server"),
        ("syncing", 1, 2, "Syncing · 1 pending · 2 conflicts"),
    ],
)
def test_status_line(status: str, pending: int, conflicts: int, line: str) -> None:
    assert status_line(Snapshot(status), pending=pending, conflicts=conflicts) == line


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (None, None),
        (Progress("photos", 1, 3), (1, 3)),
        (Progress("photos", 4, 3), (3, 3)),
        (Progress("photos", 0, 0), None),
        (Progress("push", 10, 100), None),
        ({"phase": "photos", "done": 2, "total": 5}, (2, 5)),
    ],
)
def test_photo_progress(progress: Any, expected: tuple[int, int] | None) -> None:
    assert photo_progress(Snapshot("syncing", progress)) == expected


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (None, None),
        (Progress("photos", 512, 1024), "Uploading photos: 50%"),
        (Progress("downloads", 4, 12), "Downloading photos: 4 of 12"),
        (Progress("tiles", 30, 20), "Downloading map tiles: 20 of 20"),
        (Progress("downloads", 0, 0), None),
        (Progress("pull", 1, 2), None),
    ],
)
def test_transfer_progress_names_what_moves(progress: Any, expected: str | None) -> None:
    found = transfer_progress(Snapshot("syncing", progress))
    assert (None if found is None else transfer_label(*found)) == expected


def test_progress_words() -> None:
    assert progress_label(1, 3) == "Uploading photos: 1 of 3"
    assert photos_waiting(SyncState("offline", blobs_pending=2)) == 2
    assert photos_waiting(Snapshot("offline")) == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "(empty)"),
        ("", "(empty)"),
        (True, "yes"),
        (False, "no"),
        ("action_plan", "Action plan"),
        ("advice_given", "Advice given"),
        ("2026-06-10T20:30:00Z", "10/06/2026 21:30"),
        ("Flat 7, Windsor Court", "Flat 7, Windsor Court"),
        (["money_advice", "safeguarding"], "Money advice, Safeguarding"),
        ({"litter": "poor"}, "Litter: Poor"),
        (3, "3"),
    ],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


def test_field_label() -> None:
    assert field_label("received_at") == "Received at"
    assert field_label("sha256") == "Photo file" and field_label("lat") == "Location"


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        (
            {
                "entity": "asb_case",
                "op": "upsert",
                "base_version": 3,
                "patch": {"status": "closed"},
            },
            "Change to ASB case: Status Closed",
        ),
        (
            {"entity": "observation", "op": "upsert", "base_version": None, "patch": {"kind": "x"}},
            "New observation: Kind",
        ),
        # No wire names: a photo is a photo; links and stamps are left out; lat/lon are one.
        (
            {
                "entity": "photo",
                "base_version": None,
                "patch": {"sha256": "ab" * 32, "bytes": 10, "lat": 53.3, "lon": -2.7},
            },
            "New photo",
        ),
        (
            {
                "entity": "observation",
                "base_version": None,
                "patch": {
                    "walkabout_id": "w1",
                    "kind": "litter",
                    "lat": 53.3,
                    "lon": -2.7,
                    "logged_at": "2026-06-10T09:00:00Z",
                },
            },
            "New observation: Kind, Location",
        ),
        (
            {"entity": "asb_report", "base_version": None, "patch": {"case_id": "c1"}},
            "New further ASB report",
        ),
        ({"entity": "note", "op": "delete"}, "Delete note"),
        # An observation linked to the repair raised from it (the walk read "Raised from it
        # Repair, Raised from it").
        (
            {
                "entity": "observation",
                "base_version": 1,
                "patch": {"raised_entity": "repair", "raised_id": "r1"},
            },
            "Change to observation: Raised Repair",
        ),
    ],
)
def test_mutation_summary(entry: dict[str, Any], text: str) -> None:
    assert mutation_summary(entry) == text


def test_later_edit_of_a_queued_record_is_a_change() -> None:
    entry = {"entity": "walkabout", "base_version": None, "patch": {"participants": []}}
    assert mutation_summary(entry, first=False) == "Change to walkabout: Who joined (empty)"


def test_error_text() -> None:
    assert (
        error_text({"error": {"code": "forbidden", "message": "Not your patch"}})
        == "Not your patch"
    )
    assert error_text({"error": {"code": "forbidden"}}) == "forbidden"
    assert error_text({}) == "refused by the server"


@pytest.mark.parametrize(
    ("entity", "field", "text", "value"),
    [
        ("asb_case", "status", "Action plan", "action_plan"),
        ("asb_case", "urgent_crime", "yes", True),
        ("asb_case", "urgent_crime", "No", False),
        ("asb_case", "description", "  Loud music  ", "Loud music"),
        ("asb_case", "description", "", None),
        ("property", "bedrooms", "3", 3),
        ("asb_case", "lat", "53.3", 53.3),
        (
            "tenancy_visit",
            "referrals",
            "money_advice, safeguarding",
            ["money_advice", "safeguarding"],
        ),
        ("tenancy_visit", "referrals", '["tenancy_support"]', ["tenancy_support"]),
    ],
)
def test_parse_entered(entity: str, field: str, text: str, value: Any) -> None:
    assert parse_entered(entity, field, text) == value


@pytest.mark.parametrize(
    ("entity", "field", "text", "message"),
    [
        ("asb_case", "status", "sorted", "status must be one of"),
        ("asb_case", "urgent_crime", "maybe", "answer yes or no"),
        ("property", "bedrooms", "three", "whole number"),
        ("asb_case", "lat", "north", "enter a number"),
        ("tenancy_visit", "referrals", "[oops", "not readable"),
        ("tenancy_visit", "referrals", "bingo", "referrals must be one of"),
        ("asb_case", "received_at", "yesterday", "ISO 8601"),
    ],
)
def test_parse_entered_refuses_with_a_message(
    entity: str, field: str, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_entered(entity, field, text)
