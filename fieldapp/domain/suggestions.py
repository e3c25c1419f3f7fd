"""Suggested actions: what the rules say an officer should do next, and why.

Source: ``docs/domain-rules.md`` ("Suggested actions"). The tablet shows them live as a form
changes and the server recomputes them into the derived ``suggested_actions`` of a
``person``, a ``tenancy_visit`` and a ``repair``, a list of ``{"action", "reason"}``. The
officer confirms or declines each one; a decline needs a reason, and the decision is kept in
the record's ``action_decisions`` (see ``decisions``). A suggestion never acts by itself:
nothing here ticks a referral or changes a priority.

The rules (numbers from ``Policy``):

- ``succession`` only when a tenant (``policy.tenant_relationships``: sole or joint) has
  died, never another member of the household;
- ``fraud_check`` when an unverified occupant (an adult without ID seen) lives there;
- ``money_advice`` when arrears reach ``money_advice_weeks`` (4) weeks of rent;
- ``follow_up_visit`` within ``follow_up_days`` (28) when the tenant was absent or ID was not
  seen (only an answer of "no" counts: an unanswered question suggests nothing);
- on a repair, a hazard of the law's significant list (damp and mould) suggests Awaab's Law
  ``awaab_significant``; an emergency hazard (marked an imminent risk, or classed emergency)
  suggests ``awaab_emergency`` with priority emergency, and then the significant suggestion
  is left out (the emergency duty covers it). Awaab's Law covers hazards reported on or after
  ``awaab_start``.

A visit also lists its household's suggestions: a fraud check for an unverified occupant
living there on the visit day, and succession for a tenant who died in the year before it
(``atv_interval_months``: since the last annual visit should have been).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fieldapp.domain.calendar import add_months
from fieldapp.domain.household import gone_by
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import parse_day

# The actions that are not referrals; with the referral value set they make the wire's
# ``SUGGESTED_ACTIONS`` (``fieldapp.sync.protocol``).
FOLLOW_UP_VISIT = "follow_up_visit"
AWAAB_SIGNIFICANT = "awaab_significant"
AWAAB_EMERGENCY = "awaab_emergency"
OTHER_ACTIONS = (FOLLOW_UP_VISIT, AWAAB_SIGNIFICANT, AWAAB_EMERGENCY)


@dataclass(frozen=True)
class Suggestion:
    """One suggested action and the sentence that explains it."""

    action: str
    reason: str

    def wire(self) -> dict[str, str]:
        return {"action": self.action, "reason": self.reason}


# --- household -----------------------------------------------------------------------------
def succession(
    *, relationship: str | None, died_on: date | None, policy: Policy
) -> Suggestion | None:
    """A succession check when a tenant (sole or joint) has died; None for anyone else."""
    if died_on is None or relationship not in policy.tenant_relationships:
        return None
    who = "the lead tenant" if relationship == "lead_tenant" else "a joint tenant"
    return Suggestion(
        "succession",
        f"Succession: {who} died on {died_on.isoformat()}; check who may succeed to the tenancy",
    )


def fraud_check(*, unverified: bool) -> Suggestion | None:
    """A tenancy-fraud check when an adult lives there without ID seen."""
    if not unverified:
        return None
    return Suggestion("fraud_check", "Tenancy fraud check: an adult lives here without ID seen")


def person_suggestions(person: Mapping[str, Any], *, policy: Policy) -> list[Suggestion]:
    """What a ``person`` record suggests (succession, fraud check), in value-set order."""
    relationship = person.get("relationship")
    found = [
        fraud_check(unverified=person.get("status") == "unverified_occupant"
                    and parse_day(person.get("died_on")) is None),
        succession(
            relationship=relationship if isinstance(relationship, str) else None,
            died_on=parse_day(person.get("died_on")),
            policy=policy,
        ),
    ]  # fmt: skip
    return [s for s in found if s is not None]


def household_suggestions(
    persons: Iterable[Mapping[str, Any]], *, visit_day: date, policy: Policy
) -> list[Suggestion]:
    """A visit's view of its household: unverified occupants there on the visit day, and
    tenants who died in the year up to it. One suggestion per action (the first reason)."""
    found: dict[str, Suggestion] = {}
    for p in persons:
        died = parse_day(p.get("died_on"))
        if died is not None:
            recent = died <= visit_day < add_months(died, policy.atv_interval_months)
            relationship = p.get("relationship")
            hit = succession(
                relationship=relationship if isinstance(relationship, str) else None,
                died_on=died if recent else None,
                policy=policy,
            )
        else:
            unverified = p.get("status") == "unverified_occupant"
            hit = fraud_check(unverified=unverified and not gone_by(p, visit_day))
        if hit is not None:
            found.setdefault(hit.action, hit)
    return [found[a] for a in ("fraud_check", "succession") if a in found]


# --- the visit -----------------------------------------------------------------------------
def money_advice(
    *, arrears: float | None, weekly_rent: float | None, policy: Policy
) -> Suggestion | None:
    """Money advice when arrears reach ``money_advice_weeks`` weeks of rent."""
    if arrears is None or weekly_rent is None or weekly_rent <= 0 or arrears <= 0:
        return None
    weeks = arrears / weekly_rent
    if weeks < policy.money_advice_weeks:
        return None
    return Suggestion(
        "money_advice",
        f"Money advice: arrears are {weeks:.1f} weeks of rent "
        f"({policy.money_advice_weeks:g} or more)",
    )


def follow_up(
    *, tenant_present: bool | None, id_verified: bool | None, visit_day: date, policy: Policy
) -> Suggestion | None:
    """A follow-up visit when the tenant was absent or ID was not seen (a "no", not a blank)."""
    why = []
    if tenant_present is False:
        why.append("the tenant was not at home")
    if id_verified is False:
        why.append("ID was not seen")
    if not why:
        return None
    by = visit_day + timedelta(days=policy.follow_up_days)
    return Suggestion(
        FOLLOW_UP_VISIT,
        f"Follow-up visit by {by.isoformat()} ({policy.follow_up_days} days): " + " and ".join(why),
    )


def visit_suggestions(
    *,
    tenant_present: bool | None,
    id_verified: bool | None,
    arrears: float | None,
    weekly_rent: float | None,
    visit_day: date,
    household: Iterable[Mapping[str, Any]] = (),
    policy: Policy,
) -> list[Suggestion]:
    """Everything a tenancy visit suggests, in the order of the wire's value set."""
    found = [
        money_advice(arrears=arrears, weekly_rent=weekly_rent, policy=policy),
        *household_suggestions(household, visit_day=visit_day, policy=policy),
        follow_up(tenant_present=tenant_present, id_verified=id_verified, visit_day=visit_day,
                  policy=policy),
    ]  # fmt: skip
    return [s for s in found if s is not None]


