"""Crash safety: a writer SIGKILLed at random instants never leaves a row without its
mutation, nor a mutation without its row change, nor a damaged file.

The writer (``crash_writer``) only writes locally, so every record is never-synced: replaying
its pending outbox patches in ``device_seq`` order must give exactly its stored writable fields
(and a queued delete its ``deleted`` flag).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fieldapp.store.db import CODECS
from fieldapp.sync.protocol import ENTITIES

# Each kill costs a writer start-up (~2 s); CRASH_KILLS=200 for a longer hunt.
KILLS = int(os.environ.get("CRASH_KILLS", "20"))
ROOT = Path(__file__).resolve().parents[2]


def _check(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [r[0] for r in conn.execute("SELECT device_seq FROM outbox ORDER BY device_seq")]
        assert len(seqs) == len(set(seqs))
        counter = conn.execute("SELECT value FROM meta WHERE key = 'device_seq'").fetchone()
        assert not seqs or int(counter[0]) >= seqs[-1]
        replay: dict[tuple[str, str], dict[str, Any]] = {}
        for entity, rid, op, patch in conn.execute(
            "SELECT entity, record_id, op, patch FROM outbox WHERE state = 'pending' "
            "ORDER BY device_seq"
        ):
            state = replay.setdefault((entity, rid), {"_deleted": False})
            if op == "delete":
                state["_deleted"] = True
            else:
                state.update(json.loads(patch))
        rows = 0
        for entity in ("asb_case", "asb_report"):
            codec = CODECS[entity]
            cols = ", ".join(codec.columns)
            for raw in conn.execute(f"SELECT {cols} FROM {entity}"):
                row = codec.decode(raw)
                rows += 1
                key = (entity, row["id"])
                assert key in replay, f"{key} has no mutation"
                expected = replay.pop(key)
                assert row["_deleted"] == expected.pop("_deleted")
                if row["_deleted"]:
                    continue  # a queued delete (an unsent edit folded into it): fields moot
                for name in ENTITIES[entity].writable:
                    assert row[name] == expected.get(name), (key, name)
        assert replay == {}, f"mutations without rows: {list(replay)[:3]}"
        return rows
    finally:
        conn.close()


@pytest.mark.slow
def test_random_sigkills_leave_store_consistent(tmp_path: Path) -> None:
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = 0
    for i in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.crash_writer", str(tmp_path), str(i)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready", (
                proc.stderr.read() if proc.stderr else ""
            )
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert proc.returncode == -signal.SIGKILL, "the writer died on its own"
        rows = _check(tmp_path / "field.db")
    assert rows > 0  # the writers did write
