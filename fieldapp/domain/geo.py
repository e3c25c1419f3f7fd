"""Distances on the ground: haversine great-circle distance and nearest candidates.

Used to name the property or block nearest an observation and to sort a patch by distance
from the officer. A sphere of mean radius 6,371,008.8 m is accurate to well under 0.5% at
estate scale, which is all this needs. Candidates without a usable position are skipped;
ties go to the lower id, so the tablet and the server agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

EARTH_RADIUS_M = 6_371_008.8


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


def position(record: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(lat, lon)`` of a record, or None when missing or out of range."""
    lat = _coordinate(record.get("lat"), 90.0)
    lon = _coordinate(record.get("lon"), 180.0)
    return None if lat is None or lon is None else (lat, lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def by_distance(
    lat: float, lon: float, candidates: Iterable[Mapping[str, Any]]
) -> list[tuple[float, Mapping[str, Any]]]:
    """Candidates with a position, nearest first, each with its distance in metres."""
    ranked: list[tuple[float, str, Mapping[str, Any]]] = []
    for c in candidates:
        where = position(c)
        if where is not None:
            ranked.append((haversine_m(lat, lon, *where), str(c.get("id") or ""), c))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [(d, c) for d, _, c in ranked]


def nearest(
    lat: float,
    lon: float,
    candidates: Iterable[Mapping[str, Any]],
    *,
    within: float | None = None,
) -> Mapping[str, Any] | None:
    """The nearest candidate with a position (no farther than ``within`` metres), or None."""
    ranked = by_distance(lat, lon, candidates)
    if not ranked or (within is not None and ranked[0][0] > within):
        return None
    return ranked[0][1]


def nearest_block(
    lat: float,
    lon: float,
    candidates: Iterable[Mapping[str, Any]],
    *,
    within: float | None = None,
) -> str | None:
    """The ``block`` of the nearest candidate that belongs to a block (no farther than
    ``within`` metres), or None."""
    for metres, c in by_distance(lat, lon, candidates):
        if within is not None and metres > within:
            return None
        block = c.get("block")
        if isinstance(block, str) and block.strip():
            return block
    return None
