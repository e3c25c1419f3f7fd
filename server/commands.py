"""What each CLI command does, with settings read from the environment (``server.cli`` parses).

Every command that touches the database upgrades the schema first (idempotent), so a fresh
data folder works with any of them.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from server.db import make_engine, upgrade, utcnow, writing
from server.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Connection, Engine

URL_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:5432/DATABASE"


class CommandFailed(Exception):
    """A command cannot go on: the message is the one line the CLI prints."""


def database_problem(exc: BaseException, url: str | None) -> str:
    """One line saying what is wrong with the database, never showing the URL's password."""
    if isinstance(exc, ArgumentError) and not isinstance(exc, NoSuchModuleError):
        return f"DATABASE_URL is not a database URL (expected {URL_FORMS})"
    try:
        parsed = make_url(url or "")
        where = parsed.render_as_string(hide_password=True)
        secret = parsed.password
    except (ArgumentError, ValueError):
        where, secret = "(DATABASE_URL)", None
    if isinstance(exc, NoSuchModuleError):
        return f"DATABASE_URL {where}: unknown kind of database (expected {URL_FORMS})"
    if isinstance(exc, ImportError):
        missing = exc.name or "its driver"
        return f"database {where}: its driver ({missing}) is not installed (use {URL_FORMS})"
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    reason = " ".join(line.strip() for line in text.splitlines()[:2] if line.strip())
    if secret:
        reason = reason.replace(str(secret), "***")
    return f"cannot use the database {where}: {reason or type(exc).__name__}"


def _engine(settings: Settings) -> Engine:
    try:
        settings.ensure_dirs()
    except OSError as exc:
        where = exc.filename or settings.data_dir
        raise CommandFailed(
            f"cannot create the folder {where}: {exc.strerror or exc} (check DATA_DIR, BLOB_DIR"
            " and DATABASE_URL)"
        ) from None
    try:
        engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    except (SQLAlchemyError, ImportError) as exc:
        raise CommandFailed(database_problem(exc, settings.database_url)) from None
    try:
        upgrade(engine)
    except (SQLAlchemyError, ImportError) as exc:
        engine.dispose()
        raise CommandFailed(database_problem(exc, settings.database_url)) from None
    return engine


def _settings() -> Settings:
    """``Settings.from_env()``, with a data folder that cannot be used said in one line."""
    try:
        return Settings.from_env()
    except OSError as exc:
        where = exc.filename or "DATA_DIR"
        raise CommandFailed(
            f"cannot use the data folder {where}: {exc.strerror or exc} (check DATA_DIR)"
        ) from None


@contextmanager
def _writing() -> Iterator[Connection]:
    """One write transaction on the configured database; the engine is disposed after it."""
    engine = _engine(_settings())
    try:
        with writing(engine) as conn:
            yield conn
    finally:
        engine.dispose()


def check_port(host: str, port: int) -> None:
    """CommandFailed unless ``host:port`` can be listened on now (as uvicorn will)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(address)
            sock.listen(1)
        except OSError as exc:
            raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def app_from_env() -> FastAPI:
    """The application for uvicorn's ``--factory`` (several workers)."""
    from server import connections, create_app

    settings = Settings.from_env()
    connections.http_protocol(settings.header_timeout_seconds)  # this worker's deadline
    return create_app(settings)


# Idle connections stay open this long (uvicorn's default is 5 s). A tablet syncs every 15 s
# or so: with 5 s its connection was always closed in between, and a request sent just as
# the server closed it failed as a network error.
KEEP_ALIVE_SECONDS = 75


def serve(*, host: str, port: int, workers: int, log_level: str, access_log: bool) -> int:
    import uvicorn

    from server import connections, create_app

    settings = _settings()
    engine = _engine(settings)
    where = engine.url.render_as_string(hide_password=True)
    engine.dispose()
    # Slow or silent clients: a deadline for headers (``connections``) and a cap on connections
    # (503 past it). The reverse proxy in front is the first line.
    check_port(host, port)
    print(f"sync server on http://{host}:{port}/api/v1 (database {where})", flush=True)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "server_header": False,  # no "Server: uvicorn": what runs here is nobody's business
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": settings.max_connections,
    }
    if workers > 1:
        if settings.database_url.startswith("sqlite"):
            print("note: SQLite serves from one process; --workers ignored", file=sys.stderr)
        else:
            uvicorn.run(
                "server.commands:app_from_env",
                factory=True,
                workers=workers,
                http=connections.protocol_path(),
                **common,
            )
            return 0
    uvicorn.run(
        create_app(settings),
        http=connections.http_protocol(settings.header_timeout_seconds),
        **common,
    )
    return 0


