"""Users and their patches, as the CLI manages them (``add-user``).

Patches are reference records; naming a patch that does not exist yet creates it, and an
officer is added to the ``officer_ids`` of each of their patches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from fieldapp.ids import new_id
from server.services import auth
from server.services.records import WriteBatch

SERVER_DEVICE = "server"


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
    patch_names: Sequence[str],
    now: datetime,
) -> tuple[str, bool, list[str]]:
    """Create or update a user with these patches: (user id, created, patch ids).

    Updating a user without naming patches (or a name) keeps the ones they had.
    """
    batch = WriteBatch(conn, now=now)
    patch_ids = ensure_patches(batch, patch_names)
    user_id, created = auth.add_user(
        conn,
        username=username,
        password=password,
        role=role,
        name=name,
        patch_ids=patch_ids if patch_names else None,
        now=now,
    )
    if role == "officer":
        for pid in patch_ids:
            row = batch.row("patch", pid)
            assert row is not None
            officers = [o for o in (row.data.get("officer_ids") or []) if isinstance(o, str)]
            if user_id not in officers:
                batch.write(
                    row,
                    {"officer_ids": [*officers, user_id]},
                    device_id=SERVER_DEVICE,
                    user_id=None,
                )
    batch.flush()
    return user_id, created, patch_ids
