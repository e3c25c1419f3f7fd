"""The manager's SLA and Community Trigger overview, as one pure function of the records and now.

``build_overview`` counts, per patch, the open ASB cases and how many are due soon (within
``Policy.due_soon_hours``, as on My patch) or overdue; lists the overdue cases, most overdue
first; gives each open Awaab's Law repair its next deadline (investigate, written summary,
make safe, start preventative work) and counts the overdue ones; counts the Annual Tenancy
Visits overdue; counts the open sync conflicts; and lists the cases eligible for a Community
Trigger that have no ``ct_review`` yet. No Flet, no store: the view passes what ``AppState``
holds, and each rule here is unit-tested as a table.

Choices made here (the rules themselves come from ``fieldapp.domain``):

- A case or repair belongs to the patch of its home; one with no home (raised on a
  walkabout) to the patch of the home nearest its position; one with neither is listed
  under "Patch not known" rather than hidden, so no clock goes missing.
- "Open", the Awaab's Law stages (``fieldapp.domain.work``) and "ATV due"
  (``fieldapp.domain.atv``) are the domain's, as on My patch.
- A closed case is not offered for a Community Trigger here (the review is for problems
  still live); any other eligible case without a review is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from fieldapp.domain.atv import home_atv_due_by
from fieldapp.domain.calendar import local_date
from fieldapp.domain.geo import nearest, position
from fieldapp.domain.policy import DEFAULT_POLICY, Policy
from fieldapp.domain.wire import parse_time
from fieldapp.domain.work import case_open, next_awaab_stage, repair_open
from fieldapp.views.logic_patch import (
    DUE_SOON,
    Places,
    Urgency,
    case_title,
    repair_reference_title,
    urgency,
)

SOON_HOURS = DEFAULT_POLICY.due_soon_hours
NO_PATCH = "Patch not known"
AWAAB_CLASSES = frozenset({"emergency", "significant"})
Record = Mapping[str, Any]


@dataclass(frozen=True)
class PatchCounts:
    """The numbers of one patch (or of all of them, for the totals row)."""

    patch_id: str | None
    name: str
    open_cases: int = 0
    due_soon: int = 0
    overdue: int = 0
    awaab_open: int = 0
    awaab_overdue: int = 0
    atvs_overdue: int = 0
    ct_awaiting: int = 0


_COUNTS = tuple(f.name for f in fields(PatchCounts) if f.name not in ("patch_id", "name"))


@dataclass(frozen=True)
class Clock:
    """A record with a deadline: an overdue case, or an Awaab's Law repair's next step."""

    entity: str  # "asb_case" | "repair"
    id: str
    title: str
    patch: str
    stage: str  # what is due: "Response", "Investigate", "Make safe", ...
    due_at: datetime
    state: Urgency
    where: str = ""  # its home's address, or the walkabout spot it was found at


@dataclass(frozen=True)
class TriggerCase:
    """A case eligible for a Community Trigger with no review recorded yet."""

    id: str
    title: str
    patch: str
    received_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Overview:
    """Everything the overview screen shows."""

    patches: list[PatchCounts]  # by name; "Patch not known" last, only when it has records
    totals: PatchCounts
    overdue_cases: list[Clock]  # most overdue first
    awaab: list[Clock]  # each open Awaab's Law repair's next deadline, most pressing first
    ct_awaiting: list[TriggerCase]  # oldest receipt first
    open_conflicts: int = 0


class PatchFinder:
    """Which patch a record belongs to: its home's; for a finding at a walkabout spot, the
    home its observation was placed near, else the nearest home; else none."""

    def __init__(self, properties: Iterable[Record], observations: Iterable[Record] = ()) -> None:
        self.homes = [p for p in properties if p.get("id")]
        self.places = Places(self.homes, observations)
        self.by_id = self.places.homes

    def patch_id(self, record: Record) -> str | None:
        home = self.by_id.get(str(record.get("property_id") or ""))
        if home is None and not record.get("property_id"):
            spot = self.places.observation_of(record)
            home = self.by_id.get(str((spot or {}).get("nearest_property_id") or ""))
        if home is None:
            where = position(record)
            home = None if where is None else nearest(*where, self.homes)
        found = None if home is None else home.get("patch_id")
        return str(found) if found else None


def repair_title(repair: Record) -> str:
    """``Emergency repair · uncombusted fuel gas`` (or the room when no hazard is recorded;
    ``Routine repair`` alone when neither is)."""
    head = f"{str(repair.get('priority') or 'unprioritised').capitalize()} repair"
    what = str(repair.get("hazard") or repair.get("room") or "").replace("_", " ").strip()
    return f"{head} · {what}" if what else head


def trigger_reason(case: Record) -> str:
    """The Community Trigger part of a case's stored reason (the rest is the triage)."""
    parts = str(case.get("reason") or "").split("; ")
    return next((p for p in parts if p.startswith("Community Trigger")), "Community Trigger")


def _awaiting_review(case: Record, reviewed: Collection[str]) -> bool:
    return (
        case.get("ct_eligible") is True
        and case.get("status") != "closed"
        and str(case.get("id")) not in reviewed
    )


