"""The estate plan: blocks, markers and map tiles worked out from coordinates alone.

Shared by the tablet's offline map and the server's walkabout PDF, so both draw the same plan.
Positions use Web Mercator ("slippy map") pixels: at zoom ``z`` the world is ``256 * 2**z``
pixels square, which is also how tiles ``z/x/y`` are cut, so a cached tile lands exactly
under the plan. Pure functions of their inputs: no clock, no I/O.

- ``blocks``: the homes of an estate grouped by block: each block's outline (the box around
  its homes) and its name at the middle.
- ``markers``: open ASB cases, open repairs and a walk's observations with a position and an
  urgency (``high`` / ``medium`` / ``low``) that the map colours.
- ``View``: a window of ``width`` x ``height`` pixels at one zoom around a centre, placing
  points and listing the tiles under it; ``fit_zoom`` picks the closest zoom that shows a box.
- ``tiles_covering``: the tiles a tablet caches for its patch (each estate's box plus a
  margin, at each zoom).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fieldapp.domain.geo import position

TILE = 256
DEFAULT_ZOOMS = (14, 15, 16, 17)
MARGIN_M = 150.0  # around an estate: the paths and car parks just outside the last block
_M_PER_DEG_LAT = 111_320.0
Urgency = Literal["high", "medium", "low"]


# --- projection --------------------------------------------------------------------------
def world_px(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel of a point at ``zoom`` (x east, y south), from the top-left."""
    size = TILE * 2.0**zoom
    lat = max(-85.05112878, min(85.05112878, lat))
    s = math.sin(math.radians(lat))
    x = (lon + 180.0) / 360.0 * size
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size
    return x, y


