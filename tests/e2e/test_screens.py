"""Every staff screen reachable from the navigation, as a manager would walk through them.

A new user's first look: sign in, then each destination and the records they lead to (an
overdue case, a Community Trigger record, a walkabout, a property's history). The module's
fixture fails the test if any tablet logged a traceback or a crashed session.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fieldapp.demo import generate_demo
from tests.e2e.harness import Tablet

MANAGER = next(u for u in generate_demo(1).users if u.role == "manager")


def test_a_manager_reaches_every_screen(tablets: Callable[[str], Tablet]) -> None:
    m = tablets("tablet-m")
    m.sign_in(MANAGER.username, MANAGER.password)
    m.see("My patch today")
    m.wait_status(r"^Online")

    m.nav("Overview")
    m.see("SLA and Community Trigger overview")
    m.see("Overdue ASB cases")
    m.see("Awaab's Law repairs")
    m.screenshot("overview")

    # The most overdue demo case has reached the Community Trigger: its record opens from it.
    m.nav("My patch")
    m.see("Open ASB cases")
    m.open_item(m.page.get_by_text(re.compile(r"^ASB-\d{4}-\d{4}")), "Triage")
    m.see("Community Trigger: Eligible")
    m.screenshot("asb-case")
    m.tap("asb-community-trigger")
    m.see("Community Trigger ·")
    m.see("Complaints counted")
    m.screenshot("ct-review")

    m.nav("Walkabouts")
    m.see("Estate walkabouts")

    m.nav("Sync")
    m.see("Conflicts to review")
    m.nav("Settings")
    m.see("Server")
    assert "Traceback" not in m.text()
