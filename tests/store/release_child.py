"""The next release in a process of its own: ``ENTITIES`` changed, then a tablet's file opened
and synced with the real server.

``python -m tests.store.release_child CHANGE DATA_DIR URL USER_ID USERNAME`` where CHANGE is
``added`` (a new field on walkabout and a new entity) or ``retyped`` (observation.offensive
from bool to int). The registry is changed before the store is imported, as a new release's
code would define it, so the store's tables and row codecs follow it. Prints one JSON line:
what opening changed, and the device before and after one sync round.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, cast

import requests

from fieldapp.sync import protocol


def change_registry(change: str) -> None:
    registry = cast(dict[str, protocol.Entity], protocol.ENTITIES)
    if change == "added":
        walk = registry["walkabout"]
        weather = protocol.Field("weather", "str", max_length=40)
        registry["walkabout"] = dataclasses.replace(walk, fields=(*walk.fields, weather))
        registry["staff"] = protocol.Entity(
            "staff",
            (
                protocol.Field("id", "str"),
                protocol.Field("name", "str"),
                protocol.Field("patch_id", "str", ref="patch"),
            ),
            reference=True,
        )
    elif change == "retyped":
        obs = registry["observation"]
        fields = tuple(
            dataclasses.replace(f, type="int") if f.name == "offensive" else f for f in obs.fields
        )
        registry["observation"] = dataclasses.replace(obs, fields=fields)
    else:
        raise SystemExit(f"unknown change {change!r}")


def _types(db: Path, table: str) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def main() -> None:
    change, data_dir, url, user_id, username = sys.argv[1:6]
    change_registry(change)
    from fieldapp.store.store import Store  # after the change: the new release's tables
    from fieldapp.sync.engine import SyncEngine
    from fieldapp.sync.transport import HttpTransport

    store = Store.open(Path(data_dir))
    up = store.upgraded
    opened: dict[str, Any] = {
        "created": up.created,
        "added": up.added,
        "rebuilt": up.rebuilt,
        "indexes": up.indexes,
        "redownload": up.redownload,
        "pending": [m["mutation_id"] for m in store.pending_mutations()],
        "resync": store.get_meta("resync"),
        "cursor": store.get_meta("cursor"),
        "walkabout": _types(store.db_path, "walkabout"),
        "observation": _types(store.db_path, "observation"),
        "observations": store.all("observation"),
    }
    # The tablet had signed in to this server as this user: the server made the user's id.
    user = json.loads(store.get_meta("user") or "{}")
    store.set_meta("user", json.dumps(user | {"id": user_id}))
    with requests.Session() as session:
        transport = HttpTransport(
            base_url=url, session=session, token=lambda: store.get_meta("token")
        )
        engine = SyncEngine(store=store, transport=transport, blob_uploader=lambda **_: 0)
        from tests.support.api import PASSWORD  # here: after the registry was changed

        engine.sign_in(username=username, password=PASSWORD, device_name="tab")
        state = engine.sync_once()
    synced = {
        "status": state.status,
        "error": state.last_error,
        "pending": store.pending_count(),
        "dead": store.dead_letters(),
        "resync": store.get_meta("resync"),
        "walkabouts": store.all("walkabout"),
        "observations": store.all("observation"),
        "notes": store.all("note"),
        "properties": len(store.all("property")),
    }
    store.close()
    print(json.dumps({"opened": opened, "synced": synced}))


if __name__ == "__main__":
    main()
