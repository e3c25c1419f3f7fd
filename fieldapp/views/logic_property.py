"""One home's history as a timeline: visits, ASB cases and reports, repairs, notes, photos.

``timeline`` merges the records of one property into entries, newest first, each with the
screen that opens it. Entries whose time is unknown go last rather than being dropped:
nothing recorded about a home should vanish from its history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldapp.domain.wire import parse_day, parse_time
from fieldapp.views.logic_forms import label
from fieldapp.views.logic_patch import reference_text
from fieldapp.views.logic_repair import hazard_label
from fieldapp.views.logic_walkabout import observation_title


@dataclass(frozen=True)
class Entry:
    """One line of a home's history: when, what, a short detail, and where it opens."""

    at: datetime | None
    kind: str  # visit, asb_case, asb_report, repair, note, photo, observation
    title: str
    detail: str = ""
    route: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    record_id: str = ""


def _text(value: Any, limit: int = 140) -> str:
    words = " ".join(str(value or "").split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def visit_entry(v: Mapping[str, Any]) -> Entry:
    bits = []
    if v.get("bedroom_standard"):
        bits.append(label(str(v["bedroom_standard"])))
    if v.get("property_condition"):
        bits.append(f"condition {v['property_condition']}")
    if v.get("referrals"):
        bits.append("referrals: " + ", ".join(label(str(r)) for r in v["referrals"]))
    return Entry(
        parse_time(v.get("visited_at")), "visit", "Annual Tenancy Visit", "; ".join(bits),
        "/atv", (("property_id", str(v.get("property_id") or "")), ("id", str(v["id"]))),
        str(v["id"]),
    )  # fmt: skip


def case_entry(c: Mapping[str, Any]) -> Entry:
    title = f"ASB case: {label(str(c.get('category') or 'unknown'))}"
    title += f" ({reference_text(c)})"
    return Entry(
        parse_time(c.get("received_at")), "asb_case", title,
        f"Status {label(str(c.get('status') or 'open')).lower()}",
        "/asb", (("id", str(c["id"])),), str(c["id"]),
    )  # fmt: skip


def report_entry(r: Mapping[str, Any]) -> Entry:
    return Entry(
        parse_time(r.get("reported_at")), "asb_report", "Further ASB report",
        _text(r.get("description")), "/asb", (("id", str(r.get("case_id") or "")),),
        str(r["id"]),
    )  # fmt: skip


def repair_entry(r: Mapping[str, Any]) -> Entry:
    title = f"Repair: {hazard_label(r['hazard']) if r.get('hazard') else 'no hazard recorded'}"
    title += f" ({reference_text(r)})"  # as a case shows its own (found on a walk)
    bits = [label(str(r.get("priority") or ""))]
    if r.get("awaab") in ("emergency", "significant"):
        bits.append(f"Awaab's Law {r['awaab']}")
    if r.get("room"):
        bits.append(str(r["room"]))
    bits.append(_text(r.get("description")))
    return Entry(
        parse_time(r.get("reported_at")), "repair", title, "; ".join(b for b in bits if b),
        "/repair", (("id", str(r["id"])),), str(r["id"]),
    )  # fmt: skip


def note_entry(n: Mapping[str, Any]) -> Entry:
    return Entry(parse_time(n.get("created_at")), "note", "Note", _text(n.get("text")),
                 record_id=str(n["id"]))  # fmt: skip


def photo_entry(p: Mapping[str, Any]) -> Entry:
    parent = str(p.get("parent_entity") or "")
    where = "" if parent == "property" else f" ({label(parent).lower()})"
    return Entry(
        parse_time(p.get("taken_at")), "photo", "Photo" + where, _text(p.get("caption")),
        record_id=str(p["id"]),
    )  # fmt: skip


def observation_entry(o: Mapping[str, Any]) -> Entry:
    return Entry(
        parse_time(o.get("logged_at")), "observation", f"Walkabout: {observation_title(o)}",
        _text(o.get("description")), "/walkabout/observation",
        (("walkabout_id", str(o.get("walkabout_id") or "")), ("id", str(o["id"]))),
        str(o["id"]),
    )  # fmt: skip


def timeline(
    *,
    visits: Iterable[Mapping[str, Any]] = (),
    cases: Iterable[Mapping[str, Any]] = (),
    reports: Iterable[Mapping[str, Any]] = (),
    repairs: Iterable[Mapping[str, Any]] = (),
    notes: Iterable[Mapping[str, Any]] = (),
    photos: Iterable[Mapping[str, Any]] = (),
    observations: Iterable[Mapping[str, Any]] = (),
) -> list[Entry]:
    """Every record about one home, newest first; those without a time at the end."""
    entries = [
        *(visit_entry(v) for v in visits),
        *(case_entry(c) for c in cases),
        *(report_entry(r) for r in reports),
        *(repair_entry(r) for r in repairs),
        *(note_entry(n) for n in notes),
        *(photo_entry(p) for p in photos),
        *(observation_entry(o) for o in observations),
    ]
    timed = sorted((e for e in entries if e.at is not None), key=_key, reverse=True)
    untimed = sorted((e for e in entries if e.at is None), key=lambda e: (e.kind, e.record_id))
    return timed + untimed


def _key(entry: Entry) -> tuple[datetime, str]:
    assert entry.at is not None
    return entry.at, entry.record_id


def property_title(prop: Mapping[str, Any]) -> str:
    """``12 Rowan House, Oak Road, WA7 1AA``."""
    address = str(prop.get("address") or "Unknown address")
    postcode = prop.get("postcode")
    return f"{address}, {postcode}" if postcode else address


def day_text(value: Any) -> str:
    """A wire date as the other screens show days (``2027-12-02`` → ``Thu 02 Dec 2027``);
    empty for none, and as given when it is not a date."""
    day = parse_day(value)
    return day.strftime("%a %d %b %Y") if day is not None else str(value or "")


def property_facts(prop: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The facts of a home shown at the top of its history (what this role may see)."""
    facts = [
        ("Estate", str(prop.get("estate") or "")),
        ("Block", str(prop.get("block") or "")),
        ("Bedrooms", str(prop.get("bedrooms") if prop.get("bedrooms") is not None else "")),
        ("UPRN", str(prop.get("uprn") or "")),
        ("Tenancy", str(prop.get("tenancy_ref") or "")),
        ("Last ATV", day_text(prop.get("last_atv_on"))),
        ("ATV due", day_text(prop.get("atv_due_on")) or _never_visited(prop)),
    ]
    return [(k, v) for k, v in facts if v]


def _never_visited(prop: Mapping[str, Any]) -> str:
    """A tenanted home with no visit on record is due now (``fieldapp.domain.atv``); a void
    home, or one whose tenancy this role may not see, says nothing."""
    if prop.get("tenancy_ref") and not prop.get("last_atv_on"):
        return "now (no visit on record)"
    return ""
