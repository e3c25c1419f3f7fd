"""The shell's screens built from a real AppState and driven through their handlers, no browser:
sign-in messages, My patch lists and search, conflicts on the Sync screen, sign-out warning."""

from __future__ import annotations

from typing import Any

import flet as ft
import pytest

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import common, patch, settings, signin, sync
from fieldapp.views.shell import allowed, destinations, home_route, route_table, status_text
from tests.app import ui
from tests.app.conftest import Recorder, seed
from tests.app.test_state import OFFICER, PCSO, _data

CASES = [
    {
        "id": "c-over",
        "ref": "ASB-0001",
        "category": "noise",
        "property_id": "h1",
        "received_at": "2026-06-01T09:00:00Z",
        "status": "open",
        "due_at": "2026-06-08T22:59:59Z",
    },
    {
        "id": "c-soon",
        "ref": "ASB-0002",
        "category": "crime",
        "property_id": "h2",
        "received_at": "2026-06-09T09:00:00Z",
        "status": "open",
        "due_at": "2026-06-10T12:00:00Z",
    },
    {
        "id": "c-closed",
        "ref": "ASB-0003",
        "category": "other",
        "property_id": "h3",
        "received_at": "2026-05-01T09:00:00Z",
        "status": "closed",
    },
]
CONFLICT = {
    "id": "k1",
    "entity": "asb_case",
    "record_id": "c-soon",
    "field": "status",
    "base_value": "open",
    "kept_value": "action_plan",
    "proposed_value": "monitoring",
    "proposed_by": "Daniel Okafor",
    "proposed_at": "2026-06-10T08:30:00Z",
    "status": "open",
}


def _seeded(device: Device, user: dict[str, Any] = OFFICER) -> None:
    data = _data()
    data["asb_case"] = CASES
    first, second, third = data["property"]
    data["property"] = [
        dict(first, tenancy_ref="HT1/01", last_atv_on="2025-05-01"),  # overdue since 1 May 2026
        dict(second, tenancy_ref="HT2/01"),  # never visited: due now
        third,  # void: no tenancy, no visit due
    ]
    data["conflict"] = [CONFLICT]
    seed(device, data, user=user)
    device.store.set_meta("token", "t")
    assert device.sync_once().status == "offline"  # nothing listens on the server port


def test_route_table_has_every_screen() -> None:
    table = route_table()
    assert set(table) >= {"/signin", "/patch", "/sync", "/settings", "/walkabout", "/asb"}
    assert all(callable(v) for v in table.values())


def test_routes_by_role(device: Device, state: AppState) -> None:
    assert allowed(state, "/patch") == "/signin"  # signed out
    _seeded(device)
    assert home_route(state) == "/patch"
    assert allowed(state, "/") == "/patch"
    assert allowed(state, "/asb") == "/asb"
    assert allowed(state, "/overview") == "/overview"
    assert route_table()["/overview"].__module__ == "fieldapp.views.overview"
    assert route_table()["/ct_review"].__module__ == "fieldapp.views.ct_review"
    device.store.set_meta("user", '{"id": "u-pcso", "name": "G", "role": "pcso"}')
    assert home_route(state) == "/walkabout"
    assert allowed(state, "/asb") == "/walkabout"  # partners never open cases
    assert allowed(state, "/overview") == "/walkabout"
    assert allowed(state, "/ct_review") == "/walkabout"
    assert allowed(state, "/patch") == "/walkabout"
    assert allowed(state, "/sync") == "/sync"


def test_status_text(device: Device, state: AppState) -> None:
    assert status_text(state) == "Signed out"
    _seeded(device)
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    assert status_text(state) == "Offline · 1 pending · 1 conflict"


def test_sign_in_without_connection_says_so(state: AppState) -> None:
    screen = signin.view(state)
    ui.field(screen, "Server address").value = "http://127.0.0.1:9"
    ui.field(screen, "Username").value = "officer1"
    ui.field(screen, "Password").value = "secret"
    ui.click(ui.by_id(screen, "sign-in"))
    text = ui.texts(screen)
    assert "No connection to the server at http://127.0.0.1:9" in text
    assert state.user is None


def test_sign_in_checks_the_form_first(state: AppState) -> None:
    screen = signin.view(state)
    ui.field(screen, "Server address").value = "ftp://x"
    ui.click(ui.by_id(screen, "sign-in"))
    assert "must start with http" in ui.texts(screen)
    ui.field(screen, "Server address").value = "127.0.0.1:9"
    ui.click(ui.by_id(screen, "sign-in"))
    assert "Enter your username and password." in ui.texts(screen)


