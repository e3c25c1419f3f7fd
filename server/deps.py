"""FastAPI dependencies as ``Annotated`` aliases: settings, engine, session, caller, device.

Routes declare what they need (``user: CurrentUser``) and never build these themselves;
everything comes from ``app.state``, set by ``create_app(settings)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from server.db import utcnow, writing
from server.errors import Forbidden
from server.services.audit import AuditWriter
from server.services.auth import Principal, authenticate, touch_device
from server.settings import Settings


def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def get_engine(request: Request) -> Engine:
    engine = request.app.state.engine
    assert isinstance(engine, Engine)
    return engine


def get_audit(request: Request) -> AuditWriter:
    audit = request.app.state.audit
    assert isinstance(audit, AuditWriter)
    return audit


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AuditDep = Annotated[AuditWriter, Depends(get_audit)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_user(request: Request, engine: EngineDep, settings: SettingsDep) -> Principal:
    now = utcnow()
    with engine.connect() as conn:
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
