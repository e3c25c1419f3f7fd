"""The real sync server in a subprocess on a free loopback port, for tests of any layer.

``LiveServer(data_dir=…, database_url=None)`` runs ``python -m server serve`` bound to
127.0.0.1 (SQLite in ``data_dir`` unless a database URL is given), waits for
``/api/v1/health``, and stops everything it started. ``stop()`` is a graceful stop,
``kill()`` a SIGKILL, ``start()`` runs it again on the same database. ``cli(…)`` runs any
``python -m server`` command against the same database; ``add_user`` and
``import_properties`` wrap the common ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from server.services.properties import COLUMNS
from tests.support.api import PASSWORD

REPO = Path(__file__).resolve().parents[2]
# The property CSV's columns, in the order ``import-properties`` reads them.
PROPERTY_COLUMNS = COLUMNS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serves_port(pid: int, port: int) -> bool:
    """Whether process ``pid``, or one of the process group it leads (a server's workers),
    holds the socket listening on ``port`` (read from ``/proc``; True where there is none)."""
    listening: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cells = row.split()
            local, state, inode = cells[1], cells[3], cells[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                listening.add(f"socket:[{inode}]")
    if not Path("/proc/self/fd").is_dir():
        return True
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(entry.name) != pid and os.getpgid(int(entry.name)) != pid:
                continue
            if any(os.readlink(fd) in listening for fd in (entry / "fd").iterdir()):
                return True
        except OSError:  # the process ended while we looked, or is not ours to read
            continue
    return False


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


class LiveServer:
    """A running ``python -m server serve`` (a context manager)."""

    def __init__(
        self,
        *,
        data_dir: Path,
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
        workers: int = 1,
        start_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'server.db'}"
        self.extra_env = dict(env or {})
        self.workers = workers  # several processes: PostgreSQL only
        self.start_timeout = start_timeout
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    # --- the process -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (API paths start with /api/v1)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "BLOB_DIR": str(self.data_dir / "blobs"),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> LiveServer:
        """Start (or restart) on a fresh free port; returns once /health answers."""
        if self.proc is not None and self.proc.poll() is None:
            return self
        last_error = ""
        for _attempt in range(3):  # the free port may be taken between our probe and bind
            self.port = free_port()
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
                        "--workers",
                        str(self.workers),
                    ],
                    cwd=REPO,
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: workers go with it
                )
            ok, last_error = self._wait_healthy()
            if ok:
                return self
            self._terminate(signal.SIGKILL)
            if "address already in use" not in last_error.lower():
                break
        raise RuntimeError(f"server did not start:\n{last_error}")

    def _wait_healthy(self) -> tuple[bool, str]:
        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, self.log_tail()
            try:
                with urllib.request.urlopen(self.api + "/health", timeout=2) as resp:
                    # Another test's server may have taken the port between our probe and our
                    # bind, and answer this: then ours exits "address already in use" and is
                    # started again on another port (seen under load in CI).
                    if resp.status == 200 and serves_port(self.proc.pid, self.port):
                        return True, ""
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False, "timed out waiting for /health\n" + self.log_tail()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _terminate(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        group = self.proc.pid  # the group this server leads (start_new_session)
        if self.proc.poll() is None:
            if sig == signal.SIGKILL:
                _signal_group(group, signal.SIGKILL)
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.proc.wait(timeout=15)
        _signal_group(group, signal.SIGKILL)  # any worker left behind by its supervisor
        self.proc = None

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as an operator would."""
        self._terminate(signal.SIGTERM)

    def kill(self) -> None:
        """Hard stop (SIGKILL): in-flight requests die mid-way."""
        self._terminate(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the command line ----------------------------------------------------------------
    def cli(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m server ARGS`` on this server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "server", *args],
            cwd=REPO,
            env=self.env(),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"server {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def add_user(
        self,
        username: str,
        *,
        role: str,
        patches: Iterable[str] = (),
        password: str = PASSWORD,
        name: str | None = None,
        via_cli: bool = False,
    ) -> str:
        """Create (or update) a user; returns their id.

        By default this writes through the server's own user service in this process (the
        same code ``add-user`` runs, without a second or two of interpreter start-up per
        user); ``via_cli=True`` runs the real ``add-user`` command.
        """
        if not via_cli:
            return self._add_user_here(username, role, list(patches), password, name)
        args = ["add-user", username, "--role", role]
        for patch in patches:
            args += ["--patch", patch]
        if name is not None:
            args += ["--name", name]
        out = self.cli(*args, input=password + "\n").stdout
        for word in out.split():
            if word.startswith("id="):
                return word[3:]
        raise RuntimeError(f"add-user printed no id: {out!r}")

    def _add_user_here(
        self, username: str, role: str, patches: list[str], password: str, name: str | None
    ) -> str:
        from server.db import make_engine, upgrade, utcnow, writing
        from server.services.users import add_user

        engine = make_engine(self.database_url)
        try:
            upgrade(engine)  # idempotent; lets a user be added before the first start
            with writing(engine) as conn:
                user_id, _created, _patches = add_user(
                    conn,
                    username=username,
                    password=password,
                    role=role,
                    name=name,
                    patch_names=patches,
                    now=utcnow(),
                )
        finally:
            engine.dispose()
        return user_id

    def import_properties(
        self, rows: Path | str | Iterable[Mapping[str, Any]], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Import a CSV file, CSV text, or rows (dicts keyed by ``PROPERTY_COLUMNS``)."""
        if isinstance(rows, Path):
            path = rows
        else:
            if isinstance(rows, str):
                text = rows
            else:
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=PROPERTY_COLUMNS, lineterminator="\n")
                writer.writeheader()
                for row in rows:
                    writer.writerow(
                        {k: "" if row.get(k) is None else row[k] for k in PROPERTY_COLUMNS}
                    )
                text = buf.getvalue()
            path = self.data_dir / f"import-{time.monotonic_ns()}.csv"
            path.write_text(text)
        return self.cli("import-properties", str(path), check=check)

    # --- HTTP helpers (stdlib, JSON) --------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One JSON request to ``/api/v1`` + path: (status, parsed body or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        return status, (json.loads(raw) if raw else None)

    def login(
        self, username: str, password: str = PASSWORD, *, device_id: str | None = None
    ) -> dict[str, Any]:
        """Sign in; returns the token response (``access_token``, ``user`` …)."""
        status, body = self.request(
            "POST",
            "/auth/token",
            {
                "username": username,
                "password": password,
                "device_id": device_id or f"dev-{username}-{time.monotonic_ns()}",
                "device_name": "test tablet",
            },
        )
        if status != 200:
            raise RuntimeError(f"login {username} failed: {status} {body}")
        assert isinstance(body, dict)
        return body
