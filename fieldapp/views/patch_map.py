"""The map on My patch: the homes nearest to where I stand, and me, over map tiles.

Tiles come from the network (``AppState.tile_url``, OpenStreetMap by default). Without a
connection they do not load, so the map is only an extra: the list sorted by distance
beside it is the offline fallback, and the markers still show on a plain background.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flet as ft
import flet_map as fm

from fieldapp.state import AppState
from fieldapp.views.logic_patch import Nearby, property_label

MAP_HEIGHT = 360
MARKERS = 30


def centre(nearby: Sequence[Nearby], position: tuple[float, float] | None) -> tuple[float, float]:
    """Where the map opens: where I stand, else the middle of the homes shown."""
    if position is not None:
        return position
    points = [
        (float(n.record["lat"]), float(n.record["lon"]))
        for n in nearby
        if isinstance(n.record.get("lat"), (int, float))
        and isinstance(n.record.get("lon"), (int, float))
    ]
    if not points:
        return (53.3326, -2.6960)  # Runcorn: the demo estates
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _marker(state: AppState, near: Nearby) -> fm.Marker | None:
    lat, lon = near.record.get("lat"), near.record.get("lon")
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return None
    pid = str(near.record["id"])

    def open_home(_: Any) -> None:
        state.go("/property", id=pid)

    return fm.Marker(
        coordinates=fm.MapLatitudeLongitude(lat, lon),
        width=40,
        height=40,
        content=ft.IconButton(
            icon=ft.Icons.HOME,
            icon_color=ft.Colors.TEAL_800,
            tooltip=property_label(near.record),
            on_click=open_home,
        ),
    )


def homes_map(state: AppState, nearby: Sequence[Nearby]) -> ft.Control:
    """A bounded map with a marker per nearby home (tap to open it) and one for me."""
    position = state.position()
    lat, lon = centre(nearby, position)
    markers = [m for n in nearby[:MARKERS] if (m := _marker(state, n)) is not None]
    if position is not None:
        markers.append(
            fm.Marker(
                coordinates=fm.MapLatitudeLongitude(*position),
                content=ft.Icon(ft.Icons.MY_LOCATION, color=ft.Colors.BLUE_700, size=30),
            )
        )
    layers: list[fm.MapLayer] = []
    if state.tile_url:
        layers.append(
            fm.TileLayer(url_template=state.tile_url, user_agent_package_name="uk.org.fieldapp")
        )
    layers.append(fm.MarkerLayer(markers=markers))
    return ft.Semantics(
        label=f"Map of {len(markers)} homes near you",
        content=ft.Container(
            height=MAP_HEIGHT,
            border_radius=8,
            clip_behavior=ft.ClipBehavior.HARD_EDGE,
            content=fm.Map(
                initial_center=fm.MapLatitudeLongitude(lat, lon),
                initial_zoom=16,
                layers=layers,
                expand=True,
            ),
        ),
    )
