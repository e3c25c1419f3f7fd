"""Photo records after creation: the caption may change (latest wins), nothing else may, and a
delete is a tombstone that hides the picture while the server keeps its bytes (audit)."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

from PIL import Image

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from tests.server.conftest import Cast, create
from tests.support.api import Api, mutation


def _jpeg(seed: int) -> bytes:
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (160, 120), rnd.randbytes(160 * 120 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return process_photo(buf.getvalue()).jpeg


def _photo_on_home(cast: Cast, api: Api, seed: int) -> tuple[str, str, dict[str, Any]]:
    """Upload a picture and push a photo record of North home 1: (photo id, sha, patch)."""
    data = _jpeg(seed)
    digest = hashlib.sha256(data).hexdigest()
    put = api.http.put(
        f"{api.base}/blobs/{digest}",
        content=data,
        headers={**api.headers, "Content-Type": "image/jpeg"},
    )
    assert put.status_code in (200, 201), put.text
    patch = {
        "parent_entity": "property",
        "parent_id": cast.homes["100000000001"],
        "sha256": digest,
        "bytes": len(data),
        "width": 160,
        "height": 120,
        "caption": "Damp in the hall",
    }
    pid = new_id()
    create(api, "photo", patch, pid)
    return pid, digest, patch


def test_captions_are_edited_and_the_later_edit_wins(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        pid, _digest, _ = _photo_on_home(cast, a, 1)
        first = a.push_one(
            mutation("photo", pid, {"caption": "Mould by the window"}, base_version=1)
        )
        second = b.push_one(mutation("photo", pid, {"caption": "Mould, hall"}, base_version=1))
        records, _, _, _ = b.pull_all()
    assert first["status"] == "applied"
    assert second["status"] in ("applied", "merged") and second["conflicts"] == []
    assert records[("photo", pid)]["data"]["caption"] == "Mould, hall"


def test_what_a_photo_shows_cannot_be_changed(cast: Cast) -> None:
    with cast.api("north1") as a:
        pid, _digest, _ = _photo_on_home(cast, a, 2)
        moved = a.push_one(mutation("photo", pid, {"lat": 51.5}, base_version=1))
        swapped = a.push_one(mutation("photo", pid, {"sha256": "a" * 64}, base_version=1))
    for result in (moved, swapped):
        assert result["status"] == "rejected"
        assert result["error"]["code"] == "read_only_field"


def test_a_partner_may_not_edit_or_delete_a_photo(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("pcso1") as p:
        pid, _digest, _ = _photo_on_home(cast, a, 3)
        edit = p.push_one(mutation("photo", pid, {"caption": "mine now"}, base_version=1))
        gone = p.push_one(mutation("photo", pid, None, op="delete", base_version=1))
    assert edit["status"] == gone["status"] == "rejected"


def test_a_deleted_photo_is_a_tombstone_and_its_bytes_stay_on_the_server(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss:
        pid, digest, _ = _photo_on_home(cast, a, 4)
        assert a.get(f"/blobs/{digest}", params={"size": "thumb"}).status_code == 200
        _, _, cursor, _ = a.pull_all()  # a first download leaves tombstones out: pull on from here
        gone = a.push_one(mutation("photo", pid, None, op="delete", base_version=1))
        records, _, _, _ = a.pull_all(cursor)
        after = boss.get(f"/blobs/{digest}")
    assert gone["status"] == "applied"
    assert records[("photo", pid)]["deleted"] is True
    assert after.status_code == 404  # no live record names it: nobody is served it
    blob_dir = Path(cast.server.data_dir) / "blobs"
    assert (blob_dir / digest[:2] / digest).read_bytes() == _jpeg(4)  # kept for the audit
