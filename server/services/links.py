"""What a pushed patch may name: records the caller can see, and the caller as author.

A reference field (``ref`` / ``ref_from`` in the registry: a case's ``complainant_id``, a
person's ``property_id``, a note's ``parent_id``…) names another record, whose data the
derived fields then read (a complainant's date of birth makes a case ``vulnerable``, "aged 75
or over"). So a patch may name only a record the caller may see, and an id the server does
not hold is refused the same way (``not_found``, the same message): the answer never tells
whether another patch holds a record under that id. The one exception is a record that a
later mutation of the same push creates (the server holds nothing under that id yet):
records written in one push may come in any order.

Author fields (``observation.logged_by``, ``note.author_id``) are the caller's user id: the
server fills them in on create and refuses any other value (``author_mismatch``), so a
record never claims someone else wrote it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from fieldapp.sync.protocol import ENTITIES, record_links
from server.services.mutation import Rejection
from server.services.records import Key, WriteBatch
from server.services.rows import Row
from server.services.scope import Scope


def keys(entity: str, patch: Mapping[str, Any]) -> Iterable[Key]:
    """The records a patch names (to load them with the rest of the push, in bulk)."""
    return ((target, rid) for _, target, rid in record_links(entity, patch))


def visible(scope: Scope, row: Row) -> bool:
    """May this caller's push read ``row``? Created in this push (so already checked), or in
    their scope."""
    return not row.exists or scope.allows_row(row)


def check(
    batch: WriteBatch,
    scope: Scope,
    created_later: Collection[Key],
    entity: str,
    patch: Mapping[str, Any],
    current: Row | None,
) -> None:
    """Refuse the patch (``not_found``) if it names a record the caller may not see."""
    data = current.data if current is not None else None
    for name, target, rid in record_links(entity, patch, data):
        if current is not None and current.data.get(name) == rid:
            continue  # unchanged: naming what the record already names reveals nothing new
        row = batch.row(target, rid)
        if row is None or row.version == 0:
            if (target, rid) in created_later:
                continue  # created by a later mutation of this push
        elif not row.deleted and visible(scope, row):
            continue
        raise Rejection(
            "not_found",
            f"{entity}.{name} names no {target} you can see",
            [{"field": name, "code": "not_found", "message": f"no such {target}"}],
        )


def stamp_author(
    entity: str, patch: dict[str, Any], current: Row | None, user_id: str
) -> dict[str, Any]:
    """The patch with its author fields the caller's (on create), refusing another value."""
    spec = ENTITIES[entity]
    creating = current is None or current.version == 0
    out = patch
    for f in spec.fields:
        if not f.author:
            continue
        value = patch.get(f.name)
        if creating:
            ok = value is None or value == user_id
            if value is None:
                out = {**out, f.name: user_id}
        else:  # authorship is fixed once the record exists
            ok = f.name not in patch or current is None or value == current.data.get(f.name)
        if not ok:
            raise Rejection(
                "author_mismatch",
                f"{entity}.{f.name} must be your own user id: the server records who wrote it",
                [{"field": f.name, "code": "author_mismatch", "message": "not your user id"}],
            )
    return out
