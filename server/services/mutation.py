"""One mutation of a push as the write path handles it: the change it makes (``Change``: the
mutation, the batch it writes into, who sends it and when) and the refusal it may end in
(``Rejection``). ``push`` runs mutations and ``conflicts`` files and resolves conflicts for
them; both are handed a ``Change`` rather than reaching into each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.services.auth import Principal
from server.services.records import WriteBatch
from server.services.scope import Scope


@dataclass(frozen=True)
class Rejection(Exception):
    """A mutation refused: becomes a ``rejected`` result (never an HTTP error)."""

    code: str
    message: str
    detail: Any = None


@dataclass(frozen=True)
class Change:
    """A mutation being applied within one push."""

    m: Mapping[str, Any]  # the mutation as sent
    batch: WriteBatch
    scope: Scope
    now: datetime

    @property
    def who(self) -> Principal:
        return self.scope.principal

    @property
    def writer(self) -> dict[str, Any]:
        """Who writes, for ``WriteBatch.write``."""
        return {
            "device_id": self.who.device_id,
            "user_id": self.who.user_id,
            "mutation_id": self.m.get("mutation_id"),
        }
