"""The wire schema shared by the tablets and the server: entities, fields, value sets, limits.

One registry (``ENTITIES``) says, for every entity of ``docs/sync-protocol.md``, which fields
exist, their JSON types, which are derived (computed by the domain code, read-only to clients),
which are restricted (never sent to partner roles), how concurrent edits of a field merge, and
which entities are reference data, append-only, or visible to partners. The device store, the
server tables, the server's projection and both sides' validation are all driven from here, so a
field added here is added everywhere. Standard library only, besides the value lists the rules
own (the HHSRS hazards, the suggested actions), imported from ``fieldapp.domain``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from fieldapp.domain.policy import HHSRS_HAZARDS
from fieldapp.domain.suggestions import DECISIONS, OTHER_ACTIONS
from fieldapp.domain.wire import MAX_YEAR, MIN_YEAR

SCHEMA_VERSION: Final = 1
ACCEPTED_SCHEMA_VERSIONS: Final = frozenset({SCHEMA_VERSION, SCHEMA_VERSION - 1})
MAX_MUTATIONS_PER_PUSH: Final = 500
DEFAULT_PULL_LIMIT: Final = 1000
MAX_PULL_LIMIT: Final = 1000
API_PREFIX: Final = "/api/v1"

Role = Literal["officer", "manager", "pcso", "councillor"]
ROLES: Final[tuple[str, ...]] = ("officer", "manager", "pcso", "councillor")
PARTNER_ROLES: Final = frozenset({"pcso", "councillor"})
STAFF_ROLES: Final = frozenset({"officer", "manager"})

FieldType = Literal["str", "int", "float", "bool", "datetime", "date", "list", "dict", "any"]
# How a field changed on both sides to different values is merged (docs/sync-protocol.md, Merge):
# ``review`` keeps the server value and files a conflict; ``lww`` takes the later write;
# ``max`` keeps the higher value of an ordered scale; ``union`` joins two lists as sets.
MergePolicy = Literal["review", "lww", "max", "union"]

# --- value sets --------------------------------------------------------------------------
ASB_CATEGORIES: Final = ("crime", "noise", "other")
ASB_STATUSES: Final = ("open", "advice_given", "action_plan", "monitoring", "closed")
HARM_TYPES: Final = ("personal", "community", "environmental")
RISK_LEVELS: Final = ("standard", "medium", "high")
AGENCIES: Final = ("landlord", "police", "council", "other")
SEXES: Final = ("F", "M", "X")
RELATIONSHIPS: Final = ("lead_tenant", "joint_tenant", "partner", "child", "relative", "other")
PERSON_STATUSES: Final = ("member", "unverified_occupant")
REPAIR_PRIORITIES: Final = ("planned", "routine", "urgent", "emergency")  # low → high
AWAAB_CLASSES: Final = ("none", "significant", "emergency")  # low → high
REPAIR_STATUSES: Final = ("open", "investigating", "made_safe", "completed", "cancelled")
# The 29 HHSRS hazards: one list, kept with the Awaab's Law rules that read it.
HAZARDS: Final = HHSRS_HAZARDS
REFERRALS: Final = (
    "welfare_benefits", "money_advice", "tenancy_support", "safeguarding", "fraud_check",
    "succession",
)  # fmt: skip
# What the rules may suggest (``fieldapp.domain.suggestions``): a referral or another action.
SUGGESTED_ACTIONS: Final = (*REFERRALS, *OTHER_ACTIONS)
ACTION_DECISIONS: Final = DECISIONS
PROPERTY_CONDITIONS: Final = ("good", "fair", "poor")
BEDROOM_STANDARD_RESULTS: Final = ("overcrowded", "at_standard", "one_above", "under_occupied")
GRADE_ITEMS: Final = (
    "litter", "graffiti", "fly_tipping", "lighting", "grounds", "bin_stores", "door_entry",
    "signage",
)  # fmt: skip
GRADES: Final = ("good", "satisfactory", "poor", "very_poor")
WALKABOUT_RESULTS: Final = ("pass", "fail")
PARTICIPANT_ROLES: Final = ("officer", "manager", "pcso", "councillor", "other")
OBSERVATION_KINDS: Final = (
    "fly_tipping", "graffiti", "litter", "lighting", "bin_store", "grounds", "fire_safety",
    "door_entry", "vandalism", "abandoned_vehicle", "other",
)  # fmt: skip
CONFLICT_STATUSES: Final = ("open", "resolved")
CONFLICT_RESOLUTIONS: Final = ("kept", "proposed", "value")
RISK_ANSWER_KEYS: Final = (
    "hate_or_targeted", "threats_or_violence", "self_harm_thoughts", "repeat_3_in_3_months",
    "health_impact", "unsafe_at_home", "considering_moving", "disability", "over_75_or_child",
    "isolated", "other_agency_support", "personal_budget", "safeguarding_concern",
)  # fmt: skip
# A pseudo-field naming the record's existence in a delete-versus-edit conflict.
DELETED_FIELD: Final = "_deleted"


@dataclass(frozen=True)
class Field:
    """One field of an entity as it travels on the wire."""

    name: str
    type: FieldType
    required: bool = False  # must be present (non-null) when the record is created
    enum: tuple[str, ...] | None = None  # allowed values (for a list: of each item)
    derived: bool = False  # computed by the shared domain code; read-only to clients
    # Derived, but given by the server once (a case's reference at its first push), not
    # computed by the domain code: the device shows it once a push result or pull brings it.
    issued: bool = False
    restricted: bool = False  # personal data: absent from partner projections
    merge: MergePolicy = "review"
    ref: str | None = None  # the entity an id field points at
    # For an id whose entity another field names (a note's ``parent_id`` by ``parent_entity``).
    ref_from: str | None = None
    # The user who made the record: the server takes it from the token (must match if sent).
    author: bool = False
    max_length: int | None = None  # for strings
    minimum: float | None = None  # for numbers
    maximum: float | None = None  # for numbers
    # For a value whose inner shape docs/sync-protocol.md gives (an object's keys, a list's items, a
    # hash's form): what is wrong with a well-typed, non-null value, or None. The answer is a
    # whole sentence naming the field (and keys or positions), never the value.
    shape: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class Entity:
    """One entity: its fields (``id`` first) and how it may be written and seen."""

    name: str
    fields: tuple[Field, ...]
    reference: bool = False  # imported on the server; read-only on devices
    append_only: bool = False  # created once, never edited nor deleted; never conflicts
    # Once created, only these fields may change (None: every writable field). A photo keeps
    # its bytes, parent and place for good; only its caption is edited, and it may be deleted.
    editable_after_create: tuple[str, ...] | None = None
    server_only: bool = False  # created by the server (conflicts); devices may only resolve
    partner_visible: bool = False  # may reach pcso / councillor devices (projected)
    partner_writable: bool = False  # pcso / councillor may create it on joined walkabouts
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)
    # Fields a creating patch must hold (``id`` is the mutation's): checked on every push.
    required_on_create: tuple[Field, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        required = tuple(f for f in self.fields if f.required and f.name != "id")
        object.__setattr__(self, "required_on_create", required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def writable(self) -> tuple[str, ...]:
        """Fields a client may put in a patch (not ``id``, not derived)."""
        return tuple(f.name for f in self.fields if f.name != "id" and not f.derived)

    @property
    def derived(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.derived)

    @property
    def computed(self) -> tuple[str, ...]:
        """Derived fields the shared domain code computes (not the server-issued ones)."""
        return tuple(f.name for f in self.fields if f.derived and not f.issued)

    @property
    def restricted(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.restricted)


def _id(
    name: str = "id", *, ref: str | None = None, required: bool = False, restricted: bool = False
) -> Field:
    return Field(name, "str", required=required, ref=ref, restricted=restricted, max_length=64)


def _text(name: str, *, restricted: bool = False, required: bool = False) -> Field:
    return Field(name, "str", restricted=restricted, required=required, max_length=10_000)


def _enum(name: str, values: tuple[str, ...], **kw: Any) -> Field:
    return Field(name, "str", enum=values, **kw)


def _issued_reference() -> Field:
    """``ASB-2026-0001`` / ``REP-2026-0001``: given by the server at the record's first push."""
    return Field("reference", "str", derived=True, issued=True, max_length=40)


