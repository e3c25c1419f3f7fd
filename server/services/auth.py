"""Users, devices and bearer tokens: password hashing, sign-in, token checks, revocation.

Passwords are hashed with scrypt (standard library). Tokens are random; only an HMAC of a
token (keyed with ``SECRET_KEY``) is stored, so a copy of the database signs nobody in.
A sign-in is split so that no password is hashed inside a transaction: ``find_candidate``
reads, the route checks the password on the bounded pool, ``issue_token`` writes. Ending
sessions (sign-out, a new password, ``disable-user``) deletes token rows, so checking a
token costs nothing more than before.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from fieldapp.ids import new_id
from fieldapp.sync.protocol import ROLES
from server.db import as_utc
from server.errors import ApiError, AuthError, BadRequest, NotFound
from server.models import DEVICE, TOKEN, USER

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# A device's last_seen is refreshed at most this often, so reads stay reads.
LAST_SEEN_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their role and patches, and the device they use."""

    user_id: str
    username: str
    name: str
    role: str
    patch_ids: tuple[str, ...]
    device_id: str

    def public(self) -> dict[str, object]:
        return {
            "id": self.user_id,
            "username": self.username,
            "name": self.name,
            "role": self.role,
            "patch_ids": list(self.patch_ids),
        }


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    enc = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${enc(salt).decode()}${enc(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, want = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        got = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(want)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


@functools.cache
def dummy_hash() -> str:
    """A real hash (same scheme and parameters) of a random password, made once.

    An unknown username is checked against it, so it costs the same as a known one and the
    time of a refusal does not tell who has an account.
    """
    return hash_password(secrets.token_urlsafe(24))


def token_hash(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignInCandidate:
    """What a sign-in reads before the password is checked (outside any write lock)."""

    user_id: str | None
    password_hash: str
    known_device: bool  # this device has signed in as this user before and is not revoked


def find_candidate(conn: Connection, *, username: str, device_id: str) -> SignInCandidate:
    row = conn.execute(
        select(USER.c.id, USER.c.password_hash).where(USER.c.username == username)
    ).first()
    if row is None:
        return SignInCandidate(None, dummy_hash(), False)
    device = conn.execute(
        select(DEVICE.c.user_id, DEVICE.c.revoked_at).where(DEVICE.c.id == device_id)
    ).first()
    known = device is not None and device[0] == row[0] and device[1] is None
    return SignInCandidate(str(row[0]), str(row[1]), known)


def issue_token(
    conn: Connection,
    *,
    user_id: str,
    device_id: str,
    device_name: str,
    secret: str,
    lifetime: timedelta,
    now: datetime,
) -> tuple[str, datetime, Principal]:
    """Register the device and issue a token (the password was checked): (token, expires, who).

    Runs in a write transaction; the user and device are read again there, so a user
    disabled or a device revoked while the password was being checked is still refused.
    """
    row = conn.execute(select(USER).where(USER.c.id == user_id)).mappings().first()
    if row is None:
        raise AuthError("bad_credentials", "wrong username or password")
    if row["disabled_at"] is not None:
        raise AuthError("account_disabled", "this account is disabled; ask your manager")
    device = conn.execute(select(DEVICE).where(DEVICE.c.id == device_id)).mappings().first()
    if device is not None and device["revoked_at"] is not None:
        raise AuthError("device_revoked", "this device was revoked; its data must be wiped")
    if device is not None and device["user_id"] != row["id"]:
        # A device id is not a secret: taking over another user's would borrow its uploads.
        raise ApiError.of(
            "device_in_use", "this device id belongs to another user; sign in as a new device"
        )
    if device is None:
        conn.execute(
            insert(DEVICE).values(
                id=device_id, user_id=row["id"], name=device_name, created_at=now, last_seen=now
            )
        )
    else:
        conn.execute(
            update(DEVICE)
            .where(DEVICE.c.id == device_id)
            .values(user_id=row["id"], name=device_name or device["name"], last_seen=now)
        )
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    conn.execute(
        insert(TOKEN).values(
            token_hash=token_hash(token, secret),
            user_id=row["id"],
            device_id=device_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at, _principal(row, device_id)


def end_tokens(conn: Connection, *, user_id: str | None = None, hashed: str | None = None) -> int:
    """Delete every token of a user, or the one token with this hash: how many ended.

    A deleted token is simply unknown to ``authenticate`` (``401 unauthenticated``), so
    ending sessions costs the requests nothing.
    """
    stmt = delete(TOKEN)
    if user_id is not None:
        stmt = stmt.where(TOKEN.c.user_id == user_id)
    elif hashed is not None:
        stmt = stmt.where(TOKEN.c.token_hash == hashed)
    else:
        raise ValueError("end_tokens needs a user or a token")
    return int(conn.execute(stmt).rowcount or 0)


def replace_password(conn: Connection, *, user_id: str, password_hash: str) -> None:
    """Store a new password hash (made outside the transaction) and end every session."""
    conn.execute(update(USER).where(USER.c.id == user_id).values(password_hash=password_hash))
    end_tokens(conn, user_id=user_id)


def set_disabled(conn: Connection, username: str, *, disabled: bool, now: datetime) -> str:
    """Disable a user (their tokens end, sign-in is refused) or enable them again: the id."""
    row = conn.execute(select(USER.c.id).where(USER.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    user_id = str(row[0])
    conn.execute(
        update(USER).where(USER.c.id == user_id).values(disabled_at=now if disabled else None)
    )
    if disabled:
        end_tokens(conn, user_id=user_id)
    return user_id


def _principal(m: RowMapping, device_id: str) -> Principal:
    return Principal(
        user_id=m["id"],
        username=m["username"],
        name=m["name"],
        role=m["role"],
        patch_ids=tuple(json.loads(m["patch_ids"])),
        device_id=device_id,
    )


def authenticate(
    conn: Connection, *, authorization: str | None, secret: str, now: datetime
) -> tuple[Principal, bool]:
    """The caller from the ``Authorization: Bearer`` header, or AuthError.

    The flag says the device's ``last_seen`` is stale: the caller refreshes it in a write
    transaction of its own (``touch_device``), so this stays a read.
    """
    if not authorization:
        raise AuthError("unauthenticated", "sign in first (Authorization: Bearer …)")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise AuthError("unauthenticated", "sign in first (Authorization: Bearer …)")
    stmt = (
        select(
            TOKEN.c.expires_at,
            TOKEN.c.device_id,
            DEVICE.c.revoked_at,
            DEVICE.c.last_seen,
            USER,
        )
        .join(DEVICE, DEVICE.c.id == TOKEN.c.device_id)
        .join(USER, USER.c.id == TOKEN.c.user_id)
        .where(TOKEN.c.token_hash == token_hash(token, secret))
    )
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise AuthError("unauthenticated", "this token is not valid; sign in again")
    if row["revoked_at"] is not None:
        raise AuthError("device_revoked", "this device was revoked; its data must be wiped")
    if row["disabled_at"] is not None:  # its tokens were deleted too; this is the backstop
        raise AuthError("account_disabled", "this account is disabled; ask your manager")
    expires_at = as_utc(row["expires_at"])
    assert expires_at is not None
    if expires_at <= now:
        raise AuthError("token_expired", "your session has expired; sign in again")
    last_seen = as_utc(row["last_seen"])
    stale = last_seen is None or now - last_seen > LAST_SEEN_EVERY
    return _principal(row, row["device_id"]), stale


def touch_device(conn: Connection, device_id: str, *, now: datetime) -> None:
    conn.execute(update(DEVICE).where(DEVICE.c.id == device_id).values(last_seen=now))


def revoke_device(conn: Connection, device_id: str, *, now: datetime) -> datetime:
    """Mark a device revoked (idempotent); its tokens stop working at once."""
    row = conn.execute(select(DEVICE.c.revoked_at).where(DEVICE.c.id == device_id)).first()
    if row is None:
        raise NotFound(f"no device {device_id!r}")
    if row[0] is not None:
        revoked = as_utc(row[0])
        assert revoked is not None
        return revoked
    conn.execute(update(DEVICE).where(DEVICE.c.id == device_id).values(revoked_at=now))
    return now


@dataclass(frozen=True)
class Account:
    """A user as created or updated: sign-in name, password, role and display name."""

    username: str
    password: str
    role: str
    name: str | None = None


def save_user(
    conn: Connection,
    account: Account,
    *,
    patch_ids: list[str] | None,
    now: datetime,
    user_id: str | None = None,
) -> tuple[str, bool]:
    """Create the user, or update it: (user id, created).

    On an update, a ``name`` or ``patch_ids`` of None keeps what the user had, and a new
    password ends all of the user's sessions. The caller checks the password policy
    (``server.services.passwords``); the demo's public passwords meet it too.
    """
    username, password, role, name = account.username, account.password, account.role, account.name
    if role not in ROLES:
        raise BadRequest("validation_failed", f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 100:
        raise BadRequest("validation_failed", "a username has 1 to 100 characters")
    if not password:
        raise BadRequest("validation_failed", "the password must not be empty")
    values: dict[str, object] = {"role": role}
    if name:
        values["name"] = name
    if patch_ids is not None:
        values["patch_ids"] = json.dumps(patch_ids)
    row = conn.execute(
        select(USER.c.id, USER.c.password_hash).where(USER.c.username == username)
    ).first()
    if row is not None:
        # The same password again (add-user run to move patches) keeps the sessions; a new
        # one ends every token the user holds.
        if not check_password(password, str(row[1])):
            values["password_hash"] = hash_password(password)
            end_tokens(conn, user_id=str(row[0]))
        conn.execute(update(USER).where(USER.c.id == row[0]).values(**values))
        return str(row[0]), False
    values["password_hash"] = hash_password(password)
    values.setdefault("name", username)
    values.setdefault("patch_ids", "[]")
    new = user_id or new_id()
    conn.execute(insert(USER).values(id=new, username=username, created_at=now, **values))
    return new, True
