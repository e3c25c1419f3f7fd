"""The audit log: reads of personal data by every role, every report and export, and a
manager's CSV of who looked at one record; an audit write never fails the read it records.
On the real server, SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case
from tests.support.live_server import LiveServer


def _log(boss: Any, record_id: str, entity: str = "") -> list[dict[str, str]]:
    params = {"record_id": record_id, **({"entity": entity} if entity else {})}
    r = boss.get("/audit", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def _case(cast: Cast, api: Any) -> str:
    rid, patch = new_case(property_id=cast.homes["100000000001"], description="victim's words")
    create(api, "asb_case", patch, rid)
    return rid


def test_who_looked_at_this_case_lists_every_officer_and_device_that_pulled_it(
    cast: Cast,
) -> None:
    with cast.api("north1") as a, cast.api("north2") as b, cast.api("boss") as boss:
        rid = _case(cast, a)
        b.pull_all()
        log = _log(boss, rid, "asb_case")
    readers = {(row["username"], row["device_id"], row["action"]) for row in log}
    assert ("north2", b.device_id, "pull") in readers
    row = next(r for r in log if r["username"] == "north2")
    assert row["entity"] == "asb_case" and row["record_id"] == rid
    assert row["role"] == "officer" and row["name"] == "Ned North"
    assert row["device_name"] == "north2's tablet" and row["at"].endswith("Z")


def test_exports_and_reports_are_audited_for_every_role(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss:
        rid = _case(cast, a)
        wid = new_id()
        create(
            a,
            "walkabout",
            {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z", "participants": []},
            wid,
        )
        assert boss.get("/exports/asb_case.csv").status_code == 200
        assert a.get(f"/walkabouts/{wid}/report.pdf").status_code == 200
        exported = _log(boss, rid)
        reported = _log(boss, wid, "walkabout")
    assert ("boss", "export") in {(r["username"], r["action"]) for r in exported}
    assert ("north1", "report") in {(r["username"], r["action"]) for r in reported}


def test_only_managers_read_the_audit_log_and_a_record_must_be_named(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss:
        refused = a.get("/audit", params={"record_id": new_id()})
        unnamed = boss.get("/audit")
        unknown = boss.get("/audit", params={"record_id": new_id(), "entity": "nonsense"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert unnamed.status_code == 422 and unnamed.json()["error"]["code"] == "validation_failed"
    assert unknown.status_code == 422


@contextmanager
def _audit_blocked(server: LiveServer) -> Iterator[None]:
    """Keep the audit table from being written, as a long write transaction would."""
    if server.database_url.startswith("sqlite"):
        conn = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), timeout=30)
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        with psycopg.connect(server.database_url.replace("+psycopg", "")) as pg:
            pg.execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            yield
            pg.rollback()


def test_a_read_is_answered_when_its_audit_row_cannot_be_written_and_the_row_comes_later(
    cast: Cast,
) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss, cast.api("north2") as b:
        _, _, cursor, _ = b.pull_all()
        rid = _case(cast, a)
        b.http.timeout = httpx.Timeout(10)  # the audit waits 2 s at most, then defers
        with _audit_blocked(cast.server):
            r = b.pull(cursor)
            assert r.status_code == 200, r.text
            assert rid in {c["id"] for c in r.json()["changes"]}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if any(row["device_id"] == b.device_id for row in _log(boss, rid)):
                break
            threading.Event().wait(0.2)
        else:
            raise AssertionError("the deferred audit row never reached the log")
