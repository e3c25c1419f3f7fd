"""A browser that goes away mid-frame ends the session quietly (``fieldapp/flet_patches.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flet_web.fastapi.flet_app import FletApp
from starlette.websockets import WebSocketDisconnect
from uvicorn.protocols.utils import ClientDisconnected

from fieldapp.flet_patches import _send_until_gone, end_sessions_quietly


class GoneAfter:
    """A websocket that takes ``n`` frames, then fails as a closed browser does."""

    def __init__(self, n: int, error: BaseException) -> None:
        self.n, self.error, self.sent = n, error, []  # type: list[bytes]

    async def send_bytes(self, data: bytes) -> None:
        if len(self.sent) >= self.n:
            raise self.error
        self.sent.append(data)


def _transport(ws: GoneAfter, frames: list[bytes | None]) -> Any:
    holder = type("Holder", (), {})()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    for frame in frames:
        queue.put_nowait(frame)
    holder._FletApp__websocket = ws
    holder._FletApp__send_queue = queue
    return holder


@pytest.mark.parametrize("error", [WebSocketDisconnect(code=1006), ClientDisconnected()])
def test_a_closed_socket_ends_sending_without_raising(error: BaseException) -> None:
    ws = GoneAfter(1, error)
    holder = _transport(ws, [b"a", b"b", b"c", None])  # the receive loop's end marker last
    asyncio.run(_send_until_gone(holder))  # Flet's own loop re-raises here
    assert ws.sent == [b"a"]
    assert holder._FletApp__send_queue is None  # drained to the end marker and released


def test_frames_go_out_in_order_while_the_page_is_there() -> None:
    ws = GoneAfter(10, WebSocketDisconnect(code=1006))
    holder = _transport(ws, [b"1", b"2", b"3", None])
    asyncio.run(_send_until_gone(holder))
    assert ws.sent == [b"1", b"2", b"3"]


def test_the_pinned_flet_takes_the_patch() -> None:
    end_sessions_quietly()
    assert FletApp._FletApp__send_loop is _send_until_gone  # type: ignore[attr-defined]
