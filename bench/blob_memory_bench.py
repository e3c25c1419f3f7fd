"""Peak memory of the real server process for image uploads, beside a floor from the same run.

Starts ``python -m server serve`` on SQLite in a temporary folder, signs a device in, and for
each case resets the process's peak (``/proc/PID/clear_refs``), uploads, and reads
``VmHWM − VmRSS`` (MiB above rest) from ``/proc/PID/status``:

- floor: one 1600 x 1200 JPEG as the tablet sends it (what every upload costs);
- the review's case: one 8000 x 8000 PNG of a few hundred KiB, then 8 of them in parallel;
- a 4096 x 3900 PNG (the largest canvas taken), once and 8 in parallel;
- the probe's WebP case: 8 lossy 4000 x 4000 WebPs in parallel (over WebP's own pixel limit,
  ``MAX_WEBP_PIXELS``: refused from the header), and 8 of 2500 x 2000 (within it: decoded).

Linux only. Run: ``.venv/bin/python bench/blob_memory_bench.py [--runs 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import statistics
import struct
import sys
import tempfile
import threading
import zlib
from pathlib import Path

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from tests.support.live_server import LiveServer

MiB = 1024 * 1024
BUDGET_MIB = 150


def png(width: int, height: int, shade: int = 0x80) -> bytes:
    """A valid one-colour RGB PNG: tiny on the wire, width x height x 3 bytes decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    row = b"\0" + bytes([shade]) * (width * 3)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def webp(width: int, height: int) -> bytes:
    """A lossy WebP of one colour (encoded once per size: it takes seconds)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 100, 50)).save(out, "WEBP", quality=50, method=0)
    return out.getvalue()


def variants(data: bytes, count: int, seed: int) -> list[bytes]:
    """``count`` different blobs of one WebP: its reader ignores bytes after the RIFF chunk."""
    return [data + b"\0" + bytes([(seed + i) % 256]) for i in range(count)]


def tablet_jpeg(seed: int) -> bytes:
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (1600, 1200), rnd.randbytes(1600 * 1200 * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    return process_photo(buf.getvalue()).jpeg


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def rise(pid: int, url: str, token: str, bodies: list[bytes]) -> tuple[float, list[int], int]:
    """MiB the peak RSS rose above rest while ``bodies`` were uploaded in parallel, the
    statuses, and the peak itself (bytes)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    rest = _status(pid, "VmRSS")
    codes: list[int] = []

    def send(body: bytes) -> None:
        digest = hashlib.sha256(body).hexdigest()
        answer = requests.put(
            f"{url}/blobs/{digest}",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
            timeout=120,
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peak = _status(pid, "VmHWM")
    return (peak - rest) / MiB, sorted(codes), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LiveServer(data_dir=Path(tmp)) as server:
        server.add_user("bench", role="officer", patches=["North"])
        token = server.login("bench", device_id=new_id())["access_token"]
        assert server.proc is not None
        pid = server.proc.pid
        rise(pid, server.api, token, [tablet_jpeg(0)])  # warm: imports, pools, first decode
        seeds = iter(range(1, 10_000))
        cases = {
            "floor: 1 tablet JPEG 1600x1200": lambda: [tablet_jpeg(next(seeds))],
            "1 PNG 8000x8000": lambda: [png(8000, 8000, next(seeds) % 256)],
            "8 PNG 8000x8000 in parallel": lambda: [
                png(8000, 8000, next(seeds) % 256) for _ in range(8)
            ],
            "1 PNG 4096x3900 (largest taken)": lambda: [png(4096, 3900, next(seeds) % 256)],
            "8 PNG 4096x3900 in parallel": lambda: [
                png(4096, 3900, next(seeds) % 256) for _ in range(8)
            ],
        }
        big_webp, fitting_webp = webp(4000, 4000), webp(2500, 2000)
        cases["8 WebP 4000x4000 in parallel"] = lambda: variants(big_webp, 8, next(seeds))
        cases["8 WebP 2500x2000 in parallel"] = lambda: variants(fitting_webp, 8, next(seeds))
        first_rest = _status(pid, "VmRSS")
        highest = first_rest
        print(f"server at rest: {first_rest / MiB:.0f} MiB RSS; budget +{BUDGET_MIB} MiB")
        for label, make in cases.items():
            figures, answers = [], []
            for _ in range(args.runs):
                bodies = make()
                mib, codes, peak = rise(pid, server.api, token, bodies)
                highest = max(highest, peak)
                figures.append(mib)
                answers.append(codes)
            size = len(bodies[0]) / 1024
            print(
                f"{label:34s} {size:8.0f} KiB each  peak +{statistics.median(figures):6.1f} MiB"
                f"  (runs {', '.join(f'{f:.0f}' for f in figures)})  answers {answers[-1]}"
            )
        # Freed pixels stay in the image threads' heaps: the rise of a case is above what the
        # cases before it left, so the whole run's peak over the first rest is printed too.
        print(f"highest peak of the whole run: +{(highest - first_rest) / MiB:.1f} MiB over rest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
