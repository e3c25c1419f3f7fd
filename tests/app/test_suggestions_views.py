"""The officer's side of suggested actions on the real store: the repair and visit forms show
what the rules suggest as the form changes, confirming applies the suggestion, declining needs
a reason, and both decisions are stored (at once on a stored record) to sync."""

from __future__ import annotations

import flet as ft

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import atv, repair
from tests.app import ui
from tests.app.test_workflows_views import _seed, dd, pick, tick


def shown(root: object, prefix: str) -> list[str]:
    """The actions whose suggestion cards are on screen."""
    marker = f"{prefix}-suggestion-"
    idents = [str(s.identifier) for s in ui.of_type(root, ft.Semantics) if s.identifier]
    return sorted(i.removeprefix(marker) for i in idents if i.startswith(marker))


def test_repair_confirm_sets_the_class_and_the_priority(device: Device, state: AppState) -> None:
    _seed(device)
    root = repair.view(state, property_id="h1")
    form = root.data
    assert shown(root, "repair") == []
    pick(root, "HHSRS hazard", "damp_and_mould")
    assert shown(root, "repair") == ["awaab_significant"]
    tick(root, "Imminent risk (emergency hazard)")
    assert shown(root, "repair") == ["awaab_emergency"]  # the emergency duty covers it
    ui.click(ui.by_id(root, "repair-confirm-awaab_emergency"))
    assert (dd(root, "Awaab's Law").value, dd(root, "Priority").value) == ("emergency", "emergency")
    assert "Confirmed by Sarah Whitfield" in ui.texts(root)
    ui.click(ui.by_id(root, "repair-save"))
    [stored] = state.all("repair")
    assert (stored["awaab"], stored["priority"], stored["imminent_risk"]) == (
        "emergency",
        "emergency",
        True,
    )
    assert [(d["action"], d["decision"]) for d in stored["action_decisions"]] == [
        ("awaab_emergency", "confirmed")
    ]
    assert [s["action"] for s in stored["suggested_actions"]] == ["awaab_emergency"]
    assert form.record is not None


def test_repair_decline_on_a_stored_finding_is_written_at_once(
    device: Device, state: AppState
) -> None:
    _seed(device)
    root = repair.view(state, property_id="h1")
    form = root.data
    pick(root, "HHSRS hazard", "damp_and_mould")
    ui.click(ui.by_id(root, "repair-save"))
    [stored] = state.all("repair")
    ui.click(ui.by_id(root, "repair-decline-awaab_significant"))
    assert form.suggestions.reasons["awaab_significant"].error == "A decline needs a reason"
    assert state.get("repair", stored["id"])["action_decisions"] is None  # type: ignore[index]
    ui.type_into(form.suggestions.reasons["awaab_significant"], "Condensation only; advice given")
    ui.click(ui.by_id(root, "repair-decline-awaab_significant"))
    again = state.get("repair", stored["id"])
    assert again is not None and again["awaab"] == "none"
    [decision] = again["action_decisions"]
    assert decision["decision"] == "declined"
    assert decision["reason"] == "Condensation only; advice given"
    queued = [m["patch"] for m in state.pending() if m["id"] == stored["id"]]
    assert queued[-1]["action_decisions"] == [decision]  # queued to sync (with the creation)
    assert "Declined by Sarah Whitfield: Condensation only; advice given" in ui.texts(root)


def test_visit_suggestions_follow_the_form(device: Device, state: AppState) -> None:
    _seed(device)
    root = atv.view(state, property_id="h2")
    form = root.data
    assert shown(root, "atv") == ["follow_up_visit"]  # ID not yet seen
    tick(root, "ID seen (two IDs, one with a photo)")
    assert shown(root, "atv") == []
    ui.type_into(ui.field(root, "Arrears (£)"), "500")
    ui.type_into(ui.field(root, "Weekly rent (£)"), "125")
    assert shown(root, "atv") == ["money_advice"]
    ui.click(ui.by_id(root, "atv-confirm-money_advice"))
    assert form.referrals["money_advice"].value is True
    ui.click(ui.by_id(root, "atv-save"))
    [visit] = state.all("tenancy_visit")
    assert visit["referrals"] == ["money_advice"]
    assert [s["action"] for s in visit["suggested_actions"]] == ["money_advice"]
    assert visit["action_decisions"][0]["action"] == "money_advice"
