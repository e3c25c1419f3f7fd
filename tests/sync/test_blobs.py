"""Photo uploads from a real device store to the real server: chunks, resume, refusals.

Faults come from ``Cut``, a wrapper around the device's real transport that cuts the
connection once a number of photo bytes have gone out (before the chunk is sent, or after the
server took it and the answer is lost), or kills the server at that moment.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fieldapp.photos import ProcessedPhoto, process_photo
from fieldapp.sync.blobs import BlobRejection, upload_pending
from fieldapp.sync.errors import NetworkError
from fieldapp.sync.transport import Transport, TransportResponse
from tests.support.live_server import LiveServer
from tests.sync.conftest import PROPS, DeviceFactory, setup_server
from tests.sync.device import Device

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
CHUNK = 16 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """SQLite only: the upload logic is the device's; the server tests cover PostgreSQL."""
    with LiveServer(data_dir=tmp_path_factory.mktemp("server")) as live:
        live.user_ids = setup_server(live)  # type: ignore[attr-defined]
        yield live


@dataclass
class Cut:
    """Fault injector around a real transport; records what was asked of the server."""

    inner: Transport
    after_bytes: int | None = None  # cut the PUT that would take the total past this
    lose_answer: bool = False  # cut after the server took that chunk, not before
    on_cut: Callable[[], None] | None = None  # e.g. kill the server at that moment
    sent: int = 0
    log: list[tuple[str, str, str | None]] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> TransportResponse:
        self.log.append((method, path, (headers or {}).get("Content-Range")))

        def send() -> TransportResponse:
            return self.inner.request(
                method,
                path,
                json_body=json_body,
                params=params,
                data=data,
                headers=headers,
                timeout=timeout,
            )

        size = len(data or b"") if method == "PUT" else 0
        if self.after_bytes is not None and size and self.sent + size > self.after_bytes:
            self.after_bytes = None  # one cut
            if self.on_cut is not None:
                self.on_cut()
                return send()  # the real failure of a dead server
            if self.lose_answer:
                send()
                self.sent += size
                raise NetworkError("injected: the answer to the chunk was lost")
            raise NetworkError("injected: the connection dropped before the chunk went out")
        answer = send()
        self.sent += size
        return answer

    def puts(self) -> list[str]:
        return [rng for method, _path, rng in self.log if method == "PUT" and rng]


def camera_photo(seed: int, size: tuple[int, int] = (640, 480)) -> ProcessedPhoto:
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return process_photo(buf.getvalue())


