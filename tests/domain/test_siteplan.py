"""The estate plan's pure parts: projection, tiles, blocks, markers and their urgency."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.domain.siteplan import (
    Box,
    View,
    blocks,
    fit_zoom,
    markers,
    tiles_covering,
    tiles_in,
    urgency,
    world_px,
)

HOMES = [
    {"id": f"h{i}", "estate": "Castlefields", "block": b, "lat": lat, "lon": lon}
    for i, (b, lat, lon) in enumerate(
        [
            ("Ash Court", 53.3300, -2.6950),
            ("Ash Court", 53.3302, -2.6948),
            ("Birch House", 53.3320, -2.6900),
            ("Birch House", 53.3322, -2.6902),
        ]
    )
] + [
    {"id": "far", "estate": "Hough Green", "block": "Elm", "lat": 53.3800, "lon": -2.7800},
    {"id": "nowhere", "estate": "Castlefields", "block": "Ash Court", "lat": None, "lon": None},
]


def test_web_mercator_matches_the_slippy_map_tiles() -> None:
    assert world_px(0.0, 0.0, 0) == pytest.approx((128.0, 128.0))
    # Trafalgar Square is tile 10/511/340 on every slippy map.
    x, y = world_px(51.5080, -0.1281, 10)
    assert (int(x // 256), int(y // 256)) == (511, 340)


def test_tiles_cover_each_estate_apart_lowest_zoom_first() -> None:
    tiles = tiles_covering(HOMES, (15, 16))
    assert tiles == sorted(set(tiles)) and tiles[0][0] == 15
    near = tiles_in(Box.around([(53.3300, -2.6950)], 150) or Box(0, 0, 0, 0), 16)
    assert set(near) <= set(tiles)
    # Two estates 7 km apart: far fewer tiles than one box around both would need.
    both = Box.around([(53.3300, -2.6950), (53.3800, -2.7800)], 150)
    assert both is not None and len(tiles) < len(tiles_in(both, 15)) + len(tiles_in(both, 16))


def test_blocks_are_grouped_by_name_with_their_outline() -> None:
    found = blocks(HOMES, "Castlefields")
    assert [(b.name, b.homes) for b in found] == [("Ash Court", 2), ("Birch House", 2)]
    ash = found[0]
    assert ash.box.south == 53.3300 and ash.box.north == 53.3302
    assert ash.centre == pytest.approx((53.3301, -2.6949))


def test_a_view_places_points_and_lists_the_tiles_under_it() -> None:
    view = View((53.3310, -2.6925), 16, 340, 340)
    assert view.place(53.3310, -2.6925) == pytest.approx((170.0, 170.0))
    assert view.shows(53.3300, -2.6950) and not view.shows(53.3800, -2.7800)
    tiles = view.tiles()
    assert 2 <= len(tiles) <= 9 and all(z == 16 for z, *_ in tiles)
    assert all(left <= 340 and top <= 340 and left > -256 and top > -256 for *_, left, top in tiles)


def test_fit_zoom_takes_the_closest_zoom_that_shows_the_estate() -> None:
    box = Box.around([(h["lat"], h["lon"]) for h in HOMES[:4]], 50)
    assert box is not None
    zoom = fit_zoom(box, 340, 340)
    x0, y0 = world_px(box.north, box.west, zoom)
    x1, y1 = world_px(box.south, box.east, zoom)
    assert x1 - x0 <= 340 and y1 - y0 <= 340
    assert zoom < 17  # a few hundred metres do not fit 340 px at the closest zoom
    x0, y0 = world_px(box.north, box.west, zoom + 1)
    x1, y1 = world_px(box.south, box.east, zoom + 1)
    assert x1 - x0 > 340 or y1 - y0 > 340


@pytest.mark.parametrize(
    ("entity", "record", "expected"),
    [
        ("asb_case", {"priority": 1}, "high"),
        ("asb_case", {"priority": 3, "urgent_crime": True}, "high"),
        ("asb_case", {"priority": 2}, "medium"),
        ("asb_case", {"priority": 3}, "low"),
        ("repair", {"priority": "emergency"}, "high"),
        ("repair", {"priority": "routine", "awaab": "emergency"}, "high"),
        ("repair", {"priority": "routine", "awaab": "significant"}, "medium"),
        ("repair", {"priority": "planned"}, "low"),
        ("observation", {"kind": "graffiti", "offensive": True}, "high"),
        ("observation", {"kind": "fire_safety"}, "high"),
        ("observation", {"kind": "fly_tipping"}, "medium"),
        ("observation", {"kind": "litter"}, "low"),
    ],
)
def test_urgency(entity: str, record: dict[str, Any], expected: str) -> None:
    assert urgency(entity, record) == expected


def test_markers_show_open_records_at_their_place_or_their_home() -> None:
    homes = {h["id"]: h for h in HOMES}
    found = markers(
        homes=homes,
        cases=[
            {"id": "c1", "property_id": "h0", "status": "open", "priority": 1, "ref": "ASB-1"},
            {"id": "c2", "property_id": "h0", "status": "closed", "priority": 1},
        ],
        repairs=[
            {"id": "r1", "property_id": "nowhere", "status": "open"},
            {
                "id": "r2",
                "lat": 53.331,
                "lon": -2.69,
                "status": "investigating",
                "priority": "urgent",
            },
        ],
        observations=[{"id": "o1", "kind": "fly_tipping", "lat": 53.3301, "lon": -2.6949}],
    )
    assert [(m.entity, m.id, m.urgency) for m in found] == [
        ("asb_case", "c1", "high"),
        ("repair", "r2", "medium"),
        ("observation", "o1", "medium"),
    ]
    assert found[0].lat == 53.3300 and found[0].label == "ASB ASB-1"
