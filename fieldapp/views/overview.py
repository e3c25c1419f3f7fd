"""SLA and Community Trigger overview: per-patch counts, overdue cases, Awaab's Law clocks.

Route ``/overview``. Managers see every patch; an officer sees their own patches. The numbers
come from ``logic_overview.build_overview`` (a pure function of the records and now); this
module only lays them out: a card of counts per patch (and the totals), then the overdue ASB
cases (most overdue first), each open Awaab's Law repair with its next deadline, the cases
eligible for a Community Trigger with no review yet, and the open sync conflicts. Every row
opens its record. The area rebuilds itself after a local write or a sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.form_kit import goto, slug
from fieldapp.views.logic_forms import policy_of
from fieldapp.views.logic_overview import (
    Clock,
    Overview,
    PatchCounts,
    build_overview,
    count_cells,
)
from fieldapp.views.logic_patch import LOCAL, due_label

__all__ = ["ROUTES", "overview_for", "view"]

_TONES = {"ok": common.OK, "warn": common.SOON, "alert": common.OVERDUE, "info": None}
_CLOCK_COLOURS = {"overdue": common.OVERDUE, "due_soon": common.SOON, "later": common.OK}


def overview_for(state: AppState) -> Overview:
    """The overview of what this user may oversee: every patch for a manager, else their own."""
    user = state.user or {}
    patch_ids = None if state.role == "manager" else [str(p) for p in user.get("patch_ids") or []]
    return build_overview(
        patches=state.all("patch"),
        properties=state.all("property"),
        cases=state.all("asb_case"),
        repairs=state.all("repair"),
        observations=state.all("observation"),
        reviews=state.all("ct_review"),
        conflicts=state.open_conflicts(),
        now=state.now(),
        patch_ids=patch_ids,
        policy=policy_of(state),
    )


def _patch_card(row: PatchCounts) -> ft.Control:
    lines: list[ft.Control] = [common.heading(row.name, level=3)]
    for text, number, tone in count_cells(row):
        lines.append(
            ft.Semantics(
                identifier=f"overview-{slug(row.name)}-{slug(text)}",
                label=f"{row.name}: {text} {number}",
                content=ft.Row(
                    [
                        ft.Text(text, size=15, expand=True),
                        ft.Text(
                            str(number),
                            size=17,
                            weight=ft.FontWeight.BOLD,
                            color=_TONES.get(tone) if number else None,
                        ),
                    ]
                ),
            )
        )
    card = common.card(lines)
    card.col = {"xs": 12, "md": 6, "xl": 4}
    return card


def _section(title: str, rows: Sequence[ft.Control], empty: str) -> ft.Control:
    body: list[ft.Control] = [common.heading(title, level=2)]
    body.extend(rows if rows else [common.muted(empty)])
    return ft.Column(body, spacing=4)


def _clock_tile(state: AppState, clock: Clock, route: str) -> ft.Control:
    return common.tile(
        clock.title,
        " · ".join(part for part in (clock.patch, clock.stage, clock.where) if part),
        icon=ft.Icons.REPORT_OUTLINED if clock.entity == "asb_case" else ft.Icons.BUILD_OUTLINED,
        trailing=due_label(clock.due_at, state.now()),
        trailing_color=_CLOCK_COLOURS.get(clock.state),
        on_click=goto(state, route, id=clock.id),
    )


def _body(state: AppState) -> ft.Control:
    data = overview_for(state)
    cards = [_patch_card(row) for row in data.patches]
    if len(data.patches) > 1:
        cards.insert(0, _patch_card(data.totals))
    overdue = [_clock_tile(state, c, "/asb") for c in data.overdue_cases]
    awaab = [_clock_tile(state, c, "/repair") for c in data.awaab]
    trigger = [
        common.tile(
            t.title,
            f"{t.patch} · {t.reason}",
            icon=ft.Icons.GAVEL,
            trailing="No review yet",
            trailing_color=common.OVERDUE,
            on_click=goto(state, "/ct_review", case_id=t.id),
        )
        for t in data.ct_awaiting
    ]
    conflicts = data.open_conflicts
    conflict_tile = common.tile(
        f"Open conflicts: {conflicts}",
        "Edits that clashed and wait for a person to decide" if conflicts else "None waiting",
        icon=ft.Icons.CALL_SPLIT,
        trailing="Review" if conflicts else "",
        trailing_color=common.SOON,
        on_click=goto(state, "/sync"),
    )
    return ft.Column(
        [
            ft.ResponsiveRow(cards, spacing=common.GAP, run_spacing=common.GAP),
            _section(
                f"Overdue ASB cases ({len(overdue)})", overdue, "No ASB case is past its clock."
            ),
            _section(
                f"Awaab's Law repairs ({len(awaab)})",
                awaab,
                "No open Awaab's Law repairs.",
            ),
            _section(
                f"Community Trigger: eligible, no review yet ({len(trigger)})",
                trigger,
                "Every eligible case has a Community Trigger record.",
            ),
            _section("Sync", [conflict_tile], ""),
        ],
        spacing=common.GAP * 2,
    )


def view(state: AppState, **params: str) -> ft.Control:
    """``/overview`` (no parameters)."""
    if state.role not in ("manager", "officer"):
        return ft.Column(
            [
                common.heading("Overview"),
                common.banner("The overview is for housing staff.", ident="overview-message"),
            ]
        )
    user: dict[str, Any] = state.user or {}
    scope = "All patches" if state.role == "manager" else "Your patches"
    return ft.Column(
        [
            common.heading("SLA and Community Trigger overview"),
            common.muted(
                f"{scope} · {user.get('name') or ''} · "
                f"{state.now().astimezone(LOCAL):%A %d %B %H:%M}"
            ),
            common.live(state, lambda: _body(state)),
        ],
        spacing=common.GAP,
    )


ROUTES = {"/overview": view}
