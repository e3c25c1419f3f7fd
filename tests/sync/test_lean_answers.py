"""Lean push answers: a result carries what the device does not hold, nothing it sent itself.

On the wire: no ``mutation_id`` (results answer in order), the version, and in ``record`` only
derived fields, fields others changed since the device's base, and values the server did not
take as sent. On the device: laid over its own row, the row ends as the server holds it.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from fieldapp.ids import new_id
from fieldapp.sync.protocol import ENTITIES
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory

CASE = {
    "category": "noise",
    "received_at": "2026-06-10T09:00:00Z",
    "status": "open",
    "description": "Music and shouting from the flat above, most nights after midnight. " * 8,
}
NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
DERIVED = set(ENTITIES["asb_case"].derived)


def _gzip_len(body: bytes) -> int:
    return len(gzip.compress(body, 5))


def test_a_lean_answer_leaves_out_what_the_device_sent(server: LiveServer) -> None:
    with Api(server.url).login("olive") as api:
        creates = [mutation("asb_case", new_id(), CASE) for _ in range(200)]
        lean = api.push_raw(creates[:100], lean=True)
        full = api.push_raw(creates[100:])
        assert lean.status_code == 200 and full.status_code == 200
        results = lean.json()["results"]
        assert len(results) == 100
        for r in results:
            assert "mutation_id" not in r and "error" not in r and "conflicts" not in r
            assert r["status"] == "applied" and r["version"] == 1
            assert set(r["record"]) <= DERIVED  # nothing it sent: only the server's derived
        assert all(set(CASE) <= set(r["record"]) for r in full.json()["results"])
        assert _gzip_len(lean.content) <= 0.2 * _gzip_len(full.content)
        # A replay of a lean push answers the same, in order, and changes nothing.
        again = api.push_raw(creates[:100], lean=True).json()["results"]
        assert [r["version"] for r in again] == [1] * 100
        bad = api.push_raw(creates[:1], lean="yes")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"


def test_a_lean_merge_carries_what_others_changed(server: LiveServer) -> None:
    rid = new_id()
    with Api(server.url).login("olive") as olive, Api(server.url).login("oscar") as oscar:
        assert olive.push_one(mutation("asb_case", rid, CASE))["version"] == 1
        edit = mutation("asb_case", rid, {"description": "Oscar's words"}, base_version=1)
        assert oscar.push_one(edit)["status"] == "applied"
        mine = mutation("asb_case", rid, {"status": "action_plan"}, base_version=1)
        (result,) = olive.push_raw([mine], lean=True).json()["results"]
    assert result["status"] == "merged" and result["version"] == 3
    assert result["record"]["description"] == "Oscar's words"  # merged from another device
    assert "status" not in result["record"]  # sent by this device, taken as sent


def test_the_device_row_ends_as_the_server_holds_it(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    olive, oscar = make_device(server, "olive"), make_device(server, "oscar")
    with olive.store.transaction():
        rid = olive.store.create("asb_case", dict(CASE), now=NOW)["id"]
    assert olive.sync().status == "online"
    assert oscar.sync().status == "online"
    with oscar.store.transaction():
        oscar.store.update("asb_case", rid, {"description": "Oscar's words"}, now=NOW)
    assert oscar.sync().status == "online"
    with olive.store.transaction():
        olive.store.update("asb_case", rid, {"status": "action_plan"}, now=NOW)
    assert olive.sync().status == "online"  # its push is answered lean, then it pulls
    row = olive.store.get("asb_case", rid)
    with Api(server.url).login("mina") as api:
        records, _, _, _ = api.pull_all()
    server_data = records[("asb_case", rid)]
    assert row is not None
    assert row["_version"] == server_data["version"] == 3
    for name, value in server_data["data"].items():
        if name != "needs_review":
            assert json.dumps(row.get(name)) == json.dumps(value), name
