"""``add-user`` keeps each patch's ``officer_ids`` true to its officers (SQLite, PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.db import writing
from server.models import REVISION, USER
from tests.server.test_seed_demo import Cli, cli, records

__all__ = ["cli"]  # the fixture


def _officers(c: Cli) -> dict[str, list[str]]:
    engine = c.engine()
    try:
        return {p["name"]: p["officer_ids"] for p in records(engine, "patch").values()}
    finally:
        engine.dispose()


def _user_id(out: str) -> str:
    return next(w[3:] for w in out.split() if w.startswith("id="))


def test_moving_an_officer_or_changing_their_role_updates_the_patches(cli: Cli) -> None:
    out = cli.ok(
        "add-user",
        "ella",
        "--role",
        "officer",
        "--patch",
        "Runcorn East",
        stdin="ella-walkabout-pw\n",
    )
    ella = _user_id(out)
    assert out.rstrip().endswith("patches: Runcorn East")
    assert _officers(cli) == {"Runcorn East": [ella]}

    out = cli.ok(
        "add-user",
        "ella",
        "--role",
        "officer",
        "--patch",
        "Widnes West",
        stdin="ella-walkabout-pw\n",
    )
    assert out.rstrip().endswith("patches: Widnes West")
    assert _officers(cli) == {"Runcorn East": [], "Widnes West": [ella]}

    out = cli.ok(
        "add-user", "ella", "--role", "officer", stdin="ella-walkabout-pw\n"
    )  # patches kept
    assert out.rstrip().endswith("patches: Widnes West")
    assert _officers(cli) == {"Runcorn East": [], "Widnes West": [ella]}

    out = cli.ok("add-user", "ella", "--role", "pcso", stdin="ella-walkabout-pw\n")
    assert out.rstrip().endswith("patches: Widnes West")  # a PCSO keeps them, not as officer
    assert _officers(cli) == {"Runcorn East": [], "Widnes West": []}

    cli.ok("add-user", "ella", "--role", "officer", stdin="ella-walkabout-pw\n")  # an officer again
    assert _officers(cli) == {"Runcorn East": [], "Widnes West": [ella]}

    engine = cli.engine()
    try:  # patch changes go through the write path: every version has its revision
        with writing(engine) as conn:
            revisions = conn.execute(
                select(REVISION.c.record_id, REVISION.c.version).where(REVISION.c.entity == "patch")
            ).all()
        for pid in records(engine, "patch"):
            versions = sorted(v for r, v in revisions if r == pid)
            assert versions == list(range(1, len(versions) + 1)) and versions
    finally:
        engine.dispose()


def test_an_empty_patch_name_is_refused(cli: Cli) -> None:
    cli.ok("add-user", "sam", "--role", "officer", "--patch", "North", stdin="ella-walkabout-pw\n")
    for blank in ("", "  "):
        code, _, err = cli.run(
            "add-user", "sam", "--role", "officer", "--patch", blank, stdin="ella-walkabout-pw\n"
        )
        assert code == 1 and "a patch name must not be empty" in err
    engine = cli.engine()
    try:
        with writing(engine) as conn:
            patch_ids = conn.execute(select(USER.c.patch_ids).where(USER.c.username == "sam"))
            assert len(json.loads(patch_ids.scalar_one())) == 1  # not cleared
    finally:
        engine.dispose()
    assert list(_officers(cli)) == ["North"]
