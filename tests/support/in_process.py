"""The sync server in this process, for HTTP tests that need no real socket.

``InProcessServer(data_dir=…, database_url=None, clock=None)`` upgrades the database and runs
``create_app(settings, clock=…)`` behind an ``httpx.Client`` whose transport hands each request
to ``httpx.ASGITransport`` on an event loop thread of its own (``AppTransport``), with the
app's lifespan run around it: no subprocess, no port, no interpreter start-up.
It has the face of ``LiveServer`` (``url``, ``api``, ``request``, ``login``, ``add_user``,
``import_properties``, ``cli``), so ``Api(server.url)`` and the ``Cast`` of the server tests
work on either. ``Clock`` is the server's "now": the wall clock plus what the test moved it
by (or frozen, from a given start), so token lifetimes are tested without sleeping.

Keep ``LiveServer`` for what needs the real thing: end-to-end and device sync tests (their
``requests`` sessions speak HTTP), crashes (SIGKILL), several processes, uvicorn's own
handling of malformed HTTP.
"""

from __future__ import annotations

import itertools
import json
import secrets
import subprocess
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from tests.support.live_server import LiveServer

_numbers = itertools.count(1)
_clients: dict[str, httpx.Client] = {}  # base URL → the in-process client serving it


def client_for(base_url: str) -> httpx.Client | None:
    """The in-process client behind ``base_url``, if that is an ``InProcessServer``'s."""
    return _clients.get(base_url.rstrip("/").removesuffix("/api/v1"))


class Clock:
    """A clock the test moves: ``clock()`` is now, ``clock.advance(seconds)`` moves it on.

    Without ``start`` it runs with the wall clock (offset by what was advanced), so records
    written one after another still get increasing times; with ``start`` it is frozen there.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        base = self.start if self.start is not None else datetime.now(UTC)
        return base + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class AppTransport(httpx.BaseTransport):
    """Synchronous requests to an ASGI app: each is run by ``httpx.ASGITransport`` on the
    portal's event loop (any thread may send; the app sees them as concurrent requests)."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        # An error in the app becomes its 500 answer, as under uvicorn, not an exception here.
        self.inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        async def send() -> tuple[int, httpx.Headers, bytes]:
            answer = await self.inner.handle_async_request(copy)
            raw = b"".join([chunk async for chunk in answer.aiter_raw()])
            return answer.status_code, answer.headers, raw

        status, headers, raw = self.portal.call(send)
        # Left encoded (gzip): the client decodes it as it would a network answer.
        return httpx.Response(status, headers=headers, content=raw, request=request)


class InProcessServer(LiveServer):
    """``create_app`` in this process behind an ``httpx.Client`` (a context manager)."""

    def __init__(
        self,
        *,
        data_dir: Path,
        database_url: str | None = None,
        clock: Clock | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data_dir=data_dir, database_url=database_url)
        self.clock = clock or Clock()
        self.overrides = dict(settings or {})  # Settings fields, e.g. token_lifetime_seconds
        self.host = f"http://in-process-{next(_numbers)}"
        self.client: httpx.Client | None = None
        self.app: Any = None
        self._stack = ExitStack()

    @property
    def url(self) -> str:
        return self.host

    def start(self) -> InProcessServer:
        if self.client is not None:
            return self
        from server import create_app
        from server.db import make_engine, upgrade
        from server.settings import Settings

        settings = Settings(
            database_url=self.database_url,
            data_dir=self.data_dir,
            blob_dir=self.data_dir / "blobs",
            secret_key=secrets.token_urlsafe(32),
            **self.overrides,
        )
        settings.ensure_dirs()
        engine = make_engine(self.database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        self.app = create_app(settings, clock=self.clock)
        portal = self._stack.enter_context(start_blocking_portal())
        # The app's start-up now, its shut-down on stop(), as uvicorn runs them.
        self._stack.enter_context(
            portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app))
        )
        self.client = self._stack.enter_context(
            httpx.Client(transport=AppTransport(self.app, portal), base_url=self.host, timeout=60)
        )
        _clients[self.host] = self.client
        return self

    def _terminate(self, sig: Any) -> None:
        _clients.pop(self.host, None)
        self.client = None
        self._stack.close()

    @property
    def running(self) -> bool:
        return self.client is not None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        assert self.client is not None, "start() the server first"
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            sent.setdefault("Content-Type", "application/json")
        r = self.client.request(method, self.api + path, content=content, headers=sent)
        return r.status_code, (r.json() if r.content else None)

    def cli(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``import-properties`` runs here, through the service the command calls; any other
        command runs ``python -m server`` on this database, as ``LiveServer.cli`` does."""
        if args[:1] != ("import-properties",) or len(args) != 2:
            return super().cli(*args, input=input, check=check, timeout=timeout)
        from server.db import writing
        from server.services.properties import ImportProblem, import_csv

        assert self.client is not None, "start() the server first"
        engine = self.app.state.engine
        try:
            with writing(engine) as conn:
                report = import_csv(conn, Path(args[1]), now=self.clock())
        except ImportProblem as exc:
            result = subprocess.CompletedProcess(list(args), 1, "", "\n".join(exc.problems) + "\n")
        else:
            result = subprocess.CompletedProcess(list(args), 0, report.summary() + "\n", "")
        if check and result.returncode != 0:
            raise RuntimeError(f"server {' '.join(args)} failed:\n{result.stderr}")
        return result
