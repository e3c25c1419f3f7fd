"""Derived fields on the server, with the same domain code the tablets run.

A thin guard around ``fieldapp.domain.derive``: only the entity's derived fields are taken
from it, and a failure in the rules (a bug on some odd record) is logged and leaves the
derived fields as they were rather than refusing the write that triggered it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from fieldapp.domain import guards
from fieldapp.domain.derive import Lookup, dependents, derive
from fieldapp.domain.policy import Policy
from fieldapp.sync.protocol import ENTITIES, FieldError

log = logging.getLogger("server.derive")
# The registry computes these tuples on each access; the write path asks for every record.
_DERIVED: dict[str, tuple[str, ...]] = {name: spec.computed for name, spec in ENTITIES.items()}


@cache
def policy() -> Policy:
    """The policy in force (the defaults of docs/domain-rules.md)."""
    return Policy()


def warm() -> None:
    """Build the policy now (at start-up) rather than on a first write."""
    policy()


def derived_fields(
    entity: str, data: Mapping[str, Any], lookup: Lookup, now: datetime
) -> Mapping[str, Any]:
    """Every derived field of ``entity`` with its value; empty if the rules failed."""
    derived = _DERIVED[entity]
    if not derived:
        return {}
    try:
        values: Mapping[str, Any] = derive(entity, data, lookup, policy(), now)
    except NotImplementedError:
        return {}
    except Exception:
        log.exception("derive(%s, %s) failed; derived fields left as is", entity, data.get("id"))
        return {}
    if len(values) != len(derived):  # derive answers a key for each; anything else is a bug
        return {name: values.get(name) for name in derived}
    return values


def dependents_of(entity: str, data: Mapping[str, Any], lookup: Lookup) -> list[tuple[str, str]]:
    """Records to re-derive after this one was written."""
    try:
        found = dependents(entity, data, lookup)
    except NotImplementedError:
        return []
    except Exception:
        log.exception("dependents(%s, %s) failed", entity, data.get("id"))
        return []
    return [(e, i) for e, i in found if e in ENTITIES and isinstance(i, str)]


def refusals(entity: str, patch: Mapping[str, Any], now: datetime) -> list[FieldError]:
    """What the domain guards refuse in a patch, judged against the server's clock ``now``
    (a time ahead of it, a blank further report)."""
    found = guards.refusals(entity, patch, policy=policy(), now=now)
    return [FieldError(r.field, r.code, r.message) for r in found]
