"""Server settings: one frozen object built from the environment by the CLI, passed to the app.

Nothing reads the environment at import time; ``Settings.from_env()`` is called by the CLI
(``python -m server serve``) and tests build ``Settings(...)`` directly. A missing
``SECRET_KEY`` is generated once into the data folder (never committed: ``/data/`` is ignored).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from server.blob_files import FILE_MODE, private_dir, secure_tree

DEFAULT_DATABASE_URL = "sqlite:///./data/server.db"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to run; see ``docs/server.md`` for the variables."""

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path("data")
    blob_dir: Path = Path("data/blobs")
    secret_key: str = ""
    token_lifetime_seconds: int = 7 * 24 * 3600
    max_body_bytes: int = 16 * MiB  # a request body after gzip decoding (push, import)
    max_blob_bytes: int = 25 * MiB  # one blob upload request (photos)
    sqlite_busy_timeout_ms: int = 15_000
    gzip_level: int = 5  # responses: fast enough for a page of 1,000 records
    # Images: the tablet sends at most 1600 px; a canvas past these is refused undecoded.
    max_image_side: int = 4096
    max_image_pixels: int = 16_000_000
    # WebP decodes through libwebp's animation decoder: its canvas, a copy of it and the image,
    # about three times the memory of a PNG or JPEG of the same size. So fewer pixels.
    max_webp_pixels: int = 5_000_000
    image_workers: int = 2  # images decoded at once (each up to ~64 MiB at the pixel limit)
    partial_upload_ttl_seconds: int = 24 * 3600  # an upload untouched this long is dropped
    partial_upload_quota_bytes: int = 100 * MiB  # declared sizes of one device's open uploads
    # Connections (uvicorn): a request's headers must arrive within this many seconds of the
    # connection opening or the last answer; past this many connections, new requests get 503.
    header_timeout_seconds: int = 10
    max_connections: int = 512
    api_docs: bool = False  # serve /api/v1/docs and /api/v1/openapi.json
    tile_url: str = ""  # a {z}/{x}/{y} template tablets cache map tiles from; "" = none
    tile_zooms: tuple[int, ...] = (14, 15, 16, 17)  # zoom levels tablets cache
    # Where people reach the server (``https://sync.example.gov.uk``): share links are built
    # on it, never on the request's Host header; "" = from the request (development).
    public_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DATABASE_URL``, ``DATA_DIR``, ``BLOB_DIR``, ``SECRET_KEY``, limits, tiles,
        ``PUBLIC_URL``."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR", "data"))
        database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if database_url == DEFAULT_DATABASE_URL and "DATA_DIR" in env:
            database_url = f"sqlite:///{data_dir / 'server.db'}"
        lifetime = _int(env, "TOKEN_LIFETIME_SECONDS", None)
        if lifetime is None:  # other common spellings
            lifetime = _int(env, "TOKEN_TTL_SECONDS", None)
        if lifetime is None:  # the FastAPI template's name, in minutes
            minutes = _int(env, "ACCESS_TOKEN_EXPIRE_MINUTES", None)
            lifetime = minutes * 60 if minutes is not None else cls.token_lifetime_seconds
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            blob_dir=Path(env.get("BLOB_DIR") or data_dir / "blobs"),
            secret_key=env.get("SECRET_KEY") or load_or_create_secret(data_dir),
            token_lifetime_seconds=lifetime,
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes) or cls.max_body_bytes,
            max_blob_bytes=_int(env, "MAX_BLOB_BYTES", cls.max_blob_bytes) or cls.max_blob_bytes,
            max_image_side=_int(env, "MAX_IMAGE_SIDE", cls.max_image_side) or cls.max_image_side,
            max_image_pixels=(
                _int(env, "MAX_IMAGE_PIXELS", cls.max_image_pixels) or cls.max_image_pixels
            ),
            max_webp_pixels=(
                _int(env, "MAX_WEBP_PIXELS", cls.max_webp_pixels) or cls.max_webp_pixels
            ),
            header_timeout_seconds=(
                _int(env, "HEADER_TIMEOUT_SECONDS", cls.header_timeout_seconds)
                or cls.header_timeout_seconds
            ),
            max_connections=(
                _int(env, "MAX_CONNECTIONS", cls.max_connections) or cls.max_connections
            ),
            image_workers=_int(env, "IMAGE_WORKERS", cls.image_workers) or cls.image_workers,
            partial_upload_ttl_seconds=(
                _int(env, "PARTIAL_UPLOAD_TTL_SECONDS", cls.partial_upload_ttl_seconds)
                or cls.partial_upload_ttl_seconds
            ),
            partial_upload_quota_bytes=(
                _int(env, "PARTIAL_UPLOAD_QUOTA_BYTES", cls.partial_upload_quota_bytes)
                or cls.partial_upload_quota_bytes
            ),
            api_docs=_flag(env, "API_DOCS"),
            sqlite_busy_timeout_ms=(
                _int(env, "SQLITE_BUSY_TIMEOUT_MS", cls.sqlite_busy_timeout_ms)
                or cls.sqlite_busy_timeout_ms
            ),
            tile_url=_tile_url(env.get("TILE_URL", "")),
            tile_zooms=_zooms(env.get("TILE_ZOOMS")) or cls.tile_zooms,
            public_url=_public_url(env.get("PUBLIC_URL", "")),
        )

    def ensure_dirs(self) -> None:
        """Create the data and blob folders (and the SQLite file's folder), all private.

        Folders are 0700 and the SQLite file 0600 whatever the umask; SQLite gives its
        ``-wal`` and ``-shm`` files the mode of the database file. Files an older server left
        readable by others are narrowed too.
        """
        private_dir(self.data_dir)
        secure_tree(self.blob_dir)
        private_dir(self.blob_dir)
        path = sqlite_path(self.database_url)
        if path is not None:
            private_dir(path.parent)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)  # before SQLite makes it 0644
            try:
                os.fchmod(fd, FILE_MODE)
            finally:
                os.close(fd)
            for suffix in ("-wal", "-shm", "-journal"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    os.chmod(side, FILE_MODE)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"{name} must be 1 or 0 (got {raw[:20]!r})")


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number (got {raw!r})") from None
    if value <= 0:
        raise SystemExit(f"{name} must be positive (got {value})")
    return value


