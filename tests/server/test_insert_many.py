"""``insert_many`` stores on SQLite exactly what SQLAlchemy's own insert stores.

It bypasses SQLAlchemy's per-row parameter handling, so the stored text of timestamps and
booleans must be checked against SQLAlchemy's: a record written one way is read the other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from server.db import insert_many, make_engine, upgrade
from server.models import RECORD


def _row(rid: str, when: datetime, *, deleted: bool) -> dict[str, Any]:
    return {
        "entity": "asb_case",
        "id": rid,
        "version": 3,
        "seq": 7,
        "deleted": deleted,
        "data": '{"id":"x","note":"caf\u00e9"}',
        "patch_id": None,
        "needs_review": True,
        "created_at": when,
        "updated_at": when + timedelta(microseconds=1),
    }


def test_stored_values_match_sqlalchemys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    moments = [
        datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=1))),
    ]
    with engine.begin() as conn:
        for n, when in enumerate(moments):
            conn.execute(insert(RECORD), [_row(f"sa-{n}", when, deleted=bool(n))])
            insert_many(
                conn,
                RECORD,
                [_row(f"fast-{n}", when, deleted=bool(n)), _row(f"fast-{n}b", when, deleted=not n)],
            )
        raw = {
            r[0]: r[1:]
            for r in conn.exec_driver_sql(
                "SELECT id, deleted, needs_review, data, created_at, updated_at FROM record"
            )
        }
        typed = {r.id: r for r in conn.execute(select(RECORD))}
    for n in range(len(moments)):
        assert raw[f"fast-{n}"] == raw[f"sa-{n}"]
        assert typed[f"fast-{n}"].created_at == typed[f"sa-{n}"].created_at
        assert typed[f"fast-{n}"].deleted is typed[f"sa-{n}"].deleted is bool(n)
    assert raw["fast-0b"][0] == 1 and raw["fast-1b"][0] == 0  # memoised per value, not per row
    engine.dispose()


def test_nothing_to_insert_is_fine(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        insert_many(conn, RECORD, [])
        assert conn.exec_driver_sql("SELECT count(*) FROM record").scalar_one() == 0
    engine.dispose()
