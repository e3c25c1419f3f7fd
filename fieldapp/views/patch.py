"""My patch today: open cases with their SLA clocks, repairs due, ATVs due, search, homes near me.

The rules (what is due, what is near) are in ``logic_patch``; this module only lays them out.
Homes are listed nearest first from the last known position: the list is the offline
fallback for a map, whose tiles cannot load without a connection.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flet as ft

from fieldapp.domain.calendar import local_date
from fieldapp.state import AppState
from fieldapp.sync.protocol import ASB_CATEGORIES, REPAIR_PRIORITIES
from fieldapp.views import common
from fieldapp.views.form_kit import NONE_KEY, dropdown, grid
from fieldapp.views.logic_forms import policy_of
from fieldapp.views.logic_lists import (
    SHORT_LIST,
    SORT_OPTIONS,
    WHEN_OPTIONS,
    ListFilter,
    atvs_filtered,
    estates,
    filtered,
    keyword_hits,
    shown,
)
from fieldapp.views.logic_overview import repair_title
from fieldapp.views.logic_patch import (
    LOCAL,
    NEXT_STEP,
    Places,
    atv_label,
    atvs_due,
    by_distance,
    case_title,
    distance_label,
    due_label,
    matches_line,
    open_cases,
    property_label,
    reference_of,
    repair_clocks,
    repair_reference_title,
    urgency,
)
from fieldapp.views.patch_map import homes_map

NEARBY_ROWS = 15
LIST_ROWS = SHORT_LIST
_COLOURS = {"overdue": common.OVERDUE, "due_soon": common.SOON, "later": common.OK}


def _clock_colour(due_at: Any, state: AppState) -> ft.ColorValue | None:
    return _COLOURS.get(urgency(due_at, state.now()))


def _go(state: AppState, route: str, **params: str) -> Callable[[Any], None]:
    return lambda _: state.go(route, **params)


SEARCH_ROWS = 30  # rows a search lists at most (the line above them says when it is full)


def places_of(state: AppState) -> Places:
    """Where this tablet's cases and repairs are (``Places``)."""
    return Places(state.all("property"), state.all("observation"))


def search_records(
    state: AppState,
    text: str,
    *,
    limit: int = SEARCH_ROWS,
    places: Callable[[], Places] | None = None,
) -> list[tuple[str, str, str]]:
    """(route, id, label) for homes and cases matching an address, postcode or reference;
    ``places`` gives where they are (made only when a case or repair is found)."""
    text = text.strip()
    if len(text) < 2:
        return []
    hits: list[tuple[str, str, str]] = []
    needle = text.lower()
    found = [
        (entity, record)
        for entity in ("asb_case", "repair")
        for record in state.all(entity)
        if needle in (reference_of(record) or "").lower()
    ]
    where = (places or (lambda: places_of(state)))().label if found else None
    for entity, record in found:
        assert where is not None  # made when anything was found
        if entity == "asb_case":
            hits.append(("/asb", str(record["id"]), f"{case_title(record)} — {where(record)}"))
        else:
            title = repair_reference_title(record, repair_title(record))
            hits.append(("/repair", str(record["id"]), f"{title} — {where(record)}"))
    for prop in state.search_properties(text, limit=limit):
        hits.append(("/property", str(prop["id"]), property_label(prop)))
    return hits[:limit]


def _section(title: str, rows: list[ft.Control], empty: str) -> ft.Control:
    body: list[ft.Control] = [common.heading(title, level=2)]
    body.extend(rows if rows else [common.muted(empty)])
    return ft.Column(body, spacing=4)


def _show_all(
    count: int, chosen: ListFilter, flip: Callable[[Any], None], ident: str
) -> list[ft.Control]:
    if count <= SHORT_LIST:
        return []
    text = "Show fewer" if chosen.show_all else f"Show all {count}"
    return [common.button(text, flip, primary=False, ident=ident)]


