"""The map on My patch: an estate plan that needs no internet, over cached tiles if any.

Drawn from the tablet's own data (``fieldapp.domain.siteplan``): each block of the chosen
estate as an outline around its homes with its name, a "you are here" dot, and a marker for
every open ASB case, open repair and observation of a walkabout in progress, coloured by
urgency (red high, orange medium, blue low); a tap on a marker opens the record. Under it, the
map tiles the tablet cached from the server's tile source at sync time (``fieldapp.sync.tiles``)
when it has them; without them the plan stands on a plain ground. No network is used here.

The window is 340 px square so it fits a phone; the estate choice and zoom buttons sit above.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flet as ft

from fieldapp.domain.geo import position
from fieldapp.domain.siteplan import (
    DEFAULT_ZOOMS,
    MARGIN_M,
    Box,
    Marker,
    View,
    blocks,
    fit_zoom,
    markers,
)
from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.form_kit import dropdown, value_of
from fieldapp.views.logic_patch import Nearby, by_id

SIDE = 340
MIN_ZOOM, MAX_ZOOM = 12, 19
COLOURS = {"high": ft.Colors.RED_700, "medium": ft.Colors.ORANGE_700, "low": ft.Colors.BLUE_700}
ROUTES = {"asb_case": "/asb", "repair": "/repair"}


def centre(nearby: Sequence[Nearby], here: tuple[float, float] | None) -> tuple[float, float]:
    """Where the map opens: where I stand, else the middle of the homes shown."""
    if here is not None:
        return here
    points = [p for n in nearby if (p := position(n.record)) is not None]
    if not points:
        return (53.3326, -2.6960)  # Runcorn: the demo estates
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def open_markers(state: AppState) -> tuple[list[Marker], dict[str, str]]:
    """Markers of open cases, open repairs and walks in progress; observation → walkabout."""
    walking = {str(w["id"]) for w in state.all("walkabout") if not w.get("ended_at")}
    observations = [o for o in state.all("observation") if o.get("walkabout_id") in walking]
    homes = by_id(state.all("property"))
    found = markers(
        homes=homes,
        cases=state.all("asb_case"),
        repairs=state.all("repair"),
        observations=observations,
    )
    return found, {str(o["id"]): str(o["walkabout_id"]) for o in observations}


class SiteMap(ft.Column):
    """The plan of one estate in a fixed window, with zoom and estate choice."""

    def __init__(self, state: AppState, homes: Sequence[Mapping[str, Any]], *, side: int = SIDE):
        super().__init__(spacing=8)
        self.state = state
        self.homes = [h for h in homes if position(h) is not None]
        self.side = side
        self.estates = sorted({str(h.get("estate") or "") for h in self.homes})
        self.estate = self._nearest_estate()
        self.zoom = self._fit()
        self.chooser = dropdown("Estate on the map", [(e, e) for e in self.estates], self.estate,
                                on_select=self._choose)  # fmt: skip
        self.window = ft.Container()
        self.note = common.muted("")
        self.controls = [
            ft.Row(
                [
                    ft.Semantics(label="Estate on the map", content=self.chooser),
                    self._zoom_button("Zoom out", ft.Icons.ZOOM_OUT, -1),
                    self._zoom_button("Zoom in", ft.Icons.ZOOM_IN, +1),
                ],
                wrap=True,
            ),
            self.window,
            self.note,
            _legend(),
        ]
        self.draw()

    # --- choices ---------------------------------------------------------------------------
    def _nearest_estate(self) -> str:
        here = self.state.position()
        if here is None or not self.homes:
            return self.estates[0] if self.estates else ""
        from fieldapp.domain.geo import nearest

        near = nearest(here[0], here[1], self.homes)
        return str((near or {}).get("estate") or (self.estates[0] if self.estates else ""))

    def _box(self) -> Box | None:
        points = [p for h in self.homes if h.get("estate") == self.estate if (p := position(h))]
        return Box.around(points, MARGIN_M / 2)

    def _fit(self) -> int:
        box = self._box()
        zooms = self.state.tile_zooms or list(DEFAULT_ZOOMS)
        return fit_zoom(box, self.side, self.side, zooms) if box else max(zooms)

    def _choose(self, _: Any) -> None:
        self.estate = value_of(self.chooser) or self.estate
        self.zoom = self._fit()
        self.draw()
        common.push(self)

    def _zoom_button(self, label: str, icon: ft.IconData, step: int) -> ft.Control:
        def zoom(_: Any) -> None:
            self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom + step))
            self.draw()
            common.push(self)

        ident = "map-zoom-in" if step > 0 else "map-zoom-out"
        return ft.Semantics(
            identifier=ident, content=ft.IconButton(icon, tooltip=label, on_click=zoom)
        )

    # --- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        box = self._box()
        view = View(box.centre if box else centre([], self.state.position()), self.zoom,
                    self.side, self.side)  # fmt: skip
        layers: list[ft.Control] = [
            ft.Container(left=0, top=0, width=self.side, height=self.side,
                         bgcolor=ft.Colors.GREEN_50)
        ]  # fmt: skip
        tiles = 0
        for z, x, y, left, top in view.tiles():
            data = self.state.tile(z, x, y)
            if data is not None:
                tiles += 1
                layers.append(ft.Container(left=left, top=top, width=256, height=256,
                    content=ft.Semantics(identifier="map-tile", image=True, label="map tile",
                        content=ft.Image(src=data, width=256, height=256, gapless_playback=True))))  # fmt: skip
        shown = [b for b in blocks(self.homes, self.estate) if view.shows(*b.centre, pad=40)]
        for block in shown:
            layers.extend(_block(view, block))
        found, walk_of = open_markers(self.state)
        for m in found:
            if view.shows(m.lat, m.lon):
                layers.append(self._marker(view, m, walk_of))
        here = self.state.position()
        if here is not None and view.shows(*here):
            hx, hy = view.place(*here)
            layers.append(ft.Container(left=hx - 9, top=hy - 9, width=18, height=18,
                border_radius=9, bgcolor=ft.Colors.BLUE_600, border=ft.Border.all(3, ft.Colors.WHITE),
                content=ft.Semantics(identifier="map-you-are-here", label="You are here",
                                     content=ft.Container(width=12, height=12))))  # fmt: skip
        homes_here = sum(b.homes for b in shown)
        self.window.content = ft.Semantics(
            label=f"Map of {homes_here} homes near you: estate plan of {self.estate}",
            content=ft.Container(
                width=self.side, height=self.side, border_radius=8,
                clip_behavior=ft.ClipBehavior.HARD_EDGE,
                content=ft.Stack(layers, width=self.side, height=self.side),
            ),
        )  # fmt: skip
        self.note.value = (
            f"{len(shown)} blocks · {tiles} map tiles on this tablet"
            if tiles
            else f"{len(shown)} blocks · no map tiles here: the plan is drawn from the homes"
        )

    def _marker(self, view: View, m: Marker, walk_of: Mapping[str, str]) -> ft.Control:
        x, y = view.place(m.lat, m.lon)
        go: Callable[[Any], None]
        if m.entity == "observation":
            walk = walk_of.get(m.id, "")
            go = lambda _: self.state.go("/walkabout", id=walk, observation=m.id)  # noqa: E731
        else:
            go = lambda _: self.state.go(ROUTES[m.entity], id=m.id)  # noqa: E731
        return ft.Container(
            left=x - 12, top=y - 12, width=24, height=24, border_radius=12,
            bgcolor=COLOURS[m.urgency], border=ft.Border.all(2, ft.Colors.WHITE), on_click=go,
            tooltip=f"{m.label} ({m.urgency})",
            content=ft.Semantics(identifier=f"map-marker-{m.entity}", label=m.label, button=True,
                                 content=ft.Container(width=20, height=20)),
        )  # fmt: skip


def _block(view: View, block: Any) -> list[ft.Control]:
    x0, y0 = view.place(block.box.north, block.box.west)
    x1, y1 = view.place(block.box.south, block.box.east)
    w, h = max(x1 - x0, 16) + 12, max(y1 - y0, 16) + 12
    left, top = (x0 + x1) / 2 - w / 2, (y0 + y1) / 2 - h / 2
    return [
        ft.Container(left=left, top=top, width=w, height=h, border_radius=4,
                     bgcolor=ft.Colors.with_opacity(0.35, ft.Colors.BROWN_100),
                     border=ft.Border.all(2, ft.Colors.BROWN_700)),
        ft.Container(left=left, top=top - 16, content=ft.Semantics(
            identifier="map-block", label=block.name,
            content=ft.Text(block.name, size=11, weight=ft.FontWeight.BOLD,
                            color=ft.Colors.BROWN_900, bgcolor=ft.Colors.with_opacity(0.7, ft.Colors.WHITE)))),
    ]  # fmt: skip


def _legend() -> ft.Control:
    def dot(colour: str, text: str) -> ft.Control:
        return ft.Row([ft.Container(width=12, height=12, border_radius=6, bgcolor=colour),
                       ft.Text(text, size=12)], spacing=4)  # fmt: skip

    return ft.Row([dot(COLOURS["high"], "urgent"), dot(COLOURS["medium"], "soon"),
                   dot(COLOURS["low"], "routine"), dot(ft.Colors.BLUE_600, "you")],
                  wrap=True, spacing=12)  # fmt: skip


def homes_map(state: AppState, nearby: Sequence[Nearby]) -> ft.Control:
    """The site map of the estate nearest me (every home of the patch is on it)."""
    return SiteMap(state, state.all("property"))
