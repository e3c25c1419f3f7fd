"""The workflow screens built against a real AppState over a real device store (offline), driven
through their controls and handlers as a tap would, asserting on the stored records."""

from __future__ import annotations

import io
from typing import Any

import flet as ft
import pytest
from PIL import Image

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import asb, atv, patch, property, repair, walkabout
from fieldapp.views.form_kit import NONE_KEY, add_photos, photo_strip
from tests.app import ui
from tests.app.conftest import Recorder, seed

OFFICER = {"id": "u-off", "name": "Sarah Whitfield", "role": "officer", "patch_ids": ["pa"]}
PCSO = {"id": "u-pcso", "name": "Gary Lowe", "role": "pcso", "patch_ids": ["pa"]}
HOMES = [
    {
        "id": f"h{i}",
        "uprn": f"10000{i}",
        "patch_id": "pa",
        "estate": "Castlefields",
        "block": "Ash Court",
        "address": f"{i} Ash Court",
        "postcode": "WA7 2AB",
        "lat": 53.33 + i / 1000,
        "lon": -2.69,
        "bedrooms": 2,
    }
    for i in range(1, 4)
] + [
    {
        "id": "e1",
        "uprn": "200001",
        "patch_id": "pa",
        "estate": "Elm Grove",
        "address": "1 Elm Grove",
        "postcode": "WA7 9ZZ",
        "bedrooms": 3,
    }
]
PEOPLE = [
    {
        "id": "m1",
        "property_id": "h1",
        "name": "Margaret Hughes",
        "date_of_birth": "1951-06-10",
        "sex": "F",
        "relationship": "lead_tenant",
        "status": "member",
    },
    {
        "id": "m2",
        "property_id": "h1",
        "name": "Tom Hughes",
        "date_of_birth": "1985-02-01",
        "sex": "M",
        "relationship": "child",
        "status": "member",
    },
]
STAFF = [
    {
        "id": "u-off",
        "display_name": "Sarah Whitfield",
        "role": "officer",
        "patch_ids": ["pa"],
        "active": True,
    },
    {
        "id": "u-two",
        "display_name": "Dev Okafor",
        "role": "officer",
        "patch_ids": ["pa"],
        "active": True,
    },
    {
        "id": "u-cllr",
        "display_name": "Jean Moss",
        "role": "councillor",
        "patch_ids": [],
        "active": True,
    },
    {"id": "u-pcso", "display_name": "Gary Lowe", "role": "pcso", "patch_ids": [], "active": True},
    {"id": "u-gone", "display_name": "Jean Gone", "role": "pcso", "patch_ids": [], "active": False},
]
JOINED = {
    "id": "w-joined",
    "estate": "Castlefields",
    "started_at": "2026-06-10T08:00:00Z",
    "participants": [
        {"user_id": "u-off", "name": "Sarah Whitfield", "role": "officer"},
        {"user_id": "u-pcso", "name": "Gary Lowe", "role": "pcso"},
    ],
}
OTHER = {
    "id": "w-other",
    "estate": "Castlefields",
    "started_at": "2026-06-09T08:00:00Z",
    "participants": [{"user_id": "u-off", "name": "Sarah Whitfield", "role": "officer"}],
}


def _seed(device: Device, user: dict[str, Any] = OFFICER, **extra: list[dict[str, Any]]) -> None:
    data = {
        "patch": [{"id": "pa", "name": "Runcorn East", "officer_ids": ["u-off", "u-two"]}],
        "property": HOMES,
        "person": PEOPLE,
        "walkabout": [JOINED, OTHER],
        "staff": STAFF,
    } | extra
    seed(device, data, user=user)


def dd(root: Any, label: str) -> ft.Dropdown:
    found = [d for d in ui.of_type(root, ft.Dropdown) if d.label == label]
    assert len(found) == 1, f"{len(found)} dropdowns labelled {label!r}"
    return found[0]


def pick(root: Any, label: str, key: str | None) -> None:
    control = dd(root, label)
    assert key is None or key in {o.key for o in control.options}, f"{key} not offered"
    control.value = key
    if control.on_select is not None:
        ui.fire(control.on_select, ui.Event(control))


def tick(root: Any, label: str, value: bool = True) -> None:
    found = [c for c in ui.of_type(root, ft.Checkbox) if c.label == label]
    assert len(found) == 1, f"{len(found)} checkboxes labelled {label!r}"
    found[0].value = value
    if found[0].on_change is not None:
        ui.fire(found[0].on_change, ui.Event(found[0]))


def result(root: Any, ident: str) -> str:
    """What a live result row says (its Semantics label: title, value, reason)."""
    found = [s for s in ui.of_type(root, ft.Semantics) if s.identifier == ident]
    assert len(found) == 1, f"{len(found)} results {ident!r}"
    return str(found[0].label)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


# --- accessibility: every input labelled, every dropdown named for screen readers ----------
def assert_labelled(root: Any) -> None:
    wrapped = {
        id(s.content): s.label
        for s in ui.of_type(root, ft.Semantics)
        if isinstance(s.content, ft.Dropdown)
    }
    for d in ui.of_type(root, ft.Dropdown):
        assert d.label and wrapped.get(id(d)) == d.label, f"dropdown {d.label!r} not wrapped"
    for f in ui.of_type(root, ft.TextField):
        assert f.label, "a text field without a label"
    for c in ui.of_type(root, ft.Checkbox):
        assert c.label, "a checkbox without a label"


