"""Named errors of the local store, raised to the app (which shows their messages to a person).

    StoreError
     ├── ValidationError    a write the rules refuse; ``.errors`` holds the FieldErrors
     │    └── PermissionDenied   the signed-in role may not make this write
     └── NotFound           the record to update, delete or resolve does not exist here

Expected outcomes of sync (a rejected mutation, a conflict) are data, not exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldapp.sync.protocol import FieldError


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class ValidationError(StoreError):
    """A write refused by the shared validation rules; nothing was written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: list[FieldError] = list(errors)
        super().__init__("; ".join(e.message for e in self.errors) or "invalid write")

    @property
    def code(self) -> str:
        return self.errors[0].code if self.errors else "validation_failed"


class PermissionDenied(ValidationError):
    """The signed-in user's role may not make this write (checked again by the server)."""


class NotFound(StoreError):
    """No live local record with this id."""

    def __init__(self, entity: str, id: str) -> None:
        self.entity = entity
        self.id = id
        super().__init__(f"no {entity} with id {id}")
