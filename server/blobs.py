"""Photo blobs: resumable, verified uploads and scoped downloads, named by their SHA-256.

``HEAD /api/v1/blobs/{sha256}`` says how far an upload got (200 complete, 308 with
``Upload-Offset`` partial, 404 unknown); ``PUT`` appends one chunk at the offset named by
``Content-Range: bytes START-END/TOTAL``, or without ``Content-Range`` carries the whole blob
(and replaces any partial upload of it); the chunk that completes the blob triggers the checks
(the hash, then Pillow: a well-formed JPEG/PNG/WebP within the limits, whatever Content-Type
said) and the blob is stored with a 256 px thumbnail. ``GET`` (``?size=thumb``) serves it to
users who may read a ``photo`` record naming it; to anyone else it does not exist.

On disk, under ``BLOB_DIR``: ``partial/{sha}.part`` while uploading, then ``{sha[:2]}/{sha}``
and ``{sha[:2]}/{sha}.thumb.jpg``. The partial file *is* the upload state: its length is the
offset, so an upload survives a server restart or a SIGKILL at any point, and the ``blob`` row
only mirrors it. A blob is complete exactly when its final file exists; that file appears by
an atomic rename after its thumbnail, and the row is marked complete after that, so a crash
never leaves a row claiming a file that is not there. Concurrent chunks for one blob (two
workers, two devices) are serialised by an exclusive ``flock`` on the partial file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import Engine, delete, insert, select, update

from fieldapp.photos import PhotoError, inspect_and_thumbnail
from server.db import utcnow, writing
from server.deps import CurrentUser, EngineDep, SessionDep, SettingsDep
from server.errors import ApiError, BadRequest, NotFound, server_time
from server.models import BLOB
from server.services.scope import can_read_blob

router = APIRouter()

PREFIX = "/blobs"  # mounted under API_PREFIX by create_app
THUMB_SIDE = 256
_SHA = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$")
# What Content-Type may say (absent counts as octet-stream); the bytes decide the stored type.
_ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
_HASH_BLOCK = 1024 * 1024


class BlobFiles:
    """Where the files of one blob live under ``BLOB_DIR``."""

    def __init__(self, root: Path, sha256: str) -> None:
        self.sha256 = sha256
        self.dir = root / sha256[:2]
        self.final = self.dir / sha256
        self.thumb = self.dir / f"{sha256}.thumb.jpg"
        self.partial = root / "partial" / f"{sha256}.part"


def _sha(raw: str) -> str:
    sha = raw.lower()
    if not _SHA.match(sha):
        raise BadRequest("bad_request", "a blob is named by the 64 hex digits of its SHA-256")
    return sha


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
    match = _RANGE.match(header.strip())
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


@contextmanager
def _locked_partial(files: BlobFiles) -> Iterator[BinaryIO | None]:
    """The partial file, created if need be, held under an exclusive lock.

    Yields None when the blob completed while we waited for the lock (the partial was renamed
    to the final file under our feet): the caller then answers "complete".
    """
    files.partial.parent.mkdir(parents=True, exist_ok=True)
    while True:
        if files.final.exists():
            yield None
            return
        fd = os.open(files.partial, os.O_RDWR | os.O_CREAT, 0o600)
        fh = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                same = os.stat(files.partial).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield fh
                return
        finally:
            fh.close()  # closing releases the lock
        # The file we locked was renamed (completed) or removed (rejected): look again.


def _row(engine: Engine, sha: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(BLOB).where(BLOB.c.sha256 == sha)).mappings().first()
    return dict(row) if row is not None else None


def _save_progress(engine: Engine, sha: str, *, size: int, received: int) -> None:
    with writing(engine) as conn:
        done = conn.execute(
            update(BLOB).where(BLOB.c.sha256 == sha).values(size=size, received=received)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(BLOB).values(
                    sha256=sha, size=size, received=received, complete=False, created_at=utcnow()
                )
            )


def _discard(engine: Engine, files: BlobFiles) -> None:
    files.partial.unlink(missing_ok=True)
    with writing(engine) as conn:
        conn.execute(delete(BLOB).where(BLOB.c.sha256 == files.sha256))


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def _finish(engine: Engine, files: BlobFiles, fh: BinaryIO, *, total: int, limit: int) -> None:
    """The last chunk is in: check the hash and the image, then store it for good."""
    fh.seek(0)
    data = fh.read(total + 1)
    if hashlib.sha256(data).hexdigest() != files.sha256 or len(data) != total:
        _discard(engine, files)
        raise ApiError.of(
            "blob_hash_mismatch",
            "the uploaded bytes do not match their SHA-256; upload the photo again",
            {"sha256": files.sha256},
        )
    try:
        info, thumb = inspect_and_thumbnail(data, thumb_side=THUMB_SIDE, max_bytes=limit)
    except PhotoError as exc:
        _discard(engine, files)
        raise ApiError.of(exc.code, exc.message) from None
    files.dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(files.thumb, thumb)  # before the blob: a complete blob has its thumb
    os.fsync(fh.fileno())
    os.replace(files.partial, files.final)
    _fsync_dir(files.dir)
    with writing(engine) as conn:
        conn.execute(
            update(BLOB)
            .where(BLOB.c.sha256 == files.sha256)
            .values(
                size=total,
                received=total,
                complete=True,
                content_type=info.content_type,
                width=info.width,
                height=info.height,
            )
        )


async def _chunk(request: Request) -> bytes:
    # Read here (async) so the route itself can be a plain function run in the threadpool:
    # locking, hashing and Pillow must not block the event loop. The size cap is enforced
    # by RequestBodyMiddleware before any of this runs.
    return await request.body()


ChunkDep = Annotated[bytes, Depends(_chunk)]


@router.head(PREFIX + "/{sha256}", include_in_schema=True)
def head_blob(sha256: str, user: CurrentUser, settings: SettingsDep, engine: EngineDep) -> Response:
    """200 complete, 308 + ``Upload-Offset`` partial, 404 unknown."""
    sha = _sha(sha256)
    files = BlobFiles(settings.blob_dir, sha)
    if files.final.exists():
        size = str(files.final.stat().st_size)
        return Response(status_code=200, headers={"Upload-Offset": size, "Upload-Length": size})
    try:
        offset = files.partial.stat().st_size
    except FileNotFoundError:
        raise NotFound("no upload of this blob has started") from None
    row = _row(engine, sha)
    headers = {"Upload-Offset": str(offset), "Cache-Control": "no-store"}
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
    files = BlobFiles(settings.blob_dir, sha)
    with _locked_partial(files) as fh:
        if fh is None:  # already complete: the chunk is not needed
            return JSONResponse(
                _complete_body(sha, _row(engine, sha), files.final.stat().st_size),
                headers={"Upload-Offset": str(files.final.stat().st_size)},
            )
        current = os.fstat(fh.fileno()).st_size
        row = _row(engine, sha)
        declared = row["size"] if row is not None else total
        if whole or declared != total or current > total:
            # A whole blob in one body replaces any partial upload. Otherwise the same name
            # cannot have two lengths: an earlier attempt was wrong. A client starting again
            # from 0 replaces it; anyone else is told to start from 0.
            if start != 0:
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
        fh.seek(current)
        fh.write(chunk)
        fh.flush()
        received = current + len(chunk)
        _save_progress(engine, sha, size=total, received=received)
        if received < total:
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
        _finish(engine, files, fh, total=total, limit=limit)
    return JSONResponse(
        _complete_body(sha, _row(engine, sha), total),
        status_code=201,
        headers={"Upload-Offset": str(total)},
    )


@router.get(PREFIX + "/{sha256}")
def get_blob(
    sha256: str,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    size: Annotated[Literal["full", "thumb"], Query()] = "full",
) -> FileResponse:
    """The photo (or its thumbnail) for a user who may see a photo record naming it."""
    sha = _sha(sha256)
    files = BlobFiles(settings.blob_dir, sha)
    # Same answer for "no such photo" and "not yours": existence is not disclosed.
    if not can_read_blob(session, user, sha) or not files.final.exists():
        raise NotFound("no such photo, or not one you may see")
    headers = {"Cache-Control": "private, max-age=31536000, immutable", "ETag": f'"{sha}"'}
    if size == "thumb":
        if not files.thumb.exists():  # lost thumbnail (disk tidy-up): make it again
            _, thumb = inspect_and_thumbnail(files.final.read_bytes(), thumb_side=THUMB_SIDE)
            _write_atomically(files.thumb, thumb)
        return FileResponse(files.thumb, media_type="image/jpeg", headers=headers)
    row = _row(engine, sha)
    media_type = (row or {}).get("content_type") or _sniff_type(files.final)
    return FileResponse(files.final, media_type=media_type, headers=headers)


def _sniff_type(path: Path) -> str:
    """The type of a stored blob whose row was not updated (a crash right after the rename)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"