# --- repairs -------------------------------------------------------------------------------
def repair_suggestions(
    *,
    hazard: str | None,
    imminent_risk: bool,
    awaab: str | None,
    reported_on: date | None,
    policy: Policy,
) -> list[Suggestion]:
    """Awaab's Law classes a repair finding suggests (the emergency one wins)."""
    if reported_on is not None and reported_on < policy.awaab_start:
        return []
    words = "the hazard" if hazard is None else hazard.replace("_", " ")
    emergency = imminent_risk or awaab == "emergency"
    if emergency and (hazard is None or hazard in policy.awaab_emergency_hazards):
        target = policy.awaab_emergency_target.describe()
        return [
            Suggestion(
                AWAAB_EMERGENCY,
                f"Awaab's Law emergency hazard: {words} is an imminent risk; set priority "
                f"emergency, investigate and make safe within {target}",
            )
        ]
    if hazard is not None and hazard in policy.awaab_significant_hazards:
        return [
            Suggestion(
                AWAAB_SIGNIFICANT,
                f"Awaab's Law significant hazard: {words}; investigate within "
                f"{policy.awaab_investigate.describe()} of becoming aware",
            )
        ]
    return []


# --- the officer's decisions ---------------------------------------------------------------
DECISIONS = ("confirmed", "declined")


def decision_item(
    action: str, *, confirmed: bool, reason: str | None, by: str | None, at: str
) -> dict[str, Any]:
    """One entry of ``action_decisions``. A decline without a reason is refused here, as the
    wire refuses it (``validation_failed``): the reason is what a manager reads later."""
    why = (reason or "").strip() or None
    if not confirmed and why is None:
        raise ValueError("A decline needs a reason")
    return {
        "action": action,
        "decision": "confirmed" if confirmed else "declined",
        "reason": why,
        "by": by,
        "at": at,
    }


def latest_decisions(items: Any) -> dict[str, Mapping[str, Any]]:
    """The standing decision on each action: the latest by ``at`` (decisions from two
    tablets are joined as a set on the server, so an action may have several)."""
    latest: dict[str, Mapping[str, Any]] = {}
    if not isinstance(items, list):
        return latest
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("action"), str):
            continue
        held = latest.get(item["action"])
        if held is None or str(item.get("at") or "") >= str(held.get("at") or ""):
            latest[item["action"]] = item
    return latest
