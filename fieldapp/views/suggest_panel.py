"""The "Suggested actions" panel of the ATV and repair forms: confirm, or decline with a reason.

Each suggestion is a card: what, why (the rule's reason), the standing decision, a "Reason to
decline: <what>" field and two buttons (identifiers ``<prefix>-confirm-<action>`` and
``<prefix>-decline-<action>``). The form owns what a decision does (``on_decide``); the panel
only shows and reports, and shows the form's answer when a decision cannot be made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from fieldapp.domain.suggestions import Suggestion
from fieldapp.views import common
from fieldapp.views.logic_suggestions import Row, rows

# (action, confirmed, reason) -> None when done, else why not.
Decide = Callable[[str, bool, str | None], str | None]
_TONES = {"open": None, "confirmed": common.OK, "declined": common.SOON}


class SuggestionPanel:
    """Shows the suggestions of a form and passes the officer's decisions to it."""

    def __init__(self, prefix: str, on_decide: Decide) -> None:
        self.prefix = prefix
        self.on_decide = on_decide
        self.reasons: dict[str, ft.TextField] = {}
        self.body = ft.Column(spacing=8)
        self.control = ft.Column(
            [common.heading("Suggested actions", level=2), self.body], spacing=common.GAP
        )

    def show(self, suggested: Sequence[Suggestion], decisions: Any) -> None:
        shown = rows(suggested, decisions)
        # A reason being typed survives a refresh (the panel is rebuilt on every change).
        typed = {a: f.value for a, f in self.reasons.items()}
        # Each field is named for its suggestion: a screen reader (and a test) can tell them apart.
        self.reasons = {
            r.action: common.field(f"Reason to decline: {r.title}", value=typed.get(r.action) or "")
            for r in shown
        }
        self.body.controls = [self._card(r) for r in shown] or [
            common.muted("Nothing suggested for what is recorded so far.")
        ]

    def _card(self, row: Row) -> ft.Control:
        ident = f"{self.prefix}-suggestion-{row.action}"
        title = ft.Semantics(identifier=ident, content=ft.Text(row.title, size=17,
                                                               weight=ft.FontWeight.W_600))  # fmt: skip
        parts: list[ft.Control] = [title, ft.Text(row.reason, size=15)]
        if row.note:
            parts.append(ft.Text(row.note, size=15, color=_TONES[row.standing]))
        if row.standing != "confirmed":
            parts.append(self.reasons[row.action])
            parts.append(
                ft.Row([
                    common.button("Confirm", self._handler(row.action, True),
                                  ident=f"{self.prefix}-confirm-{row.action}"),
                    common.button("Decline", self._handler(row.action, False), primary=False,
                                  ident=f"{self.prefix}-decline-{row.action}"),
                ], wrap=True, spacing=8)
            )  # fmt: skip
        return common.card(parts)

    def _handler(self, action: str, confirmed: bool) -> Callable[[Any], bool]:
        def handle(_: Any) -> bool:
            field = self.reasons[action]
            problem = self.on_decide(action, confirmed, None if confirmed else field.value)
            field.error = problem
            if problem is None:
                field.value = ""
            return problem is None

        return handle