def _cases(
    state: AppState, chosen: ListFilter, places: Places, flip: Callable[[Any], None]
) -> ft.Control:
    rows: list[ft.Control] = []
    cases = filtered(open_cases(state.all("asb_case")), chosen, homes=places.homes,
                     category_field="category", now=state.now())  # fmt: skip
    for case in shown(cases, chosen):
        cid = str(case["id"])
        rows.append(
            common.tile(
                case_title(case),
                places.label(case),
                icon=ft.Icons.REPORT_OUTLINED,
                trailing=due_label(case.get("due_at"), state.now()),
                trailing_color=_clock_colour(case.get("due_at"), state),
                on_click=_go(state, "/asb", id=cid),
            )
        )
    rows += _show_all(len(cases), chosen, flip, "patch-cases-all")
    title = f"Open ASB cases ({len(cases)})"
    return _section(title, rows, "No open cases match.")


def awaab_step(step: Any) -> str:
    """``Awaab's Law: make safe`` when a repair's next deadline is one of its stages."""
    return "" if step in (None, "Response") else f"Awaab's Law: {str(step).lower()}"


def _repairs(
    state: AppState, chosen: ListFilter, places: Places, flip: Callable[[Any], None]
) -> ft.Control:
    rows: list[ft.Control] = []
    running = repair_clocks(state.all("repair"))
    repairs = filtered(
        running, chosen, homes=places.homes, category_field="priority", now=state.now()
    )
    for repair in shown(repairs, chosen):
        rid = str(repair["id"])
        rows.append(
            common.tile(
                repair_reference_title(repair, repair_title(repair)),
                " · ".join(
                    part
                    for part in (awaab_step(repair.get(NEXT_STEP)), places.label(repair))
                    if part
                ),
                icon=ft.Icons.BUILD_OUTLINED,
                trailing=due_label(repair.get("due_at"), state.now()),
                trailing_color=_clock_colour(repair.get("due_at"), state),
                on_click=_go(state, "/repair", id=rid),
            )
        )
    rows += _show_all(len(repairs), chosen, flip, "patch-repairs-all")
    return _section(f"Repairs due ({len(repairs)})", rows, "No repairs with a clock running match.")


def _atvs(
    state: AppState,
    chosen: ListFilter,
    homes: Sequence[Mapping[str, Any]],
    flip: Callable[[Any], None],
) -> ft.Control:
    rows: list[ft.Control] = []
    rules = policy_of(state)
    today = local_date(state.now(), rules)
    due = atvs_filtered(atvs_due(homes, state.now(), policy=rules), chosen, today=today)
    for prop, day in due if chosen.show_all else due[:LIST_ROWS]:
        pid = str(prop["id"])
        overdue = "overdue" in atv_label(day, state.now())
        rows.append(
            common.tile(
                property_label(prop),
                str(prop.get("estate") or ""),
                icon=ft.Icons.FACT_CHECK_OUTLINED,
                trailing=atv_label(day, state.now()),
                trailing_color=common.OVERDUE if overdue else common.SOON,
                on_click=_go(state, "/atv", property_id=pid),
            )
        )
    rows += _show_all(len(due), chosen, flip, "patch-atvs-all")
    return _section(f"Annual Tenancy Visits due ({len(due)})", rows, "No ATVs due this month.")


def _nearby(
    state: AppState, homes: Sequence[Mapping[str, Any]], show_map: list[bool]
) -> ft.Control:
    position = state.position()
    nearby = by_distance(homes, position)
    rows: list[ft.Control] = []
    for near in nearby[:NEARBY_ROWS]:
        pid = str(near.record["id"])
        where = " · ".join(
            str(near.record.get(k)) for k in ("estate", "block") if near.record.get(k)
        )
        rows.append(
            common.tile(
                property_label(near.record),
                where,
                icon=ft.Icons.HOME_OUTLINED,
                trailing=distance_label(near.metres),
                on_click=_go(state, "/property", id=pid),
            )
        )
    where = (
        "nearest to where you stand"
        if position
        else "by address (no location yet: allow location to sort by distance)"
    )
    map_box = ft.Container()

    def toggle_map(_: Any) -> None:
        # The map is opt-in: the list below is quicker to read on the move.
        map_box.content = None if map_box.content is not None else homes_map(state, nearby)
        toggle.content = "Hide map" if map_box.content is not None else "Show map"

    toggle = ft.OutlinedButton(
        content="Show map", icon=ft.Icons.MAP, on_click=toggle_map, height=common.TOUCH
    )
    return _section(
        "Homes near me",
        [
            ft.Row(
                [
                    common.muted(f"{len(homes)} homes, {where}"),
                    ft.Semantics(identifier="patch-map", content=toggle),
                ],
                wrap=True,
            ),
            map_box,
            *rows,
        ],
        "",
    )


