"""Fixtures of the store tests: a fresh store in a temp folder, a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldapp.store.store import Store

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "dev", clock=lambda: NOW)
    s.set_meta("user", json.dumps({"id": "u1", "name": "Olive", "role": "officer"}))
    yield s
    s.close()


def sign_in_as(store: Store, role: str, user_id: str = "u1") -> None:
    store.set_meta("user", json.dumps({"id": user_id, "name": "X", "role": role}))
