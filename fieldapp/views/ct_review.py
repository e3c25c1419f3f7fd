"""Community Trigger record (ASB Case Review) screen: applicant, complaints counted, decision,
panel recommendations, outcome and appeal.

Route ``/ct_review`` with ``case_id`` (the case's record, new or the one already kept) or
``id`` (a stored ``ct_review``). Offered when the case is eligible (or, for a manager, when
the victim is vulnerable); otherwise the screen says why not. The complaints are the case's
receipt and further reports; those the rule counted start ticked (``logic_ct_review``, the
shared domain rule). Saved through ``AppState.create`` / ``update`` like every other record.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common, pickers
from fieldapp.views.form_kit import (
    Feedback,
    Results,
    checkbox,
    dropdown,
    goto,
    grid,
    saved_message,
    section,
    show_errors,
    value_of,
    write,
)
from fieldapp.views.logic_ct_review import (
    APPLICANT_OPTIONS,
    DECISION_OPTIONS,
    RISK_OPTIONS,
    ComplaintRow,
    Recommendation,
    ReviewInputs,
    complaint_rows,
    inputs_from_review,
    may_open,
    new_inputs,
    review_patch,
    summary_lines,
    trigger_for,
)
from fieldapp.views.logic_forms import DATE_HINT, TIME_HINT, changed, label, policy_of
from fieldapp.views.logic_patch import property_label

__all__ = ["ROUTES", "CtReviewForm", "view"]


class RecommendationRow:
    """The three fields of one panel recommendation and its remove button."""

    def __init__(self, form: CtReviewForm, rec: Recommendation) -> None:
        self.form = form
        self.text = common.field("Recommendation", value=rec.text, multiline=True)
        self.owner = common.field("Owner", value=rec.owner)
        self.due_on = common.field("Due date", value=rec.due_on, hint=DATE_HINT, future=True)

    def number(self, n: int) -> None:
        """Labels carry the row number, so each input has its own accessible name."""
        self.text.label = f"Recommendation {n}"
        self.owner.label = f"Owner {n}"
        self.due_on.label = f"Due date {n}"
        pick = pickers.of(self.due_on)
        if pick is not None:
            pick.relabel()

    def value(self) -> Recommendation:
        return Recommendation(
            self.text.value or "", self.owner.value or "", self.due_on.value or ""
        )

    def control(self, n: int) -> ft.Control:
        self.number(n)
        remove = common.button(
            f"Remove recommendation {n}",
            lambda _: self.form.remove_recommendation(self),
            icon=ft.Icons.DELETE_OUTLINE,
            primary=False,
        )
        return ft.Column([self.text, grid(self.owner, self.due_on), remove], spacing=8)


class CtReviewForm:
    """The controls of one Community Trigger record and what its buttons do."""

    def __init__(self, state: AppState, **params: str) -> None:
        self.state = state
        self.record = state.get("ct_review", params["id"]) if params.get("id") else None
        case_id = str((self.record or {}).get("case_id") or params.get("case_id") or "")
        self.case = state.get("asb_case", case_id) if case_id else None
        if self.record is None and self.case is not None:
            kept = sorted(state.find("ct_review", "case_id", case_id), key=lambda r: str(r["id"]))
            self.record = kept[0] if kept else None
        self.feedback = Feedback("ct-message")
        self.results = Results("Community Trigger", prefix="ct")
        self.fields: dict[str, ft.Control] = {}
        self.rows: list[ComplaintRow] = []
        self.recs: list[RecommendationRow] = []
        self.recs_column = ft.Column(spacing=14)
        self.allowed, self.why = False, "This case is not on this tablet."
        if self.case is None:
            return
        policy = policy_of(state)
        reports = state.find("asb_report", "case_id", case_id)
        self.trigger = trigger_for(self.case, reports, policy)
        self.rows = complaint_rows(self.case, reports, policy)
        self.allowed, self.why = may_open(
            self.case, role=state.role, has_review=self.record is not None, trigger=self.trigger
        )
        if self.record is not None:
            start = inputs_from_review(self.record)
        else:
            person_id = str(self.case.get("complainant_id") or "")
            start = new_inputs(self.case, self.rows, state.get("person", person_id))
        self._build_inputs(start)

    # --- controls --------------------------------------------------------------------------
    def _build_inputs(self, start: ReviewInputs) -> None:
        self.applicant = common.field("Applicant name", value=start.applicant_name)
        self.kind = dropdown(
            "Applicant is", APPLICANT_OPTIONS, start.applicant_kind, on_select=self._kind_changed
        )
        self.consent = checkbox("The victim consents to this application", start.consent)
        known = {r.id for r in self.rows}
        extra = [i for i in start.complaint_ids if i not in known]  # no longer on this tablet
        self.complaints = {
            r.id: checkbox(r.text, r.id in start.complaint_ids, on_change=self._changed)
            for r in self.rows
        }
        for i in extra:
            self.complaints[i] = checkbox(f"Earlier complaint {i[:8]} (not on this tablet)", True)
        self.risk = dropdown("Risk level", RISK_OPTIONS, start.risk_level, none_text="Not assessed")
        self.decision = dropdown(
            "Threshold decision", DECISION_OPTIONS, start.decision, none_text="Not decided yet"
        )
        self.decided_at = common.field("Decided on", value=start.decided_at, hint=TIME_HINT)
        self.outcome = common.field("Outcome", value=start.outcome, multiline=True)
        self.appeal = common.field("Appeal", value=start.appeal, multiline=True)
        self.recs = [RecommendationRow(self, r) for r in start.recommendations]
        self.fields = {
            "applicant_name": self.applicant,
            "applicant_kind": self.kind,
            "decision": self.decision,
            "decided_at": self.decided_at,
        }
        self._kind_changed()
        self._show_recommendations()

    def inputs(self) -> ReviewInputs:
        return ReviewInputs(
            applicant_name=self.applicant.value or "",
            applicant_kind=value_of(self.kind),
            consent=self.consent.value is True,
            complaint_ids=[i for i, box in self.complaints.items() if box.value is True],
            risk_level=value_of(self.risk),
            decision=value_of(self.decision),
            decided_at=self.decided_at.value or "",
            recommendations=[r.value() for r in self.recs],
            outcome=self.outcome.value or "",
            appeal=self.appeal.value or "",
        )

    def _kind_changed(self, _: Any = None) -> None:
        # A victim applying consents by applying; the box matters for a third party only.
        self.consent.visible = value_of(self.kind) == "third_party"
        self._changed()

    def _changed(self, _: Any = None) -> None:
        chosen = [i for i, box in self.complaints.items() if box.value is True]
        self.results.show(summary_lines(self.trigger, self.rows, chosen))
        common.push(self.results.control)

    def _show_recommendations(self) -> None:
        self.recs_column.controls = [r.control(n) for n, r in enumerate(self.recs, 1)] or [
            common.muted("No recommendations yet.")
        ]

    def add_recommendation(self, _: Any = None) -> None:
        self.recs.append(RecommendationRow(self, Recommendation()))
        self._show_recommendations()
        common.push(self.recs_column)

    def remove_recommendation(self, row: RecommendationRow) -> None:
        if row in self.recs:
            self.recs.remove(row)
        self._show_recommendations()
        common.push(self.recs_column)

    # --- actions ---------------------------------------------------------------------------
    def save(self, _: Any = None) -> bool:
        """Validate and write; True when saved (the form then shows the stored record)."""
        assert self.case is not None  # the form is only shown for a case on this tablet
        built = review_patch(
            str(self.case["id"]),
            self.inputs(),
            offered_ids=list(self.complaints),
            now=self.state.now(),
        )
        fields = dict(self.fields)
        for n, row in enumerate(self.recs):
            fields |= {
                f"rec{n}.text": row.text,
                f"rec{n}.owner": row.owner,
                f"rec{n}.due_on": row.due_on,
            }
        show_errors(fields, built.errors)
        # Errors with no text field of their own (consent, the complaints) go in the message.
        leftover = [msg for key, msg in built.errors.items() if key not in fields]
        if not built.ok:
            self.feedback.error(["Please correct the fields marked in red.", *leftover])
            return False
        patch = built.patch if self.record is None else changed(self.record, built.patch)
        if self.record is not None and not patch:
            self.feedback.ok("No changes to save.")
            return True
        record, errors = write(
            self.state,
            "ct_review",
            patch,
            record_id=None if self.record is None else str(self.record["id"]),
        )
        leftover = show_errors(fields, errors)
        if record is None:
            self.feedback.error(["Not saved.", *leftover])
            return False
        self.record = record
        self.feedback.ok(saved_message(self.state, "Community Trigger record"))
        self.state.toast("Community Trigger record saved")
        return True

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        case = self.case
        back = common.button(
            "Back to the case" if case else "Back to My patch",
            goto(self.state, "/asb", id=str(case["id"])) if case else goto(self.state, "/patch"),
            primary=False,
            ident="ct-back",
        )
        title = (
            f"Community Trigger · {case.get('ref') or 'ASB case'}" if case else "Community Trigger"
        )
        if case is None or not self.allowed:
            return ft.Column(
                [
                    common.heading(title),
                    common.banner(self.why, kind="info", ident="ct-message"),
                    back,
                ],
                spacing=18,
            )
        home = self.state.get("property", str(case.get("property_id") or ""))
        where = property_label(home) if home else "No home recorded"
        self._changed()
        complaints: list[ft.Control] = []
        for r in self.rows:
            complaints += [self.complaints[r.id], common.muted(r.note)]
        complaints += [
            box for i, box in self.complaints.items() if i not in {r.id for r in self.rows}
        ]
        return ft.Column(
            [
                common.heading(title),
                common.muted(f"{label(case.get('category'))} · {where} · {self.why}"),
                self.results.control,
                section("Applicant", grid(self.applicant, self.kind), self.consent),
                section("Complaints counted", *complaints),
                section("Risk and decision", grid(self.risk, self.decision, self.decided_at)),
                section(
                    "Panel recommendations",
                    self.recs_column,
                    common.button(
                        "Add recommendation",
                        self.add_recommendation,
                        icon=ft.Icons.ADD,
                        primary=False,
                        ident="ct-add-recommendation",
                    ),
                ),
                section("Outcome and appeal", self.outcome, self.appeal),
                self.feedback.box,
                ft.Row(
                    [
                        common.button(
                            "Save Community Trigger record",
                            self.save,
                            icon=ft.Icons.SAVE,
                            ident="ct-save",
                        ),
                        back,
                    ],
                    wrap=True,
                    spacing=common.GAP,
                ),
            ],
            spacing=18,
        )


def view(state: AppState, **params: str) -> ft.Control:
    """``/ct_review`` (params: ``case_id`` | ``id``)."""
    form = CtReviewForm(state, **params)
    root = form.build()
    root.data = form
    return root


ROUTES = {"/ct_review": view}
