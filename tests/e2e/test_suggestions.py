"""Suggested actions in the real app: an officer on a visit declines one, is asked for a
reason first, and the decision with its reason reaches the server."""

from __future__ import annotations

import re
from collections.abc import Callable

from fieldapp.demo import generate_demo
from tests.e2e.harness import RestartableServer, Tablet
from tests.support.api import Api

OFFICER = next(u for u in generate_demo(1).users if u.username == "officer1")
REASON = "Tenant in hospital; visit rebooked with the family"


def test_a_decline_needs_a_reason_and_reaches_the_server(
    tablets: Callable[[str], Tablet], server: RestartableServer
) -> None:
    t = tablets("tablet-s")
    t.sign_in(OFFICER.username, OFFICER.password)
    t.see("My patch today")
    t.wait_status(r"^Online")
    # A home whose visit is overdue (never visited ones first) opens the visit form, where
    # the ID is not yet marked seen: the rules suggest a follow-up visit.
    t.see("Annual Tenancy Visits due")
    t.open_item(t.page.get_by_text(re.compile(r"ATV overdue")), "Annual Tenancy Visit:")
    t.see("Suggested actions")
    t.see("Follow-up visit by")
    t.tap("atv-decline-follow_up_visit")
    t.see("A decline needs a reason")
    t.type("Reason to decline: Follow-up visit", REASON)
    t.tap("atv-decline-follow_up_visit")
    t.see(f"Declined by {OFFICER.name}: {REASON}")
    t.tap("atv-save")
    t.see("Visit saved")
    t.wait_status(r"all saved to server", timeout=60)

    with Api(server.url).login(OFFICER.username, OFFICER.password) as api:
        records, *_ = api.pull_all()
    decisions = [
        d
        for (entity, _), change in records.items()
        if entity == "tenancy_visit"
        for d in change["data"].get("action_decisions") or []
    ]
    assert [(d["action"], d["decision"], d["reason"]) for d in decisions] == [
        ("follow_up_visit", "declined", REASON)
    ]
