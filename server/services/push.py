"""``POST /sync/push``: a device's outbox mutations, applied in order in one transaction.

Each mutation is checked (shape, idempotency, the registry's validation, permission), then
created, merged field by field against the revisions since its ``base_version`` (see
``merge``), deleted, or — for a ``conflict`` — resolved. Results are return values:
``applied``, ``merged``, ``conflict`` or ``rejected`` with an error code. Every handled
mutation is stored with a hash of its payload so a replay returns the same result and
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from fieldapp.sync.protocol import (
    ENTITIES,
    MAX_WHOLE,
    PARENT_LINKS,
    REFERENCE_PREFIXES,
    project,
    validate_patch,
)
from server.db import insert_many
from server.errors import text_ok
from server.models import APPLIED
from server.services import blob_access, conflicts, derivation, links
from server.services.auth import Principal
from server.services.merge import changed_elsewhere, merge_patch
from server.services.mutation import Change, Rejection
from server.services.placement import parent_key, place
from server.services.records import Row, WriteBatch, dumps
from server.services.rows import both_forms, ids_param, in_ids
from server.services.scope import Scope

_OPS = ("upsert", "delete")
# What the derived-field rules (fieldapp.domain.derive) read when a record of an entity is
# written, for it or the records it re-derives: (entity read by its parent link, the field of
# the written record naming that parent). The push preloads exactly these.
_RULE_READS: dict[str, tuple[tuple[str, str], ...]] = {
    "property": (("tenancy_visit", "id"),),
    "asb_case": (("asb_report", "id"),),
    "walkabout": (("observation", "id"),),
    "tenancy_visit": (("person", "property_id"), ("tenancy_visit", "property_id")),
    "person": (("tenancy_visit", "property_id"), ("person", "property_id")),
    "asb_report": (("asb_report", "case_id"),),
    "observation": (("observation", "walkabout_id"),),
}
# Entities whose new records change their parent's derived fields (or their siblings'):
# on PostgreSQL a push holds that parent (see ``Push._preload``).
_GUARDS_PARENT = frozenset({"asb_report", "observation", "person", "tenancy_visit"})


_STORED = both_forms(
    lambda ids_in: select(
        APPLIED.c.mutation_id, APPLIED.c.payload_hash, APPLIED.c.user_id, APPLIED.c.result
    ).where(ids_in(APPLIED.c.mutation_id))
)


def payload_hash(m: dict[str, Any]) -> str:
    """What makes two sends the same mutation (not ``client_time`` nor ``device_seq``).

    The text hashed is ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``. ``orjson`` writes the same text five times faster except for
    some floats (``1.2e-7`` where ``json`` writes ``1.2e-07``), so a payload with a float, or
    anything ``orjson`` refuses, is written by ``json``: a stored hash never depends on the
    encoder.
    """
    keyed = {k: m.get(k) for k in ("entity", "id", "op", "base_version", "patch")}
    if not _has_float(keyed):
        try:
            return hashlib.sha256(orjson.dumps(keyed, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except TypeError:
            pass
    raw = json.dumps(keyed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: half a surrogate pair still hashes (the registry then refuses the text).
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _has_float(value: Any) -> bool:
    """A float anywhere in ``value`` (or anything but what JSON decodes to: then ``json``
    decides)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return True  # a float, or a type no JSON text decodes to
    return False


