"""Annual Tenancy Visit screen: verify the household, record the visit, see bedroom need live.

Route ``/atv`` with ``property_id`` (a new visit to that home) and optionally ``id`` (open a
recorded visit). Each household change (a member added, edited, moved out, died or verified;
unverified occupants kept apart) is one store call (``AppState.household_event``), and the
bedroom standard and size criteria panel is recomputed after each one and when the visit
date or the overnight-carer answer changes (``logic_atv.household_lines``). The suggested
actions panel shows what the rules suggest for the form as it stands; confirming a referral
ticks it, declining needs a reason, and both are kept in the visit's ``action_decisions``
(written at once on a recorded visit, with the visit on a new one). Repairs and ASB found on
the visit open their forms for this home.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import flet as ft

from fieldapp.state import AppState, HouseholdEvent
from fieldapp.sync.protocol import REFERRALS
from fieldapp.views import common
from fieldapp.views.form_kit import (
    Feedback,
    Results,
    Unsaved,
    attempt,
    checkbox,
    dropdown,
    goto,
    grid,
    guard_leaving,
    new_record,
    saved_message,
    section,
    set_choices,
    show_errors,
    value_of,
    write,
)
from fieldapp.views.logic_atv import (
    CONDITION_OPTIONS,
    RELATIONSHIP_OPTIONS,
    SEX_OPTIONS,
    PersonInputs,
    VisitInputs,
    arrears_text,
    household_lines,
    inputs_from_visit,
    partner_options,
    person_patch,
    person_text,
    split_household,
    suggested,
    visit_day,
    visit_patch,
    with_referral,
)
from fieldapp.views.logic_forms import (
    DATE_HINT,
    TIME_HINT,
    changed,
    date_input,
    policy_of,
    time_input,
)
from fieldapp.views.logic_property import property_title
from fieldapp.views.logic_suggestions import ACTION_LABELS, REFERRAL_LABELS, decide
from fieldapp.views.suggest_panel import SuggestionPanel

__all__ = ["ROUTES", "AtvForm", "view"]


class AtvForm:
    """One visit to one home: its household and the visit record."""

    def __init__(self, state: AppState, home: dict[str, Any], visit: dict[str, Any] | None) -> None:
        self.state = state
        self.home = home
        self.visit = visit
        start = (
            inputs_from_visit(visit) if visit else VisitInputs(visited_at=time_input(state.now()))
        )
        on = self._recompute
        self.results = Results("Bedrooms", prefix="atv")
        self.feedback = Feedback("atv-message")
        self.person_feedback = Feedback("atv-person-message")
        self.unsaved = Unsaved(())  # watched once built (``guard_leaving``)
        self.confirm_box = ft.Container()  # "Record that … died?" and then "Undo"
        self.pending: tuple[str, Literal["moved_out", "died"]] | None = None
        # The visit.
        self.visited_at = common.field("Visit time", value=start.visited_at, hint=TIME_HINT,
                                       on_change=on)  # fmt: skip
        self.tenant_present = checkbox("Tenant present", start.tenant_present, on_change=on)
        self.id_verified = checkbox("ID seen (two IDs, one with a photo)", start.id_verified,
                                    on_change=on)  # fmt: skip
        self.arrears = common.field(
            "Arrears (£)",
            value=start.arrears_amount,
            keyboard=ft.KeyboardType.NUMBER,
            on_change=self._money,
        )
        self.rent = common.field("Weekly rent (£)", value=start.weekly_rent,
                                 keyboard=ft.KeyboardType.NUMBER, on_change=self._money)  # fmt: skip
        self.arrears_note = common.muted("")
        self.referrals = {
            key: checkbox(REFERRAL_LABELS[key], key in start.referrals) for key in REFERRALS
        }
        self.condition = dropdown("Property condition", CONDITION_OPTIONS, start.property_condition,
                                  none_text="Not assessed")  # fmt: skip
        self.fire = common.field("Fire safety concerns", value=start.fire_safety_concerns,
                                 multiline=True)  # fmt: skip
        self.pets = common.field("Pets", value=start.pets)
        self.adaptations = common.field("Adaptations", value=start.adaptations)
        self.carer = checkbox("Non-resident overnight carer", start.overnight_carer, on_change=on)
        self.notes = common.field("Visit notes", value=start.notes, multiline=True)
        self.decisions: list[dict[str, Any]] = list((visit or {}).get("action_decisions") or [])
        self.suggestions = SuggestionPanel("atv", self.decide)
        self.visit_fields: dict[str, ft.Control] = {
            "visited_at": self.visited_at, "arrears_amount": self.arrears,
            "weekly_rent": self.rent, "property_condition": self.condition,
            "fire_safety_concerns": self.fire, "pets": self.pets,
            "adaptations": self.adaptations, "notes": self.notes,
        }  # fmt: skip
        # The person form (adding, or editing the person chosen in the list).
        self.editing: dict[str, Any] | None = None
        self.p_name = common.field("Name")
        self.p_dob = common.field("Date of birth", hint=DATE_HINT)
        self.p_sex = dropdown("Sex", SEX_OPTIONS, None, none_text="Not recorded")
        self.p_rel = dropdown("Relationship", RELATIONSHIP_OPTIONS, None, none_text="Not recorded")
        self.p_partner = dropdown("Partner", [], None, none_text="No partner in the home")
        self.p_moved_in = common.field("Moved in on", hint=DATE_HINT)
        self.p_unverified = checkbox("Unverified occupant (no ID seen)")
        self.p_cannot_share = checkbox("Disabled child who cannot share a room")
        self.person_fields: dict[str, ft.Control] = {
            "name": self.p_name, "date_of_birth": self.p_dob, "sex": self.p_sex,
            "relationship": self.p_rel, "partner_id": self.p_partner, "moved_in_on": self.p_moved_in,
        }  # fmt: skip
        self.person_title = ft.Container()
        self.members = ft.Column(spacing=4)
        self.unverified = ft.Column(spacing=4)
        self.former = ft.Column(spacing=4)
        self.refresh_household()
        self._money()
        state.subscribe(self._heard)  # household records synced in during the visit

    def _heard(self) -> None:
        self.refresh_household()
        common.push(self.members, self.unverified, self.former, self.results.control)

    # --- household -------------------------------------------------------------------------
    def persons(self) -> list[dict[str, Any]]:
        return self.state.find("person", "property_id", self.home["id"])

    def today(self) -> Any:
        return visit_day(self.visited_at.value or "", self.state.now(), policy_of(self.state))

    def refresh_household(self) -> None:
        people = self.persons()
        split = split_household(people, self.today())
        self.members.controls = [self._row(p, member=True) for p in split.members] or [
            common.muted("No household members recorded.")
        ]
        self.unverified.controls = [self._row(p, member=False) for p in split.unverified] or [
            common.muted("None.")
        ]
        self.former.controls = [
            common.tile(person_text(p, self.today()), "", icon=ft.Icons.PERSON_OFF)
            for p in split.former
        ] or [common.muted("None.")]
        exclude = None if self.editing is None else str(self.editing["id"])
        set_choices(self.p_partner, partner_options(split.members, exclude_id=exclude),
                    none_text="No partner in the home")  # fmt: skip
        self.person_title.content = common.heading(
            "Add a person" if self.editing is None else f"Edit {self.editing.get('name')}", level=3
        )
        self._recompute()

    def _row(self, person: Mapping[str, Any], *, member: bool) -> ft.Control:
        pid = str(person["id"])
        actions: list[ft.Control] = [
            common.button("Edit", self._act(self.edit_person, pid), primary=False),
            common.button("Moved out", self._act(self.moved_out, pid), primary=False),
        ]
        if member:
            actions.append(common.button("Died", self._act(self.died, pid), primary=False))
        else:
            actions.append(common.button("ID seen", self._act(self.verify, pid), primary=False))
        return common.card([
            ft.Text(person_text(person, self.today()), size=17),
            ft.Row(actions, wrap=True, spacing=8),
        ])  # fmt: skip

    @staticmethod
    def _act(fn: Callable[[str], bool], pid: str) -> Callable[[Any], bool]:
        return lambda _: fn(pid)

    def _person_inputs(self) -> PersonInputs:
        return PersonInputs(
            name=self.p_name.value or "", date_of_birth=self.p_dob.value or "",
            sex=value_of(self.p_sex), relationship=value_of(self.p_rel),
            partner_id=value_of(self.p_partner), moved_in_on=self.p_moved_in.value or "",
            unverified=self.p_unverified.value is True,
            cannot_share=self.p_cannot_share.value is True,
        )  # fmt: skip

    def save_person(self, _: Any = None) -> bool:
        """Add the person typed in (or save the one being edited); the panel updates."""
        built = person_patch(str(self.home["id"]), self._person_inputs(), today=self.today())
        leftover = show_errors(self.person_fields, built.errors)
        if not built.ok:
            self.person_feedback.error(["Please correct the fields marked in red.", *leftover])
            return False
        editing = self.editing
        patch = built.patch if editing is None else changed(editing, built.patch)
        patch.pop("property_id", None)
        event = HouseholdEvent("joined" if editing is None else "changed", str(self.home["id"]),
                               person_id=None if editing is None else str(editing["id"]),
                               fields=patch, author_id=self._author())  # fmt: skip
        record = self._event(event, None)
        if record is None:
            return False
        self.person_feedback.ok(f"{record.get('name')} saved.")
        self.clear_person()
        self.unsaved.saved()
        return True

    def clear_person(self, _: Any = None) -> None:
        self.editing = None
        for f in (self.p_name, self.p_dob, self.p_moved_in):
            f.value, f.error = "", None
        for d in (self.p_sex, self.p_rel, self.p_partner):
            d.value, d.error_text = None, None
        self.p_unverified.value = self.p_cannot_share.value = False
        self.refresh_household()

    def edit_person(self, pid: str) -> bool:
        person = self.state.get("person", pid)
        if person is None:
            return False
        self.editing = person
        self.p_name.value = str(person.get("name") or "")
        self.p_dob.value = date_input(person.get("date_of_birth"))
        self.p_moved_in.value = date_input(person.get("moved_in_on"))
        self.p_unverified.value = person.get("status") == "unverified_occupant"
        self.p_cannot_share.value = person.get("cannot_share") is True
        self.refresh_household()
        self.p_sex.value = person.get("sex")
        self.p_rel.value = person.get("relationship")
        self.p_partner.value = person.get("partner_id") or self.p_partner.value
        return True

    def _author(self) -> str | None:
        return (self.state.user or {}).get("id")

    def _event(self, event: HouseholdEvent, done: str | None) -> dict[str, Any] | None:
        """Record one household event (one store call); errors go under the person form."""
        record, errors = attempt(lambda: self.state.household_event(event))
        if record is None:
            leftover = show_errors(self.person_fields, errors)
            self.person_feedback.error(["Not saved.", *leftover])
            return None
        if done is not None:
            self.person_feedback.ok(done)
            self.refresh_household()
        return record

    def _on_day(self, kind: Literal["moved_out", "died"], pid: str, done: str) -> bool:
        day = self.today().isoformat()
        event = HouseholdEvent(kind, str(self.home["id"]), person_id=pid, day=day,
                               author_id=self._author())  # fmt: skip
        return self._event(event, done.format(day=day)) is not None

    # A death or a move-out changes the household (and a death suggests a succession): one
    # slip of a finger must not do that, so each asks first and can be undone.
    def moved_out(self, pid: str) -> bool:
        """Ask to confirm that ``pid`` moved out today (``confirm`` records it)."""
        return self._ask(pid, "moved_out")

    def died(self, pid: str) -> bool:
        """Ask to confirm that ``pid`` died today (``confirm`` records it)."""
        return self._ask(pid, "died")

    def _ask(self, pid: str, kind: Literal["moved_out", "died"]) -> bool:
        person = self.state.get("person", pid)
        if person is None:
            return False
        self.pending = (pid, kind)
        name, day = person.get("name") or "This person", self.today().strftime("%d/%m/%Y")
        what = "died" if kind == "died" else "moved out"
        self.confirm_box.content = common.card([
            ft.Text(f"Record that {name} {what} on {day}?", size=17,
                    weight=ft.FontWeight.W_600),
            ft.Row([
                common.button("Yes, record it", self.confirm, ident="person-confirm"),
                common.button("Cancel", self.cancel, primary=False, ident="person-cancel"),
            ], wrap=True, spacing=8),
        ])  # fmt: skip
        return True

    def cancel(self, _: Any = None) -> None:
        self.pending = None
        self.confirm_box.content = None

    def confirm(self, _: Any = None) -> bool:
        """Record the death or move-out asked about; offer to undo it."""
        if self.pending is None:
            return False
        pid, kind = self.pending
        self.cancel()
        done = "Death recorded ({day})." if kind == "died" else "Marked as moved out on {day}."
        if not self._on_day(kind, pid, done):
            return False
        self.confirm_box.content = ft.Row([
            ft.Text("Recorded by mistake?", size=16),
            common.button("Undo", lambda _: self.undo(pid, kind), primary=False,
                          ident="person-undo"),
        ], wrap=True, spacing=8)  # fmt: skip
        return True

    def undo(self, pid: str, kind: str) -> bool:
        """Take back a death or move-out recorded by mistake."""
        field = "died_on" if kind == "died" else "moved_out_on"
        self.confirm_box.content = None
        event = HouseholdEvent("changed", str(self.home["id"]), person_id=pid,
                               fields={field: None}, author_id=self._author())  # fmt: skip
        return self._event(event, "Undone: back in the household.") is not None

    def verify(self, pid: str) -> bool:
        event = HouseholdEvent("id_seen", str(self.home["id"]), person_id=pid,
                               author_id=self._author())  # fmt: skip
        return self._event(event, "ID seen: now a household member.") is not None

    # --- suggested actions -----------------------------------------------------------------
    def decide(self, action: str, confirmed: bool, reason: str | None) -> str | None:
        """Confirm (a referral is ticked) or decline with a reason; None when done."""
        decisions, problem = decide(self.decisions, action, confirmed=confirmed, reason=reason,
                                    user=self.state.user, now=self.state.now())  # fmt: skip
        if decisions is None:
            return problem
        refers = confirmed and action in self.referrals
        if self.visit is not None:
            patch: dict[str, Any] = {"action_decisions": decisions}
            if refers:
                patch["referrals"] = with_referral(self.visit.get("referrals") or [], action)
            record, errors = write(self.state, "tenancy_visit", patch,
                                   record_id=str(self.visit["id"]))  # fmt: skip
            if record is None:
                return " ".join(errors.values()) or "Not saved."
            self.visit = record
        if refers:
            self.referrals[action].value = True
        self.decisions = decisions
        self._recompute()
        self.state.toast(f"{ACTION_LABELS[action]}: {'confirmed' if confirmed else 'declined'}")
        return None

    # --- the visit -------------------------------------------------------------------------
    def _recompute(self, _: Any = None) -> None:
        bedrooms = self.home.get("bedrooms")
        persons = self.persons()
        policy = policy_of(self.state)
        found = suggested(self.visit_inputs(), persons, day=self.today(), policy=policy)
        self.suggestions.show(found, self.decisions)
        self.results.show(
            household_lines(
                persons,
                bedrooms=bedrooms if isinstance(bedrooms, int) else None,
                visit_date=self.today(),
                overnight_carer=self.carer.value is True,
                policy=policy_of(self.state),
            )
        )

    def _money(self, _: Any = None) -> None:
        self.arrears_note.value = arrears_text(self.arrears.value or "", self.rent.value or "")
        self._recompute()

    def visit_inputs(self) -> VisitInputs:
        return VisitInputs(
            visited_at=self.visited_at.value or "", tenant_present=self.tenant_present.value is True,
            id_verified=self.id_verified.value is True, arrears_amount=self.arrears.value or "",
            weekly_rent=self.rent.value or "",
            referrals=[k for k, c in self.referrals.items() if c.value is True],
            property_condition=value_of(self.condition),
            fire_safety_concerns=self.fire.value or "", pets=self.pets.value or "",
            adaptations=self.adaptations.value or "", overnight_carer=self.carer.value is True,
            notes=self.notes.value or "",
        )  # fmt: skip

    def save_visit(self, _: Any = None) -> bool:
        built = visit_patch(str(self.home["id"]), self.visit_inputs())
        leftover = show_errors(self.visit_fields, built.errors)
        if not built.ok:
            self.feedback.error(["Please correct the fields marked in red.", *leftover])
            return False
        if self.decisions:
            built.patch["action_decisions"] = self.decisions
        patch = built.patch if self.visit is None else changed(self.visit, built.patch)
        if self.visit is not None and not patch:
            self.feedback.ok("No changes to save.")
            return True
        record, errors = write(self.state, "tenancy_visit", patch,
                               record_id=None if self.visit is None else str(self.visit["id"]))  # fmt: skip
        leftover = show_errors(self.visit_fields, errors)
        if record is None:
            self.feedback.error(["Not saved.", *leftover])
            return False
        self.visit = record
        self.feedback.ok(saved_message(self.state, "Visit"))
        self.unsaved.saved()
        self.state.toast("Tenancy visit saved")
        return True

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        hid = str(self.home["id"])
        return ft.Column([
            common.heading(f"Annual Tenancy Visit: {property_title(self.home)}"),
            common.muted(f"{self.home.get('bedrooms', '?')} bedroom(s) · {self.home.get('estate')}"),
            section("Household members", self.members),
            section("Unverified occupants (kept apart; tenancy fraud check)", self.unverified),
            section("Moved out or died", self.former),
            ft.Column([
                self.person_title,
                grid(self.p_name, self.p_dob, self.p_sex, self.p_rel, self.p_partner,
                     self.p_moved_in),
                grid(self.p_unverified, self.p_cannot_share),
                self.confirm_box,
                self.person_feedback.box,
                ft.Row([
                    common.button("Save person", self.save_person, icon=ft.Icons.PERSON_ADD,
                                  ident="atv-save-person"),
                    common.button("Clear", self.clear_person, primary=False),
                ], wrap=True, spacing=common.GAP),
            ], spacing=common.GAP),
            self.results.control,
            section("The visit", grid(self.visited_at, self.tenant_present, self.id_verified,
                                      self.carer)),
            section("Money", grid(self.arrears, self.rent), self.arrears_note),
            self.suggestions.control,
            section("Referrals", grid(*self.referrals.values(), md=4)),
            section("The home", grid(self.condition, self.pets, self.adaptations), grid(self.fire, self.notes, md=12)),
            self.feedback.box,
            ft.Row([
                common.button("Save visit", self.save_visit, icon=ft.Icons.SAVE, ident="atv-save"),
                common.button("Repair found", new_record(self.state, "/repair", property_id=hid),
                              icon=ft.Icons.BUILD, primary=False, ident="atv-repair"),
                common.button("ASB found", new_record(self.state, "/asb", property_id=hid),
                              icon=ft.Icons.REPORT, primary=False, ident="atv-asb"),
                common.button("Property history", goto(self.state, "/property", id=hid),
                              primary=False, ident="atv-history"),
            ], wrap=True, spacing=common.GAP),
        ], spacing=18)  # fmt: skip


def view(state: AppState, **params: str) -> ft.Control:
    """``/atv`` (params: ``property_id``; ``id`` to open a recorded visit)."""
    visit = state.get("tenancy_visit", params["id"]) if params.get("id") else None
    home_id = params.get("property_id") or (visit or {}).get("property_id")
    home = state.get("property", str(home_id)) if home_id else None
    if home is None:
        return ft.Column([
            common.heading("Annual Tenancy Visit"),
            common.banner("Choose a property first (from My patch or a search)."),
        ])  # fmt: skip
    form = AtvForm(state, home, visit)
    root = form.build()
    form.unsaved = guard_leaving(state, root)
    root.data = form
    return root


ROUTES = {"/atv": view}
