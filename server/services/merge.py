"""The three-way field merge of ``docs/sync-protocol.md`` (Merge), as pure functions.

A field counts as changed on the server side only when a revision newer than the edit's
``base_version`` written by *another* device changed it: a device's own successive offline
edits never conflict with each other. For a field changed on both sides to different values
the field's policy decides: ``review`` keeps the server value and files a conflict, ``lww``
takes the incoming value (server order decides who is later), ``max`` keeps the higher value
of an ordered scale, ``union`` joins two lists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldapp.sync.protocol import Field
from server.services.records import RevisionRow


@dataclass
class FieldMerge:
    """What to do with an incoming patch, field by field."""

    apply: dict[str, Any] = field(default_factory=dict)  # field → value to write
    conflicts: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)  # base, kept, new
    concurrent: bool = False  # another device changed the record since the base


def changed_elsewhere(
    history: Iterable[RevisionRow], device_id: str, derived: Collection[str] = ()
) -> tuple[dict[str, Any], bool]:
    """Fields other devices changed since the base, each with its value at the base.

    Derived fields are the server's own recomputation, not anyone's edit: they neither
    conflict nor make an edit count as concurrent.
    """
    base_values: dict[str, Any] = {}
    any_other = False
    for rev in history:
        if rev.device_id == device_id:
            continue
        for name, (old, _new) in rev.changes.items():
            if name in derived:
                continue
            any_other = True
            base_values.setdefault(name, old)  # the oldest change holds the base value
    return base_values, any_other


def merge_value(spec: Field, current: Any, proposed: Any) -> tuple[bool, Any]:
    """Both sides changed ``spec`` to different values: (resolved, value) by its policy."""
    if spec.merge == "lww":
        return True, proposed
    if spec.merge == "max":
        if spec.enum is not None:
            order = {v: i for i, v in enumerate(spec.enum)}
            if current in order and proposed in order:
                return True, proposed if order[proposed] > order[current] else current
        elif _number(current) and _number(proposed):
            return True, max(current, proposed)
        return False, current
    if spec.merge == "union":
        if isinstance(current, list) and isinstance(proposed, list):
            joined = list(current)
            joined.extend(item for item in proposed if item not in joined)
            return True, joined
        return False, current
    return False, current


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge_patch(
    fields: Mapping[str, Field],
    current: Mapping[str, Any],
    patch: Mapping[str, Any],
    history: Iterable[RevisionRow],
    device_id: str,
) -> FieldMerge:
    """Merge ``patch`` into ``current`` given the revisions since the edit's base."""
    derived = {name for name, spec in fields.items() if spec.derived}
    base_values, concurrent = changed_elsewhere(history, device_id, derived)
    out = FieldMerge(concurrent=concurrent)
    for name, proposed in patch.items():
        server = current.get(name)
        if name not in base_values or server == proposed or server == base_values[name]:
            out.apply[name] = proposed  # the server's side is unchanged (net) or agrees
            continue
        resolved, value = merge_value(fields[name], server, proposed)
        if resolved:
            out.apply[name] = value
        else:
            out.conflicts[name] = (base_values[name], server, proposed)
    return out