def test_every_screen_labels_its_inputs(device: Device, state: AppState) -> None:
    _seed(device)
    for root in (
        walkabout.view(state),
        walkabout.view(state, id="w-joined"),
        walkabout.view(state, id="w-joined", observation="new"),
        asb.view(state, property_id="h1"),
        repair.view(state, property_id="h1"),
        atv.view(state, property_id="h1"),
        property.view(state, id="h1"),
    ):
        assert_labelled(root)
    assert set(walkabout.ROUTES) == {"/walkabout", "/walkabout/observation"}
    for module, route in (
        (asb, "/asb"),
        (repair, "/repair"),
        (atv, "/atv"),
        (property, "/property"),
    ):
        assert module.ROUTES == {route: module.view}


# --- walkabout -----------------------------------------------------------------------------
def test_start_grade_and_end_a_walkabout(device: Device, state: AppState, shell: Recorder) -> None:
    _seed(device)
    root = walkabout.view(state)
    assert [o.key for o in dd(root, "Estate").options] == ["Castlefields", "Elm Grove"]
    ui.click(ui.by_id(root, "walkabout-start"))
    assert "Choose the estate" in str(dd(root, "Estate").error_text)
    assert len(state.all("walkabout")) == 2  # nothing started
    pick(root, "Estate", "Elm Grove")
    ui.click(ui.by_id(root, "walkabout-start"))
    route, params = shell.routes[-1]
    made = state.get("walkabout", params["id"])
    assert route == "/walkabout" and made is not None and made["estate"] == "Elm Grove"
    assert made["participants"] == [
        {"user_id": "u-off", "name": "Sarah Whitfield", "role": "officer"}
    ]

    root = walkabout.view(state, **params)
    pick(root, "Litter", "good")
    pick(root, "Graffiti", "very_poor")
    assert result(root, "walkabout-score").startswith("Score: 50%")
    assert result(root, "walkabout-result").startswith("Result: Pass")
    pick(root, "Fire safety in communal areas", "not_met")
    assert "Fire safety in communal areas not met" in ui.texts(root)
    assert "No partner tablet receives this walkabout yet" in ui.texts(root)
    ui.type_into(ui.field(root, "Find staff by name"), "jean")
    offered = [t for t in ui.texts(root).splitlines() if t.startswith("Add Jean")]
    assert offered == ["Add Jean Moss (Councillor)"]  # Jean Gone's account is not active
    ui.click(ui.button(root, "Add Jean Moss (Councillor)"))
    assert "Jean Moss added. Their tablet receives this walkabout at its next sync." in ui.texts(
        root
    )
    assert any(
        "Will receive this walkabout" in t and "Jean Moss (Councillor)" in t
        for t in ui.texts(root).splitlines()
    )
    ui.click(ui.button(root, "Add Dev Okafor"))  # the estate's other patch officer, by name
    ui.type_into(ui.field(root, "Guest name"), "Rita Evans")
    pick(root, "Guest role", "other")
    ui.click(ui.by_id(root, "walkabout-add-guest"))
    ui.click(ui.by_id(root, "walkabout-end"))
    stored = state.get("walkabout", params["id"])
    assert stored is not None
    assert stored["grades"] == {"litter": "good", "graffiti": "very_poor"}
    assert stored["fire_safety_met"] is False and stored["ended_at"] == "2026-06-10T09:00:00Z"
    assert (stored["score_pct"], stored["result"]) == (50.0, "pass")
    assert stored["participants"][1:] == [
        {"user_id": "u-cllr", "name": "Jean Moss", "role": "councillor"},
        {"user_id": "u-two", "name": "Dev Okafor", "role": "officer"},
        {"user_id": None, "name": "Rita Evans", "role": "other"},
    ]
    assert {"walkabout-open-report", "walkabout-share-link"} <= {
        s.identifier for s in ui.of_type(root, ft.Semantics)
    }


