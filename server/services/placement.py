"""Where a written record belongs: its owner patch, walkabout, estate and parent.

The write side of scope (``scope`` is the read side). A record's owner patch follows its
parent chain (``PARENT_LINKS``: a case's patch is its property's; a walkabout's is the patch
most homes of its estate belong to), so a batch places its parents first; ``settle`` places
every written record at flush and moves the children of a record whose place changed. The
batch is any ``Batch``: ``records.WriteBatch`` is the one the write path hands in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from fieldapp.sync.protocol import ENTITIES, PARENT_LINKS
from server.services.rows import Key, Row

_WALKABOUT_PARENTS = ("walkabout", "observation")
_MAX_DEPTH = 6  # the longest parent chain is four (photo → note's parent → … → property)


class Batch(Protocol):
    """What placing records reads from, and marks in, the write path's batch."""

    rows: dict[Key, Row]
    actor_patch_ids: tuple[str, ...]

    def row(self, entity: str, id_: str) -> Row | None: ...

    def find(self, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]: ...

    def load_having(self, entity: str, field: str) -> None: ...

    def children(self, parent: Row) -> list[Row]: ...

    def touch_scope(self, row: Row) -> None: ...


def parent_key(entity: str, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(entity, id) of the record whose scope a record of ``entity`` with ``data`` follows."""
    link = PARENT_LINKS.get(entity)
    if link is None:
        return None
    field, parent_entity = link
    if entity in ("note", "photo"):
        parent_entity = data.get("parent_entity")
    elif entity == "conflict":
        parent_entity = data.get("entity")
    parent_id = data.get(field)
    if not isinstance(parent_entity, str) or not isinstance(parent_id, str):
        return None
    if parent_entity not in ENTITIES or parent_entity == "patch" and entity != "property":
        return None
    return parent_entity, parent_id


def _parent(batch: Batch, row: Row) -> Row | None:
    key = parent_key(row.entity, row.data)
    return None if key is None else batch.row(*key)


def _estate_patch(batch: Batch, estate: Any) -> str | None:
    """The patch most homes of an estate belong to."""
    if not isinstance(estate, str) or not estate:
        return None
    homes = batch.find("property", "estate", estate)
    counts = Counter(h.get("patch_id") for h in homes if isinstance(h.get("patch_id"), str))
    return counts.most_common(1)[0][0] if counts else None


def place(
    batch: Batch, row: Row, depth: int = 0
) -> tuple[str | None, str | None, str | None, str | None]:
    """(patch_id, walkabout_id, estate, parent_id) of a record as it now stands.

    The parent is placed first (recursively): within one batch a child may be written before
    its parent has been placed (a walkabout and its observations in one push).
    """
    e, d = row.entity, row.data
    link = PARENT_LINKS.get(e)
    parent_id = d.get(link[0]) if link is not None else None
    parent_id = parent_id if isinstance(parent_id, str) else None
    estate = d.get("estate") if e in ("property", "walkabout") else None
    estate = estate if isinstance(estate, str) else None
    walkabout_id: str | None = None
    if e == "patch":
        patch_id: str | None = row.id
    elif e == "property":
        patch_id = parent_id
    elif e == "walkabout":
        patch_id = _estate_patch(batch, estate)
        walkabout_id = row.id
    else:
        parent = _parent(batch, row)
        patch_id = None
        if parent is not None:
            if parent.dirty and depth < _MAX_DEPTH:
                patch_id, parent_walkabout, _, _ = place(batch, parent, depth + 1)
            else:
                patch_id, parent_walkabout = parent.patch_id, parent.walkabout_id
            if parent.entity in _WALKABOUT_PARENTS:
                walkabout_id = parent_walkabout
    if patch_id is None and e == "repair":  # raised from an observation: its patch
        patch_id = _observation_patch(batch, row.data.get("observation_id"), depth)
    if patch_id is None:  # parent unknown: keep what it had, or the creator's first patch
        patch_id = row.patch_id if row.exists else next(iter(batch.actor_patch_ids), None)
    if patch_id is None and e in ("asb_case", "repair"):  # an observation that names it
        batch.load_having("observation", "raised_id")  # once per batch, for all such records
        raising = batch.find("observation", "raised_id", row.id)
        patch_id = _observation_patch(batch, raising[0].get("id") if raising else None, depth)
    return patch_id, walkabout_id, estate, parent_id


def _observation_patch(batch: Batch, obs_id: Any, depth: int) -> str | None:
    """The patch of an observation (a case or repair with no home takes its patch)."""
    obs = batch.row("observation", obs_id) if isinstance(obs_id, str) else None
    if obs is None or depth >= _MAX_DEPTH:
        return None
    return place(batch, obs, depth + 1)[0] if obs.dirty else obs.patch_id


def settle(batch: Batch) -> list[tuple[str, str, str]]:
    """Place every written record, cascade moves to children; returns the scope exits."""
    queue = [r for r in batch.rows.values() if r.dirty]
    done: set[tuple[str, str]] = set()
    while queue:
        row = queue.pop()
        if row.key in done:
            continue
        done.add(row.key)
        placed = place(batch, row)
        before = (row.patch_id, row.walkabout_id, row.estate, row.parent_id)
        if placed == before:
            continue
        row.patch_id, row.walkabout_id, row.estate, row.parent_id = placed
        if not row.dirty:
            batch.touch_scope(row)
        if row.exists and (placed[0], placed[1]) != (before[0], before[1]):
            queue.extend(c for c in batch.children(row) if c.key not in done)
    return [
        (r.entity, r.id, r.loaded_patch_id)
        for r in batch.rows.values()
        if r.dirty and r.exists and r.loaded_patch_id is not None
        if r.patch_id != r.loaded_patch_id
    ]
