"""Echo suppression end to end: a device that pushes and then pulls (``omit_own=1``) ends with
exactly the server's rows, a re-download after ``410`` still brings everything, and a record
the device dropped as an orphan comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fieldapp.sync.pull import pull_all
from fieldapp.sync.transport import TransportResponse
from tests.support.api import REPORT, Api
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory
from tests.sync.device import Device, FaultyTransport

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
CASE = {"category": "noise", "received_at": "2026-06-10T08:00:00Z"}
ENTITIES = ("property", "asb_case", "asb_report", "conflict")


@dataclass
class Recorder:
    """Passes every request to the device's transport and keeps each pull's params and page."""

    inner: FaultyTransport
    pulls: list[tuple[dict[str, Any], int, Any]] = field(default_factory=list)

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, **kw: Any
    ) -> TransportResponse:
        response = self.inner.request(method, path, params=params, **kw)
        if path.endswith("/sync/pull"):
            page = response.json() if response.status == 200 else None
            self.pulls.append((dict(params or {}), response.status, page))
        return response

    def pulled(self) -> set[tuple[str, str]]:
        return {
            (c["entity"], c["id"]) for _, _, page in self.pulls if page for c in page["changes"]
        }


def recording(device: Device) -> Recorder:
    recorder = Recorder(device.transport)
    device.engine.transport = recorder
    return recorder


def server_rows(server: LiveServer, username: str) -> dict[tuple[str, str], dict[str, Any]]:
    """What a new tablet of ``username`` downloads: the server's rows in that user's scope."""
    with Api(server.url).login(username) as api:
        records, _, _, _ = api.pull_all()
    return {key: change for key, change in records.items() if key[0] in ENTITIES}


def assert_holds_exactly(device: Device, expected: dict[tuple[str, str], dict[str, Any]]) -> None:
    held = {(e, r["id"]): r for e in ENTITIES for r in device.store.all(e)}
    assert sorted(held) == sorted(expected)
    for key, change in expected.items():
        row = held[key]
        assert row["_version"] == change["version"], key
        assert not row["_pending"], key
        # needs_review is the server's mark on the wire; the device keeps the conflicts.
        data = {k: v for k, v in change["data"].items() if k != "needs_review"}
        assert {name: row.get(name) for name in data} == data, key


def test_pushing_then_pulling_ends_with_exactly_the_servers_rows(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    a, b = make_device(server, "olive"), make_device(server, "oscar")
    assert a.sync().status == "online" and b.sync().status == "online"
    home = a.store.all("property")[0]["id"]
    cases = [
        a.store.create("asb_case", {**CASE, "property_id": home}, now=NOW)["id"] for _ in range(12)
    ]
    a.store.update("asb_case", cases[0], {"status": "monitoring"}, now=NOW)
    # Reports in the same push as their cases re-derive them after the answers were made.
    reports = [
        a.store.create("asb_report", {"case_id": c, **REPORT}, now=NOW)["id"] for c in cases[:3]
    ]
    theirs = [
        b.store.create("asb_case", {**CASE, "property_id": home}, now=NOW)["id"] for _ in range(3)
    ]
    assert b.sync().status == "online"

    recorder = recording(a)
    assert a.sync().status == "online"
    assert all(params.get("omit_own") == 1 for params, _, _ in recorder.pulls)
    pulled = recorder.pulled()
    assert {("asb_case", c) for c in theirs} <= pulled
    assert {("asb_case", c) for c in cases[:3]} <= pulled  # re-derived: sent again
    assert not {("asb_case", c) for c in cases[3:]} & pulled  # its own echoes: left out
    assert not {("asb_report", r) for r in reports} & pulled
    assert_holds_exactly(a, server_rows(server, "olive"))

    # Another device writes one of a's cases; a writes again; both sync; a pulls last.
    assert b.sync().status == "online"
    b.store.update("asb_case", cases[5], {"status": "closed"}, now=NOW)
    assert b.sync().status == "online"
    a.store.update("asb_case", cases[6], {"harm_type": "personal"}, now=NOW)
    recorder.pulls.clear()
    assert a.sync().status == "online"
    pulled = recorder.pulled()
    assert ("asb_case", cases[5]) in pulled and ("asb_case", cases[6]) not in pulled
    assert_holds_exactly(a, server_rows(server, "olive"))
    assert b.sync().status == "online"
    assert_holds_exactly(b, server_rows(server, "oscar"))


def test_a_resync_downloads_everything_even_own_records(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    a = make_device(server, "olive")
    assert a.sync().status == "online"
    home = a.store.all("property")[0]["id"]
    mine = [
        a.store.create("asb_case", {**CASE, "property_id": home}, now=NOW)["id"] for _ in range(5)
    ]
    assert a.sync().status == "online"
    a.store.set_meta("cursor", "not-a-cursor")  # the server answers 410: download afresh

    recorder = recording(a)
    assert a.sync().status == "online"
    statuses = [status for _, status, _ in recorder.pulls]
    assert statuses[0] == 410 and statuses[1:] and set(statuses[1:]) == {200}
    assert recorder.pulls[0][0].get("omit_own") == 1
    assert all("omit_own" not in params for params, _, _ in recorder.pulls[1:])
    assert {("asb_case", c) for c in mine} <= recorder.pulled()
    # Rows the re-download did not bring are swept: had it left out its own, they'd be gone.
    assert a.store.get_meta("resync") is None
    assert_holds_exactly(a, server_rows(server, "olive"))


def test_a_record_dropped_as_an_orphan_comes_back(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    """Moved out of the patch while edited here (kept as an orphan), moved back, the edit
    answered (the orphan deleted): the next pull must bring the record although this device
    wrote its current version."""
    home = {
        "uprn": "100000000091",
        "patch": "North",
        "estate": "Oak Farm",
        "block": "B",
        "address": "91 Oak Road",
        "postcode": "WA7 1AB",
        "lat": 53.33,
        "lon": -2.70,
        "bedrooms": 2,
        "tenancy_ref": "TEN-91",
    }
    server.import_properties([home])
    a = make_device(server, "olive")
    assert a.sync().status == "online"
    home_id = next(p["id"] for p in a.store.all("property") if p["uprn"] == home["uprn"])
    case = a.store.create("asb_case", {**CASE, "property_id": home_id}, now=NOW)["id"]
    assert a.sync().status == "online"
    a.store.update("asb_case", case, {"status": "monitoring"}, now=NOW)
    server.import_properties([{**home, "patch": "Elsewhere"}])
    pull_all(store=a.store, transport=a.transport)  # the remove meets the pending edit
    assert a.store.get("asb_case", case) is not None and a.store.get_meta("orphans")
    server.import_properties([home])

    assert a.sync().status == "online"
    held = a.store.get("asb_case", case)
    assert held is not None and held["status"] == "monitoring"
    assert_holds_exactly(a, server_rows(server, "olive"))
