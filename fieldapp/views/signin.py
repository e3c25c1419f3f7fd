"""Sign in and enrol this tablet: server address (prefilled), username, password.

Signing in is the one step that needs a connection; it runs off the UI thread and says
plainly what went wrong (wrong password, no connection, revoked tablet).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.logic_signin import normalise_server_url, sign_in_message

log = logging.getLogger(__name__)


def view(state: AppState, **params: str) -> ft.Control:
    server = common.field("Server address", value=state.server_url, keyboard=ft.KeyboardType.URL)
    username = common.field("Username", autofocus=True)
    password = common.field("Password", password=True)
    message = ft.Column([])
    busy = ft.ProgressRing(visible=False, width=28, height=28)

    def show(text: str, kind: str = "error") -> None:
        message.controls = [common.banner(text, kind=kind, ident="signin-message")]

    async def submit(_: Any = None) -> None:
        try:
            url = normalise_server_url(server.value or "")
        except ValueError as exc:
            show(str(exc))
            return
        if not (username.value or "").strip() or not password.value:
            show("Enter your username and password.")
            return
        busy.visible = True
        show(f"Signing in to {url}…", "info")
        common.push(message, busy)
        try:
            user = await asyncio.to_thread(
                state.sign_in,
                server_url=url,
                username=(username.value or "").strip(),
                password=password.value or "",
            )
        except Exception as exc:  # every failure becomes a message; none is swallowed silently
            log.info("sign-in failed: %r", exc)
            show(sign_in_message(exc, server_url=url))
            return
        finally:
            busy.visible = False
            # An update was pushed mid-handler, so Flet will not update at the end by itself.
            common.push(message, busy)
        state.toast(f"Signed in as {user.get('name') or user.get('id')}")
        state.go("/")

    password.on_submit = submit
    username.on_submit = submit
    if params.get("reason"):
        show(params["reason"], "warn")

    form = ft.Column(
        [
            common.heading("Estate walkabouts"),
            common.muted("Sign in once with a connection; after that the app works offline."),
            server,
            username,
            password,
            ft.Row([common.button("Sign in", submit, icon=ft.Icons.LOGIN, ident="sign-in"), busy]),
            message,
        ],
        spacing=common.GAP + 4,
        width=480,
    )
    return ft.Container(content=form, alignment=ft.Alignment.TOP_CENTER, padding=24)
