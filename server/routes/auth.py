"""``POST /api/v1/auth/token``: a username and password, for one device, give a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from fieldapp.ids import to_wire
from server.db import utcnow, writing
from server.deps import CurrentUser, EngineDep, SettingsDep
from server.errors import server_time, text_ok
from server.services.auth import sign_in

router = APIRouter()


class TokenRequest(BaseModel):
    """The sign-in body (``docs/sync-protocol.md``, Auth and scope)."""

    model_config = ConfigDict(extra="ignore")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    device_id: str = Field(min_length=1, max_length=64)
    device_name: str = Field(default="", max_length=200)

    @field_validator("username", "password", "device_id", "device_name")
    @classmethod
    def _storable(cls, value: str) -> str:
        if not text_ok(value):
            raise ValueError("text the server cannot store")
        return value


@router.post("/auth/token")
def token(body: TokenRequest, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    now = utcnow()
    with writing(engine) as conn:
        access_token, expires_at, who = sign_in(
            conn,
            username=body.username,
            password=body.password,
            device_id=body.device_id,
            device_name=body.device_name,
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


@router.get("/auth/me")
def me(user: CurrentUser) -> dict[str, Any]:
    """Who this token belongs to (and a cheap way to check it still works)."""
    return {"user": user.public(), "device_id": user.device_id, "server_time": server_time()}
