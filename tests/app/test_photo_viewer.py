"""The photo strip and viewer with a real device (offline): tap, caption, delete, missing."""

from __future__ import annotations

import io
import json

import flet as ft
from PIL import Image

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views.form_kit import photo_strip
from fieldapp.views.logic_sync import cache_text, parse_megabytes
from tests.app import ui

OFFICER = {"id": "u1", "name": "Olive", "role": "officer", "patch_ids": []}


def _photo(state: AppState) -> dict[str, object]:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 70)).save(buf, "JPEG")
    return state.add_photo(parent_entity="walkabout", parent_id="w1", data=buf.getvalue())


def test_a_tap_shows_full_size_and_the_caption_and_delete_work(
    device: Device, state: AppState
) -> None:
    device.store.set_meta("user", json.dumps(OFFICER))
    photo = _photo(state)
    strip = photo_strip(state, [photo], load=lambda: state.find("photo", "parent_id", "w1"))
    ui.click(ui.by_id(strip, "photo-thumb"))
    full = ui.by_id(strip, "photo-full")
    assert isinstance(full, ft.Image) and isinstance(full.src, bytes)
    assert full.src == state.photo_bytes(photo, thumb=False)  # the tablet's own full picture

    ui.field(strip, "Caption").value = "Sofa by the bin store"
    ui.click(ui.button(strip, "Save caption"))
    assert state.get("photo", str(photo["id"]))["caption"] == "Sofa by the bin store"  # type: ignore[index]
    assert "Caption saved." in ui.texts(strip)

    ui.click(ui.button(strip, "Delete photo"))
    ui.click(ui.button(strip, "Delete"))
    assert state.find("photo", "parent_id", "w1") == []
    assert "No photos yet" in ui.texts(strip)
    assert state.messages[-1] == "Photo deleted."


def test_a_photo_not_here_says_so_and_offline_full_size_says_why(
    device: Device, state: AppState
) -> None:
    device.store.set_meta("user", json.dumps(OFFICER))
    elsewhere = {"id": "p9", "sha256": "0" * 64, "caption": "From tablet A"}
    strip = photo_strip(state, [elsewhere])
    assert "Not downloaded yet" in ui.texts(strip)
    ui.click(ui.by_id(strip, "photo-missing"))
    assert "Full size not downloaded yet" in ui.texts(strip)  # offline: the device says why


def test_cache_size_words() -> None:
    assert parse_megabytes(" 150 ") == 150
    for bad in ("", "lots", "0", "-3", "200000"):
        try:
            parse_megabytes(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    summary = {"photo_bytes": 3 * 1024 * 1024, "photo_budget": 200 * 1024 * 1024}
    assert cache_text(summary) == "Photos kept: 3.0 MB of 200.0 MB"
