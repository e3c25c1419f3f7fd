"""Sign-in and settings rules without Flet: server address checks and messages for people.

A failed sign-in must say what to do next: a wrong password is not a missing signal, and a
revoked tablet is neither. Errors from the transport are told apart by their wire ``code``
(``fieldapp.sync.protocol.ERROR_CODES``) or, for network failures, by being ``OSError``s
(``fieldapp.sync.errors.NetworkError``, or an ``OSError`` such as
``requests.ConnectionError``), so this module needs no ``requests`` import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from fieldapp.sync.errors import NetworkError

_SCHEME_SLIP = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/(?!/)|^[A-Za-z]+:[^0-9]")
_HOST = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def normalise_server_url(text: str) -> str:
    """``127.0.0.1:8700`` → ``http://127.0.0.1:8700``; raises ``ValueError`` when unusable."""
    raw = text.strip()
    if not raw:
        raise ValueError("Enter the server address, for example http://127.0.0.1:8700")
    if any(ch.isspace() for ch in raw):
        raise ValueError("The server address cannot contain spaces")
    if "://" not in raw:
        if _SCHEME_SLIP.match(raw):  # "htp:/host", "http:/host": a slip, not a host name
            raise ValueError("The server address must start with http:// or https://")
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("The server address must start with http:// or https:// and name a host")
    if not _HOST.match(parts.hostname) and ":" not in parts.hostname:  # IPv6 is bracketed
        raise ValueError("The host in the server address can only hold letters, digits, - and .")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("The port in the server address is not a number from 1 to 65535") from None
    if parts.query or parts.fragment:
        raise ValueError("The server address cannot contain ? or #")
    return raw.rstrip("/")


_CODE_MESSAGES: Mapping[str, str] = {
    "bad_credentials": "Wrong username or password. Check them and try again.",
    "unauthenticated": "Wrong username or password. Check them and try again.",
    "device_revoked": "This tablet has been revoked by a manager. Ask them to re-enable it.",
    "forbidden": "This account may not use the field app. Ask a co-ordinator.",
    "rate_limited": "Too many attempts. Wait a minute, then try again.",
    "account_disabled": "This account is disabled. Ask a co-ordinator.",
    "unsupported_schema_version": "This app is too old for the server. Update the app.",
}


def _code(exc: BaseException) -> str | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None


def is_network_error(exc: BaseException) -> bool:
    """True for a failure to reach the server (no signal, wrong address, server down)."""
    if isinstance(exc, (NetworkError, OSError, TimeoutError)):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_network_error(cause)


def sign_in_message(exc: BaseException, *, server_url: str) -> str:
    """What to tell the person whose sign-in just failed."""
    code = _code(exc)
    if code is not None and code in _CODE_MESSAGES:
        return _CODE_MESSAGES[code]
    if is_network_error(exc):
        return (
            f"No connection to the server at {server_url}. Check the address, or try again "
            "where there is signal. Signing in needs a connection once; after that the app "
            "works offline."
        )
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return "The server had a problem. Try again in a few minutes."
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return f"Sign-in failed: {message}"
    return "Sign-in failed. Try again, and tell your co-ordinator if it keeps happening."


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def sign_out_warning(summary: Mapping[str, int]) -> str | None:
    """The warning before a sign-out wipes the tablet, or None when nothing would be lost."""
    parts = []
    if summary.get("pending"):
        parts.append(_plural(summary["pending"], "change", "changes"))
    if summary.get("photos"):
        parts.append(_plural(summary["photos"], "photo", "photos"))
    if summary.get("dead_letters"):
        parts.append(_plural(summary["dead_letters"], "refused change", "refused changes"))
    if summary.get("conflicts"):
        parts.append(_plural(summary["conflicts"], "open conflict", "open conflicts"))
    if not parts:
        return None
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"{listed} on this tablet {'is' if len(parts) == 1 and listed.startswith('1 ') else 'are'}"
        " not on the server yet. Signing out deletes them from this tablet for good. "
        "Sync first if you can."
    )