def init_db() -> int:
    _engine(_settings()).dispose()
    print("database is up to date")
    return 0


def add_user(
    *,
    username: str,
    password: str,
    role: str,
    patch_names: list[str] | None,
    name: str | None,
) -> int:
    """Create or update a user; ``patch_names`` None keeps an existing user's patches."""
    from server.services.users import add_user as add

    with _writing() as conn:
        user_id, created, patches = add(
            conn,
            username=username,
            password=password,
            role=role,
            name=name,
            patch_names=patch_names,
            now=utcnow(),
        )
    verb = "created" if created else "updated"
    names = ", ".join(patches) if patches else "none"
    print(f"{verb} user {username} ({role}) id={user_id} patches: {names}")
    return 0


def revoke_device(device_id: str) -> int:
    from server.services.auth import revoke_device as revoke

    with _writing() as conn:
        revoked_at = revoke(conn, device_id, now=utcnow())
    print(f"device {device_id} revoked at {revoked_at.isoformat()}")
    return 0


def set_disabled(username: str, *, disabled: bool) -> int:
    from server.services.auth import set_disabled as set_flag

    with _writing() as conn:
        set_flag(conn, username, disabled=disabled, now=utcnow())
    if disabled:
        print(f"user {username} disabled: every session ended, sign-in refused")
    else:
        print(f"user {username} enabled: they may sign in again")
    return 0


def backup(dest: Path) -> int:
    """A consistent copy of the SQLite database (``server.backup``); PostgreSQL: pg_dump."""
    from server.backup import BackupRefused, backup_sqlite

    settings = _settings()
    engine = _engine(settings)
    engine.dispose()  # upgraded; the copy is made on a connection of its own
    try:
        pages = backup_sqlite(settings.database_url, dest)
    except BackupRefused as exc:
        raise CommandFailed(str(exc)) from None
    print(f"backed up {pages} pages to {dest}")
    return 0


def restore(backup_file: Path) -> int:
    """Put a SQLite backup in place and give it a new epoch (devices download afresh)."""
    from server.backup import BackupRefused, new_epoch, restore_sqlite

    settings = _settings()
    try:
        pages = restore_sqlite(settings.database_url, backup_file)
    except BackupRefused as exc:
        raise CommandFailed(str(exc)) from None
    engine = _engine(settings)  # upgrades a backup made by an older server
    try:
        new_epoch(engine)
    finally:
        engine.dispose()
    print(f"restored {pages} pages from {backup_file}; devices will download afresh")
    return 0


def new_epoch() -> int:
    from server.backup import new_epoch as rotate

    engine = _engine(_settings())
    try:
        rotate(engine)
    finally:
        engine.dispose()
    print("new epoch: every device will download afresh at its next sync")
    return 0


def purge(*, audit_days: int | None) -> int:
    from server.backup import purge as run

    engine = _engine(_settings())
    try:
        tokens, audits = run(engine, now=utcnow(), audit_days=audit_days)
    finally:
        engine.dispose()
    print(f"purged {tokens} expired tokens and {audits} audit rows")
    return 0


def import_properties(path: Path) -> int:
    from server.services.properties import ImportProblem, import_csv

    try:
        with _writing() as conn:
            report = import_csv(conn, path, now=utcnow())
    except ImportProblem as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def seed_demo(*, seed: int, today: date | None) -> int:
    from zoneinfo import ZoneInfo

    from server.services.seed import seed_demo as seed_fn

    now = utcnow()
    # The demo's clocks (SLA due times, ATVs) are set relative to the local day it is made.
    day = today or now.astimezone(ZoneInfo("Europe/London")).date()
    with _writing() as conn:
        summary = seed_fn(conn, seed=seed, today=day, now=now)
    print(summary)
    return 0


def import_tiles(path: Path) -> int:
    from server.tiles import TileImportError, import_mbtiles

    if not path.is_file():
        raise CommandFailed(f"no such file: {path}")
    try:
        found = import_mbtiles(path, _settings())
    except TileImportError as exc:
        raise CommandFailed(str(exc)) from None
    print(
        f"imported {found['tiles']} {found['format']} tiles, zoom {found['min_zoom']} to "
        f"{found['max_zoom']}: tablets cache them at their next sync"
    )
    return 0
