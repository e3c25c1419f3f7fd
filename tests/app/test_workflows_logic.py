"""The workflow screens' plain logic, as tables: typed input -> patch, live triage, deadlines,
walkabout score, household -> bedroom results, labels and timeline order. No Flet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fieldapp.domain.policy import DEFAULT_POLICY
from fieldapp.sync.protocol import HAZARDS, FieldError
from fieldapp.views import logic_asb as A
from fieldapp.views import logic_atv as T
from fieldapp.views import logic_forms as F
from fieldapp.views import logic_property as P
from fieldapp.views import logic_repair as R
from fieldapp.views import logic_walkabout as W

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London (BST)
P0 = DEFAULT_POLICY
TIME_ERROR = "Enter a date and time as DD/MM/YYYY HH:MM, e.g. 10/06/2026 21:30"
SAID = {"description": "Shouting on the landing"}


def values(lines: list[F.Line]) -> dict[str, str]:
    return {line.title: line.value for line in lines}


# --- shared helpers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("fly_tipping", "Fly tipping"),
        ("asbestos_and_mmf", "Asbestos and MMF"),
        ("pcso", "PCSO"),
        ("id", "ID"),
        ("advice_given", "Advice given"),
        ("", ""),
        (None, ""),
    ],
)
def test_label(key: str | None, text: str) -> None:
    assert F.label(key) == text


@pytest.mark.parametrize(
    ("typed", "wire", "error"),
    [
        ("10/06/2026 21:30", "2026-06-10T20:30:00Z", None),  # BST: one hour ahead of UTC
        ("10/01/2026 09:00", "2026-01-10T09:00:00Z", None),  # GMT
        ("2026-06-10T21:30", "2026-06-10T20:30:00Z", None),
        ("2026-06-10 21:30:15", "2026-06-10T20:30:15Z", None),
        ("  2026-06-10 7:05 ", "2026-06-10T06:05:00Z", None),
        ("25/10/2026 01:30", "2026-10-25T00:30:00Z", None),  # the repeated hour: first (BST)
        ("", None, None),
        ("   ", None, None),
        ("10/06/2026 21:30", "2026-06-10T20:30:00Z", None),  # UK order, day first
        ("1/6/2026 9:05", "2026-06-01T08:05:00Z", None),
        ("10/06/2026, 21:30", "2026-06-10T20:30:00Z", None),
        ("06/31/2026 21:30", None, "No such date or time: 06/31/2026 21:30"),  # not US order
        ("10/06/2026", None, "Enter a date and time as DD/MM/YYYY HH:MM, e.g. 10/06/2026 21:30"),
        ("30/02/2026 10:00", None, "No such date or time: 30/02/2026 10:00"),
        ("10/06/2026 24:00", None, "No such date or time: 10/06/2026 24:00"),
    ],
)
def test_parse_local_time(typed: str, wire: str | None, error: str | None) -> None:
    assert F.parse_local_time(typed) == (wire, error)


@pytest.mark.parametrize(
    "wire", ["2026-06-10T20:30:00Z", "2026-01-10T09:00:00Z", "2026-10-25T00:30:00Z"]
)
def test_time_input_round_trips(wire: str) -> None:
    assert F.parse_local_time(F.time_input(wire)) == (wire, None)


@pytest.mark.parametrize(
    ("typed", "result"),
    [
        ("2014-03-09", ("2014-03-09", None)),
        ("9/3/2014", ("2014-03-09", None)),
        ("", (None, None)),
        ("09/03/2014", ("2014-03-09", None)),
        ("2014-13-01", (None, "No such date: 2014-13-01")),
        ("31/2/2014", (None, "No such date: 31/2/2014")),
        ("yesterday", (None, "Enter a date as DD/MM/YYYY, e.g. 09/03/2014")),
    ],
)
def test_parse_date_input(typed: str, result: tuple[str | None, str | None]) -> None:
    assert F.parse_date_input(typed) == result


@pytest.mark.parametrize(
    ("typed", "amount", "ok"),
    [
        ("£1,234.50", 1234.5, True),
        ("0", 0.0, True),
        ("12.345", 12.35, True),
        ("", None, True),
        ("-5", None, False),
        ("abc", None, False),
        ("nan", None, False),
        ("inf", None, False),
    ],
)
def test_parse_money(typed: str, amount: float | None, ok: bool) -> None:
    got, error = F.parse_money(typed)
    assert got == amount
    assert (error is None) is ok


def test_field_messages_word_required_and_join_per_field() -> None:
    errors = [
        FieldError("category", "validation_failed", "category is required"),
        FieldError("ref", "validation_failed", "ref is longer than 40 characters"),
        FieldError("ref", "forbidden_field", "your role may not write asb_case.ref"),
    ]
    assert F.field_messages(errors) == {
        "category": "Required",
        "ref": "ref is longer than 40 characters; your role may not write asb_case.ref",
    }


@pytest.mark.parametrize(
    ("record", "patch", "diff"),
    [
        (None, {"a": 1, "b": None}, {"a": 1, "b": None}),
        ({"a": 1}, {"a": 1}, {}),
        ({"a": 1}, {"a": 2}, {"a": 2}),
        ({"a": 1}, {"b": None}, {}),  # missing and None are both "no value"
        ({"l": ["x", "y"]}, {"l": ["y", "x"]}, {"l": ["y", "x"]}),
    ],
)
def test_changed(
    record: dict[str, Any] | None, patch: dict[str, Any], diff: dict[str, Any]
) -> None:
    assert F.changed(record, patch) == diff


@pytest.mark.parametrize(
    ("offset", "tone"),
    [
        (timedelta(seconds=-1), "alert"),
        (timedelta(0), "warn"),
        (timedelta(hours=24), "warn"),
        (timedelta(hours=24, seconds=1), "info"),
    ],
)
def test_due_tone(offset: timedelta, tone: str) -> None:
    """Found on a walk: My patch called a clock 30 hours off "due soon" (48 h) while the
    overview did not (24 h). One number now: ``Policy.due_soon_hours``."""
    assert F.due_tone(F.to_wire(NOW + offset), NOW) == tone
    assert F.due_tone(None, NOW) == "info"


def test_due_text_says_when_and_how_long() -> None:
    assert F.due_text("2026-06-11T09:00:00Z", NOW) == "Thu 11 Jun 2026 10:00 (due in 24 h)"
    assert F.due_text("2026-06-08T09:00:00Z", NOW) == "Mon 08 Jun 2026 10:00 (overdue by 2 days)"
    assert F.due_text(None, NOW) == ""


# --- ASB -----------------------------------------------------------------------------------
def asb(**kw: Any) -> A.AsbInputs:
    base: dict[str, Any] = {"category": "noise", "received_at": "10/06/2026 10:00"}
    return A.AsbInputs(**(base | kw))


@pytest.mark.parametrize(
    ("inputs", "errors"),
    [
        (asb(), {}),
        (asb(category=None), {"category": "Required"}),
        (asb(received_at=""), {"received_at": "Required"}),
        (asb(received_at="tomorrow"), {"received_at": TIME_ERROR}),
        (
            asb(incident_at="10/06/2026 10:01"),
            {"incident_at": "The incident cannot be after the report"},
        ),
        (asb(incident_at="10/06/2026 10:00"), {}),
    ],
)
def test_case_patch_errors(inputs: A.AsbInputs, errors: dict[str, str]) -> None:
    assert A.case_patch(inputs).errors == errors


def test_case_patch_fields() -> None:
    patch = A.case_patch(
        asb(
            category="noise",
            urgent_crime=True,
            incident_at="09/06/2026 23:15",
            description=" Loud music ",
            complainant_id="h1",
            lat=53.1,
            lon=-2.7,
        )
    ).patch
    assert patch["received_at"] == "2026-06-10T09:00:00Z"
    assert patch["urgent_crime"] is False  # urgent only for crime
    assert patch["description"] == "Loud music"
    assert patch["incident_at"] == "2026-06-09T22:15:00Z"  # London summer time
    assert patch["risk_answers"] is None  # nobody asked the risk questions
    assert (patch["lat"], patch["lon"], patch["status"]) == (53.1, -2.7, "open")
    crime = A.case_patch(asb(category="crime", urgent_crime=True)).patch
    assert crime["urgent_crime"] is True


@pytest.mark.parametrize(
    ("assessed", "answers", "expected"),
    [
        (False, {}, None),
        (True, {}, {k: 0 if k in A.SCALE_KEYS else False for k in A.RISK_QUESTIONS}),
        (
            False,
            {"isolated": True},
            {k: k == "isolated" if k not in A.SCALE_KEYS else 0 for k in A.RISK_QUESTIONS},
        ),
        (
            False,
            {"health_impact": "7"},
            {
                k: 3 if k == "health_impact" else (0 if k in A.SCALE_KEYS else False)
                for k in A.RISK_QUESTIONS
            },
        ),
    ],
)
def test_risk_answers(assessed: bool, answers: dict[str, Any], expected: Any) -> None:
    assert A.risk_answers(asb(risk_assessed=assessed, risk_answers=answers)) == expected


def test_case_inputs_round_trip() -> None:
    typed = asb(
        category="crime",
        urgent_crime=True,
        incident_at="09/06/2026 23:15",
        description="Door kicked",
        over_75=True,
        risk_assessed=True,
        risk_answers={"threats_or_violence": True, "health_impact": 2},
        status="monitoring",
    )
    record = A.case_patch(typed).patch
    back = A.inputs_from_case(record)
    assert A.case_patch(back).patch == record


REPORT_20_MAY = {"id": "r1", "reported_at": "2026-05-20T12:00:00Z"}


@pytest.mark.parametrize(
    ("inputs", "reports", "dob", "expected"),
    [
        (
            asb(category="crime", urgent_crime=True),
            [],
            None,
            {
                "Priority": "1 (urgent crime)",
                "Threshold": "Does not apply",
                "Response due": "Thu 11 Jun 2026 10:00 (due in 24 h)",
            },
        ),
        (
            asb(category="crime"),
            [],
            None,
            {"Priority": "1", "Response due": "Wed 17 Jun 2026 23:59 (due in 7 days)"},
        ),
        (
            asb(),
            [],
            None,
            {
                "Priority": "2",
                "Vulnerability": "Not vulnerable",
                "Threshold": "Applies: not met",
                "Response due": "No response clock",
                "Risk": "Standard",
                "Community Trigger": "Not eligible",
            },
        ),
        # 28 days apart (London dates) is within the window; 29 is not.
        (
            asb(),
            [{"id": "r1", "reported_at": "2026-05-13T08:00:00Z"}],
            None,
            {"Threshold": "Applies: met", "Response due": "Wed 17 Jun 2026 23:59 (due in 7 days)"},
        ),
        (
            asb(),
            [{"id": "r1", "reported_at": "2026-05-12T08:00:00Z"}],
            None,
            {"Threshold": "Applies: not met", "Response due": "No response clock"},
        ),
        # Aged 75 on the day of receipt: vulnerable, so no threshold; the day before 75: not.
        (
            asb(),
            [],
            "1951-06-10",
            {
                "Vulnerability": "Vulnerable",
                "Threshold": "Does not apply",
                "Response due": "Wed 17 Jun 2026 23:59 (due in 7 days)",
            },
        ),
        (asb(), [], "1951-06-11", {"Vulnerability": "Not vulnerable"}),
        (asb(other_org_support=True), [], None, {"Vulnerability": "Vulnerable"}),
        (asb(vulnerable_by_judgement=True), [], None, {"Vulnerability": "Vulnerable"}),
        (asb(category=None), [], None, {"Priority": "Not set", "Threshold": "Not known"}),
        # Risk: 4 standard, 5 medium, 9 medium, 10 high; a red flag is high whatever the score.
        (asb(risk_answers={"health_impact": 3, "isolated": True}), [], None, {"Risk": "Standard"}),
        (
            asb(risk_answers={"health_impact": 3, "isolated": True, "disability": True}),
            [],
            None,
            {"Risk": "Medium"},
        ),
        (
            asb(
                risk_answers={
                    "health_impact": 3,
                    "unsafe_at_home": 3,
                    "isolated": True,
                    "disability": True,
                    "considering_moving": True,
                }
            ),
            [],
            None,
            {"Risk": "Medium"},
        ),
        (
            asb(
                risk_answers={
                    "health_impact": 3,
                    "unsafe_at_home": 3,
                    "isolated": True,
                    "disability": True,
                    "considering_moving": True,
                    "personal_budget": True,
                }
            ),
            [],
            None,
            {"Risk": "High"},
        ),
        (asb(risk_answers={"self_harm_thoughts": True}), [], None, {"Risk": "High"}),
        (asb(risk_assessed=True), [], None, {"Risk": "Standard"}),
        # Community Trigger: the case and two further reports = 3 complaints in 6 months.
        (
            asb(),
            [REPORT_20_MAY, {"id": "r2", "reported_at": "2026-04-01T12:00:00Z"}],
            None,
            {"Community Trigger": "Eligible"},
        ),
        (asb(), [REPORT_20_MAY], None, {"Community Trigger": "Not eligible"}),
    ],
)
def test_triage_lines(
    inputs: A.AsbInputs, reports: list[dict[str, Any]], dob: str | None, expected: dict[str, str]
) -> None:
    lines = A.triage_lines(inputs, reports=reports, complainant_dob=dob, policy=P0, now=NOW)
    got = values(lines)
    assert [line.title for line in lines] == [
        "Priority",
        "Vulnerability",
        "Threshold",
        "Response due",
        "Risk",
        "Community Trigger",
    ]
    assert {k: got[k] for k in expected} == expected
    assert all(line.reason for line in lines)  # every result says why


def test_triage_reasons_name_the_rule() -> None:
    lines = A.triage_lines(asb(risk_answers={"threats_or_violence": True}), policy=P0, now=NOW)
    reasons = {line.title: line.reason for line in lines}
    assert reasons["Threshold"].startswith("Fewer than 2 reports within 28 days")
    assert "red flag: threats or violence" in reasons["Risk"]
    assert reasons["Community Trigger"] == (
        "No Community Trigger: 1 of 3 qualifying complaints within 6 months"
    )


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        (
            A.ReportInputs(**SAID, reported_at="10/06/2026 10:00", incident_at="09/06/2026 22:00"),
            {},
        ),
        # A blank further report is not a complaint: what happened, and when, are required.
        (
            A.ReportInputs(),
            {
                "reported_at": "Required",
                "incident_at": "Required",
                "description": "Required: say what happened",
            },
        ),
        (
            A.ReportInputs(
                reported_at="10/06/2026 10:00", incident_at="09/06/2026 10:00", description="  "
            ),
            {"description": "Required: say what happened"},
        ),
        (
            A.ReportInputs(**SAID, reported_at="10/06/2026 10:00", incident_at="11/06/2026 10:00"),
            {"incident_at": "The incident cannot be after the report"},
        ),
        (
            A.ReportInputs(**SAID, reported_at="x", incident_at="09/06/2026 22:00"),
            {"reported_at": TIME_ERROR},
        ),
    ],
)
def test_report_patch(typed: A.ReportInputs, errors: dict[str, str]) -> None:
    built = A.report_patch("c1", typed)
    assert built.errors == errors
    assert built.patch["case_id"] == "c1"


@pytest.mark.parametrize(
    ("kind", "offensive", "category"),
    [
        ("vandalism", False, "crime"),
        ("graffiti", True, "crime"),
        ("graffiti", False, "other"),
        ("fly_tipping", False, "other"),
    ],
)
def test_asb_prefill_from_observation(kind: str, offensive: bool, category: str) -> None:
    obs = {
        "id": "o1",
        "kind": kind,
        "offensive": offensive,
        "nearest_property_id": "h1",
        "lat": 53.3,
        "lon": -2.7,
        "logged_at": "2026-06-10T08:00:00Z",
        "description": "Tags",
    }
    got = A.prefill_from_observation(obs, NOW)
    assert (got.category, got.property_id, got.harm_type) == (category, "h1", "environmental")
    assert (got.incident_at, got.received_at) == ("10/06/2026 09:00", "10/06/2026 10:00")
    assert got.description.endswith("Tags") and (got.lat, got.lon) == (53.3, -2.7)
    # Named as the walkabout names it (found on a walk: "Fly tipping" beside "Fly-tipping").
    assert got.description.startswith(f"Seen on an estate walkabout: {W.observation_title(obs)}.")


def test_complainant_choices_are_people_living_there() -> None:
    persons = [
        {"id": "a", "name": "Zed", "status": "member"},
        {"id": "b", "name": "amy", "status": "member"},
        {"id": "c", "name": "Unverified", "status": "unverified_occupant"},
        {"id": "d", "name": "Gone", "status": "member", "moved_out_on": "2026-01-01"},
        {"id": "e", "name": "Late", "status": "member", "died_on": "2026-01-01"},
    ]
    assert A.members_for_complainant(persons) == [("b", "amy"), ("a", "Zed")]


# --- repairs -------------------------------------------------------------------------------
def test_every_hazard_has_a_distinct_label() -> None:
    labels = [R.hazard_label(h) for h in HAZARDS]
    assert len(HAZARDS) == 29 and len(set(labels)) == 29
    assert R.hazard_label("damp_and_mould") == "Damp and mould growth"
    assert [k for k, _ in R.PRIORITY_OPTIONS] == ["emergency", "urgent", "routine", "planned"]


def rep(**kw: Any) -> R.RepairInputs:
    base: dict[str, Any] = {
        "property_id": "h1",
        "reported_at": "10/06/2026 10:00",
        "hazard": "damp_and_mould",
    }
    return R.RepairInputs(**(base | kw))


@pytest.mark.parametrize(
    ("inputs", "errors"),
    [
        (rep(), {}),
        (
            rep(property_id=None),
            {"property_id": "Choose the property (or record from a walkabout spot)"},
        ),
        (rep(property_id=None, lat=53.0, lon=-2.0), {}),
        (rep(priority=None), {"priority": "Required"}),
        (rep(reported_at=""), {"reported_at": "Required"}),
        (
            rep(investigation_concluded_at="10/06/2026 09:59"),
            {"investigation_concluded_at": "It cannot conclude before the report"},
        ),
        (rep(investigation_concluded_at="10/06/2026 10:00"), {}),
        # Found on a walk: a repair saved with nothing said took a reference and a clock.
        (rep(hazard=None), {"description": "Say what is wrong: choose the hazard or describe it"}),
        (
            rep(hazard=None, description="  "),
            {"description": "Say what is wrong: choose the hazard or describe it"},
        ),
        (rep(hazard=None, description="Loose stair rail"), {}),
    ],
)
def test_repair_patch_errors(inputs: R.RepairInputs, errors: dict[str, str]) -> None:
    assert R.repair_patch(inputs).errors == errors


def test_repair_inputs_round_trip() -> None:
    typed = rep(
        room=" Kitchen ",
        hazard="damp_and_mould",
        priority="urgent",
        awaab="significant",
        investigation_concluded_at="12/06/2026 15:00",
        observation_id="o1",
    )
    record = R.repair_patch(typed).patch
    assert record["room"] == "Kitchen" and record["observation_id"] == "o1"
    assert R.repair_patch(R.inputs_from_repair(record)).patch == record


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (rep(priority="emergency"), {"Repair due": "Thu 11 Jun 2026 10:00 (due in 24 h)"}),
        (rep(priority="routine"), {"Repair due": "Wed 08 Jul 2026 23:59 (due in 28 days)"}),
        (
            rep(awaab="emergency", hazard="fire"),
            {
                "Investigate by": "Thu 11 Jun 2026 10:00 (due in 24 h)",
                "Make safe by": "Thu 11 Jun 2026 10:00 (due in 24 h)",
            },
        ),
        (
            rep(awaab="significant", hazard="damp_and_mould"),
            {
                "Investigate by": "Wed 24 Jun 2026 23:59 (due in 14 days)",
                "Written summary by": "When the investigation concludes",
                "Make safe by": "When the investigation concludes",
            },
        ),
        (
            rep(
                awaab="significant",
                hazard="damp_and_mould",
                investigation_concluded_at="12/06/2026 15:00",
            ),
            {
                "Written summary by": "Wed 17 Jun 2026 23:59 (due in 7 days)",
                "Make safe by": "Fri 19 Jun 2026 23:59 (due in 9 days)",
                "Preventative work started by": "Fri 04 Sep 2026 23:59 (due in 86 days)",
            },
        ),
    ],
)
def test_deadline_lines(inputs: R.RepairInputs, expected: dict[str, str]) -> None:
    got = values(R.deadline_lines(inputs, policy=P0, now=NOW))
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("inputs", "absent", "reason"),
    [
        (
            rep(awaab="significant", hazard="excess_cold"),
            "Investigate by",
            "is not yet a significant hazard",
        ),
        (
            rep(awaab="emergency", hazard="crowding_and_space"),
            "Investigate by",
            "is not an emergency hazard",
        ),
        (
            rep(awaab="emergency", hazard="fire", reported_at="26/10/2025 12:00"),
            "Investigate by",
            "Awaab's Law not applicable: reported before 2025-10-27",
        ),
        (rep(awaab="none", hazard="damp_and_mould"), "Written summary by", "Routine repair"),
    ],
)
def test_deadline_lines_when_awaab_does_not_apply(
    inputs: R.RepairInputs, absent: str, reason: str
) -> None:
    lines = R.deadline_lines(inputs, policy=P0, now=NOW)
    assert absent not in values(lines)
    assert reason in lines[-1].reason


@pytest.mark.parametrize(
    ("kind", "hazard"),
    [
        ("lighting", "lighting"),
        ("fire_safety", "fire"),
        ("door_entry", "entry_by_intruders"),
        ("graffiti", None),
    ],
)
def test_repair_prefill_from_observation(kind: str, hazard: str | None) -> None:
    obs = {"id": "o9", "kind": kind, "nearest_property_id": "h2", "lat": 1.0, "lon": 2.0}
    got = R.prefill_from_observation(obs, NOW)
    assert (got.hazard, got.property_id, got.observation_id) == (hazard, "h2", "o9")
    assert got.reported_at == "10/06/2026 10:00" and R.repair_patch(got).ok
    assert got.description == f"Seen on an estate walkabout: {W.kind_label(kind)}."


# --- walkabout -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "stored"), [("officer", "officer"), ("manager", "manager"), ("admin", "other")]
)
def test_start_patch(role: str, stored: str) -> None:
    built = W.start_patch(" Castlefields ", user={"id": "u1", "name": "Sam", "role": role}, now=NOW)
    assert built.ok
    assert built.patch == {
        "estate": "Castlefields",
        "started_at": "2026-06-10T09:00:00Z",
        "participants": [{"user_id": "u1", "name": "Sam", "role": stored}],
    }
    assert W.start_patch("", user=None, now=NOW).errors == {"estate": "Choose the estate"}


@pytest.mark.parametrize(
    ("person", "count"),
    [
        ({"user_id": "u1", "name": "Other name", "role": "officer"}, 2),  # same user: kept once
        ({"user_id": None, "name": "GARY LOWE", "role": "pcso"}, 2),  # same name and role
        ({"user_id": None, "name": "Gary Lowe", "role": "councillor"}, 3),
        ({"user_id": "u9", "name": "Gary Lowe", "role": "pcso"}, 3),
    ],
)
def test_add_participant(person: dict[str, Any], count: int) -> None:
    people = [
        {"user_id": "u1", "name": "Sam", "role": "officer"},
        {"user_id": None, "name": "Gary Lowe", "role": "pcso"},
    ]
    assert len(W.add_participant(people, person)) == count


@pytest.mark.parametrize(
    ("kind", "offensive", "stored"),
    [("graffiti", True, True), ("graffiti", False, False), ("litter", True, False)],
)
def test_observation_patch(kind: str, offensive: bool, stored: bool) -> None:
    built = W.observation_patch(
        "w1",
        W.ObservationInputs(kind, offensive, " Tags "),
        position=(53.1, -2.7),
        user_id="u1",
        now=NOW,
    )
    assert built.ok
    assert built.patch == {
        "walkabout_id": "w1",
        "kind": kind,
        "offensive": stored,
        "description": "Tags",
        "logged_by": "u1",
        "logged_at": "2026-06-10T09:00:00Z",
        "lat": 53.1,
        "lon": -2.7,
    }


def test_observation_patch_needs_a_kind_and_keeps_no_place_without_a_fix() -> None:
    built = W.observation_patch("w1", W.ObservationInputs(), position=None, user_id=None, now=NOW)
    assert built.errors == {"kind": "Choose what was seen"}
    assert "lat" not in built.patch


ALL = {item: "good" for item in W.GRADE_ITEMS}
HALF = {item: ("good" if i % 2 else "very_poor") for i, item in enumerate(W.GRADE_ITEMS)}
OFFENSIVE = {"kind": "graffiti", "offensive": True, "logged_at": "2026-06-10T09:00:00Z"}


@pytest.mark.parametrize(
    ("grades", "fire", "observations", "score", "result", "reason"),
    [
        ({}, None, [], "Not graded", "Not decided", "Not graded yet"),
        (ALL, True, [], "100%", "Pass", "Pass: score 100% (pass mark 50%)"),
        (HALF, True, [], "50%", "Pass", "Pass: score 50% (pass mark 50%)"),  # at the mark
        (HALF | {"graffiti": "poor"}, True, [], "42%", "Fail", "below the pass mark"),
        ({item: "very_poor" for item in W.GRADE_ITEMS}, True, [], "0%", "Fail", "below"),
        (ALL, True, [OFFENSIVE], "100%", "Fail", "Fail: offensive graffiti (score 100%)"),
        ({"litter": "satisfactory"}, None, [], "67%", "Pass", "Pass"),
    ],
)
def test_grade_lines(
    grades: dict[str, str],
    fire: bool | None,
    observations: list[dict[str, Any]],
    score: str,
    result: str,
    reason: str,
) -> None:
    lines = W.grade_lines(
        grades, fire, observations, started_at="2026-06-10T09:00:00Z", policy=P0, now=NOW
    )
    got = values(lines)
    assert (got["Score"], got["Result"]) == (score, result)
    assert reason in lines[1].reason


def test_grade_lines_list_the_actions_raised() -> None:
    fly = {"kind": "fly_tipping", "logged_at": "2026-06-10T09:00:00Z"}
    lines = W.grade_lines(
        ALL, False, [OFFENSIVE, fly], started_at="2026-06-10T09:00:00Z", policy=P0, now=NOW
    )
    actions = [(line.value, line.reason) for line in lines if line.title == "Action"]
    assert actions == [
        ("No set time", "Fire safety in communal areas not met"),
        ("Thu 11 Jun 2026 10:00 (due in 24 h)", "Graffiti (offensive): action within 24 hours"),
        ("Wed 17 Jun 2026 23:59 (due in 7 days)", "Fly tipping: action within 5 working days"),
    ]


def test_each_action_says_which_observation_raised_it() -> None:
    """Found on a walk: four "Fly tipping" actions alike, with nothing to tell them apart."""
    first = {"id": "o1", "kind": "fly_tipping", "logged_at": "2026-06-10T09:00:00Z",
             "nearest_block": "Chester House"}  # fmt: skip
    second = {"id": "o2", "kind": "fly_tipping", "logged_at": "2026-06-10T09:20:00Z"}
    lines = W.grade_lines(
        ALL, True, [first, second], started_at="2026-06-10T09:00:00Z", policy=P0, now=NOW
    )
    reasons = [line.reason for line in lines if line.title == "Action"]
    assert reasons == [
        "Fly tipping: action within 5 working days · logged Wed 10 Jun 2026 10:00, "
        "Block Chester House",
        "Fly tipping: action within 5 working days · logged Wed 10 Jun 2026 10:20",
    ]


@pytest.mark.parametrize(
    ("grades", "fire", "patch"),
    [
        (
            {"litter": "good", "graffiti": None, "junk": "good"},
            "met",
            {"grades": {"litter": "good"}, "fire_safety_met": True},
        ),
        ({"litter": "awful"}, "not_met", {"grades": {}, "fire_safety_met": False}),
        ({}, None, {"grades": {}, "fire_safety_met": None}),
    ],
)
def test_grades_patch(grades: dict[str, Any], fire: str | None, patch: dict[str, Any]) -> None:
    assert W.grades_patch(grades, fire) == patch
    assert W.fire_safety_value(patch["fire_safety_met"]) == fire


def test_estates_staff_and_ordering() -> None:
    props = [
        {"estate": "oak", "patch_id": "p1"},
        {"estate": "Elm", "patch_id": "p2"},
        {"estate": "oak", "patch_id": "p3"},
        {"estate": None},
    ]
    assert W.estates(props) == ["Elm", "oak"]
    patches = [
        {"id": "p1", "officer_ids": ["u1", "u2"]},
        {"id": "p2", "officer_ids": ["u9"]},
        {"id": "p3", "officer_ids": ["u2", "u3"]},
    ]
    assert W.patch_staff("oak", props, patches) == ["u1", "u2", "u3"]
    walks = [
        {"id": "a", "started_at": "2026-06-01T09:00:00Z", "ended_at": "2026-06-01T10:00:00Z"},
        {"id": "b", "started_at": "2026-05-01T09:00:00Z"},
        {"id": "c", "started_at": "2026-06-05T09:00:00Z", "ended_at": "2026-06-05T10:00:00Z"},
    ]
    assert [w["id"] for w in W.walkabouts_newest_first(walks)] == ["b", "c", "a"]
    assert [W.may_manage(r) for r in ("officer", "manager", "pcso", "councillor")] == [
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("obs", "near", "text"),
    [
        (
            {"nearest_block": "Ash Court"},
            {"address": "1 Ash Court"},
            "Block Ash Court, near 1 Ash Court",
        ),
        ({"nearest_block": "Block B"}, None, "Block B"),
        (
            {"lat": 53.123456, "lon": -2.5},
            None,
            "53.12346, -2.50000 (no home nearby)",
        ),
        ({}, None, "No location recorded"),
    ],
)
def test_place_text(obs: dict[str, Any], near: dict[str, Any] | None, text: str) -> None:
    assert W.place_text(obs, near) == text


# --- household and visit -------------------------------------------------------------------
VISIT_DAY = date(2026, 6, 10)


def person(pid: str, dob: str | None, sex: str = "F", **kw: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name": pid.title(),
        "date_of_birth": dob,
        "sex": sex,
        "status": "member",
    } | kw


COUPLE = [
    person("ann", "1980-01-01", "F", relationship="lead_tenant", partner_id="bob"),
    person("bob", "1979-01-01", "M", relationship="partner"),
]


@pytest.mark.parametrize(
    ("persons", "bedrooms", "carer", "standard", "criteria"),
    [
        ([], 2, False, "Nobody counted", None),
        (COUPLE, 1, False, "Needs 1, home has 1: at standard", "Allows 1, 0 spare"),
        (
            COUPLE,
            2,
            False,
            "Needs 1, home has 2: one above standard",
            "Allows 1, 1 spare: housing cost cut 14%",
        ),
        (
            COUPLE,
            3,
            False,
            "Needs 1, home has 3: UNDER-OCCUPIED",
            "Allows 1, 2 spare: housing cost cut 25%",
        ),
        (COUPLE, 2, True, "Needs 1, home has 2: one above standard", "Allows 2, 0 spare"),
        # A boy of 12 and a girl of 8: bedroom standard 3 rooms (they cannot share), 2-bed home.
        (
            COUPLE + [person("cal", "2014-01-01", "M"), person("dee", "2018-01-01", "F")],
            2,
            False,
            "Needs 3, home has 2: OVERCROWDED",
            "Allows 3, 0 spare",
        ),
        # Two girls under 10 share under both rules.
        (
            COUPLE + [person("eve", "2018-01-01"), person("fay", "2020-01-01")],
            2,
            False,
            "Needs 2, home has 2: at standard",
            "Allows 2, 0 spare",
        ),
        # Unverified occupants, people who moved out or died are not counted.
        (
            COUPLE
            + [
                person("gus", "1990-01-01", "M", status="unverified_occupant"),
                person("hal", "1990-01-01", "M", moved_out_on="2026-06-10"),
                person("ida", "1940-01-01", died_on="2026-05-01"),
            ],
            1,
            False,
            "Needs 1, home has 1: at standard",
            "Allows 1, 0 spare",
        ),
        (COUPLE, None, False, "Needs 1, bedrooms unknown", "Allows 1"),
        # A disabled child who cannot share gets a room under the size criteria only.
        (
            COUPLE + [person("eve", "2018-01-01"), person("fay", "2020-01-01", cannot_share=True)],
            3,
            False,
            "Needs 2, home has 3: one above standard",
            "Allows 3, 0 spare",
        ),
    ],
)
def test_household_lines(
    persons: list[dict[str, Any]],
    bedrooms: int | None,
    carer: bool,
    standard: str,
    criteria: str | None,
) -> None:
    lines = T.household_lines(
        persons, bedrooms=bedrooms, visit_date=VISIT_DAY, overnight_carer=carer, policy=P0
    )
    got = values(lines)
    assert got["Bedroom standard"] == standard
    assert got.get("Size criteria") == criteria
    assert lines[-1].reason  # why, in words


def test_household_tones_flag_overcrowding_and_under_occupation() -> None:
    kids = [person("cal", "2014-01-01", "M"), person("dee", "2018-01-01", "F")]
    crowded = T.household_lines(
        COUPLE + kids, bedrooms=2, visit_date=VISIT_DAY, overnight_carer=False, policy=P0
    )
    roomy = T.household_lines(
        COUPLE, bedrooms=4, visit_date=VISIT_DAY, overnight_carer=False, policy=P0
    )
    assert crowded[0].tone == "alert" and roomy[0].tone == "warn"
    assert roomy[1].tone == "warn"  # a housing cost cut


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        (T.PersonInputs(name="Ann"), {}),
        (T.PersonInputs(), {"name": "Enter their name"}),
        (
            T.PersonInputs(name="Ann", date_of_birth="2026-06-11"),
            {"date_of_birth": "The date of birth cannot be in the future"},
        ),
        (T.PersonInputs(name="Ann", date_of_birth="2026-06-10"), {}),
        (
            T.PersonInputs(name="Ann", moved_in_on="soon"),
            {"moved_in_on": "Enter a date as DD/MM/YYYY, e.g. 09/03/2014"},
        ),
    ],
)
def test_person_patch(typed: T.PersonInputs, errors: dict[str, str]) -> None:
    assert T.person_patch("h1", typed, today=VISIT_DAY).errors == errors


def test_person_patch_keeps_unverified_apart() -> None:
    built = T.person_patch("h1", T.PersonInputs(name=" Kim ", unverified=True), today=VISIT_DAY)
    assert built.patch["status"] == "unverified_occupant" and built.patch["name"] == "Kim"
    child = T.person_patch("h1", T.PersonInputs(name="Fay", cannot_share=True), today=VISIT_DAY)
    assert child.patch["cannot_share"] is True and child.patch["status"] == "member"
    assert T.person_text(child.patch, VISIT_DAY) == "Fay: cannot share a room"


def test_split_household_and_texts() -> None:
    persons = [
        person("kid", "2018-01-01", relationship="child"),
        person("lead", "1980-06-11", relationship="lead_tenant"),
        person("x", None, status="unverified_occupant"),
        person("old", "1940-01-01", "M", died_on="2026-06-01"),
        person("left", "1990-01-01", moved_out_on="2026-07-01"),  # still living there today
    ]
    split = T.split_household(persons, VISIT_DAY)
    assert [p["id"] for p in split.members] == ["lead", "kid", "left"]
    assert [p["id"] for p in split.unverified] == ["x"]
    assert [p["id"] for p in split.former] == ["old"]
    assert T.person_text(persons[1], VISIT_DAY) == "Lead: lead tenant, age 45, female"
    assert T.person_text(persons[3], VISIT_DAY) == "Old: age 86, male, died 01/06/2026"
    assert T.partner_options(persons, exclude_id="kid")[0] == ("lead", "Lead")


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        (
            T.VisitInputs(visited_at="10/06/2026 10:00", arrears_amount="£250", weekly_rent="125"),
            {},
        ),
        (T.VisitInputs(), {"visited_at": "Required"}),
        (
            T.VisitInputs(visited_at="10/06/2026 10:00", arrears_amount="lots"),
            {"arrears_amount": "Enter an amount in pounds, e.g. 125.50"},
        ),
        (
            T.VisitInputs(visited_at="10/06/2026 10:00", weekly_rent="-1"),
            {"weekly_rent": "The amount cannot be negative"},
        ),
    ],
)
def test_visit_patch(typed: T.VisitInputs, errors: dict[str, str]) -> None:
    assert T.visit_patch("h1", typed).errors == errors


def test_visit_inputs_round_trip_and_referral_order() -> None:
    typed = T.VisitInputs(
        visited_at="10/06/2026 10:00",
        tenant_present=False,
        id_verified=True,
        arrears_amount="250.5",
        weekly_rent="125",
        referrals=["succession", "money_advice", "money_advice"],
        property_condition="poor",
        pets=" Dog ",
        overnight_carer=True,
        notes="n",
    )
    patch = T.visit_patch("h1", typed).patch
    assert patch["referrals"] == ["money_advice", "succession"]
    assert (patch["arrears_amount"], patch["pets"]) == (250.5, "Dog")
    assert T.visit_patch("h1", T.inputs_from_visit(patch)).patch == patch
    assert T.with_referral(["succession"], "fraud_check") == ["fraud_check", "succession"]


@pytest.mark.parametrize(
    ("amount", "rent", "text"),
    [
        ("", "", "No arrears recorded"),
        ("0", "100", "No arrears"),
        ("250", "", "£250.00 in arrears"),
        ("250", "125", "£250.00 in arrears = 2.0 weeks of rent"),
        ("x", "125", ""),
    ],
)
def test_arrears_text(amount: str, rent: str, text: str) -> None:
    assert T.arrears_text(amount, rent) == text


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("10/06/2026 23:30", date(2026, 6, 10)),
        ("", date(2026, 6, 10)),
        ("11/06/2026 00:30", date(2026, 6, 11)),
    ],
)
def test_visit_day_is_the_local_date(typed: str, day: date) -> None:
    assert T.visit_day(typed, NOW, P0) == day


# --- property timeline ---------------------------------------------------------------------
def test_timeline_is_newest_first_with_untimed_last() -> None:
    entries = P.timeline(
        visits=[
            {
                "id": "v1",
                "property_id": "h1",
                "visited_at": "2026-03-01T10:00:00Z",
                "bedroom_standard": "overcrowded",
                "referrals": ["succession"],
            }
        ],
        cases=[
            {"id": "c1", "category": "noise", "ref": "ASB-1", "received_at": "2026-05-01T10:00:00Z"}
        ],
        reports=[{"id": "r1", "case_id": "c1", "reported_at": "2026-05-20T10:00:00Z"}],
        repairs=[
            {
                "id": "x1",
                "hazard": "damp_and_mould",
                "priority": "urgent",
                "awaab": "significant",
                "reported_at": "2026-06-01T10:00:00Z",
            },
            {
                "id": "x2",
                "priority": "routine",
                "reported_at": None,
                "reference": "REP-2026-0009",
                "description": "Loose  handrail\n on the stairs",
            },  # fmt: skip
        ],
        notes=[{"id": "n1", "text": "Called", "created_at": "2026-06-09T10:00:00Z"}],
        photos=[{"id": "f1", "parent_entity": "repair", "taken_at": "2026-06-01T10:00:00Z"}],
        observations=[
            {
                "id": "o1",
                "walkabout_id": "w1",
                "kind": "fly_tipping",
                "logged_at": "2026-04-01T10:00:00Z",
            }
        ],
    )
    assert [(e.kind, e.record_id) for e in entries] == [
        ("note", "n1"),
        ("repair", "x1"),
        ("photo", "f1"),
        ("asb_report", "r1"),
        ("asb_case", "c1"),
        ("observation", "o1"),
        ("visit", "v1"),
        ("repair", "x2"),
    ]
    by_id = {e.record_id: e for e in entries}
    # Found on a walk: a repair had no reference and no description in the home's history.
    assert by_id["x1"].title == "Repair: Damp and mould growth (reference not yet sent)"
    assert by_id["x1"].detail.startswith("Urgent; Awaab's Law significant")
    assert by_id["x2"].title.endswith("(REP-2026-0009)")
    assert by_id["x2"].detail == "Routine; Loose handrail on the stairs"
    assert by_id["c1"].title == "ASB case: Noise (ASB-1)" and by_id["c1"].route == "/asb"
    assert dict(by_id["r1"].params) == {"id": "c1"}
    assert by_id["v1"].detail == "Overcrowded; referrals: Succession"
    assert dict(by_id["o1"].params) == {"walkabout_id": "w1", "id": "o1"}
    assert by_id["f1"].title == "Photo (repair)"


def test_property_facts_skip_what_is_missing() -> None:
    home = {"estate": "Castlefields", "block": None, "bedrooms": 0, "uprn": "1"}
    assert P.property_facts(home) == [("Estate", "Castlefields"), ("Bedrooms", "0"), ("UPRN", "1")]
    visited = {"last_atv_on": "2026-12-02", "atv_due_on": "2027-12-02"}
    assert P.property_facts(visited) == [
        ("Last ATV", "Wed 02 Dec 2026"),
        ("ATV due", "Thu 02 Dec 2027"),
    ]
    # Found on a walk: a tenanted home never visited said nothing of its ATV.
    never = {"tenancy_ref": "T1", "last_atv_on": None, "atv_due_on": None}
    assert P.property_facts(never) == [("Tenancy", "T1"), ("ATV due", "now (no visit on record)")]
    assert ("ATV due", "now (no visit on record)") not in P.property_facts(home)  # void/partner
    assert P.property_title({"address": "1 Ash Court", "postcode": "WA7 2AB"}) == (
        "1 Ash Court, WA7 2AB"
    )


HOMES = [
    {"id": "h1", "block": "Ash Court", "lat": 53.3310, "lon": -2.69, "address": "1 Ash Court"},
    {"id": "h2", "block": None, "lat": 53.3320, "lon": -2.69, "address": "2 Elm Row"},
]


@pytest.mark.parametrize(
    ("obs", "home", "block"),
    [
        ({"lat": 53.3321, "lon": -2.69}, "h2", None),  # no block: Ash Court is 122 m off
        ({"lat": 53.3318, "lon": -2.69}, "h2", "Ash Court"),  # Ash Court 89 m off
        ({"lat": 53.3309, "lon": -2.69}, "h1", "Ash Court"),
        ({"lat": 53.3340, "lon": -2.69}, None, None),  # 222 m from the nearest home
        (
            {"nearest_property_id": "h1", "nearest_block": "B", "lat": 53.3321, "lon": -2.69},
            "h1",
            "B",
        ),  # what the store derived stands
        ({}, None, None),
    ],
)
def test_nearest_place(obs: dict[str, Any], home: str | None, block: str | None) -> None:
    near, filled = W.nearest_place(obs, HOMES, policy=DEFAULT_POLICY)
    assert (near or {}).get("id") == home
    assert filled.get("nearest_block") == block


def test_who_logged_an_observation_is_named_from_the_directory_or_the_participants() -> None:
    """Found on a walk: the officer could not tell the PCSO's observations from their own."""
    staff = [{"id": "u-gary", "display_name": "Gary Lowe", "role": "pcso"}]
    guests = [{"user_id": "u-meg", "name": "Meg Dennett", "role": "councillor"}]
    assert W.logged_by_text({"logged_by": "u-gary"}, staff, guests) == "by Gary Lowe (PCSO)"
    assert W.logged_by_text({"logged_by": "u-meg"}, staff, guests) == "by Meg Dennett (Councillor)"
    assert W.logged_by_text({"logged_by": "u-nobody"}, staff, guests) == ""
    assert W.logged_by_text({}, staff, guests) == ""


@pytest.mark.parametrize(
    ("status", "line"),
    [
        ("online", "Visit saved on this tablet and being sent to the server now."),
        ("syncing", "Visit saved on this tablet and being sent to the server now."),
        ("offline", "Visit saved on this tablet. It will be sent when there is a connection."),
        ("error", "Visit saved on this tablet. It will be sent when there is a connection."),
        (None, "Visit saved on this tablet. It will be sent when there is a connection."),
    ],
)
def test_saved_line_is_true_to_the_connection(status: str | None, line: str) -> None:
    assert F.saved_line("Visit", status) == line


def test_a_round_under_way_after_a_failed_one_is_not_a_connection() -> None:
    """Found on a walk: with the server down, a case saved while the tablet was trying again
    said it was "being sent to the server now"."""
    failed = "No connection to the server. Changes are kept on this tablet."
    assert F.saved_line("ASB case", "syncing", failed) == (
        "ASB case saved on this tablet. It will be sent when there is a connection."
    )
