"""One tablet's moving parts, wired together: data folder, store, transport, background sync.

``Device`` owns a data folder (one folder = one tablet): the ``Store`` in it, the settings
file beside it, an ``HttpTransport`` to the configured server and a background thread that
runs the ``SyncEngine`` whenever there may be a connection — at start, every ``interval``
seconds, after each local write and when asked ("Sync now", the network coming back). The
UI never waits for it. In web mode several browser tabs may share one process; they share
the process's one ``Device`` per folder (``open_device``), each with its own ``AppState``.

Nothing here runs at import time; the environment is read only by ``AppConfig.from_env``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from fieldapp.listeners import Listener, Listeners
from fieldapp.photos import process_photo
from fieldapp.store.photo_cache import DEFAULT_BUDGET_MB
from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine, backoff_delay
from fieldapp.sync.errors import SyncError
from fieldapp.sync.photo_downloads import MB
from fieldapp.sync.protocol import API_PREFIX
from fieldapp.sync.reports import ReportLink, report_link
from fieldapp.sync.state import SyncState
from fieldapp.sync.tiles import DEFAULT_TILE_BUDGET_MB, TileCache, http_fetcher
from fieldapp.sync.tiles import after_round as tiles_after_round
from fieldapp.sync.transport import HttpTransport

log = logging.getLogger(__name__)

DEFAULT_SERVER_URL = "http://127.0.0.1:8700"
SYNC_INTERVAL = 20.0  # seconds between background attempts when nothing asks sooner
PROBE_EVERY = 5.0  # seconds between health checks while the server cannot be reached
PROBE_TIMEOUT = 3.0  # a health check that takes longer counts as no answer
SETTINGS_FILE = "settings.json"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AppConfig:
    """Where this tablet keeps its data and which server it talks to by default."""

    data_dir: Path
    server_url: str = DEFAULT_SERVER_URL
    device_name: str = ""
    sync_interval: float = SYNC_INTERVAL
    probe_every: float = PROBE_EVERY
    tile_budget_mb: int = DEFAULT_TILE_BUDGET_MB  # map tiles cached over the patch

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AppConfig:
        """``FIELDAPP_DATA_DIR`` > ``FLET_APP_STORAGE_DATA`` (set by built apps) > ``./data/device``."""
        env = dict(os.environ) if env is None else env
        folder = (
            env.get("FIELDAPP_DATA_DIR")
            or env.get("FLET_APP_STORAGE_DATA")
            or str(Path("data") / "device")
        )
        return cls(
            data_dir=Path(folder).resolve(),
            server_url=env.get("FIELDAPP_SERVER_URL") or DEFAULT_SERVER_URL,
            device_name=env.get("FIELDAPP_DEVICE_NAME") or "",
            sync_interval=float(env.get("FIELDAPP_SYNC_INTERVAL") or SYNC_INTERVAL),
            tile_budget_mb=int(env.get("FIELDAPP_TILE_BUDGET_MB") or DEFAULT_TILE_BUDGET_MB),
        )


class Device:
    """One tablet: store, settings, sync engine and its background thread."""

    def __init__(self, config: AppConfig, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.config = config
        self.clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(config.data_dir, clock=clock)
        self._settings_path = config.data_dir / SETTINGS_FILE
        self.tiles = TileCache(config.data_dir / "tiles", budget=config.tile_budget_mb * MB)
        self._tile_session = requests.Session()
        self._lock = threading.RLock()
        self._listeners = Listeners()
        self._engine: SyncEngine = self._build_engine(self.server_url)
        self._sync: SyncState = self._engine.state
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- settings --------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        try:
            data = json.loads(self._settings_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_settings(self, **changes: Any) -> None:
        data = self._settings() | changes
        tmp = self._settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self._settings_path)

    @property
    def server_url(self) -> str:
        return str(self._settings().get("server_url") or self.config.server_url)

    def set_server_url(self, url: str) -> None:
        with self._lock:
            self._save_settings(server_url=url)
            self._engine = self._build_engine(url)
        self._notify()

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """A cached map tile, or None (the map then shows the plan on a plain ground)."""
        return self.tiles.get(z, x, y)

    @property
    def tile_zooms(self) -> list[int]:
        return self.tiles.zooms

    @property
    def photo_cache_mb(self) -> int:
        """The picture cache budget in MB (a setting; 200 unless changed)."""
        value = self._settings().get("photo_cache_mb")
        return value if isinstance(value, int) and value > 0 else DEFAULT_BUDGET_MB

    def set_photo_cache_mb(self, megabytes: int) -> None:
        if megabytes < 1:
            raise ValueError("the photo cache needs at least 1 MB")
        with self._lock:
            self._save_settings(photo_cache_mb=megabytes)
            self._engine.photo_budget = megabytes * MB
        self.store.tidy_photo_cache(megabytes * MB)  # a smaller budget applies at once
        self._notify()

    @property
    def device_name(self) -> str:
        return (
            self.config.device_name
            or f"Tablet {self.config.data_dir.name} on {socket.gethostname()}"
        )

    # --- engine ----------------------------------------------------------------------------
    def _on_state(self, state: SyncState) -> None:
        self._sync = state
        self._notify()

    def _build_engine(self, server_url: str) -> SyncEngine:
        transport = HttpTransport(
            base_url=server_url,
            session=requests.Session(),
            token=lambda: self.store.get_meta("token"),
        )
        return SyncEngine(
            store=self.store,
            transport=transport,
            on_state=self._on_state,
            clock=self.clock,
            photo_budget=self.photo_cache_mb * MB,
            after_round=[tiles_after_round(self.tiles, http_fetcher(self._tile_session))],
        )

    @property
    def sync(self) -> SyncState:
        return self._sync

    def user(self) -> dict[str, Any] | None:
        return self.store.user()

    def sign_in(self, *, server_url: str, username: str, password: str) -> dict[str, Any]:
        """Enrol with the server (blocking): saves the address only when sign-in works."""
        engine = self._build_engine(server_url)
        user = engine.sign_in(username=username, password=password, device_name=self.device_name)
        with self._lock:
            self._save_settings(server_url=server_url)
            self._engine = engine
        self.request_sync()
        self._notify()
        return dict(user)

    def report_link(self, walkabout_id: str, *, lifetime_seconds: int | None = None) -> ReportLink:
        """A signed link to a walkabout's report, asked for with this device's sign-in
        (blocking; raises ``ReportUnavailable`` with a sentence for a person)."""
        with self._lock:
            transport = self._engine.transport
        return report_link(transport, walkabout_id, lifetime_seconds=lifetime_seconds)

    def sign_out(self) -> None:
        """Wipe everything local: records, outbox, photos, token. The address setting stays."""
        with self._lock:
            self.store.wipe()
            self._engine = self._build_engine(self.server_url)
            self._sync = self._engine.state
        self._notify()

    def cache_summary(self) -> dict[str, int]:
        """What the tablet keeps for offline use: picture bytes and budget (map tiles: see
        ``fieldapp.sync.tiles``)."""
        return {
            "photo_bytes": self.store.photo_cache_usage(),
            "photo_budget": self.photo_cache_mb * MB,
            **self.tiles.summary(),
        }

    def unsynced_summary(self) -> dict[str, int]:
        return {
            "pending": self.store.pending_count(),
            "photos": len(self.store.pending_blobs()),
            "dead_letters": len(self.store.dead_letters()),
            "conflicts": len(self.store.open_conflicts()),
        }

    # --- data the screens ask for -----------------------------------------------------------
    def add_photo(
        self,
        *,
        parent_entity: str,
        parent_id: str,
        data: bytes,
        caption: str | None,
        position: tuple[float, float] | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Process (resize, strip EXIF) and store a photo; GPS from EXIF, else where I stand."""
        photo = process_photo(data)
        lat, lon = photo.lat, photo.lon
        if (lat is None or lon is None) and position is not None:
            lat, lon = position
        return self.store.add_photo(
            parent_entity=parent_entity,
            parent_id=parent_id,
            jpeg=photo.jpeg,
            thumb=photo.thumb,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at or now,
            lat=lat,
            lon=lon,
            caption=caption,
            now=now,
        )

    def resolve_conflict(self, conflict_id: str, resolution: str, value: Any) -> dict[str, Any]:
        return self.store.resolve_conflict(conflict_id, resolution, value, now=self.clock())

    def pending(self) -> list[dict[str, Any]]:
        return self.store.pending_mutations(limit=500)

    def pending_count(self) -> int:
        return self.store.pending_count()

    def photo_path(self, sha256: str, *, thumb: bool = False) -> Path | None:
        return self.store.photo_path(sha256, thumb=thumb)

    def fetch_photo(self, sha256: str) -> bytes | None:
        """Full size (blocking: run it off the UI thread): cached, else downloaded and kept.

        None when it is not here and cannot come now (no connection, or the server has no
        such picture for this user yet).
        """
        with self._lock:
            engine = self._engine
        try:
            return engine.fetch_photo(sha256)
        except SyncError as exc:
            log.info("full-size photo not fetched: %s", exc)
            return None

    def delete_photo(self, photo_id: str, *, now: datetime) -> None:
        self.store.delete_photo(photo_id, now=now)
        self._notify()
        self.request_sync()

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.store.dead_letters()

    def open_conflicts(self) -> list[dict[str, Any]]:
        return self.store.open_conflicts()

    # --- background sync -------------------------------------------------------------------
    def start(self) -> None:
        """Start the background sync thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"sync-{self.config.data_dir.name}", daemon=True
            )
            self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request_sync(self) -> None:
        """Ask for a sync as soon as possible; returns at once."""
        self._wake.set()

    def sync_once(self) -> SyncState:
        """One push/pull/photos round now, on the calling thread (the loop's step)."""
        with self._lock:
            engine = self._engine
        state = engine.sync_once()
        self._notify()  # pulled records may have changed what the screens show
        return state

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                state = self.sync_once()
            except Exception:  # a bug in a sync round must not kill the thread; it is logged
                log.exception("background sync round failed")
                failures += 1
            else:
                failures = failures + 1 if state.status in ("offline", "error") else 0
            # Back off while the server is unreachable, but a local write, "Sync now" or the
            # network coming back (``request_sync``) starts the next round at once; so does
            # the server answering again, asked cheaply every few seconds while unreachable.
            delay = backoff_delay(failures, random.random, interval=self.config.sync_interval)
            delay = min(delay, self.config.sync_interval * 3)
            if failures and self._sync.status == "offline":
                self._wait_for_server(delay)
            else:
                self._wake.wait(delay)

    def _wait_for_server(self, delay: float) -> None:
        """Wait up to ``delay`` (the back-off), asking ``/health`` every ``probe_every``
        seconds (jittered, so tablets that lost the server together do not return together):
        a server back up is noticed in seconds, not after the back-off (up to a minute)."""
        deadline = time.monotonic() + delay
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(min(left, self.config.probe_every * (0.5 + random.random()))):
                return
            if self._server_answers():
                return

    def _server_answers(self) -> bool:
        with self._lock:
            transport = self._engine.transport
        try:
            answer = transport.request("GET", f"{API_PREFIX}/health", timeout=PROBE_TIMEOUT)
        except SyncError:
            return False
        return answer.status == 200

    # --- change notifications --------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def _notify(self) -> None:
        for listener in self._listeners.snapshot():
            try:
                listener()
            except Exception:  # one broken session must not stop the others hearing
                log.exception("change listener failed")


_devices: dict[Path, Device] = {}
_devices_lock = threading.Lock()


def close_devices(*, timeout: float) -> None:
    """Stop every open device's sync thread (waiting up to ``timeout`` each), close its store."""
    with _devices_lock:
        devices = list(_devices.values())
        _devices.clear()
    for device in devices:
        device.stop(timeout=timeout)
        device.store.close()


def open_device(config: AppConfig) -> Device:
    """The process's one ``Device`` for ``config.data_dir``, started on first use."""
    key = config.data_dir.resolve()
    with _devices_lock:
        device = _devices.get(key)
        if device is None:
            device = Device(config)
            _devices[key] = device
        device.start()
        return device