def take_photos(device: Device, seeds: list[int]) -> list[ProcessedPhoto]:
    """Photos on a new Oak Farm walkabout, their records synced (blobs travel apart)."""
    walkabout = device.store.create(
        "walkabout", {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z"}, now=NOW
    )
    photos = [camera_photo(seed) for seed in seeds]
    for p in photos:
        device.store.add_photo(
            parent_entity="walkabout",
            parent_id=walkabout["id"],
            jpeg=p.jpeg,
            thumb=p.thumb,
            sha256=p.sha256,
            width=p.width,
            height=p.height,
            taken_at=p.taken_at,
            lat=p.lat,
            lon=p.lon,
            caption=None,
            now=NOW,
        )
    assert device.sync().status == "online"
    return photos


def fetch(device: Device, sha256: str, size: str | None = None) -> TransportResponse:
    params = {"size": size} if size else None
    return device.http.request("GET", f"/api/v1/blobs/{sha256}", params=params)


def pending(device: Device) -> set[str]:
    return {sha for sha, _path, _size in device.store.pending_blobs()}


def test_photos_upload_in_chunks_with_progress_and_others_can_fetch_them(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    olive, oscar = make_device(server, "olive"), make_device(server, "oscar")
    photos = take_photos(olive, [1, 2])
    total = sum(p.bytes for p in photos)
    assert pending(olive) == {p.sha256 for p in photos}
    seen: list[tuple[int, int]] = []
    cut = Cut(olive.transport)
    count = upload_pending(
        store=olive.store,
        transport=cut,
        progress=lambda d, t: seen.append((d, t)),
        chunk_size=CHUNK,
    )
    assert count == 2 and pending(olive) == set()
    expected_puts = sum(-(-p.bytes // CHUNK) for p in photos)
    assert len(cut.puts()) == expected_puts
    assert cut.puts()[0] == f"bytes 0-{CHUNK - 1}/{photos[0].bytes}"
    assert seen[-1] == (total, total)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert all(t == total for _d, t in seen)
    assert oscar.sync().status == "online"
    for p in photos:
        got = fetch(oscar, p.sha256)
        assert got.status == 200 and got.body == p.jpeg
        thumb = fetch(oscar, p.sha256, "thumb")
        assert thumb.status == 200 and max(Image.open(io.BytesIO(thumb.body)).size) == 256
    # Nothing left to do: one pass, no requests.
    again = Cut(olive.transport)
    assert upload_pending(store=olive.store, transport=again) == 0 and again.log == []


@pytest.mark.parametrize("lose_answer", [False, True], ids=["cut-before", "answer-lost"])
def test_a_cut_connection_resumes_where_the_server_got_to(
    server: LiveServer, make_device: DeviceFactory, lose_answer: bool
) -> None:
    olive = make_device(server, "olive")
    (p,) = take_photos(olive, [10 + lose_answer])
    assert p.bytes > 4 * CHUNK
    cut = Cut(olive.transport, after_bytes=3 * CHUNK + 10, lose_answer=lose_answer)
    with pytest.raises(NetworkError):
        upload_pending(store=olive.store, transport=cut, chunk_size=CHUNK)
    assert pending(olive) == {p.sha256}
    held = 4 * CHUNK if lose_answer else 3 * CHUNK  # the lost answer's chunk did arrive
    head = olive.http.request("HEAD", f"/api/v1/blobs/{p.sha256}")
    assert head.status == 308 and int(head.headers["upload-offset"]) == held

    resumed = Cut(olive.transport)
    assert upload_pending(store=olive.store, transport=resumed, chunk_size=CHUNK) == 1
    assert resumed.log[0][0] == "HEAD"
    assert resumed.puts()[0] == f"bytes {held}-{held + CHUNK - 1}/{p.bytes}"
    assert resumed.sent == p.bytes - held  # nothing sent twice
    assert pending(olive) == set()
    assert fetch(olive, p.sha256).body == p.jpeg


def test_an_upload_resumes_after_the_server_is_killed_and_restarted(
    tmp_path: Path, make_device: DeviceFactory
) -> None:
    with LiveServer(data_dir=tmp_path / "server") as live:
        live.import_properties(PROPS)
        live.add_user("olive", role="officer", patches=["North"])
        olive = make_device(live, "olive")
        (p,) = take_photos(olive, [20])
        cut = Cut(olive.transport, after_bytes=2 * CHUNK + 1, on_cut=live.kill)
        with pytest.raises(NetworkError):
            upload_pending(store=olive.store, transport=cut, chunk_size=CHUNK)
        assert not live.running and pending(olive) == {p.sha256}
        live.start()
        olive.point_at(live.url)
        resumed = Cut(olive.transport)
        assert upload_pending(store=olive.store, transport=resumed, chunk_size=CHUNK) == 1
        assert resumed.puts()[0].startswith(f"bytes {2 * CHUNK}-")
        assert resumed.sent == p.bytes - 2 * CHUNK
        assert fetch(olive, p.sha256).body == p.jpeg
        assert pending(olive) == set()


def test_a_refused_blob_is_reported_and_waits_while_the_queue_moves_on(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    olive = make_device(server, "olive")
    (good,) = take_photos(olive, [30])
    junk = random.Random(31).randbytes(5000)  # the store does not look inside
    junk_sha = hashlib.sha256(junk).hexdigest()
    olive.store.add_photo(
        parent_entity="walkabout",
        parent_id=olive.store.all("walkabout")[0]["id"],
        jpeg=junk,
        thumb=b"",
        sha256=junk_sha,
        width=1,
        height=1,
        taken_at=None,
        lat=None,
        lon=None,
        caption=None,
        now=NOW,
    )
    refused: list[BlobRejection] = []
    clock = [NOW]

    def upload(transport: Transport) -> int:
        return upload_pending(
            store=olive.store,
            transport=transport,
            chunk_size=CHUNK,
            on_rejected=refused.append,
            clock=lambda: clock[0],
        )

    assert upload(Cut(olive.transport)) == 1
    assert [(r.sha256, r.status, r.code) for r in refused] == [(junk_sha, 415, "not_an_image")]
    assert refused[0].message
    assert pending(olive) == {junk_sha}  # kept on the device, not marked uploaded
    assert olive.http.request("HEAD", f"/api/v1/blobs/{junk_sha}").status == 404

    # The next rounds (every 15 s when online) leave it alone during its cooldown...
    quiet = Cut(olive.transport)
    clock[0] = NOW + timedelta(minutes=14)
    assert upload(quiet) == 0
    assert quiet.log == [] and len(refused) == 1
    # ...then try once more, and wait longer after a second refusal.
    for minutes, tried in ((16, True), (16 + 59, False), (16 + 61, True)):
        clock[0] = NOW + timedelta(minutes=minutes)
        probe = Cut(olive.transport)
        upload(probe)
        assert bool(probe.log) == tried, minutes
    assert len(refused) == 3


def test_a_damaged_local_file_is_reported_without_sending_it(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    olive = make_device(server, "olive")
    first, second = take_photos(olive, [40, 41])
    path = olive.store.photo_path(first.sha256)
    assert path is not None
    path.write_bytes(first.jpeg[:-10])  # storage fault after capture
    refused: list[BlobRejection] = []
    cut = Cut(olive.transport)
    got = upload_pending(store=olive.store, transport=cut, on_rejected=refused.append)
    assert got == 1
    assert [(r.sha256, r.status, r.code) for r in refused] == [(first.sha256, 0, "file_corrupt")]
    assert all(first.sha256 not in p for _m, p, _r in cut.log)
    assert pending(olive) == {first.sha256}
    assert fetch(olive, second.sha256).body == second.jpeg


def test_a_blob_the_server_already_has_is_marked_without_sending_it(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    olive, oscar = make_device(server, "olive"), make_device(server, "oscar")
    (p,) = take_photos(olive, [50])
    assert upload_pending(store=olive.store, transport=olive.transport) == 1
    # The same photo (same bytes) attached on another tablet.
    oscar.store.add_photo(
        parent_entity="walkabout",
        parent_id=olive.store.all("walkabout")[0]["id"],
        jpeg=p.jpeg,
        thumb=p.thumb,
        sha256=p.sha256,
        width=p.width,
        height=p.height,
        taken_at=None,
        lat=None,
        lon=None,
        caption=None,
        now=NOW,
    )
    cut = Cut(oscar.transport)
    assert upload_pending(store=oscar.store, transport=cut) == 1
    assert [m for m, _p, _r in cut.log] == ["HEAD"] and pending(oscar) == set()
