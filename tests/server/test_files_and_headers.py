"""The server's files are private and its answers say no more than they must.

Runs the real server under a permissive umask (022, the usual default, and 000) and checks
the modes of everything it wrote; reads the headers of real answers; and asks for the API's
map with the setting off (default) and on.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from PIL import Image

from fieldapp.ids import new_id
from fieldapp.photos import process_photo
from tests.support.live_server import LiveServer


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The umask the server process inherits (the test process's own, restored after)."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def jpeg(seed: int) -> bytes:
    rnd = random.Random(seed)
    buf = io.BytesIO()
    Image.frombytes("RGB", (300, 200), rnd.randbytes(300 * 200 * 3)).save(buf, "PNG")
    return process_photo(buf.getvalue()).jpeg


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_the_data_folder_and_its_files_are_private(tmp_path: Path, mask: int) -> None:
    data_dir = tmp_path / "data"
    with umask(mask), LiveServer(data_dir=data_dir) as live:
        live.add_user("olive", role="officer", patches=["North"])
        token = live.login("olive", device_id=new_id())["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        done, partial = jpeg(1), jpeg(2)
        url = f"{live.api}/blobs/"
        digest = hashlib.sha256(done).hexdigest()
        assert requests.put(url + digest, data=done, headers=auth).status_code == 201
        part = dict(auth, **{"Content-Range": f"bytes 0-99/{len(partial)}"})
        unfinished = hashlib.sha256(partial).hexdigest()
        assert requests.put(url + unfinished, data=partial[:100], headers=part).status_code == 202
        blobs = data_dir / "blobs"
        written = {
            "database": data_dir / "server.db",
            "wal": data_dir / "server.db-wal",
            "shm": data_dir / "server.db-shm",
            "secret": data_dir / "secret_key",
            "blob": blobs / digest[:2] / digest,
            "thumbnail": blobs / digest[:2] / f"{digest}.thumb.jpg",
            "partial": next(blobs.rglob(f"{unfinished}.part")),
        }
        for name, path in written.items():
            assert path.exists(), name
            assert mode(path) == 0o600, (name, oct(mode(path)))
        folders = [
            data_dir,
            blobs,
            blobs / digest[:2],
            *(p for p in blobs.rglob("*") if p.is_dir()),
        ]
        for folder in folders:
            assert mode(folder) == 0o700, (folder, oct(mode(folder)))


def test_files_an_older_server_left_open_are_narrowed_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LiveServer(data_dir=data_dir) as live:
        live.add_user("olive", role="officer", patches=["North"])
    old_blob = data_dir / "blobs" / "ab" / ("ab" * 32)
    old_blob.parent.mkdir(parents=True)
    old_blob.write_bytes(b"bytes an older server stored")
    for path, wide in ((data_dir, 0o755), (old_blob.parent, 0o755), (old_blob, 0o644)):
        os.chmod(path, wide)
    os.chmod(data_dir / "server.db", 0o644)
    with LiveServer(data_dir=data_dir):
        assert mode(data_dir) == mode(old_blob.parent) == 0o700
        assert mode(old_blob) == mode(data_dir / "server.db") == 0o600


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(data_dir=tmp_path_factory.mktemp("headers")) as live:
        live.add_user("olive", role="officer", patches=["North"])
        yield live


def test_answers_carry_nosniff_no_store_and_no_server_banner(server: LiveServer) -> None:
    token = server.login("olive", device_id=new_id())["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    answers = {
        "pull": requests.get(f"{server.api}/sync/pull", headers=auth),
        "me": requests.get(f"{server.api}/auth/me", headers=auth),
        "sign-in refused": requests.post(
            f"{server.api}/auth/token",
            json={"username": "olive", "password": "wrong", "device_id": new_id()},
        ),
        "no token": requests.get(f"{server.api}/sync/pull"),
        "unknown path": requests.get(f"{server.url}/nothing-here"),
        "blob probe": requests.head(f"{server.api}/blobs/{'0' * 64}", headers=auth),
    }
    for name, answer in answers.items():
        headers = {k.lower(): v for k, v in answer.raw.headers.items()}
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("cache-control") == "no-store", name
        assert "server" not in headers, (name, headers.get("server"))
    assert answers["pull"].status_code == 200 and answers["no token"].status_code == 401


def test_the_api_map_is_off_by_default(server: LiveServer) -> None:
    for path in ("/api/v1/docs", "/api/v1/openapi.json", "/docs", "/openapi.json"):
        assert requests.get(server.url + path).status_code == 404, path


def test_the_api_map_can_be_switched_on(tmp_path: Path) -> None:
    with LiveServer(data_dir=tmp_path / "s", env={"API_DOCS": "1"}) as live:
        spec = requests.get(f"{live.api}/openapi.json")
        assert spec.status_code == 200 and "/api/v1/sync/push" in spec.json()["paths"]
        assert requests.get(f"{live.api}/docs").status_code == 200
