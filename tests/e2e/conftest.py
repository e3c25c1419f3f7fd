"""Browser-test fixtures: the real server with the demo patch, one Chromium, tablets on demand.

Everything is module-scoped (one server and one browser for the whole story) and stopped at
the end; each tablet's log is checked for tracebacks and crashed sessions on the way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, AppProcess, RestartableServer, Tablet

# A second officer on officer1's patch, so two tablets see the same homes and cases.
SECOND_OFFICER = ("officer3", "pw-officer3-priya", "Priya Shah")


@pytest.fixture(scope="module")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def server(e2e_dir: Path) -> Iterator[RestartableServer]:
    srv = RestartableServer(data_dir=e2e_dir / "server")
    srv.cli("init-db")
    srv.cli("seed-demo")
    name = SECOND_OFFICER[2]
    srv.cli(
        "add-user",
        SECOND_OFFICER[0],
        "--role",
        "officer",
        "--patch",
        "Runcorn East",
        "--name",
        name,
        input=SECOND_OFFICER[1] + "\n",
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
    log = srv.log_tail(400)
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def tablets(
    server: RestartableServer, browser: Browser, e2e_dir: Path
) -> Iterator[Callable[[str], Tablet]]:
    """``tablet(name)``: start (once) an app process with its own data folder, open it."""
    opened: dict[str, Tablet] = {}

    def tablet(name: str) -> Tablet:
        if name not in opened:
            app = AppProcess(name=name, folder=e2e_dir, server_url=server.url).start()
            opened[name] = Tablet(app, browser).open()
        return opened[name]

    try:
        yield tablet
    finally:
        for t in opened.values():
            # The page goes first, as when an officer closes the tab while the app still runs
            # and may be mid-frame: the app must take that quietly (fieldapp/flet_patches.py).
            t.close()
            t.app.stop()
    for t in opened.values():
        assert t.app.problems() == [], f"{t.app.name} logged errors:\n{t.app.log()[-4000:]}"
