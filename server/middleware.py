"""Request bodies: a size limit, and gzip request bodies (``Content-Encoding: gzip``) decoded.

Every response leaves through here stamped with a ``Server-Time`` header (docs/sync-protocol.md:
every response carries ``server_time``), binary bodies and ``HEAD`` answers included, and with
``X-Content-Type-Options: nosniff`` and ``Cache-Control: no-store`` (answers carry residents'
personal data; a route may set its own ``Cache-Control``).

Decoding is bounded: a body that would inflate past the limit (a gzip bomb) stops at the
limit and gets ``413 payload_too_large``; nothing past the limit is ever held in memory.
Responses are compressed by Starlette's ``GZipMiddleware`` (see ``create_app``).
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import Response

from server.errors import SECURITY_HEADERS, error_response, server_time

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CHUNK = 64 * 1024
_DRAIN_CAP = 256 * 1024 * 1024  # beyond this the connection is simply closed
_SECURITY = [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in SECURITY_HEADERS.items()]


class _BodyTooLarge(Exception):
    pass


def _stamping(send: Send) -> Send:
    """``send`` adding ``Server-Time`` and the security headers, unless the response set them."""

    async def stamped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            names = {name.lower() for name, _ in headers}
            if b"server-time" not in names:
                headers.append((b"server-time", server_time().encode("ascii")))
            for name, value in _SECURITY:  # unless the route chose its own (Cache-Control)
                if name not in names:
                    headers.append((name, value))
            message = {**message, "headers": headers}
        await send(message)

    return stamped


class RequestBodyMiddleware:
    """Enforce ``max_body`` (``max_blob_body`` under ``blob_prefix``), inflate gzip bodies and
    stamp ``Server-Time`` on every response.
    """

    def __init__(
        self, app: ASGIApp, *, max_body: int, max_blob_body: int, blob_prefix: str
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_blob_body = max_blob_body
        self.blob_prefix = blob_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _stamping(send)
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.max_blob_body if path.startswith(self.blob_prefix) else self.max_body
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
        raw_length = headers.get(b"content-length")
        if raw_length is not None:
            try:
                length = int(raw_length)
            except ValueError:
                refusal = error_response(400, "bad_request", "bad Content-Length")
                await _respond(scope, receive, send, refusal)
                return
            if length > limit:
                # A body a little over the limit is read and dropped, so its sender (still
                # sending) gets this answer rather than a reset. One declared far past it is
                # answered at once and the connection closed: waiting for 93 GiB that never
                # come would hold the connection for as long as the sender liked.
                honest = length <= 2 * limit
                await _too_large(scope, receive, send, limit, drain=honest, close=not honest)
                return
        if encoding in ("", "identity"):
            await self._pass_counting(scope, receive, send, limit)
        elif encoding == "gzip":
            await self._inflate(scope, receive, send, limit)
        else:
            refusal = error_response(
                415,
                "unsupported_media_type",
                "request bodies may be sent plain or with Content-Encoding: gzip",
            )
            await _respond(scope, receive, send, refusal, drain=True)

    async def _pass_counting(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen = 0
        started = False
        more = True

        async def counting_receive() -> Message:
            nonlocal seen, more
            message = await receive()
            if message["type"] == "http.request":
                more = bool(message.get("more_body", False))
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send, limit, drain=more)

    async def _inflate(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        inflater = zlib.decompressobj(wbits=31)  # gzip container only
        out: list[bytes] = []
        size = 0
        more = True
        try:
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                more = bool(message.get("more_body", False))
                pending = message.get("body", b"")
                while pending:
                    part = inflater.decompress(pending, min(_CHUNK, limit + 1 - size))
                    size += len(part)
                    out.append(part)
                    if size > limit:
                        await _too_large(scope, receive, send, limit, drain=more)
                        return
                    pending = inflater.unconsumed_tail
            tail = inflater.flush(limit + 1 - size) if not inflater.eof else b""
            size += len(tail)
            out.append(tail)
            if size > limit:
                await _too_large(scope, receive, send, limit, drain=False)
                return
            if not inflater.eof:
                raise zlib.error("truncated gzip stream")
        except zlib.error:
            refusal = error_response(400, "bad_request", "the body is not valid gzip")
            await _respond(scope, receive, send, refusal, drain=more)
            return
        body = b"".join(out)
        headers = [
            (k, v)
            for k, v in scope.get("headers", [])
            if k.lower() not in (b"content-encoding", b"content-length")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        inner = dict(scope)
        inner["headers"] = headers
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # waits for the disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(inner, replay, send)


async def _too_large(
    scope: Scope, receive: Receive, send: Send, limit: int, *, drain: bool, close: bool = False
) -> None:
    refusal = error_response(
        413,
        "payload_too_large",
        f"the request body is larger than {limit} bytes (after gzip decoding)",
    )
    if close:  # the body is not read: the connection cannot carry another request
        refusal.headers["connection"] = "close"
    await _respond(scope, receive, send, refusal, drain=drain)


async def _respond(
    scope: Scope, receive: Receive, send: Send, response: Response, *, drain: bool = False
) -> None:
    """Send ``response`` (an error answer) for a request whose body is refused; ``drain``:
    read and drop the rest of the body first, so the sender sees the answer, not a reset."""
    if drain:
        await _drain(receive)
    await response(scope, receive, send)


async def _drain(receive: Receive, cap: int = _DRAIN_CAP) -> None:
    """Read and drop the rest of a refused body, so the client sees our answer, not a reset."""
    seen = 0
    while seen <= cap:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
