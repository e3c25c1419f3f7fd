"""The overview screen built from a real AppState over a real device store (offline), no
browser: per-patch counts for a manager and for an officer, rows that open their records,
the area refreshing after a Community Trigger record is written, partners kept out."""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import overview
from tests.app import ui
from tests.app.conftest import Recorder, seed

MANAGER = {"id": "u-mgr", "name": "Helen Marsh", "role": "manager", "patch_ids": ["p1", "p2"]}
OFFICER = {"id": "u-off", "name": "Sarah Whitfield", "role": "officer", "patch_ids": ["p1"]}
PCSO = {"id": "u-pcso", "name": "Gary Lowe", "role": "pcso", "patch_ids": ["p1"]}

# NOW (conftest) is 2026-06-10 09:00 UTC.
DATA: dict[str, list[dict[str, Any]]] = {
    "patch": [{"id": "p1", "name": "Runcorn East"}, {"id": "p2", "name": "Widnes West"}],
    "property": [
        {
            "id": "h1",
            "uprn": "100001",
            "patch_id": "p1",
            "estate": "Castlefields",
            "address": "1 Ash Court, Runcorn",
            "postcode": "WA7 2AB",
            "lat": 53.3372,
            "lon": -2.6918,
            "bedrooms": 2,
            "tenancy_ref": "HT1/01",
            "last_atv_on": "2025-05-01",
        },
        {
            "id": "h2",
            "uprn": "100002",
            "patch_id": "p2",
            "estate": "Hough Green",
            "address": "2 Arley Drive, Widnes",
            "postcode": "WA8 4AB",
            "lat": 53.3793,
            "lon": -2.7768,
            "bedrooms": 3,
            "tenancy_ref": "HT2/01",
            "last_atv_on": "2026-03-01",
        },
    ],
    "asb_case": [
        {
            "id": "c-late",
            "ref": "ASB-0001",
            "category": "noise",
            "property_id": "h1",
            "received_at": "2026-05-01T09:00:00Z",
            "status": "action_plan",
            "due_at": "2026-06-05T22:59:59Z",
            "ct_eligible": True,
            "reason": "Noise; Community Trigger: 3 qualifying complaints within 6 months",
        },
        {
            "id": "c-soon",
            "ref": "ASB-0002",
            "category": "crime",
            "property_id": "h2",
            "received_at": "2026-06-09T12:00:00Z",
            "status": "open",
            "due_at": "2026-06-10T12:00:00Z",
            "ct_eligible": False,
        },
        {
            "id": "c-late2",
            "ref": "ASB-0003",
            "category": "other",
            "property_id": "h2",
            "received_at": "2026-05-01T09:00:00Z",
            "status": "open",
            "due_at": "2026-06-09T22:59:59Z",
            "ct_eligible": False,
        },
    ],
    "repair": [
        {
            "id": "r-damp",
            "reference": "REP-2026-0003",
            "property_id": "h1",
            "priority": "routine",
            "hazard": "damp_and_mould",
            "awaab": "significant",
            "reported_at": "2026-05-20T09:00:00Z",
            "status": "open",
            "investigate_by": "2026-06-03T22:59:59Z",
        },
    ],
    "conflict": [
        {
            "id": "k1",
            "entity": "asb_case",
            "record_id": "c-soon",
            "field": "status",
            "base_value": "open",
            "kept_value": "action_plan",
            "proposed_value": "monitoring",
            "proposed_by": "Daniel Okafor",
            "proposed_at": "2026-06-10T08:30:00Z",
            "status": "open",
        },
    ],
}


def _count(screen: ft.Control, patch: str, what: str) -> str:
    row = ui.by_id(screen, f"overview-{patch}-{what}")
    assert isinstance(row, ft.Row)
    number = row.controls[-1]
    assert isinstance(number, ft.Text)
    return str(number.value)


def _tile(screen: ft.Control, title: str) -> ft.ListTile:
    found = [
        t
        for t in ui.of_type(screen, ft.ListTile)
        if isinstance(t.title, ft.Text) and t.title.value == title
    ]
    assert len(found) == 1, f"{len(found)} rows titled {title!r}"
    return found[0]


def test_manager_sees_every_patch(device: Device, state: AppState, shell: Recorder) -> None:
    seed(device, DATA, user=MANAGER)
    screen = overview.view(state)
    text = ui.texts(screen)
    assert "SLA and Community Trigger overview" in text and "All patches" in text
    assert _count(screen, "all-patches", "asb-overdue") == "2"
    assert _count(screen, "runcorn-east", "asb-overdue") == "1"
    assert _count(screen, "widnes-west", "asb-overdue") == "1"
    assert _count(screen, "widnes-west", "asb-due-within-24-h") == "1"
    assert _count(screen, "runcorn-east", "atvs-overdue") == "1"
    assert _count(screen, "runcorn-east", "awaab-s-law-overdue") == "1"
    assert _count(screen, "runcorn-east", "community-trigger-awaiting-review") == "1"
    assert "Overdue ASB cases (2)" in text
    assert "Open conflicts: 1" in text
    # Most overdue first: ASB-0001 (due 5 June) before ASB-0003 (due 9 June).
    assert text.index("ASB-0001 · noise") < text.index("ASB-0003 · other")
    ui.click(_tile(screen, "ASB-0003 · other"))
    damp = _tile(screen, "REP-2026-0003 · Routine repair · damp and mould")
    # Which home: the manager can tell one damp repair from another without opening it.
    assert isinstance(damp.subtitle, ft.Text) and "1 Ash Court, Runcorn, WA7 2AB" in str(
        damp.subtitle.value
    )
    ui.click(damp)
    ui.click(_tile(screen, "Open conflicts: 1"))
    assert shell.routes == [
        ("/asb", {"id": "c-late2"}),
        ("/repair", {"id": "r-damp"}),
        ("/sync", {}),
    ]


def test_officer_sees_own_patch(device: Device, state: AppState) -> None:
    seed(device, DATA, user=OFFICER)
    screen = overview.view(state)
    text = ui.texts(screen)
    assert "Your patches" in text and "Widnes West" not in text
    assert _count(screen, "runcorn-east", "open-asb-cases") == "1"
    assert "Overdue ASB cases (1)" in text and "ASB-0003" not in text


def test_community_trigger_row_opens_the_record_and_clears_when_recorded(
    device: Device, state: AppState, shell: Recorder
) -> None:
    seed(device, DATA, user=MANAGER)
    screen = overview.view(state)
    assert "Community Trigger: eligible, no review yet (1)" in ui.texts(screen)
    rows = [
        t
        for t in ui.of_type(screen, ft.ListTile)
        if isinstance(t.title, ft.Text) and t.title.value == "ASB-0001 · noise"
    ]
    assert len(rows) == 2  # overdue, and eligible for a Community Trigger
    ui.click(rows[0])  # the overdue row opens the case, the trigger row its CT record
    ui.click(rows[1])
    assert shell.routes == [("/asb", {"id": "c-late"}), ("/ct_review", {"case_id": "c-late"})]
    state.create("ct_review", {"case_id": "c-late", "decision": "met"})  # the live area rebuilds
    text = ui.texts(screen)
    assert "Community Trigger: eligible, no review yet (0)" in text
    assert _count(screen, "runcorn-east", "community-trigger-awaiting-review") == "0"


def test_partner_gets_no_figures(device: Device, state: AppState) -> None:
    seed(device, DATA, user=PCSO)
    text = ui.texts(overview.view(state))
    assert "The overview is for housing staff." in text
    assert "ASB-" not in text and "Runcorn East" not in text
