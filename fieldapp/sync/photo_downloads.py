"""Photo downloads: thumbnails of every photo on this tablet after a sync, full size on demand.

After each round the engine calls ``download_thumbnails``: files of photos deleted since are
removed, then each live photo without a thumbnail here is fetched with ``GET
/api/v1/blobs/{sha256}?size=thumb`` (newest photo first), within the cache budget: files
last viewed before the photo was taken make room (``fieldapp.store.photo_cache``), and the
pass stops at the first that does not fit. The tablet only knows the
photo records its projection holds, so a partner's tablet only ever asks for the pictures of
the walkabouts it joined; the server checks that again on every read.

``fetch_full`` is the tap on a thumbnail: the full picture, from the cache or the server,
then kept. A 404 means the server has no such picture for this user *yet* (its uploader has
not sent it, or it was just deleted): it is skipped now and asked for again next round.
``NetworkError``, ``ServerError`` and ``AuthError`` propagate to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fieldapp.store.photo_cache import Kind
from fieldapp.sync.blobs import BLOBS_PATH
from fieldapp.sync.transport import Transport, check_response

MB = 1024 * 1024


class PhotoCacheStore(Protocol):
    """What this module needs from ``fieldapp.store.Store``."""

    def photos_wanted(self, kind: Kind) -> list[tuple[str, str]]: ...
    def save_downloaded(
        self, sha256: str, kind: Kind, data: bytes, *, seen_at: str | None = None
    ) -> None: ...
    def photo_cache_usage(self) -> int: ...
    def tidy_photo_cache(self, budget: int, *, older_than: str | None = None) -> int: ...
    def viewed_photo(self, sha256: str) -> None: ...
    def photo_path(self, sha256: str, *, thumb: bool = False) -> object | None: ...


@dataclass(frozen=True)
class DownloadReport:
    """What one pass did: files fetched (and their bytes), not there yet, removed."""

    fetched: int = 0
    fetched_bytes: int = 0
    missing: int = 0
    removed: int = 0
    over_budget: bool = False


def _get(transport: Transport, sha256: str, kind: Kind) -> bytes | None:
    """The picture's bytes, or None when the server has none for us (404)."""
    params = {"size": "thumb"} if kind == "thumb" else None
    response = transport.request(
        "GET", BLOBS_PATH + sha256, params=params, headers={"Accept": "image/*"}, timeout=60.0
    )
    if response.status == 404:
        return None
    check_response(response)
    return response.body


def download_thumbnails(
    *,
    store: PhotoCacheStore,
    transport: Transport,
    budget: int,
    progress: Callable[[int, int], None] | None = None,
) -> DownloadReport:
    """Fetch the thumbnails this tablet lacks, within ``budget`` bytes of cache."""
    removed = store.tidy_photo_cache(budget)
    wanted = store.photos_wanted("thumb")
    fetched = fetched_bytes = missing = 0
    over = False
    for done, (sha256, taken_at) in enumerate(wanted):
        if progress is not None:
            progress(done, len(wanted))
        data = _get(transport, sha256, "thumb")
        if data is None:
            missing += 1
            continue
        if store.photo_cache_usage() + len(data) > budget:
            # Room only from pictures less recent than this photo: never churn a full cache.
            removed += store.tidy_photo_cache(budget - len(data), older_than=taken_at)
            if store.photo_cache_usage() + len(data) > budget:
                over = True  # the rest are older still: they would not fit either
                break
        store.save_downloaded(sha256, "thumb", data, seen_at=taken_at or None)
        fetched += 1
        fetched_bytes += len(data)
    if progress is not None and wanted:
        progress(len(wanted), len(wanted))
    return DownloadReport(fetched, fetched_bytes, missing, removed, over)


def fetch_full(
    *, store: PhotoCacheStore, transport: Transport, sha256: str, budget: int
) -> bytes | None:
    """The full picture (cached, or downloaded and kept); None if the server has none for us."""
    store.viewed_photo(sha256)
    path = store.photo_path(sha256)
    if path is not None:
        with open(str(path), "rb") as fh:
            return fh.read()
    data = _get(transport, sha256, "full")
    if data is None:
        return None
    store.save_downloaded(sha256, "full", data)
    store.tidy_photo_cache(budget)  # may evict older pictures, never this one (just viewed)
    return data
