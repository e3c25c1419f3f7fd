"""The README's main command, ``python -m fieldapp.demo_run``, as a new officer would run it:
it prepares the demo server, starts it and a tablet, prints where they are and the demo
sign-ins, lets a second tablet join the running server, and Ctrl-C stops all it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fieldapp.demo_run import server_folder
from tests.support.api import Api
from tests.support.live_server import REPO, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    # Started with SIGINT ignored, as a shell starts a background job (and as CI may start
    # this whole run): Ctrl-C must stop the demo however it was launched.
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "fieldapp.demo_run", *args],
            cwd=REPO,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_ignore_sigint,
        )


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"never printed {pattern!r}:\n{log.read_text(errors='replace')}")


def _child_serving(parent: int, module: str) -> int:
    """The pid of ``parent``'s child running ``python -m <module>``."""
    for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if module.encode() in argv and b"-m" in argv:
            return int(pid)
    raise AssertionError(f"no child of {parent} runs -m {module}")


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _interrupt(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise


def test_demo_run_starts_server_and_tablets_and_stops_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app_port, server_port = free_port(), free_port()
    first = _start(
        ["--data-dir", str(data), "--app-port", str(app_port), "--server-port", str(server_port)],
        tmp_path / "first.log",
    )
    second: subprocess.Popen[bytes] | None = None
    third: subprocess.Popen[bytes] | None = None
    try:
        text = _wait_for(tmp_path / "first.log", r"Stop with Ctrl-C", first)
        app_url = re.search(r"Tablet 'tablet1':\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        server_url = re.search(r"Sync server:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        assert server_url == f"http://127.0.0.1:{server_port}"
        assert _ok(app_url) and _ok(server_url + "/api/v1/health")
        assert re.search(r"officer1\s+demo-officer1-halton\s+officer", text)
        assert re.search(r"pcso\s+demo-pcso-halton\s+pcso", text)
        assert (data / "server" / "server.db").exists()
        alone = re.search(r"Server alone:\s+DATA_DIR=(\S+) \S+ -m server serve", text)
        assert alone, text
        server_dir = Path(alone.group(1))

        # A second and a third tablet started at the same moment (found on a walk: both took
        # the same port, and the one that lost stopped while the other printed its address).
        args = ["--data-dir", str(data), "--app-port", str(app_port)]
        args += ["--server-port", str(server_port)]
        second = _start([*args, "--device", "tablet2"], tmp_path / "second.log")
        third = _start([*args, "--device", "tablet3"], tmp_path / "third.log")
        text2 = _wait_for(tmp_path / "second.log", r"Stop with Ctrl-C", second)
        text3 = _wait_for(tmp_path / "third.log", r"Stop with Ctrl-C", third)
        assert "using the server already running" in text2
        assert "Another tablet: .venv/bin/python -m fieldapp.demo_run --device tablet3" in text2
        app2 = re.search(r"Tablet 'tablet2':\s+(\S+)", text2).group(1)  # type: ignore[union-attr]
        app3 = re.search(r"Tablet 'tablet3':\s+(\S+)", text3).group(1)  # type: ignore[union-attr]
        assert len({app_url, app2, app3}) == 3 and _ok(app2) and _ok(app3)
        assert second.poll() is None and third.poll() is None  # both apps still serving
        assert _interrupt(third) == 0
        assert _ok(app2)  # the third tablet stopped its own app only
        assert _interrupt(second) == 0
        assert _ok(server_url + "/api/v1/health")  # the other tablets leave the server alone

        # Found on a walk: killing the demo's server (to work offline) stopped the demo and
        # took the tablet down with it. The tablet is a device of its own and stays up.
        os.kill(_child_serving(first.pid, "server"), signal.SIGKILL)
        stopped = _wait_for(tmp_path / "first.log", r"syncs on its own", first)
        assert "The tablet keeps working offline" in stopped
        assert f"--port {server_port}" in stopped.split("start the server again with")[-1]
        assert first.poll() is None and _ok(app_url) and not _ok(server_url + "/api/v1/health")
    finally:
        for extra in (second, third):
            if extra is not None and extra.poll() is None:
                extra.kill()
                extra.wait(timeout=10)
        code = _interrupt(first) if first.poll() is None else first.returncode
    assert code == 0
    assert not _ok(app_url) and not _ok(server_url + "/api/v1/health")
    assert "Traceback" not in (tmp_path / "first.log").read_text(errors="replace")
    _server_alone_signs_in_the_demo_users(server_dir)


def _server_alone_signs_in_the_demo_users(server_dir: Path) -> None:
    """The printed "server alone" command opens the database the demo seeded."""
    port = free_port()
    with open(server_dir.parent / "alone.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port)],
            cwd=REPO,
            env=dict(os.environ, DATA_DIR=str(server_dir)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _ok(url + "/api/v1/health"):
            assert proc.poll() is None and time.monotonic() < deadline, "server alone failed"
            time.sleep(0.2)
        with Api(url) as api:
            api.login("officer1", "demo-officer1-halton")  # raises unless the seeded user is there
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_readme_runs_the_server_alone_on_the_demo_data() -> None:
    readme = (REPO / "README.md").read_text()
    command = re.search(r"`DATA_DIR=(\S+)\s+\.venv/bin/python -m server\s+serve", readme)
    assert command, "the README shows how to run the demo server alone"
    assert (REPO / command.group(1)).resolve() == server_folder((REPO / "data").resolve())
