"""Photo bytes belong to whoever sent them, on SQLite and PostgreSQL (the shared ``cast``).

The attack of the security review: a user who learns a photo's SHA-256 writes a photo record
naming it on a walkabout of their own, then downloads the photo (or finds it in the
walkabout PDF). Each test here fails if the protection it names is taken away.
"""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

import httpx
from PIL import Image

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from tests.server.conftest import Cast
from tests.support.api import PASSWORD, Api, mutation


def photo(seed: int) -> bytes:
    """A distinct JPEG as the tablet uploads it."""
    rnd = random.Random(seed * 7919 + 17)
    img = Image.frombytes("RGB", (400, 300), rnd.randbytes(400 * 300 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return process_photo(buf.getvalue()).jpeg


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(api: Api, digest: str, body: bytes, content_range: str | None = None) -> httpx.Response:
    headers = {**api.headers, "Content-Type": "image/jpeg"}
    if content_range is not None:
        headers["Content-Range"] = content_range
    return api.http.put(f"{api.base}/blobs/{digest}", content=body, headers=headers)


def head(api: Api, digest: str) -> httpx.Response:
    return api.http.head(f"{api.base}/blobs/{digest}", headers=api.headers)


def get(api: Api, digest: str, size: str | None = None) -> httpx.Response:
    params = {"size": size} if size else None
    return api.get(f"/blobs/{digest}", params=params)


def walkabout(api: Api, estate: str, partners: tuple[str, ...] = ()) -> str:
    wid = new_id()
    people = [{"user_id": uid, "name": "Partner", "role": "pcso"} for uid in partners]
    patch = {"estate": estate, "started_at": "2026-06-10T09:00:00Z", "participants": people}
    assert api.push_one(mutation("walkabout", wid, patch))["status"] == "applied"
    return wid


def name_photo(api: Api, walkabout_id: str, data: bytes) -> dict[str, Any]:
    """Push a photo record on the walkabout naming ``data``; returns the result."""
    patch = {
        "parent_entity": "walkabout",
        "parent_id": walkabout_id,
        "sha256": sha(data),
        "bytes": len(data),
        "width": 400,
        "height": 300,
    }
    return api.push_one(mutation("photo", new_id(), patch))


def south_photo(cast: Cast, seed: int) -> tuple[bytes, str]:
    """south1 uploads a photo and names it on an Elm (South) walkabout: (bytes, walkabout)."""
    data = photo(seed)
    with cast.api("south1") as south:
        assert put(south, sha(data), data).status_code == 201
        wid = walkabout(south, "Elm")
        assert name_photo(south, wid, data)["status"] == "applied"
        assert get(south, sha(data)).content == data
    return data, wid


def test_naming_someone_elses_bytes_is_rejected_and_reads_nothing(cast: Cast) -> None:
    data, _ = south_photo(cast, 1)
    digest = sha(data)
    pcso = cast.users["pcso1"]
    with cast.api("north1") as north, cast.api("pcso1") as partner:
        own = walkabout(north, "Oak", partners=(pcso,))
        claim = name_photo(north, own, data)
        assert claim["status"] == "rejected" and claim["error"]["code"] == "blob_not_yours"
        partner_claim = name_photo(partner, own, data)
        assert partner_claim["status"] == "rejected"
        assert partner_claim["error"]["code"] == "blob_not_yours"
        for api in (north, partner):
            for answer in (get(api, digest), get(api, digest, "thumb")):
                assert answer.status_code == 404 and data not in answer.content
                assert answer.json()["error"]["code"] == "not_found"


def test_a_record_written_before_the_bytes_arrive_does_not_open_them(cast: Cast) -> None:
    """Records may precede their bytes, so a claim on unknown bytes is accepted, yet it
    gives no read once someone else uploads them."""
    data = photo(2)
    with cast.api("north1") as north, cast.api("south1") as south:
        early = name_photo(north, walkabout(north, "Oak"), data)
        assert early["status"] == "applied"
        assert put(south, sha(data), data).status_code == 201
        assert name_photo(south, walkabout(south, "Elm"), data)["status"] == "applied"
        assert get(south, sha(data)).content == data
        assert get(north, sha(data)).status_code == 404


def test_head_and_a_repeated_put_tell_a_non_owner_nothing(cast: Cast) -> None:
    data, _ = south_photo(cast, 3)
    digest = sha(data)
    unknown = sha(data + b"never uploaded")
    with cast.api("north1") as north, cast.api("south1") as south:
        assert head(south, digest).status_code == 200
        mine, never = head(north, digest), head(north, unknown)
        assert mine.status_code == never.status_code == 404
        assert mine.content == b"" and "upload-offset" not in mine.headers
        varying = {"date", "server-time"}
        assert {k: v for k, v in mine.headers.items() if k not in varying} == {
            k: v for k, v in never.headers.items() if k not in varying
        }
        # A chunk of the bytes: the answer of a fresh upload, no size, width or height.
        chunk = put(north, digest, data[:1000], f"bytes 0-999/{len(data)}")
        fresh = put(north, unknown, data[:1000], f"bytes 0-999/{len(data)}")
        assert chunk.status_code == fresh.status_code == 202
        assert set(chunk.json()) == set(fresh.json())
        assert "width" not in chunk.json()
        assert head(north, digest).headers["Upload-Offset"] == "1000"  # its own upload
        # A whole PUT of wrong bytes under the name: refused as if the name were unknown.
        wrong = put(north, digest, photo(30))
        assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "blob_hash_mismatch"


def test_sending_the_same_bytes_is_proof_of_possession(cast: Cast) -> None:
    data, _ = south_photo(cast, 4)
    digest = sha(data)
    with cast.api("north1") as north:
        assert name_photo(north, walkabout(north, "Oak"), data)["error"]["code"] == (
            "blob_not_yours"
        )
        upload = put(north, digest, data)
        assert upload.status_code == 201 and upload.json()["complete"] is True
        assert head(north, digest).status_code == 200
        again = put(north, digest, data[:10], f"bytes 0-9/{len(data)}")
        assert again.status_code == 200  # now an owner: the chunk is not needed
        assert name_photo(north, walkabout(north, "Oak"), data)["status"] == "applied"
        assert get(north, digest).content == data


def test_a_user_who_can_read_the_bytes_may_name_them_again(cast: Cast) -> None:
    data, _ = south_photo(cast, 5)
    with cast.api("boss") as boss, cast.api("north1") as north:
        assert get(boss, sha(data)).status_code == 200  # managers see the South walkabout
        oak = walkabout(boss, "Oak")
        assert name_photo(boss, oak, data)["status"] == "applied"
        # North officers see the manager's Oak walkabout, and the bytes it was entitled to.
        assert get(north, sha(data)).content == data


def test_a_partial_upload_belongs_to_the_device_that_started_it(cast: Cast) -> None:
    data = photo(6)
    digest = sha(data)
    size = len(data)
    garbage = random.Random(6).randbytes(size)
    with cast.api("south1") as south, cast.api("north1") as north:
        assert put(south, digest, data[:1000], f"bytes 0-999/{size}").status_code == 202
        assert head(north, digest).status_code == 404  # another's upload is not shown
        # Garbage under the same name, over the same range and then to the end.
        assert put(north, digest, garbage[:1000], f"bytes 0-999/{size}").status_code == 202
        broken = put(north, digest, garbage[1000:], f"bytes 1000-{size - 1}/{size}")
        assert broken.status_code == 422
        assert head(south, digest).headers["Upload-Offset"] == "1000"
        done = put(south, digest, data[1000:], f"bytes 1000-{size - 1}/{size}")
        assert done.status_code == 201, done.text
        assert name_photo(south, walkabout(south, "Elm"), data)["status"] == "applied"
        assert get(south, digest).content == data


def test_the_walkabout_pdf_carries_only_photos_the_caller_may_read(cast: Cast) -> None:
    data, _ = south_photo(cast, 7)
    pcso = cast.users["pcso1"]
    with cast.api("south1") as south, cast.api("north1") as north:
        thumb = get(south, sha(data), "thumb").content
        own = walkabout(south, "Elm")
        assert name_photo(south, own, data)["status"] == "applied"
        pdf = south.get(f"/walkabouts/{own}/report.pdf")
        assert pdf.status_code == 200 and thumb in pdf.content  # the check can see a photo
        theirs = walkabout(north, "Oak", partners=(pcso,))
        # The claim is refused, and a record pushed before the bytes existed opens nothing.
        early = photo(8)
        assert name_photo(north, theirs, early)["status"] == "applied"
        assert put(south, sha(early), early).status_code == 201
        assert name_photo(south, own, early)["status"] == "applied"
        early_thumb = get(south, sha(early), "thumb").content
    with cast.api("pcso1") as partner:
        report = partner.get(f"/walkabouts/{theirs}/report.pdf")
        assert report.status_code == 200
        assert early_thumb not in report.content and thumb not in report.content


def test_deleting_another_patchs_record_answers_as_for_an_unknown_id(cast: Cast) -> None:
    case_id = new_id()
    patch = {
        "category": "noise",
        "received_at": "2026-06-10T09:00:00Z",
        "property_id": cast.homes["100000000003"],
    }
    with cast.api("south1") as south, cast.api("north1") as north:
        assert south.push_one(mutation("asb_case", case_id, patch))["status"] == "applied"
        theirs = north.push_one(mutation("asb_case", case_id, op="delete", base_version=1))
        unknown = north.push_one(mutation("asb_case", new_id(), op="delete", base_version=1))
        records, _, _, _ = south.pull_all()
    strip = ("mutation_id",)
    assert {k: v for k, v in theirs.items() if k not in strip} == {
        k: v for k, v in unknown.items() if k not in strip
    }
    assert theirs["status"] == "applied" and theirs["version"] is None
    assert records[("asb_case", case_id)]["deleted"] is False  # nothing was deleted


def test_a_device_id_belongs_to_one_user(cast: Cast) -> None:
    with cast.api("north1") as north:
        taken = north.device_id
        attempt = north.http.post(
            f"{north.base}/auth/token",
            json={"username": "south1", "password": PASSWORD, "device_id": taken},
        )
        assert attempt.status_code == 409
        assert attempt.json()["error"]["code"] == "device_in_use"
        me = north.get("/auth/me")
        assert me.status_code == 200 and me.json()["user"]["username"] == "north1"
        assert me.json()["device_id"] == taken
        again = Api(cast.server.url).login("north1", device_id=taken)  # the owner still may
        again.close()


def test_two_devices_completing_the_same_bytes_at_once_both_own_them(cast: Cast) -> None:
    import threading

    data = photo(9)
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}
    with cast.api("north1") as north, cast.api("south1") as south:

        def send(name: str, api: Api) -> None:
            barrier.wait()
            answer = put(api, sha(data), data)
            for _retry in range(5):  # busy is not an error: the tablet waits and sends again
                if answer.status_code != 503:
                    break
                assert answer.headers.get("Retry-After"), answer.text
                answer = put(api, sha(data), data)
            answers[name] = answer.status_code

        threads = [threading.Thread(target=send, args=a) for a in (("n", north), ("s", south))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == {"n": 201, "s": 201}
        for api, estate in ((north, "Oak"), (south, "Elm")):
            assert head(api, sha(data)).status_code == 200
            assert name_photo(api, walkabout(api, estate), data)["status"] == "applied"
            assert get(api, sha(data)).content == data
