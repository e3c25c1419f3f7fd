"""The product's "done" story in a real Chromium, with the real server and separate tablets.

1. Signing in: a wrong password says so; the right one shows My patch, online.
2. An officer logs a walkabout (a PCSO joined) with a photo and a location while the server
   is stopped; the server starts; the items sync and the second officer's tablet shows them.
3. Both officers change one ASB case's status while offline; the clash shows on a Sync
   screen with both values side by side and is resolved with one tap; both tablets end
   with the chosen value.
4. The PCSO on that walkabout logs fly-tipping, and no tenant's name is anywhere in the
   PCSO's app: not in any page it showed, not in its SQLite file.
Tests run in order and share the tablets (module fixtures). Screenshots go to
``test-results/screenshots/``; ``UPDATE_SCREENSHOTS=1`` refreshes ``docs/screenshots/``.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fieldapp.demo import generate_demo
from tests.e2e.conftest import SECOND_OFFICER
from tests.e2e.harness import RestartableServer, Tablet

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(autouse=True)
def server_up(server: RestartableServer) -> None:
    """Each scenario starts with the server running (a failed one may have left it down)."""
    server.start()


DEMO = generate_demo(1)
USERS = {u.username: u for u in DEMO.users}
OFFICER = USERS["officer1"]
PCSO = USERS["pcso"]
RUNCORN = next(p for p in DEMO.patches if p["name"] == "Runcorn East")
HOMES = {p["id"]: p for p in DEMO.properties}
OPEN_CASE = next(
    c
    for c in DEMO.asb_cases
    if c.get("status") in ("open", None)
    and c.get("ref")
    and HOMES.get(str(c.get("property_id")), {}).get("patch_id") == RUNCORN["id"]
)
TENANT_NAMES = sorted(
    {str(p["name"]) for p in DEMO.persons if p.get("name")} - {u.name for u in DEMO.users}
)
NOTE = "Mattress and sofa dumped by the bin store"
PCSO_NOTE = "Fridge dumped behind block B"


def _photo(folder: Path) -> Path:
    """A real JPEG, as a camera roll would hand it over."""
    image = Image.new("RGB", (1200, 900), (90, 130, 60))
    for x in range(0, 1200, 40):
        image.paste((200, 180, 40), (x, 300, x + 20, 600))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    path = folder / "fly-tipping.jpg"
    path.write_bytes(buf.getvalue())
    return path


def _log_observation(t: Tablet, *, kind: str, note: str, photo: Path) -> None:
    t.tap("walkabout-log-observation")
    t.choose("What was seen", kind)
    t.type("Description", note)
    t.tap("observation-locate")
    with t.page.expect_file_chooser() as chooser:
        t.tap("observation-add-photos")
    chooser.value.set_files(str(photo))
    t.see("photo(s) added")
    t.tap("observation-save")


def _sync(t: Tablet) -> str:
    """Tap "Sync now" and wait for a round that started after the tap to finish cleanly."""
    last = "SELECT value FROM meta WHERE key = 'last_synced_at'"
    before = t.app.query(last)
    t.nav("Sync")
    t.tap("sync-now")
    deadline = time.monotonic() + 60
    while t.app.query(last) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    return t.wait_status(r"Online · all saved", timeout=60)


def test_sign_in_and_my_patch(tablets: Callable[[str], Tablet]) -> None:
    a = tablets("tablet-a")
    a.see("Sign in once with a connection")
    a.screenshot("sign-in")
    a.sign_in(OFFICER.username, "not-the-password")
    a.see("Wrong username or password")
    a.sign_in(OFFICER.username, OFFICER.password)
    a.see("My patch today")
    a.wait_status(r"^Online")
    a.see("Annual Tenancy Visits due")
    assert OFFICER.name in a.text()
    a.screenshot("my-patch")
    a.tap("patch-map")
    a.see("Hide map")
    the_map = a.page.get_by_label(re.compile(r"Map of \d+ homes near you")).first
    the_map.wait_for()
    the_map.scroll_into_view_if_needed()
    a.screenshot("my-patch-map")
    a.tap("patch-map")


def test_walkabout_logged_offline_reaches_the_second_tablet(
    tablets: Callable[[str], Tablet], server: RestartableServer, e2e_dir: Path
) -> None:
    a = tablets("tablet-a")
    b = tablets("tablet-b")
    b.sign_in(SECOND_OFFICER[0], SECOND_OFFICER[1])
    b.see("My patch today")
    b.wait_status(r"^Online")

    server.stop()  # no signal in the stairwell
    a.nav("Walkabouts")
    a.choose("Estate", "Castlefields")
    a.tap("walkabout-start")
    a.type("Find staff by name", PCSO.name.split()[0])  # the directory is on the tablet
    a.press_until(
        a.page.get_by_role("button", name=f"Add {PCSO.name} (PCSO)"), f"{PCSO.name} added"
    )
    _log_observation(a, kind="Fly-tipping", note=NOTE, photo=_photo(e2e_dir))
    status = a.wait_status(r"(Offline|Sync problem) · \d+ pending")
    assert int(re.search(r"(\d+) pending", status).group(1)) >= 3  # type: ignore[union-attr]
    a.screenshot("observation-offline")
    a.nav("Sync")
    a.see("Waiting to be sent")
    a.screenshot("sync-offline")

    server.start()
    _sync(a)
    a.see("Nothing waiting: the server has every change.")

    _sync(b)
    b.app.wait_for_rows(
        "SELECT kind FROM observation WHERE description = ?", NOTE, expect=[("fly_tipping",)]
    )
    b.nav("Walkabouts")
    b.tap_text("Castlefields")  # the newest walkabout is listed first
    b.see(PCSO.name)
    b.see("Fly-tipping")
    b.screenshot("walkabout-on-second-tablet")


def _open_case(t: Tablet, ref: str) -> None:
    t.search(ref)
    hit = t.page.get_by_role("button", name=re.compile(re.escape(ref) + ".*—"))
    hit.first.wait_for()
    t.open_item(hit, "Save ASB report")


def test_offline_clash_is_shown_and_resolved(
    tablets: Callable[[str], Tablet], server: RestartableServer
) -> None:
    a, b = tablets("tablet-a"), tablets("tablet-b")
    ref = str(OPEN_CASE["ref"])
    server.stop()
    for t, status in ((a, "Action plan"), (b, "Monitoring")):
        _open_case(t, ref)
        t.choose("Status", status)
        t.press_until_status(t.ident("asb-save"), r"\d+ pending")
    server.start()
    _sync(a)  # first to reach the server: its value is the one kept
    b.nav("Sync")
    b.tap("sync-now")
    holder = b
    try:
        b.see("Conflicts to review (1)", timeout=30)
    except AssertionError:  # the conflict may be filed with the other editor
        _sync(a)
        holder = a
        a.see("Conflicts to review (1)", timeout=30)
    holder.see("Kept on the server")
    text = holder.text().lower()
    assert "action plan" in text and "monitoring" in text  # both values, side by side
    holder.screenshot("conflict")
    # Whichever tablet's sync landed first holds the kept value; "Use this" takes the other.
    [(proposed,)] = holder.app.query("SELECT proposed_value FROM conflict WHERE status = 'open'")
    chosen = json.loads(proposed)
    assert chosen in ("action_plan", "monitoring")
    holder.page.get_by_role("button", name="Use this").first.click()
    holder.see("Conflicts to review (0)")
    # The choice reaches the server first, then every tablet pulls the chosen value.
    holder.app.wait_for_rows("SELECT count(*) FROM outbox WHERE state = 'pending'", expect=[(0,)])
    for t in (a, b):
        _sync(t)
        t.app.wait_for_rows("SELECT status FROM asb_case WHERE ref = ?", ref, expect=[(chosen,)])
        t.see("Conflicts to review (0)")


def test_pcso_logs_fly_tipping_and_sees_no_personal_data(
    tablets: Callable[[str], Tablet], e2e_dir: Path
) -> None:
    c = tablets("tablet-pcso")
    c.sign_in(PCSO.username, PCSO.password)
    c.see("Estate walkabouts")  # partners land on their walkabouts
    c.wait_status(r"^Online")
    seen: list[str] = [c.text()]
    c.tap_text("Castlefields")
    c.see(PCSO.name)
    c.see("Fly-tipping")  # the officer's observation on the walkabout the PCSO joined
    seen.append(c.text())
    _log_observation(c, kind="Fly-tipping", note=PCSO_NOTE, photo=_photo(e2e_dir))
    seen.append(c.text())
    c.screenshot("pcso-observation")
    _sync(c)
    seen.append(c.text())
    c.nav("Settings")
    seen.append(c.text())

    # Whatever the PCSO could open, no tenant's name shows, and none is stored.
    assert TENANT_NAMES, "the demo has tenants"
    pages = "\n".join(seen)
    stored = c.app.stored_bytes()
    leaks: list[Any] = [n for n in TENANT_NAMES if n in pages or n.encode() in stored]
    assert leaks == []
    assert "My patch" not in pages  # partners get no patch screen at all


def test_revoked_tablet_wipes_itself_and_asks_to_sign_in(
    tablets: Callable[[str], Tablet], server: RestartableServer
) -> None:
    b = tablets("tablet-b")  # the lost tablet
    [(device_id,)] = b.app.query("SELECT value FROM meta WHERE key = 'device_id'")
    assert b.app.query("SELECT count(*) FROM asb_case")[0][0] > 0
    server.cli("revoke-device", device_id)
    b.tap("sync-status")  # the status line opens the Sync screen
    b.tap("sync-now")
    b.see("revoked")
    b.see("Sign in once with a connection")
    b.screenshot("revoked")
    # What the wipe left is read with the tablet switched off, as a thief with the SD card
    # would read it: never beside the app while it may be recreating its own files.
    b.app.stop()
    assert b.app.query("SELECT count(*) FROM asb_case") == [(0,)]
    assert b.app.query("SELECT count(*) FROM person") == [(0,)]
    assert b.app.query("SELECT count(*) FROM outbox") == [(0,)]
    assert b.app.query("SELECT value FROM meta WHERE key = 'token'") == []
    [(new_id,)] = b.app.query("SELECT value FROM meta WHERE key = 'device_id'")
    assert new_id != device_id  # a fresh device, not the revoked one
    stored = b.app.stored_bytes()
    assert [n for n in TENANT_NAMES if n.encode() in stored] == []
