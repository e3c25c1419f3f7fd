"""Form pieces of the workflow screens: dropdowns, checkboxes, grids, errors, results, photos.

Builds on ``common`` (fields, buttons, banners) with what the data-entry screens need:
dropdowns wrapped in ``Semantics(label=...)`` (Flutter gives a Dropdown no accessible name of
its own), a tablet grid (two columns from ``md`` up, one on a phone), field errors placed
under their fields, the computed-result panel, saving through ``AppState`` with the store's
validation errors mapped back to the fields, and photos (picker, thumbnails). Also ``walk``
and ``find``, which look controls up by label or identifier in a built screen (tests, and
focusing the first error).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import flet as ft

from fieldapp.domain.geo import by_distance
from fieldapp.ids import new_id
from fieldapp.photos import PhotoError
from fieldapp.state import AppState
from fieldapp.store.errors import StoreError, ValidationError
from fieldapp.views import common, palette, photo_viewer
from fieldapp.views.logic_forms import Line, field_messages, saved_line
from fieldapp.views.logic_patch import Places, reference_of

log = logging.getLogger(__name__)

NONE_KEY = "__none__"  # the "nobody / not recorded" choice of a dropdown
TONE_COLOURS = {
    "ok": common.OK,
    "warn": common.SOON,
    "alert": common.OVERDUE,
    "info": None,
}
Handler = Callable[[Any], Any]


# --- inputs --------------------------------------------------------------------------------
def dropdown(
    label: str,
    choices: Sequence[tuple[str, str]],
    value: str | None = None,
    *,
    on_select: Handler | None = None,
    none_text: str | None = None,
) -> ft.Dropdown:
    """A labelled dropdown; ``none_text`` adds a first choice meaning "none"."""
    opts = [ft.DropdownOption(key=NONE_KEY, text=none_text)] if none_text else []
    opts += [ft.DropdownOption(key=k, text=t) for k, t in choices]
    keys = {o.key for o in opts}
    chosen = value if value in keys else (NONE_KEY if none_text else None)
    return ft.Dropdown(
        label=label,
        options=opts,
        value=chosen,
        on_select=on_select,
        expand=True,
        text_size=17,
        # Tall enough to hit with a thumb (at least 48 px) even in a narrow grid cell.
        content_padding=ft.Padding.symmetric(horizontal=12, vertical=16),
    )


def set_choices(
    dd: ft.Dropdown, choices: Sequence[tuple[str, str]], *, none_text: str | None = None
) -> None:
    """Replace a dropdown's choices, keeping its value when still offered."""
    opts = [ft.DropdownOption(key=NONE_KEY, text=none_text)] if none_text else []
    opts += [ft.DropdownOption(key=k, text=t) for k, t in choices]
    dd.options = opts
    if dd.value not in {o.key for o in opts}:
        dd.value = NONE_KEY if none_text else None


def value_of(dd: ft.Dropdown) -> str | None:
    """The chosen key, None for nothing or the "none" choice."""
    return None if dd.value in (None, "", NONE_KEY) else str(dd.value)


def checkbox(label: str, value: bool = False, *, on_change: Handler | None = None) -> ft.Checkbox:
    return ft.Checkbox(label=label, value=value, on_change=on_change, height=common.TOUCH)


def labelled(control: ft.Control) -> ft.Control:
    """The control as placed on screen: a Dropdown inside ``Semantics`` carrying its label."""
    if isinstance(control, ft.Dropdown):
        text = control.label if isinstance(control.label, str) else None
        return ft.Semantics(label=text, content=control)
    if isinstance(control, ft.Checkbox):
        # In a grid cell a bare Checkbox is stretched to the cell's width, label and all.
        return ft.Container(content=control, alignment=ft.Alignment.CENTER_LEFT)
    return control