class Push:
    """One push request: the batch of records and everything needed to judge a mutation."""

    def __init__(
        self, conn: Connection, *, scope: Scope, now: datetime, lean: bool = False
    ) -> None:
        self.conn = conn
        self.lean = lean  # answer with lean results (see ``lean_result``)
        self.scope = scope
        self.who: Principal = scope.principal
        self.now = now
        self.batch = WriteBatch(
            conn, now=now, actor_patch_ids=self.who.patch_ids, echo_device=self.who.device_id
        )
        self.stored: dict[str, tuple[str, str, str]] = {}  # mutation_id → hash, user, result
        self.upserts: set[tuple[str, str]] = set()  # records this push writes (forward refs)
        if scope.role != "manager":  # derived fields read only what the caller may see
            self.batch.visible = lambda row: links.visible(scope, row)
        self.new_applied: list[dict[str, Any]] = []

    # --- the request -------------------------------------------------------------------
    def run(self, mutations: list[Any]) -> list[str]:
        """The answer to each mutation, as JSON text: the full result (stored as is for
        replays), or with ``lean`` the lean one."""
        self._preload(mutations)
        results = [self._one(m) for m in mutations]
        self.batch.flush()
        if self.new_applied:
            insert_many(self.conn, APPLIED, self.new_applied)
        return results

    def _preload(self, mutations: list[Any]) -> None:
        ids = [
            m["mutation_id"]
            for m in mutations
            if isinstance(m, dict) and _ok_id(m.get("mutation_id"))
        ]
        for start in range(0, len(ids), 900):
            params = {"ids": ids_param(self.conn, ids[start : start + 900])}
            for mid, h, user, result in self.conn.execute(in_ids(self.conn, _STORED), params):
                self.stored[mid] = (h, user, result)
        keys = [
            (m["entity"], m["id"])
            for m in mutations
            if isinstance(m, dict) and _entity(m) is not None and _ok_id(m.get("id"))
        ]
        parents: list[tuple[str, str]] = []
        guarded: list[tuple[str, str]] = []
        for m in mutations:
            if isinstance(m, dict) and isinstance(m.get("patch"), dict):
                entity = str(m.get("entity"))
                parent = parent_key(entity, m["patch"])
                if parent is not None and _ok_id(parent[1]):
                    parents.append(parent)
                    if entity in _GUARDS_PARENT:
                        guarded.append(parent)
                named = links.keys(entity, m["patch"])
                parents.extend(k for k in named if _ok_id(k[1]))
                if m.get("op") == "upsert" and _ok_id(m.get("id")):
                    self.upserts.add((entity, m["id"]))
        # PostgreSQL: before anything is read, hold the parents whose derived fields sum up
        # their children, so two pushes adding reports to one case take turns (each derives
        # the case from every report). Everything else is checked by version at flush.
        self.batch.lock(guarded)
        self.batch.load(keys)
        self.batch.load(parents)
        # Revisions since each edit's base (for the merge) and the records the derived fields
        # read (a case's reports), each in one query rather than one per mutation; only what
        # the batch's rules read, not every child of every parent.
        wanted = []
        reads: dict[str, list[str]] = {}
        for m in mutations:
            if not isinstance(m, dict) or _entity(m) is None:
                continue
            row = self.batch.rows.get((m["entity"], str(m.get("id"))))
            base = m.get("base_version")
            base = base if isinstance(base, int) and not isinstance(base, bool) else 0
            if row is not None and base < row.version:
                wanted.append((row.key, base))
            patch = m.get("patch")
            data = {**(row.data if row is not None else {}), "id": m.get("id")}
            if isinstance(patch, dict):
                data.update(patch)
            for child, source in _RULE_READS.get(m["entity"], ()):
                value = data.get(source)
                if isinstance(value, str) and _ok_id(value):
                    reads.setdefault(child, []).append(value)
        self.batch.load_history(wanted)
        for child, ids in reads.items():
            self.batch.load_linked(child, ids)
        self._reserve_references(mutations)

    def _reserve_references(self, mutations: list[Any]) -> None:
        """The references the batch's new cases and repairs will take, in one go."""
        new: dict[str, set[str]] = {}
        for m in mutations:
            if not isinstance(m, dict) or m.get("op") != "upsert" or not _ok_id(m.get("id")):
                continue
            prefix = REFERENCE_PREFIXES.get(str(m.get("entity")))
            row = self.batch.rows.get((str(m.get("entity")), m["id"]))
            if prefix is not None and (row is None or not row.data.get("reference")):
                new.setdefault(prefix, set()).add(m["id"])
        for prefix, ids in new.items():
            self.batch.references.reserve(prefix, self.now, len(ids))

    def _one(self, m: Any) -> str:
        if not isinstance(m, dict) or not _ok_id(m.get("mutation_id")):
            mid = m.get("mutation_id") if isinstance(m, dict) else None
            return dumps(
                _rejected(
                    mid if isinstance(mid, str) and len(mid) <= 64 else None,
                    Rejection(
                        "validation_failed", "a mutation needs a mutation_id (1-64 characters)"
                    ),
                )
            )
        mid = m["mutation_id"]
        digest = payload_hash(m)
        if mid in self.stored:
            h, user, stored = self.stored[mid]
            if h == digest and user == self.who.user_id:
                return stored
            return dumps(
                _rejected(
                    mid,
                    Rejection(
                        "mutation_id_reused",
                        "this mutation_id was already used for a different change",
                    ),
                )
            )
        try:
            result = self._apply(m)
        except Rejection as exc:
            result = _rejected(mid, exc)
        lean = result.pop(_LEAN, None)
        text = dumps(result)
        self.stored[mid] = (digest, self.who.user_id, text)
        self.new_applied.append(
            {
                "mutation_id": mid,
                "payload_hash": digest,
                "user_id": self.who.user_id,
                "device_id": self.who.device_id,
                "result": text,
                "created_at": self.now,
            }
        )
        if self.lean:
            return dumps(lean_result(result, lean))
        return text

    # --- one mutation --------------------------------------------------------------------
    def _apply(self, m: dict[str, Any]) -> dict[str, Any]:
        entity, rid, op = m.get("entity"), m.get("id"), m.get("op")
        if not isinstance(entity, str) or entity not in ENTITIES:
            raise Rejection("unknown_entity", "unknown entity")
        if not isinstance(rid, str) or not _ok_id(rid):
            raise Rejection("validation_failed", "id must be a string of 1-64 characters")
        if op not in _OPS:
            raise Rejection("validation_failed", "op must be upsert or delete")
        base = m.get("base_version")
        if base is not None and (
            not isinstance(base, int) or isinstance(base, bool) or not 0 <= base <= MAX_WHOLE
        ):
            raise Rejection(
                "validation_failed", "base_version must be null or a whole number below 2^53"
            )
        patch = (m.get("patch") or {}) if op == "delete" else m.get("patch")
        if not isinstance(patch, dict):
            raise Rejection("validation_failed", "patch must be an object")
        spec = ENTITIES[entity]
        if entity == "conflict":
            if op != "upsert":
                raise Rejection("forbidden", "conflicts are resolved, not deleted")
            return self.result(m, "applied", conflicts.resolve(self.change(m), rid, patch))
        if spec.reference:
            raise Rejection("forbidden", f"{entity} is reference data, read-only on devices")
        if op == "delete":
            return self._delete(entity, rid, base, m)
        return self._upsert(entity, rid, base or 0, patch, m)

    def _upsert(
        self, entity: str, rid: str, base: int, patch: dict[str, Any], m: dict[str, Any]
    ) -> dict[str, Any]:
        spec = ENTITIES[entity]
        row = self.batch.row(entity, rid)
        creating = row is None or row.version == 0
        if self.scope.partner and not spec.partner_writable:
            raise Rejection(
                "forbidden", "your role may only add observations, photos and notes to walkabouts"
            )
        errors = validate_patch(entity, patch, creating=creating, role=self.who.role)
        if not errors:  # the rules' guards: no report time ahead of this clock, no blank report
            errors = derivation.refusals(entity, patch, self.now)
        if errors:
            first = errors[0]
            raise Rejection(
                first.code,
                first.message,
                [{"field": e.field, "code": e.code, "message": e.message} for e in errors],
            )
        patch = links.stamp_author(entity, patch, row, self.who.user_id)
        if row is not None and row.version > 0 and spec.append_only:
            if all(row.data.get(k) == v for k, v in patch.items()) and not row.deleted:
                return self.result(m, "applied", row)  # the same insert again: nothing to do
            raise Rejection("forbidden", f"{entity} is append-only: it cannot be changed")
        if not creating and spec.editable_after_create is not None:
            assert row is not None  # not creating: the row exists
            fixed = [
                k
                for k in patch
                if k not in spec.editable_after_create and row.data.get(k) != patch[k]
            ]
            if fixed:
                raise Rejection(
                    "read_only_field",
                    f"{fixed[0]} of a {entity} cannot change once made",
                    [{"field": k, "code": "read_only_field"} for k in fixed],
                )
        if self.scope.partner:
            self._partner_may_create(entity, patch, creating)
        current = None if creating else row
        links.check(self.batch, self.scope, self.upserts, entity, patch, current)
        if row is None or row.version == 0:
            self._may_write_at(entity, rid, patch, None)
            if entity == "photo":
                self._may_name_blob(patch.get("sha256"))
            row = row or self.batch.new_row(
                entity, rid, device_id=self.who.device_id, user_id=self.who.user_id
            )
            self.batch.write(row, patch, **self.writer(m))
            return self.result(m, "applied", row, sent=(patch, frozenset()))
        self._may_write_at(entity, rid, patch, row)
        if row.deleted:
            conflict = conflicts.file_deleted(self.change(m), row, edit=patch)
            return self.result(m, "conflict", row, [conflict])
        history = self.batch.history(row.key, base)
        merged = merge_patch(spec.by_name, row.data, patch, history, self.who.device_id)
        # What changed since the device's base by anyone else: the device lacks it.
        since = frozenset(
            f for rev in history if rev.device_id != self.who.device_id for f in rev.changes
        )
        change = self.change(m)
        filed = [
            conflicts.file(change, row, name, *vals) for name, vals in merged.conflicts.items()
        ]
        changes = {
            k: v for k, v in merged.apply.items() if row.data.get(k) != v or k not in row.data
        }
        if changes:
            self.batch.write(row, changes, **self.writer(m))
        elif filed:
            self.batch.touch_scope(row)  # needs_review changed: a new seq, same version
        status = "conflict" if filed else "merged" if merged.concurrent else "applied"
        return self.result(m, status, row, filed, sent=(patch, since))

    def _delete(self, entity: str, rid: str, base: int | None, m: dict[str, Any]) -> dict[str, Any]:
        spec = ENTITIES[entity]
        if self.scope.partner:
            raise Rejection("forbidden", "your role may not delete records")
        if spec.append_only:
            raise Rejection("forbidden", f"{entity} is append-only: it cannot be deleted")
        row = self.batch.row(entity, rid)
        if row is None or row.version == 0:
            return self.result(m, "applied", None)  # never reached the server: nothing to do
        if self.who.role != "manager" and not self.scope.allows_row(row):
            # The answer for an id that is not there: whether another patch holds a record
            # under this id is not the caller's to learn. Nothing is deleted.
            return self.result(m, "applied", None)
        self._may_write_at(entity, rid, {}, row)
        if row.deleted:
            return self.result(m, "applied", row)
        _, edited = changed_elsewhere(
            self.batch.history(row.key, base or 0), self.who.device_id, set(spec.derived)
        )
        if edited:  # edited elsewhere since this device last saw it: a person decides
            conflict = conflicts.file_deleted(self.change(m), row, edit=None)
            return self.result(m, "conflict", row, [conflict])
        self.batch.write(row, {}, deleted=True, **self.writer(m))
        return self.result(m, "applied", row)

    # --- permission ----------------------------------------------------------------------
    def _partner_may_create(self, entity: str, patch: dict[str, Any], creating: bool) -> None:
        spec = ENTITIES[entity]
        if not spec.partner_writable or not creating:
            raise Rejection(
                "forbidden", "your role may only add observations, photos and notes to walkabouts"
            )
        walkabout: Any
        if entity == "observation":
            walkabout = patch.get("walkabout_id")
        elif patch.get("parent_entity") == "walkabout":
            walkabout = patch.get("parent_id")
        elif patch.get("parent_entity") == "observation":
            parent = self.batch.row("observation", str(patch.get("parent_id")))
            walkabout = None if parent is None else parent.data.get("walkabout_id")
        else:
            walkabout = None
        if walkabout not in self.scope.walkabout_ids:
            raise Rejection("forbidden", "you may only add to walkabouts you joined")

    def _may_name_blob(self, sha256: Any) -> None:
        """A new photo names bytes not yet held, sent by this device, or readable already."""
        if not isinstance(sha256, str):
            return  # validate_patch has refused it already
        if not blob_access.may_name(self.conn, self.who, sha256):
            raise Rejection(
                "blob_not_yours",
                "these photo bytes were uploaded from another device; "
                "upload the photo from this device first",
            )
        if blob_access.held(self.conn, sha256):  # a reader naming it: the record may show it
            blob_access.credit(self.conn, self.who, sha256, how="reader", now=self.now)

    def _may_write_at(self, entity: str, rid: str, patch: dict[str, Any], row: Row | None) -> None:
        """Officers write only in their patches (before and after the write)."""
        if self.who.role == "manager" or self.scope.partner:
            return
        if row is not None and not self.scope.allows_row(row):
            raise Rejection("forbidden", "this record is outside your patches")
        link = PARENT_LINKS.get(entity)
        if row is not None and (link is None or link[0] not in patch) and entity != "walkabout":
            return  # its place does not change
        probe = Row(entity=entity, id=rid, data={**(row.data if row else {}), **patch})
        if row is not None:
            probe.patch_id, probe.exists = row.patch_id, True
        patch_id, walkabout_id, estate, _ = place(self.batch, probe)
        if patch_id is not None and patch_id not in self.who.patch_ids:
            raise Rejection("forbidden", "this record belongs to a patch that is not yours")

    # --- results -------------------------------------------------------------------------
    def change(self, m: dict[str, Any]) -> Change:
        """Mutation ``m`` as this push applies it (what ``conflicts`` is handed)."""
        return Change(m, self.batch, self.scope, self.now)

    def writer(self, m: dict[str, Any]) -> dict[str, Any]:
        """Who writes, for ``WriteBatch.write``."""
        return self.change(m).writer

    def result(
        self,
        m: dict[str, Any],
        status: str,
        row: Row | None,
        filed: list[Row] | None = None,
        *,
        sent: tuple[dict[str, Any], frozenset[str]] | None = None,
    ) -> dict[str, Any]:
        """The full result; with ``sent`` (the patch, and the fields others changed since the
        device's base) the lean answer may leave out what the device already holds."""
        role = self.who.role
        record = None
        if row is not None and not row.deleted:
            record = project(row.entity, row.data, role)
            record["needs_review"] = row.needs_review  # an open conflict waits on it
            if row.key == (m.get("entity"), m.get("id")):  # what the device stores it as
                self.batch.told[row.key] = row.version  # echo suppression: see WriteBatch
        return {
            "mutation_id": m.get("mutation_id"),
            "status": status,
            "version": None if row is None else row.version,
            "record": record,
            "conflicts": [project("conflict", c.data, role) for c in filed or []],
            "error": None,
            _LEAN: None if row is None or sent is None else (row.entity, *sent),
        }


