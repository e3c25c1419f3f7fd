"""The local PostgreSQL (127.0.0.1:5432, trust auth): found or started, one fresh database
per use, dropped afterwards.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
_ADMIN_DBS = ("postgres", "test")


def _admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    last: Exception | None = None
    for db in _ADMIN_DBS:
        try:
            return psycopg.connect(
                host=HOST, port=PORT, user=USER, dbname=db, autocommit=True, connect_timeout=3
            )
        except psycopg.OperationalError as exc:
            last = exc
    assert last is not None
    raise last


def ensure_running(timeout: float = 30.0) -> None:
    """Connect, or start the cluster (``pg_ctlcluster … main start``) and wait for it."""
    try:
        _admin_connect().close()
        return
    except psycopg.OperationalError:
        pass
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").iterdir())
        if Path("/etc/postgresql").is_dir()
        else []
    )
    if not versions:
        raise RuntimeError("PostgreSQL is not running and no cluster is installed")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
        capture_output=True,
        timeout=60,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            _admin_connect().close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def psycopg_dsn(url: str) -> str:
    """The plain psycopg form of a SQLAlchemy URL from ``fresh_database``."""
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def fresh_database(prefix: str = "fieldapp_test") -> Iterator[str]:
    """A new, uniquely named, empty database; yields its SQLAlchemy URL; drops it after."""
    ensure_running()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{name}"
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