def test_log_an_observation_with_place_photo_and_live_fail(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    state.set_position(53.3321, -2.6901)  # beside 2 Ash Court
    root = walkabout.view(state, id="w-joined", observation="new")
    form = root.data
    ui.click(ui.by_id(root, "observation-save"))
    assert dd(root, "What was seen").error_text == "Choose what was seen"
    assert state.find("observation", "walkabout_id", "w-joined") == []
    pick(root, "What was seen", "graffiti")
    assert dd(root, "What was seen").error_text is None  # gone once chosen, before a save
    tick(root, "Offensive graffiti")
    # The officer is told who reads it before typing a resident's name into it.
    # (under the box in a line that wraps: a helper text was cut short on a phone)
    assert "not who lives there" in str(ui.by_id(root, "observation-shared-note").value)
    ui.type_into(ui.field(root, "Description"), "Racist slogan on the bin store")
    assert "due in 24 h" in result(root, "observation-action")
    ui.click(ui.by_id(root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    assert (obs["kind"], obs["offensive"], obs["lat"], obs["lon"]) == (
        "graffiti",
        True,
        53.3321,
        -2.6901,
    )
    assert obs["logged_by"] == "u-off" and obs["nearest_property_id"] == "h2"
    where = ui.by_id(root, "observation-nearest")
    assert "Block Ash Court, near 2 Ash Court" in ui.texts(where)

    added, problems = add_photos(
        state,
        parent_entity="observation",
        parent_id=obs["id"],
        files=[("bin.jpg", jpeg()), ("notes.txt", b"not a picture"), ("empty.jpg", None)],
    )
    assert len(added) == 1 and len(problems) == 2
    assert [p["parent_id"] for p in state.find("photo", "parent_entity", "observation")] == [
        obs["id"]
    ]
    [thumb] = ui.of_type(photo_strip(state, added), ft.Image)  # the stored thumbnail
    assert isinstance(thumb.src, bytes) and thumb.src.startswith(b"\xff\xd8")  # a JPEG
    assert ui.of_type(photo_strip(state, [{"id": "x", "sha256": "0" * 64}]), ft.Icon)
    assert form.record["id"] == obs["id"]

    # The walkabout now fails whatever the grades say.
    root = walkabout.view(state, id="w-joined")
    pick(root, "Litter", "good")
    assert result(root, "walkabout-result").startswith("Result: Fail. Fail: offensive graffiti")
    assert "Graffiti (offensive)" in ui.texts(root)


def test_raise_a_repair_from_an_observation(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    state.set_position(53.331, -2.69)
    root = walkabout.view(state, id="w-joined", observation="new")
    pick(root, "What was seen", "lighting")
    ui.click(ui.by_id(root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    ui.click(ui.by_id(root, "observation-raise-repair"))
    route, params = shell.routes[-1]
    assert (route, params["observation_id"]) == ("/repair", obs["id"]) and params["draft"]

    root = repair.view(state, **params)
    assert dd(root, "Property").value == "h1"
    assert dd(root, "HHSRS hazard").value == "lighting"
    pick(root, "Priority", "urgent")
    ui.click(ui.by_id(root, "repair-save"))
    [made] = state.all("repair")
    assert (made["property_id"], made["observation_id"], made["priority"]) == (
        "h1",
        obs["id"],
        "urgent",
    )
    linked = state.get("observation", obs["id"])
    assert linked is not None and (linked["raised_entity"], linked["raised_id"]) == (
        "repair",
        made["id"],
    )
    # The walkabout's list says what it raised, by reference once the server has given one.
    assert "raised repair (reference not yet sent)" in ui.texts(
        walkabout.view(state, id="w-joined")
    )
    # Reopened, the observation offers the repair instead of raising another.
    root = walkabout.view(state, id="w-joined", observation=obs["id"])
    assert "Open the repair raised" in ui.texts(root)
    ui.click(ui.by_id(root, "observation-open-raised"))
    assert shell.routes[-1] == ("/repair", {"id": made["id"]})


def test_a_repair_at_a_walkabout_spot_is_listed_by_its_place(
    device: Device, state: AppState, shell: Recorder
) -> None:
    """A finding recorded at a spot with no home chosen: My patch places it by the nearest
    home (not "Unknown address"), and the form says where the record is while offline."""
    _seed(device)
    state.set_position(53.3312, -2.69)  # 20 m from 1 Ash Court
    root = walkabout.view(state, id="w-joined", observation="new")
    pick(root, "What was seen", "lighting")
    ui.click(ui.by_id(root, "observation-save"))
    ui.click(ui.by_id(root, "observation-raise-repair"))
    root = repair.view(state, **shell.routes[-1][1])
    pick(root, "Property", None)  # the officer records the spot, not a home
    assert (
        "Walkabout spot 20 m from 1 Ash Court, WA7 2AB: no home chosen, so it is filed at the spot"
        in ui.texts(root)
    )
    pick(root, "Priority", "urgent")
    ui.click(ui.by_id(root, "repair-save"))
    [made] = state.all("repair")
    assert made["property_id"] is None and made["due_at"]
    # This tablet has no connection (the tests' server address is closed).
    assert "Repair finding saved on this tablet. It will be sent when there is a connection." in (
        ui.texts(root)
    )
    texts = ui.texts(patch.view(state))
    assert "Walkabout spot 20 m from 1 Ash Court, WA7 2AB" in texts
    assert "Unknown address" not in texts


def test_a_finding_raised_far_from_every_home_names_no_home(
    device: Device, state: AppState, shell: Recorder
) -> None:
    """Found on a walk: fly-tipping logged 1.7 km off the estate named a resident's home, and
    the case raised from it came pre-filled with that home."""
    _seed(device)
    state.set_position(53.336, -2.69)  # 333 m north of 3 Ash Court, the nearest home
    root = walkabout.view(state, id="w-joined", observation="new")
    pick(root, "What was seen", "fly_tipping")
    ui.click(ui.by_id(root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    assert obs["nearest_property_id"] is None and obs["nearest_block"] is None
    assert "53.33600, -2.69000 (no home nearby)" in ui.texts(root)
    spot = (
        "Walkabout spot 330 m from 3 Ash Court, WA7 2AB: no home chosen, so it is filed at the spot"
    )
    for button, form in (("observation-raise-asb", asb), ("observation-raise-repair", repair)):
        root = walkabout.view(state, id="w-joined", observation=obs["id"])
        ui.click(ui.by_id(root, button))
        root = form.view(state, **shell.routes[-1][1])
        assert dd(root, "Property").value in (None, NONE_KEY)
        assert spot in ui.texts(root)
        pick(root, "Property", "h3")  # the officer may still choose a home: the line goes
        assert spot not in ui.texts(root)


def test_raise_an_asb_report_from_an_observation(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    state.set_position(53.333, -2.69)
    root = walkabout.view(state, id="w-joined", observation="new")
    pick(root, "What was seen", "vandalism")
    ui.click(ui.by_id(root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    ui.click(ui.by_id(root, "observation-raise-asb"))
    root = asb.view(state, **shell.routes[-1][1])
    assert dd(root, "Category").value == "crime" and dd(root, "Property").value == "h3"
    assert result(root, "triage-priority").startswith("Priority: 1")
    ui.click(ui.by_id(root, "asb-save"))
    [case] = state.all("asb_case")
    assert case["category"] == "crime" and case["harm_type"] == "environmental"
    # Found on a walk: the button read "Open the asb case raised".
    assert "Open the ASB case raised" in ui.texts(
        walkabout.view(state, id="w-joined", observation=obs["id"])
    )
    assert state.get("observation", obs["id"])["raised_id"] == case["id"]  # type: ignore[index]


def test_partner_only_observes_on_joined_walkabouts(device: Device, state: AppState) -> None:
    _seed(device, user=PCSO)
    assert [w["id"] for w in state.all("walkabout")] == ["w-joined"]
    lst = walkabout.view(state)
    assert not [d for d in ui.of_type(lst, ft.Dropdown) if d.label == "Estate"]  # cannot start
    assert "Castlefields" in ui.texts(lst)
    root = walkabout.view(state, id="w-joined")
    labels = {d.label for d in ui.of_type(root, ft.Dropdown)}
    assert "Litter" not in labels and "Fire safety in communal areas" not in labels
    idents = {s.identifier for s in ui.of_type(root, ft.Semantics)}
    assert "walkabout-end" not in idents and "walkabout-add-note" in idents
    assert "walkabout-open-report" in idents and "walkabout-share-link" in idents
    ui.type_into(ui.field(root, "Note"), "Bins overflowing again")
    ui.click(ui.by_id(root, "walkabout-add-note"))
    assert [n["text"] for n in state.find("note", "parent_id", "w-joined")] == [
        "Bins overflowing again"
    ]

    obs_root = walkabout.view(state, id="w-joined", observation="new")
    pick(obs_root, "What was seen", "fly_tipping")
    ui.click(ui.by_id(obs_root, "observation-save"))
    [obs] = state.find("observation", "walkabout_id", "w-joined")
    assert obs["logged_by"] == "u-pcso"
    idents = {s.identifier for s in ui.of_type(obs_root, ft.Semantics)}
    assert not idents & {"observation-raise-repair", "observation-raise-asb"}
    assert dd(obs_root, "What was seen").disabled  # partners cannot change what they logged
    # A walkabout the PCSO did not join is not there at all.
    assert "not on this tablet" in ui.texts(walkabout.view(state, id="w-other"))


def test_open_screens_show_what_sync_brings(device: Device, state: AppState) -> None:
    _seed(device)
    walk = walkabout.view(state, id="w-joined")
    history = property.view(state, id="h1")
    visit = atv.view(state, property_id="h1")
    seed(
        device,
        {
            "observation": [
                {
                    "id": "o-pcso",
                    "walkabout_id": "w-joined",
                    "kind": "abandoned_vehicle",
                    "logged_at": "2026-06-10T08:30:00Z",
                    "lat": 53.331,
                    "lon": -2.69,
                }
            ],
            "note": [
                {
                    "id": "n-x",
                    "parent_entity": "property",
                    "parent_id": "h1",
                    "text": "Gas safety check booked",
                    "created_at": "2026-06-10T08:00:00Z",
                }
            ],
            "person": [
                {
                    "id": "m3",
                    "property_id": "h1",
                    "name": "New Lodger",
                    "status": "member",
                    "date_of_birth": "1990-01-01",
                }
            ],
        },
        user=OFFICER,
    )
    assert "Abandoned vehicle" not in ui.texts(walk)
    state.set_position(53.331, -2.69)  # any change notice: here, a new GPS fix
    assert "Abandoned vehicle" in ui.texts(walk)
    assert "Block Ash Court, near 1 Ash Court" in ui.texts(walk)
    assert "Gas safety check booked" in ui.texts(history)
    assert "New Lodger" in ui.texts(visit)
    assert "Needs 3, home has 2: OVERCROWDED" in result(visit, "atv-bedroom-standard")


# --- ASB -----------------------------------------------------------------------------------
def test_asb_triage_is_live_and_a_bad_save_keeps_everything(
    device: Device, state: AppState
) -> None:
    _seed(device)
    root = asb.view(state, property_id="h1")
    form = root.data
    assert {o.key for o in dd(root, "Complainant").options} >= {"m1", "m2"}
    pick(root, "Category", "noise")
    assert result(root, "triage-threshold").startswith("Threshold: Applies: not met")
    assert result(root, "triage-response-due").startswith("Response due: No response clock")
    pick(root, "Complainant", "m1")  # 75 today
    assert result(root, "triage-vulnerability").startswith("Vulnerability: Vulnerable")
    assert "due in 7 days" in result(root, "triage-response-due")
    tick(root, "Threats or violence")
    assert result(root, "triage-risk").startswith("Risk: High")
    ui.type_into(ui.field(root, "Description"), "Shouting and banging at night")
    ui.type_into(ui.field(root, "Report time"), "yesterday")
    ui.click(ui.by_id(root, "asb-save"))
    assert (
        ui.field(root, "Report time").error
        == "Enter a date and time as DD/MM/YYYY HH:MM, e.g. 10/06/2026 21:30"
    )
    assert ui.field(root, "Description").value == "Shouting and banging at night"
    assert state.all("asb_case") == []
    ui.type_into(ui.field(root, "Report time"), "10/06/2026 09:30")
    ui.type_into(ui.field(root, "Incident time"), "09/06/2026 23:40")
    ui.click(ui.by_id(root, "asb-save"))
    [case] = state.all("asb_case")
    assert ui.field(root, "Report time").error is None
    assert (case["received_at"], case["complainant_id"], case["vulnerable"]) == (
        "2026-06-10T08:30:00Z",
        "m1",
        True,
    )
    assert case["description"] == "Shouting and banging at night"
    assert case["incident_at"] == "2026-06-09T22:40:00Z"
    assert case["risk_level"] == "high" and case["risk_answers"]["threats_or_violence"] is True
    assert form.record["id"] == case["id"]

    # Opened again, the form shows what was saved.
    again = asb.view(state, id=case["id"])
    assert ui.field(again, "Incident time").value == "09/06/2026 23:40"
    assert ui.field(again, "Description").value == "Shouting and banging at night"
    assert dd(again, "Complainant").value == "m1"


def test_further_reports_attach_and_reassess(device: Device, state: AppState) -> None:
    _seed(device)
    root = asb.view(state, property_id="h2")
    pick(root, "Category", "other")
    ui.click(ui.by_id(root, "asb-save"))
    [case] = state.all("asb_case")
    assert case["threshold_met"] is False and case["due_at"] is None
    ui.type_into(ui.field(root, "Further report time"), "10/06/2026 09:50")
    ui.click(ui.by_id(root, "asb-add-report"))  # nothing said: not a complaint
    assert ui.field(root, "Further report incident time").error == "Required"
    assert ui.field(root, "Further report description").error == "Required: say what happened"
    assert state.all("asb_report") == []
    ui.type_into(ui.field(root, "Further report description"), "Shouting on the stairs")
    assert ui.field(root, "Further report description").error is None
    ui.type_into(ui.field(root, "Further report incident time"), "10/06/2026 10:00")
    ui.click(ui.by_id(root, "asb-add-report"))
    assert "cannot be after the report" in str(ui.field(root, "Further report incident time").error)
    assert state.all("asb_report") == []
    ui.type_into(ui.field(root, "Further report incident time"), "09/06/2026 22:00")
    pick(root, "Reported to", "police")
    ui.click(ui.by_id(root, "asb-add-report"))
    [report] = state.find("asb_report", "case_id", case["id"])
    assert (report["agency"], report["reported_at"]) == ("police", "2026-06-10T08:50:00Z")
    assert result(root, "triage-threshold").startswith("Threshold: Applies: met")
    stored = state.get("asb_case", case["id"])
    assert stored is not None and stored["threshold_met"] is True and stored["due_at"]
    assert "To police" in ui.texts(root)
    pick(root, "Status", "action_plan")
    ui.click(ui.by_id(root, "asb-save"))
    assert state.get("asb_case", case["id"])["status"] == "action_plan"  # type: ignore[index]


def test_community_trigger_record_offered_once_eligible(
    device: Device, state: AppState, shell: Recorder
) -> None:
    _seed(device)
    root = asb.view(state, property_id="h2")
    pick(root, "Category", "noise")
    ui.click(ui.by_id(root, "asb-save"))
    idents = {s.identifier for s in ui.of_type(root, ft.Semantics)}
    assert "asb-community-trigger" not in idents
    for day in ("01/05/2026 10:00", "01/06/2026 10:00"):
        ui.type_into(ui.field(root, "Further report time"), day)
        ui.type_into(ui.field(root, "Further report incident time"), day.replace("10:00", "08:00"))
        ui.type_into(ui.field(root, "Further report description"), "Music again")
        ui.click(ui.by_id(root, "asb-add-report"))
    assert result(root, "triage-community-trigger").startswith("Community Trigger: Eligible")
    [case] = state.all("asb_case")
    assert case["ct_eligible"] is True
    ui.click(ui.by_id(root, "asb-community-trigger"))
    assert shell.routes[-1] == ("/ct_review", {"case_id": case["id"]})


# --- repair --------------------------------------------------------------------------------
def test_repair_awaab_deadlines_live_and_stored(device: Device, state: AppState) -> None:
    _seed(device)
    root = repair.view(state, property_id="h1")
    pick(root, "HHSRS hazard", "damp_and_mould")
    pick(root, "Awaab's Law", "significant")
    assert "due in 14 days" in result(root, "repair-investigate-by")
    assert "When the investigation concludes" in result(root, "repair-make-safe-by")
    ui.type_into(ui.field(root, "Investigation concluded at"), "09/06/2026 10:00")
    ui.click(ui.by_id(root, "repair-save"))
    assert ui.field(root, "Investigation concluded at").error == (
        "It cannot conclude before the report"
    )
    assert state.all("repair") == []
    ui.type_into(ui.field(root, "Investigation concluded at"), "12/06/2026 15:00")
    ui.type_into(ui.field(root, "Room"), "Back bedroom")
    ui.click(ui.by_id(root, "repair-save"))  # two days ahead of the tablet's clock
    assert ui.field(root, "Investigation concluded at").error == (
        "Cannot be in the future: check the date and time"
    )
    assert state.all("repair") == []
    ui.type_into(ui.field(root, "Investigation concluded at"), "10/06/2026 10:00")
    assert "Wed 17 Jun 2026 23:59" in result(root, "repair-make-safe-by")
    ui.click(ui.by_id(root, "repair-save"))
    [made] = state.all("repair")
    assert (made["room"], made["awaab"], made["make_safe_by"]) == (
        "Back bedroom",
        "significant",
        "2026-06-17T22:59:59Z",
    )
    added, problems = add_photos(
        state, parent_entity="repair", parent_id=made["id"], files=[("mould.jpg", jpeg())]
    )
    assert problems == [] and added[0]["parent_entity"] == "repair"
    # Edited: only the changed field is sent, and the form keeps the stored values.
    root = repair.view(state, id=made["id"])
    pick(root, "Status", "investigating")
    ui.click(ui.by_id(root, "repair-save"))
    assert state.get("repair", made["id"])["status"] == "investigating"  # type: ignore[index]


def test_property_search_in_the_picker(device: Device, state: AppState) -> None:
    _seed(device)
    root = repair.view(state)
    assert dd(root, "Property").value == "__none__"
    ui.type_into(ui.field(root, "Find property"), "elm grove")
    assert [o.key for o in dd(root, "Property").options] == ["__none__", "e1"]
    ui.type_into(ui.field(root, "Description"), "Loose stair rail")
    ui.click(ui.by_id(root, "repair-save"))
    assert "Choose the property" in str(dd(root, "Property").error_text)
    pick(root, "Property", "e1")
    ui.click(ui.by_id(root, "repair-save"))
    assert [r["property_id"] for r in state.all("repair")] == ["e1"]


# --- Annual Tenancy Visit ------------------------------------------------------------------
def test_atv_household_changes_update_bedroom_need(device: Device, state: AppState) -> None:
    _seed(device)
    root = atv.view(state, property_id="h1")
    form = root.data
    assert result(root, "atv-bedroom-standard").startswith(
        "Bedroom standard: Needs 2, home has 2: at standard"
    )
    # A grandchild is born, a partner moves in: three bedrooms needed in a two-bed home.
    ui.type_into(ui.field(root, "Name"), "Baby Hughes")
    ui.type_into(ui.field(root, "Date of birth"), "2026-05-01")
    pick(root, "Sex", "F")
    pick(root, "Relationship", "relative")
    ui.click(ui.by_id(root, "atv-save-person"))
    assert "Needs 3, home has 2: OVERCROWDED" in result(root, "atv-bedroom-standard")
    ui.type_into(ui.field(root, "Name"), "Lee Ward")
    pick(root, "Partner", "m2")
    pick(root, "Relationship", "partner")
    ui.click(ui.by_id(root, "atv-save-person"))
    lee = next(p for p in state.find("person", "property_id", "h1") if p["name"] == "Lee Ward")
    assert lee["partner_id"] == "m2" and lee["status"] == "member"
    assert "Needs 3, home has 2: OVERCROWDED" in result(root, "atv-bedroom-standard")

    # An adult without ID is kept apart; the rules suggest a fraud check, nothing is ticked.
    ui.type_into(ui.field(root, "Name"), "Unknown man")
    tick(root, "Unverified occupant (no ID seen)")
    ui.click(ui.by_id(root, "atv-save-person"))
    assert "1 unverified occupant(s) not counted" in result(root, "atv-why")
    assert ui.by_id(root, "atv-suggestion-fraud_check")
    assert form.referrals["fraud_check"].value is False

    # The lead tenant has died: one store call records the death and its task note, and
    # succession is suggested (the baby's birth suggested none). Asked first.
    assert form.died("m1")
    assert state.get("person", "m1")["died_on"] is None  # type: ignore[index]
    assert "Record that Margaret Hughes died on 10/06/2026?" in ui.texts(root)
    ui.click(ui.by_id(root, "person-confirm"))
    gone = state.get("person", "m1")
    assert gone is not None and gone["died_on"] == "2026-06-10"
    assert [s["action"] for s in gone["suggested_actions"]] == ["succession"]
    notes = [n["text"] for n in state.find("note", "parent_id", "h1")]
    assert any(t.startswith("Suggested: Succession: the lead tenant died") for t in notes)
    assert any(t.startswith("Suggested: Tenancy fraud check") for t in notes)
    assert all("Margaret" not in t and "Unknown man" not in t for t in notes)
    # The officer confirms succession (the referral is ticked) and declines the fraud check:
    # not without a reason.
    ui.click(ui.by_id(root, "atv-confirm-succession"))
    assert form.referrals["succession"].value is True
    ui.click(ui.by_id(root, "atv-decline-fraud_check"))
    assert form.suggestions.reasons["fraud_check"].error == "A decline needs a reason"
    ui.type_into(form.suggestions.reasons["fraud_check"], "Carer staying while the lead is ill")
    ui.click(ui.by_id(root, "atv-decline-fraud_check"))
    assert "Declined by Sarah Whitfield: Carer staying while the lead is ill" in ui.texts(root)
    assert form.referrals["fraud_check"].value is False
    # Tom and Lee share, the baby has a room: two bedrooms, as the home has.
    assert "Needs 2, home has 2: at standard" in result(root, "atv-bedroom-standard")

    # The visit itself; a bad amount is refused and kept on screen.
    ui.type_into(ui.field(root, "Arrears (£)"), "two hundred")
    ui.click(ui.by_id(root, "atv-save"))
    assert ui.field(root, "Arrears (£)").error and state.all("tenancy_visit") == []
    ui.type_into(ui.field(root, "Arrears (£)"), "£250")
    ui.type_into(ui.field(root, "Weekly rent (£)"), "125")
    assert "2.0 weeks of rent" in ui.texts(root)
    tick(root, "ID seen (two IDs, one with a photo)")
    pick(root, "Property condition", "fair")
    ui.click(ui.by_id(root, "atv-save"))
    [visit] = state.all("tenancy_visit")
    assert (visit["arrears_amount"], visit["weekly_rent"], visit["id_verified"]) == (
        250.0,
        125.0,
        True,
    )
    assert visit["referrals"] == ["succession"]
    assert [(d["action"], d["decision"]) for d in visit["action_decisions"]] == [
        ("succession", "confirmed"),
        ("fraud_check", "declined"),
    ]
    assert [s["action"] for s in visit["suggested_actions"]] == ["fraud_check", "succession"]
    assert (visit["bedrooms_needed"], visit["bedroom_standard"]) == (2, "at_standard")


def test_atv_edit_move_out_and_verify(device: Device, state: AppState) -> None:
    _seed(
        device,
        person=[
            *PEOPLE,
            {"id": "u1", "property_id": "h1", "name": "Kim", "status": "unverified_occupant"},
        ],
    )
    root = atv.view(state, property_id="h1")
    form = root.data
    assert form.verify("u1") and state.get("person", "u1")["status"] == "member"  # type: ignore[index]
    assert form.moved_out("m2")
    ui.click(ui.by_id(root, "person-cancel"))  # asked, and cancelled: nothing recorded
    assert state.get("person", "m2")["moved_out_on"] is None  # type: ignore[index]
    assert form.moved_out("m2") and form.confirm()
    assert state.get("person", "m2")["moved_out_on"] == "2026-06-10"  # type: ignore[index]
    ui.click(ui.by_id(root, "person-undo"))  # a slip: taken back
    assert state.get("person", "m2")["moved_out_on"] is None  # type: ignore[index]
    assert form.moved_out("m2") and form.confirm()
    assert form.edit_person("m1")
    assert ui.field(root, "Name").value == "Margaret Hughes" and dd(root, "Sex").value == "F"
    ui.type_into(ui.field(root, "Date of birth"), "1951-06-11")
    ui.click(ui.by_id(root, "atv-save-person"))
    assert state.get("person", "m1")["date_of_birth"] == "1951-06-11"  # type: ignore[index]
    assert ui.field(root, "Name").value == ""  # ready for the next person


# --- property history ----------------------------------------------------------------------
def test_property_history_newest_first(device: Device, state: AppState, shell: Recorder) -> None:
    _seed(
        device,
        asb_case=[
            {
                "id": "c1",
                "ref": "ASB-0001",
                "property_id": "h1",
                "category": "noise",
                "received_at": "2026-05-01T09:00:00Z",
            }
        ],
        repair=[
            {
                "id": "r1",
                "property_id": "h1",
                "priority": "urgent",
                "hazard": "damp_and_mould",
                "reported_at": "2026-06-01T09:00:00Z",
            }
        ],
        tenancy_visit=[{"id": "v1", "property_id": "h1", "visited_at": "2025-06-01T09:00:00Z"}],
    )
    add_photos(state, parent_entity="repair", parent_id="r1", files=[("m.jpg", jpeg())])
    root = property.view(state, id="h1")
    screen = root.data
    ui.type_into(ui.field(root, "New note"), "Tenant asked for a call back")
    ui.click(ui.by_id(root, "property-add-note"))
    kinds = [e.kind for e in screen.entries]
    assert kinds == ["note", "photo", "repair", "asb_case", "visit"]
    text = ui.texts(root)
    assert "Tenant asked for a call back" in text and "Repair: Damp and mould growth" in text
    tile = next(
        t
        for t in ui.of_type(root, ft.ListTile)
        if isinstance(t.title, ft.Text) and t.title.value == "ASB case: Noise (ASB-0001)"
    )
    ui.click(tile)
    assert shell.routes[-1] == ("/asb", {"id": "c1"})
    ui.click(ui.by_id(root, "property-atv"))
    assert shell.routes[-1] == ("/atv", {"property_id": "h1"})


@pytest.mark.parametrize(
    ("module", "params", "says"),
    [
        (walkabout, {"id": "nope"}, "not on this tablet"),
        (walkabout, {"id": "w-joined", "observation": "nope"}, "not on this tablet"),
        (property, {"id": "nope"}, "not on this tablet"),
        (atv, {"property_id": "nope"}, "Choose a property first"),
        (asb, {"id": "nope"}, "not on this tablet"),
        (repair, {"id": "nope"}, "not on this tablet"),
    ],
)
def test_unknown_records_say_so(
    device: Device, state: AppState, module: Any, params: dict[str, str], says: str
) -> None:
    _seed(device)
    assert says in ui.texts(module.view(state, **params))


def test_the_report_buttons_say_why_when_the_server_cannot_be_reached(
    device: Device, state: AppState
) -> None:
    _seed(device)  # the device's server address is a closed loopback port: offline
    root = walkabout.view(state, id="w-joined")
    for ident in ("walkabout-open-report", "walkabout-share-link"):
        ui.click(ui.by_id(root, ident))
        assert "No connection to the server: the report opens when the tablet is online." in (
            ui.texts(root)
        )


def test_an_open_form_shows_the_reference_a_sync_brings(device: Device, state: AppState) -> None:
    """The heading said "reference not yet sent" until the officer left and came back."""
    repair_row = {
        "id": "r-new",
        "property_id": "h1",
        "priority": "urgent",
        "hazard": "damp_and_mould",
        "reported_at": "2026-06-10T08:00:00Z",
        "status": "open",
    }
    _seed(device, repair=[repair_row])
    root = repair.view(state, id="r-new")
    assert "Repair finding (reference not yet sent)" in ui.texts(root)
    device.store.apply_pull_page(
        {
            "changes": [
                {
                    "entity": "repair",
                    "id": "r-new",
                    "version": 2,
                    "deleted": False,
                    "data": {**repair_row, "reference": "REP-2026-0009"},
                }
            ],
            "removes": [],
            "next_cursor": "c2",
            "has_more": False,
        }
    )
    device._notify()  # what a finished sync round tells the screens
    assert "Repair finding REP-2026-0009" in ui.texts(root)
    assert "Repair finding (reference not yet sent)" not in ui.texts(root)


def test_a_walkabout_lists_what_its_observations_raised_by_reference(
    device: Device, state: AppState
) -> None:
    seen = {
        "id": "o-lamp",
        "walkabout_id": "w-joined",
        "kind": "lighting",
        "logged_at": "2026-06-10T08:30:00Z",
        "raised_entity": "repair",
        "raised_id": "r-lamp",
    }
    fixed = {
        "id": "r-lamp",
        "reference": "REP-2026-0011",
        "property_id": "h1",
        "priority": "routine",
        "hazard": "lighting",
        "reported_at": "2026-06-10T08:40:00Z",
        "observation_id": "o-lamp",
    }
    _seed(device, observation=[seen], repair=[fixed])
    assert "raised repair REP-2026-0011" in ui.texts(walkabout.view(state, id="w-joined"))


def test_my_patch_clocks_a_repair_by_its_next_deadline(device: Device, state: AppState) -> None:
    """A routine repair with an emergency hazard under Awaab's Law was listed "due in 33 days"
    (its 20 working days) while it had to be made safe within 24 hours."""
    base = {"property_id": "h1", "status": "open", "reported_at": "2026-06-10T08:00:00Z"}
    repairs = [
        {**base, "id": "r-soon", "priority": "urgent", "hazard": "damp_and_mould",
         "due_at": "2026-06-15T22:59:59Z"},
        {**base, "id": "r-gas", "priority": "routine", "hazard": "uncombusted_fuel_gas",
         "awaab": "emergency", "due_at": "2026-07-08T22:59:59Z",
         "investigate_by": "2026-06-11T08:00:00Z", "make_safe_by": "2026-06-11T08:00:00Z"},
    ]  # fmt: skip
    _seed(device, repair=repairs)
    lines = ui.texts(patch.view(state)).splitlines()
    gas = next(i for i, t in enumerate(lines) if "uncombusted fuel gas" in t)
    soon = next(i for i, t in enumerate(lines) if "damp and mould" in t)
    assert gas < soon  # the most pressing first
    assert lines[gas + 1].startswith("Awaab's Law: investigate, make safe · 1 Ash Court")
    assert lines[gas + 2] == "due in 23 h"
