"""Open work: which ASB cases and repairs still need doing, and an Awaab's Law repair's next
stage.

One home for "open" and for the Awaab's Law stages, so My patch, the overview and the
property history agree. A case closed, or answered with advice (below the threshold), has no
clock; a repair completed or cancelled is done. The stages of an Awaab's Law repair
(``docs/domain-rules.md``, Repairs) are read from the record: the investigation is done once
``investigation_concluded_at`` is set or the home was made safe; making safe is done at
status ``made_safe``; the record holds no "summary sent" field, so the written summary is
taken as sent once the home is made safe; preventative work is done when the repair is
completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fieldapp.domain.wire import parse_time

CLOSED_CASE_STATUSES = frozenset({"closed", "advice_given"})
CLOSED_REPAIR_STATUSES = frozenset({"completed", "cancelled"})
# The Awaab's Law deadlines of a repair in the order they fall (ties are named together).
AWAAB_STAGES: tuple[tuple[str, str], ...] = (
    ("investigate_by", "Investigate"),
    ("summary_by", "Written summary"),
    ("make_safe_by", "Make safe"),
    ("preventative_start_by", "Start preventative work"),
)


def case_open(case: Mapping[str, Any]) -> bool:
    """An ASB case still being worked (not closed, not answered with advice)."""
    return case.get("status") not in CLOSED_CASE_STATUSES


def repair_open(repair: Mapping[str, Any]) -> bool:
    """A repair not yet completed or cancelled."""
    return repair.get("status") not in CLOSED_REPAIR_STATUSES


def next_awaab_stage(repair: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """The stage(s) due next on an Awaab's Law repair and when; None when nothing is pending."""
    status = repair.get("status")
    made_safe = status == "made_safe"
    done = {
        "investigate_by": parse_time(repair.get("investigation_concluded_at")) is not None
        or made_safe,
        "summary_by": made_safe,
        "make_safe_by": made_safe,
        "preventative_start_by": status == "completed",
    }
    pending = [
        (due, words)
        for name, words in AWAAB_STAGES
        if not done[name] and (due := parse_time(repair.get(name))) is not None
    ]
    if not pending:
        return None
    first = min(due for due, _ in pending)
    stages = [words for due, words in pending if due == first]
    return stages[0] + "".join(f", {s.lower()}" for s in stages[1:]), first


def repair_next_due(repair: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """What is due next on a repair and when: its response target (``due_at``, "Response")
    or, when one falls sooner, its next Awaab's Law stage (``next_awaab_stage``); None when
    neither is set. An emergency hazard's make-safe deadline (24 hours) comes before a
    routine repair's 20 working days, whatever priority the officer chose."""
    found: list[tuple[datetime, str]] = []
    due = parse_time(repair.get("due_at"))
    if due is not None:
        found.append((due, "Response"))
    stage = next_awaab_stage(repair)
    if stage is not None:
        found.append((stage[1], stage[0]))
    if not found:
        return None
    when, what = min(found, key=lambda item: item[0])
    return what, when
