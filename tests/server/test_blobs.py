"""Photo blobs on the real server: resumable PUT, HEAD offsets, checks on completion, scoped GET.

One server per backend for the module (each test uploads its own photo, so blobs never
collide); the restart test runs its own server so it can SIGKILL it.
"""

from __future__ import annotations

import hashlib
import io
import random
import sqlite3
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from fieldapp.ids import from_wire, new_id
from fieldapp.photos import process_photo
from tests.support.live_server import LiveServer

LIMIT = 1024 * 1024  # MAX_BLOB_BYTES of the module's server
PROPS = [
    {
        "uprn": "200000000001",
        "patch": "North",
        "estate": "Oak Farm",
        "block": "A",
        "address": "1 Oak Road",
        "postcode": "WA7 1AB",
        "lat": 53.33,
        "lon": -2.70,
        "bedrooms": 2,
        "tenancy_ref": "TEN-1",
    },
    {
        "uprn": "200000000002",
        "patch": "South",
        "estate": "Elm Court",
        "block": "B",
        "address": "2 Elm Road",
        "postcode": "WA7 2CD",
        "lat": 53.31,
        "lon": -2.72,
        "bedrooms": 3,
        "tenancy_ref": "TEN-2",
    },
]


def photo(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A distinct, valid JPEG as the app would upload it."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return process_photo(buf.getvalue()).jpeg


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Api:
    """Raw HTTP to the server as one signed-in user."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.server = server
        self.device_id = new_id()
        self.token = server.login(username, device_id=self.device_id)["access_token"]
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def _h(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def head(self, digest: str) -> requests.Response:
        return self.http.head(f"{self.server.api}/blobs/{digest}", headers=self._h())

    def put(
        self,
        digest: str,
        body: bytes,
        content_range: str | None,
        content_type: str | None = "image/jpeg",
    ) -> requests.Response:
        headers = self._h({"Content-Type": content_type} if content_type else None)
        if content_range is not None:
            headers["Content-Range"] = content_range
        return self.http.put(f"{self.server.api}/blobs/{digest}", data=body, headers=headers)

    def put_range(self, data: bytes, start: int, end: int) -> requests.Response:
        return self.put(sha(data), data[start : end + 1], f"bytes {start}-{end}/{len(data)}")

    def upload(self, data: bytes, chunk: int = 64 * 1024) -> requests.Response:
        start = 0
        while True:
            end = min(start + chunk, len(data)) - 1
            answer = self.put_range(data, start, end)
            if answer.status_code != 202:
                return answer
            start = int(answer.headers["Upload-Offset"])

    def get(self, digest: str, size: str | None = None) -> requests.Response:
        params = {"size": size} if size else None
        return self.http.get(f"{self.server.api}/blobs/{digest}", params=params, headers=self._h())

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"device_id": self.device_id, "schema_version": 1, "mutations": []}
        for seq, (entity, rid, patch) in enumerate(
            (m["entity"], m["id"], m["patch"]) for m in mutations
        ):
            body["mutations"].append(  # type: ignore[attr-defined]
                {
                    "mutation_id": new_id(),
                    "device_seq": seq + 1,
                    "entity": entity,
                    "id": rid,
                    "op": "upsert",
                    "base_version": None,
                    "patch": patch,
                    "client_time": "2026-06-10T09:00:00Z",
                }
            )
        status, answer = self.server.request("POST", "/sync/push", body, token=self.token)
        assert status == 200, answer
        results: list[dict[str, Any]] = answer["results"]
        assert all(r["status"] == "applied" for r in results), results
        return results


def recent(text: Any) -> None:
    """A wire time (``…Z``) within a minute of now: a ``server_time``."""
    assert isinstance(text, str) and text.endswith("Z"), text
    assert abs(datetime.now(UTC) - from_wire(text)) < timedelta(minutes=1)


def stamped(answer: requests.Response) -> None:
    """The answer carries the ``Server-Time`` header (once)."""
    values = [v for k, v in answer.raw.headers.items() if k.lower() == "server-time"]
    assert len(values) == 1, values
    recent(values[0])


def error(answer: requests.Response) -> dict[str, Any]:
    body = answer.json()
    assert set(body) == {"error", "server_time"}
    recent(body["server_time"])
    err: dict[str, Any] = body["error"]
    assert "Traceback" not in err["message"]
    return err


def stored_files(server: LiveServer, digest: str) -> list[Path]:
    return sorted(p for p in (server.data_dir / "blobs").rglob(f"{digest}*") if p.is_file())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(
        data_dir=tmp_path_factory.mktemp("blobs"), env={"MAX_BLOB_BYTES": str(LIMIT)}
    ) as live:
        setup_users(live)
        yield live


def setup_users(live: LiveServer) -> dict[str, str]:
    live.import_properties(PROPS)
    ids = {
        "olive": live.add_user("olive", role="officer", patches=["North"]),
        "sally": live.add_user("sally", role="officer", patches=["South"]),
        "mina": live.add_user("mina", role="manager"),
        "percy": live.add_user("percy", role="pcso", patches=["North"]),
    }
    live.user_ids = ids  # type: ignore[attr-defined]
    return ids


@pytest.fixture
def olive(server: LiveServer) -> Iterator[Api]:
    api = Api(server, "olive")
    yield api
    api.close()


# --- upload ------------------------------------------------------------------------------
def test_chunked_upload_reports_offsets_and_stores_blob_and_thumbnail(
    server: LiveServer, olive: Api
) -> None:
    data = photo(1, (900, 700))
    digest = sha(data)
    assert len(data) > 3 * 16 * 1024
    assert olive.head(digest).status_code == 404
    offsets = []
    start = 0
    while True:
        end = min(start + 16 * 1024, len(data)) - 1
        answer = olive.put_range(data, start, end)
        if answer.status_code == 201:
            break
        assert answer.status_code == 202, answer.text
        assert answer.json()["complete"] is False
        start = int(answer.headers["Upload-Offset"])
        offsets.append(start)
        head = olive.head(digest)
        assert head.status_code == 308
        assert int(head.headers["Upload-Offset"]) == start
        assert int(head.headers["Upload-Length"]) == len(data)
    assert offsets == list(range(16 * 1024, len(data), 16 * 1024))
    done = answer.json()
    assert done["complete"] is True and done["size"] == len(data)
    assert (done["content_type"], done["width"], done["height"]) == ("image/jpeg", 900, 700)
    head = olive.head(digest)
    assert head.status_code == 200 and int(head.headers["Upload-Offset"]) == len(data)
    final = server.data_dir / "blobs" / digest[:2] / digest
    assert final.read_bytes() == data
    thumb = Image.open(final.with_name(f"{digest}.thumb.jpg"))
    assert thumb.format == "JPEG" and max(thumb.size) == 256
    assert not list((server.data_dir / "blobs" / "partial").glob(f"{digest}*"))


def test_a_single_put_uploads_a_whole_photo_and_a_repeat_is_harmless(olive: Api) -> None:
    data = photo(2)
    first = olive.put_range(data, 0, len(data) - 1)
    assert first.status_code == 201
    again = olive.put_range(data, 0, len(data) - 1)
    assert again.status_code == 200 and again.json()["complete"] is True


def test_wrong_offset_is_refused_with_the_current_offset(olive: Api) -> None:
    data = photo(3)
    assert olive.put_range(data, 0, 99).status_code == 202
    for start, end in ((200, 299), (0, 99), (50, 149)):
        answer = olive.put_range(data, start, end)
        assert answer.status_code == 409
        err = error(answer)
        assert err["code"] == "blob_offset_mismatch"
        assert err["detail"]["offset"] == 100
    assert olive.put_range(data, 100, len(data) - 1).status_code == 201


def test_a_first_chunk_not_at_zero_is_refused_and_leaves_nothing(
    server: LiveServer, olive: Api
) -> None:
    data = photo(16)
    answer = olive.put_range(data, 100, 199)
    assert answer.status_code == 409 and error(answer)["detail"]["offset"] == 0
    assert olive.head(sha(data)).status_code == 404
    assert stored_files(server, sha(data)) == []


def test_two_writers_of_the_same_chunk_one_wins(olive: Api, server: LiveServer) -> None:
    data = photo(4)
    again = Api(server, "olive")  # a second connection of the same device (a retry racing)
    again.device_id, again.token = olive.device_id, olive.token
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def send(api: Api) -> None:
        barrier.wait()
        answers.append(api.put_range(data, 0, 999).status_code)

    threads = [threading.Thread(target=send, args=(a,)) for a in (olive, again)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again.close()
    assert sorted(answers) == [202, 409]
    assert int(olive.head(sha(data)).headers["Upload-Offset"]) == 1000


@pytest.mark.parametrize(
    "content_range",
    [
        "",
        "bytes 0-9",
        "0-9/100",
        "bytes=0-9/100",
        "bytes 10-9/100",  # END before START
        "bytes 0-100/100",  # END past the last byte
        "bytes -1-9/100",
        "bytes 0-8/100",  # names 9 bytes, the body has 10
        "bytes 0-10/100",  # names 11 bytes
        "bytes */100",
    ],
)
def test_malformed_content_range_is_a_400(olive: Api, content_range: str) -> None:
    answer = olive.put(sha(b"x" * 100), b"0123456789", content_range)
    assert answer.status_code == 400
    err = error(answer)
    assert err["code"] == "bad_content_range"
    said = err["message"] + repr(err["detail"])  # names the header, never echoes its value
    assert content_range == "" or content_range not in said
    assert "100" not in said


def test_content_range_at_the_boundary_is_accepted(olive: Api) -> None:
    digest = sha(new_id().encode())
    answer = olive.put(digest, b"0123456789", "bytes 0-9/11")  # one byte short of complete
    assert answer.status_code == 202 and answer.headers["Upload-Offset"] == "10"


@pytest.mark.parametrize(("total", "status"), [(LIMIT, 202), (LIMIT + 1, 413)])
def test_declared_size_over_the_limit_is_image_too_large(
    olive: Api, total: int, status: int
) -> None:
    answer = olive.put(sha(new_id().encode()), b"\xff\xd8", f"bytes 0-1/{total}")
    assert answer.status_code == status
    if status == 413:
        err = error(answer)
        assert err["code"] == "image_too_large"
        assert str(total) not in err["message"] + repr(err["detail"])


# --- one PUT without Content-Range, and server_time -------------------------------------
def test_a_put_without_content_range_uploads_the_whole_photo(
    server: LiveServer, olive: Api
) -> None:
    data = photo(21)
    answer = olive.put(sha(data), data, None)
    assert answer.status_code == 201, answer.text
    done = answer.json()
    assert (done["complete"], done["size"], done["content_type"]) == (True, len(data), "image/jpeg")
    assert answer.headers["Upload-Offset"] == str(len(data))
    assert olive.head(sha(data)).status_code == 200
    final = server.data_dir / "blobs" / sha(data)[:2] / sha(data)
    assert final.read_bytes() == data
    again = olive.put(sha(data), data, None)
    assert again.status_code == 200 and again.json()["complete"] is True


def test_a_whole_put_replaces_a_partial_upload(olive: Api) -> None:
    data = photo(22)
    assert olive.put_range(data, 0, 999).status_code == 202
    answer = olive.put(sha(data), data, None)
    assert answer.status_code == 201, answer.text
    assert olive.head(sha(data)).status_code == 200


def test_a_whole_put_is_hash_checked_and_nothing_is_kept(server: LiveServer, olive: Api) -> None:
    data = photo(23)
    claimed = sha(data + b"!")
    answer = olive.put(claimed, data, None)
    assert answer.status_code == 422
    assert error(answer)["code"] == "blob_hash_mismatch"
    assert olive.head(claimed).status_code == 404
    assert stored_files(server, claimed) == []


def test_an_empty_put_without_content_range_is_a_400(olive: Api) -> None:
    answer = olive.put(sha(b""), b"", None)
    assert answer.status_code == 400
    assert error(answer)["code"] == "bad_content_range"


@pytest.mark.parametrize(
    ("content_type", "seed"), [(None, 24), ("application/octet-stream", 25), ("image/png", 26)]
)
def test_the_stored_type_comes_from_the_bytes_not_the_header(
    olive: Api, content_type: str | None, seed: int
) -> None:
    data = photo(seed)
    answer = olive.put(sha(data), data, None, content_type)
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_type"] == "image/jpeg"


def test_every_blob_answer_carries_server_time(server: LiveServer, olive: Api) -> None:
    data = photo(30)
    digest = put_photo_on_walkabout(olive, data)
    partial = photo(31)
    answers = {
        "202": olive.put_range(partial, 0, 999),
        "200": olive.put(digest, data, None),
        "409": olive.put_range(partial, 0, 999),
    }
    for status, answer in answers.items():
        assert str(answer.status_code) == status, answer.text
        recent(answer.json()["server_time"])
        stamped(answer)
    fresh = photo(32)
    created = olive.put(sha(fresh), fresh, None)
    assert created.status_code == 201
    recent(created.json()["server_time"])
    stamped(created)
    for answer in (
        olive.head(digest),  # 200
        olive.head(sha(partial)),  # 308
        olive.head(sha(b"unknown")),  # 404
        olive.get(digest),  # the JPEG itself
        olive.get(digest, "thumb"),
    ):
        assert answer.status_code in (200, 308, 404)
        stamped(answer)


def test_other_content_types_are_refused(olive: Api) -> None:
    data = photo(5)
    answer = olive.put(sha(data), data, f"bytes 0-{len(data) - 1}/{len(data)}", "text/plain")
    assert answer.status_code == 415
    assert error(answer)["code"] == "unsupported_media_type"


def test_a_name_that_is_not_a_sha256_is_a_400(olive: Api) -> None:
    for name in ("abc", "g" * 64, "0" * 63):
        assert olive.head(name).status_code == 400
        assert error(olive.put(name, b"x", "bytes 0-0/1"))["code"] == "bad_request"


def test_without_a_token_nothing_is_served(server: LiveServer) -> None:
    digest = sha(b"anything")
    url = f"{server.api}/blobs/{digest}"
    assert requests.head(url).status_code == 401
    assert requests.get(url).status_code == 401
    answer = requests.put(url, data=b"x", headers={"Content-Range": "bytes 0-0/1"})
    assert answer.status_code == 401


def test_restart_with_a_different_length_starts_over(olive: Api) -> None:
    data = photo(6)
    digest = sha(data)
    # A broken client declared the wrong length; the right one must still get through.
    assert olive.put(digest, data[:100], f"bytes 0-99/{len(data) + 5}").status_code == 202
    wrong = olive.put(digest, data[100:200], f"bytes 100-199/{len(data)}")
    assert wrong.status_code == 409 and error(wrong)["detail"]["offset"] == 0
    assert olive.upload(data).status_code == 201


# --- checks on completion ----------------------------------------------------------------
def _bomb_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


def test_hash_mismatch_is_refused_and_nothing_is_kept(server: LiveServer, olive: Api) -> None:
    data = photo(7)
    claimed = sha(data + b"!")
    assert olive.put(claimed, data[:500], f"bytes 0-499/{len(data)}").status_code == 202
    answer = olive.put(claimed, data[500:], f"bytes 500-{len(data) - 1}/{len(data)}")
    assert answer.status_code == 422
    assert error(answer)["code"] == "blob_hash_mismatch"
    assert olive.head(claimed).status_code == 404
    assert stored_files(server, claimed) == []


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (random.Random(8).randbytes(5000), 415, "not_an_image"),
        (
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
            b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            415,
            "unsupported_media_type",
        ),
        (photo(9)[:-2000], 415, "not_an_image"),  # truncated JPEG
        (_bomb_png(), 413, "image_too_large"),
    ],
    ids=["random", "gif", "truncated", "bomb"],
)
def test_what_is_not_a_permitted_image_is_refused_and_not_kept(
    server: LiveServer, olive: Api, payload: bytes, status: int, code: str
) -> None:
    answer = olive.upload(payload, chunk=1000)
    assert answer.status_code == status
    assert error(answer)["code"] == code
    assert olive.head(sha(payload)).status_code == 404
    assert stored_files(server, sha(payload)) == []


# --- who may download --------------------------------------------------------------------
def put_photo_on_walkabout(
    api: Api, data: bytes, *, estate: str = "Oak Farm", participants: Sequence[str] = ()
) -> str:
    """Upload ``data`` and push a walkabout with a photo record naming it; returns the sha."""
    assert api.upload(data).status_code in (200, 201)  # 200: it was there already
    walkabout = new_id()
    people = [{"user_id": uid, "name": "Partner", "role": "pcso"} for uid in participants]
    # Two pushes: the walkabout is settled before the photo that hangs from it.
    api.push(
        {
            "entity": "walkabout",
            "id": walkabout,
            "patch": {
                "estate": estate,
                "started_at": "2026-06-10T09:00:00Z",
                "participants": people,
            },
        },
    )
    api.push(
        {
            "entity": "photo",
            "id": new_id(),
            "patch": {
                "parent_entity": "walkabout",
                "parent_id": walkabout,
                "sha256": sha(data),
                "bytes": len(data),
                "width": 700,
                "height": 500,
            },
        },
    )
    return sha(data)


@pytest.fixture(scope="module")
def two_photos(server: LiveServer) -> dict[str, tuple[str, bytes]]:
    """Two Oak Farm (North) walkabout photos: percy joined the first walkabout only."""
    olive = Api(server, "olive")
    joined, alone = photo(10, (700, 500)), photo(11, (700, 500))
    percy = server.user_ids["percy"]  # type: ignore[attr-defined]
    put_photo_on_walkabout(olive, joined, participants=[percy])
    put_photo_on_walkabout(olive, alone)
    olive.close()
    return {"joined": (sha(joined), joined), "alone": (sha(alone), alone)}


@pytest.mark.parametrize(
    ("username", "which", "allowed"),
    [
        ("olive", "alone", True),  # the uploader's patch
        ("mina", "alone", True),  # managers see everything
        ("sally", "joined", False),  # another patch
        ("percy", "joined", True),  # a PCSO on that walkabout
        ("percy", "alone", False),  # a PCSO not on it
    ],
)
def test_get_is_served_only_to_who_may_see_the_photo_record(
    server: LiveServer,
    two_photos: dict[str, tuple[str, bytes]],
    username: str,
    which: str,
    allowed: bool,
) -> None:
    digest, data = two_photos[which]
    api = Api(server, username)
    try:
        full = api.get(digest)
        thumb = api.get(digest, "thumb")
    finally:
        api.close()
    if not allowed:
        assert full.status_code == thumb.status_code == 404
        assert error(full)["code"] == "not_found"
        assert data not in full.content
        return
    assert full.status_code == 200 and full.content == data
    assert full.headers["content-type"] == "image/jpeg"
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    small = Image.open(io.BytesIO(thumb.content))
    assert small.format == "JPEG" and small.size == (256, 183)


def test_a_blob_no_record_names_is_not_served_even_to_a_manager(
    server: LiveServer, olive: Api
) -> None:
    data = photo(13)
    assert olive.upload(data).status_code == 201
    mina = Api(server, "mina")
    try:
        assert mina.get(sha(data)).status_code == 404
    finally:
        mina.close()


def test_a_png_is_served_as_png_even_if_its_row_missed_the_update(
    server: LiveServer, olive: Api
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(buf, "PNG")
    data = buf.getvalue()
    digest = put_photo_on_walkabout(olive, data)
    assert olive.get(digest).headers["content-type"] == "image/png"
    # A crash between the rename and the row update leaves the row without its type.
    with sqlite3.connect(server.data_dir / "server.db") as db:
        db.execute("UPDATE blob SET content_type = NULL, complete = 0 WHERE sha256 = ?", (digest,))
    assert olive.head(digest).status_code == 200
    answer = olive.get(digest)
    assert answer.headers["content-type"] == "image/png" and answer.content == data


def test_unknown_size_parameter_is_refused(
    two_photos: dict[str, tuple[str, bytes]], olive: Api
) -> None:
    answer = olive.get(two_photos["alone"][0], "huge")
    assert answer.status_code == 422
    assert error(answer)["code"] == "validation_failed"


# --- restarts and PostgreSQL -------------------------------------------------------------
def test_a_partial_upload_survives_a_sigkill_and_resumes(tmp_path: Path) -> None:
    with LiveServer(data_dir=tmp_path / "server") as live:
        live.add_user("olive", role="officer", patches=["North"])
        api = Api(live, "olive")
        data = photo(12, (600, 400))
        digest = sha(data)
        assert api.put_range(data, 0, 4095).status_code == 202
        assert api.put_range(data, 4096, 8191).status_code == 202
        live.kill()
        live.start()  # a new port: Api reads server.api each time
        head = api.head(digest)
        assert head.status_code == 308 and head.headers["Upload-Offset"] == "8192"
        assert api.put_range(data, 0, 4095).status_code == 409
        assert api.put_range(data, 8192, len(data) - 1).status_code == 201
        live.kill()
        live.start()
        assert api.head(digest).status_code == 200
        assert (live.data_dir / "blobs" / digest[:2] / digest).read_bytes() == data
        api.close()


@pytest.mark.postgres
def test_upload_checks_and_scoped_get_on_postgres(tmp_path: Path, pg_url: str) -> None:
    with LiveServer(data_dir=tmp_path / "server", database_url=pg_url) as live:
        live.import_properties(PROPS)
        live.add_user("olive", role="officer", patches=["North"])
        live.add_user("sally", role="officer", patches=["South"])
        olive, sally = Api(live, "olive"), Api(live, "sally")
        data = photo(14, (700, 500))
        assert olive.put_range(data, 0, 999).status_code == 202
        assert olive.head(sha(data)).headers["Upload-Offset"] == "1000"
        assert error(olive.put_range(data, 0, 999))["detail"]["offset"] == 1000
        assert olive.put_range(data, 1000, len(data) - 1).status_code == 201
        bad = photo(15)
        answer = olive.put(sha(bad + b"!"), bad, f"bytes 0-{len(bad) - 1}/{len(bad)}")
        assert error(answer)["code"] == "blob_hash_mismatch"
        digest = put_photo_on_walkabout(olive, data)
        assert olive.get(digest).content == data
        assert olive.get(digest, "thumb").status_code == 200
        assert sally.get(digest).status_code == 404
        olive.close()
        sally.close()
