"""The overview's aggregation rules as tables, no Flet: clocks at the 24-hour and overdue
boundaries, patch attribution, Awaab's Law next deadlines, ATVs overdue by London date,
Community Trigger cases awaiting a review, conflicts, totals; and the demo patch through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fieldapp.ids import to_wire
from fieldapp.views.logic_overview import (
    NO_PATCH,
    Overview,
    PatchCounts,
    build_overview,
    count_cells,
    trigger_reason,
)

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
PATCHES = [{"id": "p1", "name": "Runcorn East"}, {"id": "p2", "name": "Widnes West"}]
HOMES = [
    {
        "id": "h1",
        "patch_id": "p1",
        "lat": 53.3372,
        "lon": -2.6918,
        "tenancy_ref": "HT1/01",
        "last_atv_on": "2026-01-10",
    },
    {
        "id": "h2",
        "patch_id": "p2",
        "lat": 53.3793,
        "lon": -2.7768,
        "tenancy_ref": "HT2/01",
        "last_atv_on": "2026-02-01",
    },
]


def _w(moment: datetime) -> str:
    return to_wire(moment)


def _case(id: str, *, due: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "ref": f"ASB-{id}",
        "category": "noise",
        "property_id": "h1",
        "status": "open",
        "due_at": None if due is None else _w(due),
        "received_at": "2026-06-01T09:00:00Z",
        **extra,
    }


def _overview(**kw: Any) -> Overview:
    args: dict[str, Any] = {
        "patches": PATCHES,
        "properties": HOMES,
        "cases": [],
        "repairs": [],
        "now": NOW,
    }
    args.update(kw)
    return build_overview(**args)


def _row(ov: Overview, name: str) -> PatchCounts:
    return next(r for r in ov.patches if r.name == name)


# --- ASB clocks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("due", "status", "counted", "soon", "late"),
    [
        (NOW - timedelta(seconds=1), "open", 1, 0, 1),  # a second late: overdue
        (NOW, "open", 1, 1, 0),  # due this instant: not yet overdue
        (NOW + timedelta(hours=24), "action_plan", 1, 1, 0),  # 24 h ahead: due soon
        (NOW + timedelta(hours=24, seconds=1), "monitoring", 1, 0, 0),  # just beyond
        (None, "open", 1, 0, 0),  # below threshold: no clock, still open
        (NOW - timedelta(days=3), "closed", 0, 0, 0),
        (NOW - timedelta(days=3), "advice_given", 0, 0, 0),  # answered with advice: no clock
    ],
)
def test_case_clocks(due: datetime | None, status: str, counted: int, soon: int, late: int) -> None:
    ov = _overview(cases=[_case("c1", due=due, status=status)])
    row = _row(ov, "Runcorn East")
    assert (row.open_cases, row.due_soon, row.overdue) == (counted, soon, late)
    assert [c.id for c in ov.overdue_cases] == (["c1"] if late else [])


def test_overdue_list_most_overdue_first() -> None:
    cases = [
        _case("a", due=NOW - timedelta(hours=2)),
        _case("b", due=NOW - timedelta(days=9)),
        _case("c", due=NOW + timedelta(hours=1)),
        _case("d", due=NOW - timedelta(days=1), property_id="h2"),
    ]
    ov = _overview(cases=cases)
    assert [c.id for c in ov.overdue_cases] == ["b", "d", "a"]
    assert [c.patch for c in ov.overdue_cases] == ["Runcorn East", "Widnes West", "Runcorn East"]
    assert ov.overdue_cases[0].stage == "Response" and ov.overdue_cases[0].state == "overdue"
    assert (ov.totals.open_cases, ov.totals.overdue, ov.totals.due_soon) == (4, 3, 1)


# --- patches ---------------------------------------------------------------------------------
def test_patch_from_home_nearest_home_or_not_known() -> None:
    cases = [
        _case("home", due=NOW - timedelta(hours=1)),
        # Raised on a walkabout: no home, a position 100 m from h2.
        _case("walk", due=NOW - timedelta(hours=1), property_id=None, lat=53.3802, lon=-2.7768),
        _case("nowhere", due=NOW - timedelta(hours=1), property_id=None),
    ]
    ov = _overview(cases=cases)
    assert [r.name for r in ov.patches] == ["Runcorn East", "Widnes West", NO_PATCH]
    assert {c.id: c.patch for c in ov.overdue_cases} == {
        "home": "Runcorn East",
        "walk": "Widnes West",
        "nowhere": NO_PATCH,
    }


def test_officer_sees_own_patches_only() -> None:
    cases = [
        _case("mine", due=NOW - timedelta(hours=1)),
        _case("theirs", due=NOW - timedelta(hours=1), property_id="h2"),
    ]
    ov = _overview(cases=cases, patch_ids=["p1"])
    assert [r.name for r in ov.patches] == ["Runcorn East"]
    assert [c.id for c in ov.overdue_cases] == ["mine"]
    assert ov.totals.overdue == 1 and ov.totals.atvs_overdue == 0


def test_empty_patches_still_listed_with_zeros() -> None:
    ov = _overview()
    assert [r.name for r in ov.patches] == ["Runcorn East", "Widnes West"]
    assert ov.totals == PatchCounts(None, "All patches")
    assert ov.overdue_cases == [] and ov.awaab == [] and ov.ct_awaiting == []


# --- Awaab's Law -----------------------------------------------------------------------------
T1 = datetime(2026, 6, 11, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 16, 22, 59, 59, tzinfo=UTC)
T3 = datetime(2026, 6, 18, 22, 59, 59, tzinfo=UTC)
T4 = datetime(2026, 9, 1, 22, 59, 59, tzinfo=UTC)


def test_awaab_repairs_counted_and_sorted() -> None:
    repairs = [
        {
            "id": "late",
            "property_id": "h1",
            "priority": "routine",
            "hazard": "damp_and_mould",
            "awaab": "significant",
            "status": "open",
            "investigate_by": _w(NOW - timedelta(days=2)),
        },
        {
            "id": "soon",
            "property_id": "h2",
            "priority": "emergency",
            "hazard": "uncombusted_fuel_gas",
            "awaab": "emergency",
            "status": "open",
            "investigate_by": _w(T1),
            "make_safe_by": _w(T1),
        },
        {
            "id": "done",
            "property_id": "h1",
            "awaab": "significant",
            "status": "completed",
            "investigate_by": _w(NOW - timedelta(days=40)),
        },
        {
            "id": "plain",
            "property_id": "h1",
            "awaab": "none",
            "status": "open",
            "due_at": _w(NOW - timedelta(days=1)),
        },
    ]
    ov = _overview(repairs=repairs)
    assert [(c.id, c.state) for c in ov.awaab] == [("late", "overdue"), ("soon", "due_soon")]
    assert (
        ov.awaab[1].title
        == "Repair, reference not yet sent · Emergency repair · uncombusted fuel gas"
    )
    assert ov.awaab[1].stage == "Investigate, make safe"
    assert (_row(ov, "Runcorn East").awaab_open, _row(ov, "Runcorn East").awaab_overdue) == (1, 1)
    assert (_row(ov, "Widnes West").awaab_open, _row(ov, "Widnes West").awaab_overdue) == (1, 0)


# --- Annual Tenancy Visits -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "last", "tenancy", "overdue"),
    [
        (NOW, "2025-06-10", "HT9/01", 1),  # a year ago today: due today, so counted
        (NOW, "2025-06-11", "HT9/01", 0),  # due tomorrow
        (NOW, None, "HT9/01", 1),  # never visited
        (NOW, None, None, 0),  # void home: no tenancy to visit
        # 23:30 UTC on 9 June is 00:30 on 10 June in London: the London date counts.
        (datetime(2026, 6, 9, 23, 30, tzinfo=UTC), "2025-06-10", "HT9/01", 1),
        (datetime(2026, 6, 9, 22, 30, tzinfo=UTC), "2025-06-10", "HT9/01", 0),
    ],
)
def test_atvs_overdue(now: datetime, last: str | None, tenancy: str | None, overdue: int) -> None:
    home = {"id": "h9", "patch_id": "p2", "tenancy_ref": tenancy, "last_atv_on": last}
    ov = _overview(properties=[*HOMES, home], now=now)
    assert _row(ov, "Widnes West").atvs_overdue == overdue
    assert _row(ov, "Runcorn East").atvs_overdue == 0


def test_a_visit_recorded_since_import_takes_the_home_off_the_overdue_count() -> None:
    # The derived atv_due_on counts the visit; the imported last_atv_on is a year old.
    home = {
        "id": "h9",
        "patch_id": "p2",
        "tenancy_ref": "HT9/01",
        "last_atv_on": "2025-01-01",
        "atv_due_on": "2027-06-01",
    }
    assert _row(_overview(properties=[*HOMES, home], now=NOW), "Widnes West").atvs_overdue == 0


# --- Community Trigger and conflicts -----------------------------------------------------------
def test_community_trigger_cases_awaiting_review() -> None:
    reason = "Noise: respond within 5 working days; Community Trigger: 3 qualifying complaints"
    cases = [
        _case("new", ct_eligible=True, received_at="2026-05-20T09:00:00Z", reason=reason),
        _case("old", ct_eligible=True, received_at="2026-01-02T09:00:00Z", property_id="h2"),
        _case("reviewed", ct_eligible=True),
        _case("closed", ct_eligible=True, status="closed"),
        _case("advice", ct_eligible=True, status="advice_given"),  # still live: offered
        _case("not", ct_eligible=False),
    ]
    ov = _overview(cases=cases, reviews=[{"id": "r1", "case_id": "reviewed"}])
    assert [t.id for t in ov.ct_awaiting] == ["old", "new", "advice"]
    assert ov.ct_awaiting[1].reason == "Community Trigger: 3 qualifying complaints"
    assert (_row(ov, "Runcorn East").ct_awaiting, _row(ov, "Widnes West").ct_awaiting) == (2, 1)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Crime: respond; risk high; Community Trigger: 4 x", "Community Trigger: 4 x"),
        ("", "Community Trigger"),
        (None, "Community Trigger"),
    ],
)
def test_trigger_reason(reason: str | None, expected: str) -> None:
    assert trigger_reason({"reason": reason}) == expected


def test_open_conflicts_counted() -> None:
    conflicts = [{"id": "k1", "status": "open"}, {"id": "k2", "status": "resolved"}, {"id": "k3"}]
    assert _overview(conflicts=conflicts).open_conflicts == 2


def test_count_cells_tones() -> None:
    quiet = count_cells(PatchCounts("p1", "Runcorn East", open_cases=3))
    assert [(t, n) for t, n, _ in quiet][:3] == [
        ("Open ASB cases", 3),
        ("ASB due within 24 h", 0),
        ("ASB overdue", 0),
    ]
    assert {tone for _, _, tone in quiet} <= {"info", "ok"}
    busy = dict(
        (t, tone) for t, _, tone in count_cells(PatchCounts("p1", "x", overdue=1, ct_awaiting=2))
    )
    assert busy["ASB overdue"] == "alert" and busy["Community Trigger awaiting review"] == "alert"


# --- the demo patch --------------------------------------------------------------------------
def test_demo_patch_shows_what_the_overview_is_for() -> None:
    """The demo, derived by the shared rules, has overdue clocks, Awaab's Law work and CT cases."""
    from fieldapp.demo import generate_demo
    from fieldapp.domain.derive import derive
    from fieldapp.domain.policy import Policy

    records = generate_demo().by_entity()
    index = {e: {r["id"]: r for r in rs} for e, rs in records.items()}

    class Lookup:
        def get(self, entity: str, id: str) -> dict[str, Any] | None:
            return index.get(entity, {}).get(id)

        def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
            return [r for r in records.get(entity, []) if r.get(field) == value]

    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    full = {
        e: [{**r, **derive(e, r, Lookup(), Policy(), now)} for r in rs] for e, rs in records.items()
    }
    ov = build_overview(
        patches=full["patch"],
        properties=full["property"],
        cases=full["asb_case"],
        repairs=full["repair"],
        now=now,
    )
    assert [r.name for r in ov.patches] == ["Runcorn East", "Widnes West"]  # all placed
    assert ov.totals.overdue >= 1 and ov.totals.due_soon >= 1
    assert ov.totals.awaab_open >= 4 and ov.totals.awaab_overdue >= 1
    assert ov.totals.atvs_overdue >= 20 and len(ov.ct_awaiting) >= 2
    overdue_by = [now - c.due_at for c in ov.overdue_cases]
    assert overdue_by == sorted(overdue_by, reverse=True)


