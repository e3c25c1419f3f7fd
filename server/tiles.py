"""Map tiles for offline maps: where tablets get them, and an imported MBTiles file.

A server may name a tile source, and tablets then cache the tiles over their patch at sync
time (``fieldapp.sync.tiles``):
- an MBTiles file imported with ``python -m server import-tiles FILE.mbtiles`` (kept as
  ``DATA_DIR/tiles.mbtiles``) and served here at ``GET /api/v1/tiles/{z}/{x}/{y}`` to
  signed-in users; it wins over
- ``TILE_URL``, a ``{z}/{x}/{y}`` URL template of a tile server the tablets fetch from
  themselves (the server never fetches tiles: it makes no outbound requests);
- neither: the tablet draws the estate plan on a plain ground.
``GET /api/v1/tiles`` says which, the zoom levels to cache (``TILE_ZOOMS``) and a ``version``
that changes when the source does, so tablets drop tiles of an old source.

MBTiles rows count ``tile_row`` from the south (TMS); the route flips it to the XYZ ``y``
everyone else uses.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import Response

from fieldapp.sync.protocol import API_PREFIX
from server.deps import CurrentUser, SettingsDep
from server.errors import BadRequest, NotFound, server_time
from server.settings import Settings

router = APIRouter()

MBTILES_NAME = "tiles.mbtiles"
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class TileImportError(Exception):
    """The file is not an MBTiles file this server can serve; the message says why."""


def mbtiles_path(settings: Settings) -> Path:
    return settings.data_dir / MBTILES_NAME


def _read_format(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    except sqlite3.DatabaseError:
        return "png"
    return str(row[0]).lower() if row and row[0] else "png"


def import_mbtiles(source: Path, settings: Settings) -> dict[str, Any]:
    """Check ``source`` and install it as the tile source; returns its zooms and tile count."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            count, low, high = conn.execute(
                "SELECT COUNT(*), MIN(zoom_level), MAX(zoom_level) FROM tiles"
            ).fetchone()
            kind = _read_format(conn)
    except sqlite3.DatabaseError as exc:
        raise TileImportError(f"{source.name} is not an MBTiles file ({exc})") from None
    if not count:
        raise TileImportError(f"{source.name} holds no tiles")
    if kind not in _TYPES:
        raise TileImportError(f"{source.name} holds {kind} tiles; use png, jpg or webp")
    dest = mbtiles_path(settings)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)  # a running server switches to the new file at its next request
    return {"tiles": int(count), "min_zoom": int(low), "max_zoom": int(high), "format": kind}


def _version(settings: Settings, path: Path) -> str | None:
    if path.exists():
        stat = path.stat()
        return (
            "mbtiles-"
            + hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        )
    if settings.tile_url:
        return "url-" + hashlib.sha256(settings.tile_url.encode()).hexdigest()[:16]
    return None


@router.get("/tiles")
def tile_source(user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    """Which tile source tablets should cache from, at which zooms."""
    path = mbtiles_path(settings)
    if path.exists():
        source, template = "mbtiles", f"{API_PREFIX}/tiles/{{z}}/{{x}}/{{y}}"
    elif settings.tile_url:
        source, template = "url", settings.tile_url
    else:
        source, template = None, None
    return {
        "source": source,
        "url_template": template,
        "zooms": list(settings.tile_zooms),
        "version": _version(settings, path),
        "server_time": server_time(),
    }


@router.get("/tiles/{z}/{x}/{y}")
def tile(
    z: Annotated[int, PathParam(ge=0, le=22)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)],
    user: CurrentUser,
    settings: SettingsDep,
) -> Response:
    """One tile of the imported MBTiles file (404 where it has none)."""
    if x >= 2**z or y >= 2**z:
        raise BadRequest("bad_request", "x and y must be below 2 to the power z")
    path = mbtiles_path(settings)
    if not path.exists():
        raise NotFound("this server has no imported map tiles")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
        kind = _read_format(conn)
    if row is None:
        raise NotFound("no tile there")
    return Response(
        bytes(row[0]),
        media_type=_TYPES.get(kind, "image/png"),
        headers={"Cache-Control": "private, max-age=86400"},
    )
