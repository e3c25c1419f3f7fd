"""Shared helpers of the domain tests: an in-memory ``Lookup`` and record builders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from fieldapp.domain.calendar import add_months

LONDON_EOD_GMT = "23:59:59Z"  # 23:59:59 London in winter
LONDON_EOD_BST = "22:59:59Z"  # 23:59:59 London in summer


class MemoryLookup:
    """The ``Lookup`` protocol over plain lists of records (what the store gives derive)."""

    def __init__(self, records: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.records = {k: list(v) for k, v in (records or {}).items()}

    def get(self, entity: str, id: str) -> Mapping[str, Any] | None:
        return next((r for r in self.records.get(entity, []) if r.get("id") == id), None)

    def find(self, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]:
        return [r for r in self.records.get(entity, []) if r.get(field) == value]


def utc(text: str) -> datetime:
    """``"2026-04-02T10:00"`` (UTC) → aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def born(age: int, on: date, *, days_after_birthday: int = 0) -> str:
    """A date of birth giving ``age`` on ``on`` (birthday ``days_after_birthday`` days before)."""
    dob = add_months(on, -12 * age)
    return date.fromordinal(dob.toordinal() - days_after_birthday).isoformat()
