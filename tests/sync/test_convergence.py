"""Stateful property test: devices editing, pushing and pulling through injected faults
always converge, and no edit is lost or duplicated.

Three devices (two officers, a manager) create cases, edit fields, add append-only reports
and sync, with lost answers and unsent requests injected at random. At the end every device
syncs until quiet; then all hold the same cases and reports as a fresh device, nothing is
pending or dead, every report exists exactly once, and each device's last value of each
field it wrote is the server's value, or is kept in a conflict, or was seen by the device
that overwrote it. The example count is kept small (< 60 s); bench/ is the place for more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.api import REPORT
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory
from tests.sync.device import Device

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
FIELDS = {
    "status": ("open", "advice_given", "action_plan", "monitoring", "closed"),
    "harm_type": ("personal", "community", "environmental"),
}
FAULTS = (None, None, "push_after", "push_before", "pull_after", "pull_before")


def _fault(kind: str | None) -> Any:
    if kind is None:
        return None
    where, when = kind.split("_")
    fired: list[bool] = []

    def hook(method: str, path: str, n: int) -> str | None:
        if path.endswith(f"/sync/{where}") and not fired:
            fired.append(True)
            return when
        return None

    return hook


@pytest.mark.slow
def test_devices_converge_and_lose_nothing(server: LiveServer, make_device: DeviceFactory) -> None:
    class Devices(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.devices: list[Device] = [
                make_device(server, name) for name in ("olive", "oscar", "mina")
            ]
            for d in self.devices:
                d.sync()
            # On a property of the patch: in the scope of all three users.
            self.property_id = self.devices[0].store.all("property")[0]["id"]
            self.cases: list[str] = []
            self.reports: set[str] = set()
            # (device index, case, field) -> value it last wrote; and what others saw
            self.last: dict[tuple[int, str, str], Any] = {}
            self.seen: set[tuple[int, str, str]] = set()

        @rule(who=st.integers(0, 2), status=st.sampled_from(FIELDS["status"]))
        def create_case(self, who: int, status: str) -> None:
            rec = self.devices[who].store.create(
                "asb_case",
                {
                    "category": "noise",
                    "received_at": "2026-06-10T08:00:00Z",
                    "status": status,
                    "property_id": self.property_id,
                },
                now=NOW,
            )
            self.cases.append(rec["id"])
            self.last[(who, rec["id"], "status")] = status

        @precondition(lambda self: bool(self.cases))
        @rule(
            who=st.integers(0, 2),
            pick=st.integers(0, 1000),
            field=st.sampled_from(sorted(FIELDS)),
            data=st.data(),
        )
        def edit(self, who: int, pick: int, field: str, data: st.DataObject) -> None:
            d, cid = self.devices[who], self.cases[pick % len(self.cases)]
            current = d.store.get("asb_case", cid)
            if current is None:
                return  # not pulled yet on this device
            for (other, case, name), value in self.last.items():
                if case == cid and name == field and other != who and value == current[field]:
                    self.seen.add((other, case, name))  # overwriting what it has seen
            value = data.draw(st.sampled_from(FIELDS[field]))
            d.store.update("asb_case", cid, {field: value}, now=NOW)
            self.last[(who, cid, field)] = value

        @precondition(lambda self: bool(self.cases))
        @rule(who=st.integers(0, 2), pick=st.integers(0, 1000))
        def add_report(self, who: int, pick: int) -> None:
            d, cid = self.devices[who], self.cases[pick % len(self.cases)]
            if d.store.get("asb_case", cid) is None:
                return
            rep = d.store.create("asb_report", {"case_id": cid, **REPORT}, now=NOW)
            self.reports.add(rep["id"])

        @rule(who=st.integers(0, 2), fault=st.sampled_from(FAULTS))
        def sync(self, who: int, fault: str | None) -> None:
            d = self.devices[who]
            d.transport.hook = _fault(fault)
            state = d.sync()
            d.transport.hook = None
            assert state.status in ("online", "offline"), state

        @invariant()
        def nothing_dead(self) -> None:
            for d in getattr(self, "devices", []):
                assert d.store.dead_letters() == []

        def teardown(self) -> None:
            if not hasattr(self, "devices"):
                return
            for _ in range(3):
                for d in self.devices:
                    assert d.sync().status == "online"
            fresh = make_device(server, "mina")
            assert fresh.sync().status == "online"
            mine = set(self.cases)

            def view(d: Device) -> dict[str, tuple[Any, ...]]:
                return {
                    r["id"]: (r["status"], r["harm_type"], r["_version"])
                    for r in d.store.all("asb_case")
                    if r["id"] in mine
                }

            expected = view(fresh)
            assert set(expected) == mine  # every case reached the server once
            for d in self.devices:
                assert d.store.pending_count() == 0
                assert view(d) == expected  # converged
                got = [r["id"] for r in d.store.all("asb_report") if r["id"] in self.reports]
                assert sorted(got) == sorted(self.reports)  # each report exactly once
            kept: set[tuple[str, str, Any]] = set()
            for c in fresh.store.all("conflict"):
                kept.add((c["record_id"], c["field"], json_key(c["kept_value"])))
                kept.add((c["record_id"], c["field"], json_key(c["proposed_value"])))
            server_values = fresh.store.all("asb_case")
            final = {(r["id"], f): r[f] for r in server_values for f in FIELDS}
            for (who, cid, field), value in self.last.items():
                if (who, cid, field) in self.seen:
                    continue
                assert final.get((cid, field)) == value or (cid, field, json_key(value)) in kept, (
                    who,
                    cid,
                    field,
                    value,
                )

    run_state_machine_as_test(
        Devices,
        settings=settings(
            max_examples=6,
            stateful_step_count=12,
            deadline=None,
            phases=(Phase.explicit, Phase.generate),  # shrinking against a server is too slow
            suppress_health_check=list(HealthCheck),
        ),
    )


def json_key(value: Any) -> Any:
    return value if not isinstance(value, (list, dict)) else repr(value)
