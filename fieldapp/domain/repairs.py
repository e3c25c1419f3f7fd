"""Repair due times and Awaab's Law deadlines.

Sources: ``docs/domain-rules.md`` (Repairs) and the Hazards in Social Housing (Prescribed
Requirements) (England) Regulations 2025 ("Awaab's Law"). Numbers from ``Policy``:

- Priority targets from ``reported_at``: emergency 24 elapsed hours; urgent 5, routine 20,
  planned 90 working days.
- Awaab's Law applies to hazards reported on or after ``awaab_start`` (27 October 2025,
  London date), and only when the officer classed the finding (``awaab``):
  - ``emergency``: any HHSRS hazard except crowding and space (``awaab_emergency_hazards``)
    — investigate and make safe within 24 hours of ``reported_at``;
  - ``significant``: the hazards of the law's current phase (``awaab_significant_hazards``,
    phase 1: damp and mould) — investigate within 10 working days of ``reported_at``
    (recording it on a visit makes the landlord aware); written summary within 3 working
    days and make safe within 5 working days of ``investigation_concluded_at``; further
    preventative work started within 12 weeks of it (end of that local day).
  A finding classed without a hazard recorded is given the class's deadlines (the class is
  the officer's judgement; the reason notes the missing hazard).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from fieldapp.domain.calendar import due_after, local_date
from fieldapp.domain.policy import Policy


@dataclass(frozen=True)
class RepairDeadlines:
    """The due times of one repair finding (None where a rule does not apply yet or at all)."""

    due_at: datetime | None = None
    investigate_by: datetime | None = None
    summary_by: datetime | None = None
    make_safe_by: datetime | None = None
    preventative_start_by: datetime | None = None
    reason: str = ""


def _words(hazard: str) -> str:
    return hazard.replace("_", " ")


def repair_deadlines(
    *,
    priority: str | None,
    reported_at: datetime | None,
    hazard: str | None = None,
    awaab: str | None = None,
    investigation_concluded_at: datetime | None = None,
    policy: Policy,
) -> RepairDeadlines:
    """All due times of a repair finding, and why."""
    parts: list[str] = []
    due_at: datetime | None = None
    target = policy.repair_targets.get(priority) if priority is not None else None
    if reported_at is None:
        return RepairDeadlines(reason="Report time not recorded: no due times")
    if target is None:
        parts.append("Priority not recorded: no repair target")
    else:
        due_at = due_after(reported_at, target, policy)
        parts.append(f"{str(priority).capitalize()} repair: complete within {target.describe()}")

    out = RepairDeadlines(due_at=due_at)
    if awaab in ("emergency", "significant"):
        if local_date(reported_at, policy) < policy.awaab_start:
            parts.append(
                f"Awaab's Law not applicable: reported before {policy.awaab_start.isoformat()}"
            )
        elif awaab == "emergency":
            if hazard is not None and hazard not in policy.awaab_emergency_hazards:
                parts.append(f"Awaab's Law: {_words(hazard)} is not an emergency hazard")
            else:
                by = due_after(reported_at, policy.awaab_emergency_target, policy)
                out = RepairDeadlines(due_at=due_at, investigate_by=by, make_safe_by=by)
                parts.append(
                    "Awaab's Law emergency hazard: investigate and make safe within "
                    f"{policy.awaab_emergency_target.describe()}"
                    + ("" if hazard is not None else " (hazard not recorded)")
                )
        elif hazard is not None and hazard not in policy.awaab_significant_hazards:
            parts.append(
                f"Awaab's Law: {_words(hazard)} is not yet a significant hazard under the law"
            )
        else:
            concluded = investigation_concluded_at
            out = replace(
                out, investigate_by=due_after(reported_at, policy.awaab_investigate, policy)
            )
            if concluded is not None:
                out = replace(
                    out,
                    summary_by=due_after(concluded, policy.awaab_summary, policy),
                    make_safe_by=due_after(concluded, policy.awaab_make_safe, policy),
                    preventative_start_by=due_after(concluded, policy.awaab_preventative, policy),
                )
            text = (
                "Awaab's Law significant hazard: investigate within "
                f"{policy.awaab_investigate.describe()}"
            )
            if concluded is None:
                text += "; summary, make-safe and preventative deadlines run from its conclusion"
            else:
                text += (
                    f"; summary within {policy.awaab_summary.describe()}, make safe within "
                    f"{policy.awaab_make_safe.describe()}, preventative work started within "
                    f"{policy.awaab_preventative.describe()} of the investigation concluding"
                )
            parts.append(text + ("" if hazard is not None else " (hazard not recorded)"))
    return replace(out, reason="; ".join(parts))