_LEAN = "_lean"  # a result's private key: what ``lean_result`` needs (never stored or sent)


def lean_result(
    full: dict[str, Any], sent: tuple[str, dict[str, Any], frozenset[str]] | None
) -> dict[str, Any]:
    """The answer to a push that asked for lean results: what the device does not hold.

    Always ``status`` and ``version``; ``record`` only with the fields the device lacks —
    every derived field (the server's word on them), fields others changed since the
    device's base, fields of the patch the server did not take as sent (a conflict kept the
    server's value, a ``max`` or ``union`` merge), and ``needs_review`` when true — and left
    out when that is nothing; ``conflicts`` and ``error`` only when there are any. Without
    ``sent`` (a delete meeting an edit, a resolution) the record goes whole. No
    ``mutation_id``: lean results answer the mutations in the order they were sent.
    """
    out: dict[str, Any] = {"status": full["status"], "version": full["version"]}
    record = full["record"]
    if record is not None:
        if sent is None:
            out["record"] = record
        else:
            entity, patch, since = sent
            derived = ENTITIES[entity].derived
            delta = {
                k: v
                for k, v in record.items()
                if k in derived
                or k in since
                or (k in patch and patch[k] != v)
                or (k == "needs_review" and v)
            }
            if delta:
                out["record"] = delta
    if full["conflicts"]:
        out["conflicts"] = full["conflicts"]
    if full["error"] is not None:
        out["error"] = full["error"]
    return out


def _rejected(mid: str | None, exc: Rejection) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.detail is not None:
        error["detail"] = exc.detail
    return {
        "mutation_id": mid,
        "status": "rejected",
        "version": None,
        "record": None,
        "conflicts": [],
        "error": error,
    }


def _entity(m: dict[str, Any]) -> str | None:
    entity = m.get("entity")
    return entity if isinstance(entity, str) and entity in ENTITIES else None


def _ok_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and text_ok(value)
