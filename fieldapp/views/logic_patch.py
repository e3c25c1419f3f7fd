"""What "My patch today" shows, as plain functions: SLA clocks, ATVs due, distances, labels.

Kept apart from the Flet view so each rule is unit-tested without a browser. Records are the
store's dicts in wire form; ``now`` is always given. Times are shown in Europe/London. The
rules come from the domain: "open" (``fieldapp.domain.work``), "ATV due"
(``fieldapp.domain.atv``: a home never visited is due now) and distance
(``fieldapp.domain.geo``); this module only sorts and words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fieldapp.domain.atv import home_atv_due_by, home_atv_due_on
from fieldapp.domain.calendar import local_date
from fieldapp.domain.geo import by_distance as ranked_by_distance
from fieldapp.domain.geo import haversine_m, position
from fieldapp.domain.policy import DEFAULT_POLICY, Policy
from fieldapp.domain.wire import parse_time, time_out
from fieldapp.domain.work import case_open, repair_next_due, repair_open

LOCAL: ZoneInfo = ZoneInfo("Europe/London")
DUE_SOON = timedelta(hours=DEFAULT_POLICY.due_soon_hours)  # a clock this close is "due soon"
ATV_LOOKAHEAD = timedelta(days=30)  # ATVs falling due within a month are listed

Urgency = Literal["overdue", "due_soon", "later", "none"]


def _span(delta: timedelta) -> str:
    """A rough, readable length of time: ``45 min``, ``3 h``, ``2 days``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    return f"{days} days"


def due_label(due_at: Any, now: datetime) -> str:
    """``due in 3 h``, ``overdue by 2 days``, or ``no response clock`` when there is none."""
    due = parse_time(due_at)
    if due is None:
        return "no response clock"
    if due < now:
        return f"overdue by {_span(now - due)}"
    return f"due in {_span(due - now)}"


def urgency(due_at: Any, now: datetime, *, soon: timedelta = DUE_SOON) -> Urgency:
    """How pressing a clock is: overdue, due within ``soon``, later, or no clock at all."""
    due = parse_time(due_at)
    if due is None:
        return "none"
    if due < now:
        return "overdue"
    if due - now <= soon:
        return "due_soon"
    return "later"


def local_time(value: Any) -> str:
    """A wire time as local wall-clock text, ``Tue 10 Jun 14:00``; empty when unreadable."""
    moment = parse_time(value)
    if moment is None:
        return ""
    return moment.astimezone(LOCAL).strftime("%a %d %b %H:%M")


def _due_key(record: Mapping[str, Any]) -> tuple[int, datetime]:
    due = parse_time(record.get("due_at"))
    return (1, datetime.max.replace(tzinfo=LOCAL)) if due is None else (0, due)


