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
    return _qualifies_on(complaint, local_date(complaint.reported_at, policy), policy)


def _qualifies_on(complaint: Complaint, reported_on: date, policy: Policy) -> bool:
    """``qualifies``, with the local date of the report already known."""
    if complaint.incident_at is None:
        return True
    limit = add_months(local_date(complaint.incident_at, policy), policy.ct_qualify_months)
    return reported_on <= limit


def _window_starts(days: Sequence[date], months: int) -> list[int]:
    """For each complaint (oldest first), the first of the longest run ending at it that
    spans at most ``months`` calendar months (first date + months >= last date)."""
    starts: list[int] = []
    start = 0
    limit = add_months(days[0], months) if days else None
    for day in days:
        while limit is not None and day > limit:
            start += 1
            limit = add_months(days[start], months)
        starts.append(start)
    return starts


def _best(values: Iterable[int], starts: Sequence[int]) -> tuple[int, int, int]:
    """The largest value over the windows ending at each complaint, as (value, start, stop);
    the first such window wins, and a value of 0 counts nothing (an empty window)."""
    best = (0, 0, 0)
    for end, value in enumerate(values):
        if value > best[0]:
            best = (value, starts[end], end + 1)
    return best


def _verdict(
    items: Sequence[Complaint],
    days: Sequence[date],
    policy: Policy,
    complainant_id: str | None,
) -> tuple[bool, int, int, str]:
    """(eligible, start, stop, reason) over qualifying incidents, oldest first, with the
    local date of each report. Eligible: ``items[start:stop]`` is the window that made it.

    Every measure grows with the window, so the longest window ending at each complaint is
    the only one worth measuring. A report without a reporter is the complainant's.
    """
    months = policy.ct_window_months
    starts = _window_starts(days, months)
    best_note = ""
    for needed, words in (
        (policy.ct_min_complaints, "qualifying complaints"),
        (policy.ct_min_individuals, "different individuals complaining"),
        (policy.ct_min_hate_incidents, "hate-motivated incidents"),
    ):
        if needed is None:
            continue
        if words == "qualifying complaints":
            values: Iterable[int] = (end - start + 1 for end, start in enumerate(starts))
        elif words == "hate-motivated incidents":
            values = (
                sum(1 for c in items[start : end + 1] if c.hate_motivated)
                for end, start in enumerate(starts)
            )
        else:
            values = (
                len(
                    {
                        complainant_id if c.reporter_id is None else c.reporter_id
                        for c in items[start : end + 1]
                    }
                )
                for end, start in enumerate(starts)
            )
        found, first, stop = _best(values, starts)
        if found >= needed:
            reason = (
                f"Community Trigger: {found} {words} within {months} months (threshold {needed})"
            )
            return True, first, stop, reason
        if not best_note:
            best_note = f"{found} of {needed} {words} within {months} months"
    reason = f"No Community Trigger: {best_note}" if best_note else "No Community Trigger rule set"
    return False, 0, len(items), reason


def trigger_eligibility(
    incidents: Sequence[Complaint],
    reported_on: Sequence[date],
    *,
    policy: Policy,
    complainant_id: str | None = None,
) -> tuple[bool, str]:
    """(eligible, reason) of ``community_trigger`` from work already done: the distinct
    incidents (``distinct_incidents``) and the local date of each one's report."""
    qualifying: list[Complaint] = []
    days: list[date] = []
    for c, day in zip(incidents, reported_on, strict=True):
        if _qualifies_on(c, day, policy):
            qualifying.append(c)
            days.append(day)
    eligible, _, _, reason = _verdict(qualifying, days, policy, complainant_id)
    return eligible, reason


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
        if _qualifies_on(c, day, policy):
            qualifying.append(c)
            days.append(day)
    eligible, start, stop, reason = _verdict(qualifying, days, policy, complainant_id)
    return TriggerResult(eligible, tuple(qualifying[start:stop]), reason)
