"""Two (or three) devices against the real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.api import REPORT
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
CASE = {"category": "noise", "received_at": "2026-06-10T08:00:00Z", "status": "open"}


def _property_id(device: Any) -> str:
    return str(device.store.all("property")[0]["id"])


def _shared_case(server: LiveServer, make_device: DeviceFactory) -> tuple[Any, Any, str]:
    a, b = make_device(server, "olive"), make_device(server, "oscar")
    assert a.sync().status == "online"
    case = a.store.create("asb_case", {**CASE, "property_id": _property_id(a)}, now=NOW)
    assert a.sync().status == "online" and a.store.pending_count() == 0
    assert b.sync().status == "online"
    assert b.store.get("asb_case", case["id"]) is not None
    return a, b, case["id"]


def test_edits_to_different_fields_merge(server: LiveServer, make_device: DeviceFactory) -> None:
    a, b, cid = _shared_case(server, make_device)
    a.store.update("asb_case", cid, {"status": "action_plan"}, now=NOW)
    b.store.update("asb_case", cid, {"harm_type": "community"}, now=NOW)
    for d in (a, b, a):
        assert d.sync().status == "online"
    for d in (a, b):
        rec = d.store.get("asb_case", cid)
        assert rec is not None
        assert (rec["status"], rec["harm_type"]) == ("action_plan", "community")
        assert [c for c in d.store.open_conflicts() if c["record_id"] == cid] == []
        assert d.store.dead_letters() == []


def test_same_field_conflict_keeps_both_values(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    a, b, cid = _shared_case(server, make_device)
    a.store.update("asb_case", cid, {"status": "monitoring"}, now=NOW)
    b.store.update("asb_case", cid, {"status": "closed"}, now=NOW)
    assert a.sync().status == "online" and b.sync().status == "online" and a.sync()
    manager = make_device(server, "mina")
    manager.sync()
    for d in (a, b, manager):
        rec = d.store.get("asb_case", cid)
        assert rec is not None and rec["status"] == "monitoring"  # seen first, stays
        mine = [c for c in d.store.open_conflicts() if c["record_id"] == cid]
        assert [(c["field"], c["kept_value"], c["proposed_value"]) for c in mine] == [
            ("status", "monitoring", "closed")
        ], d.store.user()
    # The manager resolves it; the new version reaches both officers.
    [conflict] = [c for c in manager.store.open_conflicts() if c["record_id"] == cid]
    manager.store.resolve_conflict(conflict["id"], "proposed", now=NOW)
    assert manager.sync().status == "online"
    for d in (a, b, manager):
        assert d.sync().status == "online"
        rec = d.store.get("asb_case", cid)
        assert rec is not None and rec["status"] == "closed"
        assert [c for c in d.store.open_conflicts() if c["record_id"] == cid] == []


def test_delete_against_edit_goes_to_review(server: LiveServer, make_device: DeviceFactory) -> None:
    a, b, cid = _shared_case(server, make_device)
    b.store.update("asb_case", cid, {"status": "closed"}, now=NOW)
    assert b.sync().status == "online"
    a.store.delete("asb_case", cid, now=NOW)
    assert a.sync().status == "online"
    for d in (a, b):
        d.sync()
        rec = d.store.get("asb_case", cid)
        assert rec is not None and rec["status"] == "closed"  # no silent win of the delete
    conflicts = [c for c in a.store.open_conflicts() if c["record_id"] == cid]
    assert conflicts and all(c["status"] == "open" for c in conflicts)


def test_append_only_children_all_survive(server: LiveServer, make_device: DeviceFactory) -> None:
    a, b, cid = _shared_case(server, make_device)
    ids = set()
    for d, agency in ((a, "police"), (b, "council"), (a, "landlord")):
        rep = d.store.create(
            "asb_report",
            {"case_id": cid, **REPORT, "agency": agency},
            now=NOW,
        )
        ids.add(rep["id"])
    for d in (a, b, a, b):
        assert d.sync().status == "online"
    for d in (a, b):
        assert {r["id"] for r in d.store.find("asb_report", "case_id", cid)} == ids
        assert d.store.dead_letters() == []
        assert [c for c in d.store.open_conflicts() if c["record_id"] == cid] == []


def test_partner_device_holds_no_restricted_value(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    officer = make_device(server, "olive")
    pcso = make_device(server, "percy")
    officer.sync()
    pid = _property_id(officer)
    percy_id = server.user_ids["percy"]  # type: ignore[attr-defined]
    walk = officer.store.create(
        "walkabout",
        {
            "estate": "Oak Farm",
            "started_at": "2026-06-10T09:00:00Z",
            "participants": [{"user_id": percy_id, "name": "Percy", "role": "pcso"}],
        },
        now=NOW,
    )
    victim = officer.store.create(
        "person",
        {"property_id": pid, "name": "Vera Zyxwell", "date_of_birth": "1950-01-02"},
        now=NOW,
    )
    officer.store.create(
        "asb_case",
        {
            **CASE,
            "property_id": pid,
            "complainant_id": victim["id"],
            "description": "Zyxwell threatened at the door",
            "risk_answers": {"isolated": True},
        },
        now=NOW,
    )
    assert officer.sync().status == "online"
    assert pcso.sync().status == "online"
    assert pcso.store.get("walkabout", walk["id"]) is not None
    obs = pcso.store.create(
        "observation",
        {"walkabout_id": walk["id"], "kind": "fly_tipping", "logged_at": "2026-06-10T09:20:00Z"},
        now=NOW,
    )
    assert pcso.sync().status == "online" and pcso.store.dead_letters() == []
    assert pcso.store.get("observation", obs["id"])["_version"] == 1  # type: ignore[index]
    assert pcso.store.all("person") == []
    for path in pcso.store.data_dir.glob("field.db*"):
        assert b"Zyxwell" not in path.read_bytes(), path.name
        assert b"Zyxwell".lower() not in path.read_bytes().lower()


def test_partner_write_outside_joined_walkabout_is_dead_lettered(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    officer = make_device(server, "olive")
    pcso = make_device(server, "percy")
    walk = officer.store.create(
        "walkabout", {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z"}, now=NOW
    )
    officer.sync()
    obs = pcso.store.create(
        "observation",
        {"walkabout_id": walk["id"], "kind": "litter", "logged_at": "2026-06-10T09:20:00Z"},
        now=NOW,
    )
    state = pcso.sync()
    assert state.dead_letters == 1 and state.pending == 0
    [dead] = pcso.store.dead_letters()
    assert dead["id"] == obs["id"] and dead["error"]["code"]
