"""Users and their patches, as the CLI manages them (``add-user``).

Patches are reference records (entity ``patch``), written through the ``WriteBatch`` like any
other record; naming a patch that does not exist yet creates it. An officer is in the
``officer_ids`` of each of their patches and of no other; other roles are in none.

Every user is also a ``staff`` record (same id): the directory every signed-in device
receives, to pick walkabout participants by name. It holds the display name, role, patches
and whether the account is active, never the username, password data or contact details.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from fieldapp.ids import new_id
from server.errors import BadRequest
from server.models import USER
from server.services import auth
from server.services.passwords import policy_problem
from server.services.records import WriteBatch

SERVER_DEVICE = "server"
MAX_PATCH_NAME = 200  # as the import's ``patch`` column


def ensure_patches(batch: WriteBatch, names: Sequence[str]) -> list[str]:
    """The ids of the named patches, creating the missing ones."""
    ids: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        found = batch.find("patch", "name", name)
        if found:
            ids.append(str(found[0]["id"]))
            continue
        row = batch.new_row("patch", new_id(), device_id=SERVER_DEVICE, user_id=None)
        batch.write(row, {"name": name, "officer_ids": []}, device_id=SERVER_DEVICE, user_id=None)
        ids.append(row.id)
    return list(dict.fromkeys(ids))


def add_user(
    conn: Connection,
    *,
    username: str,
    password: str,
    role: str,
    name: str | None,
    patch_names: Sequence[str] | None,
    now: datetime,
) -> tuple[str, bool, list[str]]:
    """Create or update a user with these patches: (user id, created, the user's patch names).

    Updating a user without naming patches (None or none) or a name keeps the ones they had.
    Afterwards the user is in the ``officer_ids`` of exactly their patches if an officer, and
    of none otherwise (a move or a change of role takes them out of the old patches).
    """
    if not password.strip():
        raise BadRequest("validation_failed", "the password must not be empty or only spaces")
    problem = policy_problem(password, username=username)
    if problem is not None:
        raise BadRequest("validation_failed", problem)
    names = [n.strip() for n in patch_names or ()]
    if any(not n for n in names):
        raise BadRequest("validation_failed", "a patch name must not be empty")
    if any(len(n) > MAX_PATCH_NAME for n in names):
        raise BadRequest(
            "validation_failed", f"a patch name has at most {MAX_PATCH_NAME} characters"
        )
    batch = WriteBatch(conn, now=now)
    given = ensure_patches(batch, names) if names else None
    account = auth.Account(username, password, role, name)
    user_id, created = auth.save_user(conn, account, patch_ids=given, now=now)
    patch_ids = given if given is not None else user_patch_ids(conn, user_id)
    set_officer(batch, user_id, patch_ids if role == "officer" else [])
    write_staff(batch, user_id)
    batch.flush()
    named = {r.id: str(r.data.get("name")) for r in batch.all_rows("patch")}
    return user_id, created, [named[p] for p in patch_ids if p in named]


def user_patch_ids(conn: Connection, user_id: str) -> list[str]:
    """The patch ids stored on a user."""
    raw = conn.execute(select(USER.c.patch_ids).where(USER.c.id == user_id)).scalar_one()
    ids = json.loads(raw or "[]")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def set_officer(batch: WriteBatch, user_id: str, patch_ids: Sequence[str]) -> None:
    """Put ``user_id`` in the ``officer_ids`` of these patches and take it out of the others,
    writing only the patches that change (each a new version, through the write path)."""
    wanted = set(patch_ids)
    for row in batch.all_rows("patch"):
        officers = [o for o in (row.data.get("officer_ids") or []) if isinstance(o, str)]
        if row.id in wanted and user_id not in officers:
            officers = [*officers, user_id]
        elif row.id not in wanted and user_id in officers:
            officers = [o for o in officers if o != user_id]
        else:
            continue
        batch.write(row, {"officer_ids": officers}, device_id=SERVER_DEVICE, user_id=None)


def staff_entry(conn: Connection, user_id: str) -> dict[str, object]:
    """The ``staff`` record of a user as it should stand (no username, no password data)."""
    row = conn.execute(
        select(USER.c.name, USER.c.role, USER.c.patch_ids).where(USER.c.id == user_id)
    ).one()
    ids = json.loads(row[2] or "[]")
    return {
        "display_name": str(row[0]),
        "role": str(row[1]),
        "patch_ids": [str(i) for i in ids] if isinstance(ids, list) else [],
        "active": True,
    }


def write_staff(batch: WriteBatch, user_id: str) -> None:
    """Create or update the user's ``staff`` record; nothing is written when it is current."""
    wanted = staff_entry(batch.conn, user_id)
    row = batch.row("staff", user_id)
    if row is None:
        row = batch.new_row("staff", user_id, device_id=SERVER_DEVICE, user_id=None)
    elif all(row.data.get(k) == v for k, v in wanted.items()):
        return
    batch.write(row, wanted, device_id=SERVER_DEVICE, user_id=None)
