"""Partners and sharing, end to end (issue 10), in a real Chromium with the real server.

1. The officer picks the PCSO by name (no id typed anywhere) and sees whose tablet will
   receive the walkabout; the PCSO's tablet gets it with its estate's homes (projected),
   logs an observation, and the officer sees it.
2. The officer opens the report from the app (a link asked for with the tablet's own
   sign-in); the PDF's text is checked.
3. The share link opens in a fresh browser context that never signed in; a tampered link
   and, once past its time, an expired one are refused in the documented error shape.
4. A case raised offline says "reference not yet sent"; after sync both tablets show and
   find its ASB-YYYY-NNNN reference.
Tests run in order and share the tablets (module fixtures).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from fieldapp.demo import generate_demo
from tests.e2e.conftest import SECOND_OFFICER
from tests.e2e.harness import RestartableServer, Tablet
from tests.support.api import Api
from tests.support.pdf import pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEMO = generate_demo(1)
USERS = {u.username: u for u in DEMO.users}
OFFICER, PCSO = USERS["officer1"], USERS["pcso"]
ESTATE = "Palace Fields"  # officer1's patch; no demo walkabout there, so this one is new
RUNCORN = next(p for p in DEMO.patches if p["name"] == "Runcorn East")
# A home away from the tablet's position (not among "homes near you") with no case yet, so
# the search result is the one row that names it.
HOME = next(
    p
    for p in DEMO.properties
    if p["estate"] == ESTATE
    and p["tenancy_ref"]
    and p["id"] not in {c.get("property_id") for c in DEMO.asb_cases}
)
TENANT_NAMES = sorted({str(p["name"]) for p in DEMO.persons if p.get("name")})
PCSO_NOTE = "Broken glass all over the play area"
CASE_NOTE = "Loud music every night from the flat above"
_SIGNED_IN: set[str] = set()  # tablets of this module already signed in (module fixtures)


@pytest.fixture(autouse=True)
def server_up(server: RestartableServer) -> None:
    """Each scenario starts with the server running (a failed one may have left it down)."""
    server.start()


def _sync(t: Tablet) -> None:
    """Tap "Sync now" and wait for a round that started after the tap to finish cleanly."""
    last = "SELECT value FROM meta WHERE key = 'last_synced_at'"
    before = t.app.query(last)
    t.nav("Sync")
    t.tap("sync-now")
    deadline = time.monotonic() + 60
    while t.app.query(last) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    t.wait_status(r"Online · all saved", timeout=60)


def _signed_in(tablets: Callable[[str], Tablet], name: str, username: str, password: str) -> Tablet:
    """The tablet ``name``, signed in as ``username`` the first time it is asked for."""
    t = tablets(name)
    if name not in _SIGNED_IN:
        t.see("Sign in once with a connection", timeout=60)
        t.sign_in(username, password)
        t.wait_status(r"^Online", timeout=60)
        _SIGNED_IN.add(name)
    return t


def _officer(tablets: Callable[[str], Tablet]) -> Tablet:
    return _signed_in(tablets, "officer", OFFICER.username, OFFICER.password)


def _walkabout_id(t: Tablet) -> str:
    rows = t.app.query("SELECT id FROM walkabout WHERE estate = ? AND deleted = 0", ESTATE)
    assert len(rows) == 1, rows
    return str(rows[0][0])


def _open_walkabout(t: Tablet) -> None:
    t.nav("Walkabouts")
    # A list row reads "<estate>" then "Started …" (one accessible node for the row).
    row = t.page.get_by_text(re.compile(rf"^{re.escape(ESTATE)}\s+Started"))
    t.open_item(row, "Log observation")


def test_the_officer_picks_the_pcso_by_name_and_sees_the_pcso_observation(
    tablets: Callable[[str], Tablet],
) -> None:
    a = _officer(tablets)
    p = _signed_in(tablets, "pcso", PCSO.username, PCSO.password)
    a.nav("Walkabouts")
    a.choose("Estate", ESTATE)
    a.tap("walkabout-start")
    a.see("No partner tablet receives this walkabout yet")
    assert "user id" not in a.text().lower()  # no internal id to type anywhere
    a.type("Find staff by name", PCSO.name.split()[0][:4].lower())  # part of a name
    a.press_until(
        a.page.get_by_role("button", name=f"Add {PCSO.name} (PCSO)"),
        f"{PCSO.name} added. Their tablet receives this walkabout at its next sync.",
    )
    a.see(
        f"Will receive this walkabout, with the estate's homes and no personal data: "
        f"{PCSO.name} (PCSO)"
    )
    a.screenshot("walkabout-pick-by-name")
    wid = _walkabout_id(a)
    _sync(a)

    _sync(p)  # the PCSO's next sync brings the walkabout and its estate's homes
    p.app.wait_for_rows("SELECT estate FROM walkabout WHERE id = ?", wid, expect=[(ESTATE,)])
    [(homes,)] = p.app.query("SELECT count(*) FROM property WHERE estate = ?", ESTATE)
    assert homes == sum(1 for h in DEMO.properties if h["estate"] == ESTATE)
    assert p.app.query("SELECT count(*) FROM property WHERE tenancy_ref IS NOT NULL") == [(0,)]
    _open_walkabout(p)
    p.tap("walkabout-log-observation")
    p.choose("What was seen", "Litter")
    p.type("Description", PCSO_NOTE)
    p.tap("observation-locate")
    p.tap("observation-save")
    p.app.wait_for_rows(
        "SELECT count(*) FROM observation WHERE walkabout_id = ?", wid, expect=[(1,)]
    )
    _sync(p)

    _sync(a)
    a.app.wait_for_rows(
        "SELECT description FROM observation WHERE walkabout_id = ?", wid, expect=[(PCSO_NOTE,)]
    )
    _open_walkabout(a)
    a.see("Litter")  # the PCSO's observation, listed on the officer's walkabout
    stored = p.app.stored_bytes()
    assert [n for n in TENANT_NAMES if n.encode() in stored] == []


def test_the_officer_opens_the_report_from_the_app(tablets: Callable[[str], Tablet]) -> None:
    a = _officer(tablets)
    _open_walkabout(a)
    # The app opens the link in a new tab: whichever page of this context asks for it.
    with a.context.expect_event(
        "request", predicate=lambda r: "/api/v1/report-links/" in r.url, timeout=60_000
    ) as asked:
        a.tap("walkabout-open-report")
    a.see("The report opens in a new tab")
    url = asked.value.url
    for tab in a.context.pages:  # back to the app, as the officer would: close the PDF's tab
        if tab is not a.page:
            tab.close()
    a.page.bring_to_front()
    got = a.context.request.get(url)  # what the browser tab was given
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
    text = pdf_text(got.body())
    assert ESTATE in text and PCSO_NOTE in text and PCSO.name in text
    assert [n for n in TENANT_NAMES if n in text] == []


def test_the_share_link_opens_without_signing_in_until_it_expires_or_is_tampered_with(
    tablets: Callable[[str], Tablet], browser: Browser, server: RestartableServer
) -> None:
    a = _officer(tablets)
    _open_walkabout(a)
    a.tap("walkabout-share-link")
    a.see("Share link made")
    shown = a.page.get_by_text(re.compile(r"^http\S+/api/v1/report-links/\S+$")).first
    url = shown.inner_text(timeout=20_000).strip()
    assert url.startswith(server.url + "/api/v1/report-links/"), url
    a.screenshot("walkabout-share-link")

    fresh = browser.new_context()  # never signed in: no token, no cookies
    try:
        opened = fresh.request.get(url)
        assert opened.status == 200 and opened.body().startswith(b"%PDF")
        assert PCSO_NOTE in pdf_text(opened.body())
        payload, signature = url.rsplit("/", 1)[1].split(".")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        tampered = fresh.request.get(url.replace(f"{payload}.{signature}", f"{payload}.{flipped}"))
        assert tampered.status == 403
        assert tampered.json()["error"]["code"] == "link_invalid"
        assert set(tampered.json()) == {"error", "server_time"}

        # A link asked for with a lifetime of a few seconds works, then is refused.
        with Api(server.url).login(OFFICER.username, OFFICER.password) as officer:
            short = officer.post(
                f"/walkabouts/{_walkabout_id(a)}/report-link", {"lifetime_seconds": 8}
            ).json()["url"]
        assert fresh.request.get(short).status == 200
        deadline = time.monotonic() + 60
        refused = fresh.request.get(short)
        while refused.status == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            refused = fresh.request.get(short)
        assert refused.status == 410
        assert refused.json()["error"]["code"] == "link_expired"
        assert set(refused.json()["error"]) == {"code", "message", "detail"}
    finally:
        fresh.close()


def _find(t: Tablet, text: str, expect: str) -> None:
    t.search(text)
    hit = t.page.get_by_role("button", name=re.compile("^" + re.escape(text)))
    try:
        hit.first.wait_for(timeout=20_000)
    except PlaywrightError:
        raise AssertionError(f"no search result for {text!r}\n{t.evidence()}") from None
    t.open_item(hit, expect)


def test_a_case_raised_offline_shows_its_reference_after_sync_on_both_tablets(
    tablets: Callable[[str], Tablet], server: RestartableServer
) -> None:
    a = _officer(tablets)
    b = _signed_in(tablets, "second-officer", SECOND_OFFICER[0], SECOND_OFFICER[1])
    server.stop()  # raised in a stairwell with no signal
    _find(a, str(HOME["address"]), "New ASB report")
    a.tap("property-asb")
    a.choose("Category", "Noise (category 2)")
    a.type("Description", CASE_NOTE)
    a.tap("asb-save")
    a.see("ASB case (reference not yet sent)")
    a.wait_status(r"\d+ pending")
    a.screenshot("case-reference-not-yet-sent")

    server.start()
    _sync(a)
    rows: list[tuple[object, ...]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = a.app.query("SELECT reference FROM asb_case WHERE description = ?", CASE_NOTE)
        if rows and rows[0][0]:
            break
        time.sleep(0.3)
    reference = str(rows[0][0])
    year = datetime.now(ZoneInfo("Europe/London")).year
    assert re.fullmatch(rf"ASB-{year}-\d{{4}}", reference), reference
    _find(a, reference, f"ASB case {reference}")

    _sync(b)
    b.app.wait_for_rows(
        "SELECT reference FROM asb_case WHERE description = ?", CASE_NOTE, expect=[(reference,)]
    )
    _find(b, reference, f"ASB case {reference}")
    b.screenshot("case-reference-on-second-tablet")
