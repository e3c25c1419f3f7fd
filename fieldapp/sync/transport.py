"""HTTP for the sync engine: one swappable ``Transport`` and its ``requests`` implementation.

The engine only sees ``Transport.request``, so tests give it the real server over loopback,
or the real transport wrapped by a fault injector. ``HttpTransport`` gzips JSON request bodies
(``Content-Encoding: gzip``; the server inflates them), asks for gzip answers, and turns
connection failures and timeouts into ``NetworkError``. ``check_response`` maps error answers
onto the exceptions of ``fieldapp.sync.errors``. ``request_patiently`` sends a request again
when the server answers ``503 busy`` or ``429`` with ``Retry-After``, after waiting that long:
busy is not a failure of the round.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from fieldapp.sync.errors import (
    AuthError,
    DeviceRevoked,
    NetworkError,
    ResyncRequired,
    ServerError,
    TokenExpired,
)


@dataclass
class TransportResponse:
    """An HTTP answer: status, headers and the (already decompressed) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Transport(Protocol):
    """What the engine needs from HTTP; raises ``NetworkError`` when no answer arrives."""

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
    ) -> TransportResponse: ...


class HttpTransport:
    """``Transport`` over a ``requests.Session`` built (and closed) by the caller."""

    def __init__(
        self, *, base_url: str, session: requests.Session, token: Callable[[], str | None]
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.token = token

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
        sent: dict[str, str] = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        # A caller on another thread may pass its own Authorization (read from the store on
        # its thread), so sending never waits on the store's lock.
        given = {k.lower() for k in headers or {}}
        token = None if "authorization" in given else self.token()
        if token:
            sent["Authorization"] = f"Bearer {token}"
        body = data
        if json_body is not None:
            raw = json.dumps(json_body, separators=(",", ":")).encode()
            body = gzip.compress(raw, compresslevel=6)
            sent["Content-Type"] = "application/json"
            sent["Content-Encoding"] = "gzip"
        sent.update(headers or {})
        try:
            answer = self.session.request(
                method,
                self.base_url + path,
                params=dict(params) if params else None,
                data=body,
                headers=sent,
                timeout=timeout,
            )
            content = answer.content  # read fully here: a cut body is a network failure
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise NetworkError(f"{method} {path}: {exc.__class__.__name__}") from exc
        return TransportResponse(answer.status_code, dict(answer.headers), content)


BUSY_ATTEMPTS = 6  # sends of one request while the server says it is busy
BUSY_WAIT_CAP = 30.0  # never wait longer than this for one Retry-After


def retry_after(response: TransportResponse) -> float | None:
    """The seconds a ``Retry-After`` header asks for (a number; dates are not sent to us)."""
    raw = {k.lower(): v for k, v in response.headers.items()}.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def request_patiently(
    transport: Transport,
    method: str,
    path: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    **kwargs: Any,
) -> TransportResponse:
    """``transport.request``, sent again while the answer is 503/429 with ``Retry-After``.

    Safe for every sync request: a push is idempotent (the server replays stored results)
    and a 503 means nothing was committed. Each wait is the server's ``Retry-After`` plus up
    to half as much again at random, so a crowd of tablets told the same number does not come
    back at one instant. After ``BUSY_ATTEMPTS`` sends the busy answer is returned as is (the
    caller's round ends and the engine's loop backs off).
    """
    response = transport.request(method, path, **kwargs)
    for _attempt in range(1, BUSY_ATTEMPTS):
        wait = retry_after(response) if response.status in (429, 503) else None
        if wait is None:
            break
        sleep(min(BUSY_WAIT_CAP, wait * (1.0 + rng() / 2)))
        response = transport.request(method, path, **kwargs)
    return response


def error_of(response: TransportResponse) -> tuple[str, str]:
    """The ``(code, message)`` of an error answer (tolerant of a body that is not ours)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or "unknown"), str(error.get("message") or "")
    return ("internal_error" if response.status >= 500 else "unknown"), ""


def check_response(response: TransportResponse) -> TransportResponse:
    """Return a 2xx answer; raise the matching ``SyncError`` for any other."""
    if 200 <= response.status < 300:
        return response
    code, message = error_of(response)
    if response.status == 401:
        if code == "device_revoked":
            raise DeviceRevoked(code, message)
        if code == "token_expired":
            raise TokenExpired(code, message)
        raise AuthError(code, message)
    if response.status == 410 or code == "resync_required":
        raise ResyncRequired(message or code)
    raise ServerError(response.status, code, message, retry_after=retry_after(response))
