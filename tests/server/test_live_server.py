"""The test harness's own server start: another process taking the free port between our
probe and our bind must not pass for our server (a CI run under load once did exactly that:
the restarted server's port was taken by another test's server, which answered /health, and
the device was then told its token was unknown)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import live_server
from tests.support.live_server import LiveServer, free_port


class _Impostor(BaseHTTPRequestHandler):
    """Answers every GET 200 with a health body, as any other sync server would."""

    def do_GET(self) -> None:  # the name http.server calls
        body = json.dumps({"status": "ok", "impostor": True}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_port_taken_by_another_server_is_not_taken_for_ours(
    tmp_path: Path, impostor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([impostor])  # the first "free" port is already someone else's
    monkeypatch.setattr(live_server, "free_port", lambda: next(ports, None) or free_port())
    with LiveServer(data_dir=tmp_path) as server:
        assert server.port != impostor
        assert live_server.serves_port(server.proc.pid, server.port)  # type: ignore[union-attr]
        assert not live_server.serves_port(server.proc.pid, impostor)  # type: ignore[union-attr]
        assert "already in use" in server.log_path.read_text().lower()  # it was tried, and left
        status, body = server.request("GET", "/health")
        assert status == 200 and "impostor" not in body  # our own server answers
