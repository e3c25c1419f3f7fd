"""The Community Trigger record screen over a real AppState and device store (offline), no
browser: a case made eligible by its reports, the form filled through its controls and
handlers, and the stored ``ct_review`` (and its outbox entry) checked; reopening, refusals."""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import ct_review
from tests.app import ui
from tests.app.conftest import Recorder, seed

OFFICER = {"id": "u-off", "name": "Sarah Whitfield", "role": "officer", "patch_ids": ["p1"]}
MANAGER = {"id": "u-mgr", "name": "Helen Marsh", "role": "manager", "patch_ids": ["p1"]}
DATA: dict[str, list[dict[str, Any]]] = {
    "patch": [{"id": "p1", "name": "Runcorn East", "officer_ids": ["u-off"]}],
    "property": [
        {
            "id": "h1",
            "uprn": "100001",
            "patch_id": "p1",
            "estate": "Castlefields",
            "block": "Heron Walk",
            "address": "4 Heron Walk, Runcorn",
            "postcode": "WA7 2DN",
            "lat": 53.3372,
            "lon": -2.6918,
            "bedrooms": 2,
        },
    ],
    "person": [
        {
            "id": "m1",
            "property_id": "h1",
            "name": "Karen Jones",
            "date_of_birth": "1978-04-02",
            "relationship": "lead_tenant",
            "status": "member",
        },
    ],
}


def _case(state: AppState, *, reports: int, **extra: Any) -> dict[str, Any]:
    """A noise case received 3 April 2026 with ``reports`` further reports, each a month on."""
    case = state.create(
        "asb_case",
        {
            "ref": "ASB-2026-0417",
            "property_id": "h1",
            "category": "noise",
            "received_at": "2026-04-03T09:00:00Z",
            "complainant_id": "m1",
            "status": "action_plan",
            **extra,
        },
    )
    for n in range(reports):
        state.create(
            "asb_report",
            {
                "case_id": case["id"],
                "incident_at": f"2026-0{5 + n}-01T21:00:00Z",
                "reported_at": f"2026-0{5 + n}-02T09:00:00Z",
                "reporter_id": "m1",
                "agency": ("police", "council")[n % 2],
                "description": "Shouting again",
            },
        )
    stored = state.get("asb_case", case["id"])
    assert stored is not None
    return stored


def _checkbox(screen: ft.Control, label: str) -> ft.Checkbox:
    found = [c for c in ui.of_type(screen, ft.Checkbox) if c.label == label]
    assert len(found) == 1, f"{len(found)} checkboxes labelled {label!r}"
    return found[0]


def _dropdown(screen: ft.Control, label: str) -> ft.Dropdown:
    found = [c for c in ui.of_type(screen, ft.Dropdown) if c.label == label]
    assert len(found) == 1, f"{len(found)} dropdowns labelled {label!r}"
    return found[0]


def _tick(box: ft.Checkbox, value: bool) -> None:
    box.value = value
    if box.on_change is not None:
        ui.fire(box.on_change, ui.Event(box))


def _save(screen: ft.Control) -> None:
    ui.click(ui.by_id(screen, "ct-save"))


def test_record_a_community_trigger_for_an_eligible_case(
    device: Device, state: AppState, shell: Recorder
) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=2)
    assert case["ct_eligible"] is True  # derived on this tablet from the receipt and 2 reports
    screen = ct_review.view(state, case_id=case["id"])
    text = ui.texts(screen)
    assert "Community Trigger · ASB-2026-0417" in text
    assert "Community Trigger: 3 qualifying complaints within 6 months (threshold 3)" in text
    assert ui.field(screen, "Applicant name").value == "Karen Jones"
    receipt = _checkbox(screen, "Fri 03 Apr 2026 · Landlord · ASB-2026-0417")
    police = _checkbox(screen, "Sat 02 May 2026 · Police · ASB-2026-0417 report 1")
    council = _checkbox(screen, "Tue 02 Jun 2026 · Council · ASB-2026-0417 report 2")
    assert receipt.value is police.value is council.value is True  # what the rule counted
    assert form_results(screen) == "3 of 3 chosen"
    _tick(council, False)
    assert form_results(screen) == "2 of 3 chosen"

    _dropdown(screen, "Threshold decision").value = "met"
    ui.field(screen, "Decided on").value = "09/06/2026 14:00"
    ui.click(ui.by_id(screen, "ct-add-recommendation"))
    ui.field(screen, "Recommendation 1").value = "Mediation between the neighbours"
    ui.field(screen, "Owner 1").value = "Tenancy support"
    ui.field(screen, "Due date 1").value = "2026-07-01"
    ui.field(screen, "Outcome").value = "Action plan reviewed; noise monitoring for 4 weeks"
    _save(screen)
    assert "Community Trigger record saved" in shell.toasts

    [stored] = state.find("ct_review", "case_id", case["id"])
    assert stored["applicant"] == {"name": "Karen Jones", "kind": "victim", "consent": True}
    assert stored["complaint_ids"] == [case["id"], *_report_ids(state, case)[:1]]
    assert (stored["decision"], stored["decided_at"]) == ("met", "2026-06-09T13:00:00Z")
    assert stored["risk_level"] == case["risk_level"]
    assert stored["recommendations"] == [
        {
            "text": "Mediation between the neighbours",
            "owner": "Tenancy support",
            "due_on": "2026-07-01",
        },
    ]
    assert stored["outcome"].startswith("Action plan reviewed") and stored["appeal"] is None
    assert any(m["entity"] == "ct_review" for m in state.pending())  # on its way to the server


