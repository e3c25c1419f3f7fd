"""Report links asked for by a device with its own sign-in, and the staff directory and
references as a device receives them, against the real server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests

from fieldapp.sync.errors import ReportUnavailable
from fieldapp.sync.reports import report_link
from tests.support.live_server import LiveServer, free_port
from tests.support.pdf import pdf_text
from tests.sync.conftest import DeviceFactory

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)


def test_a_device_gets_a_report_link_once_its_walkabout_has_synced(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    d = make_device(server, "olive")
    d.sync()
    wid = d.store.create(
        "walkabout", {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z"}, now=NOW
    )["id"]
    d.store.create(
        "observation",
        {
            "walkabout_id": wid,
            "kind": "graffiti",
            "logged_at": "2026-06-10T09:05:00Z",
            "description": "tag on the garages",
        },
        now=NOW,
    )
    with pytest.raises(ReportUnavailable, match="has not reached the server yet"):
        report_link(d.http, wid)
    d.sync()
    link = report_link(d.http, wid, lifetime_seconds=300)
    got = requests.get(link.url, timeout=30)  # no token: the link is enough
    assert got.status_code == 200 and "tag on the garages" in pdf_text(got.content)
    assert link.expires_at.endswith("Z")


def test_no_server_means_a_sentence_not_a_crash() -> None:
    from fieldapp.sync.transport import HttpTransport

    offline = HttpTransport(
        base_url=f"http://127.0.0.1:{free_port()}", session=requests.Session(), token=lambda: "t"
    )
    with pytest.raises(ReportUnavailable, match="No connection"):
        report_link(offline, "w1")


def test_a_device_receives_the_staff_directory_and_its_cases_references(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    d = make_device(server, "percy")  # a partner: the directory too
    d.sync()
    names = {s["display_name"] for s in d.store.all("staff")}
    assert {"Olive Officer", "Oscar Officer", "Mina Manager", "Percy PCSO"} <= names
    o = make_device(server, "olive")
    case = o.store.create(
        "asb_case", {"category": "noise", "received_at": "2026-06-10T08:00:00Z"}, now=NOW
    )
    assert o.store.get("asb_case", case["id"])["reference"] is None  # type: ignore[index]
    o.sync()
    stored = o.store.get("asb_case", case["id"])
    assert stored is not None
    assert re.fullmatch(r"ASB-\d{4}-\d{4}", str(stored["reference"]))
