"""A local map tile server for tests and benches: real HTTP on 127.0.0.1, generated PNG tiles.

``TileServer`` answers ``GET /{z}/{x}/{y}.png`` with a 256 x 256 PNG drawn for that tile (a
tint from its coordinates, a grid and a few streets, so tiles differ and weigh about what a
real street-map tile does), and counts the requests it served. ``stop()`` cuts it: the
"network to the tile source" is gone, and a tablet must use what it cached. Nothing here
reaches the internet. ``make_mbtiles`` writes the same tiles into an MBTiles file.
"""

from __future__ import annotations

import io
import random
import re
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import closing
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw

_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@lru_cache(maxsize=4096)
def tile_png(z: int, x: int, y: int) -> bytes:
    """A distinct, deterministic PNG for tile ``z/x/y``."""
    rnd = random.Random(z * 1_000_003 + x * 7919 + y)
    image = Image.new("RGB", (256, 256), (232 - z * 3, 228, 214 + (x + y) % 20))
    draw = ImageDraw.Draw(image)
    for i in range(0, 256, 32):
        draw.line([(i, 0), (i, 255)], fill=(210, 205, 190))
        draw.line([(0, i), (255, i)], fill=(210, 205, 190))
    for _ in range(6):  # streets
        a = (rnd.randrange(256), rnd.randrange(256))
        b = (rnd.randrange(256), rnd.randrange(256))
        draw.line([a, b], fill=(255, 255, 255), width=rnd.choice((4, 6, 9)))
    for _ in range(12):  # buildings
        left, top = rnd.randrange(240), rnd.randrange(240)
        draw.rectangle(
            [left, top, left + rnd.randrange(8, 30), top + rnd.randrange(8, 30)],
            fill=(200, 180, 170),
        )
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


class TileServer:
    """A tile server on a free loopback port (a context manager)."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                match = _PATH.match(self.path)
                if match is None:
                    self.send_error(404)
                    return
                z, x, y = (int(g) for g in match.groups())
                if z > 20 or x >= 2**z or y >= 2**z:
                    self.send_error(404)
                    return
                body = tile_png(z, x, y)
                with outer._lock:
                    outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the tests count requests instead

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread: threading.Thread | None = None

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def start(self) -> TileServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Cut the tile source: the port closes and nothing answers any more."""
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(10)
            self.thread = None
        self.httpd.server_close()

    def __enter__(self) -> TileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_mbtiles(path: Path, tiles: Iterable[tuple[int, int, int]]) -> int:
    """An MBTiles file holding ``tile_png`` for each ``(z, x, y)``; returns how many."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        conn.executemany(
            "INSERT INTO metadata VALUES (?, ?)", [("name", "test"), ("format", "png")]
        )
        rows = [(z, x, 2**z - 1 - y, tile_png(z, x, y)) for z, x, y in tiles]
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        conn.commit()
    return len(rows)
