"""Writes the SQL dump of a device store as a release leaves it, for the upgrade tests.

``python -m tests.store.make_release_store tests/store/releases/0.1.0.sql`` run on the code of
a release (0.1.0 is main at bf89ec2) records what a tablet of that release holds: its device
state, a signed-in officer and edits made offline that were never sent (a walkabout, edited
after it was made, with an observation and a note on it). The dump is committed; running this
script on later code would describe that later schema instead, so it is never re-run by tests.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fieldapp.store.store import Store

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def main() -> None:
    out = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder), clock=lambda: NOW)
        user = {"id": "release-user", "name": "Olive Officer", "role": "officer"}
        store.set_meta("user", json.dumps(user))
        walk = store.create(
            "walkabout",
            {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z", "participants": []},
            now=NOW,
        )
        store.update("walkabout", walk["id"], {"summary": "Bins by block A"}, now=NOW)
        obs = store.create(
            "observation",
            {
                "walkabout_id": walk["id"],
                "kind": "fly_tipping",
                "offensive": True,
                "lat": 53.331,
                "lon": -2.70,
                "description": "Mattress by the bins",
                "logged_at": "2026-06-10T09:05:00Z",
            },
            now=NOW,
        )
        store.create(
            "note",
            {
                "parent_entity": "observation",
                "parent_id": obs["id"],
                "text": "Reported twice",
                "created_at": "2026-06-10T09:06:00Z",
            },
            now=NOW,
        )
        store.close()
        conn = sqlite3.connect(Path(folder) / "field.db")
        try:
            out.write_text("\n".join(conn.iterdump()) + "\n")
        finally:
            conn.close()


if __name__ == "__main__":
    main()
