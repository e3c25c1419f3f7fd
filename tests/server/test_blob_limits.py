"""Uploaded images on the real server: canvas limits before decoding, no metadata kept, the
name's exact form, and partial uploads that expire and are counted per device.

Peak memory is measured on the server process itself (``/proc/PID/status``, VmHWM after
resetting it through ``clear_refs``), not estimated.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database

MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tablet_photo(seed: int) -> bytes:
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (400, 300), rnd.randbytes(400 * 300 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return process_photo(buf.getvalue()).jpeg


def big_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of one colour: tiny on the wire, huge once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    row = b"\0" + b"\x80" * (width * 3)
    raw = zlib.compressobj(9)
    idat = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class Device:
    """Raw blob HTTP as one signed-in device."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.server = server
        self.token = server.login(username, device_id=new_id())["access_token"]
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def url(self, name: str) -> str:
        return f"{self.server.api}/blobs/{name}"

    def put(self, name: str, body: bytes, content_range: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "image/jpeg"}
        if content_range is not None:
            headers["Content-Range"] = content_range
        return self.http.put(self.url(name), data=body, headers=headers)

    def head(self, name: str) -> requests.Response:
        return self.http.head(self.url(name), headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(data_dir=tmp_path_factory.mktemp("limits")) as live:
        live.add_user("olive", role="officer", patches=["North"])
        yield live


@pytest.fixture
def olive(server: LiveServer) -> Iterator[Device]:
    device = Device(server, "olive")
    yield device
    device.close()


def stored(server: LiveServer, digest: str) -> Path:
    return server.data_dir / "blobs" / digest[:2] / digest


# --- the canvas --------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (5000, 200), (4000, 4100)])
def test_a_canvas_over_the_limit_is_refused_and_nothing_kept(
    server: LiveServer, olive: Device, width: int, height: int
) -> None:
    data = big_png(width, height)
    answer = olive.put(sha(data), data)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "image_too_large"
    assert not stored(server, sha(data)).exists()
    assert olive.head(sha(data)).status_code == 404


def test_a_canvas_at_the_limit_is_taken(olive: Device) -> None:
    data = big_png(4096, 3900)  # 15.97 MP: within both limits
    answer = olive.put(sha(data), data)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["width"], answer.json()["height"]) == (4096, 3900)


def peak_rise(pid: int, work: list[bytes], device: Device) -> tuple[int, list[int]]:
    """(VmHWM − VmRSS before, statuses) for uploading ``work`` in parallel."""

    def status(field: str) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(field)

    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    rest = status("VmRSS")
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda d=d: answers.append(device.put(sha(d), d).status_code))
        for d in work
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return status("VmHWM") - rest, answers


def test_an_8000px_png_costs_the_server_little_memory(server: LiveServer, olive: Device) -> None:
    assert server.proc is not None
    warm = tablet_photo(40)
    assert olive.put(sha(warm), warm).status_code == 201  # every code path imported
    bomb = big_png(8000, 8000)
    assert len(bomb) < 1 * MiB
    rise, answers = peak_rise(server.proc.pid, [bomb], olive)
    assert answers == [413]
    assert rise < 150 * MiB, f"peak rose {rise / MiB:.0f} MiB"
    parallel = [big_png(8000, 8000 - i) for i in range(8)]
    rise, answers = peak_rise(server.proc.pid, parallel, olive)
    assert answers == [413] * 8
    assert rise < 150 * MiB, f"peak rose {rise / MiB:.0f} MiB for 8 parallel uploads"


