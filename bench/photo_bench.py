"""Benchmark of capture-time photo processing (``fieldapp.photos.process_photo``).

Generates realistic 12 MP camera JPEGs (4000x3000, quality 92, photographic content: sky
gradient, textured buildings and grass, sensor noise; EXIF orientation, GPS and time, as a
phone writes them), processes each several times and prints the median milliseconds per photo
and the output sizes against the targets (<= 130 ms, <= 300 KB).

Run: ``.venv/bin/python bench/photo_bench.py [--photos 4] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldapp.photos import process_photo

TARGET_MS = 130.0
TARGET_KB = 300.0


def _texture(size: tuple[int, int], sigma: float, blur: float) -> Image.Image:
    """Blurred noise: brick, tarmac and grass look like this at a distance."""
    small = (max(1, size[0] // 4), max(1, size[1] // 4))
    return (
        Image.effect_noise(small, sigma)
        .filter(ImageFilter.GaussianBlur(blur))
        .resize(size, Image.Resampling.BICUBIC)
    )


def make_photo(
    seed: int,
    *,
    size: tuple[int, int] = (4000, 3000),
    orientation: int = 6,
    gps: tuple[float, float] | None = (53.3489, -2.7335),
    taken: str = "2026:06:10 14:03:27",
    quality: int = 92,
) -> bytes:
    """A camera-like JPEG of an estate scene, with the EXIF a phone writes."""
    rnd = random.Random(seed)
    w, h = size
    horizon = int(h * rnd.uniform(0.35, 0.5))
    sky = ImageOps.colorize(
        Image.linear_gradient("L").resize((w, horizon)), (90, 140, 215), (200, 220, 240)
    )
    img = Image.new("RGB", size)
    img.paste(sky, (0, 0))
    ground = ImageOps.colorize(_texture((w, h - horizon), 40, 1.2), (40, 70, 25), (120, 160, 70))
    img.paste(ground, (0, horizon))
    draw = ImageDraw.Draw(img)
    x = 0
    while x < w:  # blocks of flats along the horizon
        bw = rnd.randint(w // 10, w // 4)
        top = rnd.randint(int(horizon * 0.2), int(horizon * 0.8))
        brick = ImageOps.colorize(
            _texture((bw, horizon - top + h // 10), 60, 0.8),
            (rnd.randint(90, 140), 50, 35),
            (rnd.randint(170, 210), 110, 80),
        )
        img.paste(brick, (x, top))
        for wy in range(top + 40, horizon, 110):
            for wx in range(x + 30, x + bw - 60, 120):
                shade = rnd.randint(30, 120)
                draw.rectangle((wx, wy, wx + 60, wy + 70), fill=(shade, shade, shade + 20))
        x += bw + rnd.randint(0, w // 20)
    for _ in range(12):  # bins, cars, people: hard edges at many scales
        cx, cy = rnd.randint(0, w), rnd.randint(horizon, h)
        r = rnd.randint(40, 260)
        fill = (rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255))
        draw.rounded_rectangle((cx - r, cy - r // 2, cx + r, cy + r // 2), radius=r // 5, fill=fill)
    # Sensor noise, independent per channel, as a phone leaves it after its own denoising;
    # its strength makes the files weigh what a 12 MP phone JPEG does (about 3.5 MB).
    noise = Image.merge("RGB", [Image.effect_noise(size, 7) for _ in range(3)])
    img = ImageChops.add(img, noise, scale=1.0, offset=-128)

    exif = Image.Exif()
    exif[0x010F] = "Fieldcam"  # Make
    exif[0x0110] = "FC-12"  # Model
    exif[0x0112] = orientation
    exif[0x0132] = taken
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken  # DateTimeOriginal
    sub[0x9011] = "+01:00"  # OffsetTimeOriginal (BST)
    if gps is not None:
        lat, lon = gps
        g = exif.get_ifd(0x8825)
        g[1] = "N" if lat >= 0 else "S"
        g[2] = _dms(abs(lat))
        g[3] = "E" if lon >= 0 else "W"
        g[4] = _dms(abs(lon))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600, 4)
    return (float(d), float(m), s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    photos = [make_photo(seed) for seed in range(args.photos)]
    in_mb = statistics.median(len(p) for p in photos) / 1_048_576
    print(f"input: {args.photos} photos 4000x3000, median {in_mb:.1f} MB, EXIF orientation 6")
    process_photo(photos[0])  # warm-up: plugin imports, allocator
    times: list[float] = []
    cpu: list[float] = []  # process CPU time: less disturbed when other work shares the cores
    sizes: list[int] = []
    thumbs: list[int] = []
    for _ in range(args.repeat):
        for data in photos:
            start, start_cpu = time.perf_counter(), time.process_time()
            result = process_photo(data)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            sizes.append(result.bytes)
            thumbs.append(len(result.thumb))
    last = process_photo(photos[0])
    median_ms = statistics.median(times)
    median_kb = statistics.median(sizes) / 1024
    print(f"output: {last.width}x{last.height}, GPS returned {last.lat},{last.lon}")
    print(
        f"process_photo: median {median_ms:.1f} ms/photo (min {min(times):.1f}, "
        f"max {max(times):.1f}; target <= {TARGET_MS:.0f} ms); CPU median "
        f"{statistics.median(cpu):.1f} ms"
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"note: load average {os.getloadavg()[0]:.1f}: wall times are inflated")
    print(
        f"output size: median {median_kb:.0f} KB (max {max(sizes) / 1024:.0f} KB; "
        f"target <= {TARGET_KB:.0f} KB); thumbnail median "
        f"{statistics.median(thumbs) / 1024:.1f} KB"
    )
    ok = median_ms <= TARGET_MS and max(sizes) <= TARGET_KB * 1024
    print("within targets" if ok else "OUTSIDE TARGETS")


if __name__ == "__main__":
    main()
