"""Photos on a screen: thumbnails, and a tap for full size, the caption and delete.

A thumbnail on this tablet shows as a picture; one not here yet says "Not downloaded yet"
(it comes with the next sync that reaches the server). A tap opens the viewer under the strip:
the full-size picture (from the cache, or downloaded now off the UI thread and then kept; with
no connection it says so and the thumbnail stays), the caption to edit, and delete with a
confirmation. Partners see pictures but cannot change them (the server would refuse it).
With ``load``, the strip re-reads its photos when the data changes (a sync brought thumbnails
or a delete), unless the viewer is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common

log = logging.getLogger(__name__)

SIDE = 96
NOT_HERE = "Not downloaded yet"


def thumbnail(state: AppState, photo: Mapping[str, Any]) -> bytes | None:
    try:
        return state.photo_bytes(photo, thumb=True) if photo.get("sha256") else None
    except Exception:  # a missing or unreadable file must not break the screen around it
        log.exception("thumbnail lookup failed")
        return None


def _tile(state: AppState, photo: Mapping[str, Any], on_open: Callable[[Any], Any]) -> ft.Control:
    src = thumbnail(state, photo)
    picture: ft.Control
    if src is not None:
        picture = ft.Image(src=src, width=SIDE, height=SIDE, fit=ft.BoxFit.COVER, border_radius=6)
        ident = "photo-thumb"
    else:
        picture = ft.Column(
            [ft.Icon(ft.Icons.CLOUD_DOWNLOAD_OUTLINED, size=30), ft.Text(NOT_HERE, size=11)],
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.CENTER,
            spacing=2,
        )
        ident = "photo-missing"
    label = str(photo.get("caption") or "Photo") + ("" if src is not None else f" ({NOT_HERE})")
    return ft.Semantics(
        identifier=ident,
        label=label,
        button=True,
        content=ft.Container(
            width=SIDE,
            height=SIDE,
            border_radius=6,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
            alignment=ft.Alignment.CENTER,
            content=picture,
            on_click=on_open,
            tooltip=label,
        ),
    )


class PhotoStrip(ft.Column):
    """Thumbnails of some photos, and the viewer of the one tapped."""

    def __init__(
        self,
        state: AppState,
        photos: Sequence[Mapping[str, Any]],
        *,
        load: Callable[[], Sequence[Mapping[str, Any]]] | None = None,
    ) -> None:
        super().__init__(spacing=8)
        self.state = state
        self.photos = list(photos)
        self.load = load
        self.tiles = ft.Row(wrap=True, spacing=8, run_spacing=8)
        self.viewer = ft.Column(spacing=8)
        self.open_id: str | None = None
        self.controls = [self.tiles, self.viewer]
        self._draw_tiles()
        if load is not None:
            state.subscribe(self._heard)

    # --- the strip -------------------------------------------------------------------------
    def _draw_tiles(self) -> None:
        tiles = [_tile(self.state, p, self._opener(p)) for p in self.photos]
        self.tiles.controls = tiles or [common.muted("No photos yet")]

    def _heard(self) -> None:
        if self.load is None:
            return
        photos = list(self.load())
        if self.open_id is not None and any(str(p["id"]) == self.open_id for p in photos):
            return  # the viewer is open on a photo that is still there: leave it be
        self.photos, self.open_id = photos, None
        self.viewer.controls = []
        self._draw_tiles()
        common.push(self)

    def _opener(self, photo: Mapping[str, Any]) -> Callable[[Any], Any]:
        async def open_it(_: Any) -> None:
            await self.open(photo)

        return open_it

    # --- the viewer ------------------------------------------------------------------------
    async def open(self, photo: Mapping[str, Any]) -> None:
        """Show the viewer; the full size follows when it has come (or why not)."""
        self.open_id = str(photo["id"])
        picture = ft.Container(content=common.muted("Opening full size…"))
        self.viewer.controls = [
            picture,
            *self._editing(photo),
        ]
        common.push(self.viewer)
        full = await asyncio.to_thread(self.state.full_photo, photo)
        if self.open_id != str(photo["id"]):
            return  # closed, or another photo opened, while it downloaded
        if full is not None:
            picture.content = ft.Semantics(
                identifier="photo-full",
                label="Full size photo",
                image=True,
                content=ft.Image(src=full, fit=ft.BoxFit.CONTAIN, height=420, border_radius=8),
            )
        else:
            picture.content = ft.Semantics(
                identifier="photo-full-missing",
                content=common.banner(
                    "Full size not downloaded yet: it downloads when this tablet can reach "
                    "the server.",
                    kind="info",
                ),
            )
        common.push(picture)

    def _editing(self, photo: Mapping[str, Any]) -> list[ft.Control]:
        close = common.button(
            "Close photo", self._close, icon=ft.Icons.CLOSE, ident="photo-close", primary=False
        )
        if self.state.is_partner:
            caption = photo.get("caption")
            return [
                ft.Text(str(caption), size=16) if caption else common.muted("No caption"),
                close,
            ]
        pid = str(photo["id"])
        caption_box = common.field("Caption", value=str(photo.get("caption") or ""))
        said = ft.Column([])
        confirm = ft.Row(wrap=True, spacing=common.GAP)

        def save(_: Any) -> None:
            try:
                self.state.set_caption(pid, caption_box.value or "")
            except Exception as exc:  # a refused value is shown, never lost silently
                said.controls = [common.banner(f"Caption not saved: {exc}")]
            else:
                said.controls = [common.banner("Caption saved.", kind="ok")]
            common.push(said)

        def really_delete(_: Any) -> None:
            self.open_id = None
            self.state.delete_photo(pid)
            self.state.toast("Photo deleted.")
            self.photos = [p for p in self.photos if str(p["id"]) != pid]
            self.viewer.controls = []
            self._draw_tiles()
            common.push(self)

        def ask(_: Any) -> None:
            confirm.controls = [
                common.muted("Delete this photo on every tablet?"),
                common.button("Delete", really_delete, icon=ft.Icons.DELETE,
                              ident="photo-delete-confirm", danger=True),
            ]  # fmt: skip
            common.push(confirm)

        return [
            caption_box,
            ft.Row(
                [
                    common.button(
                        "Save caption",
                        save,
                        icon=ft.Icons.SAVE,
                        ident="photo-save-caption",
                        primary=False,
                    ),
                    common.button(
                        "Delete photo",
                        ask,
                        icon=ft.Icons.DELETE_OUTLINE,
                        ident="photo-delete",
                        primary=False,
                    ),
                    close,
                ],
                wrap=True,
            ),  # fmt: skip
            confirm,
            said,
        ]

    def _close(self, _: Any = None) -> None:
        self.open_id = None
        self.viewer.controls = []
        common.push(self.viewer)
