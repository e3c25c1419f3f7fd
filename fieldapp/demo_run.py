"""``python -m fieldapp.demo_run``: the demo server with its demo patch, and a tablet in the browser.

It makes ``./data/`` if needed, creates (or upgrades) the server database there and loads the
demo patch (both idempotent), starts ``python -m server serve`` on 127.0.0.1 (port 8700, or a
free one if taken), starts one tablet — the app in web mode, with its own data folder — and
prints where to open it and the demo sign-ins. Ctrl-C stops everything it started.

A second tablet: ``python -m fieldapp.demo_run --device tablet2`` in another terminal. It
finds the server already running on the server port and starts only another app (its own
data folder ``data/devices/tablet2`` and the next free app port).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

DEFAULT_APP_PORT = 8550
DEFAULT_SERVER_PORT = 8700
REPO = Path(__file__).resolve().parents[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _next_device(device: str) -> str:
    """A name for another tablet: ``tablet1`` → ``tablet2``, ``tablet2`` → ``tablet3``."""
    stem = device.rstrip("0123456789")
    number = device[len(stem) :]
    return f"{stem or 'tablet'}{int(number) + 1 if number else 2}"


def _starting(data_dir: Path) -> IO[str]:
    """Hold the data folder's start-up lock (released when the returned file is closed, or
    when this process ends)."""
    lock = (data_dir / ".demo-start.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def free_port_from(port: int, *, tries: int = 50) -> int:
    """``port`` if it is free on 127.0.0.1, else the next free one after it."""
    for candidate in range(port, port + tries):
        if port_free(candidate):
            return candidate
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str, *, timeout: float = 1.0) -> bool:
    """Whether our sync server answers on ``url``."""
    try:
        with urllib.request.urlopen(url + "/api/v1/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(check: object, *, timeout: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if callable(check) and check():
            return True
        time.sleep(0.2)
    return False


def server_folder(data_dir: Path) -> Path:
    """Where the demo server keeps its SQLite file, photos and key: ``data_dir/server``.

    The README's "server alone" command (``DATA_DIR=data/server … serve``) names this same
    folder, and ``demo_run`` prints that command with the folder it used.
    """
    return data_dir / "server"


def server_env(data_dir: Path) -> dict[str, str]:
    """The server's settings: SQLite and photo blobs under ``server_folder(data_dir)``."""
    folder = server_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATA_DIR", str(folder))
    env.setdefault("DATABASE_URL", f"sqlite:///{folder / 'server.db'}")
    env.setdefault("BLOB_DIR", str(folder / "blobs"))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_server_command(env: dict[str, str], *args: str) -> None:
    """``python -m server ARGS``; exits with its message if it fails."""
    result = subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO, env=env)
    if result.returncode != 0:
        raise SystemExit(f"demo: `python -m server {' '.join(args)}` failed")


def demo_users() -> list[tuple[str, str, str, str]]:
    """(username, password, role, name) of the demo sign-ins."""
    from fieldapp.demo import generate_demo

    return [(u.username, u.password, u.role, u.name) for u in generate_demo().users]


def server_alone_command(data_dir: Path, port: int) -> str:
    """The command that runs this demo's server by itself (to stop and start it)."""
    folder = server_folder(data_dir)
    with contextlib.suppress(ValueError):
        folder = folder.relative_to(Path.cwd())
    return f"DATA_DIR={folder} .venv/bin/python -m server serve --port {port}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fieldapp.demo_run", description=__doc__)
    p.add_argument("--data-dir", default="data", help="demo data folder (default ./data)")
    p.add_argument("--app-port", type=int, default=DEFAULT_APP_PORT)
    p.add_argument("--server-port", type=int, default=DEFAULT_SERVER_PORT)
    p.add_argument("--device", default="tablet1", help="tablet name = its own data folder")
    return p


def _stop(*procs: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM every process still running at once, then wait for them under one deadline.

    Both stop in parallel (a tablet and a server each take a moment to shut down on a busy
    machine; one after the other, those moments added up). One still running at the
    deadline is killed.
    """
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Ctrl-C and a plain `kill` both stop everything this started. Set explicitly: Python only
    # turns SIGINT into KeyboardInterrupt when it was not ignored at start, and a shell that
    # runs us in the background (CI, `cmd &`) starts us with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server: subprocess.Popen[bytes] | None = None
    app: subprocess.Popen[bytes] | None = None
    server_url = f"http://127.0.0.1:{args.server_port}"
    try:
        # Two demo runs started at once (a second and a third tablet) must not both take the
        # same free port: the one that lost would stop at once while this one's "started"
        # check saw the other's app on it. Choosing ports and starting waits its turn.
        starting = _starting(data_dir)
        port = args.server_port
        if healthy(server_url):
            print(f"demo: using the server already running at {server_url}")
        else:
            env = server_env(data_dir)
            print("demo: preparing the server database and the demo patch…")
            run_server_command(env, "init-db")
            run_server_command(env, "seed-demo")
            port = free_port_from(args.server_port)
            server_url = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=REPO,
                env=env,
            )
            if not wait_until(lambda: healthy(server_url), timeout=60, proc=server):
                raise SystemExit("demo: the server did not start (see its messages above)")
        device = "".join(c for c in args.device if c.isalnum() or c in "-_") or "tablet1"
        app_port = free_port_from(args.app_port)
        app_url = f"http://127.0.0.1:{app_port}"
        app_env = dict(os.environ)
        app_env["FLET_WEB_NO_CDN"] = "1"
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fieldapp.app",
                "--port",
                str(app_port),
                "--data-dir",
                str(data_dir / "devices" / device),
                "--server-url",
                server_url,
                "--name",
                device,
            ],
            cwd=REPO,
            env=app_env,
        )
        if not wait_until(lambda: not port_free(app_port), timeout=60, proc=app):
            raise SystemExit("demo: the app did not start (see its messages above)")
        starting.close()  # the next demo run may choose its ports now
        print()
        print(f"  Tablet '{device}':  {app_url}   (open it in a browser)")
        print(f"  Sync server:      {server_url}")
        print(f"  Data folder:      {data_dir}")
        print(f"  Server alone:     {server_alone_command(data_dir, port)}")
        print("  Demo sign-ins (username / password, role):")
        for username, password, role, name in demo_users():
            print(f"    {username:<12} {password:<18} {role:<11} {name}")
        print(
            "  Stop with Ctrl-C. Another tablet: .venv/bin/python -m fieldapp.demo_run "
            f"--device {_next_device(device)}"
        )
        print()
        while True:
            if app.poll() is not None:
                raise SystemExit("demo: the app stopped")
            if server is not None and server.poll() is not None:
                # The tablet is a device of its own: it keeps working offline, as in the field,
                # and finds the server again when it is back on the same port.
                print(
                    f"\ndemo: the server stopped (exit code {server.returncode}). The tablet "
                    "keeps working offline; start the server again with\n"
                    f"  {server_alone_command(data_dir, port)}\n"
                    "and it syncs on its own. Ctrl-C here stops the tablet.",
                    flush=True,
                )
                server = None
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\ndemo: stopping…")
        return 0
    finally:
        _stop(app, server)


if __name__ == "__main__":
    sys.exit(main())
