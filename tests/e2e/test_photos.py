"""Photos on two tablets in a real Chromium, with the real server (the module's own).

1. A photo taken on tablet A shows on tablet B as a thumbnail, and at full size on a tap.
2. With the server stopped, B still shows it (thumbnail and full size from its cache).
3. Deleted on A, the photo disappears on A at once and on B (left open on it) with its next
   background sync; the server keeps the bytes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import SECOND_OFFICER
from tests.e2e.harness import RestartableServer, Tablet
from tests.e2e.test_tablets import OFFICER, _log_observation, _photo, _sync

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTE = "Broken glass by the play area"
THUMB = "flt-semantics[flt-semantics-identifier='photo-thumb']"
FULL = "flt-semantics[flt-semantics-identifier='photo-full']"


def _open_observation(t: Tablet) -> None:
    """From anywhere: Walkabouts → the newest Castlefields walkabout → its observation."""
    t.nav("Walkabouts")
    # The newest walkabout is listed first; its row is pressed again if Flutter dropped the tap
    # (the list redrawn by a sync finishing), until its observations show.
    walk = t.page.get_by_text(re.compile(r"^Castlefields\s+Started"))
    t.open_item(walk, "Fly-tipping")
    t.open_item(t.page.get_by_role("button", name=re.compile(r"^Fly-tipping\b.*·")), "Photos")


def _wait_count(t: Tablet, selector: str, count: int, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if t.page.locator(selector).count() == count:
            return
        time.sleep(0.3)
    raise AssertionError(f"{t.app.name}: {selector} never counted {count}\n{t.evidence()}")


def test_a_photo_travels_shows_offline_and_is_deleted_everywhere(
    tablets: Callable[[str], Tablet], server: RestartableServer, e2e_dir: Path
) -> None:
    a, b = tablets("photo-a"), tablets("photo-b")
    a.sign_in(OFFICER.username, OFFICER.password)
    b.sign_in(SECOND_OFFICER[0], SECOND_OFFICER[1])
    for t in (a, b):
        t.see("My patch today")
        t.wait_status(r"^Online")

    a.nav("Walkabouts")
    a.choose("Estate", "Castlefields")
    a.tap("walkabout-start")
    _log_observation(a, kind="Fly-tipping", note=NOTE, photo=_photo(e2e_dir))
    _sync(a)
    [(sha,)] = a.app.query("SELECT sha256 FROM photo WHERE deleted = 0")

    # 1. On B: the thumbnail after a sync, full size on a tap.
    _sync(b)
    b.app.wait_for_rows("SELECT kind FROM photo_cache WHERE sha256 = ?", sha, expect=[("thumb",)])
    _open_observation(b)
    _wait_count(b, THUMB, 1)
    b.page.locator(THUMB).first.click()
    _wait_count(b, FULL, 1)
    b.app.wait_for_rows(
        "SELECT kind FROM photo_cache WHERE sha256 = ? ORDER BY kind",
        sha,
        expect=[("full",), ("thumb",)],
    )
    b.screenshot("photo-on-second-tablet")

    # 2. No server: B still shows both, from its own cache.
    server.stop()
    b.nav("Sync")
    _open_observation(b)
    _wait_count(b, THUMB, 1)
    b.page.locator(THUMB).first.click()
    _wait_count(b, FULL, 1)
    server.start()

    # 3. A deletes it: gone on A at once; B, left open on the photo, loses it with its next
    # background sync; the server keeps the bytes.
    _open_observation(b)
    _wait_count(b, THUMB, 1)
    _open_observation(a)
    a.page.locator(THUMB).first.click()
    a.tap("photo-delete")
    a.tap("photo-delete-confirm")
    a.see("No photos yet")
    _sync(a)
    b.app.wait_for_rows("SELECT count(*) FROM photo WHERE deleted = 0", expect=[(0,)], timeout=90)
    b.app.wait_for_rows("SELECT count(*) FROM photo_cache", expect=[(0,)])
    _wait_count(b, THUMB, 0)
    b.see("No photos yet")
    assert not list((b.app.data_dir / "photos").glob(f"{sha}*"))
    assert (server.data_dir / "blobs" / sha[:2] / sha).exists()