def webp(width: int, height: int) -> bytes:
    """A lossy WebP of one colour: small on the wire; Pillow decodes it only whole."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 100, 50)).save(out, "WEBP", quality=50, method=0)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_webp() -> bytes:
    return webp(4000, 4000)  # 16 MP: within the general limits, over WebP's


def test_a_webp_over_its_own_limit_is_refused(
    server: LiveServer, olive: Device, big_webp: bytes
) -> None:
    answer = olive.put(sha(big_webp), big_webp)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "image_too_large"
    assert "WebP" in answer.json()["error"]["message"]
    assert not stored(server, sha(big_webp)).exists()
    small = webp(2000, 2000)  # 4 MP, well past the tablet's 1600 px: taken
    answer = olive.put(sha(small), small)
    assert answer.status_code == 201, answer.text


def test_8_large_webps_at_once_cost_the_server_little_memory(
    server: LiveServer, olive: Device, big_webp: bytes
) -> None:
    """The probe: 8 parallel 4000 x 4000 lossy WebPs raised the peak by ~345 MiB."""
    assert server.proc is not None
    warm = tablet_photo(41)
    assert olive.put(sha(warm), warm).status_code == 201
    # Eight different blobs of the same image: a WebP reader ignores bytes after its RIFF.
    parallel = [big_webp + b"\0" + bytes([i]) for i in range(8)]
    rise, answers = peak_rise(server.proc.pid, parallel, olive)
    assert rise < 150 * MiB, f"peak rose {rise / MiB:.0f} MiB for 8 parallel WebP uploads"
    assert answers == [413] * 8


# --- metadata ----------------------------------------------------------------------------
def exif_jpeg() -> bytes:
    """An 800x600 JPEG shot sideways (orientation 6), with GPS and a comment."""
    img = Image.new("RGB", (800, 600), "navy")
    img.paste(Image.new("RGB", (100, 100), "yellow"), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (53.0, 20.0, 1.0), 3: "W", 4: (2.0, 41.0, 3.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, comment=b"flat 3, back bedroom")
    return buf.getvalue()


def test_metadata_is_not_kept_and_the_photo_is_turned_upright(
    server: LiveServer, olive: Device
) -> None:
    data = exif_jpeg()
    assert Image.open(io.BytesIO(data)).getexif()  # the upload does carry it
    answer = olive.put(sha(data), data)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["width"], answer.json()["height"]) == (600, 800)
    kept = stored(server, sha(data)).read_bytes()
    assert b"PhoneMaker" not in kept and b"back bedroom" not in kept
    im = Image.open(io.BytesIO(kept))
    assert not im.getexif() and "comment" not in im.info and "exif" not in im.info
    assert [marker for marker, _ in im.applist] == ["APP0"]
    assert im.size == (600, 800)


def test_png_text_chunks_are_not_kept(server: LiveServer, olive: Device) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "resident: Mrs Example")
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(buf, "PNG", pnginfo=info)
    data = buf.getvalue()
    assert olive.put(sha(data), data).status_code == 201
    kept = stored(server, sha(data)).read_bytes()
    assert b"Mrs Example" not in kept
    assert Image.open(io.BytesIO(kept)).size == (300, 200)


def test_a_tablet_photo_is_stored_as_sent(server: LiveServer, olive: Device) -> None:
    data = tablet_photo(41)
    assert olive.put(sha(data), data).status_code == 201
    assert stored(server, sha(data)).read_bytes() == data


# --- the name ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "a" * 64 + "%0A",  # a trailing newline
        "a" * 64 + "\n",
        "A" * 64,  # capitals: the same bytes under a second name
        "a" * 63 + "%0A",
    ],
    ids=["newline-escaped", "newline", "capitals", "63-and-newline"],
)
def test_a_name_must_be_exactly_64_lowercase_hex_digits(olive: Device, name: str) -> None:
    for answer in (olive.head(name), olive.put(name, b"x", "bytes 0-0/1")):
        assert answer.status_code == 400, (name, answer.status_code)


# --- partial uploads: expiry and quota ---------------------------------------------------
def wait_until(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_an_abandoned_partial_upload_expires(tmp_path: Path) -> None:
    env = {"PARTIAL_UPLOAD_TTL_SECONDS": "2"}
    with LiveServer(data_dir=tmp_path / "s", env=env) as live:
        live.add_user("olive", role="officer", patches=["North"])
        device = Device(live, "olive")
        data = tablet_photo(42)
        size = len(data)
        assert device.put(sha(data), data[:1000], f"bytes 0-999/{size}").status_code == 202
        partials = lambda: list((live.data_dir / "blobs" / "partial").rglob("*.part"))  # noqa: E731
        assert len(partials()) == 1
        wait_until(lambda: device.head(sha(data)).status_code == 404)
        wait_until(lambda: device.head(sha(data)) is not None and not partials())
        late = device.put(sha(data), data[1000:], f"bytes 1000-{size - 1}/{size}")
        assert late.status_code == 409 and late.json()["error"]["detail"]["offset"] == 0
        assert device.put(sha(data), data).status_code == 201
        device.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_partial_uploads_have_a_quota_per_device(tmp_path: Path, backend: str) -> None:
    first, second = tablet_photo(43), tablet_photo(44)
    quota = len(first) + len(second) - 1  # one device cannot have both open at once
    env = {"PARTIAL_UPLOAD_QUOTA_BYTES": str(quota)}
    with contextlib.ExitStack() as stack:
        url = None if backend == "sqlite" else stack.enter_context(fresh_database())
        live = stack.enter_context(LiveServer(data_dir=tmp_path / "s", database_url=url, env=env))
        live.add_user("olive", role="officer", patches=["North"])
        one, other = Device(live, "olive"), Device(live, "olive")
        a, b = len(first), len(second)
        assert one.put(sha(first), first[:1000], f"bytes 0-999/{a}").status_code == 202
        refused = one.put(sha(second), second[:1000], f"bytes 0-999/{b}")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "upload_quota_exceeded"
        assert int(refused.headers["Retry-After"]) > 0
        assert one.head(sha(second)).status_code == 404  # nothing kept of the refused one
        assert other.put(sha(second), second[:1000], f"bytes 0-999/{b}").status_code == 202
        assert one.put(sha(first), first[1000:], f"bytes 1000-{a - 1}/{a}").status_code == 201
        assert one.put(sha(second), second[:1000], f"bytes 0-999/{b}").status_code == 202
        one.close()
        other.close()
