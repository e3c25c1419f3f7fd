"""Benchmark of the tablet's map tile cache for the demo patch of 400 homes on loopback.

Starts the real sync server (demo data, ``TILE_URL`` naming a local tile server that draws a
street-map-like PNG per tile), signs a manager's tablet in (it holds all 400 homes on three
estates), syncs, then times the tile pass (``fieldapp.sync.tiles.cache_tiles``: ask the server
for the source, work out the tiles, fetch and store each) from an empty cache. Prints the
tiles and bytes a 400-home patch needs at each default zoom (14-17) and in all, and the median
download time, beside a floor measured in the same run: the same URLs fetched with a raw
``requests`` session into memory (no cache bookkeeping, no disk).

Run: ``.venv/bin/python bench/tiles_bench.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldapp.domain.siteplan import DEFAULT_ZOOMS, tiles_covering
from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.tiles import TileCache, cache_tiles, http_fetcher
from fieldapp.sync.transport import HttpTransport
from tests.support.live_server import LiveServer
from tests.support.tile_server import TileServer, tile_png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tiles-bench-"))
    try:
        with (
            TileServer() as source,
            LiveServer(data_dir=work / "server", env={"TILE_URL": source.template}) as server,
        ):
            server.cli("seed-demo")
            run(server, source, work, repeat=args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(server: LiveServer, source: TileServer, work: Path, *, repeat: int) -> None:
    store = Store.open(work / "tablet")
    session, tile_session = requests.Session(), requests.Session()
    transport = HttpTransport(
        base_url=server.url, session=session, token=lambda: store.get_meta("token")
    )
    engine = SyncEngine(store=store, transport=transport)
    engine.sign_in(username="manager", password="demo-manager-halton", device_name="bench")
    assert engine.sync_once().status == "online"
    homes = store.all("property")
    wanted = tiles_covering(homes, DEFAULT_ZOOMS)
    for tile in wanted:  # draw every tile once, so the timings measure transfer, not Pillow
        tile_png(*tile)
    per_zoom = Counter(z for z, _x, _y in wanted)
    sizes = Counter()
    for z, x, y in wanted:
        sizes[z] += len(tile_png(z, x, y))

    timings, floors = [], []
    for n in range(repeat):
        cache = TileCache(work / f"tiles-{n}", budget=1 << 40)
        started = time.perf_counter()
        report = cache_tiles(
            store=store, transport=transport, cache=cache, fetch_url=http_fetcher(tile_session)
        )
        timings.append(time.perf_counter() - started)
        assert report.fetched == len(wanted), report
        urls = [source.template.format(z=z, x=x, y=y) for z, x, y in wanted]
        started = time.perf_counter()
        got = sum(len(tile_session.get(u, timeout=10).content) for u in urls)
        floors.append(time.perf_counter() - started)
        assert got == sum(sizes.values())

    print(f"patch: {len(homes)} homes on {len({h.get('estate') for h in homes})} estates")
    for z in sorted(per_zoom):
        print(f"  zoom {z}: {per_zoom[z]:5d} tiles  {sizes[z] / 1024:8.1f} KB")
    total = sum(sizes.values())
    print(f"  all   : {len(wanted):5d} tiles  {total / 1024:8.1f} KB ({total / 2**20:.2f} MB)")
    median, floor = statistics.median(timings), statistics.median(floors)
    print(
        f"download on loopback (median of {repeat}): {median:.2f} s "
        f"({len(wanted) / median:.0f} tiles/s); floor, raw requests into memory: "
        f"{floor:.2f} s; ratio {median / floor:.2f}"
    )
    session.close()
    tile_session.close()
    store.close()


if __name__ == "__main__":
    main()
