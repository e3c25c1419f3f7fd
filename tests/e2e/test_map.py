"""The offline map in a real Chromium: tiles cached at sync time, shown with the source cut.

A local tile server (real HTTP, generated PNG tiles) is the server's ``TILE_URL``. The tablet
signs in and syncs, caching the tiles over its patch; then the tile server stops and the map
still shows those tiles under the estate plan (blocks with names, "you are here", markers that
open their record), and fits a phone's screen.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FloatRect, Locator
from playwright.sync_api import Error as PlaywrightError

from fieldapp.domain.siteplan import tiles_covering
from tests.e2e.harness import RestartableServer, Tablet
from tests.e2e.test_tablets import DEMO, OFFICER, RUNCORN
from tests.support.tile_server import TileServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TILE = "flt-semantics[flt-semantics-identifier='map-tile']"
BLOCK = "flt-semantics[flt-semantics-identifier='map-block']"
HERE = "flt-semantics[flt-semantics-identifier='map-you-are-here']"
MARKER = "flt-semantics[flt-semantics-identifier^='map-marker-']"
OPENS = {"map-marker-asb_case": "Save ASB report", "map-marker-repair": "Save repair"}


@pytest.fixture(scope="module")
def tile_source() -> Iterator[TileServer]:
    with TileServer() as tiles:
        yield tiles


@pytest.fixture(scope="module")
def server(e2e_dir: Path, tile_source: TileServer) -> Iterator[RestartableServer]:
    """The demo server of the other browser tests, naming the local tile server."""
    srv = RestartableServer(data_dir=e2e_dir / "server", env={"TILE_URL": tile_source.template})
    srv.cli("init-db")
    srv.cli("seed-demo")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _wait(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"never: {what}")


def test_the_map_shows_cached_tiles_and_the_plan_with_the_tile_source_cut(
    tablets: Callable[[str], Tablet], tile_source: TileServer, browser: Browser
) -> None:
    a = tablets("map-a")
    a.sign_in(OFFICER.username, OFFICER.password)
    a.see("My patch today")
    homes = [p for p in DEMO.properties if p["patch_id"] == RUNCORN["id"]]
    wanted = len(tiles_covering(homes, (14, 15, 16, 17)))
    index = a.app.data_dir / "tiles" / "index.json"

    def cached() -> int:
        try:
            return int(json.loads(index.read_text())["count"])
        except (OSError, ValueError, KeyError):
            return 0

    _wait(lambda: cached() == wanted, f"{wanted} tiles cached (have {cached()})")
    tile_source.stop()  # the network to the tile source is cut
    served = tile_source.requests

    a.tap("patch-map")
    a.see("Hide map")
    _wait(lambda: a.page.locator(TILE).count() > 0, "tiles on the map")
    assert a.page.locator(BLOCK).count() >= 2  # the estate plan: blocks with their names
    assert a.page.locator(HERE).count() == 1
    assert "map tiles on this tablet" in a.text()
    a.page.locator(TILE).first.scroll_into_view_if_needed()
    a.screenshot("offline-map")
    assert tile_source.requests == served  # everything shown came from the tablet

    # The demo has open cases and repairs here: a tap on a marker opens its record. (Markers
    # on one block are drawn on one spot, a known problem: the tap opens whichever of them
    # Flutter draws on top, a case or a repair, which the page's order does not tell.)
    top = _marker_on_screen(a)
    top.click()
    opened = a.page.get_by_text(re.compile("|".join(OPENS.values()))).first
    try:
        opened.wait_for(timeout=20_000)
    except PlaywrightError:
        raise AssertionError(f"the marker opened no case or repair\n{a.evidence()}") from None

    phone = Tablet(a.app, browser, width=390).open()
    try:
        phone.see("Show map")
        phone.page.mouse.move(195, 400)
        for _ in range(3):  # bring the button above the phone's bottom navigation bar
            phone.page.mouse.wheel(0, 300)
            time.sleep(0.3)
        phone.page.get_by_role("button", name="Show map").click()
        phone.see("Hide map")
        the_map = phone.page.get_by_label(re.compile(r"Map of \d+ homes near you")).first
        the_map.wait_for()
        the_map.scroll_into_view_if_needed()
        _wait(lambda: phone.page.locator(TILE).count() > 0, "tiles on the phone")
        box = the_map.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        phone.screenshot("offline-map-phone")
    finally:
        phone.close()


def _marker_on_screen(t: Tablet) -> Locator:
    """A case or repair marker on screen with nothing on top of it. The markers are brought
    on screen first and left to settle: a click that has to scroll the page lands where the
    marker was before Flutter's scroll (ci1 this stop: a home's row below the map opened)."""
    markers = t.page.locator(MARKER)
    markers.last.scroll_into_view_if_needed()
    height = t.page.viewport_size["height"] if t.page.viewport_size else 860
    found: list[tuple[Locator, FloatRect | None]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        before = found
        found = [(markers.nth(i), markers.nth(i).bounding_box()) for i in range(markers.count())]
        if before and [b for _, b in before] == [b for _, b in found]:
            break  # two reads alike: the page has stopped moving
        time.sleep(0.3)
    for marker, box in reversed(found):
        on_screen = box is not None and 60 <= box["y"] <= height - box["height"]
        if on_screen and marker.get_attribute("flt-semantics-identifier") in OPENS:
            if _tappable(marker):
                return marker
    raise AssertionError(f"no case or repair marker on screen to tap\n{t.evidence()}")


def _tappable(marker: Locator) -> bool:
    """Whether a tap on ``marker`` reaches it (Playwright's trial click: nothing on top)."""
    try:
        marker.click(trial=True, timeout=2_000)
    except PlaywrightError:
        return False
    return True
