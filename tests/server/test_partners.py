"""Issue 10 on the server: the staff directory, server-issued references, report share links
and which walkabout reports partners may fetch — all through the HTTP contract and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, select

from fieldapp.demo import generate_demo
from fieldapp.ids import new_id
from server.models import AUDIT
from server.services import report_links
from tests.server.conftest import Cast, create, new_case
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer

STAFF_FIELDS = {"id", "display_name", "role", "patch_ids", "active", "needs_review"}


def _staff(cast: Cast, username: str) -> dict[str, dict[str, Any]]:
    with cast.api(username) as api:
        records, _, _, _ = api.pull_all()
    return {rid: c["data"] for (entity, rid), c in records.items() if entity == "staff"}


def _walkabout(cast: Cast, *partners: str) -> str:
    wid = new_id()
    people = [{"user_id": cast.users[p], "name": p, "role": "pcso"} for p in partners]
    with cast.api("north1") as a:
        create(
            a,
            "walkabout",
            {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z", "participants": people},
            wid,
        )
        create(
            a,
            "observation",
            {
                "walkabout_id": wid,
                "kind": "fly_tipping",
                "logged_at": "2026-06-10T09:05:00Z",
                "description": "mattress by the bin store",
            },
        )
    return wid


def _audit(cast: Cast, action: str, record_id: str) -> list[Any]:
    engine = create_engine(cast.server.database_url)
    try:
        with engine.connect() as conn:
            stmt = select(AUDIT.c.user_id, AUDIT.c.device_id).where(
                AUDIT.c.action == action, AUDIT.c.record_id == record_id
            )
            return list(conn.execute(stmt).all())
    finally:
        engine.dispose()


# --- the staff directory ------------------------------------------------------------------
def test_every_signed_in_role_receives_the_whole_staff_directory_and_nothing_private(
    cast: Cast,
) -> None:
    for username in ("north1", "boss", "pcso1", "cllr1"):
        staff = _staff(cast, username)
        assert set(cast.users.values()) <= set(staff), username
        for data in staff.values():
            assert set(data) == STAFF_FIELDS, data  # no username, no password hash
    staff = _staff(cast, "pcso1")
    assert staff[cast.users["north1"]] == {
        "id": cast.users["north1"],
        "display_name": "Nora North",
        "role": "officer",
        "patch_ids": [cast.patches["North"]],
        "active": True,
        "needs_review": False,
    }
    assert staff[cast.users["pcso1"]]["role"] == "pcso"


def test_a_push_to_the_staff_directory_is_rejected(cast: Cast) -> None:
    with cast.api("boss") as boss:
        edit = boss.push_one(
            mutation("staff", cast.users["north1"], {"display_name": "Nobody"}, base_version=1)
        )
        made = boss.push_one(mutation("staff", new_id(), {"display_name": "Ghost", "role": "pcso"}))
    for result in (edit, made):
        assert result["status"] == "rejected" and result["error"]["code"] == "forbidden"
    assert _staff(cast, "north1")[cast.users["north1"]]["display_name"] == "Nora North"


def test_add_user_with_a_name_reaches_every_device_as_a_staff_record(cast: Cast) -> None:
    with cast.api("north1") as officer:
        _, _, cursor, _ = officer.pull_all()
        user_id = cast.server.add_user(
            "glowe", role="pcso", name="Gary Lowe", password="oak-house-gary-lowe", via_cli=True
        )
        page = officer.pull(cursor).json()
    arrived = [c for c in page["changes"] if c["entity"] == "staff" and c["id"] == user_id]
    assert [c["data"]["display_name"] for c in arrived] == ["Gary Lowe"]
    cast.server.add_user(
        "glowe", role="pcso", name="Gary R. Lowe", password="oak-house-gary-lowe", via_cli=True
    )
    assert _staff(cast, "cllr1")[user_id]["display_name"] == "Gary R. Lowe"


# --- server-issued references -------------------------------------------------------------
def _number(reference: str, prefix: str) -> int:
    year = datetime.now(ZoneInfo("Europe/London")).year
    match = re.fullmatch(rf"{prefix}-{year}-(\d{{4,}})", reference)
    assert match is not None, reference
    return int(match.group(1))


def test_cases_and_repairs_get_references_in_order_at_their_first_push(cast: Cast) -> None:
    home = cast.homes["100000000001"]
    with cast.api("north1") as a, cast.api("south1") as s:
        first, second = (new_case(property_id=home) for _ in range(2))
        results = a.push(
            mutation("asb_case", first[0], first[1]), mutation("asb_case", second[0], second[1])
        )
        other = new_case(property_id=cast.homes["100000000003"])
        third = s.push_one(mutation("asb_case", other[0], other[1]))
        repair = create(
            a,
            "repair",
            {"property_id": home, "priority": "routine", "reported_at": "2026-06-10T09:00:00Z"},
        )
        edited = a.push_one(
            mutation("asb_case", first[0], {"status": "monitoring"}, base_version=1)
        )
    numbers = [_number(r["record"]["reference"], "ASB") for r in (*results, third)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert numbers[1] == numbers[0] + 1
    assert _number(repair["record"]["reference"], "REP") >= 1
    assert edited["record"]["reference"] == results[0]["record"]["reference"]


def test_a_device_may_not_write_a_reference(cast: Cast) -> None:
    rid, patch = new_case(property_id=cast.homes["100000000001"], reference="ASB-2026-9999")
    with cast.api("boss") as boss:
        result = boss.push_one(mutation("asb_case", rid, patch))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "read_only_field"


# --- report share links -------------------------------------------------------------------
def test_a_share_link_opens_without_signing_in_and_every_download_is_audited(
    cast: Cast,
) -> None:
    wid = _walkabout(cast)
    with cast.api("north1") as a:
        r = a.post(f"/walkabouts/{wid}/report-link")
    assert r.status_code == 200, r.text
    link = r.json()
    assert set(link) == {"url", "expires_at", "server_time"}
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    server_time = datetime.fromisoformat(r.headers["server-time"].replace("Z", "+00:00"))
    assert abs(expires - server_time - timedelta(days=7)) < timedelta(minutes=1)
    with httpx.Client() as anonymous:  # never signed in
        first, again = anonymous.get(link["url"]), anonymous.get(link["url"])
    for got in (first, again):
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        assert got.headers["content-type"] == "application/pdf"
    assert len(_audit(cast, "report_link_download", wid)) == 2
    assert _audit(cast, "report_link_download", wid)[0][0] == cast.users["north1"]


def test_a_tampered_or_expired_link_is_refused_in_the_error_shape(cast: Cast) -> None:
    wid = _walkabout(cast)
    other = _walkabout(cast)
    with cast.api("north1") as a:
        url = a.post(f"/walkabouts/{wid}/report-link").json()["url"]
    token = url.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    # Another walkabout's payload under this signature; a signature with one byte changed.
    forged = report_links.make_token(
        report_links.ReportLink(other, datetime.now(UTC) + timedelta(days=1), "x", "y"),
        "not-the-server-key",
    )
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    secret = (cast.server.data_dir / "secret_key").read_text().strip()
    expired = report_links.make_token(
        report_links.ReportLink(wid, datetime.now(UTC) - timedelta(seconds=1), "u", "i"), secret
    )
    base = url.rsplit("/", 1)[0]
    with httpx.Client() as anonymous:
        answers = {
            "forged": anonymous.get(f"{base}/{forged}"),
            "flipped": anonymous.get(f"{base}/{payload}.{flipped}"),
            "garbage": anonymous.get(f"{base}/not-a-link"),
            "expired": anonymous.get(f"{base}/{expired}"),
        }
    for name, r in answers.items():
        want = (410, "link_expired") if name == "expired" else (403, "link_invalid")
        assert (r.status_code, r.json()["error"]["code"]) == want, name
        assert set(r.json()) == {"error", "server_time"}
        assert set(r.json()["error"]) == {"code", "message", "detail"}


def test_a_link_lifetime_may_be_asked_for_within_bounds(cast: Cast) -> None:
    wid = _walkabout(cast)
    with cast.api("north1") as a:
        day = a.post(f"/walkabouts/{wid}/report-link", {"lifetime_seconds": 86_400})
        too_long = a.post(f"/walkabouts/{wid}/report-link", {"lifetime_seconds": 10**9})
        wrong = a.post(f"/walkabouts/{wid}/report-link", {"days": 3})
    expires = datetime.fromisoformat(day.json()["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(days=1)
    for r in (too_long, wrong):
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"


def test_partners_get_reports_and_links_of_walkabouts_they_joined_and_no_other(
    cast: Cast,
) -> None:
    joined, elsewhere = _walkabout(cast, "cllr1"), _walkabout(cast, "pcso1")
    with cast.api("cllr1") as c, cast.api("south1") as s:
        mine = c.get(f"/walkabouts/{joined}/report.pdf")
        link = c.post(f"/walkabouts/{joined}/report-link")
        not_mine = c.get(f"/walkabouts/{elsewhere}/report.pdf")
        no_link = c.post(f"/walkabouts/{elsewhere}/report-link")
        other_patch = s.post(f"/walkabouts/{joined}/report-link")
        anon = httpx.post(f"{cast.server.api}/walkabouts/{joined}/report-link")
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    assert link.status_code == 200
    for r in (not_mine, no_link, other_patch):
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert anon.status_code == 401 and anon.json()["error"]["code"] == "unauthenticated"
    assert _audit(cast, "report_link_made", joined)[0][0] == cast.users["cllr1"]


def test_demo_references_are_kept_and_the_next_case_follows_them(tmp_path: Path) -> None:
    today = datetime.now(ZoneInfo("Europe/London")).date()
    demo = generate_demo(1, today=today)
    prefix = f"ASB-{today.year}-"
    highest = max(
        int(c["reference"][len(prefix) :])
        for c in demo.asb_cases
        if c["reference"].startswith(prefix)
    )
    with LiveServer(data_dir=tmp_path) as server:
        server.cli("seed-demo", "--today", today.isoformat())
        with Api(server.url).login("manager", "demo-manager-halton") as manager:
            records, _, _, _ = manager.pull_all()
            kept = {r["data"]["reference"] for (e, _), r in records.items() if e == "asb_case"}
            rid, patch = new_case()
            made = manager.push_one(mutation("asb_case", rid, patch))
    assert f"{prefix}{highest:04d}" in kept
    assert made["record"]["reference"] == f"{prefix}{highest + 1:04d}"


def test_a_share_link_dies_with_its_makers_access(cast: Cast) -> None:
    """A link is only as good as its maker's access: a partner taken off the walkabout, a
    disabled account or a revoked tablet ends every link they made (403 link_invalid)."""
    tag = new_id()[:8]
    taken_off, leaver, lost = f"off-{tag}", f"leaver-{tag}", f"lost-{tag}"
    for name in (taken_off, leaver, lost):
        cast.users[name] = cast.server.add_user(name, role="pcso", name=f"Pat {name}")
    wid = _walkabout(cast, taken_off, leaver, lost)
    urls, devices = {}, {}
    for name in (taken_off, leaver, lost):
        with cast.api(name) as p:
            urls[name] = p.post(f"/walkabouts/{wid}/report-link").json()["url"]
            devices[name] = p.device_id
    with httpx.Client() as anonymous:
        assert {anonymous.get(u).status_code for u in urls.values()} == {200}

        # The officer takes one partner off the walkabout.
        with cast.api("north1") as a:
            records, _, _, _ = a.pull_all()
            walk = records[("walkabout", wid)]
            kept = [p for p in walk["data"]["participants"] if p["name"] != taken_off]
            [result] = a.push(
                mutation("walkabout", wid, {"participants": kept}, base_version=walk["version"])
            )
            assert result["status"] == "applied", result
        cast.server.cli("disable-user", leaver)
        with cast.api("boss") as boss:
            revoked = boss.post(f"/devices/{devices[lost]}/revoke")
            assert revoked.status_code == 200, revoked.text
        for name, url in urls.items():
            r = anonymous.get(url)
            assert (r.status_code, r.json()["error"]["code"]) == (403, "link_invalid"), name
            assert "no longer" in r.json()["error"]["message"]
    cast.server.cli("enable-user", leaver)


def test_share_links_are_built_on_the_public_url_not_the_host_header(tmp_path: Path) -> None:
    public = "https://sync.example.gov.uk/field"
    with LiveServer(data_dir=tmp_path, env={"PUBLIC_URL": public}) as live:
        live.add_user("olive", role="officer", patches=["North"])
        with Api(live.url).login("olive") as a:
            wid = new_id()
            create(a, "walkabout", {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z"}, wid)
            r = a.http.post(
                f"{a.base}/walkabouts/{wid}/report-link",
                headers={**a.headers, "Host": "evil.example"},
            )
    assert r.status_code == 200, r.text
    assert r.json()["url"].startswith(f"{public}/api/v1/report-links/"), r.json()["url"]
