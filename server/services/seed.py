"""``seed-demo``: the demo patches, homes, households, cases and users of ``fieldapp.demo``.

Only what is missing is added, so a second run writes nothing and nothing an operator or a
device changed is undone:

- A demo record whose id is on the server, live or deleted, is left exactly as it is (it may
  have been edited or deleted since, and the demo's times move with the day it is made for).
- A demo patch matches a live patch of the same name, and a demo home a live property of the
  same UPRN (``import-properties`` of ``assets/demo_properties.csv`` made them, say): the
  existing record is used and left as it is, so either order gives one set of patches and
  homes. A demo user matches the user of the same username.
- The demo records that are added name the matched ids instead of the demo's (``property_id``,
  ``patch_id``, ``officer_ids``, participants…). New ones keep the demo's ids.
- Demo users are created when missing with their demo password; a user that exists is left
  alone (password, role, patches). A patch's ``officer_ids`` only gains: each demo officer
  who is an officer of that patch and missing from it.

Everything goes through the write path (derived fields computed, versions and seqs assigned).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from fieldapp.sync.protocol import ENTITIES, REFERENCE_PREFIXES
from server.models import USER
from server.services import auth
from server.services.records import WriteBatch
from server.services.users import SERVER_DEVICE, user_patch_ids, write_staff


def _remap(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every id string that ``ids`` maps replaced (lists and dicts too)."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_remap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _remap(v, ids) for k, v in value.items()}
    return value


def seed_demo(conn: Connection, *, seed: int, today: date, now: datetime) -> str:
    """Add the missing demo data in the caller's write transaction; returns a one-line summary."""
    from fieldapp.demo import generate_demo

    demo = generate_demo(seed, today=today)
    batch = WriteBatch(conn, now=now)
    by_entity: dict[str, list[dict[str, Any]]] = demo.by_entity()
    batch.load((entity, str(r["id"])) for entity, rows in by_entity.items() for r in rows)

    # Demo id → the id on this server, for records matched by name, UPRN or username.
    ids: dict[str, str] = {}
    for patch in demo.patches:
        if batch.row("patch", patch["id"]) is None:
            found = batch.find("patch", "name", patch["name"])
            if found:
                ids[patch["id"]] = str(found[0]["id"])
    if any(batch.row("property", p["id"]) is None for p in demo.properties):
        by_uprn = {str(r.data.get("uprn")): r.id for r in batch.all_rows("property")}
        for prop in demo.properties:
            if batch.row("property", prop["id"]) is None and prop["uprn"] in by_uprn:
                ids[prop["id"]] = by_uprn[prop["uprn"]]

    users_created: list[str] = []
    officers: dict[str, list[str]] = {}  # patch id → demo officers (ids here) of that patch
    for user in demo.users:
        found_user = conn.execute(
            select(USER.c.id, USER.c.role).where(USER.c.username == user.username)
        ).first()
        if found_user is None:
            patch_ids = [
                ids.get(str(p["id"]), str(p["id"]))
                for p in demo.patches
                if p["name"] in user.patch_names
            ]
            account = auth.Account(user.username, user.password, user.role, user.name)
            user_id, _ = auth.save_user(
                conn, account, patch_ids=patch_ids, now=now, user_id=user.id
            )
            role = user.role
            users_created.append(user.username)
        else:
            user_id, role = str(found_user[0]), str(found_user[1])
            patch_ids = user_patch_ids(conn, user_id)
        write_staff(batch, user_id)  # the directory entry, if missing
        if user_id != user.id:
            ids[user.id] = user_id
        if role == "officer":
            for pid in patch_ids:
                officers.setdefault(pid, []).append(user_id)

    written = there = 0
    created: set[tuple[str, str]] = set()
    for entity, records in by_entity.items():
        spec = ENTITIES[entity]
        for record in records:
            rid = str(record["id"])
            if rid in ids or batch.row(entity, rid) is not None:
                there += 1
                continue
            # A demo case's reference is kept (and moves the counter past it): see references.
            data = {
                k: _remap(v, ids)
                for k, v in record.items()
                if k in spec.writable or k == "reference" and entity in REFERENCE_PREFIXES
            }
            if entity == "patch":  # its officers are the demo officers who have it
                data["officer_ids"] = officers.get(rid, [])
            row = batch.new_row(entity, rid, device_id=SERVER_DEVICE, user_id=None)
            batch.write(row, data, device_id=SERVER_DEVICE, user_id=None)
            created.add(row.key)
            written += 1
    for patch in demo.patches:  # existing patches gain the demo officers they lack
        pid = ids.get(str(patch["id"]), str(patch["id"]))
        held = batch.row("patch", pid)
        if held is None or held.deleted or held.key in created:
            continue
        have = [o for o in (held.data.get("officer_ids") or []) if isinstance(o, str)]
        missing = [o for o in officers.get(pid, []) if o not in have]
        if missing:
            batch.write(
                held, {"officer_ids": [*have, *missing]}, device_id=SERVER_DEVICE, user_id=None
            )
            written += 1
    batch.flush()
    users = ", ".join(users_created) if users_created else "none"
    return (
        f"demo seed {seed} ({today.isoformat()}): {written} records written, "
        f"{there} already there; users created: {users} "
        f"({len(demo.users) - len(users_created)} already there)"
    )
