"""Faults around the real server: lost answers, cut connections, a killed server, a killed app.

Faults are injected by ``FaultyTransport`` around the real HTTP transport, or by killing real
processes; every request that goes through reaches the real server.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import REPORT
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory
from tests.sync.device import Device

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
CASE = {"category": "noise", "received_at": "2026-06-10T08:00:00Z"}
ROOT = Path(__file__).resolve().parents[2]


def _case(device: Device) -> dict[str, Any]:
    """A case on a property of the patch, so every officer of the patch sees it."""
    if not device.store.all("property"):
        assert device.sync().status == "online"
    return {**CASE, "property_id": device.store.all("property")[0]["id"]}


def _once(path_end: str, fault: str) -> Any:
    done: list[bool] = []

    def hook(method: str, path: str, n: int) -> str | None:
        if path.endswith(path_end) and not done:
            done.append(True)
            return fault
        return None

    return hook


def test_lost_push_answer_is_replayed_without_duplicate(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    a, b = make_device(server, "olive"), make_device(server, "oscar")
    case = a.store.create("asb_case", _case(a), now=NOW)
    a.store.create(
        "asb_report", {"case_id": case["id"], **REPORT, "reported_at": CASE["received_at"]}, now=NOW
    )
    a.transport.hook = _once("/sync/push", "after")
    state = a.sync()
    assert state.status == "offline" and state.pending == 2
    assert a.sync().status == "online" and a.store.pending_count() == 0
    assert a.store.dead_letters() == []
    assert b.sync().status == "online"
    got = b.store.get("asb_case", case["id"])
    assert got is not None and got["_version"] == a.store.get("asb_case", case["id"])["_version"]  # type: ignore[index]
    assert len(b.store.find("asb_report", "case_id", case["id"])) == 1


def test_connection_cut_mid_pull_resumes(server: LiveServer, make_device: DeviceFactory) -> None:
    a = make_device(server, "olive")
    data = _case(a)
    ids = {a.store.create("asb_case", data, now=NOW)["id"] for _ in range(25)}
    assert a.sync().status == "online"
    b = make_device(server, "oscar", page_size=10)
    pulls: list[int] = []

    def hook(method: str, path: str, n: int) -> str | None:
        if path.endswith("/sync/pull"):
            pulls.append(n)
            return "after" if len(pulls) == 2 else None
        return None

    b.transport.hook = hook
    assert b.sync().status == "offline"
    partial = {r["id"] for r in b.store.all("asb_case")}
    assert b.store.cursor() is not None and not ids <= partial  # page 1 kept, not all
    assert b.sync().status == "online"
    assert ids <= {r["id"] for r in b.store.all("asb_case")}


def test_server_killed_mid_sync_then_restarted(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    a = make_device(server, "olive")
    data = _case(a)
    ids = {a.store.create("asb_case", data, now=NOW)["id"] for _ in range(10)}
    a.transport.hook = _once("/sync/push", "after")
    a.transport.on_fault = server.kill
    assert a.sync().status == "offline"
    assert a.sync().status == "offline"  # still down: nothing lost, nothing raised
    assert a.store.pending_count() == 10
    server.start()
    a.point_at(server.url)
    assert a.sync().status == "online" and a.store.pending_count() == 0
    b = make_device(server, "oscar")
    assert b.sync().status == "online"
    versions = {r["id"]: r["_version"] for r in b.store.all("asb_case") if r["id"] in ids}
    assert versions == dict.fromkeys(ids, 1)  # each applied exactly once


@pytest.mark.slow
def test_app_killed_mid_apply(server: LiveServer, make_device: DeviceFactory) -> None:
    a = make_device(server, "olive")
    data = _case(a)
    made = {a.store.create("asb_case", data, now=NOW)["id"] for _ in range(150)}
    assert a.sync().status == "online"
    victim = make_device(server, "oscar")
    local = {victim.store.create("asb_case", data, now=NOW)["id"] for _ in range(5)}
    data_dir = victim.store.data_dir
    victim.store.close()
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sync.sync_child", str(data_dir), server.url, "20"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        with sqlite3.connect(data_dir / "field.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", i
            held = {r[0] for r in conn.execute("SELECT id FROM asb_case")}
        assert local <= held  # the device's own records never vanish
    again = Device(url=server.url, data_dir=data_dir)
    try:
        assert again.sync().status == "online" and again.store.pending_count() == 0
        fresh = make_device(server, "oscar")
        assert fresh.sync().status == "online"
        assert {r["id"] for r in again.store.all("asb_case")} == {
            r["id"] for r in fresh.store.all("asb_case")
        }
        assert local | made <= {r["id"] for r in fresh.store.all("asb_case")}
    finally:
        again.close()
