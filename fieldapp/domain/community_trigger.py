"""Complaints about one ASB problem, and Community Trigger (ASB Case Review) eligibility.

Source: ASB, Crime and Policing Act 2014 ss.104-105 and ``domain-rules.md``. Numbers from
``Policy``:

- A complaint *qualifies* when it was made within ``ct_qualify_months`` (1) calendar month of
  the behaviour: ``local date(reported_at) <= local date(incident_at) + 1 month``. A complaint
  without an incident time (the case's own receipt has none) is taken to be about current
  behaviour, so it qualifies.
- *Same incident*: one incident reported to several agencies (or twice to one) counts once.
  Two complaints are the same incident when both carry an ``incident_at`` and those are equal
  to the minute (UTC). Complaints without an incident time are never merged: nothing says
  they are the same. Of a group, the earliest report stands for it.
- Default rule: ``ct_min_complaints`` (3) qualifying complaints about the same problem (all
  complaints of one case are about its problem) within ``ct_window_months`` (6). "Within"
  is any window: eligible when some run of complaints spans at most 6 calendar months by
  London date (first report date + 6 months >= last report date). We use a sliding window,
  not "the 6 months before today", so the answer does not change as time passes without new
  reports, and the same data gives the same answer on the tablet and the server.
- Local variants, off unless set: ``ct_min_individuals`` (e.g. 5) different complainants
  within the window (a report without a reporter is taken to be the case's complainant);
  ``ct_min_hate_incidents`` (e.g. 1) qualifying hate-motivated incidents within the window.
- A manager may open a review for a vulnerable victim regardless: that is a decision, not
  a computation, and is recorded on the ``ct_review``.

The same grouping feeds the ASB threshold (``asb.py``), which counts reports, not incidents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fieldapp.domain.calendar import add_months, local_date
from fieldapp.domain.policy import Policy


@dataclass(frozen=True)
class Complaint:
    """One complaint about the problem: the case's receipt or one of its reports."""

    reported_at: datetime
    incident_at: datetime | None = None
    agency: str | None = None
    reporter_id: str | None = None
    hate_motivated: bool = False
    ref: str | None = None  # the record id it came from (case or report)


@dataclass(frozen=True)
class TriggerResult:
    """Whether a Community Trigger may be offered, which complaints count, and why."""

    eligible: bool
    counted: tuple[Complaint, ...]  # the qualifying distinct incidents, oldest first
    reason: str


def incident_key(complaint: Complaint) -> tuple[object, ...]:
    """Identity of the incident a complaint is about (see the module docstring)."""
    if complaint.incident_at is None:
        return ("report", complaint.ref, complaint.reported_at)
    minute = complaint.incident_at.replace(second=0, microsecond=0)
    return ("incident", minute)


def distinct_incidents(complaints: Iterable[Complaint]) -> list[Complaint]:
    """One complaint per incident (the earliest reported), oldest first.

    A merged incident is hate-motivated if any of its reports says so.
    """
    ordered = sorted(complaints, key=lambda c: (c.reported_at, c.ref or ""))
    kept: dict[tuple[object, ...], Complaint] = {}
    for c in ordered:
        key = incident_key(c)
        first = kept.get(key)
        if first is None:
            kept[key] = c
        elif c.hate_motivated and not first.hate_motivated:
            kept[key] = Complaint(
                first.reported_at, first.incident_at, first.agency, first.reporter_id, True,
                first.ref,
            )  # fmt: skip
    return sorted(kept.values(), key=lambda c: (c.reported_at, c.ref or ""))


def qualifies(complaint: Complaint, policy: Policy) -> bool:
    """Made within ``ct_qualify_months`` of the behaviour (London dates, inclusive)."""
    if complaint.incident_at is None:
        return True
    limit = add_months(local_date(complaint.incident_at, policy), policy.ct_qualify_months)
    return local_date(complaint.reported_at, policy) <= limit


def _within(first: date, last: date, policy: Policy) -> bool:
    return last <= add_months(first, policy.ct_window_months)


Measure = Callable[[Sequence[Complaint]], int]


def _count(window: Sequence[Complaint]) -> int:
    return len(window)


def _individuals(window: Sequence[Complaint]) -> int:
    return len({c.reporter_id for c in window})


def _hate(window: Sequence[Complaint]) -> int:
    return sum(1 for c in window if c.hate_motivated)


def _best_window(
    items: Sequence[Complaint], policy: Policy, measure: Measure
) -> tuple[int, tuple[Complaint, ...]]:
    """The largest ``measure`` over windows of at most ``ct_window_months``, and its members.

    Every measure here grows with the window, so the longest window ending at each
    complaint is the only one worth measuring.
    """
    days = [local_date(c.reported_at, policy) for c in items]
    best: tuple[int, tuple[Complaint, ...]] = (0, ())
    start = 0
    for end in range(len(items)):
        while not _within(days[start], days[end], policy):
            start += 1
        window = tuple(items[start : end + 1])
        value = measure(window)
        if value > best[0]:
            best = (value, window)
    return best


def community_trigger(
    complaints: Iterable[Complaint], *, policy: Policy, complainant_id: str | None = None
) -> TriggerResult:
    """Community Trigger eligibility of one problem from all its complaints.

    ``complainant_id`` stands in for reports that name no reporter (variant: individuals).
    """
    filled = [
        c
        if c.reporter_id is not None or complainant_id is None
        else Complaint(
            c.reported_at, c.incident_at, c.agency, complainant_id, c.hate_motivated, c.ref
        )
        for c in complaints
    ]
    qualifying = [c for c in distinct_incidents(filled) if qualifies(c, policy)]
    months = policy.ct_window_months
    checks: list[tuple[int | None, Measure, str]] = [
        (policy.ct_min_complaints, _count, "qualifying complaints"),
        (policy.ct_min_individuals, _individuals, "different individuals complaining"),
        (policy.ct_min_hate_incidents, _hate, "hate-motivated incidents"),
    ]
    best_note = ""
    for needed, measure, words in checks:
        if needed is None:
            continue
        found, window = _best_window(qualifying, policy, measure)
        if found >= needed:
            return TriggerResult(
                True,
                window,
                f"Community Trigger: {found} {words} within {months} months (threshold {needed})",
            )
        if not best_note:
            best_note = f"{found} of {needed} {words} within {months} months"
    return TriggerResult(
        False,
        tuple(qualifying),
        f"No Community Trigger: {best_note}" if best_note else "No Community Trigger rule set",
    )
