"""Photo blobs: resumable, verified uploads and scoped downloads, named by their SHA-256.

``HEAD /api/v1/blobs/{sha256}`` says how far the caller's upload got (200 complete, 308 with
``Upload-Offset`` partial, 404 unknown); ``PUT`` appends one chunk at the offset named by
``Content-Range: bytes START-END/TOTAL``, or without ``Content-Range`` carries the whole blob
(and replaces the caller's partial upload of it); the chunk that completes the blob triggers
the checks (the hash, then ``server.images``: a well-formed JPEG/PNG/WebP within the canvas
limits, metadata removed, whatever Content-Type said) and the blob is stored with a 256 px
thumbnail. ``GET`` (``?size=thumb``) serves it to users who may read a backed ``photo``
record naming it; to anyone else it does not exist.

Bytes belong to whoever sent them (``server.services.blob_access``): "complete" is said only
to a device that uploaded them or a user who may read them. Anyone else is answered as if
the server had never seen the bytes and sends them all (proof of possession); the server then
keeps one copy and credits that device too. Each device's upload is its own
(``server.blob_files``): counted against a per-device quota, expired when abandoned.

A blob is complete exactly when its final file exists; that file appears by an atomic rename
after its thumbnail, and its rows are written after that, so a crash never leaves a row
claiming a file that is not there (a device not yet credited simply uploads again).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from datetime import timedelta
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import Engine, delete, select

from fieldapp.photos import PhotoError
from server.blob_files import (
    BlobFiles,
    fsync_dir,
    locked_partial,
    owner_key,
    private_dir,
    sweep,
    write_private,
)
from server.db import utcnow, writing
from server.deps import CurrentUser, EngineDep, SettingsDep
from server.errors import ApiError, BadRequest, NotFound, server_time
from server.images import ImageGate, ImageLimits
from server.models import BLOB, BLOB_UPLOAD
from server.services import blob_uploads as uploads
from server.services.auth import Principal
from server.services.blob_access import credit, knows
from server.services.scope import can_read_blob
from server.settings import Settings

router = APIRouter()

PREFIX = "/blobs"  # mounted under API_PREFIX by create_app
THUMB_SIDE = 256
_SHA = re.compile(r"[0-9a-f]{64}")  # with fullmatch: no trailing newline, no capitals
_RANGE = re.compile(r"bytes (\d{1,15})-(\d{1,15})/(\d{1,15})")
# What Content-Type may say (absent counts as octet-stream); the bytes decide the stored type.
_ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
_SWEEP_EVERY = 60.0  # seconds between sweeps of expired partial uploads
_APP_LOCK = threading.Lock()
log = logging.getLogger("server.blobs")


def _sha(raw: str) -> str:
    if not _SHA.fullmatch(raw):
        raise BadRequest(
            "bad_request", "a blob is named by the 64 lowercase hex digits of its SHA-256"
        )
    return raw


def _limits(settings: Settings) -> ImageLimits:
    return ImageLimits(
        max_side=settings.max_image_side,
        max_pixels=settings.max_image_pixels,
        max_webp_pixels=min(settings.max_webp_pixels, settings.max_image_pixels),
        max_bytes=settings.max_blob_bytes,
        thumb_side=THUMB_SIDE,
    )


def _gate(app: FastAPI, settings: Settings) -> ImageGate:
    """The app's bound on concurrent image work (made on first use)."""
    with _APP_LOCK:
        gate = getattr(app.state, "image_gate", None)
        if not isinstance(gate, ImageGate):
            gate = ImageGate(settings.image_workers)
            app.state.image_gate = gate
        return gate


def _sweep_now_and_then(app: FastAPI, engine: Engine, settings: Settings) -> None:
    """Drop expired partial uploads, at most once a minute (on the requests that use blobs)."""
    now = time.time()
    with _APP_LOCK:
        every = min(_SWEEP_EVERY, settings.partial_upload_ttl_seconds)
        if now - getattr(app.state, "blob_swept_at", 0.0) < every:
            return
        app.state.blob_swept_at = now
    ttl = settings.partial_upload_ttl_seconds
    try:
        sweep(settings.blob_dir, older_than=now - ttl)
        cutoff = utcnow() - timedelta(seconds=ttl)
        with writing(engine) as conn:
            conn.execute(delete(BLOB_UPLOAD).where(BLOB_UPLOAD.c.updated_at < cutoff))
    except Exception:  # tidying must never fail the request that happened to trigger it
        log.warning("sweeping expired partial uploads failed; next time", exc_info=True)


def _files(settings: Settings, sha: str, who: Principal) -> BlobFiles:
    return BlobFiles(settings.blob_dir, sha, owner_key(who.device_id, who.user_id))


def _expired(mtime: float, settings: Settings) -> bool:
    return time.time() - mtime > settings.partial_upload_ttl_seconds