def grid(*controls: ft.Control, md: int = 6) -> ft.ResponsiveRow:
    """Fields side by side on a tablet (``md`` of 12 columns each), stacked on a phone."""
    cells = []
    for c in controls:
        cell = labelled(c)
        cell.col = {"xs": 12, "md": md}
        if cell.key is None:  # a field in error is scrolled to by its cell's key (``focus``)
            cell.key = ft.ScrollKey(f"field-{id(cell)}")  # type: ignore[call-arg]
        cells.append(cell)
    return ft.ResponsiveRow(cells, spacing=common.GAP, run_spacing=common.GAP)


def section(title: str, *controls: ft.Control) -> ft.Control:
    """A titled group of a form."""
    return ft.Column([common.heading(title, level=2), *controls], spacing=common.GAP)


# --- errors and saving ---------------------------------------------------------------------
def show_errors(fields: Mapping[str, ft.Control], errors: Mapping[str, str]) -> list[str]:
    """Put each message under its field (and clear the others); messages with no field back.

    The first field in error (in the form's order) takes the focus, which scrolls it into
    view: the message at the foot of a long form is no use while the red field is off screen.
    """
    first: ft.Control | None = None
    for name, control in fields.items():
        message = errors.get(name)
        if isinstance(control, ft.Dropdown):
            control.error_text = message
        elif isinstance(control, ft.TextField):
            control.error = message
        if message:
            _clear_when_changed(control)
        if message and first is None:
            first = control
    if first is not None:
        focus(first)
    return [f"{name}: {msg}" for name, msg in errors.items() if name not in fields]


def _clear_when_changed(control: ft.Control) -> None:
    """Take a field's message away as soon as the person changes the field, before any save:
    found on a walk, a red "Required" stayed under a category already chosen, and the officer
    could not tell what was still wrong."""
    if not isinstance(control, ft.Dropdown | ft.TextField):
        return
    attr = "on_select" if isinstance(control, ft.Dropdown) else "on_change"
    inner = getattr(control, attr)
    if getattr(inner, "clears_error", False):
        return
    takes_event = inner is not None and bool(inspect.signature(inner).parameters)

    def clear() -> None:
        if isinstance(control, ft.Dropdown):
            control.error_text = None
        else:
            control.error = None

    def handler(e: Any = None) -> Any:
        clear()
        if inner is None:
            return None
        return inner(e) if takes_event else inner()

    async def async_handler(e: Any = None) -> Any:
        clear()
        return await (inner(e) if takes_event else inner())

    chosen: Any = async_handler if inspect.iscoroutinefunction(inner) else handler
    chosen.clears_error = True
    setattr(control, attr, chosen)


