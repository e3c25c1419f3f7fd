"""The frame around every screen: route table, navigation, and the always-visible status line.

Wide screens (tablets in landscape) get a NavigationRail, narrow ones a NavigationBar. The
status line on top says online / offline / syncing, how many changes are pending and how
many conflicts wait; tapping it opens the Sync screen. Each screen is the ``view`` of its own
module, imported here (a screen that does not import stops the app at start, not later).
A screen that fails to build shows an error banner and logs the traceback, never a blank page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import (
    asb,
    atv,
    common,
    ct_review,
    overview,
    palette,
    patch,
    repair,
    settings,
    signin,
    sync,
    walkabout,
)
from fieldapp.views import property as property_screen  # not to shadow the builtin
from fieldapp.views.logic_sync import connection, status_line

log = logging.getLogger(__name__)

View = Callable[..., ft.Control]
WIDE = 720  # px: from here a NavigationRail beside the content, below it a bottom bar


def route_table() -> dict[str, View]:
    """Route → screen. Parameters travel as query-string keywords (``/asb?id=…``)."""
    return {
        "/signin": signin.view,
        "/patch": patch.view,
        "/sync": sync.view,
        "/settings": settings.view,
        "/walkabout": walkabout.view,
        "/asb": asb.view,
        "/repair": repair.view,
        "/atv": atv.view,
        "/property": property_screen.view,
        "/overview": overview.view,
        "/ct_review": ct_review.view,
    }


@dataclass(frozen=True)
class Destination:
    route: str
    label: str
    icon: ft.IconData
    selected: ft.IconData
    partners: bool  # shown to PCSOs and councillors


DESTINATIONS = (
    Destination("/patch", "My patch", ft.Icons.HOME_WORK_OUTLINED, ft.Icons.HOME_WORK, False),
    Destination(
        "/walkabout", "Walkabouts", ft.Icons.DIRECTIONS_WALK, ft.Icons.DIRECTIONS_WALK, True
    ),
    Destination("/overview", "Overview", ft.Icons.DASHBOARD_OUTLINED, ft.Icons.DASHBOARD, False),
    Destination("/sync", "Sync", ft.Icons.SYNC, ft.Icons.SYNC, True),
    Destination("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS, True),
)
PARTNER_ROUTES = frozenset({"/walkabout", "/sync", "/settings", "/signin"})


def destinations(state: AppState) -> list[Destination]:
    return [d for d in DESTINATIONS if d.partners or not state.is_partner]


def home_route(state: AppState) -> str:
    if state.user is None:
        return "/signin"
    return "/walkabout" if state.is_partner else "/patch"


def allowed(state: AppState, route: str) -> str:
    """The route actually shown: sign-in when signed out, partners kept to their screens."""
    if state.user is None:
        return "/signin"
    if route in ("", "/", "/signin"):
        return home_route(state)
    if state.is_partner and route not in PARTNER_ROUTES:
        return home_route(state)
    return route


def status_text(state: AppState) -> str:
    if state.user is None:
        return "Signed out"
    return status_line(
        state.sync, pending=state.pending_count(), conflicts=len(state.open_conflicts())
    )


class Shell:
    """Lays out one session's page and swaps the screen on navigation."""

    def __init__(self, page: ft.Page, state: AppState, routes: dict[str, View]) -> None:
        self.page = page
        self.state = state
        self.routes = routes
        self.status = ft.Text("", size=15, weight=ft.FontWeight.W_600, color=palette.ON_DARK)
        self.status_icon = ft.Icon(ft.Icons.CLOUD_OFF, color=palette.ON_DARK)
        self.content = ft.Container(
            expand=True, padding=ft.Padding.symmetric(horizontal=16, vertical=12)
        )
        self.wide: bool | None = None
        self.had_data = self._synced()
        self.shown: tuple[str, dict[str, str]] = ("", {})  # the screen on the page now
        state.shell_listener = self.refresh_status

    # --- layout ----------------------------------------------------------------------------
    def _status_bar(self) -> ft.Control:
        user = self.state.user or {}
        who = f"{user.get('name')} · {user.get('role')}" if user else ""
        chip = ft.Semantics(
            identifier="sync-status",
            button=True,
            live_region=True,
            # On a phone the chip takes the bar's width and its words wrap: never clipped.
            expand=not self.wide,
            content=ft.Container(
                content=ft.Row([self.status_icon, self.status], spacing=8, tight=True),
                padding=ft.Padding.symmetric(horizontal=14, vertical=12),  # 48 px tall
                border_radius=24,
                bgcolor=palette.STATUS_CHIP,
                on_click=lambda _: self.state.go("/sync"),
            ),
        )
        return ft.Container(
            bgcolor=palette.STATUS_BAR,
            padding=ft.Padding.symmetric(horizontal=16, vertical=6),
            content=ft.Row(
                [
                    ft.Text(
                        "Estate Walkabout",
                        size=18,
                        weight=ft.FontWeight.BOLD,
                        color=palette.ON_DARK,
                        visible=bool(self.wide),  # on a phone the room goes to the status line
                    ),
                    ft.Text(
                        who,
                        color=palette.ON_DARK,
                        size=14,
                        expand=True,
                        visible=bool(self.wide),  # a phone-width bar keeps room for the status
                    ),
                    chip,
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )

    def layout(self) -> None:
        """(Re)build the frame for the current width and sign-in state."""
        width = self.page.width or 1024
        self.wide = width >= WIDE
        dests = destinations(self.state) if self.state.user else []
        index = next((i for i, d in enumerate(dests) if d.route == self.state.route), None)
        body: ft.Control = ft.Column([self.content], scroll=ft.ScrollMode.AUTO, expand=True)
        self.page.navigation_bar = None
        if dests and self.wide:
            rail = ft.NavigationRail(
                selected_index=index,
                label_type=ft.NavigationRailLabelType.ALL,
                min_width=96,
                destinations=[
                    ft.NavigationRailDestination(
                        icon=d.icon, selected_icon=d.selected, label=d.label
                    )
                    for d in dests
                ],
                on_change=lambda e: self.state.go(dests[e.control.selected_index].route),
            )
            body = ft.Row([rail, ft.VerticalDivider(width=1), body], expand=True, spacing=0)
        elif dests:
            self.page.navigation_bar = ft.NavigationBar(
                selected_index=index or 0,
                destinations=[
                    ft.NavigationBarDestination(
                        icon=d.icon, selected_icon=d.selected, label=d.label
                    )
                    for d in dests
                ],
                on_change=lambda e: self.state.go(dests[e.control.selected_index].route),
            )
        self.page.controls = [ft.Column([self._status_bar(), body], expand=True, spacing=0)]
        self.refresh_status(push=False)

    def on_resize(self) -> None:
        if ((self.page.width or 1024) >= WIDE) != self.wide:
            self.layout()
            self.page.update()

    # --- status line -----------------------------------------------------------------------
    def _synced(self) -> bool:
        return bool(getattr(self.state.sync, "last_synced_at", None))

    def refresh_status(self, push: bool = True) -> None:
        if self.state.user is None and self.state.route not in ("/signin", "/"):
            # Revoked, token expired or signed out elsewhere: back to sign-in, saying why.
            reason = getattr(self.state.sync, "last_error", None) or "You have been signed out."
            self.state.go("/signin", reason=str(reason))
            return
        if push and not self.had_data and self._synced():
            # The first download after signing in has landed: redraw the screen shown while
            # the tablet was still empty (screens without live areas would stay empty).
            self.had_data = True
            self.show(self.state.route, self.state.params)
            return
        self.had_data = self._synced()
        conn = connection(self.state.sync) if self.state.user else "signed out"
        self.status.value = status_text(self.state)
        self.status_icon.icon = {
            "online": ft.Icons.CLOUD_DONE,
            "syncing": ft.Icons.CLOUD_SYNC,
        }.get(conn, ft.Icons.CLOUD_OFF)
        if push:
            common.push(self.status, self.status_icon)

    # --- navigation ------------------------------------------------------------------------
    def unsaved(self, route: str, params: dict[str, str]) -> bool:
        """Whether leaving for ``route`` would lose changes the current form holds."""
        guard = self.state.leave_guard
        if guard is None or (route, params) == self.shown:
            return False
        try:
            return guard()
        except Exception:  # a broken guard must not trap the officer on a screen
            log.exception("leave guard failed")
            return False

    def ask_to_leave(self, route: str, params: dict[str, str]) -> None:
        """'Leave without saving?': Stay keeps the form as it is, Leave goes on to ``route``."""

        def stay(_: object) -> None:
            self.page.pop_dialog()

        def leave(_: object) -> None:
            self.page.pop_dialog()
            self.state.leave_guard = None
            self.state.go(route, **params)

        self.page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("Leave without saving?"),
                content=ft.Text("This form has changes that are not saved. They will be lost."),
                actions=[
                    common.button("Stay on the form", stay, ident="leave-stay"),
                    common.button(
                        "Leave without saving", leave, primary=False, ident="leave-discard"
                    ),
                ],  # fmt: skip
            )
        )

    def show(self, route: str, params: dict[str, str]) -> None:
        """Build the screen for ``route`` (after access checks) and put it on the page.

        A form with unsaved changes is not left at once: the officer is asked first, and the
        current screen (and route) stay until they choose to leave.
        """
        if self.unsaved(route, params):
            # ``state.go`` has already set the route it was asked for: the form stays.
            self.state.route, self.state.params = self.shown[0], dict(self.shown[1])
            self.ask_to_leave(route, params)
            return
        target = allowed(self.state, route)
        if target != route:
            params = {}
        self.state.leave_guard = None  # the new screen sets its own
        self.state.drop_listeners()  # the old screen's live areas stop listening
        self.state.route, self.state.params = target, dict(params)
        self.shown = (target, dict(params))
        view = self.routes.get(target)
        try:
            if view is None:
                raise LookupError(f"no screen for {target}")
            self.content.content = view(self.state, **params)
        except Exception as exc:
            log.exception("screen %s failed to build", target)
            self.content.content = common.banner(
                f"This screen could not be shown ({type(exc).__name__}: {exc}). "
                "Your data is safe; go back and try again.",
                ident="error-banner",
            )
        self.layout()
        self.page.update()
