"""Migration 0003_sec_blobs on a database that already holds photos (SQLite and PostgreSQL).

Blobs stored before owners were tracked are credited to the creator of the earliest photo
record naming them: before that record existed, only the device holding the bytes could have
known their SHA-256. A later record by anyone else stays unbacked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, text

from server.db import alembic_config, make_engine, upgrade
from server.models import BLOB, BLOB_OWNER, RECORD
from tests.support.postgres import fresh_database

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
SHA = "ab" * 32
OTHER = "cd" * 32


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


def _to(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def _photo(rid: str, seq: int, sha: str, who: str) -> dict[str, object]:
    return {
        "entity": "photo",
        "id": rid,
        "version": 1,
        "seq": seq,
        "deleted": False,
        "data": "{}",
        "photo_sha256": sha,
        "needs_review": False,
        "created_by_device": f"dev-{who}",
        "created_by_user": f"user-{who}",
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_stored_blobs_are_credited_to_their_first_photo_record(engine: Engine) -> None:
    _to(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            insert(BLOB),
            [
                {"sha256": SHA, "size": 10, "received": 10, "complete": True, "created_at": NOW},
                {"sha256": OTHER, "size": 10, "received": 4, "complete": False, "created_at": NOW},
            ],
        )
        conn.execute(
            insert(RECORD),
            [
                _photo("p-late", 9, SHA, "claimant"),
                _photo("p-first", 5, SHA, "taker"),
                _photo("p-other", 7, OTHER, "second"),
            ],
        )
        assert conn.execute(text("SELECT COUNT(*) FROM blob")).scalar() == 2
    upgrade(engine)
    with engine.connect() as conn:
        owners = conn.execute(
            select(BLOB_OWNER.c.sha256, BLOB_OWNER.c.device_id, BLOB_OWNER.c.user_id).order_by(
                BLOB_OWNER.c.sha256
            )
        ).all()
    assert [tuple(o) for o in owners] == [
        (SHA, "dev-taker", "user-taker"),
        (OTHER, "dev-second", "user-second"),
    ]
