"""A lean HTTP/1.1 client for the load benchmark: one keep-alive connection per tablet.

``httpx.AsyncClient`` with 200 connections in one pool spends its time in the pool itself:
against the server's trivial ``GET /health`` it managed 156 requests/s where a plain asyncio
client on the same 200 connections got 1,900 (this machine, one server worker). The load
generator then measured itself, not the server. A tablet holds one connection of its own, so
this client is one ``asyncio`` stream per tablet: it writes the request, reads the status
line and headers, and the body by ``Content-Length`` or chunks, inflating a gzip answer.
A dropped or refused connection raises ``ConnectionError``; the next request reconnects.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any
from urllib.parse import urlencode, urlsplit


class Answer:
    """A response: ``status_code``, lower-case ``headers``, the body (inflated) and ``json()``."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


class Connection:
    """One keep-alive connection to ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        content: bytes = b"",
    ) -> Answer:
        if params:
            path += "?" + urlencode(params)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += ["Accept-Encoding: gzip", f"Content-Length: {len(content)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content
        # A kept connection the server closed while idle fails before any answer: sent once
        # more on a new one, as HTTP clients do (a push is idempotent by mutation_id).
        for reused in (self._writer is not None, False):
            try:
                return await asyncio.wait_for(self._exchange(raw), self.timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                self.close()
                stale = isinstance(exc, (ConnectionResetError, BrokenPipeError)) or (
                    isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                )
                if not (reused and stale):
                    raise ConnectionError(f"{method} {path}: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")

    async def _exchange(self, raw: bytes) -> Answer:
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks()
        else:
            body = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return Answer(status, headers, body)

    async def _chunks(self) -> bytes:
        assert self._reader is not None
        out = bytearray()
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers from this server
                return bytes(out)
            out += await self._reader.readexactly(size)
            await self._reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