def _parse_range(header: str | None, body_length: int) -> tuple[int, int, int]:
    """``bytes START-END/TOTAL`` (END inclusive) that agrees with the body's length.

    No header at all is the whole blob in one body: ``bytes 0-(n-1)/n``. Errors name the
    header, never its value.
    """
    if header is None:
        if body_length == 0:
            raise BadRequest(
                "bad_content_range", "an upload without Content-Range carries the whole photo"
            )
        return 0, body_length - 1, body_length
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise BadRequest(
            "bad_content_range", "Content-Range must be 'bytes START-END/TOTAL' with END inclusive"
        )
    start, end, total = (int(part) for part in match.groups())
    if not start <= end < total:
        raise BadRequest("bad_content_range", "Content-Range needs START <= END < TOTAL")
    if end - start + 1 != body_length:
        raise BadRequest(
            "bad_content_range",
            "Content-Range names a different number of bytes than the body holds",
            {"body_bytes": body_length},
        )
    return start, end, total


def _row(engine: Engine, sha: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(BLOB).where(BLOB.c.sha256 == sha)).mappings().first()
    return dict(row) if row is not None else None


def _discard(engine: Engine, files: BlobFiles, who: Principal) -> None:
    files.partial.unlink(missing_ok=True)
    with writing(engine) as conn:
        conn.execute(delete(BLOB_UPLOAD).where(uploads.mine(files.sha256, who)))


def _complete_body(sha: str, row: dict[str, Any] | None, size: int) -> dict[str, Any]:
    return {
        "sha256": sha,
        "size": size,
        "complete": True,
        "content_type": row.get("content_type") if row else None,
        "width": row.get("width") if row else None,
        "height": row.get("height") if row else None,
        "server_time": server_time(),
    }


def _finish(
    engine: Engine,
    files: BlobFiles,
    fh: BinaryIO,
    who: Principal,
    *,
    total: int,
    gate: ImageGate,
    limits: ImageLimits,
) -> None:
    """The last chunk is in: check the hash (and the image, if new), then store it for good."""
    fh.seek(0)
    data = fh.read(total + 1)
    if len(data) != total or hashlib.sha256(data).hexdigest() != files.sha256:
        _discard(engine, files, who)
        raise ApiError.of(
            "blob_hash_mismatch",
            "the uploaded bytes do not match their SHA-256; upload the photo again",
            {"sha256": files.sha256},
        )
    now = utcnow()
    if files.final.exists():
        # Someone sent these very bytes before: this device has now proved it holds them too.
        # One copy is kept; the device is credited like the first uploader.
        del data
        files.partial.unlink(missing_ok=True)
        with writing(engine) as conn:
            conn.execute(delete(BLOB_UPLOAD).where(uploads.mine(files.sha256, who)))
            credit(conn, who, files.sha256, how="upload", now=now)
        return
    try:
        prepared = gate.prepare(data, limits)
    except PhotoError as exc:
        _discard(engine, files, who)
        raise ApiError.of(exc.code, exc.message) from None
    del data
    private_dir(files.dir)
    write_private(files.thumb, prepared.thumb)  # before the blob: a complete blob has its thumb
    if prepared.cleaned is not None:  # metadata removed: the clean bytes are what is kept
        write_private(files.final, prepared.cleaned)
        files.partial.unlink(missing_ok=True)
        size = len(prepared.cleaned)
    else:
        os.fsync(fh.fileno())
        os.replace(files.partial, files.final)
        size = total
    fsync_dir(files.dir)
    info = prepared.info
    with writing(engine) as conn:
        uploads.store_row(
            conn,
            files.sha256,
            {
                "size": size,
                "received": size,
                "complete": True,
                "content_type": info.content_type,
                "width": info.width,
                "height": info.height,
            },
            now,
        )
        conn.execute(delete(BLOB_UPLOAD).where(uploads.mine(files.sha256, who)))
        credit(conn, who, files.sha256, how="upload", now=now)


async def _chunk(request: Request) -> bytes:
    # Read here (async) so the route itself can be a plain function run in the threadpool:
    # locking, hashing and Pillow must not block the event loop. The size cap is enforced
    # by RequestBodyMiddleware before any of this runs.
    return await request.body()


ChunkDep = Annotated[bytes, Depends(_chunk)]


def _known(engine: Engine, who: Principal, files: BlobFiles) -> bool:
    """Complete, and the caller may be told so (an uploader or a reader of it)."""
    if not files.final.exists():
        return False
    with engine.connect() as conn:
        return knows(conn, who, files.sha256)


@router.head(PREFIX + "/{sha256}", include_in_schema=True)
def head_blob(
    sha256: str, request: Request, user: CurrentUser, settings: SettingsDep, engine: EngineDep
) -> Response:
    """200 complete, 308 + ``Upload-Offset`` for the caller's partial upload, else 404."""
    sha = _sha(sha256)
    _sweep_now_and_then(request.app, engine, settings)
    files = _files(settings, sha, user)
    if _known(engine, user, files):
        size = str(files.final.stat().st_size)
        return Response(status_code=200, headers={"Upload-Offset": size, "Upload-Length": size})
    try:
        stat = files.partial.stat()
    except FileNotFoundError:
        stat = None
    if stat is None or _expired(stat.st_mtime, settings):
        # The same answer whether or not someone else holds these bytes.
        raise NotFound("no upload of this blob has started")
    headers = {"Upload-Offset": str(stat.st_size)}
    row = uploads.upload_row(engine, sha, user)
    if row is not None:
        headers["Upload-Length"] = str(row["size"])
    return Response(status_code=308, headers=headers)