@dataclass(frozen=True)
class Box:
    """A latitude/longitude box."""

    south: float
    west: float
    north: float
    east: float

    @classmethod
    def around(cls, points: Iterable[tuple[float, float]], margin_m: float = 0.0) -> Box | None:
        pts = list(points)
        if not pts:
            return None
        lats, lons = [p[0] for p in pts], [p[1] for p in pts]
        dlat = margin_m / _M_PER_DEG_LAT
        dlon = margin_m / (
            _M_PER_DEG_LAT * max(0.01, math.cos(math.radians(sum(lats) / len(lats))))
        )
        return cls(min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2


# --- tiles -------------------------------------------------------------------------------
def tiles_in(box: Box, zoom: int) -> list[tuple[int, int, int]]:
    """Every tile ``(z, x, y)`` that a box touches at ``zoom``."""
    last = 2**zoom - 1
    x0, y0 = world_px(box.north, box.west, zoom)
    x1, y1 = world_px(box.south, box.east, zoom)
    xs = range(max(0, int(x0 // TILE)), min(last, int(x1 // TILE)) + 1)
    ys = range(max(0, int(y0 // TILE)), min(last, int(y1 // TILE)) + 1)
    return [(zoom, x, y) for x in xs for y in ys]


def tiles_covering(
    homes: Iterable[Mapping[str, Any]],
    zooms: Sequence[int] = DEFAULT_ZOOMS,
    *,
    margin_m: float = MARGIN_M,
) -> list[tuple[int, int, int]]:
    """The tiles under every estate of ``homes`` (plus a margin), lowest zoom first.

    One box per estate, not one for the patch: a patch of two estates in two towns would
    otherwise cache the fields and river between them.
    """
    by_estate: dict[str, list[tuple[float, float]]] = {}
    for home in homes:
        where = position(home)
        if where is not None:
            by_estate.setdefault(str(home.get("estate") or ""), []).append(where)
    found: set[tuple[int, int, int]] = set()
    for points in by_estate.values():
        box = Box.around(points, margin_m)
        if box is not None:
            for z in zooms:
                found.update(tiles_in(box, z))
    return sorted(found)


# --- a window on the plan ----------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """``width`` x ``height`` pixels at ``zoom``, centred on ``centre`` (lat, lon)."""

    centre: tuple[float, float]
    zoom: int
    width: int
    height: int

    @property
    def origin(self) -> tuple[float, float]:
        cx, cy = world_px(*self.centre, self.zoom)
        return cx - self.width / 2, cy - self.height / 2

    def place(self, lat: float, lon: float) -> tuple[float, float]:
        """Where a point falls in the window (may be outside it)."""
        ox, oy = self.origin
        x, y = world_px(lat, lon, self.zoom)
        return x - ox, y - oy

    def shows(self, lat: float, lon: float, pad: float = 0.0) -> bool:
        x, y = self.place(lat, lon)
        return -pad <= x <= self.width + pad and -pad <= y <= self.height + pad

    def tiles(self) -> list[tuple[int, int, int, float, float]]:
        """``(z, x, y, left, top)`` of every tile under the window."""
        ox, oy = self.origin
        last = 2**self.zoom - 1
        out = []
        for tx in range(int(ox // TILE), int((ox + self.width) // TILE) + 1):
            for ty in range(int(oy // TILE), int((oy + self.height) // TILE) + 1):
                if 0 <= tx <= last and 0 <= ty <= last:
                    out.append((self.zoom, tx, ty, tx * TILE - ox, ty * TILE - oy))
        return out


def fit_zoom(box: Box, width: int, height: int, zooms: Sequence[int] = DEFAULT_ZOOMS) -> int:
    """The highest of ``zooms`` at which ``box`` fits in ``width`` x ``height``."""
    best = min(zooms)
    for z in sorted(zooms):
        x0, y0 = world_px(box.north, box.west, z)
        x1, y1 = world_px(box.south, box.east, z)
        if x1 - x0 <= width and y1 - y0 <= height:
            best = z
    return best


# --- what the plan shows -----------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One block of an estate: its name, middle, outline and number of homes."""

    estate: str
    name: str
    centre: tuple[float, float]
    box: Box
    homes: int


def blocks(homes: Iterable[Mapping[str, Any]], estate: str | None = None) -> list[Block]:
    """Blocks of ``estate`` (every estate if None) from their homes' coordinates, by name."""
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for home in homes:
        where = position(home)
        if where is None or (estate is not None and home.get("estate") != estate):
            continue
        name = str(home.get("block") or "").strip() or str(home.get("address") or "Home")
        groups.setdefault((str(home.get("estate") or ""), name), []).append(where)
    out = []
    for (est, name), points in sorted(groups.items()):
        box = Box.around(points)
        assert box is not None  # every group has a point
        out.append(Block(est, name, box.centre, box, len(points)))
    return out


@dataclass(frozen=True)
class Marker:
    """A record on the plan: what it is, where, its words and how urgent it is."""

    entity: str  # asb_case | repair | observation
    id: str
    lat: float
    lon: float
    label: str
    urgency: Urgency


_OPEN_CASE = frozenset({"open", "action_plan", "monitoring"})
_OPEN_REPAIR = frozenset({"open", "investigating", "made_safe"})
_HIGH_KINDS = frozenset({"fire_safety"})
_MEDIUM_KINDS = frozenset({"fly_tipping", "vandalism", "lighting", "door_entry", "graffiti"})


def urgency(entity: str, record: Mapping[str, Any]) -> Urgency:
    """How urgent a record is, for its marker's colour.

    ASB: priority 1 (or urgent crime) high, 2 medium, 3 low. Repairs: emergency priority or an
    Awaab emergency high, urgent or Awaab significant medium. Observations: offensive graffiti
    and fire safety high; fly-tipping, vandalism, lighting, door entry, graffiti medium.
    """
    if entity == "asb_case":
        if record.get("urgent_crime") or record.get("priority") == 1:
            return "high"
        return "medium" if record.get("priority") == 2 else "low"
    if entity == "repair":
        if record.get("priority") == "emergency" or record.get("awaab") == "emergency":
            return "high"
        if record.get("priority") == "urgent" or record.get("awaab") == "significant":
            return "medium"
        return "low"
    kind = record.get("kind")
    if kind in _HIGH_KINDS or (kind == "graffiti" and record.get("offensive")):
        return "high"
    return "medium" if kind in _MEDIUM_KINDS else "low"


def markers(
    *,
    homes: Mapping[str, Mapping[str, Any]],
    cases: Iterable[Mapping[str, Any]] = (),
    repairs: Iterable[Mapping[str, Any]] = (),
    observations: Iterable[Mapping[str, Any]] = (),
) -> list[Marker]:
    """Markers of open cases and repairs (at their own position, else their home's) and of
    observations; records with no position anywhere are left out."""
    out: list[Marker] = []

    def add(entity: str, record: Mapping[str, Any], label: str) -> None:
        where = position(record) or position(homes.get(str(record.get("property_id")), {}))
        if where is not None:
            out.append(Marker(entity, str(record["id"]), *where, label, urgency(entity, record)))

    for c in cases:
        if (c.get("status") or "open") in _OPEN_CASE:
            add("asb_case", c, f"ASB {c.get('reference') or c.get('ref') or ''}".strip())
    for r in repairs:
        if (r.get("status") or "open") in _OPEN_REPAIR:
            add("repair", r, f"Repair {r.get('reference') or ''}".strip())
    for o in observations:
        add("observation", o, str(o.get("kind") or "observation").replace("_", " ").capitalize())
    return out
