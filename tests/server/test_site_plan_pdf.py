"""The walkabout PDF's site plan: the estate's blocks by name and the observations numbered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fieldapp.demo import generate_demo
from fieldapp.domain.siteplan import blocks
from server.reports import walkabout_pdf
from tests.server.test_reports import _streams, _text, _well_formed

GENERATED = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DEMO = generate_demo()


def _walk() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    walk = next(w for w in DEMO.walkabouts if w["estate"] == "Hough Green")
    obs = [o for o in DEMO.observations if o["walkabout_id"] == walk["id"]]
    homes = [p for p in DEMO.properties if p["estate"] == "Hough Green"]
    return walk, obs, homes


def test_the_plan_names_the_blocks_and_numbers_the_observations() -> None:
    walk, obs, homes = _walk()
    assert len(obs) >= 3 and all(o.get("lat") is not None for o in obs)
    pdf = walkabout_pdf(walk, obs, [], homes=homes, generated_at=GENERATED)
    _well_formed(pdf)
    lines = _text(pdf).splitlines()
    assert "Site plan" in lines
    names = {b.name for b in blocks(homes, "Hough Green")}
    assert names and names <= set(lines)  # every block by its name
    numbers = [str(n) for n in range(1, len(obs) + 1)]
    start = lines.index("Site plan")
    north = lines.index("N", start)  # the north mark follows the dots
    assert [t for t in lines[start:north] if t.isdigit()] == numbers  # a numbered dot each
    assert lines[north + 1].endswith(" m")  # the scale bar
    assert all(h["address"] not in lines for h in homes)  # block names only, no addresses
    # Drawn, not only written: a filled circle per observation (four Bezier curves closed by
    # "c B") and a filled outline per block ("re B").
    drawn = b"".join(_streams(pdf))
    assert drawn.count(b" c B\n") == len(obs)
    assert drawn.count(b" re B\n") == len(names)


def test_observations_without_a_place_are_counted_not_drawn() -> None:
    walk, obs, homes = _walk()
    nowhere = [{**obs[0], "id": "o-x", "lat": None, "lon": None}, *obs[1:]]
    text = _text(walkabout_pdf(walk, nowhere, [], homes=homes, generated_at=GENERATED))
    assert "1 observation(s) without a location are not on the plan." in text


def test_no_homes_and_no_places_leave_the_plan_out() -> None:
    walk, obs, _ = _walk()
    bare = [{**o, "lat": None, "lon": None} for o in obs]
    assert "Site plan" not in _text(walkabout_pdf(walk, bare, [], generated_at=GENERATED))
