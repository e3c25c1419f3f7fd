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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DATABASE_URL``, ``DATA_DIR``, ``BLOB_DIR``, ``SECRET_KEY``, limits."""
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
        )

    def ensure_dirs(self) -> None:
        """Create the data and blob folders (and the SQLite file's folder)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        path = sqlite_path(self.database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)


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
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
