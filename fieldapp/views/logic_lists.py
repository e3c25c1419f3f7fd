"""The lists of My patch as plain functions: filters, sort, "show all", keyword search.

Cases and repairs are filtered by clock (overdue, due soon), by ASB category or repair
priority and by estate (the ATVs due by estate and clock too), and sorted by due time or by
when they were reported. Keyword search looks in case and repair descriptions (personal text:
officers and managers only, never partners, whose tablets do not hold it anyway). No Flet:
each rule is tested as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from fieldapp.sync.protocol import STAFF_ROLES
from fieldapp.views.logic_overview import repair_title
from fieldapp.views.logic_patch import case_title, repair_reference_title, urgency

When = Literal["all", "overdue", "due_soon"]
Sort = Literal["due", "newest", "oldest"]
WHEN_OPTIONS = [("all", "All"), ("overdue", "Overdue"), ("due_soon", "Due soon")]
SORT_OPTIONS = [("due", "Due first"), ("newest", "Newest first"), ("oldest", "Oldest first")]
SHORT_LIST = 10  # rows shown before "Show all"


@dataclass(frozen=True)
class ListFilter:
    """What the officer chose above the lists."""

    when: When = "all"
    estate: str | None = None
    category: str | None = None  # ASB category (cases) or repair priority (repairs)
    sort: Sort = "due"
    show_all: bool = False

    def with_(self, **changes: Any) -> ListFilter:
        return replace(self, **changes)


def _reported(record: Mapping[str, Any]) -> str:
    return str(record.get("received_at") or record.get("reported_at") or "")


def filtered(
    records: Iterable[Mapping[str, Any]],
    chosen: ListFilter,
    *,
    homes: Mapping[str, Mapping[str, Any]],
    category_field: str,
    now: datetime,
) -> list[Mapping[str, Any]]:
    """The records that pass the filter, in the chosen order (all of them; see ``shown``)."""
    out = []
    for r in records:
        clock = urgency(r.get("due_at"), now)
        if chosen.when != "all" and clock != chosen.when:
            continue
        if chosen.category and r.get(category_field) != chosen.category:
            continue
        home = homes.get(str(r.get("property_id") or ""), {})
        if chosen.estate and home.get("estate") != chosen.estate:
            continue
        out.append(r)
    if chosen.sort == "due":  # no clock last, then soonest due first
        out.sort(key=lambda r: (r.get("due_at") is None, str(r.get("due_at") or "")))
    else:
        out.sort(key=_reported, reverse=chosen.sort == "newest")
    return out


def atvs_filtered(
    due: Iterable[tuple[Mapping[str, Any], date | None]], chosen: ListFilter, *, today: date
) -> list[tuple[Mapping[str, Any], date | None]]:
    """The ATVs due (``logic_patch.atvs_due``: home, due date) that pass the same filter as
    the cases and repairs: the estate; "Overdue" keeps those due before ``today`` or never
    visited, "Due soon" those not overdue yet. An ATV has no category: that choice leaves
    them all."""
    out = []
    for home, day in due:
        if chosen.estate and home.get("estate") != chosen.estate:
            continue
        overdue = day is None or day < today
        if (chosen.when == "overdue" and not overdue) or (chosen.when == "due_soon" and overdue):
            continue
        out.append((home, day))
    return out


def shown(records: Sequence[Mapping[str, Any]], chosen: ListFilter) -> list[Mapping[str, Any]]:
    """The rows on screen: the first ``SHORT_LIST`` until "Show all" is chosen."""
    return list(records) if chosen.show_all else list(records[:SHORT_LIST])


def estates(homes: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(h["estate"]) for h in homes if h.get("estate")})


def snippet_at(text: str, word: str, width: int = 60) -> str:
    """At most ``width`` characters of ``text`` showing where ``word`` is found in it, cut
    between words where one is near, with an ellipsis where text was left out."""
    if len(text) <= width:
        return text
    start = max(0, text.lower().find(word) - 20)
    end = start + width - 1 - (start > 0)  # room for the ellipses
    if end >= len(text):  # the match is near the end: show the whole tail
        start, end = len(text) - (width - 1), len(text)
    if start and text[start - 1] != " " and 0 <= text.find(" ", start) < start + 15:
        start = text.find(" ", start) + 1  # begin at a word, not inside one
    if end < len(text) and text[end] != " " and text.rfind(" ", start, end) > end - 15:
        end = text.rfind(" ", start, end)  # and end after one
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def keyword_hits(
    text: str,
    *,
    role: str,
    cases: Iterable[Mapping[str, Any]],
    repairs: Iterable[Mapping[str, Any]],
    limit: int = 30,
    where: Callable[[Mapping[str, Any]], str] | None = None,
) -> list[tuple[str, str, str]]:
    """(route, id, label) of cases and repairs whose description holds every word typed,
    each labelled with its reference and kind, ``where`` it is (``Places.label``) when given,
    and the words around the one found.

    Officers and managers only: descriptions are personal data, never searched for partners.
    """
    words = [w for w in text.lower().split() if len(w) >= 2]
    if role not in STAFF_ROLES or not words:
        return []
    hits: list[tuple[str, str, str]] = []
    for route, records in (("/asb", cases), ("/repair", repairs)):
        for r in records:
            said = str(r.get("description") or "")
            if said and all(w in said.lower() for w in words):
                title = (
                    case_title(r) if route == "/asb" else repair_reference_title(r, repair_title(r))
                )
                place = f" — {where(r)}" if where is not None else ""
                snippet = snippet_at(said, words[0])
                hits.append((route, str(r["id"]), f"{title}{place}: “{snippet}”"))
    return hits[:limit]
