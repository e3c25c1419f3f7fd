"""Settings: the server address, the photo cache budget, who is signed in, and signing out.

Signing out deletes every local record, so it first says what is not on the server yet
(pending changes, photos, refused changes, open conflicts) and offers to sync first.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.logic_signin import normalise_server_url, sign_out_warning
from fieldapp.views.logic_sync import cache_text, parse_megabytes


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

    cache = common.field(
        "Photo cache (MB)", value=str(state.photo_cache_mb), keyboard=ft.KeyboardType.NUMBER
    )
    cache_said = ft.Column([])

    def save_cache(_: Any) -> None:
        try:
            megabytes = parse_megabytes(cache.value or "")
            state.set_photo_cache_mb(megabytes)
        except ValueError as exc:
            cache.error = str(exc)
            common.push(cache)
            return
        cache.error = None
        cache_said.controls = [common.banner(cache_text(state.cache_summary()), kind="ok")]
        common.push(cache, cache_said)

    user = state.user or {}
    who = f"{user.get('name') or '—'} ({user.get('role') or 'signed out'})"
    return ft.Column(
        [
            common.heading("Settings"),
            common.heading("Server", level=2),
            server,
            common.button("Save server address", save, icon=ft.Icons.SAVE, primary=False),
            saved,
            common.heading("Offline pictures and maps", level=2),
            common.muted(cache_text(state.cache_summary())),
            cache,
            common.button("Save photo cache size", save_cache, icon=ft.Icons.SAVE, primary=False),
            cache_said,
            common.heading("Account", level=2),
            ft.Text(f"Signed in as {who}", size=16),
            common.button(
                "Sign out", ask_sign_out, icon=ft.Icons.LOGOUT, ident="sign-out", primary=False
            ),
            confirm,
        ],
        spacing=common.GAP,
    )