def open_cases(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """ASB cases still open, the most pressing clock first (no clock last)."""
    live = [c for c in cases if case_open(c)]
    return sorted(live, key=_due_key)


def open_repairs(repairs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Repairs still open, the most pressing clock first."""
    live = [r for r in repairs if repair_open(r)]
    return sorted(live, key=_due_key)


NEXT_STEP = "next_step"  # the key ``repair_clocks`` adds: what is due next


def repair_clocks(repairs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The open repairs with a clock, each with ``due_at`` as its next deadline and
    ``next_step`` saying what it is (``repair_next_due``: the response target, or an Awaab's
    Law stage that falls sooner), for lists that sort and colour by ``due_at``."""
    clocks = []
    for repair in open_repairs(repairs):
        step = repair_next_due(repair)
        if step is not None:
            clocks.append({**repair, "due_at": time_out(step[1]), NEXT_STEP: step[0]})
    return clocks


def atvs_due(
    properties: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    within: timedelta = ATV_LOOKAHEAD,
    policy: Policy = DEFAULT_POLICY,
) -> list[tuple[Mapping[str, Any], date | None]]:
    """Tenanted homes whose ATV is due by ``now + within`` with the date (None: never
    visited, so due now), never-visited first, then earliest first."""
    horizon = local_date(now + within, policy)
    due = [
        (p, home_atv_due_on(p, policy=policy))
        for p in properties
        if home_atv_due_by(p, horizon, policy=policy)
    ]
    return sorted(due, key=lambda pair: (pair[1] is not None, pair[1] or date.min))


def atv_label(due: date | None, now: datetime) -> str:
    """``ATV overdue since 3 Mar 2026``, ``ATV due 10 Jun 2026`` or ``ATV overdue: never
    visited``."""
    if due is None:
        return "ATV overdue: never visited"
    text = f"{due.day} {due.strftime('%b %Y')}"
    return f"ATV overdue since {text}" if due < now.astimezone(LOCAL).date() else f"ATV due {text}"


@dataclass(frozen=True)
class Nearby:
    """A property and how far it is from where the officer stands (None: unknown)."""

    record: Mapping[str, Any]
    metres: float | None


def by_distance(
    properties: Iterable[Mapping[str, Any]], here: tuple[float, float] | None
) -> list[Nearby]:
    """Properties nearest first; those without coordinates (or with no fix) by address."""
    rows: list[Nearby] = []
    for p in properties:
        where = None if here is None else position(p)
        metres = None if here is None or where is None else haversine_m(*here, *where)
        rows.append(Nearby(p, metres))
    return sorted(
        rows,
        key=lambda n: (
            n.metres is None,
            n.metres or 0.0,
            str(n.record.get("address") or ""),
        ),
    )


def distance_label(metres: float | None) -> str:
    """``80 m``, ``1.4 km``; empty when unknown."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} m"
    return f"{metres / 1000:.1f} km"


def property_label(prop: Mapping[str, Any] | None) -> str:
    """``12 Ash Court, WA7 1AB`` (or a placeholder when the home is not on this device)."""
    if not prop:
        return "Unknown address"
    address = str(prop.get("address") or "").strip()
    postcode = str(prop.get("postcode") or "").strip()
    if postcode and postcode not in address:
        return f"{address}, {postcode}" if address else postcode
    return address or "Unknown address"


def by_id(records: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Records by their id (the ``homes`` ``place_label`` is given)."""
    return {str(r["id"]): r for r in records if r.get("id")}


def place_label(
    record: Mapping[str, Any],
    homes: Mapping[str, Mapping[str, Any]],
    observation: Mapping[str, Any] | None = None,
) -> str:
    """Where a case or repair is, for a list row: its home's address; for a finding recorded
    at a walkabout spot with no home, the spot (``Walkabout spot 40 m from 1 Oak House, WA7
    1AA``): by the home the walkabout placed its ``observation`` near (on the walkabout's
    estate, as the observation itself says), else by the nearest home on this tablet, else
    by its coordinates."""
    home_id = str(record.get("property_id") or "")
    if home_id:
        return property_label(homes.get(home_id))
    where = position(record) or (None if observation is None else position(observation))
    seen_near = homes.get(str((observation or {}).get("nearest_property_id") or ""))
    if seen_near is not None:
        there = position(seen_near)
        if where is None or there is None:
            return f"Walkabout spot near {property_label(seen_near)}"
        return (
            f"Walkabout spot {distance_label(haversine_m(*where, *there))} from "
            f"{property_label(seen_near)}"
        )
    if where is None:
        return "No address recorded"
    ranked = ranked_by_distance(*where, homes.values())
    if not ranked:
        return f"Walkabout spot at {where[0]:.5f}, {where[1]:.5f}"
    metres, home = ranked[0]
    return f"Walkabout spot {distance_label(metres)} from {property_label(home)}"


class Places:
    """``place_label`` for many records: the homes on this tablet by id, and the walkabout
    observations a finding may have been raised from (named by its ``observation_id``, or
    by the observation's ``raised_id``)."""

    def __init__(
        self, homes: Iterable[Mapping[str, Any]], observations: Iterable[Mapping[str, Any]] = ()
    ) -> None:
        self.homes = by_id(homes)
        seen = list(observations)
        self.observations = by_id(seen)
        self.raised = {str(o["raised_id"]): o for o in seen if o.get("raised_id")}

    def observation_of(self, record: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The observation ``record`` was raised from, if it is on this tablet."""
        named = self.observations.get(str(record.get("observation_id") or ""))
        return named if named is not None else self.raised.get(str(record.get("id") or ""))

    def label(self, record: Mapping[str, Any]) -> str:
        spot = None if record.get("property_id") else self.observation_of(record)
        return place_label(record, self.homes, spot)


def matches_line(text: str, found: int, *, more: bool = False) -> str:
    """What a search found, in words: ``2 matches for “WA7 2AB”``, or that nothing did; with
    ``more`` (the list is full) that these are the first ones, and how to find the rest."""
    said = text.strip()
    if not found:
        return f"Nothing matches “{said}” on this tablet."
    if more:
        return f"The first {found} matches for “{said}”: type more to narrow the search"
    return f"{found} {'match' if found == 1 else 'matches'} for “{said}”"


NOT_YET_SENT = "reference not yet sent"


def reference_of(record: Mapping[str, Any]) -> str | None:
    """The server-issued reference (``ASB-2026-0042``, ``REP-2026-0007``), else an older
    ``ref``; None until the record's first push has been answered."""
    found = record.get("reference") or record.get("ref")
    return str(found) if found else None


def reference_text(record: Mapping[str, Any]) -> str:
    """The reference, or "reference not yet sent" (the server gives it at the first sync)."""
    return reference_of(record) or NOT_YET_SENT


def case_title(case: Mapping[str, Any]) -> str:
    """``ASB-2026-0042 · noise`` (or ``ASB case, reference not yet sent · noise``)."""
    ref = reference_of(case) or f"ASB case, {NOT_YET_SENT}"
    return f"{ref} · {case.get('category') or 'uncategorised'}"


def repair_reference_title(repair: Mapping[str, Any], title: str) -> str:
    """``REP-2026-0007 · Urgent repair · damp and mould`` (or "reference not yet sent")."""
    return f"{reference_of(repair) or f'Repair, {NOT_YET_SENT}'} · {title}"
