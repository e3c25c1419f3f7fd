"""Photos travel to every tablet that may see them: real devices, the real server on loopback.

A photo taken on one tablet comes to another as a thumbnail after a sync, at full size on a
tap (then kept), within the cache budget (oldest-viewed out first); a partner's tablet asks
only for the pictures of the walkabouts it joined; a deleted photo leaves every tablet.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.photo_downloads import fetch_full
from fieldapp.sync.transport import HttpTransport, TransportResponse
from tests.support.api import PASSWORD
from tests.support.live_server import LiveServer
from tests.sync.conftest import setup_server

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """SQLite only: the download logic is the device's; scoping is tested on both backends."""
    with LiveServer(data_dir=tmp_path_factory.mktemp("server")) as live:
        live.user_ids = setup_server(live)  # type: ignore[attr-defined]
        yield live


@dataclass
class Recording:
    """The real transport, with a list of the photo GETs made through it."""

    inner: HttpTransport
    gets: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, **kw: Any
    ) -> TransportResponse:
        if method == "GET" and "/blobs/" in path:
            self.gets.append(path.rsplit("/", 1)[1] + ("" if not params else "?thumb"))
        return self.inner.request(method, path, params=params, **kw)


class Tablet:
    def __init__(self, server: LiveServer, folder: Path, username: str, budget: int) -> None:
        self.store = Store.open(folder)
        self.session = requests.Session()
        http = HttpTransport(
            base_url=server.url, session=self.session, token=lambda: self.store.get_meta("token")
        )
        self.transport = Recording(http)
        self.engine = SyncEngine(store=self.store, transport=self.transport, photo_budget=budget)
        self.engine.sign_in(username=username, password=PASSWORD, device_name=username)

    def sync(self) -> None:
        state = self.engine.sync_once()
        assert state.status == "online", state

    def take(self, parent: tuple[str, str], seed: int, taken_at: datetime = NOW) -> dict[str, Any]:
        rnd = random.Random(seed)
        img = Image.frombytes("RGB", (400, 300), rnd.randbytes(400 * 300 * 3))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        p = process_photo(buf.getvalue())
        return self.store.add_photo(
            parent_entity=parent[0],
            parent_id=parent[1],
            jpeg=p.jpeg,
            thumb=p.thumb,
            sha256=p.sha256,
            width=p.width,
            height=p.height,
            taken_at=taken_at,
            lat=None,
            lon=None,
            caption=f"photo {seed}",
            now=NOW,
        )

    def close(self) -> None:
        self.session.close()
        self.store.close()


