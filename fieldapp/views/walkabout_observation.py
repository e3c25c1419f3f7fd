"""Observation screen of a walkabout: what was seen, where, photos, and what it raises.

Reached as ``/walkabout?id=W&observation=new`` (or ``=O``) or ``/walkabout/observation`` with
``walkabout_id`` and ``id``. The place is the tablet's last GPS fix when the observation is
saved; the store then names the nearest block or property, shown here. Offensive graffiti and
fly-tipping raise a timed action, shown live. Staff can raise a repair or an ASB report from
a saved observation (prefilled, and linked back to it); partners only log what they see, with
photos, and cannot change an observation once logged.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.form_kit import (
    Feedback,
    Results,
    Unsaved,
    checkbox,
    dropdown,
    grid,
    guard_leaving,
    new_record,
    photo_strip,
    pick_photos,
    saved_message,
    section,
    show_errors,
    value_of,
    write,
)
from fieldapp.views.logic_forms import changed, policy_of, when
from fieldapp.views.logic_walkabout import (
    KIND_OPTIONS,
    ObservationInputs,
    action_line,
    edit_patch,
    logged_by_text,
    may_manage,
    nearest_place,
    observation_patch,
    observation_title,
    place_text,
    position_text,
)

__all__ = ["ObservationForm", "observation_view"]


SHARED_NOTE = (
    "Shared with everyone on this walkabout, partners included: describe what you see, "
    "not who lives there."
)


class ObservationForm:
    """One observation of a walkabout: the form, its place and what can follow from it."""

    def __init__(
        self, state: AppState, walkabout: dict[str, Any], record: dict[str, Any] | None
    ) -> None:
        self.state = state
        self.walkabout = walkabout
        self.record = record
        self.staff = may_manage(state.role)
        # An ended walkabout is read-only until a manager or officer reopens it.
        self.ended = bool(walkabout.get("ended_at"))
        self.position = state.position()
        start = record or {}
        self.kind = dropdown("What was seen", KIND_OPTIONS, start.get("kind"),
                             on_select=self._changed)  # fmt: skip
        self.offensive = checkbox(
            "Offensive graffiti", start.get("offensive") is True, on_change=self._changed
        )
        self.description = common.field(
            "Description", value=start.get("description") or "", multiline=True
        )
        # Observations go to everyone on the walkabout, PCSOs and councillors included: said
        # under the box in a line of its own, which wraps (a helper text is cut on a phone).
        self.shared_note = ft.Semantics(
            identifier="observation-shared-note", content=common.muted(SHARED_NOTE)
        )
        self.fields: dict[str, ft.Control] = {"kind": self.kind, "description": self.description}
        self.results = Results("Follow-up", prefix="observation")
        self.feedback = Feedback("observation-message")
        self.heading = ft.Container()
        self.place = ft.Container()
        self.photos = ft.Container()
        self.follow_up = ft.Row(wrap=True, spacing=common.GAP)
        self.unsaved = Unsaved(())  # watched once built (``guard_leaving``)
        self._changed()
        self._show_saved()
        if self.ended:
            for control in (self.kind, self.offensive, self.description):
                control.disabled = True
            self.feedback.error([self._ended_text()])

    # --- reading and showing ---------------------------------------------------------------
    def inputs(self) -> ObservationInputs:
        return ObservationInputs(
            kind=value_of(self.kind),
            offensive=self.offensive.value is True,
            description=self.description.value or "",
        )

    def _changed(self, _: Any = None) -> None:
        inputs = self.inputs()
        # Only graffiti can be offensive: the box is not shown for anything else.
        self.offensive.visible = inputs.kind == "graffiti"
        logged = (self.record or {}).get("logged_at")
        state = self.state
        self.results.show(
            [action_line(inputs, logged_at=logged, policy=policy_of(state), now=state.now())]
        )

    def _show_saved(self) -> None:
        rec = self.record
        title = "Log an observation" if rec is None else observation_title(rec)
        self.heading.content = common.heading(f"{title} · {self.walkabout.get('estate')}")
        if rec is None:
            self.place.content = ft.Semantics(
                identifier="observation-location",
                content=common.muted(position_text(self.position)),
            )
            self.photos.content = common.muted("Photos can be added once it is saved.")
            self.follow_up.controls = []
            return
        near, rec = nearest_place(rec, self.state.all("property"), policy=policy_of(self.state))
        by = logged_by_text(rec, self.state.all("staff"), self.walkabout.get("participants") or [])
        logged = " ".join(p for p in ("logged", when(rec.get("logged_at")), by) if p)
        self.place.content = ft.Semantics(
            identifier="observation-nearest",
            content=ft.Text(f"Where: {place_text(rec, near)} · {logged}", size=16),
        )

        def photos_of() -> list[dict[str, Any]]:
            return self.state.find("photo", "parent_id", rec["id"])

        self.photos.content = photo_strip(self.state, photos_of(), load=photos_of)
        # Partners may only create: what they logged is then read-only on their tablet.
        for control in (self.kind, self.offensive, self.description):
            control.disabled = not self.staff or self.ended
        self.follow_up.controls = self._follow_up_buttons(rec)

    def _follow_up_buttons(self, rec: dict[str, Any]) -> list[ft.Control]:
        if not self.staff:
            return []
        oid = str(rec["id"])
        raised, raised_id = rec.get("raised_entity"), rec.get("raised_id")
        if raised and raised_id:
            route, what = ("/repair", "repair") if raised == "repair" else ("/asb", "ASB case")
            return [
                common.button(f"Open the {what} raised", lambda _: self.state.go(
                    route, id=str(raised_id)), icon=ft.Icons.OPEN_IN_NEW,
                    ident="observation-open-raised", primary=False),
            ]  # fmt: skip
        return [
            common.button("Raise repair", new_record(self.state, "/repair", observation_id=oid),
                          icon=ft.Icons.BUILD, ident="observation-raise-repair", primary=False),
            common.button("Raise ASB report", new_record(self.state, "/asb", observation_id=oid),
                          icon=ft.Icons.REPORT, ident="observation-raise-asb", primary=False),
        ]  # fmt: skip

    # --- actions ---------------------------------------------------------------------------
    def locate(self, _: Any = None) -> None:
        """Take the latest fix (the shell's Geolocator keeps ``state.position()`` fresh)."""
        self.position = self.state.position()
        if self.record is None:
            self._show_saved()

    def save(self, _: Any = None) -> bool:
        """Log (or, for staff, amend) the observation; True when saved."""
        if self.ended:
            self.feedback.error([self._ended_text()])
            return False
        if self.record is None:
            user = self.state.user or {}
            built = observation_patch(
                str(self.walkabout["id"]),
                self.inputs(),
                position=self.state.position() or self.position,
                user_id=str(user.get("id")) if user.get("id") else None,
                now=self.state.now(),
            )
        else:
            built = edit_patch(self.inputs())
        leftover = show_errors(self.fields, built.errors)
        if not built.ok:
            self.feedback.error(["Please say what was seen.", *leftover])
            return False
        patch = built.patch if self.record is None else changed(self.record, built.patch)
        if self.record is not None and not patch:
            self.feedback.ok("No changes to save.")
            return True
        record, errors = write(
            self.state, "observation", patch,
            record_id=None if self.record is None else str(self.record["id"]),
        )  # fmt: skip
        leftover = show_errors(self.fields, errors)
        if record is None:
            self.feedback.error(["Not saved.", *leftover])
            return False
        self.record = record
        self.unsaved.saved()
        self.feedback.ok(saved_message(self.state, "Observation"))
        self.state.toast("Observation saved")
        self._show_saved()
        self._changed()
        return True

    async def add_photos(self, _: Any = None) -> None:
        if self.record is None and not self.save():
            return
        assert self.record is not None
        added, problems = await pick_photos(
            self.state, parent_entity="observation", parent_id=str(self.record["id"])
        )
        if problems:
            self.feedback.error(problems)
        elif added:
            self.feedback.ok(f"{len(added)} photo(s) added.")
        self._show_saved()

    def _ended_text(self) -> str:
        if self.staff:
            return "This walkabout has ended: reopen it to add or change."
        return "This walkabout has ended: nothing more can be logged on it."

    def another(self, _: Any = None) -> None:
        self.state.go("/walkabout", id=str(self.walkabout["id"]), observation="new")

    def back(self, _: Any = None) -> None:
        self.state.go("/walkabout", id=str(self.walkabout["id"]))

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        # On an ended walkabout only "Back" does anything: the rest is shown, but off.
        buttons: list[tuple[str, Any, ft.IconData | None, str, bool]] = [
            ("Update location", self.locate, ft.Icons.MY_LOCATION, "locate", False),
            ("Add photos", self.add_photos, ft.Icons.ADD_A_PHOTO, "add-photos", False),
            ("Save observation", self.save, ft.Icons.SAVE, "save", True),
            ("Log another", self.another, None, "another", False),
        ]
        locate, add_photos, save, another = (
            common.button(text, act, icon=icon, ident=f"observation-{ident}", primary=primary,
                          disabled=self.ended)
            for text, act, icon, ident, primary in buttons
        )  # fmt: skip
        return ft.Column(
            [
                self.heading,
                section("What was seen", grid(self.kind, self.offensive),
                        grid(self.description, md=12), self.shared_note),
                section("Where", self.place, locate),
                self.results.control,
                section("Photos", self.photos, add_photos),
                self.feedback.box,
                ft.Row([save, another, common.button(
                    "Back to walkabout", self.back, primary=False, ident="observation-back",
                )], wrap=True, spacing=common.GAP),
                self.follow_up,
            ],
            spacing=18,
        )  # fmt: skip


def observation_view(state: AppState, **params: str) -> ft.Control:
    """``/walkabout/observation`` (params: ``walkabout_id``; ``id`` to open a logged one)."""
    walkabout = state.get("walkabout", params.get("walkabout_id", ""))
    record = state.get("observation", params["id"]) if params.get("id") else None
    if walkabout is None or (params.get("id") and record is None):
        return ft.Column([
            common.heading("Observation"),
            common.banner("This walkabout or observation is not on this tablet."),
        ])  # fmt: skip
    form = ObservationForm(state, walkabout, record)
    root = form.build()
    form.unsaved = guard_leaving(state, root)
    root.data = form
    return root
