"""The database engine, write transactions and schema upgrades (Alembic).

SQLite runs in WAL mode with a busy timeout, and its write transactions start with
``BEGIN IMMEDIATE`` so two writers queue instead of failing when one upgrades a read lock:
there one write transaction at a time is natural, and positions (``seq``) come from the
``counter`` row inside it. PostgreSQL is reached through psycopg 3 (``postgresql+psycopg://``);
there write transactions run side by side: positions come from the sequence ``record_seq``,
each writer announces the lowest position it may still commit (a transaction-scoped advisory
lock) and pulls serve only up to ``horizon``, below every position still in flight. Records
are guarded by row locks and version checks (``WriteClash``), and a transaction that loses a
race is run again (``run_write``). The argument is in docs/sync-protocol.md.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event, insert, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from server.models import COUNTER

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# SQLite's own checkpoint threshold, in WAL pages (its default). The server's engine raises it
# to BACKSTOP_PAGES and checkpoints on a thread of its own instead: see ``Checkpointer``.
DEFAULT_CHECKPOINT_PAGES = 1000
BACKSTOP_PAGES = 16_000
LOCK_TIMEOUT_MS = 10_000  # PostgreSQL: the longest a statement waits for a lock (then 503)

log = logging.getLogger("server.db")


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_SIDE: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_SIDE_LOCK = threading.Lock()


def side_engine(engine: Engine) -> Engine:
    """PostgreSQL: a small pool of its own beside ``engine``'s, for a short transaction that a
    request opens while it holds a connection of the main pool (a reference number).

    From the main pool, N requests each holding a connection and each asking for a second
    would wait on each other until the pool's timeout: with a full pool, every push that
    creates a case stood still for 30 s. A side transaction holds nothing while it waits, so
    its own pool always drains. It is disposed with ``engine``.
    """
    with _SIDE_LOCK:
        side = _SIDE.get(engine)
        if side is None:
            side = create_engine(
                engine.url,
                pool_pre_ping=True,
                hide_parameters=True,
                pool_size=2,
                max_overflow=6,
                connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
            )
            _SIDE[engine] = side
            event.listen(engine, "engine_disposed", lambda _engine: side.dispose())
        return side


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 15_000,
    pool_size: int = 8,
    wal_autocheckpoint: int = DEFAULT_CHECKPOINT_PAGES,
) -> Engine:
    """An engine for ``url`` with the pragmas and transaction handling described above.

    ``wal_autocheckpoint``: the WAL size (pages) at which a committing writer copies the WAL
    into the database itself; raise it only where a ``Checkpointer`` runs.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        # A write that waits this long on a record another push holds gives up and is answered
        # 503 busy, never a request hanging until the client times out. Set per connection,
        # at connect: no extra round trip per transaction.
        return create_engine(
            url,
            pool_pre_ping=True,
            # A failed statement's error (logged with its traceback) names the SQL but not its
            # values, which may be a resident's details or a token's hash.
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=8,
            connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
        )
    engine = create_engine(
        url,
        hide_parameters=True,  # as above: no values in logged errors
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        pool_size=pool_size,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transactions out of the driver's hands so BEGIN IMMEDIATE is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a push answered is one the tablet drops from its outbox, so the commit must
        # survive a power cut too (NORMAL may lose the last commits, with nobody left holding
        # them). It costs one WAL fsync a write transaction.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: index updates stay in memory
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("writing") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for one read statement. On PostgreSQL it runs in autocommit: no
    ``BEGIN`` and ``ROLLBACK`` round trips around the statement (SQLite's are local calls,
    and its transactions are ours to begin, see ``_on_begin``)."""
    with engine.connect() as conn:
        yield conn if is_sqlite(conn) else conn.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (on SQLite holding the write lock); commits on success."""
    with engine.connect() as conn:
        conn = conn.execution_options(writing=True)
        with conn.begin():
            yield conn
    checkpointer = _CHECKPOINTERS.get(engine)
    if checkpointer is not None:
        checkpointer.nudge()


class Checkpointer:
    """Copies the SQLite WAL into the database file on a thread of its own.

    Left to itself, SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages:
    the push that happened to cross it paid for copying the previous pushes' pages into the
    database and for a second fsync, a third of the commit time of a 500-record push. The
    server's engine raises that threshold to ``BACKSTOP_PAGES`` (so the WAL stays bounded if
    this thread falls behind) and every write transaction nudges this thread, which runs a
    PASSIVE checkpoint: it blocks neither readers nor writers and copies only committed pages.
    Durability is unchanged: a commit is on disk once its WAL frames are fsynced.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        _CHECKPOINTERS[self._engine] = self
        self._thread.start()
        return self

    def nudge(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Checkpoint what is left and end the thread."""
        _CHECKPOINTERS.pop(self._engine, None)
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.checkpoint()
            if self._stopping:
                return

    def checkpoint(self) -> None:
        try:
            raw = self._engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cur.fetchall()
                cur.close()
            finally:
                raw.close()
        except Exception:  # a failed checkpoint leaves the WAL to the next one (or SQLite)
            log.warning("WAL checkpoint failed", exc_info=True)


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()


class WriteClash(Exception):
    """A record changed under a write transaction since it was read: run it again."""


T = TypeVar("T")
WRITE_ATTEMPTS = 8
# PostgreSQL: serialization failure, deadlock detected, unique violation (two pushes creating
# the same id or storing the same mutation_id at once). Each means "another transaction won
# this race": nothing was committed, and running the transaction again gives the right answer.
_RETRY_CODES = {"40001", "40P01", "23505"}
# Busy, not broken: the database could not be had in time, or its connection was lost under
# the request (a backend ended by an administrator, a failover, a restart): nothing of it was
# committed that a retry would not find (a push replays its stored results). Answered 503 busy
# + Retry-After, and the pool drops the dead connection.
_BUSY_CODES = {"55P03", "57014", "53300", "53400", "57P01", "57P02", "57P03"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """Lost a race with another writer: the transaction may simply be run again."""
    if isinstance(exc, WriteClash):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and _sqlstate(exc) in _RETRY_CODES


def is_busy(exc: BaseException) -> bool:
    """The database could not be had in time (lock wait, pool exhausted, SQLite locked, a
    race lost on every attempt)."""
    if isinstance(exc, (sa_exc.TimeoutError, WriteClash)):  # no pooled connection came free in time
        return True
    if isinstance(exc, sqlite3.OperationalError) or (
        isinstance(exc, sa_exc.OperationalError) and isinstance(exc.orig, sqlite3.OperationalError)
    ):
        return any(text_ in str(exc).lower() for text_ in _SQLITE_BUSY)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True  # the connection was lost under the request (see _BUSY_CODES)
    return isinstance(exc, sa_exc.DBAPIError) and _sqlstate(exc) in (_BUSY_CODES | _RETRY_CODES)


def run_write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """``work`` in a write transaction, run again (up to ``WRITE_ATTEMPTS``) when it lost a
    race with another writer. Still losing after that raises the last error, which the error
    handler answers as ``503 busy``."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with writing(engine) as conn:
                return work(conn)
        except (WriteClash, sa_exc.DBAPIError) as exc:
            if attempt == WRITE_ATTEMPTS or not is_retryable(exc):
                raise
            log.info("write lost a race (%s); attempt %d", type(exc).__name__, attempt + 1)
    raise AssertionError("unreachable")


def take_seqs(conn: Connection, count: int) -> list[int]:
    """``count`` new positions, ascending, for the rows this transaction writes.

    SQLite: consecutive values from the counter row (this is the only writer). PostgreSQL:
    first a shared advisory lock keyed by the sequence's ``last_value`` *as read before* any
    ``nextval`` of ours, held to the end of the transaction; so while this transaction is in
    flight, ``horizon`` stays below every position it holds.
    """
    if count <= 0:
        return []
    if is_sqlite(conn):
        top = conn.execute(
            text("UPDATE counter SET value = value + :n WHERE name = 'seq' RETURNING value"),
            {"n": count},
        ).scalar_one()
        first = int(top) - count + 1
        return list(range(first, first + count))
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock_shared(last_value) FROM record_seq")
    got = conn.execute(
        text("SELECT nextval('record_seq') FROM generate_series(1, :n)"), {"n": count}
    ).scalars()
    return sorted(int(v) for v in got)


_LOCK_FLOOR = text(
    "SELECT min((l.classid::bigint << 32) | l.objid::bigint) FROM pg_locks l "
    "WHERE l.locktype = 'advisory' AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def horizon(conn: Connection) -> tuple[int, int]:
    """(the highest position a pull may serve, the highest handed out).

    Every position at or below the first value has been committed or abandoned for good;
    above it a transaction may still commit. SQLite: the counter (a reader's snapshot holds
    every commit up to it). PostgreSQL: the sequence's ``last_value`` read *first*, then the
    lowest key of the writers' advisory locks; the pull's queries that follow take newer
    snapshots. See docs/sync-protocol.md for why no row can commit at or below it later.
    """
    if is_sqlite(conn):
        top = int(conn.execute(select(COUNTER.c.value).where(COUNTER.c.name == "seq")).scalar_one())
        return top, top
    issued = int(conn.exec_driver_sql("SELECT last_value FROM record_seq").scalar_one())
    floor = conn.execute(_LOCK_FLOOR).scalar()
    return (issued if floor is None else min(issued, int(floor))), issued


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) in one statement.

    On SQLite this goes straight to the driver's ``executemany``: SQLAlchemy's per-row
    parameter handling cost as much as the insert itself (a third of a 500-record push's
    database time). Each column's bind processor is applied once per distinct value (a batch
    writes one timestamp), so what is stored is exactly what SQLAlchemy would store.
    PostgreSQL keeps SQLAlchemy's path, whose multi-row VALUES beats a driver executemany.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    dialect = conn.dialect
    processed = [
        (i, process)
        for i, name in enumerate(names)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    memo: dict[tuple[int, Any], Any] = {}
    pick = operator.itemgetter(*names)
    params: list[Any] = []
    for row in rows:
        values = pick(row)
        if processed:
            values = list(values)
            for i, process in processed:
                value = values[i]
                if value is None:
                    continue
                if isinstance(value, (datetime, bool)):  # few distinct values: bind each once
                    key = (i, value)
                    if key not in memo:
                        memo[key] = process(value)
                    values[i] = memo[key]
                else:
                    values[i] = process(value)
        params.append(tuple(values))
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, params)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent): ``alembic upgrade head``."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