# The prefix of the server-issued ``reference`` of each entity that has one.
REFERENCE_PREFIXES: Final[Mapping[str, str]] = {"asb_case": "ASB", "repair": "REP"}


# --- inner shapes (docs/sync-protocol.md, "Values: sets, shapes and text") ---------------
# Each answers a sentence naming the field and, for an object, the registry's key or, for a
# list, the item's position (1-based) — never a submitted key or value.
RISK_SCALE_KEYS: Final = ("health_impact", "unsafe_at_home")  # 0-3; the other answers yes/no
_SHA256_RE = re.compile(r"[0-9a-f]{64}")  # fullmatch: "$" would let a newline through


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_time(value: Any) -> bool:
    """An ISO 8601 time with a ``T`` and an offset (the wire's datetime)."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    # Beyond the years the rules read (``domain.wire``), a time would read as no time at all:
    # a repair "reported" in 2201 would have no clock, and no future-time guard would see it.
    return parsed.utcoffset() is not None and MIN_YEAR <= parsed.year <= MAX_YEAR


def _risk_answers(value: Any) -> str | None:
    for key, answer in value.items():
        if key not in RISK_ANSWER_KEYS:
            return "risk_answers holds a key that is not one of the risk questions"
        if answer is None:
            continue  # not answered: counts as no / 0, like a missing key
        if key in RISK_SCALE_KEYS:
            if not _whole(answer) or not 0 <= answer <= 3:
                return f"risk_answers.{key} must be a whole number from 0 to 3"
        elif not isinstance(answer, bool):
            return f"risk_answers.{key} must be true or false"
    return None


def _grades(value: Any) -> str | None:
    for item, grade in value.items():
        if item not in GRADE_ITEMS:
            return f"grades may only grade {', '.join(GRADE_ITEMS)}"
        if grade is not None and grade not in GRADES:
            return f"grades.{item} must be one of {', '.join(GRADES)}"
    return None


def _participants(value: Any) -> str | None:
    for i, person in enumerate(value, 1):
        where = f"participants item {i}"
        if not isinstance(person, dict):
            return f"{where} must be an object with user_id, name and role"
        if not set(person) <= {"user_id", "name", "role"}:
            return f"{where} may only hold user_id, name and role"
        user_id, name = person.get("user_id"), person.get("name")
        if user_id is not None and not (isinstance(user_id, str) and 0 < len(user_id) <= 64):
            return f"{where}: user_id must be null or a string of 1-64 characters"
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            return f"{where}: name must be a string of 1-200 characters"
        if person.get("role") not in PARTICIPANT_ROLES:
            return f"{where}: role must be one of {', '.join(PARTICIPANT_ROLES)}"
    return None


def _ids(name: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        for i, item in enumerate(value, 1):
            if not isinstance(item, str) or not 0 < len(item) <= 64:
                return f"{name} item {i} must be an id (a string of 1-64 characters)"
        return None

    return check


def _sha256(value: Any) -> str | None:
    if not _SHA256_RE.fullmatch(value):
        return "sha256 must be 64 lowercase hexadecimal digits"
    return None


def _applicant(value: Any) -> str | None:
    if not set(value) <= {"name", "kind", "consent"}:
        return "applicant may only hold name, kind and consent"
    for key in ("name", "kind"):
        text = value.get(key)
        if text is not None and not (isinstance(text, str) and len(text) <= 200):
            return f"applicant.{key} must be a string of at most 200 characters"
    if value.get("consent") is not None and not isinstance(value["consent"], bool):
        return "applicant.consent must be true or false"
    return None


def _recommendations(value: Any) -> str | None:
    for i, rec in enumerate(value, 1):
        where = f"recommendations item {i}"
        if not isinstance(rec, dict) or not set(rec) <= {"text", "owner", "due_on"}:
            return f"{where} must be an object with text, owner and due_on"
        for key, text in rec.items():
            if text is not None and not (isinstance(text, str) and len(text) <= 10_000):
                return f"{where}: {key} must be a string"
    return None


def _decisions(value: Any) -> str | None:
    for i, item in enumerate(value, 1):
        where = f"action_decisions item {i}"
        if not isinstance(item, dict) or not set(item) <= {
            "action",
            "decision",
            "reason",
            "by",
            "at",
        }:
            return f"{where} must be an object with action, decision, reason, by and at"
        if item.get("action") not in SUGGESTED_ACTIONS:
            return f"{where}: action must be one of {', '.join(SUGGESTED_ACTIONS)}"
        if item.get("decision") not in ACTION_DECISIONS:
            return f"{where}: decision must be confirmed or declined"
        reason = item.get("reason")
        if reason is not None and not (isinstance(reason, str) and len(reason) <= 1000):
            return f"{where}: reason must be a string of at most 1000 characters"
        if item["decision"] == "declined" and not (reason or "").strip():
            return f"{where}: a decline needs a reason"
        by = item.get("by")
        if by is not None and not (isinstance(by, str) and len(by) <= 200):
            return f"{where}: by must be a string of at most 200 characters"
        at = item.get("at")
        if not isinstance(at, str) or not _is_time(at):
            return f"{where}: at must be an ISO 8601 time with an offset"
    return None


def _suggestion_fields() -> tuple[Field, Field]:
    """The officer's answers to the suggestions, then what the rules suggest.

    ``action_decisions`` from two tablets are joined (``union``): each decision is a fact
    about one moment, and the latest per action stands. ``suggested_actions`` is
    ``[{"action", "reason"}]``, computed on both sides.
    """
    return (
        Field("action_decisions", "list", restricted=True, merge="union", shape=_decisions),
        Field("suggested_actions", "list", derived=True, restricted=True),
    )


_PARENTS = ("walkabout", "observation", "asb_case", "repair", "tenancy_visit", "property")

ENTITIES: Final[Mapping[str, Entity]] = {
    e.name: e
    for e in (
        # The staff directory: every user as a name to pick, sent to every signed-in device.
        # Written by the server from its users; no username, password data or contact details.
        Entity(
            "staff",
            (
                _id(),
                Field("display_name", "str", required=True, max_length=200),
                _enum("role", ROLES, required=True),
                Field("patch_ids", "list", shape=_ids("patch_ids")),
                Field("active", "bool"),
            ),
            reference=True,
            partner_visible=True,
        ),
        Entity(
            "patch",
            (
                _id(),
                Field("name", "str", required=True, max_length=200),
                Field("officer_ids", "list", shape=_ids("officer_ids")),
            ),
            reference=True,
        ),
        Entity(
            "property",
            (
                _id(),
                Field("uprn", "str", required=True, max_length=12),
                _id("patch_id", ref="patch", required=True),
                Field("estate", "str", required=True, max_length=200),
                Field("block", "str", max_length=200),
                Field("address", "str", required=True, max_length=500),
                Field("postcode", "str", required=True, max_length=10),
                Field("lat", "float", minimum=-90, maximum=90),
                Field("lon", "float", minimum=-180, maximum=180),
                Field("bedrooms", "int", required=True),
                Field("tenancy_ref", "str", restricted=True, max_length=40),
                Field("last_atv_on", "date", restricted=True),
                Field("atv_due_on", "date", derived=True, restricted=True),
            ),
            reference=True,
            partner_visible=True,
        ),
        Entity(
            "person",
            (
                _id(),
                _id("property_id", ref="property", required=True),
                Field("name", "str", required=True, restricted=True, max_length=200),
                Field("date_of_birth", "date", restricted=True),
                _enum("sex", SEXES, restricted=True),
                _enum("relationship", RELATIONSHIPS, restricted=True),
                _id("partner_id", ref="person"),
                _enum("status", PERSON_STATUSES, restricted=True),
                Field("moved_in_on", "date", restricted=True),
                Field("moved_out_on", "date", restricted=True),
                Field("died_on", "date", restricted=True),
                # A disabled child who cannot share a bedroom (size criteria).
                Field("cannot_share", "bool", restricted=True),
                *_suggestion_fields(),
            ),
        ),
        Entity(
            "asb_case",
            (
                _id(),
                Field("ref", "str", max_length=40),
                _issued_reference(),
                _id("property_id", ref="property"),
                Field("lat", "float", minimum=-90, maximum=90),
                Field("lon", "float", minimum=-180, maximum=180),
                _enum("category", ASB_CATEGORIES, required=True),
                Field("urgent_crime", "bool"),
                Field("hate_motivated", "bool"),
                _enum("harm_type", HARM_TYPES),
                _text("description", restricted=True),
                Field("received_at", "datetime", required=True),
                Field("incident_at", "datetime"),
                _id("complainant_id", ref="person"),
                Field("over_75", "bool", restricted=True),
                Field("other_org_support", "bool", restricted=True),
                Field("personal_budget", "bool", restricted=True),
                Field("vulnerable_by_judgement", "bool", restricted=True),
                Field("risk_answers", "dict", restricted=True, shape=_risk_answers),
                _enum("status", ASB_STATUSES),
                Field("priority", "int", derived=True),
                Field("vulnerable", "bool", derived=True, restricted=True),
                Field("threshold_applies", "bool", derived=True),
                Field("threshold_met", "bool", derived=True),
                Field("due_at", "datetime", derived=True),
                _enum("risk_level", RISK_LEVELS, derived=True, restricted=True),
                Field("ct_eligible", "bool", derived=True),
                Field("reason", "str", derived=True, restricted=True),
            ),
        ),
        Entity(
            "asb_report",
            (
                _id(),
                _id("case_id", ref="asb_case", required=True),
                # A further report counts as a complaint: it must say what and when.
                Field("incident_at", "datetime", required=True),
                Field("reported_at", "datetime", required=True),
                _id("reporter_id", ref="person"),
                _enum("agency", AGENCIES),
                _text("description", restricted=True, required=True),
                Field("hate_motivated", "bool"),
            ),
            append_only=True,
        ),
        Entity(
            "repair",
            (
                _id(),
                _issued_reference(),
                _id("property_id", ref="property"),
                Field("lat", "float", minimum=-90, maximum=90),
                Field("lon", "float", minimum=-180, maximum=180),
                Field("room", "str", max_length=100),
                _enum("hazard", HAZARDS),
                _enum("priority", REPAIR_PRIORITIES, required=True, merge="max"),
                _enum("awaab", AWAAB_CLASSES, merge="max"),
                # The officer judges the hazard an imminent and significant risk (an
                # emergency hazard under Awaab's Law).
                Field("imminent_risk", "bool"),
                _text("description"),
                Field("reported_at", "datetime", required=True),
                Field("investigation_concluded_at", "datetime"),
                _enum("status", REPAIR_STATUSES),
                _id("observation_id", ref="observation"),
                Field("due_at", "datetime", derived=True),
                Field("investigate_by", "datetime", derived=True),
                Field("summary_by", "datetime", derived=True),
                Field("make_safe_by", "datetime", derived=True),
                Field("preventative_start_by", "datetime", derived=True),
                Field("reason", "str", derived=True),
                *_suggestion_fields(),
            ),
        ),
        Entity(
            "tenancy_visit",
            (
                _id(),
                _id("property_id", ref="property", required=True),
                Field("visited_at", "datetime", required=True),
                Field("tenant_present", "bool"),
                Field("id_verified", "bool", restricted=True),
                Field("arrears_amount", "float", restricted=True),
                Field("weekly_rent", "float", restricted=True),
                Field("referrals", "list", enum=REFERRALS, restricted=True, merge="union"),
                _enum("property_condition", PROPERTY_CONDITIONS),
                _text("fire_safety_concerns"),
                _text("notes", restricted=True),
                Field("pets", "str", restricted=True, max_length=500),
                Field("adaptations", "str", restricted=True, max_length=500),
                Field("overnight_carer", "bool", restricted=True),
                Field("bedrooms_needed", "int", derived=True, restricted=True),
                _enum("bedroom_standard", BEDROOM_STANDARD_RESULTS, derived=True, restricted=True),
                Field("size_criteria_spare", "int", derived=True, restricted=True),
                Field("size_criteria_reduction_pct", "int", derived=True, restricted=True),
                Field("household_reason", "str", derived=True, restricted=True),
                *_suggestion_fields(),
            ),
        ),
        Entity(
            "walkabout",
            (
                _id(),
                Field("estate", "str", required=True, max_length=200),
                Field("started_at", "datetime", required=True),
                Field("ended_at", "datetime"),
                Field("participants", "list", merge="union", shape=_participants),
                Field("grades", "dict", shape=_grades),
                Field("fire_safety_met", "bool"),
                _text("summary"),
                Field("score_pct", "float", derived=True),
                _enum("result", WALKABOUT_RESULTS, derived=True),
            ),
            partner_visible=True,
        ),
        Entity(
            "observation",
            (
                _id(),
                _id("walkabout_id", ref="walkabout", required=True),
                _enum("kind", OBSERVATION_KINDS, required=True),
                Field("offensive", "bool"),
                Field("lat", "float", minimum=-90, maximum=90),
                Field("lon", "float", minimum=-180, maximum=180),
                _text("description"),
                Field("logged_by", "str", max_length=64, author=True),
                Field("logged_at", "datetime", required=True),
                _enum("raised_entity", ("repair", "asb_case"), restricted=True),
                Field("raised_id", "str", restricted=True, max_length=64, ref_from="raised_entity"),
                Field("nearest_property_id", "str", derived=True, ref="property"),
                Field("nearest_block", "str", derived=True),
                Field("action_due_at", "datetime", derived=True),
            ),
            partner_visible=True,
            partner_writable=True,
        ),
        Entity(
            "note",
            (
                _id(),
                _enum("parent_entity", _PARENTS, required=True),
                Field("parent_id", "str", required=True, max_length=64, ref_from="parent_entity"),
                _text("text", required=True),
                Field("author_id", "str", max_length=64, author=True),
                Field("created_at", "datetime", required=True),
            ),
            append_only=True,
            partner_visible=True,
            partner_writable=True,
        ),
        Entity(
            "photo",
            (
                _id(),
                _enum("parent_entity", _PARENTS, required=True),
                Field("parent_id", "str", required=True, max_length=64, ref_from="parent_entity"),
                Field("sha256", "str", required=True, max_length=64, shape=_sha256),
                Field("bytes", "int", required=True, minimum=0),
                Field("width", "int", minimum=1),
                Field("height", "int", minimum=1),
                Field("taken_at", "datetime"),
                Field("lat", "float", minimum=-90, maximum=90),
                Field("lon", "float", minimum=-180, maximum=180),
                # A caption is a label, not evidence: the latest edit wins, no review.
                Field("caption", "str", max_length=1000, merge="lww"),
            ),
            editable_after_create=("caption",),
            partner_visible=True,
            partner_writable=True,
        ),
        Entity(
            "conflict",
            (
                _id(),
                Field("entity", "str", max_length=40),
                _id("record_id"),
                Field("field", "str", max_length=64),
                Field("base_value", "any"),
                Field("kept_value", "any"),
                Field("proposed_value", "any"),
                Field("proposed_by", "str", max_length=200),
                Field("proposed_at", "datetime"),
                _enum("status", CONFLICT_STATUSES),
                _enum("resolution", CONFLICT_RESOLUTIONS),
                Field("value", "any"),
                Field("resolved_by", "str", max_length=200),
                Field("resolved_at", "datetime"),
            ),
            server_only=True,
        ),
        Entity(
            "ct_review",
            (
                _id(),
                _id("case_id", ref="asb_case", required=True),
                Field("applicant", "dict", restricted=True, shape=_applicant),
                Field("complaint_ids", "list", shape=_ids("complaint_ids")),
                Field("risk_level", "str", max_length=20),
                Field("decision", "str", max_length=40),
                Field("decided_at", "datetime"),
                Field("recommendations", "list", shape=_recommendations),
                _text("outcome"),
                _text("appeal"),
            ),
        ),
    )
}

# The field of each child entity that names the parent it hangs from, for scoping.
PARENT_LINKS: Final[Mapping[str, tuple[str, str | None]]] = {
    "property": ("patch_id", "patch"),
    "person": ("property_id", "property"),
    "asb_case": ("property_id", "property"),
    "asb_report": ("case_id", "asb_case"),
    "repair": ("property_id", "property"),
    "tenancy_visit": ("property_id", "property"),
    "observation": ("walkabout_id", "walkabout"),
    "note": ("parent_id", None),  # parent entity named by parent_entity
    "photo": ("parent_id", None),
    "ct_review": ("case_id", "asb_case"),
    "conflict": ("record_id", None),  # parent entity named by entity
}

# Client-visible error codes. The full table with HTTP statuses is in docs/sync-protocol.md.
ERROR_CODES: Final = frozenset(
    {
        "bad_request", "invalid_json", "validation_failed", "unknown_entity", "unknown_field",
        "read_only_field", "forbidden", "forbidden_field", "not_found", "unauthenticated",
        "bad_credentials", "token_expired", "device_revoked", "unsupported_schema_version",
        "too_many_mutations", "payload_too_large", "mutation_id_reused", "resync_required",
        "rate_limited", "blob_hash_mismatch", "blob_offset_mismatch", "bad_content_range",
        "not_an_image", "image_too_large", "unsupported_media_type", "conflict_not_open",
        "record_deleted", "internal_error", "blob_not_yours", "upload_quota_exceeded",
        "device_in_use", "busy", "link_invalid", "link_expired", "account_disabled",
        "future_time", "author_mismatch",
    }
)  # fmt: skip


# --- validation shared by both sides ------------------------------------------------------
@dataclass(frozen=True)
class FieldError:
    """A field-level validation problem: ``code`` is one of ``ERROR_CODES``."""

    field: str
    code: str
    message: str


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_WHOLE: Final = 2**53 - 1  # the largest whole number every JSON reader keeps exactly


def _type_ok(f: Field, value: Any) -> bool:
    if value is None:
        return True
    t = f.type
    if t == "str":
        return isinstance(value, str)
    if t == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "bool":
        return isinstance(value, bool)
    if t == "list":
        return isinstance(value, list)
    if t == "dict":
        return isinstance(value, dict)
    if t == "date":
        if not isinstance(value, str) or not _DATE_RE.match(value):
            return False
        try:
            return MIN_YEAR <= date.fromisoformat(value).year <= MAX_YEAR
        except ValueError:
            return False
    if t == "datetime":
        return _is_time(value)
    return True  # "any"


def _str_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():  # no surrogates possible; no copy made
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_storable(value: Any) -> bool:
    """Every string in ``value`` (object keys too) can be stored: no NUL (PostgreSQL text and
    json cannot hold one) and no half of a surrogate pair (UTF-8 cannot)."""
    if isinstance(value, str):  # most values: no stack
        return _str_storable(value)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _str_storable(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _fail(f: Field, message: str) -> FieldError:
    return FieldError(f.name, "validation_failed", message)


def check_value(f: Field, value: Any) -> FieldError | None:
    """Return what is wrong with ``value`` for field ``f``, or None.

    A required field may never be null, whether the record is new or edited. The message
    names the field (and a key or a position inside it), never the value.
    """
    if value is None:
        return _fail(f, f"{f.name} is required") if f.required else None
    if not _type_ok(f, value):
        years = f"in the years {MIN_YEAR}-{MAX_YEAR}"
        want = {
            "datetime": f"an ISO 8601 time with an offset, {years}",
            "date": f"a YYYY-MM-DD date, {years}",
        }
        return _fail(f, f"{f.name} must be {want.get(f.type, 'a ' + f.type)}")
    if not text_storable(value):
        return _fail(f, f"{f.name} holds a NUL character or half a surrogate pair")
    if f.max_length is not None and isinstance(value, str) and len(value) > f.max_length:
        return _fail(f, f"{f.name} is longer than {f.max_length} characters")
    if f.type == "float" and isinstance(value, float) and value != value:  # NaN
        return _fail(f, f"{f.name} must be a number")
    if f.type in ("int", "float") and isinstance(value, int) and abs(value) > MAX_WHOLE:
        return _fail(f, f"{f.name} is too large a number")
    if f.minimum is not None and value < f.minimum:
        return _fail(f, f"{f.name} must be at least {f.minimum:g}")
    if f.maximum is not None and value > f.maximum:
        return _fail(f, f"{f.name} must be at most {f.maximum:g}")
    if f.enum is not None:
        items = value if isinstance(value, list) else (value,)
        if any(type(v) is not str or v not in f.enum for v in items):
            return _fail(f, f"{f.name} must be one of {', '.join(f.enum)}")
    if f.shape is not None:
        problem = f.shape(value)
        if problem is not None:
            return _fail(f, problem)
    return None


def validate_patch(
    entity: str, patch: Mapping[str, Any], *, creating: bool, role: str = "officer"
) -> list[FieldError]:
    """Check a client patch: known, writable, well-typed fields; required ones when creating
    and never set to null by an edit.

    Messages name fields of the registry, never what was sent: not a value, not an unknown
    field's name (given by its position in the patch, from 1), not an unknown entity's name.
    """
    spec = ENTITIES.get(entity)
    if spec is None:
        return [FieldError("entity", "unknown_entity", "unknown entity")]
    errors: list[FieldError] = []
    for position, (name, value) in enumerate(patch.items(), 1):
        f = spec.by_name.get(name)
        if f is None:
            errors.append(
                FieldError(
                    "patch",
                    "unknown_field",
                    f"unknown field: field {position} of the patch is not one of {entity}",
                )
            )
            continue
        if name == "id" or f.derived:
            errors.append(FieldError(name, "read_only_field", f"{name} is computed by the server"))
            continue
        if role in PARTNER_ROLES and f.restricted:
            errors.append(
                FieldError(name, "forbidden_field", f"your role may not write {entity}.{name}")
            )
            continue
        problem = check_value(f, value)
        if problem is not None:
            errors.append(problem)
    if creating:
        for f in spec.required_on_create:
            if f.name not in patch:
                errors.append(FieldError(f.name, "validation_failed", f"{f.name} is required"))
    return errors


def record_links(
    entity: str, patch: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """(field, entity, id) of each record a patch names in a reference field it sets.

    A reference field is an id with ``ref`` or ``ref_from`` (the entity then read from the
    patch, else from ``current``, the record as it stands). Null clears and names nothing;
    an entity name outside the registry names nothing the server could hold.
    """
    spec = ENTITIES.get(entity)
    if spec is None:
        return []
    found: list[tuple[str, str, str]] = []
    for name, value in patch.items():
        f = spec.by_name.get(name)
        if f is None or f.derived or not isinstance(value, str):
            continue
        target = f.ref
        if f.ref_from is not None:
            named = patch.get(f.ref_from, (current or {}).get(f.ref_from))
            target = named if isinstance(named, str) else None
        if target is not None and target in ENTITIES:
            found.append((name, target, value))
    return found


def project(entity: str, data: Mapping[str, Any], role: str) -> dict[str, Any]:
    """The record as ``role`` may see it: partners lose restricted fields (absent, not blank)."""
    if role not in PARTNER_ROLES:
        return dict(data)
    spec = ENTITIES[entity]
    hidden = set(spec.restricted)
    return {k: v for k, v in data.items() if k not in hidden}
