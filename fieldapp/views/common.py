"""Small building blocks every screen uses: labelled inputs, big buttons, headings, live areas.

Tablet first: touch targets are at least 48 px high, every input carries a label (screen
readers and the browser tests find controls by it), and key buttons get a Semantics
``identifier``. ``live`` gives a screen an area that rebuilds itself when the data changes
(after a local write or a sync), without touching what the person is typing elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import palette, pickers

log = logging.getLogger(__name__)

TOUCH = 52  # px: comfortably above the 48 px minimum touch target
GAP = 12
# Colours of the palette, each checked at 4.5:1 or more against what it is drawn on.
OVERDUE = palette.OVERDUE
SOON = palette.SOON
OK = palette.OK
MUTED = palette.MUTED


def heading(text: str, *, level: int = 1) -> ft.Control:
    size = {1: 26, 2: 20, 3: 17}.get(level, 17)
    return ft.Semantics(
        header=True,
        heading_level=level,
        content=ft.Text(text, size=size, weight=ft.FontWeight.BOLD),
    )


def muted(text: str) -> ft.Text:
    return ft.Text(text, color=MUTED, size=14)


def field(
    label: str,
    *,
    value: str = "",
    password: bool = False,
    multiline: bool = False,
    hint: str | None = None,
    helper: str | None = None,
    on_submit: Callable[[Any], Any] | None = None,
    on_change: Callable[[Any], Any] | None = None,
    keyboard: ft.KeyboardType | None = None,
    autofocus: bool = False,
    width: float | None = None,
    future: bool = False,
) -> ft.TextField:
    """A labelled text field, big enough to hit with a thumb.

    A field with the ``DD/MM/YYYY`` (or ``DD/MM/YYYY HH:MM``) hint gets a date (and time)
    picker button too; it offers no day after today unless ``future`` (a due date).
    """
    box = ft.TextField(
        label=label,
        value=value,
        password=password,
        can_reveal_password=password,
        multiline=multiline,
        min_lines=3 if multiline else None,
        hint_text=hint,
        helper=helper,
        on_submit=on_submit,
        on_change=on_change,
        keyboard_type=keyboard or ft.KeyboardType.TEXT,
        autofocus=autofocus,
        width=width,
        text_size=17,
    )
    kind = pickers.kind_of(hint)
    if kind is not None:
        pickers.attach(box, with_time=kind == "datetime", past_only=not future)
    return box


def button(
    text: str,
    on_click: Callable[[Any], Any] | None,
    *,
    icon: ft.IconData | None = None,
    ident: str | None = None,
    primary: bool = True,
    danger: bool = False,
    disabled: bool = False,
) -> ft.Control:
    """A big button; ``ident`` becomes ``flt-semantics-identifier`` for the browser tests."""
    style = ft.ButtonStyle(
        padding=ft.Padding.symmetric(horizontal=20, vertical=14),
        bgcolor=palette.DANGER if danger else None,
        color=palette.ON_DARK if danger else None,
    )
    ctl: ft.Control
    if primary or danger:
        ctl = ft.FilledButton(content=text, icon=icon, on_click=on_click, style=style, height=TOUCH)
    else:
        ctl = ft.OutlinedButton(
            content=text, icon=icon, on_click=on_click, style=style, height=TOUCH
        )
    ctl.disabled = disabled
    if ident:
        return ft.Semantics(identifier=ident, content=ctl)
    return ctl


def banner(text: str, *, kind: str = "error", ident: str | None = None) -> ft.Control:
    """A visible message box (errors in red, information in blue, success in green)."""
    icons = {
        "error": ft.Icons.ERROR_OUTLINE,
        "info": ft.Icons.INFO_OUTLINE,
        "ok": ft.Icons.CHECK_CIRCLE_OUTLINE,
        "warn": ft.Icons.WARNING_AMBER,
    }
    kind = kind if kind in icons else "info"
    (bg, fg), icon = palette.BANNERS[kind], icons[kind]
    box = ft.Container(
        bgcolor=bg,
        border_radius=8,
        padding=ft.Padding.all(12),
        content=ft.Row(
            [ft.Icon(icon, color=fg), ft.Text(text, color=fg, size=15, expand=True)],
            spacing=10,
        ),
    )
    return ft.Semantics(identifier=ident, live_region=True, content=box) if ident else box


def card(
    controls: Sequence[ft.Control], *, on_click: Callable[[Any], Any] | None = None
) -> ft.Control:
    # Not one merged semantics node: each text stays readable (screen readers, browser tests).
    return ft.Card(
        semantic_container=False,
        bgcolor=palette.CARD,
        content=ft.Container(
            padding=ft.Padding.all(14),
            on_click=on_click,
            content=ft.Column(list(controls), spacing=6),
        ),
    )


def tile(
    title: str,
    subtitle: str = "",
    *,
    on_click: Callable[[Any], Any] | None = None,
    icon: ft.IconData | None = None,
    trailing: str = "",
    trailing_color: ft.ColorValue | None = None,
) -> ft.ListTile:
    """One row of a list, 56 px or more, tappable when ``on_click`` is given."""
    return ft.ListTile(
        title=ft.Text(title, size=17),
        subtitle=ft.Text(subtitle, size=14) if subtitle else None,
        leading=ft.Icon(icon) if icon else None,
        trailing=ft.Text(trailing, color=trailing_color, weight=ft.FontWeight.W_600, size=15)
        if trailing
        else None,
        on_click=on_click,
        min_height=56,
    )


def live(
    state: AppState, build: Callable[[], ft.Control], *, key: Callable[[], Any] | None = None
) -> ft.Container:
    """An area rebuilt by ``build`` whenever the state reports a change.

    With ``key``, the area is rebuilt only when ``key()`` gives something new, so a text
    field inside it keeps what is being typed through background sync ticks.
    """
    # The key is read before the build, here and in ``refresh``: a sync write landing while
    # the area is built (the sync thread does not wait for the screen) then differs from it
    # at the next notice and is drawn. Read after, it matched the new data while the build
    # showed the old (found under load: a PCSO's walkabouts list stayed "No walkabouts yet"
    # after the first sync had brought them).
    last = [key() if key else None]
    box = ft.Container(content=build())

    def refresh() -> None:
        if key is not None:
            now = key()
            if now == last[0]:
                return
            last[0] = now
        box.content = build()
        push(box)

    state.subscribe(refresh)
    return box


def push(*controls: ft.Control) -> None:
    """Send changed controls to the screen now (mid-handler), if they are on a page."""
    for ctl in controls:
        try:
            ctl.update()
        except (AssertionError, RuntimeError):
            log.debug("control not mounted; skipped update")
        except AttributeError:  # the browser's connection is closing (a reload, a closed tab)
            log.debug("connection closing; skipped update")