def view(state: AppState, **params: str) -> ft.Control:
    results = ft.Column([], spacing=2)

    def on_search(e: Any) -> None:
        text = str(e.control.value or "")
        # Where the records found are: made once a keystroke, and only if something is found.
        places = functools.cache(lambda: places_of(state))
        hits = search_records(state, text, places=places)
        full = len(hits) >= SEARCH_ROWS  # there may be more than are listed
        # Words in case and repair descriptions too (staff only: descriptions are personal).
        known = {rid for _, rid, _ in hits}
        hits += [
            hit for hit in keyword_hits(text, role=state.role, cases=state.all("asb_case"),
                                        repairs=state.all("repair"),
                                        where=lambda r: places().label(r))
            if hit[1] not in known
        ]  # fmt: skip
        results.controls = [
            common.tile(label, icon=ft.Icons.SEARCH, on_click=_go(state, route, id=rid))
            for route, rid, label in hits
        ]
        if len(text.strip()) >= 2:
            # Said in words, above the rows: how many this text found (a screen reader hears
            # it; anyone typing sees the list has caught up with the last key).
            results.controls.insert(0, common.muted(matches_line(text, len(hits), more=full)))

    search = common.field(
        "Search address, postcode or reference",
        on_change=on_search,
        on_submit=on_search,
        width=560,
    )

    show_map = [False]

    def signature() -> Any:
        # Redraw only when what is listed changed, not on every background sync tick.
        work = [
            (r.get("id"), r.get("status"), r.get("due_at"))
            for entity in ("asb_case", "repair")
            for r in state.all(entity)
        ]
        homes = [
            (p.get("id"), p.get("last_atv_on"), p.get("atv_due_on")) for p in state.all("property")
        ]
        return (state.position(), work, homes)

    chosen = [ListFilter()]
    all_homes = state.all("property")

    def choose(**changes: Any) -> None:
        chosen[0] = chosen[0].with_(**changes)
        area.content = body()

    def flip(_: Any) -> None:
        choose(show_all=not chosen[0].show_all)

    def picked(name: str) -> Callable[[Any], None]:
        def handler(e: Any) -> None:
            value = e.control.value
            choose(**{name: None if value in (None, "", NONE_KEY) else value})

        return handler

    filters = grid(
        dropdown("Show", WHEN_OPTIONS, "all", on_select=picked("when")),
        dropdown("Estate", [(e, e) for e in estates(all_homes)], None,
                 on_select=picked("estate"), none_text="All estates"),
        dropdown("ASB category or repair priority",
                 [(c, c.capitalize()) for c in (*ASB_CATEGORIES, *REPAIR_PRIORITIES)], None,
                 on_select=picked("category"), none_text="Any"),
        dropdown("Sort", SORT_OPTIONS, "due", on_select=picked("sort")),
        md=3,
    )  # fmt: skip

    def body() -> ft.Control:
        homes = state.all("property")
        places = Places(homes, state.all("observation"))
        user = state.user or {}
        return ft.Column(
            [
                common.muted(
                    f"{user.get('name') or ''} · {state.now().astimezone(LOCAL):%A %d %B}"
                ),
                filters,
                _cases(state, chosen[0], places, flip),
                _repairs(state, chosen[0], places, flip),
                _atvs(state, chosen[0], homes, flip),
                _nearby(state, homes, show_map),
            ],
            spacing=common.GAP * 2,
        )

    area = common.live(state, body, key=signature)
    return ft.Column(
        [
            common.heading("My patch today"),
            search,
            common.muted("It also finds words in case and repair descriptions."),
            results,
            area,
        ],
        spacing=common.GAP,
    )
