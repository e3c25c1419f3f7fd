"""Repair finding screen: property, room, HHSRS hazard, priority, Awaab's Law class, photos.

Route ``/repair`` with ``id`` (open a finding), or ``property_id`` (new finding for a home),
or ``observation_id`` (raised from a walkabout observation: prefilled, and the observation is
linked to the repair on save). The due time and the Awaab's Law deadlines are shown live as
the form changes (``logic_repair.deadline_lines``), with the Awaab's Law class the rules
suggest, which the officer confirms (the class and priority are set) or declines with a reason
(kept in ``action_decisions``, written at once on a stored finding). Saving keeps the officer on the form,
which then takes photos; a refused save leaves every typed value in place with the reason
under its field.
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
    grid,
    guard_leaving,
    live_heading,
    photo_strip,
    pick_photos,
    section,
    spot_of,
    value_of,
    write,
)
from fieldapp.views.logic_forms import TIME_HINT, policy_of, time_input
from fieldapp.views.logic_patch import NOT_YET_SENT, reference_of
from fieldapp.views.logic_repair import (
    AWAAB_OPTIONS,
    HAZARD_OPTIONS,
    PRIORITY_OPTIONS,
    STATUS_OPTIONS,
    RepairInputs,
    deadline_lines,
    inputs_from_repair,
    prefill_from_observation,
    repair_patch,
    suggested,
)
from fieldapp.views.logic_suggestions import ACTION_LABELS, REPAIR_EFFECTS, decide
from fieldapp.views.raised import draft_id, go_back, opened_from, save_raised
from fieldapp.views.suggest_panel import SuggestionPanel

__all__ = ["ROUTES", "RepairForm", "view"]


class RepairForm:
    """The controls of one repair finding and what its buttons do."""

    def __init__(self, state: AppState, **params: str) -> None:
        self.state = state
        self.record, self.observation = opened_from(state, "repair", params)
        self.draft = str(self.record["id"]) if self.record else draft_id(state, params)
        if self.record is not None:
            start = inputs_from_repair(self.record)
        elif self.observation is not None:
            start = prefill_from_observation(self.observation, state.now())
        else:
            start = RepairInputs(
                property_id=params.get("property_id"), reported_at=time_input(state.now())
            )
        self.start = start
        self.unsaved = Unsaved(())  # watched once built (``guard_leaving``)
        self.results = Results("Deadlines", prefix="repair")
        self.feedback = Feedback("repair-message")
        on = self._changed
        spot = spot_of(self.record, self.observation, start)
        self.property = PropertyPicker(
            state, start.property_id, on_change=lambda _: on(), spot=spot
        )
        self.room = common.field("Room", value=start.room, on_change=on)
        self.hazard = dropdown(
            "HHSRS hazard", HAZARD_OPTIONS, start.hazard, on_select=on, none_text="Not recorded"
        )
        self.priority = dropdown("Priority", PRIORITY_OPTIONS, start.priority, on_select=on)
        self.awaab = dropdown("Awaab's Law", AWAAB_OPTIONS, start.awaab, on_select=on)
        self.imminent = checkbox(
            "Imminent risk (emergency hazard)", start.imminent_risk, on_change=on
        )
        self.decisions: list[dict[str, Any]] = list(
            (self.record or {}).get("action_decisions") or []
        )
        self.suggestions = SuggestionPanel("repair", self.decide)
        self.description = common.field(
            "Description", value=start.description, multiline=True, on_change=on
        )
        self.reported_at = common.field(
            "Reported at", value=start.reported_at, hint=TIME_HINT, on_change=on
        )
        self.concluded_at = common.field(
            "Investigation concluded at",
            value=start.investigation_concluded_at,
            hint=TIME_HINT,
            on_change=on,
        )
        self.status = dropdown("Status", STATUS_OPTIONS, start.status, on_select=on)
        self.concluded_now = checkbox("Investigation concluded now", on_change=self._concluded)
        self.photos = ft.Container()
        self.heading = live_heading(state, "repair", lambda: self.record, self._title)
        self.fields: dict[str, ft.Control] = {
            "property_id": self.property.dropdown,
            "room": self.room,
            "hazard": self.hazard,
            "priority": self.priority,
            "awaab": self.awaab,
            "description": self.description,
            "reported_at": self.reported_at,
            "investigation_concluded_at": self.concluded_at,
            "status": self.status,
        }
        self._changed()
        self._show_saved()

    # --- reading and showing ---------------------------------------------------------------
    def inputs(self) -> RepairInputs:
        return RepairInputs(
            property_id=self.property.value,
            room=self.room.value or "",
            hazard=value_of(self.hazard),
            priority=value_of(self.priority),
            awaab=value_of(self.awaab),
            imminent_risk=self.imminent.value is True,
            description=self.description.value or "",
            reported_at=self.reported_at.value or "",
            investigation_concluded_at=self.concluded_at.value or "",
            status=value_of(self.status),
            observation_id=self.start.observation_id,
            lat=self.start.lat,
            lon=self.start.lon,
        )

    def _changed(self, _: Any = None) -> None:
        state, inputs = self.state, self.inputs()
        self.results.show(deadline_lines(inputs, policy=policy_of(state), now=state.now()))
        self.suggestions.show(suggested(inputs, policy=policy_of(state)), self.decisions)

    def decide(self, action: str, confirmed: bool, reason: str | None) -> str | None:
        """Confirm (the class, and the priority for an emergency, are set) or decline with a
        reason; None when done."""
        decisions, problem = decide(self.decisions, action, confirmed=confirmed, reason=reason,
                                    user=self.state.user, now=self.state.now())  # fmt: skip
        if decisions is None:
            return problem
        effects = REPAIR_EFFECTS.get(action, {}) if confirmed else {}
        if self.record is not None:
            patch = {**effects, "action_decisions": decisions}
            record, errors = write(self.state, "repair", patch, record_id=self.record["id"])
            if record is None:
                return " ".join(errors.values()) or "Not saved."
            self.record = record
        self.awaab.value = effects.get("awaab", self.awaab.value)
        self.priority.value = effects.get("priority", self.priority.value)
        self.decisions = decisions
        self._changed()
        self.state.toast(f"{ACTION_LABELS[action]}: {'confirmed' if confirmed else 'declined'}")
        return None

    def _concluded(self, _: Any = None) -> None:
        if self.concluded_now.value and not (self.concluded_at.value or "").strip():
            self.concluded_at.value = time_input(self.state.now())
        self._changed()

    def _title(self, record: Mapping[str, Any] | None) -> str:
        if record is None:
            new = "New repair finding"
            return new if self.observation is None else f"{new} from a walkabout observation"
        return f"Repair finding {reference_of(record) or '(' + NOT_YET_SENT + ')'}"

    def _show_saved(self) -> None:
        self.heading.content = common.heading(self._title(self.record))
        if self.record is None:
            self.photos.content = common.muted("Photos can be added once the finding is saved.")
        else:
            rid = self.record["id"]

            def photos_of() -> list[dict[str, Any]]:
                return self.state.find("photo", "parent_id", rid)

            self.photos.content = photo_strip(self.state, photos_of(), load=photos_of)

    # --- actions ---------------------------------------------------------------------------
    def save(self, _: Any = None) -> bool:
        """Validate and write; True when saved (the form then shows the stored finding)."""
        built = repair_patch(self.inputs())
        if self.decisions:
            built.patch["action_decisions"] = self.decisions
        saved = save_raised(self, "repair", built, what="Repair finding")
        if saved:
            self._show_saved()
        return saved is not False

    async def add_photos(self, _: Any = None) -> None:
        if self.record is None and not self.save():
            return
        assert self.record is not None
        added, problems = await pick_photos(
            self.state, parent_entity="repair", parent_id=self.record["id"]
        )
        if problems:
            self.feedback.error(problems)
        elif added:
            self.feedback.ok(f"{len(added)} photo(s) added.")
        self._show_saved()

    def back(self, _: Any = None) -> None:
        go_back(self.state, self.observation, self.property.value)

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        return ft.Column(
            [
                self.heading,
                section(
                    "Where",
                    grid(*self.property.controls, self.room),
                    self.property.spot_line,
                ),
                section(
                    "What was found",
                    grid(self.hazard, self.priority, self.awaab, self.status),
                    self.imminent,
                    grid(self.description, md=12),
                ),
                self.suggestions.control,
                section(
                    "Times",
                    grid(self.reported_at, self.concluded_at),
                    self.concluded_now,
                ),
                self.results.control,
                section(
                    "Photos",
                    self.photos,
                    common.button(
                        "Add photos",
                        self.add_photos,
                        icon=ft.Icons.ADD_A_PHOTO,
                        ident="repair-add-photos",
                        primary=False,
                    ),
                ),  # fmt: skip
                self.feedback.box,
                ft.Row(
                    [
                        common.button(
                            "Save repair", self.save, icon=ft.Icons.SAVE, ident="repair-save"
                        ),
                        common.button("Back", self.back, primary=False, ident="repair-back"),
                    ],  # fmt: skip
                    wrap=True,
                    spacing=common.GAP,
                ),
            ],
            spacing=18,
        )


def view(state: AppState, **params: str) -> ft.Control:
    """``/repair`` (params: ``id`` | ``property_id`` | ``observation_id``)."""
    if params.get("id") and state.get("repair", params["id"]) is None:
        return ft.Column([
            common.heading("Repair finding"),
            common.banner("This repair finding is not on this tablet."),
        ])  # fmt: skip
    form = RepairForm(state, **params)
    root = form.build()
    form.unsaved = guard_leaving(state, root)
    root.data = form  # the form object stays reachable (tests drive it through the controls)
    return root


ROUTES = {"/repair": view}
