"""The central sync server: ``create_app(settings)`` builds the FastAPI application.

Nothing here connects to a database or reads the environment at import time: the CLI
(``python -m server``) builds ``Settings.from_env()``, upgrades the schema and serves
``create_app(settings)``; tests hand in their own settings.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from server.settings import Settings

log = logging.getLogger("server")


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The application for ``settings`` (the schema must be upgraded: ``server.db.upgrade``).

    ``clock`` is the server's "now" for sign-in, token expiry, pushes, pulls and device
    records (default ``server.db.utcnow``): tests hand in one they move themselves.
    """
    from fastapi import APIRouter, FastAPI
    from starlette.middleware.gzip import GZipMiddleware

    from fieldapp.sync.protocol import API_PREFIX
    from server import blobs, errors, schemas, tiles
    from server.db import BACKSTOP_PAGES, Checkpointer, is_sqlite, make_engine, utcnow
    from server.middleware import RequestBodyMiddleware
    from server.routes import audit, auth, devices, exports, health, report_links, sync
    from server.services.audit import AuditWriter
    from server.services.auth import dummy_hash
    from server.services.passwords import HashPool
    from server.services.throttle import SignInThrottle

    own_engine = engine is None
    db = engine or make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        wal_autocheckpoint=BACKSTOP_PAGES,
    )

    hash_pool = HashPool()
    audit_writer = AuditWriter(db, busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer(db).start() if is_sqlite(db) else None
        audit_writer.start()
        dummy_hash()  # made now, so the first unknown username costs no more than the next
        _settle_heap()
        yield
        hash_pool.shutdown()
        audit_writer.stop()
        if checkpointer is not None:
            checkpointer.stop()
        if own_engine:
            db.dispose()

    app = FastAPI(
        title="Estate walkabout sync server",
        version="1",
        lifespan=lifespan,
        # The API's map is for developers, not for whoever finds the server: off unless
        # API_DOCS=1 (docs/server.md).
        openapi_url=f"{API_PREFIX}/openapi.json" if settings.api_docs else None,
        docs_url=f"{API_PREFIX}/docs" if settings.api_docs else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = db
    # Sign-in: in-memory back-off per process, and password hashing on a few threads only.
    app.state.signin_throttle = SignInThrottle()
    app.state.hash_pool = hash_pool
    app.state.audit = audit_writer
    app.state.clock = clock or utcnow
    errors.install(app)
    schemas.install(app)
    # Outermost last: bodies are size-checked and inflated before any route sees them.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=settings.gzip_level)
    app.add_middleware(
        RequestBodyMiddleware,
        max_body=settings.max_body_bytes,
        max_blob_body=settings.max_blob_bytes,
        blob_prefix=f"{API_PREFIX}/blobs/",
    )
    api = APIRouter(prefix=API_PREFIX)
    for module in (health, auth, devices, sync, exports, blobs, tiles, report_links, audit):
        api.include_router(module.router)
    app.include_router(api)
    return app


def _settle_heap() -> None:
    """Take what start-up built out of the garbage collector's sight.

    The modules, routes and SQLAlchemy structures live as long as the process, yet every full
    collection walked all of them: a push of 10,000 records paid for a few such walks (about
    70 ms each). The policy is built first, so it is frozen with the rest.
    """
    from server.services import derivation

    derivation.warm()
    gc.collect()
    gc.freeze()
