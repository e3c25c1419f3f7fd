"""Pure housing rules (England) and the policy that holds their numbers.

Standard library and ``holidays`` only; no clock, no database: ``now`` is always a parameter.
Imported unchanged by the tablet app and the server, so both compute the same derived fields.

Entry points: ``derive`` / ``dependents`` (``derive.py``) for stored records; for live
previews in forms, the rule functions re-exported here take plain typed arguments.
"""

from fieldapp.domain.asb import Risk, Triage, assess_risk, assess_vulnerability, triage_case
from fieldapp.domain.atv import atv_due_on, atv_overdue
from fieldapp.domain.calendar import add_working_days, due_after, is_working_day
from fieldapp.domain.community_trigger import Complaint, TriggerResult, community_trigger
from fieldapp.domain.derive import Lookup, dependents, derive
from fieldapp.domain.geo import by_distance, haversine_m, nearest, nearest_block
from fieldapp.domain.household import (
    HouseholdAssessment,
    Occupant,
    assess_household,
    bedroom_standard,
    occupants_on,
    size_criteria,
)
from fieldapp.domain.policy import DEFAULT_POLICY, Deadline, Policy
from fieldapp.domain.repairs import RepairDeadlines, repair_deadlines
from fieldapp.domain.walkabout import (
    Action,
    WalkaboutResult,
    observation_action,
    walkabout_actions,
    walkabout_result,
)

__all__ = [
    "DEFAULT_POLICY",
    "Action",
    "Complaint",
    "Deadline",
    "HouseholdAssessment",
    "Lookup",
    "Occupant",
    "Policy",
    "RepairDeadlines",
    "Risk",
    "Triage",
    "TriggerResult",
    "WalkaboutResult",
    "add_working_days",
    "assess_household",
    "assess_risk",
    "assess_vulnerability",
    "atv_due_on",
    "atv_overdue",
    "bedroom_standard",
    "by_distance",
    "community_trigger",
    "dependents",
    "derive",
    "due_after",
    "haversine_m",
    "is_working_day",
    "nearest",
    "nearest_block",
    "observation_action",
    "occupants_on",
    "repair_deadlines",
    "size_criteria",
    "triage_case",
    "walkabout_actions",
    "walkabout_result",
]
