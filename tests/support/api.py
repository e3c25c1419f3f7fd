"""A small HTTP client for the sync API (httpx), for tests that talk to a ``LiveServer`` or,
without a socket, to an ``InProcessServer`` (its URL picks its in-process client).

It speaks the wire names of ``docs/sync-protocol.md`` and nothing else: sign in, push
mutations, pull pages. Helpers build mutations with fresh ids.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from fieldapp.ids import new_id
from fieldapp.sync.protocol import SCHEMA_VERSION

# What the test users sign in with: long enough and uncommon enough for the password policy.
PASSWORD = "oak-house-walkabout"

_seq = itertools.count(1)
# The fields a further ASB report must hold besides its case (a blank one is refused).
REPORT: dict[str, Any] = {
    "reported_at": "2026-06-10T08:30:00Z",
    "incident_at": "2026-06-09T21:30:00Z",
    "description": "Music through the wall past midnight",
}


def mutation(
    entity: str,
    id: str,
    patch: dict[str, Any] | None = None,
    *,
    base_version: int | None = None,
    op: str = "upsert",
    mutation_id: str | None = None,
    client_time: str = "2026-06-10T12:00:00Z",
) -> dict[str, Any]:
    """One outbox entry in wire form."""
    m: dict[str, Any] = {
        "mutation_id": mutation_id or new_id(),
        "device_seq": next(_seq),
        "entity": entity,
        "id": id,
        "op": op,
        "base_version": base_version,
        "client_time": client_time,
    }
    if op == "upsert" or patch is not None:
        m["patch"] = patch or {}
    return m


class Api:
    """One signed-in device talking to the server."""

    def __init__(self, base_url: str, *, timeout: float = 60) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        from tests.support.in_process import client_for  # here: in_process imports live_server

        borrowed = client_for(base_url)
        self.http = borrowed or httpx.Client(timeout=timeout)
        self._owns_http = borrowed is None  # an in-process server's client is shared
        self.token: str | None = None
        self.device_id = ""
        self.user: dict[str, Any] = {}

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def login(
        self, username: str, password: str = PASSWORD, *, device_id: str | None = None
    ) -> Api:
        self.device_id = device_id or f"tab-{new_id()}"
        r = self.http.post(
            f"{self.base}/auth/token",
            json={
                "username": username,
                "password": password,
                "device_id": self.device_id,
                "device_name": f"{username}'s tablet",
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        self.token, self.user = body["access_token"], body["user"]
        return self

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(f"{self.base}{path}", json=body, headers=self.headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(f"{self.base}{path}", headers=self.headers, **kw)

    def push_raw(self, mutations: list[dict[str, Any]], **extra: Any) -> httpx.Response:
        body = {"device_id": self.device_id, "schema_version": SCHEMA_VERSION, **extra}
        body["mutations"] = mutations
        return self.post("/sync/push", body)

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.push_raw(list(mutations))
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert isinstance(results, list)
        return results

    def push_one(self, m: dict[str, Any]) -> dict[str, Any]:
        return self.push(m)[0]

    def pull(self, cursor: str | None = None, limit: int | None = None) -> httpx.Response:
        params: dict[str, Any] = {}
        if cursor:
            params["cursor"] = cursor
        if limit:
            params["limit"] = limit
        return self.get("/sync/pull", params=params)

    def pull_all(
        self, cursor: str | None = None, limit: int | None = None
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], list[dict[str, str]], str, int]:
        """Every page: (latest change per record, removes, final cursor, requests made)."""
        records: dict[tuple[str, str], dict[str, Any]] = {}
        removes: list[dict[str, str]] = []
        requests = 0
        while True:
            r = self.pull(cursor, limit)
            requests += 1
            assert r.status_code == 200, r.text
            page = r.json()
            for change in page["changes"]:
                records[(change["entity"], change["id"])] = change
            removes.extend(page["removes"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                assert cursor is not None
                return records, removes, cursor, requests