def test_sign_in_field_prefilled_and_reason_shown(state: AppState) -> None:
    screen = signin.view(state, reason="This tablet was revoked by a manager.")
    assert ui.field(screen, "Server address").value == "http://127.0.0.1:9"
    assert ui.field(screen, "Password").password is True
    assert "This tablet was revoked by a manager." in ui.texts(screen)


def test_my_patch_lists_clocks_atvs_and_homes(device: Device, state: AppState) -> None:
    _seeded(device)
    state.set_position(53.332, -2.69)  # beside 2 Ash Court
    screen = patch.view(state)
    text = ui.texts(screen)
    assert "Open ASB cases (2)" in text  # the closed one is left out
    assert text.index("ASB-0001 · noise") < text.index("ASB-0002 · crime")  # overdue first
    assert "overdue by 34 h" in text and "due in 3 h" in text
    assert "ASB-0003" not in text
    assert "Annual Tenancy Visits due (2)" in text
    assert text.index("ATV overdue: never visited") < text.index("ATV overdue since 1 May 2026")
    homes = [
        t
        for t in ui.of_type(screen, ft.ListTile)
        if t.leading and t.leading.icon == ft.Icons.HOME_OUTLINED
    ]  # type: ignore[union-attr]
    assert "2 Ash Court" in ui.texts(homes[0])  # nearest first
    ui.click(homes[0])
    assert state.route == "/property" and state.params == {"id": "h2"}


def _search_rows(screen: ft.Control) -> list[ft.ListTile]:
    """The rows a My patch search listed (its rows carry the search icon)."""
    return [
        t
        for t in ui.of_type(screen, ft.ListTile)
        if t.leading and t.leading.icon == ft.Icons.SEARCH  # type: ignore[union-attr]
    ]


def test_my_patch_search_by_postcode_and_reference(device: Device, state: AppState) -> None:
    _seeded(device)
    screen = patch.view(state)
    box = ui.field(screen, "Search address, postcode or reference")
    ui.type_into(box, "ASB-0002")
    hits = _search_rows(screen)
    # The case itself, then the home it is about (the store also finds homes by case ref).
    assert [ui.texts(h) for h in hits] == [
        "ASB-0002 · crime — 2 Ash Court, WA7 2AB",
        "2 Ash Court, WA7 2AB",
    ]
    ui.click(hits[0])
    assert (state.route, state.params) == ("/asb", {"id": "c-soon"})
    ui.type_into(box, "WA7 2AB")
    hits = _search_rows(screen)
    assert len(hits) == 3
    assert "3 matches for “WA7 2AB”" in ui.texts(screen)  # the count, above the rows
    ui.type_into(box, "ZZ9 9ZZ")
    assert "Nothing matches “ZZ9 9ZZ” on this tablet." in ui.texts(screen)


def test_a_search_listing_its_most_says_there_may_be_more(device: Device, state: AppState) -> None:
    data = _data()
    home = data["property"][0]
    data["property"] = [
        dict(home, id=f"m{n}", address=f"{n} Mill Lane", uprn=f"9000{n:04d}") for n in range(40)
    ]
    seed(device, data, user=OFFICER)
    screen = patch.view(state)
    box = ui.field(screen, "Search address, postcode or reference")
    ui.type_into(box, "Mill Lane")
    listed = _search_rows(screen)
    assert len(listed) == patch.SEARCH_ROWS < 40
    line = f"The first {patch.SEARCH_ROWS} matches for “Mill Lane”: type more to narrow the search"
    assert line in ui.texts(screen)
    ui.type_into(box, "7 Mill Lane")  # 7, 17, 27 and 37
    assert "4 matches for “7 Mill Lane”" in ui.texts(screen)


def test_conflict_shows_both_values_and_keeps_one(device: Device, state: AppState) -> None:
    _seeded(device)
    screen = sync.view(state)
    text = ui.texts(screen)
    assert "Conflicts to review (1)" in text
    assert "ASB-0002 · crime: Status" in text
    assert "Action plan" in text and "Monitoring" in text  # side by side, in words
    assert "action_plan" not in text  # never the wire code
    assert "By Daniel Okafor, Wed 10 Jun 09:30" in text
    ui.click(ui.by_id(screen, "use-k1"))
    assert state.open_conflicts() == []
    assert state.get("asb_case", "c-soon")["status"] == "monitoring"  # type: ignore[index]
    assert any(m.startswith("Conflict on status resolved") for m in state.messages)
    assert [p["entity"] for p in state.pending()] == ["conflict"]


