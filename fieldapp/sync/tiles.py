"""Map tiles for offline use: the tablet caches the tiles over its patch at sync time.

After each sync round the engine runs ``cache_tiles``: it asks the server which tile source
it names (``GET /api/v1/tiles``: an imported MBTiles file served by the server itself, a
``{z}/{x}/{y}`` URL template of a tile server, or none), works out the tiles over each estate
of the homes on this tablet at the server's zoom levels (``fieldapp.domain.siteplan``), and
fetches the ones it lacks, lowest zoom first, until the budget is reached. The map then draws
them with no connection at all (``TileCache.get``).

The cache, in ``DATA_DIR/tiles/``: ``{z}/{x}/{y}.tile`` files as the source sent them, and
``index.json`` with the source's ``version``, the zooms, the tile count and bytes. A new
source version (another MBTiles file, another URL) empties it first. Nothing in it is personal
data: a wipe of the tablet leaves it. A tile the source lacks (404) is skipped; a connection
failure ends the pass and the next round carries on where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fieldapp.domain.siteplan import tiles_covering
from fieldapp.sync.errors import NetworkError
from fieldapp.sync.protocol import API_PREFIX
from fieldapp.sync.transport import Transport, check_response

log = logging.getLogger(__name__)

DEFAULT_TILE_BUDGET_MB = 50
TILES_PATH = API_PREFIX + "/tiles"

Fetch = Callable[[str], bytes | None]  # GET a tile URL: bytes, None on 404, NetworkError


class HomesStore(Protocol):
    def all(self, entity: str) -> list[dict[str, Any]]: ...


class TileCache:
    """The tile files of one tablet, with their index."""

    def __init__(self, folder: Path, *, budget: int) -> None:
        self.folder = folder
        self.budget = budget
        self.index = self._read_index()

    def _read_index(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": None, "count": 0, "bytes": 0, "zooms": []}
        return data if isinstance(data, dict) else {"version": None, "count": 0, "bytes": 0}

    def save_index(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "index.json.tmp"
        tmp.write_text(json.dumps(self.index), encoding="utf-8")
        os.replace(tmp, self.folder / "index.json")

    def reset(self, version: str | None, zooms: Iterable[int]) -> None:
        """Forget every tile: the source changed."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.index = {"version": version, "count": 0, "bytes": 0, "zooms": list(zooms)}
        self.save_index()

    def path(self, z: int, x: int, y: int) -> Path:
        return self.folder / str(z) / str(x) / f"{y}.tile"

    def has(self, z: int, x: int, y: int) -> bool:
        return self.path(z, x, y).exists()

    def get(self, z: int, x: int, y: int) -> bytes | None:
        try:
            return self.path(z, x, y).read_bytes()
        except OSError:
            return None

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        path = self.path(z, x, y)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.index["count"] = int(self.index.get("count", 0)) + 1
        self.index["bytes"] = int(self.index.get("bytes", 0)) + len(data)

    @property
    def zooms(self) -> list[int]:
        return [int(z) for z in self.index.get("zooms") or []]

    def summary(self) -> dict[str, int]:
        return {
            "tile_count": int(self.index.get("count", 0)),
            "tile_bytes": int(self.index.get("bytes", 0)),
        }


@dataclass(frozen=True)
class TileReport:
    """One pass: the tiles wanted over the patch, fetched now, missing at the source."""

    wanted: int = 0
    fetched: int = 0
    fetched_bytes: int = 0
    missing: int = 0
    over_budget: bool = False


def source_info(transport: Transport) -> Mapping[str, Any] | None:
    """The server's tile source, or None when it names none (or predates tiles)."""
    response = transport.request("GET", TILES_PATH)
    if response.status == 404:
        return None
    check_response(response)
    body = response.json()
    return body if isinstance(body, Mapping) and body.get("source") else None


def cache_tiles(
    *,
    store: HomesStore,
    transport: Transport,
    cache: TileCache,
    fetch_url: Fetch,
    progress: Callable[[int, int], None] | None = None,
) -> TileReport:
    """Fetch the tiles over this tablet's estates that it lacks, within the budget."""
    info = source_info(transport)
    if info is None:
        return TileReport()
    zooms = [int(z) for z in info.get("zooms") or []]
    if cache.index.get("version") != info.get("version") or cache.zooms != zooms:
        cache.reset(info.get("version"), zooms)
    template = str(info.get("url_template") or "")
    wanted = [t for t in tiles_covering(store.all("property"), zooms) if not cache.has(*t)]
    fetched = fetched_bytes = missing = 0
    over = False
    try:
        for done, (z, x, y) in enumerate(wanted):
            if cache.summary()["tile_bytes"] >= cache.budget:
                over = True
                break
            if progress is not None and done % 10 == 0:
                progress(done, len(wanted))
            url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            if info.get("source") == "mbtiles":
                answer = transport.request("GET", url, headers={"Accept": "image/*"})
                data = None if answer.status == 404 else check_response(answer).body
            else:
                data = fetch_url(url)
            if data is None:
                missing += 1
                continue
            cache.put(z, x, y, data)
            fetched += 1
            fetched_bytes += len(data)
    finally:
        cache.save_index()  # what arrived is kept, whatever stopped the pass
    if progress is not None and wanted:
        progress(len(wanted), len(wanted))
    return TileReport(len(wanted), fetched, fetched_bytes, missing, over)


def http_fetcher(session: Any, *, timeout: float = 10.0) -> Fetch:
    """GET tile URLs with a ``requests.Session``: bytes, None for 404, ``NetworkError``."""
    import requests

    def fetch(url: str) -> bytes | None:
        try:
            answer = session.get(url, timeout=timeout, headers={"User-Agent": "fieldapp-tiles"})
        except requests.RequestException as exc:
            raise NetworkError(f"tile source: {exc.__class__.__name__}") from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise NetworkError(f"tile source answered {answer.status_code}")
        return bytes(answer.content)

    return fetch


def after_round(cache: TileCache, fetch_url: Fetch) -> Callable[[Any], str | None]:
    """The engine step (``SyncEngine(after_round=[...])``) that keeps the tile cache filled.

    A tile source out of reach is not a sync problem (the records are all in): it is logged
    and the next round tries again; only the server's own refusal is reported.
    """

    def step(engine: Any) -> str | None:
        try:
            cache_tiles(
                store=engine.store,
                transport=engine.transport,
                cache=cache,
                fetch_url=fetch_url,
                progress=engine.progress("tiles"),
            )
        except NetworkError as exc:
            log.info("map tiles not downloaded this round: %s", exc)
        except Exception as exc:  # the server refused: say so, retry next round
            log.warning("map tiles failed: %s", exc)
            return "Map tiles could not be downloaded; they will be retried."
        return None

    return step
