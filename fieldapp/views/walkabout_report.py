"""A walkabout's report on its screen: "Open report" and "Share link".

The PDF is made by the server from what has synced (no personal data), so both need a
connection. "Open report" asks the server, with this tablet's own sign-in, for a link that
lives a few minutes and opens it in a new browser tab: in web mode the token stays in the
app process and the browser could not send it. "Share link" asks for the default week-long
link, which opens without signing in, and shows it to copy and send. Failures are shown as
a sentence (offline, not yet synced, signed out), never swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.sync.errors import ReportUnavailable
from fieldapp.views import common
from fieldapp.views.form_kit import section
from fieldapp.views.logic_forms import when

log = logging.getLogger(__name__)
OPEN_LINK_SECONDS = 300  # "Open report": long enough for the browser to open it


class ReportActions:
    """The report section of one walkabout's screen."""

    def __init__(self, state: AppState, walkabout_id: str) -> None:
        self.state = state
        self.walkabout_id = walkabout_id
        self.box = ft.Column(spacing=8)
        # Services are kept: they are dropped once nothing refers to them.
        self._launcher: ft.UrlLauncher | None = None
        self._clipboard: ft.Clipboard | None = None

    def _show(self, *controls: ft.Control) -> None:
        self.box.controls = list(controls)
        common.push(self.box)

    def _message(self, text: str, kind: str) -> ft.Control:
        return common.banner(text, kind=kind, ident="walkabout-report-message")

    async def _link(self, lifetime_seconds: int | None) -> Any:
        """A signed link to the report from the server (off the UI thread), or None."""
        self._show(self._message("Asking the server for the report…", "info"))
        try:
            return await asyncio.to_thread(
                self.state.report_link, self.walkabout_id, lifetime_seconds=lifetime_seconds
            )
        except ReportUnavailable as exc:
            self._show(self._message(exc.message, "error"))
        except Exception as exc:  # shown, not swallowed: the officer must know it failed
            log.exception("report link failed")
            problem = f"The report could not be had ({exc.__class__.__name__})."
            self._show(self._message(problem, "error"))
        return None

    async def open_report(self, _: Any = None) -> None:
        """Fetch a short-lived link with this device's sign-in and open it in the browser."""
        link = await self._link(OPEN_LINK_SECONDS)
        if link is None:
            return
        self._show(
            self._message("The report opens in a new tab. If it did not, use the link below.",
                          "ok"),
            ft.TextButton(content="Open the report (PDF)", url=link.url,
                          icon=ft.Icons.PICTURE_AS_PDF, height=common.TOUCH),
        )  # fmt: skip
        self._launcher = self._launcher or ft.UrlLauncher()
        await self._launcher.launch_url(link.url)

    async def share_link(self, _: Any = None) -> None:
        """A link that works without signing in, for a week, to send to a partner."""
        link = await self._link(None)
        if link is None:
            return
        self._show(
            self._message(f"Share link made: anyone with it can open the report (no personal "
                          f"data) until {when(link.expires_at)}.", "ok"),
            # Plain text: a selectable one is left out of the accessibility tree.
            ft.Semantics(identifier="walkabout-share-url", content=ft.Text(link.url, size=14)),
            common.button("Copy link", self._copier(link.url), icon=ft.Icons.COPY,
                          ident="walkabout-copy-link", primary=False),
        )  # fmt: skip

    def _copier(self, url: str) -> Callable[[Any], Coroutine[Any, Any, None]]:
        async def handler(_: Any = None) -> None:
            await self.copy(url)

        return handler

    async def copy(self, url: str) -> None:
        self._clipboard = self._clipboard or ft.Clipboard()
        await self._clipboard.set(url)
        self.state.toast("Share link copied")

    @property
    def control(self) -> ft.Control:
        return section(
            "Report",
            common.muted("The report (PDF, no personal data) opens when the tablet is online "
                         "and the walkabout has synced."),
            ft.Row([
                common.button("Open report", self.open_report, icon=ft.Icons.PICTURE_AS_PDF,
                              ident="walkabout-open-report"),
                common.button("Share link", self.share_link, icon=ft.Icons.SHARE,
                              ident="walkabout-share-link", primary=False),
            ], wrap=True, spacing=common.GAP),
            self.box,
        )  # fmt: skip