def test_conflict_other_value_is_checked(device: Device, state: AppState) -> None:
    _seeded(device)
    screen = sync.view(state)
    other = ui.field(screen, "Another value for status")
    other.value = "sorted"
    ui.click(ui.by_id(screen, "value-k1"))
    assert "status must be one of" in str(other.error)
    assert len(state.open_conflicts()) == 1  # nothing changed
    other.value = "closed"
    ui.click(ui.by_id(screen, "value-k1"))
    assert state.open_conflicts() == []
    assert state.get("asb_case", "c-soon")["status"] == "closed"  # type: ignore[index]


def test_sync_screen_lists_pending_and_refused(device: Device, state: AppState) -> None:
    _seeded(device)
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    text = ui.texts(sync.view(state))
    assert "Waiting to be sent (1)" in text and "New walkabout" in text
    assert "Refused by the server (0)" in text


def test_sign_out_warns_then_wipes(device: Device, state: AppState, shell: Recorder) -> None:
    _seeded(device)
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    screen = settings.view(state)
    ui.click(ui.by_id(screen, "sign-out"))
    warning = ui.texts(ui.by_id(screen, "sign-out-warning"))
    assert "1 change and 1 open conflict on this tablet are not on the server yet" in warning
    assert state.user is not None  # nothing wiped before confirming
    ui.click(ui.by_id(screen, "confirm-sign-out"))
    assert state.user is None and state.all("asb_case") == []
    assert shell.routes[-1][0] == "/signin"


def test_settings_refuses_a_bad_address(state: AppState) -> None:
    screen = settings.view(state)
    box = ui.field(screen, "Server address")
    box.value = "htp:/wrong server"  # a real slip: it was saved before
    ui.click(ui.button(screen, "Save server address"))
    assert box.error == "The server address cannot contain spaces"
    assert state.server_url != "http://htp:/wrong server"
    box.value = "127.0.0.1:8123"
    ui.click(ui.button(screen, "Save server address"))
    assert state.server_url == "http://127.0.0.1:8123"


def test_partner_navigation_has_no_patch_screen(device: Device, state: AppState) -> None:
    _seeded(device, user=PCSO)
    assert [d.label for d in destinations(state)] == ["Walkabouts", "Sync", "Settings"]
    assert [w["id"] for w in state.all("walkabout")] == ["w-joined"]
    _seeded(device, user=OFFICER)
    assert [d.label for d in destinations(state)] == [
        "My patch",
        "Walkabouts",
        "Overview",
        "Sync",
        "Settings",
    ]


def test_map_is_opt_in_and_draws_the_estate_plan_with_me_on_it(
    device: Device, state: AppState
) -> None:
    from fieldapp.views.logic_patch import by_distance
    from fieldapp.views.patch_map import SiteMap, centre

    _seeded(device)
    state.set_position(53.332, -2.69)
    screen = patch.view(state)
    assert ui.of_type(screen, SiteMap) == []  # drawn only when asked
    toggle = ui.by_id(screen, "patch-map")
    ui.click(toggle)
    [site] = ui.of_type(screen, SiteMap)
    idents = [s.identifier for s in ui.of_type(site, ft.Semantics)]
    assert idents.count("map-block") >= 1 and "map-you-are-here" in idents
    assert "map-tile" not in idents  # no tile source: the plan stands on a plain ground
    assert "no map tiles here" in ui.texts(site)
    assert centre(by_distance(state.all("property"), None), None) == pytest.approx((53.332, -2.69))
    ui.click(toggle)
    assert ui.of_type(screen, SiteMap) == []


def test_refused_change_is_shown_with_the_servers_reason(device: Device, state: AppState) -> None:
    _seeded(device)
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    batch = device.store.take_push_batch()
    device.store.apply_push_results(
        [
            {
                "mutation_id": m["mutation_id"],
                "status": "rejected",
                "error": {"code": "forbidden", "message": "Castlefields is not in your patch"},
            }
            for m in batch
        ]
    )
    text = ui.texts(sync.view(state))
    assert "Refused by the server (1)" in text
    assert "New walkabout: Estate, Started at" in text
    assert "Castlefields is not in your patch" in text
    assert "Waiting to be sent (0)" in text


def test_a_sync_write_landing_while_a_live_area_is_built_is_drawn(state: AppState) -> None:
    """Found under load: a PCSO's walkabouts list stayed "No walkabouts yet" after the first
    sync had brought them. The sync thread wrote while the screen was being built; the area's
    key, read after the build, already matched the new data, so the notice redrew nothing."""
    store = {"walkabouts": 0}

    def build() -> ft.Control:
        shown = store["walkabouts"]
        store["walkabouts"] = 2  # the pull lands now, on the sync thread
        return ft.Text(f"{shown} walkabouts")

    box = common.live(state, build, key=lambda: store["walkabouts"])
    assert ui.texts(box) == "0 walkabouts"
    state._changed()  # the pull's notice, after the screen was built
    assert ui.texts(box) == "2 walkabouts"
