"""Property history screen: one home's facts and its timeline, newest first.

Route ``/property`` with ``id``. The timeline (``logic_property.timeline``) holds the home's
tenancy visits, ASB cases and their further reports, repairs, walkabout observations made
nearest to it, notes and photos (of the home and of its visits, cases and repairs), each
opening its own screen. From here the officer starts an ATV, a repair finding, an ASB report,
or adds a note.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.ids import to_wire
from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.form_kit import (
    Feedback,
    goto,
    grid,
    new_record,
    photo_strip,
    section,
    write,
)
from fieldapp.views.logic_forms import when
from fieldapp.views.logic_property import Entry, property_facts, property_title, timeline

__all__ = ["ROUTES", "PropertyScreen", "view"]

ICONS = {
    "visit": ft.Icons.HOME,
    "asb_case": ft.Icons.REPORT,
    "asb_report": ft.Icons.CAMPAIGN,
    "repair": ft.Icons.BUILD,
    "note": ft.Icons.NOTES,
    "photo": ft.Icons.PHOTO,
    "observation": ft.Icons.DIRECTIONS_WALK,
}


class PropertyScreen:
    """One home's history and the ways to add to it."""

    def __init__(self, state: AppState, home: dict[str, Any]) -> None:
        self.state = state
        self.home = home
        self.note = common.field("New note", multiline=True)
        self.feedback = Feedback("property-message")
        self.listing = ft.Column(spacing=4)
        self.entries: list[Entry] = []
        self.refresh()
        state.subscribe(self._heard)  # records synced in while the history is open

    def _heard(self) -> None:
        self.refresh()
        common.push(self.listing)

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Everything this tablet holds about the home, by kind."""
        st, pid = self.state, str(self.home["id"])
        visits = st.find("tenancy_visit", "property_id", pid)
        cases = st.find("asb_case", "property_id", pid)
        repairs = st.find("repair", "property_id", pid)
        reports = [r for c in cases for r in st.find("asb_report", "case_id", c["id"])]
        parents = [pid, *(str(r["id"]) for r in (*visits, *cases, *repairs))]
        notes = [n for p in parents for n in st.find("note", "parent_id", p)]
        photos = [f for p in parents for f in st.find("photo", "parent_id", p)]
        observations = st.find("observation", "nearest_property_id", pid)
        return {
            "visits": visits, "cases": cases, "reports": reports, "repairs": repairs,
            "notes": notes, "photos": photos, "observations": observations,
        }  # fmt: skip

    def refresh(self) -> None:
        found = self.records()
        self.entries = timeline(**found)
        photos = {str(p["id"]): p for p in found["photos"]}
        rows: list[ft.Control] = []
        for e in self.entries:
            subtitle = " · ".join(x for x in (when(e.at) if e.at else "time not recorded",
                                               e.detail) if x)  # fmt: skip
            tile = common.tile(
                e.title, subtitle, icon=ICONS.get(e.kind),
                on_click=goto(self.state, e.route, **dict(e.params)) if e.route else None,
            )  # fmt: skip
            if e.kind == "photo" and e.record_id in photos:
                rows.append(ft.Column([tile, photo_strip(self.state, [photos[e.record_id]])]))
            else:
                rows.append(tile)
        self.listing.controls = rows or [common.muted("Nothing recorded for this home yet.")]

    def add_note(self, _: Any = None) -> bool:
        text = (self.note.value or "").strip()
        if not text:
            self.note.error = "Write the note first"
            return False
        user = self.state.user or {}
        record, errors = write(self.state, "note", {
            "parent_entity": "property", "parent_id": str(self.home["id"]), "text": text,
            "author_id": user.get("id"), "created_at": to_wire(self.state.now()),
        })  # fmt: skip
        if record is None:
            self.feedback.error(["Note not saved.", *errors.values()])
            return False
        self.note.value, self.note.error = "", None
        self.feedback.ok("Note added.")
        self.refresh()
        return True

    def build(self) -> ft.Control:
        hid = str(self.home["id"])
        facts: list[ft.Control] = [
            ft.Text(f"{k}: {v}", size=15) for k, v in property_facts(self.home)
        ]
        return ft.Column([
            common.heading(property_title(self.home)),
            ft.Row(facts, wrap=True, spacing=18),
            ft.Row([
                common.button("Start ATV", goto(self.state, "/atv", property_id=hid),
                              icon=ft.Icons.FACT_CHECK, ident="property-atv"),
                common.button("New repair", new_record(self.state, "/repair", property_id=hid),
                              icon=ft.Icons.BUILD, primary=False, ident="property-repair"),
                common.button("New ASB report", new_record(self.state, "/asb", property_id=hid),
                              icon=ft.Icons.REPORT, primary=False, ident="property-asb"),
            ], wrap=True, spacing=common.GAP),
            section("Add a note", grid(self.note, md=12), self.feedback.box, common.button(
                "Add note", self.add_note, icon=ft.Icons.NOTE_ADD, primary=False,
                ident="property-add-note")),
            section("History", self.listing),
        ], spacing=18)  # fmt: skip


def view(state: AppState, **params: str) -> ft.Control:
    """``/property`` (params: ``id``)."""
    home = state.get("property", params.get("id", "")) if params.get("id") else None
    if home is None:
        return ft.Column([
            common.heading("Property"),
            common.banner("This property is not on this tablet."),
        ])  # fmt: skip
    screen = PropertyScreen(state, home)
    root = screen.build()
    root.data = screen
    return root


ROUTES = {"/property": view}