def form_results(screen: ft.Control) -> str:
    form = screen.data
    assert isinstance(form, ct_review.CtReviewForm)
    return form.results.value("Complaints counted")


def _report_ids(state: AppState, case: dict[str, Any]) -> list[str]:
    reports = state.find("asb_report", "case_id", case["id"])
    return [r["id"] for r in sorted(reports, key=lambda r: r["reported_at"])]


def test_reopen_by_id_or_case_and_update(device: Device, state: AppState, shell: Recorder) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=2)
    screen = ct_review.view(state, case_id=case["id"])
    _save(screen)
    [first] = state.find("ct_review", "case_id", case["id"])
    # Opened again from the case: the same record, not a second one.
    again = ct_review.view(state, case_id=case["id"])
    assert ui.field(again, "Applicant name").value == "Karen Jones"
    ui.field(again, "Appeal").value = "Applicant appealed on 20 June; panel to reconvene"
    _save(again)
    [updated] = state.find("ct_review", "case_id", case["id"])
    assert updated["id"] == first["id"] and updated["appeal"].startswith("Applicant appealed")
    by_id = ct_review.view(state, id=first["id"])
    assert ui.field(by_id, "Appeal").value.startswith("Applicant appealed")
    _save(by_id)
    assert "No changes to save." in ui.texts(by_id)
    ui.click(ui.by_id(by_id, "ct-back"))
    assert shell.routes[-1] == ("/asb", {"id": case["id"]})


def test_third_party_needs_consent_and_nothing_is_saved_without(
    device: Device, state: AppState
) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=2)
    screen = ct_review.view(state, case_id=case["id"])
    consent = _checkbox(screen, "The victim consents to this application")
    assert consent.visible is False  # a victim applying consents by applying
    kind = _dropdown(screen, "Applicant is")
    kind.value = "third_party"
    ui.fire(kind.on_select, ui.Event(kind))
    assert consent.visible is True
    ui.field(screen, "Applicant name").value = "Cllr Margaret Dennett"
    ui.field(screen, "Decided on").value = "09/06/2026 14:00"  # a date with no decision
    _save(screen)
    text = ui.texts(screen)
    assert "A third party may apply only with the victim's consent" in text
    assert ui.field(screen, "Decided on").value == "09/06/2026 14:00"  # nothing typed is lost
    assert _dropdown(screen, "Threshold decision").error_text == (
        "Choose the decision made on this date"
    )
    assert state.find("ct_review", "case_id", case["id"]) == []
    _tick(consent, True)
    _dropdown(screen, "Threshold decision").value = "not_met"
    _save(screen)
    [stored] = state.find("ct_review", "case_id", case["id"])
    assert stored["applicant"] == {
        "name": "Cllr Margaret Dennett",
        "kind": "third_party",
        "consent": True,
    }
    assert stored["decision"] == "not_met"


def test_recommendation_rows_are_checked_and_removable(device: Device, state: AppState) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=2)
    screen = ct_review.view(state, case_id=case["id"])
    add = ui.by_id(screen, "ct-add-recommendation")
    ui.click(add)
    ui.click(add)
    ui.field(screen, "Recommendation 1").value = "Install CCTV on the landing"
    ui.field(screen, "Recommendation 2").value = "Warning letter"
    ui.field(screen, "Owner 2").value = "ASB officer"
    ui.field(screen, "Due date 2").value = "2026-06-20"
    _save(screen)
    assert ui.field(screen, "Owner 1").error == "Who will do it? Required"
    assert ui.field(screen, "Due date 1").error == "Required"
    assert state.find("ct_review", "case_id", case["id"]) == []
    ui.click(ui.button(screen, "Remove recommendation 1"))
    assert ui.field(screen, "Recommendation 1").value == "Warning letter"  # renumbered
    _save(screen)
    [stored] = state.find("ct_review", "case_id", case["id"])
    assert stored["recommendations"] == [
        {"text": "Warning letter", "owner": "ASB officer", "due_on": "2026-06-20"}
    ]


def test_not_offered_when_not_eligible(device: Device, state: AppState) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=1, over_75=True)  # vulnerable, but 2 complaints only
    assert case["ct_eligible"] is False and case["vulnerable"] is True
    screen = ct_review.view(state, case_id=case["id"])
    text = ui.texts(screen)
    assert "No Community Trigger: 2 of 3 qualifying complaints within 6 months" in text
    assert "A manager may open a review for a vulnerable victim regardless." in text
    assert not [s for s in ui.of_type(screen, ft.Semantics) if s.identifier == "ct-save"]


def test_manager_may_open_for_a_vulnerable_victim(device: Device, state: AppState) -> None:
    seed(device, DATA, user=MANAGER)
    case = _case(state, reports=1, over_75=True)
    screen = ct_review.view(state, case_id=case["id"])
    assert "Opened by a manager for a vulnerable victim" in ui.texts(screen)
    _dropdown(screen, "Threshold decision").value = "met"
    ui.field(screen, "Decided on").value = "10/06/2026 09:00"
    _save(screen)
    [stored] = state.find("ct_review", "case_id", case["id"])
    assert stored["complaint_ids"] == [case["id"], *_report_ids(state, case)]  # qualifying ones


def test_unknown_case(device: Device, state: AppState, shell: Recorder) -> None:
    seed(device, DATA, user=OFFICER)
    screen = ct_review.view(state, case_id="nope")
    assert "This case is not on this tablet." in ui.texts(screen)
    ui.click(ui.by_id(screen, "ct-back"))
    assert shell.routes == [("/patch", {})]
