"""The registry's validation (``validate_patch``, ``check_value``) as tables: value sets, the
inner shapes of objects and lists, required fields, text a database cannot store, and messages
that name fields but never echo what was sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fieldapp.sync.protocol import (
    ENTITIES,
    GRADE_ITEMS,
    RISK_ANSWER_KEYS,
    FieldError,
    check_value,
    validate_patch,
)

SECRET = "SECRETVALUE"
CASE = {"category": "noise", "received_at": "2026-06-10T09:00:00Z"}
WALK = {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z"}
PHOTO = {"parent_entity": "walkabout", "parent_id": "w1", "sha256": "ab" * 32, "bytes": 1024}
VISIT = {"property_id": "p1", "visited_at": "2026-06-10T09:00:00Z"}
REVIEW = {"case_id": "c1"}
OBSERVATION = {"walkabout_id": "w1", "logged_at": "2026-06-10T09:00:00Z"}


def _errors(entity: str, patch: dict[str, Any], *, creating: bool = True) -> list[FieldError]:
    return validate_patch(entity, patch, creating=creating)


def _shown(errors: list[FieldError]) -> str:
    """Everything a client could be shown of these errors."""
    return json.dumps([[e.field, e.code, e.message] for e in errors], ensure_ascii=False)


# --- inner shapes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "patch", "field"),
    [
        ("asb_case", {**CASE, "risk_answers": {"nonsense": 5}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"health_impact": "lots"}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"health_impact": 10**100}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"health_impact": 4}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"unsafe_at_home": -1}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"unsafe_at_home": 1.5}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"health_impact": True}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"isolated": 1}}, "risk_answers"),
        ("asb_case", {**CASE, "risk_answers": {"self_harm_thoughts": "yes"}}, "risk_answers"),
        ("walkabout", {**WALK, "grades": {"litter": "excellent"}}, "grades"),
        ("walkabout", {**WALK, "grades": {"litter": 3}}, "grades"),
        ("walkabout", {**WALK, "grades": {"parking": "good"}}, "grades"),
        ("walkabout", {**WALK, "participants": [5]}, "participants"),
        ("walkabout", {**WALK, "participants": ["x"]}, "participants"),
        ("walkabout", {**WALK, "participants": [None]}, "participants"),
        ("walkabout", {**WALK, "participants": [{"user_id": ["a"]}]}, "participants"),
        ("walkabout", {**WALK, "participants": [{"name": "Sam"}]}, "participants"),
        ("walkabout", {**WALK, "participants": [{"name": "Sam", "role": "mayor"}]}, "participants"),
        ("walkabout", {**WALK, "participants": [{"name": "", "role": "other"}]}, "participants"),
        ("walkabout", {**WALK, "participants": [{"name": 7, "role": "other"}]}, "participants"),
        (
            "walkabout",
            {**WALK, "participants": [{"user_id": "", "name": "S", "role": "pcso"}]},
            "participants",
        ),
        (
            "walkabout",
            {**WALK, "participants": [{"name": "S", "role": "pcso", "phone": "1"}]},
            "participants",
        ),
        ("photo", {**PHOTO, "sha256": "zz"}, "sha256"),
        ("photo", {**PHOTO, "sha256": "AB" * 32}, "sha256"),
        ("photo", {**PHOTO, "sha256": "ab" * 31 + "zz"}, "sha256"),
        ("photo", {**PHOTO, "bytes": -5}, "bytes"),
        ("photo", {**PHOTO, "bytes": 1.5}, "bytes"),
        ("photo", {**PHOTO, "width": 0}, "width"),
        ("photo", {**PHOTO, "height": -1}, "height"),
        ("photo", {**PHOTO, "bytes": 10**100}, "bytes"),
        ("tenancy_visit", {**VISIT, "referrals": ["bingo"]}, "referrals"),
        ("tenancy_visit", {**VISIT, "referrals": [5]}, "referrals"),
        ("tenancy_visit", {**VISIT, "referrals": [["money_advice"]]}, "referrals"),
        ("tenancy_visit", {**VISIT, "referrals": [None]}, "referrals"),
        ("ct_review", {**REVIEW, "complaint_ids": [5]}, "complaint_ids"),
        ("ct_review", {**REVIEW, "complaint_ids": ["x" * 65]}, "complaint_ids"),
        ("ct_review", {**REVIEW, "recommendations": ["x"]}, "recommendations"),
        ("ct_review", {**REVIEW, "recommendations": [{"text": 5}]}, "recommendations"),
        ("ct_review", {**REVIEW, "recommendations": [{"cost": "1"}]}, "recommendations"),
        ("ct_review", {**REVIEW, "applicant": {"name": 5}}, "applicant"),
        ("ct_review", {**REVIEW, "applicant": {"consent": "yes"}}, "applicant"),
        ("ct_review", {**REVIEW, "applicant": {"address": "1 Oak"}}, "applicant"),
        ("asb_case", {**CASE, "lat": 10**100}, "lat"),
    ],
)
def test_inner_shapes_are_checked(entity: str, patch: dict[str, Any], field: str) -> None:
    errors = _errors(entity, patch)
    assert [(e.field, e.code) for e in errors] == [(field, "validation_failed")]
    assert errors[0].message.startswith(field)


@pytest.mark.parametrize(
    ("entity", "patch"),
    [
        ("asb_case", {**CASE, "risk_answers": {}}),
        (
            "asb_case",
            {
                **CASE,
                "risk_answers": {k: False for k in RISK_ANSWER_KEYS}
                | {"health_impact": 3, "unsafe_at_home": 0},
            },
        ),
        ("asb_case", {**CASE, "risk_answers": {"isolated": None, "health_impact": None}}),
        ("walkabout", {**WALK, "grades": {}}),
        ("walkabout", {**WALK, "grades": dict.fromkeys(GRADE_ITEMS, "very_poor")}),
        ("walkabout", {**WALK, "grades": {"litter": "good", "signage": None}}),
        ("walkabout", {**WALK, "participants": []}),
        (
            "walkabout",
            {
                **WALK,
                "participants": [
                    {"user_id": "u1", "name": "Sam", "role": "pcso"},
                    {"user_id": None, "name": "Residents' Association", "role": "other"},
                    {"name": "Cal", "role": "councillor"},
                ],
            },
        ),
        ("photo", {**PHOTO, "bytes": 0, "width": 1600, "height": 1200}),
        ("tenancy_visit", {**VISIT, "referrals": ["money_advice", "succession"]}),
        (
            "ct_review",
            {
                **REVIEW,
                "complaint_ids": ["r1"],
                "applicant": {"name": "Karen", "kind": "victim", "consent": True},
                "recommendations": [
                    {"text": "Mediation", "owner": "Tenancy team", "due_on": "2026-08-01"}
                ],
            },
        ),
    ],
)
def test_well_formed_inner_shapes_pass(entity: str, patch: dict[str, Any]) -> None:
    assert _errors(entity, patch) == []


# --- required fields -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "field"),
    [
        (e.name, f.name)
        for e in ENTITIES.values()
        for f in e.fields
        if f.required and f.name != "id"
    ],
)
def test_a_required_field_cannot_be_nulled_by_an_edit(entity: str, field: str) -> None:
    errors = _errors(entity, {field: None}, creating=False)
    assert [(e.field, e.code, e.message) for e in errors] == [
        (field, "validation_failed", f"{field} is required")
    ]


def test_a_field_that_is_not_required_may_be_nulled() -> None:
    assert _errors("asb_case", {"harm_type": None, "risk_answers": None}, creating=False) == []


def test_a_required_field_missing_or_null_on_create_is_named_once() -> None:
    errors = _errors("asb_case", {"category": None})
    assert sorted((e.field, e.message) for e in errors) == [
        ("category", "category is required"),
        ("received_at", "received_at is required"),
    ]


def test_check_value_refuses_null_for_a_required_field() -> None:
    """A conflict resolved with ``value: null`` may not empty a required field either."""
    category = ENTITIES["asb_case"].by_name["category"]
    problem = check_value(category, None)
    assert problem is not None and problem.code == "validation_failed"
    assert check_value(ENTITIES["asb_case"].by_name["harm_type"], None) is None


# --- text a database cannot store -----------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "patch", "field"),
    [
        ("asb_case", {**CASE, "description": "music\x00at night"}, "description"),
        ("asb_case", {**CASE, "description": "half a pair \ud800"}, "description"),
        ("asb_case", {**CASE, "ref": "\udfff"}, "ref"),
        ("asb_case", {**CASE, "property_id": "p\x00"}, "property_id"),
        (
            "walkabout",
            {**WALK, "participants": [{"name": "S\x00", "role": "pcso"}]},
            "participants",
        ),
        ("ct_review", {**REVIEW, "applicant": {"name": "\ud83d"}}, "applicant"),
        ("ct_review", {**REVIEW, "recommendations": [{"text\x00": "x"}]}, "recommendations"),
        ("asb_case", {**CASE, "risk_answers": {"\x00": True}}, "risk_answers"),
    ],
)
def test_text_the_database_cannot_store_is_refused_by_field(
    entity: str, patch: dict[str, Any], field: str
) -> None:
    errors = _errors(entity, patch)
    assert [(e.field, e.code) for e in errors] == [(field, "validation_failed")]
    assert "\x00" not in _shown(errors)
    _shown(errors).encode("utf-8")  # no half surrogate either


def test_a_conflict_value_of_any_type_is_checked_for_unstorable_text() -> None:
    value = ENTITIES["conflict"].by_name["value"]
    assert check_value(value, {"note": ["fine", "not \x00 fine"]}) is not None
    assert check_value(value, {"note": ["fine", "😀"]}) is None


def test_a_real_surrogate_pair_is_fine() -> None:
    assert _errors("asb_case", {**CASE, "description": "😀"}) == []


# --- nothing submitted is echoed ----------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "patch"),
    [
        ("asb_case", {**CASE, "category": SECRET}),
        ("asb_case", {**CASE, "harm_type": SECRET}),
        ("asb_case", {**CASE, "status": [SECRET]}),
        ("asb_case", {**CASE, "received_at": SECRET}),
        ("asb_case", {**CASE, "risk_answers": {SECRET: True}}),
        ("asb_case", {**CASE, "risk_answers": {"isolated": SECRET}}),
        ("asb_case", {**CASE, SECRET: "red"}),
        ("observation", {**OBSERVATION, "kind": SECRET}),
        ("walkabout", {**WALK, "grades": {SECRET: "good"}}),
        ("walkabout", {**WALK, "grades": {"litter": SECRET}}),
        ("walkabout", {**WALK, "participants": [{"name": "S", "role": SECRET}]}),
        ("walkabout", {**WALK, "participants": [{"name": "S", "role": "pcso", SECRET: 1}]}),
        ("tenancy_visit", {**VISIT, "referrals": ["money_advice", SECRET]}),
        ("photo", {**PHOTO, "sha256": SECRET}),
        ("person", {"property_id": "p1", "name": "Ann", "sex": SECRET}),
        (SECRET, {"name": "x"}),
    ],
)
def test_messages_never_echo_what_was_sent(entity: str, patch: dict[str, Any]) -> None:
    errors = _errors(entity, patch)
    assert errors
    assert SECRET not in _shown(errors)


def test_an_unknown_field_is_given_by_its_position() -> None:
    errors = _errors("asb_case", {**CASE, "colour": "red"})
    assert [(e.field, e.code) for e in errors] == [("patch", "unknown_field")]
    assert "colour" not in errors[0].message and "3" in errors[0].message


def test_an_unknown_entity_is_not_named() -> None:
    assert _errors("dragon", {}) == [FieldError("entity", "unknown_entity", "unknown entity")]


def test_a_value_outside_its_set_lists_the_set() -> None:
    (error,) = _errors("asb_case", {**CASE, "category": "shouting"})
    assert error.message == "category must be one of crime, noise, other"
