"""FastAPI dependencies as ``Annotated`` aliases: settings, engine, clock, session, caller,
device.

The accessors of ``app.state`` are ``async def``: FastAPI runs a plain ``def`` dependency on
the thread pool, so each request made a hop there and back for each of four attribute reads.
What blocks (the caller's token, read from the database) stays ``def``.

Routes declare what they need (``user: CurrentUser``) and never build these themselves;
everything comes from ``app.state``, set by ``create_app(settings)``. The clock is the
server's "now" (``datetime.now(UTC)`` unless a test hands ``create_app`` another).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from server.db import reading, writing
from server.errors import Forbidden
from server.services.audit import AuditWriter
from server.services.auth import Principal, authenticate, touch_device
from server.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


async def get_engine(request: Request) -> Engine:
    engine = request.app.state.engine
    assert isinstance(engine, Engine)
    return engine


async def get_audit(request: Request) -> AuditWriter:
    audit = request.app.state.audit
    assert isinstance(audit, AuditWriter)
    return audit


async def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AuditDep = Annotated[AuditWriter, Depends(get_audit)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_user(
    request: Request, engine: EngineDep, settings: SettingsDep, clock: ClockDep
) -> Principal:
    now = clock()
    with reading(engine) as conn:  # one statement
        principal, stale = authenticate(
            conn,
            authorization=request.headers.get("authorization"),
            secret=settings.secret_key,
            now=now,
        )
    if stale:
        with writing(engine) as conn:
            touch_device(conn, principal.device_id, now=now)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def current_device(user: CurrentUser) -> str:
    """The id of the calling device (checked not revoked by ``current_user``)."""
    return user.device_id


CurrentDevice = Annotated[str, Depends(current_device)]


def manager(user: CurrentUser) -> Principal:
    if user.role != "manager":
        raise Forbidden("only a manager may do this")
    return user


CurrentManager = Annotated[Principal, Depends(manager)]
