"""Complaints about one ASB problem, and Community Trigger (ASB Case Review) eligibility.

Source: ASB, Crime and Policing Act 2014 ss.104-105 and ``docs/domain-rules.md``. Numbers from
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

from collections.abc import Iterable, Sequence
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


def _reported_order(c: Complaint) -> tuple[datetime, str]:
    return (c.reported_at, c.ref or "")


def distinct_incidents(complaints: Iterable[Complaint]) -> list[Complaint]:
    """One complaint per incident (the earliest reported), oldest first.

    A merged incident is hate-motivated if any of its reports says so.
    """
    ordered = sorted(complaints, key=_reported_order)
    if len(ordered) < 2:
        return ordered  # nothing to merge (a new case: its receipt alone)
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
    # Already oldest first: each incident keeps the place (and the time) of its first report.
    return list(kept.values())


def qualifies(complaint: Complaint, policy: Policy) -> bool:
    """Made within ``ct_qualify_months`` of the behaviour (London dates, inclusive)."""
    if complaint.incident_at is None:
        return True
    return qualifies_on(complaint.incident_at, local_date(complaint.reported_at, policy), policy)


def qualifies_on(incident_at: datetime | None, reported_on: date, policy: Policy) -> bool:
    """``qualifies``, from the incident time and the local date of the report."""
    if incident_at is None:
        return True
    return reported_on <= add_months(local_date(incident_at, policy), policy.ct_qualify_months)


def _window_starts(days: Sequence[date], months: int) -> list[int]:
    """For each complaint (oldest first), the first of the longest run ending at it that
    spans at most ``months`` calendar months (first date + months >= last date)."""
    if not days or len(days) == 1 and months >= 0:
        return [0] * len(days)  # a run of one spans no time
    starts: list[int] = []
    start = 0
    limit = add_months(days[0], months)
    for day in days:
        while day > limit:
            start += 1
            limit = add_months(days[start], months)
        starts.append(start)
    return starts


def trigger_verdict(
    reported_on: Sequence[date],
    reporters: Sequence[str | None],
    hate: Sequence[bool],
    *,
    policy: Policy,
) -> tuple[bool, int, int, str]:
    """(eligible, start, stop, reason) of the qualifying incidents, oldest first, given as
    the local date of each one's report, its reporter (the complainant where it names none)
    and its hate flag. ``start:stop`` are the incidents counted: the window that made it
    eligible, or all of them.

    Every measure grows with the window, so the longest window ending at each complaint is
    the only one worth measuring.
    """
    months = policy.ct_window_months
    starts = _window_starts(reported_on, months)
    best_note = ""
    for needed, words in (
        (policy.ct_min_complaints, "qualifying complaints"),
        (policy.ct_min_individuals, "different individuals complaining"),
        (policy.ct_min_hate_incidents, "hate-motivated incidents"),
    ):
        if needed is None:
            continue
        if words == "qualifying complaints":
            values = [end - start + 1 for end, start in enumerate(starts)]
        elif words == "hate-motivated incidents":
            values = [sum(hate[start : end + 1]) for end, start in enumerate(starts)]
        else:
            values = [len(set(reporters[start : end + 1])) for end, start in enumerate(starts)]
        # The first window with the largest value; a value of 0 counts nothing (no window).
        found, first, stop = 0, 0, 0
        for end, value in enumerate(values):
            if value > found:
                found, first, stop = value, starts[end], end + 1
        if found >= needed:
            reason = (
                f"Community Trigger: {found} {words} within {months} months (threshold {needed})"
            )
            return True, first, stop, reason
        if not best_note:
            best_note = f"{found} of {needed} {words} within {months} months"
    reason = f"No Community Trigger: {best_note}" if best_note else "No Community Trigger rule set"
    return False, 0, len(reported_on), reason


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
    qualifying: list[Complaint] = []
    days: list[date] = []
    for c in distinct_incidents(filled):
        day = local_date(c.reported_at, policy)
        if qualifies_on(c.incident_at, day, policy):
            qualifying.append(c)
            days.append(day)
    eligible, start, stop, reason = trigger_verdict(
        days,
        [c.reporter_id for c in qualifying],
        [c.hate_motivated for c in qualifying],
        policy=policy,
    )
    return TriggerResult(eligible, tuple(qualifying[start:stop]), reason)
