"""``Store``: the one API the app and the sync engine use for local data (views never see SQL).

Records come out as wire-form dicts (times as ISO text) with every derived field, plus
``_version`` (the server version this device knows, None if never synced) and ``_pending``
(a local change waits to be pushed). Every write validates, changes the row and queues its
outbox mutation in one SQLite transaction (see ``writes``); server data comes in through
``apply_pull_page`` and ``apply_push_results`` (see ``apply``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fieldapp.domain.policy import Policy
from fieldapp.ids import new_id, to_wire
from fieldapp.store import apply, outbox, photo_cache, writes
from fieldapp.store.db import CODECS, Database
from fieldapp.store.errors import ValidationError
from fieldapp.store.household import HouseholdEvent, record_event
from fieldapp.store.meta import begin_resync, finish_resync, get_meta, set_meta
from fieldapp.store.schema import Upgrade
from fieldapp.sync.protocol import ENTITIES, FieldError

DB_NAME = "field.db"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key putting numbers in number order: ``2 Ash Court`` before ``10 Ash Court``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Store:
    """Local records, the outbox and device state in ``data_dir/field.db`` (+ ``photos/``)."""

    def __init__(
        self, data_dir: Path, *, policy: Policy | None, clock: Callable[[], datetime]
    ) -> None:
        self.data_dir = data_dir
        self.photos_dir = data_dir / "photos"
        self.policy = policy or Policy()
        self.clock = clock  # only for re-deriving server data; writes are given ``now``
        self.photos_dir.mkdir(parents=True, exist_ok=True)
        self._db = Database(data_dir / DB_NAME)
        with self._db.tx() as conn:
            if get_meta(conn, "device_id") is None:
                set_meta(conn, "device_id", new_id())

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> Store:
        """Open (creating if needed) the store in ``data_dir``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(data_dir, policy=policy, clock=clock)

    def close(self) -> None:
        self._db.close()

    @property
    def db_path(self) -> Path:
        return self._db.path

    @property
    def upgraded(self) -> Upgrade:
        """What opening changed to bring the file up to this release's tables."""
        return self._db.upgraded

    # --- device state ----------------------------------------------------------------------
    @property
    def device_id(self) -> str:
        return self.get_meta("device_id") or ""

    def get_meta(self, key: str) -> str | None:
        with self._db.tx() as conn:
            return get_meta(conn, key)

    def set_meta(self, key: str, value: str | None) -> None:
        with self._db.tx() as conn:
            set_meta(conn, key, value)

    def user(self) -> dict[str, Any] | None:
        raw = self.get_meta("user")
        return None if raw is None else dict(json.loads(raw))

    def _role(self) -> str:
        user = self.user()
        return str(user.get("role") or "officer") if user else "officer"

    def cursor(self) -> str | None:
        return self.get_meta("cursor")

    # --- reads -----------------------------------------------------------------------------
    def _rows(self, entity: str, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        if entity not in ENTITIES:
            raise ValidationError([FieldError("entity", "unknown_entity", f"no entity {entity}")])
        codec = CODECS[entity]
        cols = ", ".join(f'"{c}"' for c in codec.columns)
        sql = (
            f"SELECT {cols}, EXISTS (SELECT 1 FROM outbox o WHERE o.entity = ? AND "
            f'o.record_id = "{entity}".id AND o.state = \'pending\') FROM "{entity}"'
        )
        with self._db.tx() as conn:
            rows = conn.execute(f"{sql} WHERE deleted = 0 {where}", (entity, *params)).fetchall()
        out = []
        for row in rows:
            record = codec.decode(row[:-1])
            del record["_deleted"]
            record["_pending"] = bool(row[-1])
            out.append(record)
        return out

    def get(self, entity: str, id: str) -> dict[str, Any] | None:
        """The live record (wire form + derived + ``_version``, ``_pending``), or None."""
        found = self._rows(entity, "AND id = ?", (id,))
        return found[0] if found else None

    def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Live records whose ``field`` equals ``value`` (``fieldapp.domain.derive.Lookup``)."""
        if entity in ENTITIES and field not in ENTITIES[entity].by_name:
            raise ValidationError([FieldError(field, "unknown_field", f"no field {field}")])
        return self._rows(entity, f'AND "{field}" = ? ORDER BY id', (value,))

    def all(self, entity: str) -> list[dict[str, Any]]:
        return self._rows(entity, "ORDER BY id", ())

    def search_properties(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Properties matching an address, postcode, UPRN, tenancy, ASB case or repair reference."""
        needle = " ".join(text.lower().split())
        if not needle:
            return []
        like = f"%{_escape_like(needle)}%"
        compact = f"%{_escape_like(needle.replace(' ', ''))}%"
        found = self._rows(
            "property",
            "AND (lower(address) LIKE ? ESCAPE '\\' OR replace(lower(postcode), ' ', '') "
            "LIKE ? ESCAPE '\\' OR uprn LIKE ? ESCAPE '\\' OR lower(tenancy_ref) LIKE ? "
            "ESCAPE '\\' OR id IN (SELECT property_id FROM asb_case WHERE deleted = 0 AND "
            "lower(coalesce(reference, ref)) LIKE ? ESCAPE '\\') OR id IN (SELECT property_id "
            "FROM repair WHERE deleted = 0 AND lower(reference) LIKE ? ESCAPE '\\')) "
            "ORDER BY address LIMIT ?",
            (like, compact, compact, like, like, like, max(limit * 10, 500)),
        )
        # Found on a walk: "7 Leaside Way" listed 17 Leaside Way first (text order). An
        # address beginning with what was typed comes first, then house numbers in number
        # order (2 before 10).
        found.sort(key=lambda p: (not str(p.get("address") or "").lower().startswith(needle),
                                  _natural(str(p.get("address") or ""))))  # fmt: skip
        return found[:limit]

    # --- local writes ----------------------------------------------------------------------
    def _ctx(self, now: datetime) -> writes.WriteContext:
        return writes.WriteContext(role=self._role(), policy=self.policy, now=now)

    def create(self, entity: str, data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
        """Create a record (id made if absent) and queue it; returns the stored record."""
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            rid = writes.create(conn, entity, data, ctx=ctx)
        return self._must_get(entity, rid)

    def update(
        self, entity: str, id: str, patch: dict[str, Any], *, now: datetime
    ) -> dict[str, Any]:
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            writes.update(conn, entity, id, patch, ctx=ctx)
        return self._must_get(entity, id)

    def delete(self, entity: str, id: str, *, now: datetime) -> None:
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            writes.delete(conn, entity, id, ctx=ctx)

    def household_event(self, event: HouseholdEvent, *, now: datetime) -> dict[str, Any]:
        """Record a household change, its task note and re-derived suggestions in one
        transaction (``fieldapp.store.household``); returns the person."""
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            person_id = record_event(conn, event, ctx=ctx)
        return self._must_get("person", person_id)

    def resolve_conflict(
        self, conflict_id: str, resolution: str, value: Any = None, *, now: datetime
    ) -> dict[str, Any]:
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            writes.resolve_conflict(conn, conflict_id, resolution, value, ctx=ctx)
        return self._must_get("conflict", conflict_id)

    def _must_get(self, entity: str, id: str) -> dict[str, Any]:
        record = self.get(entity, id)
        if record is None:  # pragma: no cover - written in the transaction just before
            raise RuntimeError(f"{entity} {id} vanished after its write")
        return record

    # --- photos ----------------------------------------------------------------------------
    def _photo_file(self, sha256: str, *, thumb: bool) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValidationError([FieldError("sha256", "validation_failed", "bad sha256")])
        return self.photos_dir / (f"{sha256}.thumb.jpg" if thumb else f"{sha256}.jpg")

    def save_photo_file(self, sha256: str, data: bytes, *, thumb: bool = False) -> Path:
        """Write a photo file atomically (also for files downloaded from the server)."""
        path = self._photo_file(sha256, thumb=thumb)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def add_photo(
        self,
        *,
        parent_entity: str,
        parent_id: str,
        jpeg: bytes,
        thumb: bytes,
        sha256: str,
        width: int,
        height: int,
        taken_at: datetime | None,
        lat: float | None,
        lon: float | None,
        caption: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Keep the photo's files and create its record and pending upload in one transaction."""
        if hashlib.sha256(jpeg).hexdigest() != sha256:
            raise ValidationError(
                [FieldError("sha256", "validation_failed", "sha256 does not match the photo")]
            )
        # Files first: a crash before the commit leaves only an unreferenced file.
        path = self.save_photo_file(sha256, jpeg)
        self.save_photo_file(sha256, thumb, thumb=True)
        data = {
            "parent_entity": parent_entity,
            "parent_id": parent_id,
            "sha256": sha256,
            "bytes": len(jpeg),
            "width": width,
            "height": height,
            "taken_at": None if taken_at is None else to_wire(taken_at),
            "lat": lat,
            "lon": lon,
            "caption": caption,
        }
        ctx = self._ctx(now)
        with self._db.tx() as conn:
            rid = writes.create(conn, "photo", data, ctx=ctx)
            conn.execute(
                "INSERT INTO blob_upload (sha256, path, size, uploaded) VALUES (?, ?, ?, 0) "
                "ON CONFLICT(sha256) DO NOTHING",
                (sha256, str(path), len(jpeg)),
            )
            photo_cache.record(conn, sha256, "full", len(jpeg), to_wire(now))
            photo_cache.record(conn, sha256, "thumb", len(thumb), to_wire(now))
        return self._must_get("photo", rid)

    def save_downloaded(
        self, sha256: str, kind: photo_cache.Kind, data: bytes, *, seen_at: str | None = None
    ) -> None:
        """Keep a picture fetched from the server; ``seen_at`` ranks it (default: now)."""
        self.save_photo_file(sha256, data, thumb=kind == "thumb")
        with self._db.tx() as conn:
            photo_cache.record(conn, sha256, kind, len(data), seen_at or to_wire(self.clock()))

    def viewed_photo(self, sha256: str) -> None:
        """Someone looked at this picture: evict it last."""
        with self._db.tx() as conn:
            photo_cache.touch(conn, sha256, photo_cache.KINDS, to_wire(self.clock()))

    def photos_wanted(self, kind: photo_cache.Kind) -> list[tuple[str, str]]:
        """(sha, taken_at) of live photos without that file here, newest first."""
        with self._db.tx() as conn:
            return photo_cache.wanted(conn, kind)

    def photo_cache_usage(self) -> int:
        with self._db.tx() as conn:
            return photo_cache.usage(conn)

    def tidy_photo_cache(self, budget: int, *, older_than: str | None = None) -> int:
        """Drop files of deleted photos, then the oldest-viewed over ``budget``; how many."""
        with self._db.tx() as conn:
            paths = photo_cache.unreferenced(conn, self.photos_dir)
            paths += photo_cache.evict(conn, self.photos_dir, budget, older_than=older_than)
        for path in paths:  # after the commit: a crash leaves a stray file, not a lie
            path.unlink(missing_ok=True)
        return len(paths)

    def delete_photo(self, id: str, *, now: datetime) -> None:
        """Delete a photo record; one the server never saw takes its pending upload with it."""
        with self._db.tx() as conn:
            row = conn.execute("SELECT sha256 FROM photo WHERE id = ?", (id,)).fetchone()
            writes.delete(conn, "photo", id, ctx=self._ctx(now))
            if (
                row is not None
                and conn.execute("SELECT 1 FROM photo WHERE id = ?", (id,)).fetchone() is None
            ):  # removed outright: the server never had the record
                photo_cache.drop_unsent_upload(conn, str(row[0]))
        self.tidy_photo_cache(budget=1 << 62)  # only the files no live photo names

    def photo_path(self, sha256: str, *, thumb: bool = False) -> Path | None:
        try:
            path = self._photo_file(sha256, thumb=thumb)
        except ValidationError:
            return None
        return path if path.exists() else None

    def pending_blobs(self) -> list[tuple[str, Path, int]]:
        with self._db.tx() as conn:
            rows = conn.execute(
                "SELECT sha256, path, size FROM blob_upload WHERE uploaded = 0 ORDER BY rowid"
            ).fetchall()
        return [(r[0], Path(r[1]), int(r[2])) for r in rows]

    def mark_blob_uploaded(self, sha256: str) -> None:
        with self._db.tx() as conn:
            conn.execute("UPDATE blob_upload SET uploaded = 1 WHERE sha256 = ?", (sha256,))

    # --- the outbox and sync ---------------------------------------------------------------
    def pending_count(self) -> int:
        with self._db.tx() as conn:
            return outbox.count_pending(conn)

    def dead_letters(self) -> list[dict[str, Any]]:
        """Mutations the server refused, with their ``error`` ({code, message})."""
        with self._db.tx() as conn:
            return outbox.dead(conn)

    def dead_count(self) -> int:
        with self._db.tx() as conn:
            return outbox.count_dead(conn)

    def open_conflict_count(self) -> int:
        with self._db.tx() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM conflict WHERE deleted = 0 AND status = 'open'"
            ).fetchone()
        return int(row[0])

    def open_conflicts(self) -> list[dict[str, Any]]:
        return self._rows("conflict", "AND status = 'open' ORDER BY proposed_at, id", ())

    def pending_mutations(self, *, limit: int = 500) -> list[dict[str, Any]]:
        """Pending mutations in wire form, device_seq order (a read: nothing is marked)."""
        with self._db.tx() as conn:
            return outbox.pending(conn, limit=limit)

    def take_push_batch(
        self, *, limit: int = 500, skip: Collection[tuple[str, str]] = ()
    ) -> list[dict[str, Any]]:
        """The next push batch, counted as sent (a record's later edits wait for its answer).

        ``skip``: (entity, id) of records in a batch still in flight, left for a later batch.
        """
        with self._db.tx() as conn:
            return outbox.take_batch(conn, limit=limit, skip=skip)

    def apply_push_results(self, results: list[dict[str, Any]], *, server_time: Any = None) -> None:
        with self._db.tx() as conn:
            apply.apply_push_results(conn, results, policy=self.policy, now=self.clock())
            apply.observe_server_time(conn, server_time)

    def apply_pull_page(self, page: dict[str, Any]) -> None:
        """One page in one transaction: changes, removes and the next cursor."""
        with self._db.tx() as conn:
            apply.apply_pull_page(conn, page, policy=self.policy, now=self.clock())

    def begin_resync(self) -> None:
        with self._db.tx() as conn:
            begin_resync(conn)

    def finish_resync(self) -> None:
        with self._db.tx() as conn:
            finish_resync(conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several store calls atomically (they join this transaction)."""
        with self._db.tx():
            yield

    # --- wipe ------------------------------------------------------------------------------
    def wipe(self) -> None:
        """Delete every local record, queued edit, photo and credential; start a new device."""

        def remove_files() -> None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                path = self.data_dir / (DB_NAME + suffix)
                if path.exists():
                    _overwrite(path)
                    path.unlink()
            shutil.rmtree(self.photos_dir, ignore_errors=True)
            self.photos_dir.mkdir(parents=True, exist_ok=True)

        with self._db.lock:
            self._db.recreate(remove_files)
            with self._db.tx() as conn:
                set_meta(conn, "device_id", new_id())


def _overwrite(path: Path) -> None:
    """Zero a file before unlinking it, so its bytes do not linger in free pages."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
