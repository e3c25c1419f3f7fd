"""Sign-in, sign-out and password change (``/api/v1/auth/…``).

A sign-in reads the user, asks the throttle (``server.services.throttle``), checks the
password on the bounded hashing pool (``server.services.passwords``) without blocking the
event loop, and only then takes the writers' lock, briefly, to register the device and store
the token. A wrong password writes nothing at all.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from fieldapp.ids import to_wire
from server.db import utcnow, writing
from server.deps import ClockDep, CurrentUser, EngineDep, SettingsDep
from server.errors import AuthError, BadRequest, RateLimited, server_time, text_ok
from server.services import auth
from server.services.passwords import HashPool, policy_problem
from server.services.throttle import SignInThrottle
from server.settings import Settings

router = APIRouter()


def _storable(value: str) -> str:
    if not text_ok(value):
        raise ValueError("text the server cannot store")
    return value


class TokenRequest(BaseModel):
    """The sign-in body (``docs/sync-protocol.md``, Auth and scope)."""

    model_config = ConfigDict(extra="ignore")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    device_id: str = Field(min_length=1, max_length=64)
    device_name: str = Field(default="", max_length=200)

    _text = field_validator("username", "password", "device_id", "device_name")(_storable)


class PasswordChange(BaseModel):
    """``POST /auth/password``: the current password and the new one."""

    model_config = ConfigDict(extra="ignore")
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)

    _text = field_validator("current_password", "new_password")(_storable)


def _address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's ``X-Forwarded-For`` here)."""
    return request.client.host if request.client else "unknown"


def _guards(request: Request) -> tuple[SignInThrottle, HashPool]:
    throttle, pool = request.app.state.signin_throttle, request.app.state.hash_pool
    assert isinstance(throttle, SignInThrottle) and isinstance(pool, HashPool)
    return throttle, pool


async def _check_password(
    request: Request, *, username: str, password: str, candidate: auth.SignInCandidate
) -> None:
    """Throttle, then verify on the pool; raises unless the password is right."""
    throttle, pool = _guards(request)
    address = _address(request)
    known = candidate.known_device
    wait = throttle.attempt(username, address, known_device=known, now=time.monotonic())
    if wait > 0:
        raise RateLimited("too many sign-in attempts; try again later", wait)
    ok = await pool.run(auth.check_password, password, candidate.password_hash)
    if ok is None:  # the pool is full: this attempt was never judged, so it is not held against
        throttle.refund(username, address, known_device=known)
        raise RateLimited("the server is busy signing others in; try again in a moment", 1)
    if not ok or candidate.user_id is None:
        raise AuthError("bad_credentials", "wrong username or password")
    throttle.succeeded(username, address, known_device=known)


def _issue(
    engine: Engine,
    settings: Settings,
    *,
    user_id: str,
    device_id: str,
    device_name: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    with writing(engine) as conn:
        access_token, expires_at, who = auth.issue_token(
            conn,
            user_id=user_id,
            device_id=device_id,
            device_name=device_name,
            secret=settings.secret_key,
            lifetime=timedelta(seconds=settings.token_lifetime_seconds),
            now=now,
        )
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_at": to_wire(expires_at),
        "user": who.public(),
        "server_time": to_wire(now),
    }


def _candidate(engine: Engine, username: str, device_id: str) -> auth.SignInCandidate:
    with engine.connect() as conn:
        return auth.find_candidate(conn, username=username, device_id=device_id)


@router.post("/auth/token")
async def token(
    body: TokenRequest, request: Request, engine: EngineDep, settings: SettingsDep, clock: ClockDep
) -> dict[str, Any]:
    candidate = await run_in_threadpool(_candidate, engine, body.username, body.device_id)
    await _check_password(
        request, username=body.username, password=body.password, candidate=candidate
    )
    assert candidate.user_id is not None
    return await run_in_threadpool(
        lambda: _issue(
            engine,
            settings,
            user_id=str(candidate.user_id),
            device_id=body.device_id,
            device_name=body.device_name,
            now=clock(),
        )
    )


@router.post("/auth/logout")
def logout(request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep) -> Any:
    """End the calling token (the device keeps its data; signing in again resumes)."""
    raw = request.headers.get("authorization", "").partition(" ")[2].strip()
    with writing(engine) as conn:
        auth.end_tokens(conn, hashed=auth.token_hash(raw, settings.secret_key))
    return {"signed_out": True, "server_time": server_time()}


@router.post("/auth/password")
async def change_password(
    body: PasswordChange,
    request: Request,
    user: CurrentUser,
    engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Change one's own password: every token of the user ends; this device gets a new one."""
    candidate = await run_in_threadpool(_candidate, engine, user.username, user.device_id)
    await _check_password(
        request, username=user.username, password=body.current_password, candidate=candidate
    )
    problem = policy_problem(body.new_password, username=user.username)
    if problem is not None:
        raise BadRequest(
            "validation_failed", problem, [{"field": "new_password", "problem": "policy"}]
        )
    _, pool = _guards(request)
    new_hash = await pool.run(auth.hash_password, body.new_password)
    if new_hash is None:
        raise RateLimited("the server is busy signing others in; try again in a moment", 1)

    def store() -> dict[str, Any]:
        with writing(engine) as conn:
            auth.replace_password(conn, user_id=user.user_id, password_hash=new_hash)
        return _issue(
            engine,
            settings,
            user_id=user.user_id,
            device_id=user.device_id,
            device_name="",
        )

    return await run_in_threadpool(store)


@router.get("/auth/me")
async def me(user: CurrentUser) -> dict[str, Any]:
    """Who this token belongs to (and a cheap way to check it still works)."""
    return {"user": user.public(), "device_id": user.device_id, "server_time": server_time()}
