"""Lists that finish: filters (overdue, due soon, category, estate), sort, "show all", and
keyword search in descriptions for staff only. The rules as tables, then the My patch screen
over a real device store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import flet as ft
import pytest

from fieldapp.ids import to_wire
from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import patch
from fieldapp.views.logic_lists import (
    ListFilter,
    atvs_filtered,
    filtered,
    keyword_hits,
    shown,
    snippet_at,
)
from tests.app import ui
from tests.app.test_workflows_views import HOMES, OFFICER, _seed, pick

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
HOMES_BY_ID = {h["id"]: h for h in HOMES}


def _case(n: int, *, due_in_h: float, category: str = "noise", home: str = "h1") -> dict[str, Any]:
    return {
        "id": f"c{n}",
        "ref": f"ASB-{n:04d}",
        "category": category,
        "property_id": home,
        "received_at": to_wire(NOW - timedelta(days=n)),
        "status": "open",
        "due_at": to_wire(NOW + timedelta(hours=due_in_h)),
        "description": f"case {n}",
    }


CASES = [
    _case(1, due_in_h=-5),
    _case(2, due_in_h=10, category="crime"),
    _case(3, due_in_h=200, home="e1"),
    _case(4, due_in_h=-50, home="e1"),
]


@pytest.mark.parametrize(
    ("chosen", "ids"),
    [
        (ListFilter(), ["c4", "c1", "c2", "c3"]),  # most overdue first
        (ListFilter(when="overdue"), ["c4", "c1"]),
        (ListFilter(when="due_soon"), ["c2"]),
        (ListFilter(category="crime"), ["c2"]),
        (ListFilter(estate="Elm Grove"), ["c4", "c3"]),
        (ListFilter(sort="newest"), ["c1", "c2", "c3", "c4"]),
        (ListFilter(sort="oldest", when="overdue"), ["c4", "c1"]),
    ],
)
def test_filtered(chosen: ListFilter, ids: list[str]) -> None:
    got = filtered(CASES, chosen, homes=HOMES_BY_ID, category_field="category", now=NOW)
    assert [r["id"] for r in got] == ids


def test_shown_stops_at_ten_until_show_all() -> None:
    many = [_case(n, due_in_h=n) for n in range(1, 15)]
    assert len(shown(many, ListFilter())) == 10
    assert len(shown(many, ListFilter(show_all=True))) == 14


def test_keyword_search_is_for_staff_only() -> None:
    cases = [{**CASES[0], "description": "Loud music and shouting at night"}]
    repairs = [{"id": "r1", "description": "Black mould behind the wardrobe"}]
    assert keyword_hits("music night", role="officer", cases=cases, repairs=repairs) == [
        ("/asb", "c1", "ASB-0001 · noise: “Loud music and shouting at night”")
    ]
    assert keyword_hits("MOULD", role="manager", cases=cases, repairs=repairs) == [
        (
            "/repair",
            "r1",
            "Repair, reference not yet sent · Unprioritised repair: "
            "“Black mould behind the wardrobe”",
        )
    ]
    sent = [{**repairs[0], "reference": "REP-2026-0007", "priority": "urgent", "hazard": "damp"}]
    assert keyword_hits("mould", role="officer", cases=cases, repairs=sent)[0][2].startswith(
        "REP-2026-0007 · Urgent repair · damp: “Black mould"
    )
    # Found on a walk: a description hit did not say where the case or repair was.
    [(_, _, placed)] = keyword_hits(
        "mould", role="officer", cases=[], repairs=sent, where=lambda r: "1 Ash Court, WA7 2AB"
    )
    assert placed.startswith("REP-2026-0007 · Urgent repair · damp — 1 Ash Court, WA7 2AB: “")
    # A long description shows where the word was found, not only its first 60 characters.
    long = [{**sent[0], "description": "Seen on a walkabout: " + "grass verge, " * 8 + "a wombat"}]
    [(_, _, text)] = keyword_hits("wombat", role="officer", cases=[], repairs=long)
    assert text.endswith("a wombat”") and "“…" in text
    for partner in ("pcso", "councillor"):
        assert keyword_hits("mould", role=partner, cases=cases, repairs=repairs) == []
    assert keyword_hits("music opera", role="officer", cases=cases, repairs=repairs) == []


def test_my_patch_lists_filter_and_show_all(device: Device, state: AppState) -> None:
    many = [_case(n, due_in_h=n - 3) for n in range(1, 15)]
    _seed(device, asb_case=many, property=HOMES)
    root = patch.view(state)
    assert "Open ASB cases (14)" in ui.texts(root)
    assert "ASB-0011" not in ui.texts(root)  # ten shown
    ui.click(ui.by_id(root, "patch-cases-all"))
    assert "ASB-0014" in ui.texts(root)
    pick(root, "Show", "overdue")
    assert "Open ASB cases (2)" in ui.texts(root)  # c1 and c2 are past their time
    search = ui.field(root, "Search address, postcode or reference")
    search.value = "case 13"
    ui.fire(search.on_change, ui.Event(search))
    tiles = [t for t in ui.of_type(root, ft.ListTile) if "case 13" in ui.texts(t)]
    assert tiles, "the description search found the case"
    assert "1 Ash Court, WA7 2AB" in ui.texts(tiles[0])  # where it is
    assert OFFICER["role"] == "officer"


DUE_ATVS = [
    ({"id": "a", "estate": "Castlefields"}, None),  # never visited
    ({"id": "b", "estate": "Castlefields"}, date(2026, 6, 9)),  # due yesterday
    ({"id": "c", "estate": "Elm Grove"}, date(2026, 6, 10)),  # due today
    ({"id": "d", "estate": "Castlefields"}, date(2026, 7, 1)),
]


@pytest.mark.parametrize(
    ("chosen", "ids"),
    [
        (ListFilter(), ["a", "b", "c", "d"]),
        (ListFilter(when="overdue"), ["a", "b"]),
        (ListFilter(when="due_soon"), ["c", "d"]),
        (ListFilter(estate="Elm Grove"), ["c"]),
        (ListFilter(estate="Castlefields", when="due_soon"), ["d"]),
        (ListFilter(category="noise"), ["a", "b", "c", "d"]),  # an ATV has no category
    ],
)
def test_atvs_follow_the_estate_and_clock_filter(chosen: ListFilter, ids: list[str]) -> None:
    """Found on a walk: choosing an estate or "Overdue" narrowed the cases and repairs but the
    ATV list below them stayed whole."""
    kept = atvs_filtered(DUE_ATVS, chosen, today=date(2026, 6, 10))
    assert [home["id"] for home, _ in kept] == ids


def test_my_patch_atv_list_follows_the_estate_filter(device: Device, state: AppState) -> None:
    homes = [{**h, "tenancy_ref": f"T-{h['id']}"} for h in HOMES]  # tenanted, never visited
    _seed(device, property=homes)
    root = patch.view(state)
    assert f"Annual Tenancy Visits due ({len(homes)})" in ui.texts(root)
    pick(root, "Estate", "Elm Grove")
    assert "Annual Tenancy Visits due (1)" in ui.texts(root)
    assert "1 Elm Grove, WA7 9ZZ" in ui.texts(root)


def test_my_patch_atv_list_shows_all_on_asking(device: Device, state: AppState) -> None:
    """Found on a walk: "Annual Tenancy Visits due (54)" listed ten, and the rest could not
    be reached."""
    homes = [
        {**HOMES[0], "id": f"t{n}", "address": f"{n} Tern Close", "tenancy_ref": f"T{n}"}
        for n in range(1, 13)
    ]
    _seed(device, property=homes)
    root = patch.view(state)
    assert "Annual Tenancy Visits due (12)" in ui.texts(root)
    assert sum("ATV overdue" in ui.texts(t) for t in ui.of_type(root, ft.ListTile)) == 10
    ui.click(ui.by_id(root, "patch-atvs-all"))
    assert sum("ATV overdue" in ui.texts(t) for t in ui.of_type(root, ft.ListTile)) == 12


@pytest.mark.parametrize(
    ("word", "snippet"),
    [
        ("water", "Water under the sink smells and there is a small stuffed…"),
        ("wombat", "…a small stuffed toy wombat left by the tenant near the…"),
        ("cupboard", "…toy wombat left by the tenant near the boiler cupboard door"),
    ],
)
def test_a_snippet_shows_the_word_found_cut_between_words(word: str, snippet: str) -> None:
    said = (
        "Water under the sink smells and there is a small stuffed toy wombat left by the "
        "tenant near the boiler cupboard door"
    )
    assert snippet_at(said, word) == snippet
    assert len(snippet) <= 60
