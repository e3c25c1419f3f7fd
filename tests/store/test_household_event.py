"""A household event is one store call and one transaction: the person, the task note the
rules call for, and the re-derived suggestions of the person and of the home's visit."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.store.errors import NotFound, ValidationError
from fieldapp.store.household import HouseholdEvent
from fieldapp.store.store import Store
from tests.store.conftest import NOW

HOME = {
    "id": "h1",
    "uprn": "1",
    "patch_id": "p",
    "estate": "Oak",
    "address": "1 Oak",
    "postcode": "WA7 1AA",
    "bedrooms": 2,
}
PEOPLE = [
    {"id": "lead", "property_id": "h1", "name": "Margaret Hughes", "relationship": "lead_tenant"},
    {"id": "baby", "property_id": "h1", "name": "Ava Hughes", "relationship": "child"},
]


@pytest.fixture
def home(store: Store) -> Store:
    changes = [
        {"entity": e, "id": r["id"], "version": 1, "deleted": False, "data": r}
        for e, rows in (("property", [HOME]), ("person", PEOPLE))
        for r in rows
    ]
    store.apply_pull_page(
        {"changes": changes, "removes": [], "next_cursor": "c", "has_more": False}
    )
    return store


def notes(store: Store) -> list[str]:
    return [n["text"] for n in store.find("note", "parent_id", "h1")]


def queued(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [(m["entity"], m["patch"]) for m in store.pending_mutations()]


def test_a_tenants_death_is_the_person_and_a_task_note_and_the_visit_suggests_succession(
    home: Store,
) -> None:
    visit = home.create(
        "tenancy_visit", {"property_id": "h1", "visited_at": "2026-06-10T08:00:00Z"}, now=NOW
    )
    assert visit["suggested_actions"] == []
    event = HouseholdEvent("died", "h1", person_id="lead", day="2026-06-10", author_id="u1")
    person = home.household_event(event, now=NOW)
    assert person["died_on"] == "2026-06-10"
    assert [s["action"] for s in person["suggested_actions"]] == ["succession"]
    [note] = notes(home)
    assert note.startswith("Suggested: Succession: the lead tenant died on 2026-06-10")
    assert "Margaret" not in note  # notes may reach partners' tablets
    assert [e for e, _ in queued(home)] == ["tenancy_visit", "person", "note"]
    again = home.get("tenancy_visit", visit["id"])
    assert again is not None and [s["action"] for s in again["suggested_actions"]] == ["succession"]


@pytest.mark.parametrize(
    ("event", "expected_notes"),
    [
        (HouseholdEvent("died", "h1", person_id="baby", day="2026-06-10"), []),
        (HouseholdEvent("moved_out", "h1", person_id="lead", day="2026-06-10"), []),
        (
            HouseholdEvent(
                "joined", "h1", fields={"name": "Lodger", "status": "unverified_occupant"}
            ),
            ["Suggested: Tenancy fraud check: an adult lives here without ID seen."],
        ),
        (
            HouseholdEvent(
                "changed", "h1", person_id="baby", fields={"status": "unverified_occupant"}
            ),
            ["Suggested: Tenancy fraud check: an adult lives here without ID seen."],
        ),
        (HouseholdEvent("id_seen", "h1", person_id="baby"), []),
    ],
)
def test_only_a_new_suggestion_leaves_a_note(
    home: Store, event: HouseholdEvent, expected_notes: list[str]
) -> None:
    home.household_event(event, now=NOW)
    assert notes(home) == expected_notes
    assert len(queued(home)) == 1 + len(expected_notes)


def test_a_refused_note_leaves_nothing_of_the_event(home: Store) -> None:
    # An author id too long for the wire makes the note's write fail after the person's.
    event = HouseholdEvent("died", "h1", person_id="lead", day="2026-06-10", author_id="x" * 65)
    with pytest.raises(ValidationError):
        home.household_event(event, now=NOW)
    lead = home.get("person", "lead")
    assert lead is not None and lead["died_on"] is None and lead["suggested_actions"] is None
    assert notes(home) == [] and queued(home) == []


def test_a_person_of_another_home_is_not_found(home: Store) -> None:
    with pytest.raises(NotFound):
        home.household_event(
            HouseholdEvent("died", "h2", person_id="lead", day="2026-06-10"), now=NOW
        )
    assert queued(home) == []