def test_awaab_clocks_name_the_reference_and_the_place() -> None:
    """A manager reads which repair and where: its reference and its home's address, or the
    walkabout spot (by the nearest home) for one recorded with no home."""
    homes = [
        {**HOMES[0], "address": "1 Oak House", "postcode": "WA7 1AA"},
        {**HOMES[1], "address": "9 Elm Court", "postcode": "WA8 2BB"},
    ]
    repair = {
        "priority": "urgent",
        "hazard": "damp_and_mould",
        "awaab": "significant",
        "status": "open",
        "investigate_by": _w(NOW - timedelta(days=2)),
    }
    repairs = [
        {**repair, "id": "r1", "reference": "REP-2026-0007", "property_id": "h2"},
        # Found on a walkabout, 40-odd metres from h1, with no home chosen.
        {**repair, "id": "r2", "reference": "REP-2026-0008", "lat": 53.3376, "lon": -2.6918},
    ]
    # Raised from an observation the walkabout placed near h2 (on its estate): placed there.
    repairs.append({**repairs[1], "id": "r3", "observation_id": "o1"})
    seen = [{"id": "o1", "lat": 53.3376, "lon": -2.6918, "nearest_property_id": "h2"}]
    ov = build_overview(
        patches=PATCHES, properties=homes, cases=[], repairs=repairs, observations=seen, now=NOW
    )
    by_id = {c.id: c for c in ov.awaab}
    assert by_id["r1"].title == "REP-2026-0007 · Urgent repair · damp and mould"
    assert by_id["r1"].where == "9 Elm Court, WA8 2BB"
    assert by_id["r2"].title.startswith("REP-2026-0008 · ")
    assert by_id["r2"].where == "Walkabout spot 40 m from 1 Oak House, WA7 1AA"
    assert by_id["r2"].patch == "Runcorn East"  # placed by the nearest home, as before
    assert by_id["r3"].patch == "Widnes West"
    assert (
        by_id["r3"].where.startswith("Walkabout spot ") and "from 9 Elm Court" in by_id["r3"].where
    )
