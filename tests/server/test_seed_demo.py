"""``seed-demo`` adds only what is missing: edits, deletions, users and imported homes stay.

The commands run in this process (``server.cli.main``) on SQLite and PostgreSQL; the records
are read and edited straight through the write path, as a push would change them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from fieldapp.demo import generate_demo
from server.cli import main
from server.db import make_engine, utcnow, writing
from server.models import USER
from server.services import auth
from server.services.records import WriteBatch
from tests.support.postgres import fresh_database

REPO = Path(__file__).resolve().parents[2]
DEMO_CSV = REPO / "assets" / "demo_properties.csv"
DAY = "2026-06-10"


@dataclass
class Cli:
    """Runs ``python -m server`` in this process on one database; ``run`` returns
    (exit status, stdout, stderr)."""

    capsys: pytest.CaptureFixture[str]
    url: str

    def run(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            import io
            import sys

            old, sys.stdin = sys.stdin, io.StringIO(stdin)
            try:
                code = main(list(args))
            finally:
                sys.stdin = old
        else:
            code = main(list(args))
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def ok(self, *args: str, stdin: str | None = None) -> str:
        code, out, err = self.run(*args, stdin=stdin)
        assert code == 0, err
        return out

    def engine(self) -> Engine:
        return make_engine(self.url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "server"))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("BLOB_DIR", raising=False)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server' / 'server.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        yield Cli(capsys, url)
    else:
        with fresh_database() as url:
            monkeypatch.setenv("DATABASE_URL", url)
            yield Cli(capsys, url)


def records(engine: Engine, entity: str) -> dict[str, dict[str, Any]]:
    """id → data of the live records of an entity."""
    with writing(engine) as conn:
        return {r.id: dict(r.data) for r in WriteBatch(conn, now=utcnow()).all_rows(entity)}


def is_deleted(engine: Engine, entity: str, id_: str) -> bool:
    with writing(engine) as conn:
        row = WriteBatch(conn, now=utcnow()).row(entity, id_)
        assert row is not None
        return row.deleted


def edit(engine: Engine, entity: str, id_: str, changes: dict[str, Any], **kw: Any) -> None:
    with writing(engine) as conn:
        batch = WriteBatch(conn, now=utcnow())
        row = batch.row(entity, id_)
        assert row is not None
        batch.write(row, changes, device_id="tablet", user_id=None, **kw)
        batch.flush()


def written(out: str) -> int:
    return int(out.split(": ", 1)[1].split(" records written")[0])


def test_a_second_run_writes_nothing_and_edits_deletions_and_users_stay(cli: Cli) -> None:
    first = cli.ok("seed-demo", "--today", DAY)
    assert written(first) > 1000 and "users created: officer1" in first
    engine = cli.engine()
    try:
        case_id = generate_demo(1, today=date.fromisoformat(DAY)).asb_cases[0]["id"]
        edit(engine, "asb_case", case_id, {"description": "EDITED ON A TABLET"})
        repair_id = generate_demo(1).repairs[0]["id"]
        edit(engine, "repair", repair_id, {}, deleted=True)
        cli.ok("add-user", "officer1", "--role", "manager", stdin="changed-on-purpose\n")
        cli.ok(
            "add-user",
            "newbie",
            "--role",
            "officer",
            "--patch",
            "Runcorn East",
            stdin="newbie-walkabout-pw\n",
        )
        with writing(engine) as conn:
            before = dict(conn.execute(select(USER.c.username, USER.c.password_hash)).all())

        for day in (DAY, "2026-06-11"):  # another day's demo is the same records
            again = cli.ok("seed-demo", "--today", day)
            assert " 0 records written" in again, again
            assert "users created: none (5 already there)" in again

        assert records(engine, "asb_case")[case_id]["description"] == "EDITED ON A TABLET"
        assert is_deleted(engine, "repair", repair_id)  # not brought back
        with writing(engine) as conn:
            users = {r.username: r for r in conn.execute(select(USER)).all()}
            assert users["officer1"].role == "manager"
            assert auth.check_password("changed-on-purpose", users["officer1"].password_hash)
            after = dict(conn.execute(select(USER.c.username, USER.c.password_hash)).all())
        assert after == before  # no password rehashed
        runcorn = next(p for p in records(engine, "patch").values() if p["name"] == "Runcorn East")
        assert users["newbie"].id in runcorn["officer_ids"]  # kept
        assert users["officer1"].id not in runcorn["officer_ids"]  # a manager now, not re-added
    finally:
        engine.dispose()


def test_a_missing_demo_user_is_created_and_joins_its_patch(cli: Cli) -> None:
    cli.ok("seed-demo", "--today", DAY)
    engine = cli.engine()
    try:
        with writing(engine) as conn:
            conn.execute(USER.delete().where(USER.c.username == "officer1"))
        patches = records(engine, "patch")
        runcorn_id = next(i for i, p in patches.items() if p["name"] == "Runcorn East")
        demo = generate_demo(1)
        officer1 = next(u for u in demo.users if u.username == "officer1")
        edit(engine, "patch", runcorn_id, {"officer_ids": []})
        out = cli.ok("seed-demo", "--today", DAY)
        assert "1 records written" in out and "users created: officer1 " in out
        assert records(engine, "patch")[runcorn_id]["officer_ids"] == [officer1.id]
    finally:
        engine.dispose()


def _one_set(engine: Engine) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    patches = records(engine, "patch")
    names = [p["name"] for p in patches.values()]
    assert sorted(names) == ["Runcorn East", "Widnes West"]
    homes = records(engine, "property")
    assert len(homes) == 400 == len({h["uprn"] for h in homes.values()})
    return {p["name"]: i for i, p in patches.items()}, homes


def _check_links(engine: Engine, patch_ids: dict[str, str], homes: dict[str, Any]) -> None:
    """Every demo record added names the homes and patches that are there."""
    for entity in ("person", "tenancy_visit"):
        for rec in records(engine, entity).values():
            assert rec["property_id"] in homes, (entity, rec["id"])
    for case in records(engine, "asb_case").values():
        assert case["property_id"] is None or case["property_id"] in homes
    with writing(engine) as conn:
        users = {r.username: r for r in conn.execute(select(USER)).all()}
    runcorn = records(engine, "patch")[patch_ids["Runcorn East"]]
    assert users["officer1"].id in runcorn["officer_ids"]
    assert json.loads(users["officer1"].patch_ids) == [patch_ids["Runcorn East"]]


def test_import_then_seed_gives_one_set_of_patches_and_homes(cli: Cli) -> None:
    assert "400 created" in cli.ok("import-properties", str(DEMO_CSV))
    engine = cli.engine()
    try:
        imported = {h["uprn"]: i for i, h in records(engine, "property").items()}
        cli.ok("seed-demo", "--today", DAY)
        patch_ids, homes = _one_set(engine)
        assert {h["uprn"]: i for i, h in homes.items()} == imported  # the imported ids kept
        _check_links(engine, patch_ids, homes)
        assert " 0 records written" in cli.ok("seed-demo", "--today", DAY)
        again = cli.ok("import-properties", str(DEMO_CSV))
        assert "0 created, 0 updated, 400 unchanged; 0 patches created" in again
        _one_set(engine)
        _check_links(engine, patch_ids, homes)
    finally:
        engine.dispose()


def test_seed_then_import_gives_one_set_of_patches_and_homes(cli: Cli) -> None:
    cli.ok("seed-demo", "--today", DAY)
    engine = cli.engine()
    try:
        again = cli.ok("import-properties", str(DEMO_CSV))
        assert "0 created, 0 updated, 400 unchanged; 0 patches created" in again
        patch_ids, homes = _one_set(engine)
        _check_links(engine, patch_ids, homes)
        assert " 0 records written" in cli.ok("seed-demo", "--today", DAY)
    finally:
        engine.dispose()
