"""``seed-demo``: the demo patches, homes, households, cases and users of ``fieldapp.demo``.

Records keep the demo's ids and go through the write path (derived fields computed,
versions and seqs assigned). Running it again adds only what is missing: a demo record
already on the server is left as it is (it may have been edited since, and the demo's times
move with the day it is generated for), and demo users are updated in place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from fieldapp.sync.protocol import ENTITIES
from server.services import auth
from server.services.records import WriteBatch
from server.services.users import SERVER_DEVICE


def seed_demo(conn: Connection, *, seed: int, today: date, now: datetime) -> str:
    """Write the demo data in the caller's write transaction; returns a one-line summary."""
    from fieldapp.demo import generate_demo

    demo = generate_demo(seed, today=today)
    batch = WriteBatch(conn, now=now)
    by_entity: dict[str, list[dict[str, Any]]] = demo.by_entity()
    batch.load((entity, str(r["id"])) for entity, rows in by_entity.items() for r in rows)
    written = unchanged = 0
    for entity, records in by_entity.items():
        spec = ENTITIES[entity]
        for record in records:
            data = {k: v for k, v in record.items() if k in spec.writable}
            row = batch.row(entity, str(record["id"]))
            if row is None:
                row = batch.new_row(
                    entity, str(record["id"]), device_id=SERVER_DEVICE, user_id=None
                )
            elif not row.deleted and all(row.data.get(k) == v for k, v in data.items()):
                unchanged += 1
                continue
            batch.write(row, data, device_id=SERVER_DEVICE, user_id=None, deleted=False)
            written += 1
    batch.flush()
    names = {str(p["name"]): str(p["id"]) for p in demo.patches}
    for user in demo.users:
        auth.add_user(
            conn,
            username=user.username,
            password=user.password,
            role=user.role,
            name=user.name,
            patch_ids=[names[n] for n in user.patch_names if n in names],
            now=now,
            user_id=getattr(user, "id", None),
        )
    return (
        f"demo seed {seed} ({today.isoformat()}): {written} records written, "
        f"{unchanged} already there, "
        f"{len(demo.users)} users ({', '.join(u.username for u in demo.users)})"
    )
