"""Estate walkabout screens: the list and start form, one walkabout, and an observation.

Routes (parameters as query-string keywords):
- ``/walkabout``: walkabouts on this tablet, newest first, and (staff) starting one.
- ``/walkabout?id=W``: one walkabout: who joined (staff picked by name from the directory,
  guests by name and role, and who will receive it on a partner tablet), observations,
  grading with the live score and fail rule, notes, ending it, and its report (PDF, opened
  or shared as a signed link when online).
- ``/walkabout?id=W&observation=new`` (or ``=O``), also routed as ``/walkabout/observation``
  with ``walkabout_id`` and ``id``: log or open an observation (``walkabout_observation``).
Partners (PCSO, councillor) see only walkabouts they joined and only log observations,
photos and notes: no grading, no ending, no raising a repair or an ASB case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flet as ft

from fieldapp.ids import to_wire
from fieldapp.state import AppState
from fieldapp.sync.protocol import GRADE_ITEMS
from fieldapp.views import common
from fieldapp.views.form_kit import (
    Feedback,
    Results,
    dropdown,
    goto,
    grid,
    section,
    show_errors,
    value_of,
    write,
)
from fieldapp.views.logic_forms import changed, label, policy_of, when
from fieldapp.views.logic_patch import NOT_YET_SENT, reference_of
from fieldapp.views.logic_people import (
    added_text,
    guest,
    officer_names,
    person_note,
    receivers_text,
    staff_matches,
    staff_participant,
    staff_text,
)
from fieldapp.views.logic_sync import entity_label
from fieldapp.views.logic_walkabout import (
    FIRE_SAFETY_OPTIONS,
    GRADE_ITEM_LABELS,
    GRADE_OPTIONS,
    ROLE_OPTIONS,
    add_participant,
    estates,
    fire_safety_value,
    grade_lines,
    grades_patch,
    logged_by_text,
    may_manage,
    nearest_place,
    observation_title,
    observations_newest_first,
    participant_text,
    patch_staff,
    place_text,
    start_patch,
    walkabouts_newest_first,
)
from fieldapp.views.walkabout_observation import observation_view
from fieldapp.views.walkabout_report import ReportActions

__all__ = ["ROUTES", "WalkaboutScreen", "view"]


# --- the list ------------------------------------------------------------------------------
def list_view(state: AppState) -> ft.Control:
    """Walkabouts on this tablet and, for staff, the form to start one."""
    controls: list[ft.Control] = [common.heading("Estate walkabouts")]
    feedback = Feedback("walkabout-message")
    if may_manage(state.role):
        estate = dropdown("Estate", [(e, e) for e in estates(state.all("property"))])

        def start(_: Any = None) -> None:
            built = start_patch(value_of(estate), user=state.user, now=state.now())
            leftover = show_errors({"estate": estate}, built.errors)
            if not built.ok:
                feedback.error(["Choose the estate to walk.", *leftover])
                return
            record, errors = write(state, "walkabout", built.patch)
            if record is None:
                feedback.error([f"{k}: {v}" for k, v in errors.items()])
                return
            state.go("/walkabout", id=record["id"])

        controls.append(
            section(
                "Start a walkabout",
                grid(estate),
                common.button(
                    "Start walkabout", start, icon=ft.Icons.DIRECTIONS_WALK, ident="walkabout-start"
                ),  # fmt: skip
                feedback.box,
            )
        )
    rows: list[ft.Control] = []
    for w in walkabouts_newest_first(state.all("walkabout")):
        status = f"ended {when(w['ended_at'])}" if w.get("ended_at") else "in progress"
        result = f" · {label(w['result'])}" if w.get("result") else ""
        rows.append(
            common.tile(
                str(w.get("estate") or "Estate"),
                f"Started {when(w.get('started_at'))}, {status}{result}",
                icon=ft.Icons.DIRECTIONS_WALK,
                on_click=goto(state, "/walkabout", id=str(w["id"])),
            )
        )
    controls.append(section("Walkabouts", *(rows or [common.muted("No walkabouts yet.")])))
    return ft.Column(controls, spacing=18)


# --- one walkabout -------------------------------------------------------------------------


def raised_text(state: AppState, observation: Mapping[str, Any]) -> str:
    """`` · raised repair REP-2026-0007`` (or "reference not yet sent"); empty when it raised
    nothing (or nothing this role may see: the link is not sent to partners)."""
    entity = observation.get("raised_entity")
    if not entity:
        return ""
    raised = state.get(str(entity), str(observation.get("raised_id") or ""))
    reference = None if raised is None else reference_of(raised)
    return f" · raised {entity_label(str(entity))} {reference or f'({NOT_YET_SENT})'}"


class WalkaboutScreen:
    """One walkabout: participants, observations, grading, notes, end and report."""

    def __init__(self, state: AppState, record: dict[str, Any]) -> None:
        self.state = state
        self.record = record
        self.staff = may_manage(state.role)
        self.feedback = Feedback("walkabout-message")
        self.results = Results("Score", prefix="walkabout")
        grades = record.get("grades") or {}
        self.grades = {
            item: dropdown(
                GRADE_ITEM_LABELS.get(item, label(item)),
                GRADE_OPTIONS,
                grades.get(item),
                on_select=self._graded,
                none_text="Not graded",
            )  # fmt: skip
            for item in GRADE_ITEMS
        }
        self.fire = dropdown(
            "Fire safety in communal areas", FIRE_SAFETY_OPTIONS,
            fire_safety_value(record.get("fire_safety_met")), on_select=self._graded,
            none_text="Not checked",
        )  # fmt: skip
        self.summary = common.field("Summary", value=record.get("summary") or "", multiline=True)
        self.people = ft.Column(spacing=4)
        self.receivers = ft.Container()
        # No hint text: a focused field's accessible name would take it on.
        self.find_staff = common.field("Find staff by name", on_change=self._searched)
        self.matches = ft.Column(spacing=6)
        self.guest_name = common.field("Guest name")
        self.guest_role = dropdown("Guest role", ROLE_OPTIONS, "other")
        self.report = ReportActions(state, str(record["id"]))
        self.observations = ft.Column(spacing=4)
        self.notes = ft.Column(spacing=4)
        self.note_text = common.field("Note", multiline=True)
        self.ended = ft.Container()
        self.refresh()
        # Observations and notes of others (a PCSO on the same walk) arrive by sync.
        state.subscribe(self._heard)

    def _heard(self) -> None:
        self.refresh()
        common.push(
            self.people,
            self.receivers,
            self.observations,
            self.notes,
            self.ended,
            self.results.control,
        )

    def observations_list(self) -> list[dict[str, Any]]:
        return self.state.find("observation", "walkabout_id", self.record["id"])

    # --- showing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self.record = self.state.get("walkabout", self.record["id"]) or self.record
        people = self.record.get("participants") or []
        self.people.controls = [
            common.tile(participant_text(p), person_note(p), icon=ft.Icons.PERSON) for p in people
        ] or [common.muted("Nobody listed yet.")]
        self.receivers.content = common.banner(
            receivers_text(people), kind="info", ident="walkabout-receivers"
        )
        obs_rows: list[ft.Control] = []
        homes = self.state.all("property")
        directory = self.state.all("staff")
        rules = policy_of(self.state)
        for seen in observations_newest_first(self.observations_list()):
            near, o = nearest_place(seen, homes, policy=rules)
            raised = raised_text(self.state, o)
            by = logged_by_text(o, directory, people)
            obs_rows.append(
                common.tile(
                    observation_title(o),
                    " · ".join(
                        part
                        for part in (when(o.get("logged_at")), by, place_text(o, near) + raised)
                        if part
                    ),
                    icon=ft.Icons.PLACE,
                    on_click=goto(
                        self.state,
                        "/walkabout",
                        id=str(self.record["id"]),
                        observation=str(o["id"]),
                    ),
                )
            )
        self.observations.controls = obs_rows or [common.muted("No observations yet.")]
        notes = self.state.find("note", "parent_id", self.record["id"])
        self.notes.controls = [
            common.tile(str(n.get("text") or ""), when(n.get("created_at")), icon=ft.Icons.NOTES)
            for n in sorted(notes, key=lambda n: str(n.get("created_at") or ""), reverse=True)
        ] or [common.muted("No notes yet.")]
        ended = self.record.get("ended_at")
        self.ended.content = common.muted(
            f"Ended {when(ended)}" if ended else f"Started {when(self.record.get('started_at'))}"
        )
        self._graded()

    def _graded(self, _: Any = None) -> None:
        patch = grades_patch({i: value_of(d) for i, d in self.grades.items()}, value_of(self.fire))
        self.results.show(
            grade_lines(
                patch["grades"],
                patch["fire_safety_met"],
                self.observations_list(),
                started_at=self.record.get("started_at"),
                policy=policy_of(self.state),
                now=self.state.now(),
            )
        )

    # --- actions ---------------------------------------------------------------------------
    def open_observation(self, observation_id: str = "new") -> None:
        self.state.go("/walkabout", id=str(self.record["id"]), observation=observation_id)

    def _save(self, patch: dict[str, Any], done: str) -> bool:
        diff = changed(self.record, patch)
        if not diff:
            self.feedback.ok("No changes to save.")
            return True
        record, errors = write(self.state, "walkabout", diff, record_id=self.record["id"])
        leftover = show_errors({"summary": self.summary}, errors)
        if record is None:
            self.feedback.error(["Not saved.", *leftover])
            return False
        self.record = record
        self.feedback.ok(done)
        self.refresh()
        return True

    def save_grades(self, _: Any = None) -> bool:
        patch = grades_patch({i: value_of(d) for i, d in self.grades.items()}, value_of(self.fire))
        patch["summary"] = (self.summary.value or "").strip() or None
        return self._save(patch, "Grades saved.")

    def reopen(self, _: Any = None) -> bool:
        """Make an ended walkabout editable again; the reopening is kept as a note."""
        if not self.record.get("ended_at"):
            return False
        ended = when(self.record.get("ended_at"))
        if not self._save({"ended_at": None}, "Walkabout reopened: it can be changed again."):
            return False
        user = self.state.user or {}
        write(self.state, "note", {
            "parent_entity": "walkabout", "parent_id": self.record["id"],
            "text": f"Reopened by {user.get('name') or 'an officer'} (it had ended {ended}).",
            "author_id": user.get("id"), "created_at": to_wire(self.state.now()),
        })  # fmt: skip
        self.state.go("/walkabout", id=str(self.record["id"]))  # redrawn, editable
        return True

    def end(self, _: Any = None) -> bool:
        patch = grades_patch({i: value_of(d) for i, d in self.grades.items()}, value_of(self.fire))
        patch["summary"] = (self.summary.value or "").strip() or None
        if not self.record.get("ended_at"):
            patch["ended_at"] = to_wire(self.state.now())
        if not self._save(patch, "Walkabout ended. The report is ready once it has synced."):
            return False
        self.state.go("/walkabout", id=str(self.record["id"]))  # redrawn, read-only
        return True

    def _present(self) -> list[Any]:
        return [p.get("user_id") for p in self.record.get("participants") or []]

    def _searched(self, _: Any = None) -> None:
        found = staff_matches(
            self.state.all("staff"), self.find_staff.value or "", present=self._present()
        )
        self.matches.controls = [
            common.button(f"Add {staff_text(p)}", self._adder(p), icon=ft.Icons.PERSON_ADD,
                          primary=False)
            for p in found
        ] or ([common.muted("No one of that name in the staff directory.")]
              if (self.find_staff.value or "").strip() else [])  # fmt: skip

    def _adder(self, person: Mapping[str, Any]) -> Callable[[Any], bool]:
        return lambda _: self.add_person(staff_participant(person))

    def add_person(self, person: Mapping[str, Any]) -> bool:
        """Add a participant (from the directory, a patch officer, or a guest)."""
        people = add_participant(self.record.get("participants") or [], person)
        if not self._save({"participants": people}, added_text(person)):
            return False
        self.find_staff.value = ""
        self.matches.controls = []
        return True

    def add_guest(self, _: Any = None) -> bool:
        built = guest(self.guest_name.value or "", value_of(self.guest_role))
        leftover = show_errors(
            {"guest_name": self.guest_name, "guest_role": self.guest_role}, built.errors
        )
        if not built.ok:
            self.feedback.error(["Who joined?", *leftover])
            return False
        if self.add_person(built.patch):
            self.guest_name.value = ""
            return True
        return False

    def _officer_adder(self, user_id: str, name: str) -> Callable[[Any], bool]:
        return lambda _: self.add_person({"user_id": user_id, "name": name, "role": "officer"})

    def add_note(self, _: Any = None) -> bool:
        text = (self.note_text.value or "").strip()
        if not text:
            self.note_text.error = "Write the note first"
            return False
        user = self.state.user or {}
        record, errors = write(
            self.state,
            "note",
            {"parent_entity": "walkabout", "parent_id": self.record["id"], "text": text,
             "author_id": user.get("id"), "created_at": to_wire(self.state.now())},
        )  # fmt: skip
        if record is None:
            self.feedback.error(["Note not saved.", *errors.values()])
            return False
        self.note_text.value, self.note_text.error = "", None
        self.refresh()
        return True

    # --- layout ----------------------------------------------------------------------------
    def build(self) -> ft.Control:
        closed = bool(self.record.get("ended_at"))
        parts: list[ft.Control] = [
            common.heading(f"Walkabout: {self.record.get('estate')}"),
            self.ended,
            section("Who joined", self.people),
        ]
        if closed:
            # Ended: read-only (what was reported stays as reported) until reopened.
            for control in (*self.grades.values(), self.fire, self.summary):
                control.disabled = True
            reopen = (
                [common.button("Reopen walkabout", self.reopen, icon=ft.Icons.LOCK_OPEN,
                               ident="walkabout-reopen", primary=False)]
                if self.staff else []
            )  # fmt: skip
            parts.append(
                ft.Column(
                    [
                        common.banner(
                            "This walkabout has ended: it is read-only."
                            + (" Reopen it to change it." if self.staff else ""),
                            kind="info",
                            ident="walkabout-ended",
                        ),
                        *reopen,
                    ],
                    spacing=8,
                )  # fmt: skip
            )
        if self.staff and not closed:
            present = set(self._present())
            quick = [
                common.button(f"Add {name}", self._officer_adder(uid, name), primary=False)
                for uid, name in officer_names(
                    patch_staff(
                        str(self.record.get("estate")),
                        self.state.all("property"),
                        self.state.all("patch"),
                    ),
                    self.state.all("staff"),
                )  # fmt: skip
                if uid not in present
            ]
            parts.append(
                ft.Column(
                    [
                        self.receivers,
                        grid(self.find_staff, md=12),
                        self.matches,
                        ft.Row(quick, wrap=True) if quick else ft.Container(),
                        grid(self.guest_name, self.guest_role),
                        common.button(
                            "Add guest",
                            self.add_guest,
                            icon=ft.Icons.PERSON_ADD,
                            ident="walkabout-add-guest",
                            primary=False,
                        ),
                    ],
                    spacing=10,
                )  # fmt: skip
            )
        log_button = common.button(
            "Log observation",
            lambda _: self.open_observation(),
            icon=ft.Icons.ADD_LOCATION_ALT,
            ident="walkabout-log-observation",
        )
        parts += [section("Observations", *([] if closed else [log_button]), self.observations)]
        if self.staff and closed:
            parts += [section("Grading", grid(*self.grades.values(), self.fire, md=4),
                              grid(self.summary, md=12)), self.results.control]  # fmt: skip
        elif self.staff:
            parts += [
                section("Grading", grid(*self.grades.values(), self.fire, md=4),
                        grid(self.summary, md=12)),
                self.results.control,
                ft.Row([
                    common.button("Save grades", self.save_grades, icon=ft.Icons.SAVE,
                                  ident="walkabout-save-grades"),
                    common.button("End walkabout", self.end, icon=ft.Icons.FLAG,
                                  ident="walkabout-end", primary=False),
                ], wrap=True, spacing=common.GAP),
            ]  # fmt: skip
        adding = [grid(self.note_text, md=12),
                  common.button("Add note", self.add_note, icon=ft.Icons.NOTE_ADD,
                                ident="walkabout-add-note", primary=False)]  # fmt: skip
        parts += [
            self.feedback.box,
            section("Notes", self.notes, *([] if closed else adding)),
            self.report.control,
        ]  # fmt: skip
        return ft.Column(parts, spacing=18)


def view(state: AppState, **params: str) -> ft.Control:
    """``/walkabout`` (params: ``id``; ``observation`` = ``new`` or an observation id)."""
    wid = params.get("id")
    if not wid:
        return list_view(state)
    record = state.get("walkabout", wid)
    if record is None:
        return ft.Column([
            common.heading("Walkabout"),
            common.banner("This walkabout is not on this tablet (or you did not join it)."),
        ])  # fmt: skip
    if params.get("observation"):
        oid = params["observation"]
        return observation_view(state, walkabout_id=wid, id="" if oid == "new" else oid)
    screen = WalkaboutScreen(state, record)
    root = screen.build()
    root.data = screen
    return root


ROUTES = {"/walkabout": view, "/walkabout/observation": observation_view}
