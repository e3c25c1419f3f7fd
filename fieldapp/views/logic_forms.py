"""Plain helpers shared by the workflow forms: labels, reading typed input, showing times.

The walkabout, ASB, repair, ATV and property screens turn what an officer typed into wire
patches and show computed results next to the fields. What they have in common lives here,
with no Flet, so each rule is unit-tested as a table: reading a local time or a sum of money,
naming a value set's items, mapping the store's field errors to the fields, keeping only the
fields that changed (an unchanged field sent again could raise a needless conflict).
Times are entered and shown in Europe/London; the wire holds UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fieldapp.domain.guards import FUTURE_TIME
from fieldapp.domain.policy import DEFAULT_POLICY, Policy
from fieldapp.domain.wire import parse_day, parse_time
from fieldapp.ids import to_wire
from fieldapp.sync.protocol import FieldError
from fieldapp.views.logic_patch import due_label, urgency

LOCAL = ZoneInfo("Europe/London")
TIME_HINT = "DD/MM/YYYY HH:MM"
DATE_HINT = "DD/MM/YYYY"

Tone = Literal["ok", "info", "warn", "alert"]
_TONES: Mapping[str, Tone] = {"overdue": "alert", "due_soon": "warn"}

# Words that a plain "replace underscores" would get wrong.
_WORDS: Mapping[str, str] = {
    "mmf": "MMF",
    "asb": "ASB",
    "pcso": "PCSO",
    "id": "ID",
}


def label(key: str | None) -> str:
    """A wire value as words: ``fly_tipping`` -> ``Fly tipping``, ``pcso`` -> ``PCSO``."""
    if not key:
        return ""
    words = [_WORDS.get(w, w) for w in key.split("_")]
    first = words[0] if words[0] in _WORDS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def options(
    values: Iterable[str], labels: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """``(key, text)`` pairs for a dropdown, in the value set's own order."""
    names = labels or {}
    return [(v, names.get(v) or label(v)) for v in values]


@dataclass(frozen=True)
class Line:
    """One computed result shown beside a form: what, its value, why, and how pressing."""

    title: str
    value: str
    reason: str = ""
    tone: Tone = "info"


@dataclass
class FormResult:
    """A patch built from typed input, and the problems found in it per field."""

    patch: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def time(self, name: str, text: str | None, *, required: bool = False) -> str | None:
        """Field ``name`` typed as London wall-clock time, as a wire time; None when blank
        or unreadable, with the problem (or "Required") noted against the field."""
        moment, problem = parse_local_time(text)
        if problem:
            self.errors[name] = problem
        elif moment is None and required:
            self.errors[name] = "Required"
        return moment


# --- reading typed input -------------------------------------------------------------------
# UK order first (what officers type and read); ISO (``2026-06-10 21:30``) is still read.
_UK_TIME_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ISO_TIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _time_parts(raw: str) -> tuple[int, ...] | None:
    uk = _UK_TIME_RE.match(raw)
    if uk is not None:
        d, mo, y, h, mi, s = (int(g) if g else 0 for g in uk.groups())
        return y, mo, d, h, mi, s
    iso = _ISO_TIME_RE.match(raw)
    return None if iso is None else tuple(int(g) if g else 0 for g in iso.groups())


def parse_local_time(text: str | None) -> tuple[str | None, str | None]:
    """``10/06/2026 21:30`` (London wall clock, day first; or ``2026-06-10 21:30``) ->
    (wire UTC time, None); blank -> (None, None).

    Returns (None, message) when the text cannot be read, so the field can say why.
    """
    raw = (text or "").strip()
    if not raw:
        return None, None
    parts = _time_parts(raw)
    if parts is None:
        return None, f"Enter a date and time as {TIME_HINT}, e.g. 10/06/2026 21:30"
    y, mo, d, h, mi, s = parts
    try:
        moment = datetime(y, mo, d, h, mi, s, tzinfo=LOCAL)
    except ValueError:
        return None, f"No such date or time: {raw}"
    return to_wire(moment), None


def time_input(value: Any) -> str:
    """A wire time as the text a time field shows (``10/06/2026 21:30``, London)."""
    moment = parse_time(value)
    return "" if moment is None else moment.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def parse_date_input(text: str | None) -> tuple[str | None, str | None]:
    """``09/03/2014`` (day first; or ``2014-03-09``) -> (ISO date, None); blank -> (None, None)."""
    raw = (text or "").strip()
    if not raw:
        return None, None
    uk, iso = _UK_DATE_RE.match(raw), _ISO_DATE_RE.match(raw)
    if uk is not None:
        d, m, y = (int(g) for g in uk.groups())
    elif iso is not None:
        y, m, d = (int(g) for g in iso.groups())
    else:
        return None, f"Enter a date as {DATE_HINT}, e.g. 09/03/2014"
    try:
        return date(y, m, d).isoformat(), None
    except ValueError:
        return None, f"No such date: {raw}"


