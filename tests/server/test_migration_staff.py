"""Migration 0003_partners on a database that already has users (SQLite and PostgreSQL): each
user gets a ``staff`` record with a fresh ``seq``, so every device's next pull brings it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, text

from server.db import alembic_config, make_engine, upgrade
from server.models import RECORD, USER
from tests.support.postgres import fresh_database

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
        yield db
        db.dispose()
        return
    with fresh_database() as url:
        db = make_engine(url)
        yield db
        db.dispose()


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
        conn.commit()


def _user(uid: str, username: str, name: str, role: str, patches: list[str]) -> dict[str, object]:
    return {
        "id": uid,
        "username": username,
        "password_hash": "scrypt$x",
        "role": role,
        "name": name,
        "patch_ids": json.dumps(patches),
        "created_at": NOW,
    }


def test_users_made_before_it_get_staff_records_after_every_seq(engine: Engine) -> None:
    _to(engine, "0003_load")
    with engine.begin() as conn:
        conn.execute(
            insert(USER),
            [
                _user("u-gary", "glowe", "Gary Lowe", "pcso", []),
                _user("u-nora", "nora", "Nora North", "officer", ["p-north"]),
            ],
        )
        if engine.dialect.name == "sqlite":
            conn.execute(text("UPDATE counter SET value = 41 WHERE name = 'seq'"))
        else:  # PostgreSQL positions come from a sequence (server.db.take_seqs)
            conn.execute(text("SELECT setval('record_seq', 41, true)"))
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(RECORD.c.id, RECORD.c.seq, RECORD.c.version, RECORD.c.data, RECORD.c.patch_id)
            .where(RECORD.c.entity == "staff")
            .order_by(RECORD.c.seq)
        ).all()
    assert [r[1] for r in rows] == [42, 43]
    staff = {r[0]: json.loads(r[3]) for r in rows}
    assert staff["u-nora"] == {
        "id": "u-nora",
        "display_name": "Nora North",
        "role": "officer",
        "patch_ids": ["p-north"],
        "active": True,
    }
    assert set(staff["u-gary"]) == {"id", "display_name", "role", "patch_ids", "active"}
    assert all(r[2] == 1 and r[4] is None for r in rows)

    upgrade(engine)  # idempotent: nothing more
    _to(engine, "0003_load", down=True)
    with engine.connect() as conn:
        left = conn.execute(select(RECORD.c.id).where(RECORD.c.entity == "staff")).all()
    assert left == []
