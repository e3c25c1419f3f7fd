"""Map tiles cached at sync time from the server's tile source, used with the source cut.

Real parts: the sync server on loopback, a local tile server answering real HTTP with
generated PNGs, an MBTiles file imported with the real CLI, the device's real store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fieldapp.domain.siteplan import tiles_covering
from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.tiles import TileCache, after_round, http_fetcher
from fieldapp.sync.transport import HttpTransport
from tests.support.api import PASSWORD
from tests.support.live_server import LiveServer
from tests.support.tile_server import TileServer, make_mbtiles, tile_png
from tests.sync.conftest import PROPS, setup_server

ZOOMS = (15, 16)


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    with TileServer() as tiles:
        yield tiles


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, tile_server: TileServer
) -> Iterator[LiveServer]:
    env = {"TILE_URL": tile_server.template, "TILE_ZOOMS": "15-16"}
    with LiveServer(data_dir=tmp_path_factory.mktemp("server"), env=env) as live:
        setup_server(live)
        yield live


class Tablet:
    def __init__(self, server: LiveServer, folder: Path, *, budget: int = 50 * 2**20) -> None:
        self.store = Store.open(folder / "dev")
        self.session, self.tile_session = requests.Session(), requests.Session()
        http = HttpTransport(
            base_url=server.url, session=self.session, token=lambda: self.store.get_meta("token")
        )
        self.cache = TileCache(folder / "dev" / "tiles", budget=budget)
        step = after_round(self.cache, http_fetcher(self.tile_session))
        self.engine = SyncEngine(store=self.store, transport=http, after_round=[step])
        self.engine.sign_in(username="olive", password=PASSWORD, device_name="t")

    def sync(self) -> None:
        state = self.engine.sync_once()
        assert state.status == "online", state

    def close(self) -> None:
        self.session.close()
        self.tile_session.close()
        self.store.close()


@pytest.fixture
def tablet(server: LiveServer, tmp_path: Path) -> Iterator[Tablet]:
    t = Tablet(server, tmp_path)
    yield t
    t.close()


def _restart_with(server: LiveServer, template: str) -> None:
    server.extra_env["TILE_URL"] = template
    server.stop()
    server.start()


def test_the_patch_tiles_are_cached_once_and_used_with_the_source_cut(
    server: LiveServer, tmp_path: Path, tile_server: TileServer
) -> None:
    with TileServer() as source:  # its own source, so it can be cut
        _restart_with(server, source.template)
        t = Tablet(server, tmp_path)
        try:
            t.sync()
            wanted = tiles_covering(PROPS, ZOOMS)
            assert wanted and source.requests == len(wanted)
            assert all(t.cache.get(*tile) == tile_png(*tile) for tile in wanted)
            assert t.cache.summary() == {
                "tile_count": len(wanted),
                "tile_bytes": sum(len(tile_png(*tile)) for tile in wanted),
            }
            t.sync()
            assert source.requests == len(wanted)  # nothing fetched twice
            source.stop()  # the network to the tile source is cut
            t.sync()  # records still sync: tiles are not a sync problem
            assert all(t.cache.get(*tile) == tile_png(*tile) for tile in wanted)
        finally:
            t.close()
            _restart_with(server, tile_server.template)


def test_the_cache_keeps_within_its_budget(server: LiveServer, tmp_path: Path) -> None:
    one = max(len(tile_png(*tile)) for tile in tiles_covering(PROPS, ZOOMS))
    t = Tablet(server, tmp_path, budget=one * 2)
    try:
        t.sync()
        summary = t.cache.summary()
        assert 2 <= summary["tile_count"] < len(tiles_covering(PROPS, ZOOMS))
        assert summary["tile_bytes"] < one * 3  # stops at the first tile past the budget
    finally:
        t.close()


def test_an_imported_mbtiles_file_is_served_to_signed_in_users_and_replaces_the_url(
    server: LiveServer, tablet: Tablet, tmp_path: Path
) -> None:
    wanted = tiles_covering(PROPS, ZOOMS)
    file = tmp_path / "estates.mbtiles"
    assert make_mbtiles(file, wanted[:-1]) == len(wanted) - 1  # one tile missing at the source
    done = server.cli("import-tiles", str(file))
    assert f"imported {len(wanted) - 1} png tiles, zoom 15 to 16" in done.stdout
    tablet.sync()
    assert tablet.cache.summary()["tile_count"] == len(wanted) - 1
    z, x, y = wanted[0]
    assert tablet.cache.get(z, x, y) == tile_png(z, x, y)
    assert tablet.cache.get(*wanted[-1]) is None
    anonymous = requests.get(f"{server.api}/tiles/{z}/{x}/{y}", timeout=10)
    assert anonymous.status_code == 401


def test_a_file_that_is_not_mbtiles_is_refused_with_a_clear_error(
    server: LiveServer, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.mbtiles"
    bad.write_text("not a database")
    result = server.cli("import-tiles", str(bad), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: notes.mbtiles is not an MBTiles file")
    missing = server.cli("import-tiles", str(tmp_path / "nope.mbtiles"), check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr
