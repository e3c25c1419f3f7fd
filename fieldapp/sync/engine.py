"""The sync engine: sign-in, one round (push → pull → photo uploads → downloads), the loop.

It is handed its store and transport (it never builds an HTTP session), reports each change
of state through ``on_state``, and never lets a sync failure escape ``sync_once``: transient
ones (no network, 5xx, 429) end the round as ``offline``/``error`` and ``run`` retries with
exponential backoff and full jitter; ``401 device_revoked`` wipes the device; ``401
token_expired`` signs out but keeps the outbox for the next sign-in of the same user.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from fieldapp.ids import to_wire
from fieldapp.store.photo_cache import DEFAULT_BUDGET_MB
from fieldapp.store.store import Store
from fieldapp.sync.errors import (
    AuthError,
    DeviceRevoked,
    NetworkError,
    ResyncRequired,
    ServerError,
    SyncError,
    TokenExpired,
)
from fieldapp.sync.photo_downloads import MB, download_thumbnails, fetch_full
from fieldapp.sync.protocol import API_PREFIX, MAX_PULL_LIMIT, SCHEMA_VERSION
from fieldapp.sync.pull import pull_all
from fieldapp.sync.push import push_all
from fieldapp.sync.state import Phase, Progress, Status, SyncState
from fieldapp.sync.transport import Transport, TransportResponse, check_response, error_of

log = logging.getLogger(__name__)

BACKOFF_BASE = 2.0  # seconds before the first retry
BACKOFF_CAP = 300.0  # never wait longer than this between attempts
_PENDING_MESSAGE = (
    "Changes made by the previous user have not been sent yet. Ask them to sign in and sync first."
)


def backoff_delay(failures: int, rng: Callable[[], float], *, interval: float) -> float:
    """Wait after ``failures`` consecutive failed rounds: exponential, full jitter, capped."""
    if failures <= 0:
        return interval
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1))
    return float(max(0.5, ceiling * rng()))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SyncEngine:
    """Keeps one device's store in step with the server."""

    def __init__(
        self,
        *,
        store: Store,
        transport: Transport,
        on_state: Callable[[SyncState], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        blob_uploader: Callable[..., Any] | None = None,
        clock: Callable[[], datetime] = _utcnow,
        page_size: int = MAX_PULL_LIMIT,
        photo_budget: int = DEFAULT_BUDGET_MB * MB,
        after_round: Sequence[Callable[[SyncEngine], str | None]] = (),
    ) -> None:
        self.store = store
        self.transport = transport
        self.on_state = on_state
        self.sleep = sleep
        self.rng = rng
        self.blob_uploader = blob_uploader
        self.clock = clock
        self.page_size = page_size  # changes per pull request
        self.photo_budget = photo_budget  # bytes of pictures this tablet may keep
        # Further downloads after the photos (map tiles): each returns a problem or None.
        self.after_round = tuple(after_round)
        self._round = threading.Lock()  # one round at a time (UI "sync now" and the loop)
        self._status: Status = "offline" if store.get_meta("token") else "signed_out"
        self._last_error: str | None = None
        self._retry_after: float | None = None  # a 429's Retry-After, for the loop
        self.state = self._snapshot(self._status)

    # --- state -----------------------------------------------------------------------------
    def _snapshot(self, status: Status, progress: Progress | None = None) -> SyncState:
        s = self.store
        return SyncState(
            status=status,
            pending=s.pending_count(),
            conflicts=s.open_conflict_count(),
            dead_letters=s.dead_count(),
            blobs_pending=len(s.pending_blobs()),
            progress=progress,
            last_synced_at=s.get_meta("last_synced_at"),
            last_error=self._last_error,
        )

    def _emit(self, status: Status, progress: Progress | None = None) -> SyncState:
        self._status = status
        self.state = self._snapshot(status, progress)
        if self.on_state is not None:
            self.on_state(self.state)
        return self.state

    def progress(self, phase: Phase) -> Callable[[int, int], None]:
        """A ``(done, total)`` reporter for one phase of the round (also for later steps)."""
        return self._progress(phase)

    def _progress(self, phase: Phase) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self._emit("syncing", Progress(phase, done, total))

        return report

    # --- sign-in ---------------------------------------------------------------------------
    def sign_in(self, *, username: str, password: str, device_name: str) -> dict[str, Any]:
        """Get a token for this device; raises ``AuthError``/``NetworkError`` for the UI."""
        response = self._request_token(username, password, device_name)
        if response.status == 409 and error_of(response)[0] == "device_in_use":
            # A shared tablet: its device id is the previous user's, and the server gives a
            # device id to one user only. The password was right (it is checked first), so
            # this is what a change of user does anyway: wipe, become a new device, again.
            if self.store.pending_count():
                raise AuthError("pending_changes", _PENDING_MESSAGE)
            self.store.wipe()
            response = self._request_token(username, password, device_name)
        if response.status in (400, 401, 403, 409):
            code, message = error_of(response)
            raise AuthError(code, message or "The user name or password is not right.")
        check_response(response)
        body = response.json()
        user = dict(body["user"])
        previous = self.store.user()
        if previous is not None and previous.get("id") != user.get("id"):
            if self.store.pending_count():
                # Another person's edits are still queued: sending them under this account
                # would misattribute them, wiping them would lose them.
                raise AuthError("pending_changes", _PENDING_MESSAGE)
            self.store.wipe()  # what the previous user could see is not this user's to see
        with self.store.transaction():
            self.store.set_meta("token", str(body["access_token"]))
            self.store.set_meta("user", json.dumps(user))
        self._last_error = None
        self._emit("offline")
        return user

    def _request_token(self, username: str, password: str, device_name: str) -> TransportResponse:
        return self.transport.request(
            "POST",
            f"{API_PREFIX}/auth/token",
            json_body={
                "username": username,
                "password": password,
                "device_id": self.store.device_id,
                "device_name": device_name,
                "schema_version": SCHEMA_VERSION,
            },
        )

    def sign_out(self) -> None:
        """Forget the token (the outbox and data stay for the next sign-in)."""
        self.store.set_meta("token", None)
        self._emit("signed_out")

    # --- one round -------------------------------------------------------------------------
    def sync_once(self) -> SyncState:
        """Push all, pull all, upload photos. Never raises a sync failure."""
        with self._round:
            if not self.store.get_meta("token"):
                return self._emit("signed_out")
            self._emit("syncing")
            try:
                push_all(
                    store=self.store,
                    transport=self.transport,
                    progress=self._progress("push"),
                    sleep=self.sleep,
                )
                pull_all(
                    store=self.store,
                    transport=self.transport,
                    progress=self._progress("pull"),
                    limit=self.page_size,
                    sleep=self.sleep,
                )
            except DeviceRevoked:
                log.warning("device revoked: wiping local data")
                self.store.wipe()
                self._last_error = "This tablet was revoked by a manager; its data was removed."
                return self._emit("revoked")
            except TokenExpired:
                self.store.set_meta("token", None)
                self._last_error = "Your sign-in has expired. Please sign in again."
                return self._emit("signed_out")
            except AuthError as exc:
                self.store.set_meta("token", None)
                self._last_error = exc.message or "Please sign in again."
                return self._emit("signed_out")
            except NetworkError:
                self._last_error = "No connection to the server. Changes are kept on this tablet."
                return self._emit("offline")
            except (ServerError, ResyncRequired) as exc:
                log.warning("sync round failed: %s", exc)
                self._last_error = _server_message(exc)
                self._retry_after = exc.retry_after if isinstance(exc, ServerError) else None
                return self._emit("error")
            blob_problem = self._upload_blobs()
            self.store.set_meta("last_synced_at", to_wire(self.clock()))
            problems = [blob_problem, self._download_photos()]
            problems += [step(self) for step in self.after_round]
            self._last_error = next((p for p in problems if p is not None), None)
            return self._emit("online" if self._last_error is None else "error")

    def _upload_blobs(self) -> str | None:
        """Upload pending photos; records are already synced, so a failure here is mild."""
        if not self.store.pending_blobs():
            return None
        uploader: Callable[..., Any] | None = self.blob_uploader
        if uploader is None:
            from fieldapp.sync.blobs import upload_pending

            # Its BlobStore protocol types paths as str; Store gives Path (os.PathLike works).
            uploader = cast(Callable[..., Any], upload_pending)
        try:
            uploader(store=self.store, transport=self.transport, progress=self._progress("photos"))
        except NetworkError:
            return "Photos will upload when the connection is back."
        except Exception as exc:  # the uploader's own server errors: retry next round
            log.warning("photo upload failed: %s", exc)
            return "Photo upload failed; it will be retried."
        return None

    def _download_photos(self) -> str | None:
        """Thumbnails of the photos on this tablet; a failure waits for the next round."""
        try:
            download_thumbnails(
                store=self.store,
                transport=self.transport,
                budget=self.photo_budget,
                progress=self._progress("downloads"),
            )
        except NetworkError:
            return "Photos will download when the connection is back."
        except SyncError as exc:
            log.warning("photo download failed: %s", exc)
            return "Photo download failed; it will be retried."
        return None

    def fetch_photo(self, sha256: str) -> bytes | None:
        """The full picture for a tap (blocking); raises ``SyncError`` when it cannot come."""
        return fetch_full(
            store=self.store, transport=self.transport, sha256=sha256, budget=self.photo_budget
        )

    # --- the background loop ---------------------------------------------------------------
    def run(self, stop: threading.Event, *, interval: float = 15.0) -> None:
        """Sync every ``interval`` seconds until ``stop`` is set; back off while failing."""
        failures = 0
        while not stop.is_set():
            self._retry_after = None
            state = self.sync_once()
            failures = failures + 1 if state.status in ("offline", "error") else 0
            delay = backoff_delay(failures, self.rng, interval=interval)
            if self._retry_after is not None:
                delay = max(delay, self._retry_after)
            self._wait(stop, delay)

    def _wait(self, stop: threading.Event, delay: float) -> None:
        # With the real clock, wait on the stop event so stopping is immediate; an injected
        # sleep (tests) is called as given.
        if self.sleep is time.sleep:
            stop.wait(delay)
        else:
            self.sleep(delay)


def _server_message(exc: SyncError) -> str:
    if isinstance(exc, ServerError):
        if exc.status == 429:
            return "The server is busy; sync will try again shortly."
        if exc.status >= 500:
            return "The server had a problem; sync will try again shortly."
        return exc.message or f"The server refused the sync ({exc.code})."
    return "The server asked for a fresh download; it will be retried."
