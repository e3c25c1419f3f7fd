"""Named errors of the device's sync engine.

    SyncError                     anything that stops a sync round
     ├── NetworkError             no answer: connection refused or cut, timeout (transient)
     ├── ServerError(status, code)  an error answer; transient when 5xx or 429
     ├── AuthError(code)          401: the server will not serve this device as it is
     │    ├── TokenExpired        sign in again; the outbox is kept
     │    └── DeviceRevoked       a manager revoked this device; local data is wiped
     └── ResyncRequired           410: the cursor is too old; download afresh, keep the outbox
    ReportUnavailable             a walkabout report link cannot be had now (not a sync error)

Expected outcomes (a rejected mutation, a conflict) are data in the push results, not errors.
``SyncEngine.sync_once`` turns these into a ``SyncState`` and never lets them escape.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error a sync round can end with."""

    transient = False  # worth retrying later with backoff


class NetworkError(SyncError):
    """The server could not be reached, or the connection broke before the answer came."""

    transient = True


class ServerError(SyncError):
    """The server answered with an error body ``{"error": {"code", "message"}}``."""

    def __init__(
        self, status: int, code: str, message: str = "", *, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"{status} {code}: {message}" if message else f"{status} {code}")

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status >= 500 or self.status == 429


class AuthError(SyncError):
    """401 (or a refused sign-in): the device must sign in again, or was revoked."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)


class TokenExpired(AuthError):
    """The access token is no longer valid: sign in again; nothing local is lost."""


class DeviceRevoked(AuthError):
    """A manager revoked this device (lost tablet): its local data must be wiped."""


class ResyncRequired(SyncError):
    """The server cannot serve changes since this cursor (410 ``resync_required``)."""


class ReportUnavailable(Exception):
    """A walkabout report (or its link) cannot be had now; ``message`` says why, for a person.

    Not a ``SyncError``: it ends no sync round. Screens catch it and show the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
