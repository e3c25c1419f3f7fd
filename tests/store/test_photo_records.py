"""Photo records on the tablet: the caption is edited, nothing else is, and a delete goes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fieldapp.photos import process_photo
from fieldapp.store.errors import PermissionDenied, ValidationError
from fieldapp.store.store import Store
from tests.store.conftest import NOW, sign_in_as


def _photo(store: Store) -> dict[str, object]:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 90, 160)).save(buf, "PNG")
    p = process_photo(buf.getvalue())
    return store.add_photo(
        parent_entity="walkabout",
        parent_id="w1",
        jpeg=p.jpeg,
        thumb=p.thumb,
        sha256=p.sha256,
        width=p.width,
        height=p.height,
        taken_at=NOW,
        lat=None,
        lon=None,
        caption="x",
        now=NOW,
    )


def test_the_caption_is_edited_and_queued(store: Store) -> None:
    photo = _photo(store)
    store.update("photo", str(photo["id"]), {"caption": "Bin store, block B"}, now=NOW)
    assert store.get("photo", str(photo["id"]))["caption"] == "Bin store, block B"  # type: ignore[index]
    patches = [m["patch"] for m in store.pending_mutations()]
    assert patches[-1] == {"caption": "Bin store, block B"} or "caption" in patches[0]


@pytest.mark.parametrize("field", ["lat", "sha256", "parent_id"])
def test_what_the_photo_shows_is_fixed(store: Store, field: str) -> None:
    photo = _photo(store)
    value = {"lat": 53.3, "sha256": "b" * 64, "parent_id": "w2"}[field]
    with pytest.raises(ValidationError) as err:
        store.update("photo", str(photo["id"]), {field: value}, now=NOW)
    assert [(e.field, e.code) for e in err.value.errors] == [(field, "read_only_field")]
    assert store.get("photo", str(photo["id"]))[field] != value  # type: ignore[index]


def test_an_unsent_photo_deleted_takes_its_files_and_upload_with_it(store: Store) -> None:
    photo = _photo(store)
    sha = str(photo["sha256"])
    store.delete_photo(str(photo["id"]), now=NOW)
    assert store.get("photo", str(photo["id"])) is None
    assert store.pending_blobs() == [] and store.pending_count() == 0
    assert store.photo_path(sha) is None and store.photo_path(sha, thumb=True) is None
    assert store.photo_cache_usage() == 0


def test_a_partner_may_not_edit_a_caption(store: Store) -> None:
    photo = _photo(store)
    sign_in_as(store, "pcso")
    with pytest.raises(PermissionDenied):
        store.update("photo", str(photo["id"]), {"caption": "no"}, now=NOW)
