"""The report and export routes: who may fetch them, and what comes back."""

from __future__ import annotations

import csv
import io

import pytest

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


def _walkabout(cast: Cast, *participants: str) -> str:
    wid = new_id()
    with cast.api("north1") as a:
        create(
            a,
            "walkabout",
            {
                "estate": "Oak",
                "started_at": "2026-06-10T09:00:00Z",
                "participants": [
                    {"user_id": cast.users[p], "name": p, "role": "pcso"} for p in participants
                ],
            },
            wid,
        )
        create(
            a,
            "observation",
            {
                "walkabout_id": wid,
                "kind": "graffiti",
                "offensive": True,
                "logged_at": "2026-06-10T09:05:00Z",
                "description": "tag on the bin store",
            },
        )
    return wid


def test_the_walkabout_report_is_a_pdf_for_those_who_may_see_it(cast: Cast) -> None:
    wid = _walkabout(cast, "pcso1")
    with cast.api("pcso1") as p, cast.api("cllr1") as c, cast.api("south1") as s:
        mine = p.get(f"/walkabouts/{wid}/report.pdf")
        not_joined = c.get(f"/walkabouts/{wid}/report.pdf")
        other_patch = s.get(f"/walkabouts/{wid}/report.pdf")
        missing = p.get(f"/walkabouts/{new_id()}/report.pdf")
    assert mine.status_code == 200
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.content.startswith(b"%PDF")
    for r in (not_joined, other_patch, missing):
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_managers_export_csv_and_others_may_not(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        r = boss.get("/exports/asb_case.csv")
        refused = a.get("/exports/asb_case.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rid in {row["id"] for row in rows}
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
