"""The policy: every number the housing rules use, with the defaults of ``docs/domain-rules.md``.

Landlords and councils differ, so rule code never holds a number: it reads one from a
``Policy``. ``Policy()`` gives the defaults (England, Clarion's ASB slides, the Community
Trigger of the ASB, Crime and Policing Act 2014 ss.104-105, Awaab's Law as in force from
27 October 2025, the English Housing Survey bedroom standard, the housing benefit / universal
credit size criteria). A landlord's variant is ``dataclasses.replace(Policy(), ...)``.

The policy is frozen and its mappings are read-only, so one instance can be shared by threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, time
from types import MappingProxyType
from typing import Literal, TypeVar

DeadlineUnit = Literal["hours", "working_days", "days"]


@dataclass(frozen=True)
class Deadline:
    """A response target: ``amount`` elapsed hours, working days or calendar days.

    Hours are elapsed time (weekends, holidays and clock changes included). Working and
    calendar days count from the local day of the start (day 0) and end at the policy's
    end-of-day time on the Nth following day.
    """

    amount: int
    unit: DeadlineUnit

    def describe(self) -> str:
        """``"24 hours"``, ``"5 working days"``, ``"1 day"``."""
        words = {"hours": "hour", "working_days": "working day", "days": "day"}[self.unit]
        return f"{self.amount} {words}{'' if self.amount == 1 else 's'}"


V = TypeVar("V")


def _frozen_map(values: Mapping[str, V]) -> Mapping[str, V]:
    """A read-only copy, so a shared policy cannot be changed under another thread."""
    return MappingProxyType(dict(values))


# The 29 HHSRS hazards (wire names). Awaab's Law emergency hazards are all of them but
# crowding and space; its significant hazards are widened in phases (phase 1: damp and mould).
HHSRS_HAZARDS: tuple[str, ...] = (
    "damp_and_mould", "excess_cold", "excess_heat", "asbestos_and_mmf", "biocides",
    "carbon_monoxide", "lead", "radiation", "uncombusted_fuel_gas", "volatile_organic_compounds",
    "crowding_and_space", "entry_by_intruders", "lighting", "noise",
    "domestic_hygiene_pests_refuse", "food_safety", "personal_hygiene_sanitation_drainage",
    "water_supply", "falls_baths", "falls_on_level", "falls_on_stairs", "falls_between_levels",
    "electrical", "fire", "flames_hot_surfaces", "collision_entrapment", "explosions",
    "amenities_position_operability", "structural_collapse",
)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    """Every number of the rules. Defaults are those of ``docs/domain-rules.md``."""

    # --- time -------------------------------------------------------------------------
    timezone: str = "Europe/London"
    # Bank holidays: ``holidays.country_holidays(holiday_country, subdiv=holiday_subdiv)``.
    # Without the subdivision, Easter Monday and the Summer bank holiday are missing.
    holiday_country: str = "GB"
    holiday_subdiv: str = "ENG"
    # Extra non-working days a landlord closes on (e.g. a one-off office closure).
    extra_closed_days: frozenset[date] = frozenset()
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday..Friday
    end_of_day: time = time(23, 59, 59)
    # Report and repair times more than this far ahead of the receiving clock are refused
    # (a slip of the keyboard would move a legal clock); a little allows for clock drift.
    future_tolerance_minutes: int = 5

    # --- ASB (Clarion) ----------------------------------------------------------------
    asb_priority: Mapping[str, int] = field(
        default_factory=lambda: _frozen_map({"crime": 1, "noise": 2, "other": 3})
    )
    urgent_crime_target: Deadline = Deadline(24, "hours")
    asb_targets: Mapping[str, Deadline] = field(
        default_factory=lambda: _frozen_map(
            {
                "crime": Deadline(5, "working_days"),
                "noise": Deadline(5, "working_days"),
                "other": Deadline(5, "working_days"),
            }
        )
    )
    # Categories always answered (category 1); thresholds apply to the others.
    asb_threshold_exempt: frozenset[str] = frozenset({"crime"})
    vulnerable_age: int = 75  # "over 75": aged 75 or more at receipt
    threshold_reports: int = 2  # at least 2 reports about the same problem ...
    threshold_window_days: int = 28  # ... within 28 days (London calendar days, inclusive)

    # --- risk assessment (12 questions, 0-16) -----------------------------------------
    # Points at most per question: yes/no questions score 1, the 0-3 scales 3.
    risk_points: Mapping[str, int] = field(
        default_factory=lambda: _frozen_map(
            {
                "hate_or_targeted": 1,
                "threats_or_violence": 1,
                "repeat_3_in_3_months": 1,
                "health_impact": 3,
                "unsafe_at_home": 3,
                "considering_moving": 1,
                "disability": 1,
                "over_75_or_child": 1,
                "isolated": 1,
                "other_agency_support": 1,
                "personal_budget": 1,
                "safeguarding_concern": 1,
            }
        )
    )
    # Any of these answered yes makes the risk high, whatever the score.
    risk_red_flags: tuple[str, ...] = (
        "hate_or_targeted",
        "threats_or_violence",
        "self_harm_thoughts",
    )
    risk_high_score: int = 10  # score >= 10 -> high
    risk_medium_score: int = 5  # 5..9 -> medium; below -> standard
    # A hate-motivated case or report is the "hate" red flag even if the answer was left blank.
    hate_flag_is_red_flag: bool = True

    # --- Community Trigger (ASB, Crime and Policing Act 2014 ss.104-105) ---------------
    ct_qualify_months: int = 1  # a complaint qualifies if made within 1 month of the behaviour
    ct_window_months: int = 6
    ct_min_complaints: int | None = 3  # default rule: 3 qualifying complaints in 6 months
    ct_min_individuals: int | None = None  # local variant: e.g. 5 different individuals
    ct_min_hate_incidents: int | None = None  # local variant: e.g. 1 hate-motivated incident

    # --- repairs ----------------------------------------------------------------------
    repair_targets: Mapping[str, Deadline] = field(
        default_factory=lambda: _frozen_map(
            {
                "emergency": Deadline(24, "hours"),
                "urgent": Deadline(5, "working_days"),
                "routine": Deadline(20, "working_days"),
                "planned": Deadline(90, "working_days"),
            }
        )
    )
    awaab_start: date = date(2025, 10, 27)  # hazards reported on or after this local date
    awaab_emergency_hazards: frozenset[str] = frozenset(
        h for h in HHSRS_HAZARDS if h != "crowding_and_space"
    )
    awaab_significant_hazards: frozenset[str] = frozenset({"damp_and_mould"})  # phase 1
    awaab_emergency_target: Deadline = Deadline(24, "hours")  # investigate and make safe
    awaab_investigate: Deadline = Deadline(10, "working_days")  # from becoming aware
    awaab_summary: Deadline = Deadline(3, "working_days")  # from the investigation concluding
    awaab_make_safe: Deadline = Deadline(5, "working_days")  # from the investigation concluding
    awaab_preventative: Deadline = Deadline(12 * 7, "days")  # 12 weeks from it concluding

    # --- household --------------------------------------------------------------------
    bs_adult_age: int = 21  # bedroom standard: own room at 21+
    bs_teen_age: int = 10  # 10..20 share only with the same sex
    sc_adult_age: int = 16  # size criteria: own room at 16+
    sc_any_sex_under: int = 10  # two children under 10 share whatever their sex
    sc_reduction_one_spare_pct: int = 14  # housing cost cut for one spare bedroom
    sc_reduction_two_plus_spare_pct: int = 25  # ... for two or more
    atv_interval_months: int = 12

    # --- suggested actions ------------------------------------------------------------
    # Succession is suggested only when one of these dies (a sole or joint tenant).
    tenant_relationships: frozenset[str] = frozenset({"lead_tenant", "joint_tenant"})
    money_advice_weeks: float = 4.0  # arrears / weekly rent at or above this -> money advice
    follow_up_days: int = 28  # tenant absent or ID not seen -> follow-up visit within 28 days

    # --- clocks on the screens ---------------------------------------------------------
    # A response or repair clock this close is "due soon" (My patch, the overview, the forms).
    due_soon_hours: float = 24.0

    # --- walkabout --------------------------------------------------------------------
    grade_points: Mapping[str, int] = field(
        default_factory=lambda: _frozen_map(
            {"good": 3, "satisfactory": 2, "poor": 1, "very_poor": 0}
        )
    )
    graded_items: tuple[str, ...] = (
        "litter", "graffiti", "fly_tipping", "lighting", "grounds", "bin_stores", "door_entry",
        "signage",
    )  # fmt: skip
    pass_mark_pct: float = 50.0
    fail_on_offensive_graffiti: bool = True
    # Observation actions: key is the kind, or "<kind>:offensive" for the offensive variant,
    # which wins over the plain kind. Kinds not listed raise no timed action.
    observation_targets: Mapping[str, Deadline] = field(
        default_factory=lambda: _frozen_map(
            {
                "graffiti:offensive": Deadline(24, "hours"),
                "fly_tipping": Deadline(5, "working_days"),
            }
        )
    )
    fire_safety_action_target: Deadline | None = None  # a Not met raises an action, untimed
    # An observation is placed at a home or a block only this close to it: one logged in a
    # car park or on a path names no resident's home from across the estate, and a case or
    # repair raised from it is not filed against that home.
    near_home_max_m: float = 100.0

    def __hash__(self) -> int:
        # Read-only mappings are not hashable; hash their items so a policy can key a cache.
        return hash(
            tuple(
                tuple(sorted(v.items())) if isinstance(v, Mapping) else v
                for v in (getattr(self, f.name) for f in fields(self))
            )
        )


DEFAULT_POLICY = Policy()
