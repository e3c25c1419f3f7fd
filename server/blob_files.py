"""The blob store on disk: where each file lives, private file modes, per-device partial uploads.

Under ``BLOB_DIR``: ``{sha[:2]}/{sha}`` and ``{sha[:2]}/{sha}.thumb.jpg`` once complete, and
``partial/{key}/{sha}.part`` while a device uploads, where ``key`` is derived from the device
and user: an upload belongs to the device that started it, so another device's bytes under
the same name (garbage or not) never touch it. The partial file *is* the upload state: its
length is the offset, its modification time says when it was last written (uploads untouched
for ``PARTIAL_UPLOAD_TTL_SECONDS`` expire: ``sweep``).

Every folder is created 0700 and every file 0600, whatever the process umask: the photos
are of residents' homes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600


def owner_key(device_id: str, user_id: str) -> str:
    """A file-name-safe key for one (device, user): device ids are whatever a client sent."""
    return hashlib.sha256(f"{device_id}\0{user_id}".encode()).hexdigest()[:32]


class BlobFiles:
    """Where the files of one blob live under ``BLOB_DIR``, for one uploading device."""

    def __init__(self, root: Path, sha256: str, key: str = "") -> None:
        self.root = root
        self.sha256 = sha256
        self.dir = root / sha256[:2]
        self.final = self.dir / sha256
        self.thumb = self.dir / f"{sha256}.thumb.jpg"
        self.partial = root / "partial" / (key or "_") / f"{sha256}.part"


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) mode 0700, and make it 0700 if it was not."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (a temporary file renamed over it), mode 0600, fsynced."""
    # A name of its own: two devices may complete the same blob at the same moment.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), FILE_MODE)  # mkstemp's 0600, whatever the umask
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked_partial(files: BlobFiles) -> Iterator[BinaryIO]:
    """This device's partial file, created if need be (0600), held under an exclusive lock.

    The lock serialises two requests of one device (two workers, a retry racing the original).
    """
    private_dir(files.partial.parent.parent)
    private_dir(files.partial.parent)
    while True:
        fd = os.open(files.partial, os.O_RDWR | os.O_CREAT, FILE_MODE)
        fh = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                same = os.stat(files.partial).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.fchmod(fh.fileno(), FILE_MODE)
                yield fh
                return
        finally:
            fh.close()  # closing releases the lock
        # The file we locked was completed (renamed), refused or expired (removed): again.


def sweep(root: Path, *, older_than: float) -> int:
    """Remove partial files last written before ``older_than`` (a Unix time); returns how many.

    A file locked by a request in progress is left alone. Files of the old layout
    (``partial/{sha}.part``, shared by every device) expire the same way.
    """
    removed = 0
    base = root / "partial"
    if not base.is_dir():
        return 0
    for path in base.rglob("*.part"):
        try:
            if path.stat().st_mtime >= older_than:
                continue
            with open(path, "rb") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # being written to right now: not abandoned
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def secure_tree(root: Path) -> None:
    """Make an existing blob folder private: folders 0700, files 0600 (older servers left 644)."""
    if not root.is_dir():
        return
    private_dir(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = Path(dirpath, name)
            if path.stat().st_mode & 0o777 != DIR_MODE:
                os.chmod(path, DIR_MODE)
        for name in filenames:
            path = Path(dirpath, name)
            if path.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(path, FILE_MODE)
