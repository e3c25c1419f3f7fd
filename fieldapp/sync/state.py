"""What the UI shows about sync: one immutable ``SyncState`` snapshot per change.

``status`` is ``online`` (last round completed), ``offline`` (no connection; will retry),
``syncing``, ``error`` (the server answered with an error; will retry), ``revoked`` (this
device was revoked and wiped) or ``signed_out`` (sign in again; nothing local was lost).
``last_error`` is a sentence for a person, never a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["online", "offline", "syncing", "error", "revoked", "signed_out"]
Phase = Literal["push", "pull", "photos", "downloads", "tiles"]


@dataclass(frozen=True)
class Progress:
    """How far the running phase is: ``done`` of ``total`` (total 0 when not known)."""

    phase: Phase
    done: int
    total: int


@dataclass(frozen=True)
class SyncState:
    status: Status
    pending: int = 0  # local mutations not yet answered
    conflicts: int = 0  # open conflicts for review
    dead_letters: int = 0  # mutations the server refused
    blobs_pending: int = 0  # photo files not yet on the server
    progress: Progress | None = None
    last_synced_at: str | None = None  # wire time of the last completed round
    last_error: str | None = None
