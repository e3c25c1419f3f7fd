"""The site plan of the walkabout PDF: the estate's blocks and the observations, numbered.

The same plan as the tablet's offline map (``fieldapp.domain.siteplan``), drawn with fpdf2
shapes: each block an outline around its homes with its name, each observation a dot coloured
by urgency with its number from the report's list, a north mark and a scale bar. No tiles:
it needs nothing but the coordinates, so every report has it. Only block names and positions
are printed (no address, no resident), so the plan is as partner-safe as the rest of the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fpdf import FPDF

from fieldapp.domain.geo import position
from fieldapp.domain.siteplan import blocks, urgency, world_px

_ZOOM = 20  # projection detail: well below a millimetre on any estate
_COLOURS = {"high": (198, 40, 40), "medium": (239, 108, 0), "low": (25, 118, 210)}
_FONT = "Helvetica"


def _metres_per_px(lat: float) -> float:
    return float(156_543.03392 * math.cos(math.radians(lat)) / 2**_ZOOM)


def draw_site_plan(
    pdf: FPDF,
    *,
    homes: Sequence[Mapping[str, Any]],
    observations: Sequence[Mapping[str, Any]],
    estate: str | None,
    x: float,
    y: float,
    w: float,
    h: float,
) -> int:
    """Draw the plan in the box (mm); returns how many observations it could place.

    ``observations`` are numbered 1, 2, … in the order given (the report's list order).
    """
    plan = blocks(homes, estate) or blocks(homes)
    spots = [(n, o, p) for n, o in enumerate(observations, 1) if (p := position(o)) is not None]
    points = [b.box for b in plan]
    pxs = [world_px(b.north, b.west, _ZOOM) for b in points]
    pxs += [world_px(b.south, b.east, _ZOOM) for b in points]
    pxs += [world_px(*p, _ZOOM) for _n, _o, p in spots]
    pdf.set_draw_color(120)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, w, h)
    if not pxs:
        pdf.set_xy(x, y + h / 2 - 3)
        pdf.set_font(_FONT, "I", 9)
        pdf.cell(w, 6, "No coordinates recorded for this estate.", align="C")
        return 0
    pad = 10.0
    x0, x1 = min(p[0] for p in pxs), max(p[0] for p in pxs)
    y0, y1 = min(p[1] for p in pxs), max(p[1] for p in pxs)
    scale = min((w - 2 * pad) / max(x1 - x0, 1.0), (h - 2 * pad) / max(y1 - y0, 1.0))
    ox = x + (w - (x1 - x0) * scale) / 2
    oy = y + (h - (y1 - y0) * scale) / 2

    def at(lat: float, lon: float) -> tuple[float, float]:
        px, py = world_px(lat, lon, _ZOOM)
        return ox + (px - x0) * scale, oy + (py - y0) * scale

    pdf.set_font(_FONT, "B", 6.5)
    for block in plan:
        left, top = at(block.box.north, block.box.west)
        right, bottom = at(block.box.south, block.box.east)
        bw, bh = max(right - left, 3.0) + 2, max(bottom - top, 3.0) + 2
        cx, cy = (left + right) / 2, (top + bottom) / 2
        pdf.set_fill_color(237, 224, 212)
        pdf.set_draw_color(121, 85, 72)
        pdf.rect(cx - bw / 2, cy - bh / 2, bw, bh, style="DF")
        pdf.set_text_color(62, 39, 35)
        pdf.set_xy(cx - 20, cy - bh / 2 - 3.4)
        pdf.cell(40, 3, block.name[:40], align="C")
    pdf.set_font(_FONT, "B", 7)
    for n, o, (lat, lon) in spots:
        cx, cy = at(lat, lon)
        r, g, b = _COLOURS[urgency("observation", o)]
        pdf.set_fill_color(r, g, b)
        pdf.set_draw_color(255)
        pdf.ellipse(cx - 2.6, cy - 2.6, 5.2, 5.2, style="DF")
        pdf.set_text_color(255)
        pdf.set_xy(cx - 2.6, cy - 1.6)
        pdf.cell(5.2, 3.2, str(n), align="C")
    _north_and_scale(pdf, x, y, w, h, scale, lat=plan[0].centre[0] if plan else spots[0][2][0])
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    return len(spots)


def _north_and_scale(
    pdf: FPDF, x: float, y: float, w: float, h: float, scale: float, *, lat: float
) -> None:
    pdf.set_draw_color(60)
    pdf.set_text_color(60)
    pdf.set_font(_FONT, "B", 8)
    pdf.line(x + w - 8, y + 12, x + w - 8, y + 5)  # north is up
    pdf.line(x + w - 8, y + 5, x + w - 9.5, y + 7.5)
    pdf.line(x + w - 8, y + 5, x + w - 6.5, y + 7.5)
    pdf.set_xy(x + w - 10, y + 12)
    pdf.cell(4, 4, "N", align="C")
    metres_per_mm = _metres_per_px(lat) / scale
    bar = next((m for m in (10, 20, 50, 100, 200, 500, 1000) if m / metres_per_mm >= 15), 1000)
    length = bar / metres_per_mm
    pdf.set_line_width(0.6)
    pdf.line(x + 5, y + h - 5, x + 5 + length, y + h - 5)
    pdf.set_line_width(0.3)
    pdf.set_font(_FONT, size=7)
    pdf.set_xy(x + 5, y + h - 9.5)
    pdf.cell(length, 4, f"{bar} m", align="C")