@pytest.fixture
def tablet(server: LiveServer, tmp_path: Path) -> Iterator[Any]:
    made: list[Tablet] = []

    def make(username: str, budget: int = 200 * 1024 * 1024) -> Tablet:
        t = Tablet(server, tmp_path / f"{len(made)}-{username}", username, budget)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def _walkabout(t: Tablet, participants: list[str] = ()) -> tuple[str, str]:  # type: ignore[assignment]
    people = [{"user_id": uid, "name": "Partner", "role": "pcso"} for uid in participants]
    w = t.store.create(
        "walkabout",
        {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z", "participants": people},
        now=NOW,
    )
    return ("walkabout", str(w["id"]))


def test_a_photo_taken_on_one_tablet_shows_on_another(server: LiveServer, tablet: Any) -> None:
    a, b = tablet("olive"), tablet("oscar")
    photo = a.take(_walkabout(a), 1)
    sha = photo["sha256"]
    a.sync()
    b.sync()
    thumb = b.store.photo_path(sha, thumb=True)
    assert thumb is not None
    assert Image.open(thumb).size[0] <= 256  # the server's thumbnail, not the full picture
    assert b.store.photo_path(sha) is None  # full size only on a tap
    assert b.transport.gets == [f"{sha}?thumb"]

    full = b.engine.fetch_photo(sha)
    assert full == a.store.photo_path(sha).read_bytes()  # type: ignore[union-attr]
    b.sync()  # nothing more to fetch, and a second tap is served from the tablet
    assert b.engine.fetch_photo(sha) == full
    assert b.transport.gets == [f"{sha}?thumb", sha]
    assert a.transport.gets == []  # the taker already had its own picture


def test_a_photo_not_uploaded_yet_is_asked_for_again_next_round(
    server: LiveServer, tablet: Any
) -> None:
    a, b = tablet("olive"), tablet("oscar")
    photo = a.take(_walkabout(a), 2)
    blob = a.engine.blob_uploader
    a.engine.blob_uploader = lambda **_: 0  # the record goes, the bytes wait
    a.sync()
    b.sync()
    assert b.store.photo_path(photo["sha256"], thumb=True) is None  # "not downloaded yet"
    a.engine.blob_uploader = blob
    a.sync()
    b.sync()
    assert b.store.photo_path(photo["sha256"], thumb=True) is not None


def test_the_cache_keeps_to_its_budget_evicting_the_oldest_viewed(
    server: LiveServer, tablet: Any
) -> None:
    a = tablet("olive")
    where = _walkabout(a)
    later = [NOW + timedelta(hours=i) for i in range(1, 5)]  # newer than other tests' photos
    shas = [a.take(where, 10 + i, later[i])["sha256"] for i in range(3)]
    a.sync()
    probe = tablet("oscar")
    probe.sync()
    sizes = [probe.store.photo_path(s, thumb=True).stat().st_size for s in shas]  # type: ignore[union-attr]
    budget = max(sizes) * 2 + 10
    assert sum(sizes) > budget  # room for two thumbnails, not three
    b = tablet("oscar", budget=budget)
    b.sync()
    assert [b.store.photo_path(s, thumb=True) is not None for s in shas] == [False, True, True]
    assert b.store.photo_cache_usage() <= budget
    # Looking at one keeps it; a newer photo pushes out the one nobody looked at, and the
    # oldest photo, less recent than all of them, still does not get in.
    b.store.viewed_photo(shas[1])
    newer = a.take(where, 20, later[3])["sha256"]
    a.sync()
    b.sync()
    assert b.store.photo_path(newer, thumb=True) is not None
    assert b.store.photo_path(shas[1], thumb=True) is not None
    assert b.store.photo_path(shas[2], thumb=True) is None
    assert b.store.photo_path(shas[0], thumb=True) is None
    assert b.store.photo_cache_usage() <= budget


def test_a_partner_downloads_only_the_photos_of_walkabouts_it_joined(
    server: LiveServer, tablet: Any
) -> None:
    percy = server.user_ids["percy"]  # type: ignore[attr-defined]
    a = tablet("olive")
    joined = a.take(_walkabout(a, [percy]), 30)["sha256"]
    other = a.take(_walkabout(a), 31)["sha256"]
    a.sync()
    p = tablet("percy")
    p.sync()
    assert p.store.photo_path(joined, thumb=True) is not None
    assert all(other not in g for g in p.transport.gets)
    assert fetch_full(store=p.store, transport=p.transport, sha256=other, budget=10**9) is None


def test_a_deleted_photo_leaves_every_tablet_and_the_server_keeps_its_bytes(
    server: LiveServer, tablet: Any
) -> None:
    a, b = tablet("olive"), tablet("oscar")
    photo = a.take(_walkabout(a), 40)
    sha = photo["sha256"]
    a.sync()
    b.sync()
    b.engine.fetch_photo(sha)
    assert b.store.photo_path(sha) is not None
    a.store.delete_photo(photo["id"], now=NOW)
    assert a.store.photo_path(sha) is None and a.store.photo_path(sha, thumb=True) is None
    a.sync()
    b.sync()
    assert b.store.get("photo", photo["id"]) is None
    assert b.store.photo_path(sha) is None and b.store.photo_path(sha, thumb=True) is None
    assert (server.data_dir / "blobs" / sha[:2] / sha).exists()


def test_a_photo_deleted_before_sync_is_never_sent(server: LiveServer, tablet: Any) -> None:
    a = tablet("olive")
    photo = a.take(_walkabout(a), 50)
    a.store.delete_photo(photo["id"], now=NOW)
    assert a.store.pending_blobs() == []
    a.sync()
    assert not (server.data_dir / "blobs" / photo["sha256"][:2] / photo["sha256"]).exists()


def test_a_caption_edited_on_one_tablet_reaches_the_other(server: LiveServer, tablet: Any) -> None:
    a, b = tablet("olive"), tablet("oscar")
    photo = a.take(_walkabout(a), 60)
    a.sync()
    b.sync()
    b.store.update("photo", photo["id"], {"caption": "Sofa by bin store"}, now=NOW)
    b.sync()
    a.sync()
    assert a.store.get("photo", photo["id"])["caption"] == "Sofa by bin store"  # type: ignore[index]
    assert new_id() != photo["id"]