def date_input(value: Any) -> str:
    """A wire date (``2014-03-09``) as the text a date field shows (``09/03/2014``)."""
    day = parse_day(value)
    return "" if day is None else day.strftime("%d/%m/%Y")


# --- what the pickers give back ---------------------------------------------------------------
def picked_day(value: object) -> date | None:
    """The calendar day a date picker chose, whatever form it came back in.

    Flutter picks a local midnight; Flet sends datetimes as UTC, so 10 June picked in a
    browser at UTC+1 arrives as 9 June 23:00Z. The nearest UTC midnight is the day picked
    (right for any browser within 12 hours of UTC); a naive value or a date is taken as is.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return (value.astimezone(UTC) + timedelta(hours=12)).date()
    if isinstance(value, date):
        return value
    return None


def picked_text(day: date, clock: time | None = None) -> str:
    """What a picker writes in its field: ``10/06/2026``, or ``10/06/2026 21:30`` with a time."""
    text = day.strftime("%d/%m/%Y")
    return text if clock is None else f"{text} {clock.strftime('%H:%M')}"


def typed_moment(text: str | None, *, with_time: bool) -> datetime | None:
    """The London wall-clock moment already typed in a date or time field, to open its
    picker on (None when blank or unreadable: the picker then opens on today)."""
    if with_time:
        wire, _ = parse_local_time(text)
        moment = parse_time(wire)
        return None if moment is None else moment.astimezone(LOCAL)
    day = parse_day(parse_date_input(text)[0])
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def local_today(now: datetime) -> date:
    """The London calendar day at ``now`` (the last day a past-only picker offers)."""
    return now.astimezone(LOCAL).date()


def parse_money(
    text: str | None, *, allow_negative: bool = False
) -> tuple[float | None, str | None]:
    """``£1,234.50`` -> (1234.5, None); blank -> (None, None); junk -> (None, message)."""
    raw = (text or "").strip().replace("£", "").replace(",", "").strip()
    if not raw:
        return None, None
    try:
        amount = float(raw)
    except ValueError:
        return None, "Enter an amount in pounds, e.g. 125.50"
    if amount != amount or amount in (float("inf"), float("-inf")):
        return None, "Enter an amount in pounds, e.g. 125.50"
    if amount < 0 and not allow_negative:
        return None, "The amount cannot be negative"
    return round(amount, 2), None


def money(value: Any) -> str:
    """An amount as the text a money field shows (``125.5`` -> ``125.50``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value:.2f}"


def blank_to_none(text: str | None) -> str | None:
    """Typed text with its edges trimmed; an empty field is None (no value), not ``""``."""
    trimmed = (text or "").strip()
    return trimmed or None


# --- errors and changes --------------------------------------------------------------------
def field_messages(errors: Sequence[FieldError]) -> dict[str, str]:
    """The store's field errors as one message per field, worded for the officer."""
    out: dict[str, str] = {}
    for e in errors:
        if e.code == FUTURE_TIME:
            message = "Cannot be in the future: check the date and time"
        elif e.message.endswith(" is required"):
            message = "Required"
        else:
            message = e.message
        out[e.field] = f"{out[e.field]}; {message}" if e.field in out else message
    return out


def changed(record: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``patch`` whose value differs from ``record`` (all of them when new).

    A missing field and None are the same "no value"; lists and objects compare as given.
    """
    if record is None:
        return dict(patch)
    return {k: v for k, v in patch.items() if record.get(k) != v}


# --- showing times -------------------------------------------------------------------------
def when(value: Any) -> str:
    """A wire time as ``Wed 10 Jun 2026 21:30`` (London), or ``""`` when there is none."""
    moment = parse_time(value)
    return "" if moment is None else moment.astimezone(LOCAL).strftime("%a %d %b %Y %H:%M")


def due_text(value: Any, now: datetime) -> str:
    """``Wed 10 Jun 2026 23:59 (due in 3 h)``; ``overdue by 2 days``; ``""`` with no time."""
    if parse_time(value) is None:
        return ""
    return f"{when(value)} ({due_label(value, now)})"


def due_tone(value: Any, now: datetime) -> Tone:
    """``alert`` once overdue, ``warn`` once due soon (``Policy.due_soon_hours``), else ``info``."""
    return _TONES.get(urgency(value, now), "info")


def policy_of(state: object) -> Policy:
    """The landlord's policy if the app state carries one, else the defaults."""
    found = getattr(state, "policy", None)
    return found if isinstance(found, Policy) else DEFAULT_POLICY


def saved_line(what: str, status: str | None, last_error: str | None = None) -> str:
    """What a form says once ``what`` is saved, by the sync ``status``: it is on this tablet
    at once; with a connection it is being sent now, without one it waits for one.

    A round under way (``syncing``) after one that failed (``last_error``) has no connection
    yet as far as anyone knows (found on a walk: a case saved just after an observation, with
    the server down, was "being sent to the server now")."""
    if status == "online" or (status == "syncing" and last_error is None):
        return f"{what} saved on this tablet and being sent to the server now."
    return f"{what} saved on this tablet. It will be sent when there is a connection."
