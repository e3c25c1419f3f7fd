"""Drive tablets in a real Chromium: app processes, the server that keeps its port, page helpers.

``AppProcess`` is one tablet: ``python -m fieldapp.app`` on a free loopback port with its own
data folder, its output in a log file that ``problems()`` scans for tracebacks and crashed
sessions (a handler that raises must fail the test, not just print). ``Tablet`` wraps a
Playwright page on it: Flutter draws on a canvas, so it turns on the accessibility tree and
finds controls by label (text fields), Semantics identifier (key buttons) and text.
``RestartableServer`` is the real sync server that comes back on the same port after a stop,
as a real server would, so the tablets find it again without being told.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page
from playwright.sync_api import Error as PlaywrightError

from tests.support.live_server import REPO, LiveServer, free_port, serves_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots refresh the README's pictures only when asked (UPDATE_SCREENSHOTS=1), so a
# test run leaves the work tree clean; otherwise they go beside the failure evidence.
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else REPO / "test-results" / "screenshots"
)
EVIDENCE = REPO / "test-results" / "e2e"  # failure screenshots and logs (git-ignored)
PROBLEM = re.compile(r"Traceback|Unhandled error|session crashed|^ERROR", re.MULTILINE)


class RestartableServer(LiveServer):
    """``LiveServer`` whose ``start()`` after a ``stop()`` reuses the same port."""

    def start(self) -> LiveServer:
        if self.proc is not None and self.proc.poll() is None:
            return self
        self.port = self.port or free_port()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=REPO,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ok, error = self._wait_healthy()
        if not ok:
            self.kill()
            raise RuntimeError(f"server did not start on port {self.port}:\n{error}")
        return self


class AppProcess:
    """One tablet: the Flet app in web mode on 127.0.0.1, with its own data folder."""

    def __init__(self, *, name: str, folder: Path, server_url: str) -> None:
        self.name = name
        self.data_dir = folder / name
        self.log_path = folder / f"{name}.log"
        self.server_url = server_url
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, *, timeout: float = 60.0) -> AppProcess:
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # No map tiles from the internet here: the map shows its markers on a plain ground.
        env = dict(os.environ, FLET_WEB_NO_CDN="1", PYTHONUNBUFFERED="1", FIELDAPP_TILE_URL="")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fieldapp.app",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    "--server-url",
                    self.server_url,
                    "--name",
                    self.name,
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app {self.name} exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as resp:
                    # Not another process that took the port first (see ``serves_port``).
                    if resp.status == 200 and serves_port(self.proc.pid, self.port):
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"app {self.name} did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def problems(self) -> list[str]:
        """Tracebacks and crashed sessions in this tablet's output (empty when healthy)."""
        text = self.log()
        return [text[max(0, m.start() - 200) : m.start() + 1500] for m in PROBLEM.finditer(text)]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read this tablet's SQLite file (read-only, beside the running app)."""
        uri = f"file:{self.data_dir / 'field.db'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return list(conn.execute(sql, params).fetchall())

    def wait_for_rows(
        self, sql: str, *params: Any, expect: list[tuple[Any, ...]], timeout: float = 45.0
    ) -> None:
        """Wait (bounded) until a background sync has brought the expected rows."""
        deadline = time.monotonic() + timeout
        rows: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            rows = self.query(sql, *params)
            if rows == expect:
                return
            time.sleep(0.3)
        outbox = self.query("SELECT entity, op, state, patch, error FROM outbox")
        conflicts = self.query(
            "SELECT entity, field, kept_value, proposed_value, status FROM conflict"
        )
        raise AssertionError(
            f"{self.name}: {sql} gave {rows}, expected {expect}\noutbox: {outbox}\n"
            f"conflicts: {conflicts}\n--- log ---\n{self.log()[-3000:]}"
        )

    def stored_bytes(self) -> bytes:
        """Everything this tablet keeps on disk: the SQLite file, its journal, settings."""
        out = b""
        for path in sorted(self.data_dir.rglob("*")):
            if path.is_file() and not path.name.endswith(".jpg"):
                out += path.read_bytes()
        return out


