"""Share links for walkabout reports: signed, expiring, usable without signing in.

A link names one walkabout, when it expires, who made it and a random id, as base64url JSON
followed by an HMAC-SHA256 of that text keyed with ``SECRET_KEY`` (under its own label, so
no other signed value of the server — a pull cursor — can pass for a link). The server keeps
nothing per link: the signature is the proof, the expiry is inside it. Changing any byte
breaks the signature (``403 link_invalid``); a link past its time is ``410 link_expired``.
A link is only as good as its maker's access: once they are disabled, their device revoked,
or they may no longer read the walkabout (a partner taken off it), it is ``403 link_invalid``.
Every download is written to the audit log against the person who made the link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.errors import ApiError

_LABEL = b"report-link:"  # domain separation from cursors and token hashes
DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class ReportLink:
    """What a valid link grants: one walkabout's report until ``expires_at``."""

    walkabout_id: str
    expires_at: datetime
    made_by: str  # the user id of whoever asked for the link
    link_id: str
    device_id: str | None = None  # the device it was asked from (None: a link made before)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(payload: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), _LABEL + payload.encode(), hashlib.sha256).digest()
    return _b64(mac)


def make_token(link: ReportLink, secret: str) -> str:
    """The link's token: ``payload.signature``."""
    body = {
        "w": link.walkabout_id,
        "x": int(link.expires_at.timestamp()),
        "u": link.made_by,
        "i": link.link_id,
    }
    if link.device_id is not None:
        body["d"] = link.device_id
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, secret)}"


def new_link(
    *, walkabout_id: str, made_by: str, device_id: str, now: datetime, lifetime: timedelta
) -> ReportLink:
    expires = (now + lifetime).replace(microsecond=0)
    return ReportLink(walkabout_id, expires, made_by, secrets.token_hex(8), device_id)


def _invalid() -> ApiError:
    return ApiError.of("link_invalid", "this report link is not valid; ask for a new one")


def read_token(token: str, secret: str, *, now: datetime) -> ReportLink:
    """The link a token grants, or ``link_invalid`` / ``link_expired``."""
    payload, dot, signature = token.partition(".")
    if not dot or len(token) > 1000:
        raise _invalid()
    if not hmac.compare_digest(signature.encode(), _signature(payload, secret).encode()):
        raise _invalid()
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        link = ReportLink(
            str(body["w"]),
            datetime.fromtimestamp(int(body["x"]), UTC),
            str(body["u"]),
            str(body["i"]),
            None if body.get("d") is None else str(body["d"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _invalid() from None
    if now >= link.expires_at:
        raise ApiError.of("link_expired", "this report link has expired; ask for a new one")
    return link
