"""Photo uploads: each blob the store holds goes to the server in resumable, checked chunks.

For every pending ``(sha256, path, size)``: ``HEAD`` asks how far the server got (200 it has
it, 404 start at 0, 308 resume at ``Upload-Offset``), then ``PUT`` sends chunks with
``Content-Range: bytes START-END/TOTAL`` until the server holds all of it, and the store is
told so. Records never wait for this (docs/sync-protocol.md, Photos).

What can go wrong, and what happens:
- the connection drops (``NetworkError``): it propagates, the engine retries later, and the
  next attempt resumes where the server got to, not from byte 0;
- the server refuses the blob (a 4xx with an error code: not an image, too large, hash
  mismatch): it is reported through ``on_rejected`` (and the log), the queue moves on, and the
  refusal is remembered in the store's meta (``blob_rejected:{sha256}``) so the blob waits out
  a growing cooldown (15 min, 1 h, 4 h, then daily) instead of being re-sent every round;
- the local file is missing or no longer matches its hash: reported the same way, no bytes
  sent;
- a 5xx or 429 (``ServerError``) and a 401 (``AuthError``) propagate like a network error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fieldapp.ids import from_wire, to_wire
from fieldapp.sync.protocol import API_PREFIX
from fieldapp.sync.transport import Transport, TransportResponse, check_response

log = logging.getLogger("fieldapp.sync.blobs")

BLOBS_PATH = API_PREFIX + "/blobs/"
DEFAULT_CHUNK = 256 * 1024
# A server that keeps naming a different offset is not making progress; stop after this many
# corrections in a row rather than loop.
_MAX_OFFSET_CORRECTIONS = 3
_REJECTED_KEY = "blob_rejected:"
_COOLDOWN_FIRST = timedelta(minutes=15)
_COOLDOWN_MAX = timedelta(days=1)


class BlobStore(Protocol):
    """What this module needs from ``fieldapp.store.Store``."""

    def pending_blobs(self) -> Iterable[tuple[str, str | os.PathLike[str], int]]: ...

    def mark_blob_uploaded(self, sha256: str) -> None: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str | None) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BlobRejection:
    """Why one blob was not uploaded; ``code`` is a wire error code or a local one."""

    sha256: str
    status: int  # HTTP status, 0 when the problem was found on the device
    code: str
    message: str


class _Rejected(Exception):
    def __init__(self, rejection: BlobRejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Headers may arrive as a plain dict from a test transport: match without case.
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _error_of(response: TransportResponse) -> tuple[str, str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(err, Mapping):
        return str(err.get("code") or ""), str(err.get("message") or ""), err.get("detail")
    return "", "", None


def _offset_from(response: TransportResponse) -> int | None:
    raw = _header(response.headers, "Upload-Offset")
    if raw is None:
        _code, _message, detail = _error_of(response)
        if isinstance(detail, Mapping) and isinstance(detail.get("offset"), int):
            return int(detail["offset"])
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _fail(sha256: str, response: TransportResponse) -> _Rejected:
    """A refusal of this blob; raises instead for answers about the server or the sign-in."""
    if response.status == 401 or response.status == 429 or response.status >= 500:
        check_response(response)  # raises AuthError / ServerError for the engine
    code, message, _detail = _error_of(response)
    return _Rejected(
        BlobRejection(
            sha256, response.status, code or "bad_request", message or f"HTTP {response.status}"
        )
    )


def _read_checked(sha256: str, path: str | os.PathLike[str], size: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise _Rejected(
            BlobRejection(sha256, 0, "file_missing", f"the photo file cannot be read: {exc}")
        ) from None
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise _Rejected(
            BlobRejection(
                sha256, 0, "file_corrupt", "the photo file on this device has changed or is damaged"
            )
        )
    return data


def _server_offset(transport: Transport, sha256: str, size: int) -> int | None:
    """Where to start: None if the server already has the blob."""
    response = transport.request("HEAD", BLOBS_PATH + sha256)
    if response.status == 200:
        return None
    if response.status == 404:
        return 0
    if response.status == 308:
        offset = _offset_from(response)
        return offset if offset is not None and 0 <= offset <= size else 0
    raise _fail(sha256, response)


def _send(
    transport: Transport,
    sha256: str,
    data: bytes,
    offset: int,
    *,
    chunk_size: int,
    on_progress: Callable[[int], None],
) -> None:
    """PUT chunks from ``offset`` until the server reports the blob complete."""
    total = len(data)
    corrections = 0
    while True:
        end = min(offset + chunk_size, total) - 1
        response = transport.request(
            "PUT",
            BLOBS_PATH + sha256,
            data=data[offset : end + 1],
            headers={
                "Content-Range": f"bytes {offset}-{end}/{total}",
                "Content-Type": "image/jpeg",
            },
        )
        status = response.status
        if status in (200, 201):
            on_progress(total)
            return
        mismatch = status == 409 and _error_of(response)[0] == "blob_offset_mismatch"
        if status in (202, 308) or mismatch:
            reported = _offset_from(response)
            if reported is None or not 0 <= reported < total:
                raise _fail(sha256, response)
            if mismatch:  # our idea of the offset was wrong: take the server's
                corrections += 1
                if corrections > _MAX_OFFSET_CORRECTIONS:
                    raise _fail(sha256, response)
            else:
                corrections = 0
            offset = reported
            on_progress(offset)
            continue
        raise _fail(sha256, response)


def _cooling_down(store: BlobStore, sha256: str, now: datetime) -> bool:
    raw = store.get_meta(_REJECTED_KEY + sha256)
    if raw is None:
        return False
    try:
        retry_at = from_wire(json.loads(raw)["retry_at"])
    except (ValueError, KeyError, TypeError):
        return False
    return now < retry_at


def _remember(store: BlobStore, rejection: BlobRejection, now: datetime) -> None:
    key = _REJECTED_KEY + rejection.sha256
    count = 0
    raw = store.get_meta(key)
    if raw is not None:
        try:
            count = int(json.loads(raw).get("count", 0))
        except (ValueError, TypeError, AttributeError):
            count = 0
    count += 1
    cooldown = min(_COOLDOWN_FIRST * 4 ** (count - 1), _COOLDOWN_MAX)
    entry = {
        "status": rejection.status,
        "code": rejection.code,
        "message": rejection.message,
        "count": count,
        "retry_at": to_wire(now + cooldown),
    }
    store.set_meta(key, json.dumps(entry))


def upload_pending(
    *,
    store: BlobStore,
    transport: Transport,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    on_rejected: Callable[[BlobRejection], None] | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> int:
    """Upload every pending blob; returns how many were marked uploaded in this pass.

    That count includes blobs the server turned out to hold already (HEAD 200).
    ``progress(done_bytes, total_bytes)`` covers the whole pass; ``on_rejected`` hears of each
    blob refused (by the server or the device's own check); blobs cooling down after a refusal
    are skipped. ``NetworkError``, ``ServerError`` and ``AuthError`` propagate: the caller
    retries later and the upload resumes where the server got to.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    now = clock()
    pending = [
        (sha, path, int(size))
        for sha, path, size in store.pending_blobs()
        if not _cooling_down(store, sha, now)
    ]
    grand_total = sum(size for _sha, _path, size in pending)
    finished = 0
    uploaded = 0

    def report(done_in_blob: int) -> None:
        if progress is not None:
            progress(finished + done_in_blob, grand_total)

    for sha256, path, size in pending:
        try:
            data = _read_checked(sha256, path, size)
            offset = _server_offset(transport, sha256, size)
            if offset is not None:
                report(offset)
                _send(transport, sha256, data, offset, chunk_size=chunk_size, on_progress=report)
        except _Rejected as rejected:
            rejection = rejected.rejection
            log.warning(
                "photo %s not uploaded: %s (%s)", sha256[:12], rejection.message, rejection.code
            )
            _remember(store, rejection, now)
            if on_rejected is not None:
                on_rejected(rejection)
            finished += size
            report(0)
            continue
        store.mark_blob_uploaded(sha256)
        if store.get_meta(_REJECTED_KEY + sha256) is not None:
            store.set_meta(_REJECTED_KEY + sha256, None)
        uploaded += 1
        finished += size
        report(0)
    return uploaded
