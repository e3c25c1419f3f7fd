"""Fixtures for the app tests: a real device (store in a temporary folder) and its AppState."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fieldapp.services import AppConfig, Device
from fieldapp.state import AppState

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


class Recorder:
    """Stands in for the shell: records navigation and messages."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, dict[str, str]]] = []
        self.toasts: list[str] = []

    def navigate(self, route: str, params: dict[str, str]) -> None:
        self.routes.append((route, params))

    def toast(self, message: str) -> None:
        self.toasts.append(message)


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    # Port 9 (discard) on loopback: nothing listens, so the device is offline.
    config = AppConfig(data_dir=tmp_path / "tablet", server_url="http://127.0.0.1:9")
    dev = Device(config, clock=lambda: NOW)
    yield dev
    dev.stop()
    dev.store.close()


@pytest.fixture
def shell() -> Recorder:
    return Recorder()


@pytest.fixture
def state(device: Device, shell: Recorder) -> AppState:
    return AppState(device, clock=lambda: NOW, navigate=shell.navigate, toast=shell.toast)


def seed(device: Device, records: dict[str, list[dict[str, Any]]], *, user: dict[str, Any]) -> None:
    """Put server data on the device as a pull would, and mark a user signed in."""
    changes = [
        {"entity": entity, "id": r["id"], "version": 1, "deleted": False, "data": r}
        for entity, rows in records.items()
        for r in rows
    ]
    device.store.apply_pull_page(
        {"changes": changes, "removes": [], "next_cursor": "c1", "has_more": False}
    )
    device.store.set_meta("user", json.dumps(user))
