"""Connections that send no request are closed: a deadline for a request's headers.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) but waits for ever on
one that has sent part of its headers: 250 such sockets ("slowloris") stayed open for as
long as their sender liked. ``http_protocol()`` is uvicorn's own HTTP protocol with one
addition: a request's headers must be complete within ``header_timeout`` seconds of the
connection opening, or of the first byte of a later request on it, or the connection is
closed. A request being answered (its headers complete) is never cut, and an idle keep-alive
connection is left to uvicorn's ``timeout_keep_alive``. Bodies sent slowly and
header sizes are left to the reverse proxy in front (docs/server.md); this is the floor the
server keeps on its own.

Past ``limit_concurrency`` (``MAX_CONNECTIONS``) uvicorn answers a plain-text 503 of its own;
``_too_many`` puts it in the API's error shape, ``503 busy`` with ``Retry-After`` and the
security headers, as every other busy answer, so a tablet waits and sends again.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import uvicorn.protocols.http.h11_impl as _h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.errors import error_response

DEFAULT_HEADER_TIMEOUT = 10.0


async def _too_many(scope: Any, receive: Any, send: Any) -> None:
    """uvicorn's answer past its connection limit, as the API's ``503 busy``."""
    response = error_response(
        503, "busy", "the server has too many connections open; send again after Retry-After"
    )
    response.headers["connection"] = "close"
    await response(scope, receive, send)


_h11.service_unavailable = _too_many  # type: ignore[attr-defined]  # called at the limit


def _waiting(proto: Any) -> bool:
    """No request is being answered: the connection is between requests, or inside headers."""
    cycle = proto.cycle
    return cycle is None or bool(cycle.response_complete)


def _arm(proto: Any) -> None:
    """Start the deadline for a request's headers (unless it runs already)."""
    if getattr(proto, "header_timer", None) is None and not proto.transport.is_closing():
        proto.header_timer = proto.loop.call_later(proto.header_timeout, _expired, proto)


def _received(proto: Any) -> None:
    """After bytes were parsed: part of a request's headers starts (or keeps) the deadline;
    complete headers end it."""
    if _waiting(proto):
        _arm(proto)
    else:
        _disarm(proto)


def _disarm(proto: Any) -> None:
    timer = getattr(proto, "header_timer", None)
    if timer is not None:
        timer.cancel()
        proto.header_timer = None


def _expired(proto: Any) -> None:
    proto.header_timer = None
    if _waiting(proto) and not proto.transport.is_closing():
        proto.transport.close()  # headers begun (or a connection opened) and never finished


class _HeaderDeadline(asyncio.Protocol):
    """A deadline for request headers, mixed in before one of uvicorn's HTTP protocols."""

    header_timeout: ClassVar[float] = DEFAULT_HEADER_TIMEOUT
    header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        _arm(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        _received(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        _disarm(self)  # idle now: uvicorn's keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        _disarm(self)
        super().connection_lost(exc)


class H11HeaderDeadline(_HeaderDeadline, H11Protocol):  # type: ignore[misc]
    """uvicorn's h11 protocol with a deadline for request headers."""


try:
    import uvicorn.protocols.http.httptools_impl as _httptools
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional for uvicorn: h11 then serves
    HttpToolsHeaderDeadline: type[asyncio.Protocol] | None = None
else:
    _httptools.service_unavailable = _too_many  # type: ignore[attr-defined]

    class _HttpToolsHeaderDeadline(_HeaderDeadline, HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's httptools protocol (its fastest) with a deadline for request headers."""

    HttpToolsHeaderDeadline = _HttpToolsHeaderDeadline


def http_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """The HTTP protocol class for uvicorn (its ``http`` setting), with this deadline."""
    chosen: Any = HttpToolsHeaderDeadline or H11HeaderDeadline
    chosen.header_timeout = header_timeout
    return chosen  # type: ignore[no-any-return]


def protocol_path() -> str:
    """``http_protocol`` as an import string, for uvicorn's worker processes."""
    name = "HttpToolsHeaderDeadline" if HttpToolsHeaderDeadline else "H11HeaderDeadline"
    return f"{__name__}:{name}"
