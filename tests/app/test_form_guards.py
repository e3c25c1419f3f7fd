"""Guards of the forms, driven through their controls over a real device store.

Create forms are reload-safe: a new record is saved under the ``draft`` id its button put in
the route, so opening the same address again (a reload, Back then Forward), tapping Save twice
or raising again from the same observation opens the saved record, never a second one. A death
asks first and can be undone; an ended walkabout is read-only until reopened, and the reopening
is recorded; the offensive box shows only for graffiti."""

from __future__ import annotations

import flet as ft

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import asb, atv, property, repair, walkabout
from tests.app import ui
from tests.app.conftest import Recorder
from tests.app.test_workflows_views import JOINED, _seed, dd, pick


def test_the_same_address_after_a_save_opens_the_saved_case(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    ui.click(ui.by_id(property.view(state, id="h2"), "property-asb"))
    route, params = shell.routes[-1]
    assert route == "/asb" and params["property_id"] == "h2" and params["draft"]
    root = asb.view(state, **params)
    pick(root, "Category", "noise")
    ui.type_into(ui.field(root, "Description"), "Drilling at night")
    ui.click(ui.by_id(root, "asb-save"))
    ui.click(ui.by_id(root, "asb-save"))  # a double tap
    [case] = state.all("asb_case")
    assert case["id"] == params["draft"]

    reloaded = asb.view(state, **params)  # the browser asks for the same address again
    assert ui.field(reloaded, "Description").value == "Drilling at night"
    assert "New ASB report" not in ui.texts(reloaded)
    ui.click(ui.by_id(reloaded, "asb-save"))
    assert len(state.all("asb_case")) == 1

    # The button again (a new visit): a new draft, so a second case is a deliberate one.
    ui.click(ui.by_id(property.view(state, id="h2"), "property-asb"))
    assert shell.routes[-1][1]["draft"] != params["draft"]


def test_raising_again_from_an_observation_opens_what_it_raised(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    state.set_position(53.331, -2.69)  # beside h1: the repair's home is found from it
    root = walkabout.view(state, id="w-joined", observation="new")
    pick(root, "What was seen", "lighting")
    ui.click(ui.by_id(root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    ui.click(ui.by_id(root, "observation-raise-repair"))
    first = shell.routes[-1][1]
    form = repair.view(state, **first)
    pick(form, "Priority", "urgent")
    ui.click(ui.by_id(form, "repair-save"))
    [made] = state.all("repair")
    assert made["observation_id"] == obs["id"]

    # Back to the walkabout and the old screen's button tapped again: a new draft id, but
    # the observation already raised this repair, so the form opens it.
    ui.click(ui.by_id(root, "observation-raise-repair"))
    second = shell.routes[-1][1]
    assert second["draft"] != first["draft"]
    again = repair.view(state, **second)
    assert dd(again, "Priority").value == "urgent"
    ui.click(ui.by_id(again, "repair-save"))
    assert [r["id"] for r in state.all("repair")] == [made["id"]]


def test_a_death_recorded_by_mistake_is_undone(device: Device, state: AppState) -> None:
    _seed(device)
    root = atv.view(state, property_id="h1")
    form = root.data
    assert form.died("m1") and form.confirm()
    assert state.get("person", "m1")["died_on"] == "2026-06-10"  # type: ignore[index]
    ui.click(ui.by_id(root, "person-undo"))
    assert state.get("person", "m1")["died_on"] is None  # type: ignore[index]


def test_an_ended_walkabout_is_read_only_until_reopened(
    device: Device, state: AppState, shell: Recorder
) -> None:
    ended = {**JOINED, "ended_at": "2026-06-10T08:45:00Z", "grades": {"litter": "good"}}
    _seed(device, walkabout=[ended])
    root = walkabout.view(state, id=ended["id"])
    idents = {s.identifier for s in ui.of_type(root, ft.Semantics)}
    editing = {
        "walkabout-save-grades",
        "walkabout-end",
        "walkabout-add-note",
        "walkabout-log-observation",
    }
    assert editing.isdisjoint(idents)
    assert dd(root, "Litter").disabled is True
    assert "This walkabout has ended: it is read-only." in ui.texts(root)

    obs = walkabout.view(state, id=ended["id"], observation="new")
    # Found on a walk: these looked active, and only a message said otherwise.
    for ident in (
        "observation-save",
        "observation-another",
        "observation-locate",
        "observation-add-photos",
    ):
        assert ui.by_id(obs, ident).disabled is True, ident
    assert ui.by_id(obs, "observation-back").disabled is not True
    pick(obs, "What was seen", "litter")
    ui.click(ui.by_id(obs, "observation-save"))
    assert state.find("observation", "walkabout_id", ended["id"]) == []

    ui.click(ui.by_id(root, "walkabout-reopen"))
    stored = state.get("walkabout", ended["id"])
    assert stored is not None and stored["ended_at"] is None
    [note] = state.find("note", "parent_id", ended["id"])
    assert note["text"] == "Reopened by Sarah Whitfield (it had ended Wed 10 Jun 2026 09:45)."
    assert shell.routes[-1] == ("/walkabout", {"id": ended["id"]})
    again = walkabout.view(state, id=ended["id"])
    assert dd(again, "Litter").disabled is not True
    assert "walkabout-end" in {s.identifier for s in ui.of_type(again, ft.Semantics)}


def test_the_offensive_box_shows_only_for_graffiti(device: Device, state: AppState) -> None:
    _seed(device)
    root = walkabout.view(state, id="w-joined", observation="new")
    offensive = next(c for c in ui.of_type(root, ft.Checkbox) if c.label == "Offensive graffiti")
    pick(root, "What was seen", "fly_tipping")
    assert offensive.visible is False
    pick(root, "What was seen", "graffiti")
    assert offensive.visible is True
