"""Walk a Flet control tree built by a view, without a page or a browser.

Views return plain Flet dataclasses; these helpers find controls in them by type, label or
Semantics identifier, read their text, and call their handlers as a click would.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any, TypeVar

import flet as ft

C = TypeVar("C", bound=ft.BaseControl)
_CHILD_FIELDS = (
    "content",
    "controls",
    "title",
    "subtitle",
    "leading",
    "trailing",
    "label",
    "destinations",
)


def walk(root: Any) -> Iterator[ft.BaseControl]:
    """Every control under ``root`` (itself included), depth first."""
    if isinstance(root, list):
        for item in root:
            yield from walk(item)
        return
    if not isinstance(root, ft.BaseControl):
        return
    yield root
    for name in _CHILD_FIELDS:
        child = getattr(root, name, None)
        if isinstance(child, (ft.BaseControl, list)):
            yield from walk(child)


def of_type(root: Any, kind: type[C]) -> list[C]:
    return [c for c in walk(root) if isinstance(c, kind)]


def texts(root: Any) -> str:
    """All visible text under ``root``, one line per Text / field value."""
    out: list[str] = []
    for c in walk(root):
        if isinstance(c, ft.Text) and c.value:
            out.append(str(c.value))
        elif isinstance(c, (ft.FilledButton, ft.OutlinedButton, ft.Button)) and isinstance(
            c.content, str
        ):
            out.append(c.content)
    return "\n".join(out)


def field(root: Any, label: str) -> ft.TextField:
    found = [f for f in of_type(root, ft.TextField) if f.label == label]
    assert len(found) == 1, f"{len(found)} text fields labelled {label!r}"
    return found[0]


def by_id(root: Any, ident: str) -> ft.Control:
    """The control wrapped by ``Semantics(identifier=ident)``."""
    found = [s for s in of_type(root, ft.Semantics) if s.identifier == ident]
    assert len(found) == 1, f"{len(found)} controls with identifier {ident!r}"
    content = found[0].content
    assert isinstance(content, ft.Control)
    return content


def button(root: Any, text: str) -> ft.Control:
    found = [
        c
        for c in walk(root)
        if isinstance(c, (ft.FilledButton, ft.OutlinedButton, ft.Button)) and c.content == text
    ]
    assert len(found) == 1, f"{len(found)} buttons saying {text!r}"
    return found[0]


def fire(handler: Any, event: Any = None) -> Any:
    """Call an event handler as Flet would (awaiting it if it is a coroutine function)."""
    assert handler is not None, "no handler"
    result = handler(event) if inspect.signature(handler).parameters else handler()
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


def click(control: ft.Control) -> Any:
    return fire(getattr(control, "on_click"))  # noqa: B009


class Event:
    """The bit of a ControlEvent handlers read: ``e.control``."""

    def __init__(self, control: ft.Control) -> None:
        self.control = control


def type_into(control: ft.TextField, text: str) -> Any:
    control.value = text
    if control.on_change is not None:
        return fire(control.on_change, Event(control))
    return None
