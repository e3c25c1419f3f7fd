"""Slow and silent clients on the real server: a huge declared body is answered at once, and
connections that never finish their headers are closed.

The probe: a request declaring ``Content-Length: 99999999999`` was waited on, and 250 sockets
sending incomplete headers stayed open indefinitely. Raw sockets, as an attacker sends.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from fieldapp.ids import new_id
from tests.support.live_server import LiveServer

DEADLINE = 30.0  # generous: the machine is shared


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"HEADER_TIMEOUT_SECONDS": "1"}
    with LiveServer(data_dir=tmp_path_factory.mktemp("conns"), env=env) as live:
        live.add_user("olive", role="officer", patches=["North"])
        yield live


def _connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE)


def _read_until_closed(sock: socket.socket, end: float | None = None) -> bytes:
    """Everything the server sends until it closes the connection (or the deadline)."""
    got = b""
    end = time.monotonic() + DEADLINE if end is None else end
    while time.monotonic() < end:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            part = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return got + b"<reset>"
        if not part:
            return got + b"<closed>"
        got += part
    return got


@pytest.mark.parametrize("path", ["/api/v1/sync/push", "/api/v1/blobs/" + "a" * 64])
def test_a_huge_declared_body_is_refused_at_once(server: LiveServer, path: str) -> None:
    token = server.login("olive", device_id=new_id())["access_token"]
    method = "PUT" if "blobs" in path else "POST"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n"
    )
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(head.encode())  # and not one byte of the body
        answer = _read_until_closed(sock)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert answer.endswith(b"<closed>") or answer.endswith(b"<reset>"), answer[-200:]
    body = answer.split(b"\r\n\r\n", 1)[1].rsplit(b"<", 1)[0]
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert took < DEADLINE / 2, f"answered after {took:.1f} s"


def test_connections_that_never_finish_their_headers_are_closed(server: LiveServer) -> None:
    socks = [_connect(server) for _ in range(50)]
    try:
        for n, sock in enumerate(socks):
            sock.sendall(f"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow-{n}: ".encode())
        # Meanwhile the server answers others.
        assert requests.get(f"{server.api}/health", timeout=DEADLINE).status_code == 200
        end = time.monotonic() + DEADLINE  # one deadline for them all
        ends = [_read_until_closed(sock, end) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert all(e in (b"<closed>", b"<reset>") for e in ends), {e[:40] for e in ends}


def test_answered_and_idle_connections_are_not_cut(server: LiveServer) -> None:
    """The deadline is for unfinished headers only: a keep-alive connection idle for longer
    than it (1 s here) stays open and serves its next request (uvicorn closes idle ones
    after its own keep-alive time)."""
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first[:100]
        end = time.monotonic() + 3.0  # three deadlines of idleness
        while (left := end - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if readable:  # the rest of the first answer, or the close this test looks for
                assert sock.recv(65536) != b"", "an idle connection was closed by the deadline"
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 200")


def test_past_the_connection_limit_the_answer_is_busy_with_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """uvicorn's own 503 past MAX_CONNECTIONS was plain text without Retry-After: a tablet
    could not tell how long to wait. It is the API's 503 busy now, with the usual headers."""
    env = {"MAX_CONNECTIONS": "3"}
    with LiveServer(data_dir=tmp_path_factory.mktemp("limit"), env=env) as live:
        held = [_connect(live) for _ in range(3)]  # open, silent: they count against the limit
        try:
            r = requests.get(f"{live.api}/health", timeout=DEADLINE)
        finally:
            for sock in held:
                sock.close()
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "busy"
        assert set(r.json()) == {"error", "server_time"}
        assert float(r.headers["Retry-After"]) > 0
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Connection"] == "close"
        # The held connections gone, the server answers again.
        deadline = time.monotonic() + DEADLINE
        while (ok := requests.get(f"{live.api}/health", timeout=DEADLINE)).status_code != 200:
            assert time.monotonic() < deadline, ok.text
            time.sleep(0.2)