def _tile_url(raw: str) -> str:
    url = raw.strip()
    if url and not (
        url.startswith(("http://", "https://")) and all(k in url for k in ("{z}", "{x}", "{y}"))
    ):
        raise SystemExit("TILE_URL must be an http(s) URL with {z}, {x} and {y} in it")
    return url


def _public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url and (not url.startswith(("http://", "https://")) or any(c in url for c in "?#")):
        example = "https://sync.example.gov.uk"
        raise SystemExit(f"PUBLIC_URL must be an http(s) URL without a query, such as {example}")
    return url


def _zooms(raw: str | None) -> tuple[int, ...] | None:
    """``14-17`` or ``14,15,16``: whole zoom levels from 0 to 20."""
    if raw is None or not raw.strip():
        return None
    try:
        if "-" in raw:
            low, high = (int(p) for p in raw.split("-", 1))
            found = tuple(range(low, high + 1))
        else:
            found = tuple(sorted({int(p) for p in raw.split(",")}))
    except ValueError:
        raise SystemExit(f"TILE_ZOOMS must look like 14-17 or 14,15,16 (got {raw!r})") from None
    if not found or not all(0 <= z <= 20 for z in found) or len(found) > 8:
        raise SystemExit("TILE_ZOOMS: up to 8 zoom levels from 0 to 20")
    return found


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None for other databases and in-memory SQLite."""
    if not database_url.startswith("sqlite:///"):
        return None
    rest = database_url[len("sqlite:///") :].split("?", 1)[0]
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def load_or_create_secret(data_dir: Path) -> str:
    """The key in ``DATA_DIR/secret_key``, made (mode 600) on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(key + "\n")
    return key