class Tablet:
    """A Playwright page on one ``AppProcess``."""

    def __init__(self, app: AppProcess, browser: Browser, *, width: int = 1280) -> None:
        self.app = app
        self.context = browser.new_context(
            viewport={"width": width, "height": 860},
            geolocation={"latitude": 53.3318, "longitude": -2.6958},
            permissions=["geolocation"],
        )
        self.page: Page = self.context.new_page()

    def open(self) -> Tablet:
        self.page.goto(self.app.url)
        self.page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        self.page.locator("flt-semantics-placeholder").dispatch_event("click")
        self.page.locator("flt-semantics").first.wait_for(state="attached", timeout=30_000)
        return self

    def close(self) -> None:
        self.context.close()

    # --- finding and acting --------------------------------------------------------------
    def type(self, label: str, text: str) -> None:
        """Type into the field labelled ``label``, replacing what it held.

        Flutter makes the real <input> only once the field has focus, so keys sent too early
        are lost: the value is read back (while focused) and typed again if it differs.
        """
        box = self.page.get_by_role("textbox", name=label, exact=True)
        value = None
        for _attempt in range(3):
            box.click()
            box.press("Control+A")
            if text:
                self.page.keyboard.type(text)
            else:
                box.press("Delete")
            value = box.input_value()
            if value == text:
                return
            time.sleep(0.3)
        raise AssertionError(f"{self.app.name}: {label!r} holds {value!r}, not {text!r}")

    def search(self, text: str) -> None:
        """Search My patch for ``text`` until the list says what it found for all of it.

        The list follows each key, so a row found as the keys land can still move (the rows
        above it narrowing away) and a tap there opens another row. Its "N matches for
        “text”" line shows once the last key's answer is on screen; a search that reached the
        box but not the app (under load) is typed again, from empty, within the deadline.
        """
        label = "Search address, postcode or reference"
        said = re.escape(text.strip())
        line = self.page.get_by_text(re.compile(rf"(match(es)? for|Nothing matches) “{said}”"))
        self.nav("My patch")
        deadline = time.monotonic() + 90
        while True:
            self.type(label, "")
            self.type(label, text)
            try:
                line.first.wait_for(timeout=20_000)
                return
            except PlaywrightError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.app.name}: the search for {text!r} never answered\n"
                        f"{self.evidence()}"
                    ) from None

    def ident(self, ident: str) -> Locator:
        """The control with the semantics identifier ``ident``."""
        return self.page.locator(f"flt-semantics[flt-semantics-identifier='{ident}']")

    def tap(self, ident: str) -> None:
        self.ident(ident).click()

    def open_item(self, item: Locator, expect: str, *, attempts: int = 3) -> None:
        """Click a list row until the screen it leads to shows ``expect``.

        A list can be redrawn between finding a row and clicking it (a sync finishing, a
        search keystroke landing); Flutter then drops the tap on the old row. The row is
        clicked again only while it is still there and the screen has not shown (a slow
        screen is waited for, never clicked past), and only a screen that never appears fails.
        """
        self.press_until(item, expect, attempts=attempts)

    def press_until(self, target: Locator, expect: str, *, attempts: int = 3) -> None:
        """Press ``target`` until ``expect`` shows; a tap Flutter dropped is made again.

        A button found just as its list is redrawn (a search keystroke landing) loses the tap.
        It is pressed again only while it is still there and nothing has shown, so a slow
        answer to the first press is never doubled.
        """
        # The target is waited for first (``_press_again``): the screen being left may still
        # show ``expect`` (a detail screen the rail is taking away), not the press's answer.
        shown = self.page.get_by_text(expect, exact=False).first
        if not self._press_again(target, lambda s: shown.wait_for(timeout=s * 1000), attempts):
            self.see(expect)

    def tap_text(self, text: str) -> None:
        self.see(text)
        self.page.get_by_text(text, exact=False).first.click()

    def press_until_status(self, target: Locator, pattern: str, *, attempts: int = 3) -> str:
        """Press ``target`` (a save) until the status line matches ``pattern``; returns it.

        Under load Flutter can drop the tap on a form's save while the form redraws (a menu
        just closed): nothing is saved and the status never changes. The button is pressed
        again only while it is still there and the status has not moved; a save that did
        land and is pressed again writes nothing new (only changed fields are written).
        """
        self._press_again(target, lambda s: self.wait_status(pattern, timeout=s), attempts)
        return self.wait_status(pattern)

    def _press_again(
        self, target: Locator, answered: Callable[[float], object], attempts: int
    ) -> bool:
        """Press ``target`` once it shows, and again (``attempts`` presses in all) only while
        it is still there and ``answered(seconds)`` has raised (no answer within 10 s);
        whether an answer came."""
        self.wait_shown(target)
        for _attempt in range(attempts):
            if target.count():
                with contextlib.suppress(PlaywrightError):
                    target.first.click(timeout=5_000)
            try:
                answered(10.0)
                return True
            except (PlaywrightError, AssertionError):
                continue
        return False

    def wait_shown(self, target: Locator) -> None:
        """Wait for ``target`` to be on the screen before pressing it (30 s)."""
        try:
            target.first.wait_for(timeout=30_000)
        except PlaywrightError:
            raise AssertionError(
                f"{self.app.name}: never showed {target}\n{self.evidence()}"
            ) from None

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the dropdown labelled ``label`` (a button with aria-expanded)."""
        pattern = re.compile(rf"^\s*{re.escape(label)}")
        box = self.page.locator("flt-semantics[aria-expanded]").filter(has_text=pattern).first
        item = self.page.get_by_role("button", name=option, exact=True).last
        # A tap that lands while the form is redrawn (the previous choice still settling, the
        # screen still being built after a tab change, a sync redrawing the form) is dropped by
        # Flutter, and a redraw can close an open menu under the option's tap: open the menu
        # again, while it is closed, until the option shows and takes the tap; only a menu
        # that never offers it within the deadline fails.
        deadline = time.monotonic() + 90
        while True:
            if box.get_attribute("aria-expanded") != "true":
                with contextlib.suppress(PlaywrightError):
                    box.click(timeout=10_000)
            try:
                item.wait_for(timeout=8_000)
                item.click(timeout=8_000)
                return
            except PlaywrightError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.app.name}: {label!r} never offered {option!r}\n{self.evidence()}"
                    ) from None

    def nav(self, label: str) -> None:
        # Rail destinations are buttons named "<label> Tab N of M".
        self.page.get_by_role(
            "button", name=re.compile(rf"^{re.escape(label)}\b.*Tab \d")
        ).first.click()

    def see(self, text: str, *, timeout: float = 20.0) -> None:
        try:
            self.page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)
        except PlaywrightError:
            raise AssertionError(
                f"{self.app.name}: never showed {text!r}\n{self.evidence()}"
            ) from None

    def evidence(self) -> str:
        """A screenshot beside the tablet's log and the page's text, for a failure message."""
        EVIDENCE.mkdir(parents=True, exist_ok=True)
        shot = EVIDENCE / f"{self.app.name}-{time.monotonic_ns()}.png"
        (EVIDENCE / f"{self.app.name}.log").write_text(self.app.log())
        try:
            self.page.screenshot(path=str(shot))
            body = self.text()
        except PlaywrightError as exc:
            body = f"(page unreadable: {exc})"
        return f"screenshot: {shot}\n--- page text ---\n{body[:3000]}\n--- log ---\n{self.app.log()[-2000:]}"

    def wait_status(self, pattern: str, *, timeout: float = 30.0) -> str:
        """Wait until the always-visible status line matches ``pattern``; returns it."""
        status = self.page.locator("flt-semantics[flt-semantics-identifier='sync-status']")
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = status.inner_text(timeout=5_000) if status.count() else ""
            if re.search(pattern, text):
                return text
            time.sleep(0.25)
        raise AssertionError(
            f"{self.app.name}: status {text!r} never matched {pattern!r}\n{self.evidence()}"
        )

    def text(self) -> str:
        return self.page.inner_text("body")

    def sign_in(self, username: str, password: str) -> None:
        self.type("Username", username)
        self.type("Password", password)
        self.tap("sign-in")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        time.sleep(1.0)  # the accessibility tree is ahead of the canvas: let it paint
        self.page.screenshot(path=str(path))
        return path
