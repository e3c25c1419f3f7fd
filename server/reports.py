"""Reports the server hands out: the walkabout PDF for partners and CSV exports of any entity.

``walkabout_pdf`` renders one finished walkabout (estate, times, who joined, grades with the
score and pass/fail and why, fire safety, a site plan with the observations numbered
(``server.site_plan``), the observations with photo thumbnails) for sharing
with councillors, PCSOs and the public. It carries no personal data: every record is first
projected for a partner role (``protocol.project(..., "pcso")``) and then only an allow-list
of fields is printed, so a field added to the registry later never leaks by default.
The score and result come from the shared domain rules, as on the tablets.

``export_csv`` writes records of one entity with the registry's columns, safe to open in a
spreadsheet (no formula injection). Both are pure: no database, no clock, no web framework.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.errors import FPDFException
from PIL.Image import DecompressionBombError

from fieldapp.domain.policy import DEFAULT_POLICY, Policy
from fieldapp.domain.walkabout import observation_action, walkabout_result
from fieldapp.domain.wire import parse_time
from fieldapp.sync.protocol import ENTITIES, GRADE_ITEMS, PARTNER_ROLES, project

_LONDON: Final = ZoneInfo("Europe/London")
_FONT: Final = "Helvetica"  # a core PDF font: nothing to embed, present in every viewer
_ITEM_WORDS: Final = {
    "litter": "Litter",
    "graffiti": "Graffiti",
    "fly_tipping": "Fly-tipping",
    "lighting": "Communal lighting",
    "grounds": "Grounds",
    "bin_stores": "Bin stores",
    "door_entry": "Door entry",
    "signage": "Signage",
}
_GRADE_WORDS: Final = {
    "good": "Good",
    "satisfactory": "Satisfactory",
    "poor": "Poor",
    "very_poor": "Very poor",
}
_KIND_WORDS: Final = {
    "fly_tipping": "Fly-tipping",
    "graffiti": "Graffiti",
    "litter": "Litter",
    "lighting": "Communal lighting",
    "bin_store": "Bin store",
    "grounds": "Grounds",
    "fire_safety": "Fire safety",
    "door_entry": "Door entry",
    "vandalism": "Vandalism",
    "abandoned_vehicle": "Abandoned vehicle",
    "other": "Other",
}
_ROLE_WORDS: Final = {
    "officer": "Neighbourhood officer",
    "manager": "Manager",
    "pcso": "PCSO",
    "councillor": "Councillor",
    "other": "Other",
}
# Typography the core fonts (Latin-1) lack, written the way a typist would.
_PLAIN: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u20ac": "EUR",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0131": "i",
    }
)
_THUMB_MM: Final = 40.0
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


# --- text ---------------------------------------------------------------------------------
def safe_text(value: Any) -> str:
    """``value`` as text the core PDF fonts can draw: never raises on odd characters.

    Typographic quotes and dashes become their plain forms, accented letters outside
    Latin-1 lose their accents, control characters become spaces, and anything else left
    (emoji, other scripts) becomes ``?``.
    """
    text = "" if value is None else str(value)
    text = text.translate(_PLAIN)
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(" " if ch == "\t" else ch)
        elif unicodedata.category(ch).startswith("C"):
            out.append(" ")
        elif ord(ch) < 256:
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch)
            kept = "".join(c for c in base if ord(c) < 256 and not unicodedata.combining(c))
            out.append(kept or "?")
    return "".join(out)


def _local(wire: Any, fmt: str) -> str:
    moment = parse_time(wire)
    return "not recorded" if moment is None else moment.astimezone(_LONDON).strftime(fmt)


def _when(walkabout: Mapping[str, Any]) -> str:
    start, end = parse_time(walkabout.get("started_at")), parse_time(walkabout.get("ended_at"))
    if start is None:
        return "not recorded"
    local = start.astimezone(_LONDON)
    text = f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"
    if end is None:
        return text + " (not finished)"
    finish = end.astimezone(_LONDON)
    same_day = finish.date() == local.date()
    return text + f" to {finish:%H:%M}" if same_day else text + f" to {finish:%d %b %Y %H:%M}"


# --- the PDF ------------------------------------------------------------------------------
class _Pdf(FPDF):
    """FPDF with our footer on every page."""

    stamp = ""

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, size=8)
        self.set_text_color(90)
        self.cell(0, 5, text=f"{self.stamp}. Contains no personal data.", align="L")
        self.cell(0, 5, text=f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)


class _Doc:
    """A thin writer over FPDF: one place for fonts, spacing and safe text."""

    def __init__(self, generated_at: datetime) -> None:
        pdf = _Pdf(orientation="portrait", unit="mm", format="A4")
        pdf.stamp = safe_text(f"Generated {_local(generated_at, '%d %b %Y %H:%M')}")
        pdf.set_creation_date(generated_at)
        pdf.set_title("Estate walkabout report")
        pdf.set_producer("fieldapp")
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_page()
        self.pdf = pdf

    def heading(self, text: str, size: int = 13) -> None:
        if self.pdf.get_y() + 30 > self.pdf.page_break_trigger:  # no heading alone at the foot
            self.pdf.add_page()
        self.pdf.ln(3)
        self.pdf.set_font(_FONT, "B", size)
        self.pdf.multi_cell(0, size * 0.5, safe_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(_FONT, size=10)

    def line(self, label: str, text: str) -> None:
        self.pdf.set_font(_FONT, "B", 10)
        self.pdf.cell(38, 6, safe_text(label))
        self.pdf.set_font(_FONT, size=10)
        self.pdf.multi_cell(0, 6, safe_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(self, text: str) -> None:
        self.pdf.set_font(_FONT, size=10)
        self.pdf.multi_cell(0, 5, safe_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def thumbnails(self, items: list[tuple[bytes, str]]) -> None:
        """Photos four to a row, each with its caption; a broken image is named, not fatal."""
        pdf, gap = self.pdf, 4.0
        for start in range(0, len(items), 4):
            if pdf.get_y() + _THUMB_MM + 8 > pdf.page_break_trigger:
                pdf.add_page()
            top, x = pdf.get_y() + 1, pdf.l_margin
            for data, caption in items[start : start + 4]:
                try:
                    pdf.image(
                        io.BytesIO(data),
                        x=x,
                        y=top,
                        w=_THUMB_MM,
                        h=_THUMB_MM * 0.75,
                        keep_aspect_ratio=True,
                    )
                except (OSError, ValueError, FPDFException, DecompressionBombError):
                    # A thumbnail that cannot be decoded is named in place; the report goes on.
                    pdf.set_xy(x, top + 10)
                    pdf.set_font(_FONT, "I", 8)
                    pdf.cell(_THUMB_MM, 5, "(photo could not be shown)", align="C")
                pdf.set_xy(x, top + _THUMB_MM * 0.75 + 1)
                pdf.set_font(_FONT, size=7)
                pdf.multi_cell(_THUMB_MM, 3, safe_text(caption)[:80], align="C")
                x += _THUMB_MM + gap
            pdf.set_y(top + _THUMB_MM * 0.75 + 8)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _grades_table(doc: _Doc, grades: Mapping[str, Any], policy: Policy) -> None:
    pdf = doc.pdf
    pdf.set_font(_FONT, size=10)
    with pdf.table(
        col_widths=(70, 50, 30),
        width=150,
        align="LEFT",
        text_align=("LEFT", "LEFT", "RIGHT"),
        line_height=6,
    ) as table:
        table.row(("Item", "Grade", "Points"))
        top = max(policy.grade_points.values())
        for item in GRADE_ITEMS:
            grade = grades.get(item)
            if isinstance(grade, str) and grade in policy.grade_points:
                points = f"{policy.grade_points[grade]} of {top}"
                table.row((_ITEM_WORDS[item], _GRADE_WORDS.get(grade, grade), points))
            else:
                table.row((_ITEM_WORDS[item], "not graded", "-"))


def _participants(walkabout: Mapping[str, Any]) -> str:
    """Names and roles only: user ids and anything else a participant entry holds stay out."""
    people = walkabout.get("participants")
    shown = []
    for p in people if isinstance(people, list) else []:
        if isinstance(p, Mapping) and isinstance(p.get("name"), str):
            role = _ROLE_WORDS.get(str(p.get("role")), "Other")
            shown.append(f"{p['name']} ({role})")
    return "; ".join(shown) or "none recorded"


def walkabout_pdf(
    walkabout: Mapping[str, Any],
    observations: Iterable[Mapping[str, Any]],
    photos: Iterable[Mapping[str, Any]],
    *,
    thumbs: Mapping[str, bytes] | None = None,
    homes: Sequence[Mapping[str, Any]] = (),
    generated_at: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> bytes:
    """The walkabout report as PDF bytes, safe to share with partners.

    ``observations`` are the walkabout's; ``photos`` may be any photo records (those of this
    walkabout and its observations are used); ``thumbs`` maps a photo's ``sha256`` to image
    bytes (JPEG or PNG) to print. ``generated_at`` is printed and stamped, so the same
    inputs give the same bytes. Score, pass/fail and action times come from ``policy``.
    ``homes``: the estate's properties, for the site plan (block names and positions only).
    """
    walk = project("walkabout", walkabout, "pcso")
    obs = [project("observation", o, "pcso") for o in observations]
    obs = [o for o in obs if o.get("walkabout_id") in (None, walk.get("id"))]
    obs.sort(key=lambda o: str(o.get("logged_at") or ""))
    shots: dict[str, list[tuple[bytes, str]]] = {}
    for photo in (project("photo", p, "pcso") for p in photos):
        data = (thumbs or {}).get(str(photo.get("sha256")))
        if data is not None and photo.get("parent_entity") in ("walkabout", "observation"):
            caption = photo.get("caption") if isinstance(photo.get("caption"), str) else ""
            shots.setdefault(str(photo.get("parent_id")), []).append((data, caption or ""))

    grades = walk.get("grades") if isinstance(walk.get("grades"), Mapping) else {}
    assert isinstance(grades, Mapping)
    result = walkabout_result(grades, obs, policy=policy)
    doc = _Doc(generated_at)
    doc.heading("Estate walkabout report", 16)
    doc.heading(str(walk.get("estate") or "Estate not recorded"), 14)
    doc.line("When", _when(walk))
    doc.line("Who joined", _participants(walk))
    doc.line("Result", result.reason)
    if result.score_pct is not None:
        doc.line("Score", f"{result.score_pct:.1f}% (pass mark {policy.pass_mark_pct:g}%)")
    fire = walk.get("fire_safety_met")
    doc.line(
        "Fire safety",
        {True: "Met", False: "Not met: an action has been raised"}.get(fire, "Not recorded")
        if isinstance(fire, bool)
        else "Not recorded",
    )
    doc.heading("Grades")
    _grades_table(doc, grades, policy)
    if isinstance(walk.get("summary"), str) and walk["summary"].strip():
        doc.heading("Summary")
        doc.para(walk["summary"])
    if homes or any(o.get("lat") is not None for o in obs):
        doc.heading("Site plan")
        _site_plan(doc, homes, obs, walk.get("estate"))
    doc.heading(f"Observations ({len(obs)})")
    if not obs:
        doc.para("No observations were logged.")
    for n, o in enumerate(obs, 1):
        kind = _KIND_WORDS.get(str(o.get("kind")), "Other")
        offensive = " (offensive)" if o.get("offensive") is True else ""
        doc.heading(f"{n}. {kind}{offensive}", 11)
        if isinstance(o.get("nearest_block"), str) and o["nearest_block"]:
            doc.line("Near", o["nearest_block"])
        doc.line("Logged", _local(o.get("logged_at"), "%d %b %Y %H:%M"))
        due = o.get("action_due_at")
        if due is None:  # not derived yet: the same rule the server applies
            action = observation_action(
                str(o.get("kind")),
                o.get("offensive") is True,
                parse_time(o.get("logged_at")),
                policy=policy,
            )
            due = None if action is None or action.due_at is None else action.due_at.isoformat()
        if due is not None:
            doc.line("Action due", _local(due, "%A %d %b %Y %H:%M"))
        if isinstance(o.get("description"), str) and o["description"].strip():
            doc.para(o["description"])
        if shots.get(str(o.get("id"))):
            doc.thumbnails(shots[str(o.get("id"))])
    if shots.get(str(walk.get("id"))):
        doc.heading("Photos of the walkabout")
        doc.thumbnails(shots[str(walk.get("id"))])
    return doc.output()


def _site_plan(
    doc: _Doc, homes: Sequence[Mapping[str, Any]], obs: Sequence[Mapping[str, Any]], estate: Any
) -> None:
    """The estate's blocks with the observations numbered as in the list below."""
    from server.site_plan import draw_site_plan

    pdf, height = doc.pdf, 110.0
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top, width = pdf.get_y() + 1, pdf.w - pdf.l_margin - pdf.r_margin
    placed = draw_site_plan(
        pdf,
        homes=homes,
        observations=obs,
        estate=estate if isinstance(estate, str) else None,
        x=pdf.l_margin,
        y=top,
        w=width,
        h=height,
    )
    pdf.set_xy(pdf.l_margin, top + height + 1)
    if placed < len(obs):
        doc.para(f"{len(obs) - placed} observation(s) without a location are not on the plan.")


# --- CSV ----------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """One CSV cell: JSON for lists and objects, ``true``/``false``, text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # our own number formatting: a leading minus is not a formula
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    # A spreadsheet runs a cell that starts with these as a formula (CSV injection).
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(
    entity: str, records: Iterable[Mapping[str, Any]], *, role: str | None = None
) -> str:
    """Records of ``entity`` as CSV text with the registry's field names as columns.

    With a partner ``role`` the restricted columns are left out altogether (as the sync
    projection leaves the fields out); callers that export for partners must pass it.
    """
    spec = ENTITIES.get(entity)
    if spec is None:
        raise ValueError(f"unknown entity {entity!r}")
    hidden = set(spec.restricted) if role in PARTNER_ROLES else set()
    columns = [name for name in spec.names if name not in hidden]
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF line ends, quotes where needed
    writer.writerow(columns)
    for record in records:
        shown = project(entity, record, role) if role is not None else record
        writer.writerow([_cell(shown.get(name)) for name in columns])
    return out.getvalue()
