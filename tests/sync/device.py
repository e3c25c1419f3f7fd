"""A test device: a real store in a temp folder, a real HTTP transport to the live server,
and the engine; plus ``FaultyTransport``, which injects faults around the real transport.

``FaultyTransport`` is a fault, not a fake of the server: every request it lets through goes
to the real server, and a fault either stops a request before it is sent (``drop_before``) or
throws the answer away after the server has committed it (``drop_after``), or runs a hook
(kill the server) at that point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.errors import NetworkError
from fieldapp.sync.state import SyncState
from fieldapp.sync.transport import HttpTransport, TransportResponse
from tests.support.api import PASSWORD

Hook = Callable[[str, str, int], str | None]  # (method, path, nth call) -> "before"/"after"/None


@dataclass
class FaultyTransport:
    """Wraps a real transport; ``hook`` decides, per request, to cut it before or after."""

    inner: HttpTransport
    hook: Hook | None = None
    on_fault: Callable[[], None] | None = None  # e.g. kill the server as the fault happens
    calls: list[tuple[str, str]] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> TransportResponse:
        self.calls.append((method, path))
        fault = self.hook(method, path, len(self.calls)) if self.hook else None
        if fault == "before":
            if self.on_fault is not None:
                self.on_fault()
            raise NetworkError(f"injected: {method} {path} never sent")
        response = self.inner.request(
            method,
            path,
            json_body=json_body,
            params=params,
            data=data,
            headers=headers,
            timeout=timeout,
        )
        if fault == "after":
            if self.on_fault is not None:
                self.on_fault()
            raise NetworkError(f"injected: answer to {method} {path} lost")
        return response


class Device:
    """One tablet: store, session, transport (optionally faulty), engine."""

    def __init__(self, *, url: str, data_dir: Path, page_size: int | None = None) -> None:
        self.store = Store.open(data_dir)
        self.session = requests.Session()
        self.http = HttpTransport(
            base_url=url, session=self.session, token=lambda: self.store.get_meta("token")
        )
        self.transport = FaultyTransport(self.http)
        self.states: list[SyncState] = []
        kwargs: dict[str, Any] = {} if page_size is None else {"page_size": page_size}
        self.engine = SyncEngine(
            store=self.store,
            transport=self.transport,
            on_state=self.states.append,
            blob_uploader=lambda **_: 0,
            **kwargs,
        )

    def sign_in(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        return self.engine.sign_in(username=username, password=password, device_name="tab")

    def sync(self) -> SyncState:
        return self.engine.sync_once()

    def point_at(self, url: str) -> None:
        """After a server restart on a new port."""
        self.http.base_url = url

    def close(self) -> None:
        self.session.close()
        self.store.close()
