"""Settings: the server address, who is signed in, and signing out (which wipes the tablet).

Signing out deletes every local record, so it first says what is not on the server yet
(pending changes, photos, refused changes, open conflicts) and offers to sync first.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.logic_signin import normalise_server_url, sign_out_warning


def view(state: AppState, **params: str) -> ft.Control:
    server = common.field("Server address", value=state.server_url, keyboard=ft.KeyboardType.URL)
    saved = ft.Column([])
    confirm = ft.Column([])

    def save(_: Any) -> None:
        try:
            url = normalise_server_url(server.value or "")
        except ValueError as exc:
            server.error = str(exc)
            common.push(server)
            return
        server.error = None
        server.value = url
        state.set_server_url(url)
        saved.controls = [common.banner(f"Server address saved: {url}", kind="ok")]
        state.sync_now()

    def sign_out(_: Any) -> None:
        state.sign_out()
        state.go("/signin", reason="Signed out. This tablet's local data has been deleted.")

    def ask_sign_out(_: Any) -> None:
        warning = sign_out_warning(state.unsynced_summary())
        text = warning or "Signing out deletes this tablet's copy of your patch. Sign out?"
        confirm.controls = [
            common.banner(text, kind="warn" if warning else "info", ident="sign-out-warning"),
            ft.Row(
                [
                    common.button(
                        "Sign out and delete local data",
                        sign_out,
                        icon=ft.Icons.DELETE_FOREVER,
                        ident="confirm-sign-out",
                        danger=True,
                    ),
                    common.button("Sync now", lambda _: state.sync_now(), primary=False),
                    common.button("Cancel", cancel, primary=False),
                ],
                wrap=True,
            ),
        ]

    def cancel(_: Any) -> None:
        confirm.controls = []

    user = state.user or {}
    who = f"{user.get('name') or '—'} ({user.get('role') or 'signed out'})"
    return ft.Column(
        [
            common.heading("Settings"),
            common.heading("Server", level=2),
            server,
            common.button("Save server address", save, icon=ft.Icons.SAVE, primary=False),
            saved,
            common.heading("Account", level=2),
            ft.Text(f"Signed in as {who}", size=16),
            common.button(
                "Sign out", ask_sign_out, icon=ft.Icons.LOGOUT, ident="sign-out", primary=False
            ),
            confirm,
        ],
        spacing=common.GAP,
    )
