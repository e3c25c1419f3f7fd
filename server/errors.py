"""Errors a client may see, and the one handler that turns them into HTTP responses.

Expected outcomes of a sync (a rejected mutation, a conflict) are return values, not
exceptions. What stops a request is raised as one of these::

    Exception
     └── ApiError(status, code, message, detail=None)   any error a client is meant to see
          ├── BadRequest         400 bad_request / invalid_json / unsupported_schema_version
          │                          413 payload_too_large, too_many_mutations
          │                          422 validation_failed
          ├── AuthError          401 unauthenticated / bad_credentials / token_expired /
          │                          device_revoked / account_disabled
          ├── Forbidden          403 forbidden / forbidden_field
          ├── NotFound           404 not_found
          ├── ResyncRequired     410 resync_required
          ├── RateLimited        429 rate_limited (with ``Retry-After``)
          └── Busy               503 busy (with Retry-After)

Every error body is ``{"error": {"code", "message", "detail"}, "server_time"}``, and carries
the same ``server_time`` in a ``Server-Time`` header. ``install(app)`` also maps
FastAPI's request-validation errors, Starlette's HTTP errors and any unexpected exception to
documented codes: no stack trace, no internals and no submitted value ever reach a client.
A database that cannot be had in time (SQLite locked past its busy timeout, a PostgreSQL lock
wait or a race lost too often, no pooled connection free) is ``503 busy`` with ``Retry-After``:
busy is not an error, and nothing was committed.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from fieldapp.ids import to_wire

log = logging.getLogger("server.errors")

# Every code the server emits, with its HTTP status (the table of docs/sync-protocol.md).
HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "invalid_json": 400,
    "validation_failed": 422,
    "unknown_entity": 422,
    "unknown_field": 422,
    "read_only_field": 422,
    "forbidden": 403,
    "forbidden_field": 403,
    "not_found": 404,
    "unauthenticated": 401,
    "bad_credentials": 401,
    "token_expired": 401,
    "device_revoked": 401,
    "account_disabled": 401,
    "unsupported_schema_version": 400,
    "too_many_mutations": 413,
    "payload_too_large": 413,
    "mutation_id_reused": 409,
    "resync_required": 410,
    "rate_limited": 429,
    "blob_hash_mismatch": 422,
    "blob_offset_mismatch": 409,
    "bad_content_range": 400,
    "not_an_image": 415,
    "image_too_large": 413,
    "unsupported_media_type": 415,
    "blob_not_yours": 403,
    "author_mismatch": 403,
    "upload_quota_exceeded": 429,
    "device_in_use": 409,
    "conflict_not_open": 409,
    "record_deleted": 409,
    "link_invalid": 403,
    "link_expired": 410,
    "future_time": 422,
    "internal_error": 500,
    "busy": 503,
}
RETRY_AFTER_SECONDS = 2  # what a busy answer asks a client to wait before sending it again


class ApiError(Exception):
    """An error a client is meant to see: HTTP status, stable code, a sentence for a person."""

    headers: dict[str, str] | None = None  # extra response headers (``Retry-After``)

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    @classmethod
    def of(cls, code: str, message: str, detail: Any = None) -> ApiError:
        """The error for ``code`` with its documented status."""
        return cls(HTTP_STATUS[code], code, message, detail)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "detail": self.detail}}


class BadRequest(ApiError):
    """The request itself is unusable (syntax, size, schema version, field values)."""

    def __init__(self, code: str, message: str, detail: Any = None) -> None:
        super().__init__(HTTP_STATUS[code], code, message, detail)


class AuthError(ApiError):
    """No valid credentials: missing, wrong, expired, or the device was revoked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(401, code, message)


class Forbidden(ApiError):
    """Authenticated, but this role or scope may not do that."""

    def __init__(self, message: str, code: str = "forbidden", detail: Any = None) -> None:
        super().__init__(403, code, message, detail)


class NotFound(ApiError):
    """No such resource, or one the caller may not know exists."""

    def __init__(self, message: str = "not found") -> None:
        super().__init__(404, "not_found", message)


class Busy(ApiError):
    """The database could not take this request in time: send it again after Retry-After."""

    def __init__(self, message: str = "the server is busy; try again shortly") -> None:
        super().__init__(503, "busy", message)


class ResyncRequired(ApiError):
    """The pull cursor cannot be served: the device downloads afresh and keeps its outbox."""

    def __init__(self, message: str) -> None:
        super().__init__(410, "resync_required", message)


# On every answer (``server.middleware`` adds them; errors carry them too, for the 500s sent
# past it): no MIME sniffing, and nothing personal left in a cache on the way.
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class RateLimited(ApiError):
    """Too many attempts: try again after ``retry_after`` seconds (also in ``detail``)."""

    def __init__(self, message: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(429, "rate_limited", message, {"retry_after": seconds})
        self.headers = {"Retry-After": str(seconds)}


def text_ok(value: str) -> bool:
    """Can the database store this text? (UTF-8 without lone surrogates, and no NUL.)"""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def server_time() -> str:
    """Now, in the wire form of every ``server_time`` (body key and ``Server-Time`` header)."""
    return to_wire(datetime.now(UTC))


def error_response(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error body every failing request gets."""
    now = server_time()
    body = {"error": {"code": code, "message": message, "detail": detail}, "server_time": now}
    # Set here too: a 500 is sent by Starlette's outermost middleware, past the one that stamps.
    headers = {**(headers or {}), "Server-Time": now, **SECURITY_HEADERS}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status in (429, 503):  # an error that knows its wait (a sign-in throttle) says it
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return Response(
        json.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """The code and the problems, naming each location but never echoing the input."""
    problems: list[dict[str, Any]] = []
    code = "validation_failed"
    for err in exc.errors():
        kind = str(err.get("type", ""))
        if kind in ("json_invalid", "json_type"):
            code = "invalid_json"
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query")]
        problems.append({"field": ".".join(loc), "problem": kind or "invalid"})
    return code, problems


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.detail, exc.headers)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    code, problems = _validation_detail(exc)
    if code == "invalid_json":
        return error_response(400, code, "the request body is not valid JSON")
    return error_response(422, code, "the request is not in the expected form", problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(404, "not_found", "no such resource")
    if exc.status_code == 405:
        return error_response(405, "bad_request", "this method is not allowed here")
    if exc.status_code == 401:
        return error_response(401, "unauthenticated", "sign in first")
    if exc.status_code == 413:
        return error_response(413, "payload_too_large", "the request body is too large")
    if exc.status_code >= 500:
        return error_response(500, "internal_error", "the server could not do that")
    return error_response(exc.status_code, "bad_request", "the request could not be understood")


async def _database(request: Request, exc: Exception) -> Response:
    from server.db import is_busy

    if is_busy(exc):
        log.warning("busy on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_response(503, "busy", "the server is busy; try again shortly")
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Logged with its traceback on the server; the client only learns that it failed.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "the server could not do that; try again")


def install(app: FastAPI) -> None:
    """Register the handlers: the one place codes become HTTP responses."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    from server.db import WriteClash

    for database_error in (
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,
        sqlite3.OperationalError,
        WriteClash,
    ):
        app.add_exception_handler(database_error, _database)
    app.add_exception_handler(Exception, _unexpected)
