"""What each CLI command does, with settings read from the environment (``server.cli`` parses).

Every command that touches the database upgrades the schema first (idempotent), so a fresh
data folder works with any of them.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from server.db import make_engine, upgrade, utcnow, writing
from server.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine


def _engine(settings: Settings) -> Engine:
    settings.ensure_dirs()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    upgrade(engine)
    return engine


def app_from_env() -> FastAPI:
    """The application for uvicorn's ``--factory`` (several workers)."""
    from server import create_app

    return create_app(Settings.from_env())


def serve(*, host: str, port: int, workers: int, log_level: str, access_log: bool) -> int:
    import uvicorn

    from server import create_app

    settings = Settings.from_env()
    engine = _engine(settings)
    where = engine.url.render_as_string(hide_password=True)
    engine.dispose()
    print(f"sync server on http://{host}:{port}/api/v1 (database {where})", flush=True)
    if workers > 1:
        if settings.database_url.startswith("sqlite"):
            print("note: SQLite serves from one process; --workers ignored", file=sys.stderr)
        else:
            uvicorn.run(
                "server.commands:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                access_log=access_log,
            )
            return 0
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
    )
    return 0


def init_db() -> int:
    settings = Settings.from_env()
    _engine(settings).dispose()
    print("database is up to date")
    return 0


def add_user(
    *, username: str, password: str, role: str, patch_names: list[str], name: str | None
) -> int:
    from server.services.users import add_user as add

    engine = _engine(Settings.from_env())
    try:
        with writing(engine) as conn:
            user_id, created, patch_ids = add(
                conn,
                username=username,
                password=password,
                role=role,
                name=name,
                patch_names=patch_names,
                now=utcnow(),
            )
    finally:
        engine.dispose()
    verb = "created" if created else "updated"
    print(f"{verb} user {username} ({role}) id={user_id} patches={len(patch_ids)}")
    return 0


def revoke_device(device_id: str) -> int:
    from server.services.auth import revoke_device as revoke

    engine = _engine(Settings.from_env())
    try:
        with writing(engine) as conn:
            revoked_at = revoke(conn, device_id, now=utcnow())
    finally:
        engine.dispose()
    print(f"device {device_id} revoked at {revoked_at.isoformat()}")
    return 0


def import_properties(path: Path) -> int:
    from server.services.properties import ImportProblem, import_csv

    engine = _engine(Settings.from_env())
    try:
        with writing(engine) as conn:
            report = import_csv(conn, path, now=utcnow())
    except ImportProblem as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(report.summary())
    return 0


def seed_demo(*, seed: int, today: date | None) -> int:
    from zoneinfo import ZoneInfo

    from server.services.seed import seed_demo as seed_fn

    now = utcnow()
    # The demo's clocks (SLA due times, ATVs) are set relative to the local day it is made.
    day = today or now.astimezone(ZoneInfo("Europe/London")).date()
    engine = _engine(Settings.from_env())
    try:
        with writing(engine) as conn:
            summary = seed_fn(conn, seed=seed, today=day, now=now)
    finally:
        engine.dispose()
    print(summary)
    return 0
