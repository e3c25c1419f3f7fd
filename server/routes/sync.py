"""``POST /api/v1/sync/push`` and ``GET /api/v1/sync/pull``: the two sync endpoints.

Bodies are read and written as JSON text directly (no response models): a push of 500
mutations or a page of 1,000 records must not pay for validation layers twice
(``bench/push_parse_bench.py`` measures the hand parser against pydantic). Their schemas
reach the OpenAPI document from ``server/schemas.py`` through ``openapi_extra``. The database
work runs in the thread pool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from fieldapp.ids import to_wire
from fieldapp.sync.protocol import (
    ACCEPTED_SCHEMA_VERSIONS,
    DEFAULT_PULL_LIMIT,
    MAX_MUTATIONS_PER_PUSH,
    MAX_PULL_LIMIT,
    SCHEMA_VERSION,
)
from server.db import run_write
from server.deps import AuditDep, ClockDep, CurrentUser, EngineDep, SettingsDep
from server.errors import BadRequest, Forbidden, text_ok
from server.schemas import PullResponse, PushRequest, PushResponse, operation
from server.services import pull as pull_service
from server.services import scope as scopes
from server.services.audit import rows_for
from server.services.auth import Principal
from server.services.push import Push

router = APIRouter()


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


# A JSON escape of half a surrogate pair (UTF-8, and so the database, cannot hold one), or of
# NUL (PostgreSQL text cannot): when one appears, every string is checked.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def _unicode_ok(value: Any) -> bool:
    """Every string in ``value`` can be written as UTF-8 (checked only when escapes hint not)."""
    if isinstance(value, str):
        return text_ok(value)
    if isinstance(value, dict):
        return all(_unicode_ok(k) and _unicode_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_unicode_ok(v) for v in value)
    return True


def _check_text(body: Any) -> None:
    """Refuse the whole body for unstorable text that belongs to no one mutation.

    Called only when the raw body holds a suspect escape. Text inside a mutation is left to
    the mutation's own checks (a rejected result naming the field, the queue goes on); text
    anywhere else (``device_id``, other top-level keys) makes the body unreadable.
    """
    if not isinstance(body, dict):
        ok = _unicode_ok(body)
    else:
        ok = all(
            _unicode_ok(k) and (k == "mutations" and isinstance(v, list) or _unicode_ok(v))
            for k, v in body.items()
        )
    if not ok:
        raise BadRequest("invalid_json", "the body holds text that is not valid Unicode")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity would poison every later reader


def _loads(raw: bytes) -> Any:
    """The body as JSON, refusing NaN, Infinity and numbers too large for a float."""
    return json.loads(raw, parse_constant=_no_constant, parse_float=_finite)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large a number")  # 1e400 would store Infinity
    return value


def _invalid(field: str, message: str, problem: str) -> BadRequest:
    """``422 validation_failed`` of the request, with its ``[{"field", "problem"}]`` detail."""
    return BadRequest("validation_failed", message, [{"field": field, "problem": problem}])


def _schema(value: Any) -> int:
    """The schema version: a JSON integer (a query parameter arrives as one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid("schema_version", "schema_version must be a whole number", "not an integer")
    if value not in ACCEPTED_SCHEMA_VERSIONS:
        accepted = sorted(ACCEPTED_SCHEMA_VERSIONS)
        raise BadRequest(
            "unsupported_schema_version",
            "this schema_version is not served; accepted: " + ", ".join(map(str, accepted)),
            {"accepted": accepted},
        )
    return value


def read_push(raw: bytes, *, device_id: str) -> tuple[list[Any], bool]:
    """The mutations of a push body from the device ``device_id`` and whether it asks for
    lean results, the envelope checked.

    Each mutation is left as decoded: ``Push`` checks it and refuses it alone if need be.
    """
    try:
        body = _loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("invalid_json", "the request body is not valid JSON") from None
    if _SUSPECT_ESCAPE.search(raw):
        _check_text(body)
    if not isinstance(body, dict):
        raise _invalid("body", "the body must be an object with mutations", "not an object")
    _schema(body.get("schema_version"))
    sent_by = body.get("device_id")
    if sent_by is not None and not isinstance(sent_by, str):
        raise _invalid("device_id", "device_id must be a string", "not a string")
    if sent_by is not None and sent_by != device_id:
        raise Forbidden("device_id does not match the device this token was issued to")
    mutations = body.get("mutations")
    if not isinstance(mutations, list):
        raise _invalid("mutations", "mutations must be a list", "not a list")
    if len(mutations) > MAX_MUTATIONS_PER_PUSH:
        raise BadRequest(
            "too_many_mutations",
            f"at most {MAX_MUTATIONS_PER_PUSH} mutations per push (got {len(mutations)})",
        )
    lean = body.get("lean", False)
    if not isinstance(lean, bool):
        raise _invalid("lean", "lean must be true or false", "not a boolean")
    return mutations, lean


@router.post(
    "/sync/push",
    summary="Send outbox mutations",
    openapi_extra=operation(
        request=PushRequest, ok=PushResponse, errors=(400, 401, 403, 413, 415, 422)
    ),
)
async def push(request: Request, user: CurrentUser, engine: EngineDep, clock: ClockDep) -> Response:
    """Apply the mutations in order, in one transaction: one result each (applied, merged,
    conflict or rejected). A refused mutation is a ``rejected`` result, not an HTTP error."""
    mutations, lean = read_push(await request.body(), device_id=user.device_id)
    results, now = await run_in_threadpool(_push, engine, user, mutations, lean, clock)
    # Each result is already JSON text (as stored for replays): joined, not re-encoded.
    return _json(
        '{"results":[' + ",".join(results) + '],"server_time":' + json.dumps(to_wire(now)) + "}"
    )


def _push(
    engine: Any,
    user: Principal,
    mutations: list[Any],
    lean: bool,
    clock: Callable[[], datetime],
) -> tuple[list[str], Any]:
    def attempt(conn: Any) -> tuple[list[str], Any]:
        now = clock()  # inside the transaction (SQLite: after the write lock)
        scope = scopes.resolve(conn, user)
        return Push(conn, scope=scope, now=now, lean=lean).run(mutations), now

    # Run again if another push won a race for the same records (PostgreSQL): see run_write.
    return run_write(engine, attempt)


# The query parameters as the OpenAPI document shows them; values arrive already checked.
Cursor = Annotated[
    str | None,
    Query(description="next_cursor of the last page; absent for a first download"),
]
Limit = Annotated[
    int,
    Query(
        ge=1,
        description=f"Records per page, 1-{MAX_PULL_LIMIT}; larger values are lowered to "
        f"{MAX_PULL_LIMIT}",
    ),
]
OmitOwn = Annotated[
    Literal["0", "1"],
    Query(
        description="1: leave out records whose current version this device was told "
        "in a push result (docs/sync-protocol.md)"
    ),
]
SchemaVersion = Annotated[
    str | None,
    Query(
        pattern=r"^ *-?[0-9]{1,9} *$",  # digits only: "1.0" is not a version
        description=f"Digits; default {SCHEMA_VERSION}; covered by the cursor (another: 410)",
    ),
]


@router.get(
    "/sync/pull",
    summary="Download a page of changes",
    openapi_extra=operation(ok=PullResponse, errors=(400, 401, 410, 422)),
)
def pull(
    user: CurrentUser,
    engine: EngineDep,
    settings: SettingsDep,
    audit: AuditDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PULL_LIMIT,
    omit_own: OmitOwn = "0",
    schema_version: SchemaVersion = None,
) -> Response:
    """The records in the caller's scope changed since ``cursor``, each once in its latest
    state and projected for the role, and the records that left the scope."""
    # The cursor covers the schema: one made under another version is not served (410).
    schema = SCHEMA_VERSION if schema_version is None else _schema(int(schema_version))
    now = clock()
    with engine.connect() as conn:
        with conn.begin():  # one snapshot on SQLite; a consistent prefix on PostgreSQL
            scope = scopes.resolve(conn, user)
            body, sent = pull_service.pull_page(
                conn,
                scope=scope,
                cursor=cursor or None,
                limit=min(limit, MAX_PULL_LIMIT),
                secret=settings.secret_key,
                server_time=to_wire(now),
                omit_device=user.device_id if omit_own == "1" else None,
                schema=schema,
            )
    # Its own short transaction, after the answer is made: a busy database delays the audit
    # row (queued, retried, never dropped silently), never the pull.
    audit.record(
        rows_for(user_id=user.user_id, device_id=user.device_id, action="pull", at=now, read=sent)
    )
    return _json(body)
