"""A page that goes away is the normal end of a session, not an error (Flet 1.0.5 web mode).

Flet's web transport runs two loops per browser connection: one receives frames, one sends
them. When the browser closes (a tab closed, a reload, a tablet put to sleep) while frames are
still queued, the send loop's ``send_bytes`` fails and Flet re-raises the error: uvicorn logs
"Exception in ASGI application" with a ``WebSocketDisconnect`` traceback, and because the error
escapes ``FletApp.handle`` before it reaches ``disconnect_session``, the session is never told
it was disconnected (``page.on_disconnect`` does not run, so its listeners stay subscribed).

``end_sessions_quietly()`` replaces that send loop with one that stops sending when the socket
is gone and keeps draining the queue until the receive loop, which sees the close too, ends it;
``handle`` then finishes normally and disconnects the session. It only touches the pinned
version's private method, and ``tests/app/test_flet_patches.py`` fails if Flet changes under it.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_SEND_LOOP = "_FletApp__send_loop"


async def _send_until_gone(self: Any) -> None:
    """Flet's send loop, except that a closed socket ends sending instead of raising."""
    websocket, queue = self._FletApp__websocket, self._FletApp__send_queue
    gone = False
    while True:
        message = await queue.get()
        if message is None:  # the receive loop saw the connection end
            break
        if gone:
            continue  # nobody to send to: drop the frame, wait for the end
        try:
            await websocket.send_bytes(message)
        except Exception as exc:  # WebSocketDisconnect, ClientDisconnected, OSError: all final
            gone = True
            log.info("page went away while frames were queued (%s)", type(exc).__name__)
    self._FletApp__websocket = None
    self._FletApp__send_queue = None


def end_sessions_quietly() -> None:
    """Install the send loop above on Flet's web transport (idempotent)."""
    from flet_web.fastapi.flet_app import FletApp

    if not hasattr(FletApp, _SEND_LOOP):
        raise RuntimeError("Flet's web transport changed: review fieldapp/flet_patches.py")
    setattr(FletApp, _SEND_LOOP, _send_until_gone)
