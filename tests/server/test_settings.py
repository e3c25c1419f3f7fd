"""Settings from the environment: defaults, the generated secret, refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.settings import Settings, sqlite_path


def test_defaults_put_everything_in_the_data_folder(tmp_path: Path) -> None:
    s = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'server.db'}"
    assert s.blob_dir == tmp_path / "blobs"
    key = tmp_path / "secret_key"
    assert s.secret_key == key.read_text().strip() and len(s.secret_key) >= 40
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Settings.from_env({"DATA_DIR": str(tmp_path)}).secret_key == s.secret_key


def test_explicit_values_win(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "BLOB_DIR": str(tmp_path / "b"),
            "SECRET_KEY": "k" * 40,
            "TOKEN_LIFETIME_SECONDS": "60",
            "MAX_BODY_BYTES": "1234",
        }
    )
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.blob_dir == tmp_path / "b" and s.secret_key == "k" * 40
    assert s.token_lifetime_seconds == 60 and s.max_body_bytes == 1234
    assert not (tmp_path / "secret_key").exists()


def test_minutes_are_read_too(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "ACCESS_TOKEN_EXPIRE_MINUTES": "2"}
    assert Settings.from_env(env).token_lifetime_seconds == 120


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_bad_numbers_stop_the_server_with_a_message(tmp_path: Path, value: str) -> None:
    with pytest.raises(SystemExit, match="TOKEN_LIFETIME_SECONDS"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "TOKEN_LIFETIME_SECONDS": value})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/x.db", Path("data/x.db")),
        ("sqlite:////abs/x.db", Path("/abs/x.db")),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://h/db", None),
    ],
)
def test_sqlite_path(url: str, path: Path | None) -> None:
    assert sqlite_path(url) == path


def test_image_and_upload_limits_and_the_api_map(tmp_path: Path) -> None:
    default = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert (default.max_image_side, default.max_image_pixels) == (4096, 16_000_000)
    assert default.max_webp_pixels == 5_000_000
    assert default.api_docs is False
    s = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "MAX_IMAGE_SIDE": "2000",
            "MAX_IMAGE_PIXELS": "3000000",
            "MAX_WEBP_PIXELS": "1000000",
            "IMAGE_WORKERS": "1",
            "PARTIAL_UPLOAD_TTL_SECONDS": "600",
            "PARTIAL_UPLOAD_QUOTA_BYTES": "5000",
            "API_DOCS": "yes",
        }
    )
    assert (s.max_image_side, s.max_image_pixels, s.image_workers) == (2000, 3_000_000, 1)
    assert s.max_webp_pixels == 1_000_000
    assert (s.partial_upload_ttl_seconds, s.partial_upload_quota_bytes) == (600, 5000)
    assert s.api_docs is True
    with pytest.raises(SystemExit, match="API_DOCS"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "API_DOCS": "perhaps"})


@pytest.mark.parametrize(
    "value", ["sync.example.gov.uk", "ftp://x", "https://x/?a=1", "https://x/#f"]
)
def test_a_public_url_must_be_an_http_address_without_a_query(tmp_path: Path, value: str) -> None:
    with pytest.raises(SystemExit, match="PUBLIC_URL"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "PUBLIC_URL": value})


def test_a_public_url_loses_its_trailing_slash(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PUBLIC_URL": " https://sync.example.gov.uk/field/ "}
    assert Settings.from_env(env).public_url == "https://sync.example.gov.uk/field"
