"""ASB report and triage screen: the report, vulnerability, risk, live triage, further reports.

Route ``/asb`` with ``id`` (open a case), or ``property_id`` (new case about a home), or
``observation_id`` (raised from a walkabout observation: prefilled and linked on save).
As the officer fills the form, the triage panel shows priority, vulnerability, whether a
threshold applies and is met, the response due time, the risk level and Community Trigger
eligibility, each with its reason (``logic_asb.triage_lines``, the shared domain rules).
Further reports attach to the saved case (append-only ``asb_report``) and re-run the triage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.form_kit import (
    Feedback,
    PropertyPicker,
    Results,
    Unsaved,
    checkbox,
    dropdown,
    goto,
    grid,
    guard_leaving,
    live_heading,
    section,
    set_choices,
    show_errors,
    spot_of,
    value_of,
    write,
)
from fieldapp.views.logic_asb import (
    AGENCY_OPTIONS,
    CATEGORY_OPTIONS,
    HARM_OPTIONS,
    RISK_QUESTIONS,
    SCALE_KEYS,
    STATUS_OPTIONS,
    VULNERABILITY_QUESTIONS,
    AsbInputs,
    ReportInputs,
    case_patch,
    inputs_from_case,
    members_for_complainant,
    prefill_from_observation,
    report_patch,
    reports_newest_first,
    triage_lines,
)
from fieldapp.views.logic_forms import TIME_HINT, label, policy_of, time_input, when
from fieldapp.views.logic_patch import NOT_YET_SENT, reference_of
from fieldapp.views.raised import draft_id, go_back, opened_from, save_raised

__all__ = ["ROUTES", "AsbForm", "view"]

SCALE_OPTIONS = [(str(n), f"{n}") for n in range(4)]


class AsbForm:
    """The controls of one ASB case and what its buttons do."""

    def __init__(self, state: AppState, **params: str) -> None:
        self.state = state
        self.record, self.observation = opened_from(state, "asb_case", params)
        self.draft = str(self.record["id"]) if self.record else draft_id(state, params)
        if self.record is not None:
            start = inputs_from_case(self.record)
        elif self.observation is not None:
            start = prefill_from_observation(self.observation, state.now())
        else:
            start = AsbInputs(
                property_id=params.get("property_id"), received_at=time_input(state.now())
            )
        self.start = start
        self.unsaved = Unsaved(())  # watched once built (``guard_leaving``)
        on = self._changed
        self.results = Results("Triage", prefix="triage")
        self.feedback = Feedback("asb-message")
        spot = spot_of(self.record, self.observation, start)
        self.property = PropertyPicker(
            state, start.property_id, on_change=self._property_changed, spot=spot
        )
        self.complainant = dropdown(
            "Complainant", [], None, on_select=on, none_text="None recorded / not a resident"
        )
        self.category = dropdown("Category", CATEGORY_OPTIONS, start.category, on_select=on)
        self.harm = dropdown("Harm type", HARM_OPTIONS, start.harm_type, on_select=on,
                             none_text="Not recorded")  # fmt: skip
        self.status = dropdown("Status", STATUS_OPTIONS, start.status, on_select=on)
        self.urgent = checkbox("Urgent crime", start.urgent_crime, on_change=on)
        self.hate = checkbox("Hate-motivated", start.hate_motivated, on_change=on)
        self.description = common.field(
            "Description", value=start.description, multiline=True, on_change=on
        )
        self.incident_at = common.field(
            "Incident time", value=start.incident_at, hint=TIME_HINT, on_change=on
        )
        self.received_at = common.field(
            "Report time", value=start.received_at, hint=TIME_HINT, on_change=on
        )
        self.vulnerability = {
            key: checkbox(text, bool(getattr(start, key)), on_change=on)
            for key, text in VULNERABILITY_QUESTIONS.items()
        }
        self.risk_done = checkbox(
            "Risk assessment done with the complainant", start.risk_assessed, on_change=on
        )
        self.risk: dict[str, ft.Checkbox | ft.Dropdown] = {}
        for key, text in RISK_QUESTIONS.items():
            answer = start.risk_answers.get(key)
            if key in SCALE_KEYS:
                self.risk[key] = dropdown(text, SCALE_OPTIONS, str(answer or 0), on_select=on)
            else:
                self.risk[key] = checkbox(text, answer is True, on_change=on)
        self.fields: dict[str, ft.Control] = {
            "property_id": self.property.dropdown,
            "complainant_id": self.complainant,
            "category": self.category,
            "harm_type": self.harm,
            "status": self.status,
            "description": self.description,
            "incident_at": self.incident_at,
            "received_at": self.received_at,
        }
        self.heading = live_heading(state, "asb_case", lambda: self.record, self._title)
        self.trigger = ft.Container()
        self.reports = ReportsPanel(self)
        self._property_changed(start.property_id, keep=start.complainant_id)
        self._show_saved()

    # --- reading and showing ---------------------------------------------------------------
    def inputs(self) -> AsbInputs:
        answers: dict[str, Any] = {}
        for key, control in self.risk.items():
            if isinstance(control, ft.Dropdown):
                answers[key] = int(value_of(control) or 0)
            else:
                answers[key] = control.value is True
        vuln = {k: c.value is True for k, c in self.vulnerability.items()}
        return AsbInputs(
            property_id=self.property.value,
            complainant_id=value_of(self.complainant),
            category=value_of(self.category),
            urgent_crime=self.urgent.value is True,
            hate_motivated=self.hate.value is True,
            harm_type=value_of(self.harm),
            description=self.description.value or "",
            incident_at=self.incident_at.value or "",
            received_at=self.received_at.value or "",
            over_75=vuln["over_75"],
            other_org_support=vuln["other_org_support"],
            personal_budget=vuln["personal_budget"],
            vulnerable_by_judgement=vuln["vulnerable_by_judgement"],
            risk_assessed=self.risk_done.value is True,
            risk_answers=answers,
            status=value_of(self.status),
            lat=self.start.lat,
            lon=self.start.lon,
        )

    def case_reports(self) -> list[dict[str, Any]]:
        if self.record is None:
            return []
        return self.state.find("asb_report", "case_id", self.record["id"])

    def _changed(self, _: Any = None) -> None:
        inputs = self.inputs()
        person = self.state.get("person", inputs.complainant_id) if inputs.complainant_id else None
        self.urgent.disabled = inputs.category != "crime"
        self.results.show(
            triage_lines(
                inputs,
                reports=self.case_reports(),
                complainant_dob=(person or {}).get("date_of_birth"),
                case_id=None if self.record is None else self.record["id"],
                policy=policy_of(self.state),
                now=self.state.now(),
            )
        )
        self._offer_trigger()

    def _offer_trigger(self) -> None:
        """The Community Trigger record, once the saved case is eligible (or, for a manager,
        the victim is vulnerable: a review may be opened regardless)."""
        record = self.record
        eligible = self.results.value("Community Trigger") == "Eligible"
        vulnerable = self.results.value("Vulnerability") == "Vulnerable"
        if record is None or not (eligible or (vulnerable and self.state.role == "manager")):
            self.trigger.content = None
            return
        kept = self.state.find("ct_review", "case_id", str(record["id"]))
        params = {"id": str(kept[0]["id"])} if kept else {"case_id": str(record["id"])}
        text = "Open the Community Trigger record" if kept else "Start a Community Trigger record"
        self.trigger.content = common.button(
            text, goto(self.state, "/ct_review", **params), icon=ft.Icons.GAVEL,
            ident="asb-community-trigger",
        )  # fmt: skip

    def household(self, property_id: str | None) -> list[dict[str, Any]]:
        return self.state.find("person", "property_id", property_id) if property_id else []

    def _property_changed(self, property_id: str | None, keep: str | None = None) -> None:
        chosen = keep if keep is not None else value_of(self.complainant)
        set_choices(
            self.complainant,
            members_for_complainant(self.household(property_id)),
            none_text="None recorded / not a resident",
        )
        if chosen and any(o.key == chosen for o in self.complainant.options):
            self.complainant.value = chosen
        self.reports.set_people(self.household(property_id))
        self._changed()

    def _title(self, record: Mapping[str, Any] | None) -> str:
        if record is None:
            new = "New ASB report"
            return new if self.observation is None else f"{new} from a walkabout observation"
        return f"ASB case {reference_of(record) or '(' + NOT_YET_SENT + ')'}"

    def _show_saved(self) -> None:
        self.heading.content = common.heading(self._title(self.record))
        self.reports.refresh()

    # --- actions ---------------------------------------------------------------------------
    def save(self, _: Any = None) -> bool:
        """Validate and write; True when saved (the form then shows the stored case)."""
        saved = save_raised(self, "asb_case", case_patch(self.inputs()), what="ASB case")
        if saved:
            self._show_saved()
            self._changed()
        return saved is not False

    def back(self, _: Any = None) -> None:
        go_back(self.state, self.observation, self.property.value)

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        risk = list(self.risk.values())
        return ft.Column(
            [
                self.heading,
                section(
                    "Where and who",
                    grid(*self.property.controls, self.complainant),
                    self.property.spot_line,
                ),
                section(
                    "What happened",
                    grid(self.category, self.harm, self.urgent, self.hate),
                    grid(self.description, md=12),
                    grid(self.incident_at, self.received_at, self.status),
                ),
                section("Vulnerability", grid(*self.vulnerability.values())),
                section("Risk assessment", self.risk_done, grid(*risk)),
                self.results.control,
                self.trigger,
                self.feedback.box,
                ft.Row(
                    [
                        common.button(
                            "Save ASB report", self.save, icon=ft.Icons.SAVE, ident="asb-save"
                        ),
                        common.button("Back", self.back, primary=False, ident="asb-back"),
                    ],  # fmt: skip
                    wrap=True,
                    spacing=common.GAP,
                ),
                self.reports.control,
            ],
            spacing=18,
        )


class ReportsPanel:
    """Further reports of a saved case: the list (newest first) and the form to add one."""

    def __init__(self, form: AsbForm) -> None:
        self.form = form
        now = time_input(form.state.now())
        self.incident_at = common.field("Further report incident time", hint=TIME_HINT)
        self.reported_at = common.field("Further report time", value=now, hint=TIME_HINT)
        self.reporter = dropdown("Reported by", [], None, none_text="Not a household member")
        self.agency = dropdown("Reported to", AGENCY_OPTIONS, "landlord")
        self.hate = checkbox("Further report hate-motivated")
        self.description = common.field("Further report description", multiline=True)
        self.feedback = Feedback("asb-report-message")
        self.listing = ft.Column(spacing=6)
        self.fields: dict[str, ft.Control] = {
            "incident_at": self.incident_at,
            "reported_at": self.reported_at,
            "reporter_id": self.reporter,
            "agency": self.agency,
            "description": self.description,
        }
        self.control = ft.Container(
            visible=False,
            content=section(
                "Further reports",
                self.listing,
                grid(self.incident_at, self.reported_at, self.reporter, self.agency),
                self.hate,
                grid(self.description, md=12),
                self.feedback.box,
                common.button("Add report", self.add, icon=ft.Icons.ADD, ident="asb-add-report"),
            ),
        )

    def set_people(self, persons: list[dict[str, Any]]) -> None:
        set_choices(
            self.reporter, members_for_complainant(persons), none_text="Not a household member"
        )

    def refresh(self) -> None:
        self.control.visible = self.form.record is not None
        rows: list[ft.Control] = []
        for r in reports_newest_first(self.form.case_reports()):
            agency = label(r.get("agency")) or "Unknown agency"
            detail = f"To {agency.lower()}" + (
                ", hate-motivated" if r.get("hate_motivated") else ""
            )
            if r.get("incident_at"):
                detail += f"; incident {when(r['incident_at'])}"
            rows.append(common.tile(f"Reported {when(r.get('reported_at'))}", detail,
                                    icon=ft.Icons.CAMPAIGN))  # fmt: skip
        self.listing.controls = rows or [common.muted("No further reports yet.")]

    def add(self, _: Any = None) -> bool:
        form = self.form
        if form.record is None:
            self.feedback.error(["Save the case first."])
            return False
        built = report_patch(
            form.record["id"],
            ReportInputs(
                incident_at=self.incident_at.value or "",
                reported_at=self.reported_at.value or "",
                reporter_id=value_of(self.reporter),
                agency=value_of(self.agency),
                description=self.description.value or "",
                hate_motivated=self.hate.value is True,
            ),
        )
        leftover = show_errors(self.fields, built.errors)
        if not built.ok:
            self.feedback.error(["Please correct the fields marked in red.", *leftover])
            return False
        record, errors = write(form.state, "asb_report", built.patch)
        leftover = show_errors(self.fields, errors)
        if record is None:
            self.feedback.error(["Not added.", *leftover])
            return False
        # Clear for the next report; the triage is re-run with this one counted.
        self.incident_at.value = ""
        self.description.value = ""
        self.hate.value = False
        self.reported_at.value = time_input(form.state.now())
        self.feedback.ok("Report added to the case.")
        form.unsaved.saved()
        form.record = form.state.get("asb_case", form.record["id"]) or form.record
        self.refresh()
        form._changed()
        return True


def view(state: AppState, **params: str) -> ft.Control:
    """``/asb`` (params: ``id`` | ``property_id`` | ``observation_id``)."""
    if params.get("id") and state.get("asb_case", params["id"]) is None:
        return ft.Column([
            common.heading("ASB case"),
            common.banner("This asb case is not on this tablet."),
        ])  # fmt: skip
    form = AsbForm(state, **params)
    root = form.build()
    form.unsaved = guard_leaving(state, root)
    root.data = form
    return root


ROUTES = {"/asb": view}
