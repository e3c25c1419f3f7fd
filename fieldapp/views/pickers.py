"""Date and time pickers beside the typed date fields of the forms.

Every field built by ``common.field`` with the ``DD/MM/YYYY`` or ``DD/MM/YYYY HH:MM`` hint gets
a calendar button (48 px or more, tooltip "Pick date for <label>") at its end. It opens
Flet's ``DatePicker`` and, for a date-time field, then its ``TimePicker`` (24-hour), and writes
the choice into the field in the same UK form an officer would type, then runs the field's
own change handler: the form sees a picked date exactly as a typed one. The field stays
typable; the picker is a shortcut, not the only way in.

Fields whose times may not lie ahead (report, incident and visit times, dates of birth)
offer no day after today (London): the guard on saving still judges the time of day.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, cast

import flet as ft

from fieldapp.views.logic_forms import (
    DATE_HINT,
    LOCAL,
    TIME_HINT,
    local_today,
    picked_day,
    picked_text,
    typed_moment,
)

log = logging.getLogger(__name__)

FIRST_DAY = date(1900, 1, 1)  # dates of birth of the oldest residents
LAST_DAY = date(2100, 12, 31)  # due dates of plans, when the future is allowed
TOUCH = 48


def london_today() -> date:
    return local_today(datetime.now(LOCAL))


def kind_of(hint: str | None) -> str | None:
    """``date`` or ``datetime`` for a field typed with the UK date hints, else None."""
    return {DATE_HINT: "date", TIME_HINT: "datetime"}.get(hint or "")


def attach(target: ft.TextField, *, with_time: bool, past_only: bool) -> Pick:
    """Put a picker button at the end of ``target``; the picker it opens fills it."""
    pick = Pick(target, with_time=with_time, past_only=past_only)
    target.suffix_icon = pick.button
    return pick


def of(target: ft.TextField) -> Pick | None:
    """The picker of a date field (None for a plain text field)."""
    button = target.suffix_icon
    found = getattr(button, "data", None)
    return found if isinstance(found, Pick) else None


class Pick:
    """The picker button of one date (or date-time) field, and the dialogs it opens.

    ``showing`` is the dialog last asked for (the browser shows it; a test built without a
    page reads it to answer as the officer would).
    """

    def __init__(
        self,
        target: ft.TextField,
        *,
        with_time: bool,
        past_only: bool,
        today: Callable[[], date] = london_today,
    ) -> None:
        self.target = target
        self.with_time = with_time
        self.past_only = past_only
        self.today = today
        self.day: date | None = None  # the day picked, waiting for its time
        self.showing: ft.DatePicker | ft.TimePicker | None = None
        self.icon = ft.Icon(
            ft.Icons.EDIT_CALENDAR if with_time else ft.Icons.CALENDAR_MONTH,
            semantics_label=self.label,  # the button's accessible name (a tooltip gives none)
        )
        self.button = ft.IconButton(
            icon=self.icon,
            tooltip=self.label,
            on_click=self.open,
            data=self,  # the field's picker, found from its button (tests, the browser)
            size_constraints=ft.BoxConstraints(min_width=TOUCH, min_height=TOUCH),
        )

    @property
    def label(self) -> str:
        """``Pick date for Due date 2``: read from the field, whose label may be renumbered."""
        return f"Pick {'date and time' if self.with_time else 'date'} for {self.target.label}"

    def relabel(self) -> None:
        """Say the field's current label in the button's tooltip (after a renumbering)."""
        self.button.tooltip = self.icon.semantics_label = self.label

    def last_day(self) -> date:
        return self.today() if self.past_only else LAST_DAY

    def open(self, _: Any = None) -> None:
        """Open the date picker on the day already typed (or today), within its limits."""
        typed = typed_moment(self.target.value, with_time=self.with_time)
        last = self.last_day()
        # Flutter refuses to open on a day outside first..last (an assertion in the dialog).
        start = min(max(typed.date() if typed else self.today(), FIRST_DAY), last)
        self.day = None
        self._show(
            ft.DatePicker(
                value=start,
                first_date=FIRST_DAY,
                last_date=last,
                current_date=self.today(),
                help_text=self.label,
                on_change=self._date_picked,
            )
        )

    def _date_picked(self, e: Any) -> None:
        day = picked_day(getattr(e.control, "value", None))
        if day is None:
            return
        if not self.with_time:
            self._fill(picked_text(day))
            return
        self.day = day
        typed = typed_moment(self.target.value, with_time=True)
        clock = typed.time() if typed else datetime.now(LOCAL).time()
        self._show(
            ft.TimePicker(
                value=time(clock.hour, clock.minute),
                hour_format=ft.TimePickerHourFormat.H24,
                help_text=f"Pick time for {self.target.label}",
                on_change=self._time_picked,
            )
        )

    def _time_picked(self, e: Any) -> None:
        clock = getattr(e.control, "value", None)
        if self.day is None or not isinstance(clock, time):
            return
        self._fill(picked_text(self.day, clock))
        self.day = None

    def _fill(self, text: str) -> None:
        """Write the choice into the field, then tell the form as typing would."""
        self.target.value = text
        handler = cast(Callable[..., Any] | None, self.target.on_change)
        if handler is not None:
            # The forms' change handlers are plain methods taking the event (or nothing).
            if inspect.signature(handler).parameters:
                handler(ft.Event("change", control=self.target, data=text))
            else:
                handler()
        try:
            self.target.update()
        except (AssertionError, RuntimeError, AttributeError):  # not on a page (a test)
            log.debug("date field not mounted; skipped update")

    def _show(self, dialog: ft.DatePicker | ft.TimePicker) -> None:
        self.showing = dialog
        try:
            page = self.target.page
        except RuntimeError:  # built without a page (tests): ``showing`` says what opened
            return
        page.show_dialog(dialog)
