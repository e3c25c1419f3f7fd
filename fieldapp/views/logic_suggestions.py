"""Suggested actions on a form, as plain functions: labels, each one's standing, deciding.

The ATV and repair screens show what the shared rules (``fieldapp.domain.suggestions``)
suggest for the form as it stands, each with the officer's standing decision, and let the
officer confirm one (its effect on the form: a referral ticked, an Awaab's Law class and a
priority set) or decline it with a reason. Decisions are appended to the record's
``action_decisions`` and never edited: the latest per action stands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fieldapp.domain.suggestions import Suggestion, decision_item, latest_decisions
from fieldapp.ids import to_wire
from fieldapp.sync.protocol import REFERRALS, SUGGESTED_ACTIONS

REFERRAL_LABELS = {
    "welfare_benefits": "Welfare benefits advice",
    "money_advice": "Money advice",
    "tenancy_support": "Tenancy support",
    "safeguarding": "Safeguarding",
    "fraud_check": "Tenancy fraud check",
    "succession": "Succession",
}
ACTION_LABELS = {
    **REFERRAL_LABELS,
    "follow_up_visit": "Follow-up visit",
    "awaab_significant": "Awaab's Law: significant hazard",
    "awaab_emergency": "Awaab's Law: emergency hazard, priority emergency",
}
assert set(REFERRAL_LABELS) == set(REFERRALS), "a referral without a label"
assert set(ACTION_LABELS) == set(SUGGESTED_ACTIONS), "a suggested action without a label"

# What confirming an Awaab's Law suggestion sets on the repair form.
REPAIR_EFFECTS: Mapping[str, Mapping[str, str]] = {
    "awaab_significant": {"awaab": "significant"},
    "awaab_emergency": {"awaab": "emergency", "priority": "emergency"},
}

Standing = Literal["open", "confirmed", "declined"]


@dataclass(frozen=True)
class Row:
    """One suggestion as the panel shows it."""

    action: str
    title: str
    reason: str
    standing: Standing
    note: str = ""  # who decided, and the reason of a decline


def rows(suggested: Sequence[Suggestion], decisions: Any) -> list[Row]:
    """The suggestions, each with the officer's standing decision on it."""
    latest = latest_decisions(decisions)
    out = []
    for s in suggested:
        held = latest.get(s.action)
        title = ACTION_LABELS.get(s.action, s.action)
        if held is None:
            out.append(Row(s.action, title, s.reason, "open"))
            continue
        declined = held.get("decision") == "declined"
        by = f" by {held['by']}" if held.get("by") else ""
        note = f"Declined{by}: {held.get('reason')}" if declined else f"Confirmed{by}"
        out.append(Row(s.action, title, s.reason, "declined" if declined else "confirmed", note))
    return out


def decide(
    decisions: Any,
    action: str,
    *,
    confirmed: bool,
    reason: str | None,
    user: Mapping[str, Any] | None,
    now: datetime,
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(the decisions with this one added, None) or (None, why it cannot be made)."""
    who = (user or {}).get("name") or (user or {}).get("username")
    try:
        item = decision_item(action, confirmed=confirmed, reason=reason,
                             by=str(who) if who else None, at=to_wire(now))  # fmt: skip
    except ValueError as exc:
        return None, str(exc)
    held = list(decisions) if isinstance(decisions, list) else []
    return [*held, item], None