@router.put(PREFIX + "/{sha256}")
def put_blob(
    sha256: str,
    request: Request,
    chunk: ChunkDep,
    user: CurrentUser,
    settings: SettingsDep,
    engine: EngineDep,
) -> Response:
    """Append one chunk; the last one is verified and the blob stored (201)."""
    sha = _sha(sha256)
    content_type = request.headers.get("content-type", "application/octet-stream")
    if content_type.split(";")[0].strip().lower() not in _ACCEPTED_TYPES:
        raise ApiError.of(
            "unsupported_media_type", "upload photos as image/jpeg, image/png or image/webp"
        )
    whole = "content-range" not in request.headers
    start, _end, total = _parse_range(request.headers.get("content-range"), len(chunk))
    limit = settings.max_blob_bytes
    if total > limit:
        raise ApiError.of(
            "image_too_large",
            f"the photo is larger than the limit of {limit} bytes",
            {"limit": limit},
        )
    _sweep_now_and_then(request.app, engine, settings)
    files = _files(settings, sha, user)
    if _known(engine, user, files):  # already complete for this caller: the chunk is not needed
        size = files.final.stat().st_size
        return JSONResponse(
            _complete_body(sha, _row(engine, sha), size), headers={"Upload-Offset": str(size)}
        )
    with locked_partial(files) as fh:
        stat = os.fstat(fh.fileno())
        current = stat.st_size
        row = uploads.upload_row(engine, sha, user)
        declared = row["size"] if row is not None else total
        stale = current > 0 and _expired(stat.st_mtime, settings)
        if whole or stale or declared != total or current > total:
            # A whole blob in one body replaces this device's partial upload, and an expired
            # one is gone. Otherwise the same name cannot have two lengths: an earlier attempt
            # was wrong. A client starting again from 0 replaces it; else: start from 0.
            if start != 0:
                if stale:
                    files.partial.unlink(missing_ok=True)
                raise ApiError.of(
                    "blob_offset_mismatch",
                    "this upload restarted with a different length; send it from byte 0",
                    {"offset": 0, "size": total},
                )
            fh.truncate(0)
            current = 0
        if start != current:
            if current == 0:  # nothing received: leave no trace, HEAD keeps saying 404
                files.partial.unlink(missing_ok=True)
            raise ApiError.of(
                "blob_offset_mismatch",
                f"the server has {current} bytes of this photo; continue from there",
                {"offset": current, "size": total},
            )
        if current == 0:
            try:
                uploads.check_quota(engine, settings, sha, user, total)
            except ApiError:
                files.partial.unlink(missing_ok=True)
                raise
        fh.seek(current)
        fh.write(chunk)
        fh.flush()
        received = current + len(chunk)
        if received < total:
            uploads.save_progress(engine, sha, user, size=total, received=received, now=utcnow())
            return JSONResponse(
                {
                    "sha256": sha,
                    "size": total,
                    "offset": received,
                    "complete": False,
                    "server_time": server_time(),
                },
                status_code=202,
                headers={"Upload-Offset": str(received)},
            )
        _finish(
            engine,
            files,
            fh,
            user,
            total=total,
            gate=_gate(request.app, settings),
            limits=_limits(settings),
        )
    size = files.final.stat().st_size
    return JSONResponse(
        _complete_body(sha, _row(engine, sha), size),
        status_code=201,
        headers={"Upload-Offset": str(size)},
    )


@router.get(PREFIX + "/{sha256}")
def get_blob(
    sha256: str,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    engine: EngineDep,
    size: Annotated[Literal["full", "thumb"], Query()] = "full",
) -> FileResponse:
    """The photo (or its thumbnail) for a user who may see a backed photo record naming it."""
    sha = _sha(sha256)
    files = BlobFiles(settings.blob_dir, sha)
    with engine.connect() as conn:
        readable = can_read_blob(conn, user, sha)
    # Same answer for "no such photo" and "not yours": existence is not disclosed.
    if not readable or not files.final.exists():
        raise NotFound("no such photo, or not one you may see")
    # Photos of homes are personal data: no cache keeps them (the tablet keeps its own).
    headers = {"Cache-Control": "no-store", "ETag": f'"{sha}"'}
    if size == "thumb":
        if not files.thumb.exists():  # lost thumbnail (disk tidy-up): make it again
            gate = _gate(request.app, settings)
            write_private(files.thumb, gate.thumbnail(files.final.read_bytes(), _limits(settings)))
        return FileResponse(files.thumb, media_type="image/jpeg", headers=headers)
    row = _row(engine, sha)
    media_type = (row or {}).get("content_type") or _sniff_type(files)
    return FileResponse(files.final, media_type=media_type, headers=headers)


def _sniff_type(files: BlobFiles) -> str:
    """The type of a stored blob whose row was not updated (a crash right after the rename)."""
    with open(files.final, "rb") as fh:
        head = fh.read(12)
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"