def attempt(call: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Run one store call through the state; (record, {}) or (None, messages per field)."""
    try:
        return call(), {}
    except ValidationError as exc:
        return None, field_messages(exc.errors)
    except StoreError as exc:
        return None, {"_": str(exc)}


def focus(control: ft.Control) -> bool:
    """Scroll ``control`` into view and give it the focus; False when it is not on a page (a
    screen built in a test) or the session is gone.

    The scrolling is explicit: a text field scrolls itself into view when it gains the focus,
    but not when it had it already, and a dropdown never does.
    """
    try:
        page = control.page
    except RuntimeError:  # not mounted
        return False
    target: Any = control
    while target is not None and not isinstance(target.parent, ft.Column | ft.ResponsiveRow):
        target = target.parent  # up to the cell of the form's grid or column
    scroller: Any = control.parent
    while scroller is not None and not getattr(scroller, "scroll", None):
        scroller = scroller.parent
    try:
        if target is not None and scroller is not None:
            if not isinstance(target.key, ft.ScrollKey):  # not in a ``grid``: keyed now
                target.key = ft.ScrollKey(f"field-{id(target)}")  # type: ignore[call-arg]
                target.update()  # the key must be on the page before the scroll looks for it
            key = target.key.value
            page.run_task(scroller.scroll_to, scroll_key=key, duration=300)
        focuser = getattr(control, "focus", None)
        if focuser is not None:
            page.run_task(focuser)
    except (RuntimeError, AttributeError):  # the session is gone
        return False
    return True


def write(
    state: AppState, entity: str, patch: dict[str, Any], *, record_id: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Create (or update) through the state; (record, {}) or (None, messages per field).

    Nothing typed is touched on failure: the caller leaves the form as it is.
    """
    if record_id is None:
        return attempt(lambda: state.create(entity, patch))
    return attempt(lambda: state.update(entity, record_id, patch))


def live_heading(
    state: AppState,
    entity: str,
    record: Callable[[], Mapping[str, Any] | None],
    title: Callable[[Mapping[str, Any] | None], str],
) -> ft.Container:
    """A form's heading, ``title`` of its record as stored, drawn again when a sync brings
    the record's reference (``ASB case (reference not yet sent)`` becomes ``ASB case
    ASB-2026-0042`` while the form is open)."""

    def stored() -> Mapping[str, Any] | None:
        held = record()
        return None if held is None else state.get(entity, str(held["id"])) or held

    return common.live(
        state,
        lambda: common.heading(title(stored())),
        key=lambda: reference_of(stored() or {}),
    )


def saved_message(state: AppState, what: str) -> str:
    """The form's line once ``what`` is saved, true to the connection as it stands."""
    sync = state.sync
    return saved_line(what, getattr(sync, "status", None), getattr(sync, "last_error", None))


class Unsaved:
    """Whether a form's inputs changed since it was opened or last saved (the leave guard).

    Compares the inputs' values with a snapshot, so typing a value and deleting it again is
    no change. ``saved()`` takes a new snapshot.
    """

    def __init__(self, controls: Iterable[ft.Control]) -> None:
        self.controls = list(controls)
        self.snapshot = self._values()

    def _values(self) -> list[Any]:
        return [getattr(c, "value", None) for c in self.controls]

    def saved(self) -> None:
        self.snapshot = self._values()

    def __call__(self) -> bool:
        return self._values() != self.snapshot


def guard_leaving(state: AppState, root: ft.Control) -> Unsaved:
    """Watch every enabled input of a built form; the shell asks before leaving it changed."""
    inputs = [
        c for c in walk(root)
        if isinstance(c, (ft.TextField, ft.Dropdown, ft.Checkbox)) and not c.disabled
    ]  # fmt: skip
    unsaved = Unsaved(inputs)
    state.leave_guard = unsaved
    return unsaved


class Feedback:
    """The message box at the foot of a form: what went wrong, or that it was saved."""

    def __init__(self, ident: str) -> None:
        self.ident = ident
        self.box = ft.Container()

    def error(self, messages: Iterable[str]) -> None:
        text = " ".join(m.removeprefix("_: ") for m in messages)
        self.box.content = common.banner(text, kind="error", ident=self.ident) if text else None

    def ok(self, text: str) -> None:
        self.box.content = common.banner(text, kind="ok", ident=self.ident)

    def clear(self) -> None:
        self.box.content = None


# --- computed results ----------------------------------------------------------------------
def slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def result_rows(lines: Sequence[Line], *, prefix: str) -> list[ft.Control]:
    """One row per computed result: title, value (coloured by urgency), reason beneath."""
    rows: list[ft.Control] = []
    for line in lines:
        parts: list[ft.Control] = [ft.Text(line.title, weight=ft.FontWeight.BOLD, size=16)]
        if line.value:
            parts.append(
                ft.Text(
                    line.value,
                    size=16,
                    color=TONE_COLOURS.get(line.tone),
                    weight=ft.FontWeight.W_600 if line.tone != "info" else None,
                )
            )
        body: list[ft.Control] = [ft.Row(parts, spacing=10, wrap=True)]
        if line.reason:
            body.append(common.muted(line.reason))
        # "Why: the reason", never "Why: . the reason" when a line has no value of its own.
        said = (
            f"{line.title}: {line.value}. {line.reason}".strip()
            if line.value
            else f"{line.title}: {line.reason}"
        )
        rows.append(
            ft.Semantics(
                identifier=f"{prefix}-{slug(line.title)}",
                label=said,
                live_region=True,
                content=ft.Column(body, spacing=2),
            )
        )
    return rows


class Results:
    """A panel of computed results, refreshed in place as the form changes."""

    def __init__(self, title: str, *, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[Line] = []
        self.column = ft.Column(spacing=10)
        self.control = ft.Container(
            bgcolor=palette.CARD,
            border_radius=10,
            padding=ft.Padding.all(14),
            content=ft.Column([common.heading(title, level=2), self.column], spacing=8),
        )

    def show(self, lines: Sequence[Line]) -> None:
        self.lines = list(lines)
        self.column.controls = result_rows(self.lines, prefix=self.prefix)

    def value(self, title: str) -> str:
        """The value shown for ``title`` (tests and the browser read the same text)."""
        return next((line.value for line in self.lines if line.title == title), "")

    def reason(self, title: str) -> str:
        return next((line.reason for line in self.lines if line.title == title), "")


# --- photos --------------------------------------------------------------------------------
def add_photos(
    state: AppState,
    *,
    parent_entity: str,
    parent_id: str,
    files: Iterable[tuple[str, bytes | None]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Store each picked file as a photo of the parent; (photos added, messages for the rest)."""
    added: list[dict[str, Any]] = []
    problems: list[str] = []
    for name, data in files:
        if not data:
            problems.append(f"{name}: the file could not be read")
            continue
        try:
            added.append(
                state.add_photo(parent_entity=parent_entity, parent_id=parent_id, data=data)
            )
        except PhotoError as exc:
            problems.append(f"{name}: {exc.message}")
        except StoreError as exc:
            problems.append(f"{name}: {exc}")
    return added, problems


async def pick_photos(
    state: AppState, *, parent_entity: str, parent_id: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Ask for image files (camera roll / files) and store them; see ``add_photos``."""
    picker = ft.FilePicker()  # a service: kept referenced by this frame while it is awaited
    files = await picker.pick_files(
        file_type=ft.FilePickerFileType.IMAGE, allow_multiple=True, with_data=True
    )
    return add_photos(
        state,
        parent_entity=parent_entity,
        parent_id=parent_id,
        files=[(f.name, f.bytes) for f in files or []],
    )


def thumbnail_source(state: AppState, photo: Mapping[str, Any]) -> bytes | None:
    """The thumbnail bytes of a photo on this tablet, or None (not downloaded, or no file).

    Bytes, not a path: in web mode an ``ft.Image`` path is a URL on the app's server, which
    does not serve the tablet's data folder.
    """
    return photo_viewer.thumbnail(state, photo)


def photo_strip(
    state: AppState,
    photos: Sequence[Mapping[str, Any]],
    *,
    load: Callable[[], Sequence[Mapping[str, Any]]] | None = None,
) -> ft.Control:
    """Thumbnails ("Not downloaded yet" where the picture is not here); a tap opens it."""
    return photo_viewer.PhotoStrip(state, photos, load=load)


# --- finding controls in a built screen ----------------------------------------------------
def walk(root: Any) -> Iterator[Any]:
    """Every control under ``root`` (depth first), following content/controls/options."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        kids: list[Any] = []
        for attr in ("content", "controls", "leading", "title", "subtitle", "trailing"):
            value = getattr(node, attr, None)
            if isinstance(value, ft.BaseControl):
                kids.append(value)
            elif isinstance(value, list):
                kids += [v for v in value if isinstance(v, ft.BaseControl)]
        stack.extend(reversed(kids))


def find(root: Any, *, label: str | None = None, ident: str | None = None) -> Any:
    """The first control with this label (input) or Semantics identifier; KeyError if none."""
    for node in walk(root):
        if label is not None and getattr(node, "label", None) == label:
            if not isinstance(node, ft.Semantics):
                return node
        if ident is not None and getattr(node, "identifier", None) == ident:
            content = getattr(node, "content", None)
            return content if content is not None else node
    raise KeyError(label or ident)


# --- choosing a property -------------------------------------------------------------------
def property_text(prop: Mapping[str, Any]) -> str:
    postcode = prop.get("postcode")
    address = str(prop.get("address") or prop.get("id"))
    return f"{address}, {postcode}" if postcode else address


def spot_of(
    record: Mapping[str, Any] | None, observation: Mapping[str, Any] | None, start: Any
) -> Mapping[str, Any] | None:
    """Where a case or repair form's finding was made, for ``PropertyPicker(spot=…)``: the
    saved record, or a new one raised from a walkabout ``observation`` at its position
    (``start``: the form's prefilled inputs, with ``lat`` and ``lon``)."""
    if record is not None:
        return record
    if observation is None:
        return None
    return {"lat": start.lat, "lon": start.lon, "observation_id": observation.get("id")}


class PropertyPicker:
    """A search box and a dropdown of the homes found (nearest homes before any search)."""

    def __init__(
        self,
        state: AppState,
        value: str | None,
        *,
        label: str = "Property",
        none_text: str | None = "No property (communal area)",
        on_change: Callable[[str | None], None] | None = None,
        spot: Mapping[str, Any] | None = None,
    ) -> None:
        self.state = state
        self.none_text = none_text
        self.on_change = on_change
        # A finding made at a walkabout spot (its ``lat``/``lon``, its ``observation_id``):
        # with no home chosen, ``spot_line`` (placed by the form under the picker) says where
        # the spot is.
        self.spot = spot
        self.spot_line = ft.Text("", color=palette.MUTED, size=14, visible=False)
        self.found: dict[str, Mapping[str, Any]] = {}
        self.search = common.field(
            "Find property", hint="Address, postcode or UPRN", on_change=self._searched
        )
        self.dropdown = dropdown(label, [], None, on_select=self._picked, none_text=none_text)
        chosen = state.get("property", value) if value else None
        self._offer([chosen, *self._nearby()])
        self.dropdown.value = value if chosen else self.dropdown.value
        self._show_spot()

    def _show_spot(self) -> None:
        text = ""
        if self.spot is not None and not self.value:
            where = Places(self.state.all("property"), self.state.all("observation"))
            text = where.label({k: v for k, v in self.spot.items() if k != "property_id"})
            if text.startswith("Walkabout spot"):
                text += ": no home chosen, so it is filed at the spot"
            else:
                text = ""
        self.spot_line.value, self.spot_line.visible = text, bool(text)

    def _nearby(self, limit: int = 15) -> list[Mapping[str, Any]]:
        where = self.state.position()
        if where is None:
            return []
        return [p for _, p in by_distance(where[0], where[1], self.state.all("property"))][:limit]

    def _offer(self, props: Iterable[Mapping[str, Any] | None]) -> None:
        current = self.value
        keep = {current: self.found[current]} if current in self.found else {}
        self.found = keep | {str(p["id"]): p for p in props if p and p.get("id")}
        set_choices(
            self.dropdown,
            [(pid, property_text(p)) for pid, p in self.found.items()],
            none_text=self.none_text,
        )

    def _searched(self, _: Any = None) -> None:
        text = self.search.value or ""
        self._offer(
            self.state.search_properties(text, limit=25) if text.strip() else self._nearby()
        )

    def _picked(self, _: Any = None) -> None:
        self._show_spot()
        if self.on_change is not None:
            self.on_change(self.value)

    @property
    def value(self) -> str | None:
        return value_of(self.dropdown)

    @property
    def controls(self) -> list[ft.Control]:
        return [self.search, self.dropdown]


def goto(state: AppState, route: str, **params: str) -> Handler:
    """A click handler that navigates (a closure, so a loop's values are captured)."""

    def handler(_: Any = None) -> None:
        state.go(route, **params)

    return handler


def new_record(state: AppState, route: str, **params: str) -> Handler:
    """A click handler opening a create form under a fresh ``draft`` id (see
    ``raised.draft_id``): made at the tap, so each visit to the button starts a new record."""

    def handler(_: Any = None) -> None:
        state.go(route, **params, draft=new_id())

    return handler