def build_overview(
    *,
    patches: Iterable[Record],
    properties: Iterable[Record],
    cases: Iterable[Record],
    repairs: Iterable[Record],
    observations: Iterable[Record] = (),
    reviews: Iterable[Record] = (),
    conflicts: Iterable[Record] = (),
    now: datetime,
    patch_ids: Collection[str] | None = None,
    policy: Policy = DEFAULT_POLICY,
    soon: timedelta = DUE_SOON,
) -> Overview:
    """The overview of ``patch_ids`` (None: every patch) as it stands at ``now``.

    Records whose patch cannot be told are kept (under "Patch not known") for everyone:
    the server already limits an officer's tablet to their patches.
    """
    homes = list(properties)
    finder = PatchFinder(homes, observations)
    names = {str(p["id"]): str(p.get("name") or p["id"]) for p in patches if p.get("id")}
    wanted = set(names) if patch_ids is None else set(patch_ids)
    counts: dict[str | None, dict[str, int]] = {pid: dict.fromkeys(_COUNTS, 0) for pid in wanted}

    def bump(pid: str | None, *keys: str) -> bool:
        """Count the record under its patch; False when the patch is not shown."""
        if pid is not None and pid not in wanted:
            return False
        row = counts.setdefault(pid, dict.fromkeys(_COUNTS, 0))
        for key in keys:
            row[key] += 1
        return True

    def name_of(pid: str | None) -> str:
        return NO_PATCH if pid is None else names.get(pid, pid)

    overdue_cases: list[Clock] = []
    ct_awaiting: list[TriggerCase] = []
    reviewed = {str(r.get("case_id")) for r in reviews if r.get("case_id")}
    for case in cases:
        pid = finder.patch_id(case)
        if _awaiting_review(case, reviewed) and bump(pid, "ct_awaiting"):
            ct_awaiting.append(
                TriggerCase(
                    str(case["id"]),
                    case_title(case),
                    name_of(pid),
                    parse_time(case.get("received_at")),
                    trigger_reason(case),
                )
            )
        if not case_open(case):
            continue
        state = urgency(case.get("due_at"), now, soon=soon)
        keys = ["open_cases"] + ([state] if state in ("overdue", "due_soon") else [])
        due = parse_time(case.get("due_at"))
        if bump(pid, *keys) and state == "overdue" and due is not None:
            overdue_cases.append(
                Clock(
                    "asb_case",
                    str(case["id"]),
                    case_title(case),
                    name_of(pid),
                    "Response",
                    due,
                    state,
                    finder.places.label(case),
                )
            )

    awaab: list[Clock] = []
    for repair in repairs:
        if repair.get("awaab") not in AWAAB_CLASSES or not repair_open(repair):
            continue
        step = next_awaab_stage(repair)
        if step is None:
            continue  # reported before Awaab's Law, or no deadline computed yet
        stage, due = step
        state = urgency(due, now, soon=soon)
        pid = finder.patch_id(repair)
        keys = ["awaab_open"] + (["awaab_overdue"] if state == "overdue" else [])
        if bump(pid, *keys):
            awaab.append(
                Clock(
                    "repair",
                    str(repair["id"]),
                    repair_reference_title(repair, repair_title(repair)),
                    name_of(pid),
                    stage,
                    due,
                    state,
                    finder.places.label(repair),
                )
            )

    today = local_date(now, policy)
    for home in homes:
        if home_atv_due_by(home, today, policy=policy):
            bump(str(home.get("patch_id") or "") or None, "atvs_overdue")

    rows = [
        PatchCounts(pid, name_of(pid), **values)
        for pid, values in counts.items()
        if pid is not None or any(values.values())
    ]
    rows.sort(key=lambda r: (r.patch_id is None, r.name.lower(), r.patch_id or ""))
    totals = PatchCounts(None, "All patches")
    totals = replace(totals, **{k: sum(getattr(r, k) for r in rows) for k in _COUNTS})
    by_due = lambda c: (c.due_at, c.title, c.id)  # noqa: E731 - a sort key, named once
    return Overview(
        patches=rows,
        totals=totals,
        overdue_cases=sorted(overdue_cases, key=by_due),
        awaab=sorted(awaab, key=by_due),
        ct_awaiting=sorted(
            ct_awaiting, key=lambda t: (t.received_at is None, t.received_at or now, t.id)
        ),
        open_conflicts=sum(1 for c in conflicts if c.get("status", "open") == "open"),
    )


def count_cells(row: PatchCounts) -> list[tuple[str, int, str]]:
    """(label, number, tone) for one patch's card, in the order shown."""
    return [
        ("Open ASB cases", row.open_cases, "info"),
        # Cases only: repairs are counted by their Awaab's Law clocks below (found on a walk:
        # "Due within 24 h" read as everything due, and disagreed with My patch's list).
        (f"ASB due within {SOON_HOURS:g} h", row.due_soon, "warn" if row.due_soon else "info"),
        ("ASB overdue", row.overdue, "alert" if row.overdue else "ok"),
        ("Awaab's Law repairs open", row.awaab_open, "info"),
        ("Awaab's Law overdue", row.awaab_overdue, "alert" if row.awaab_overdue else "ok"),
        ("ATVs overdue", row.atvs_overdue, "warn" if row.atvs_overdue else "ok"),
        ("Community Trigger awaiting review", row.ct_awaiting,
         "alert" if row.ct_awaiting else "ok"),
    ]  # fmt: skip
