"""The Flet entry point: ``main(page)`` builds one session, ``run_web`` serves a tablet in a browser.

Each browser session (or the single screen of a built app) gets its own ``AppState`` over the
process's one ``Device`` (one data folder = one tablet). Device services live here because
they need a page: the Geolocator feeds ``state.position()``, Connectivity wakes the sync when
the network returns. ``python -m fieldapp.app --data-dir D --port N`` runs one tablet in web
mode on 127.0.0.1 (how the demo and the browser tests start each tablet).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import flet as ft

from fieldapp.services import AppConfig, close_devices, open_device
from fieldapp.state import AppState
from fieldapp.views import palette
from fieldapp.views.shell import Shell, route_table

log = logging.getLogger(__name__)
GEO_TIMEOUT = 15.0  # seconds to wait for a first position fix before giving up quietly


def split_route(route: str) -> tuple[str, dict[str, str]]:
    """``/asb?id=x`` → (``/asb``, {"id": "x"})."""
    parts = urlsplit(route or "/")
    return parts.path or "/", dict(parse_qsl(parts.query))


def join_route(route: str, params: dict[str, str]) -> str:
    return route + ("?" + urlencode(params) if params else "")


def _connected(page: ft.Page) -> bool:
    """Whether the session has a browser to draw on (between a reload's disconnect and its
    reconnect it has none, and an update would fail)."""
    try:
        return page.session.connection is not None
    except Exception:  # the session is gone
        return False


def _dispatcher(page: ft.Page) -> Callable[[Callable[[], None]], None]:
    """Run a function on the session's event loop, after whatever handler is running.

    Sync notifications come from the sync thread; local writes notify from inside a handler.
    Each refresh runs later on the loop in a context of its own: Flet keeps "update() was
    called" per context, and a refresh sharing the handler's would switch off the handler's
    automatic update at its end (its last changes would never reach the screen).
    """

    def guarded(fn: Callable[[], None]) -> None:
        ft.context.reset_auto_update()  # type: ignore[no-untyped-call]
        try:
            fn()
        except Exception:
            if not _connected(page):  # mid-reload: the state keeps listening, on_connect redraws
                log.debug("no browser to draw on; refresh skipped", exc_info=True)
                return
            log.exception("screen refresh failed")

    def dispatch(fn: Callable[[], None]) -> None:
        try:
            loop = page.loop
        except Exception:  # the session is gone
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(guarded, fn, context=contextvars.Context())

    return dispatch


async def _watch_position(page: ft.Page, state: AppState) -> Any:
    """Start the Geolocator; a refused or missing fix leaves ``position()`` None."""
    try:
        from flet_geolocator import Geolocator
    except ImportError:  # pragma: no cover - the package is pinned
        return None
    geo = Geolocator(
        on_position_change=lambda e: state.set_position(e.position.latitude, e.position.longitude)
    )
    try:
        pos = await asyncio.wait_for(geo.get_current_position(), GEO_TIMEOUT)
    except Exception as exc:  # no permission, no GPS, timeout: the app works without it
        log.info("no position: %r", exc)
        return geo
    if pos is not None:
        state.set_position(pos.latitude, pos.longitude)
    return geo


async def _watch_connectivity(page: ft.Page, state: AppState) -> Any:
    def changed(e: Any) -> None:
        kinds = getattr(e, "connectivity", []) or []
        if any(getattr(k, "value", k) != "none" for k in kinds):
            state.sync_now()

    conn = ft.Connectivity(on_change=changed)
    try:
        await asyncio.wait_for(conn.get_connectivity(), GEO_TIMEOUT)
    except Exception as exc:
        log.info("connectivity unavailable: %r", exc)
    return conn


async def main(page: ft.Page) -> None:
    """One session of the app."""
    config = AppConfig.from_env()
    device = open_device(config)
    page.title = "Estate Walkabout"
    # Text and surfaces from the palette (contrast checked); the seed fills in the rest.
    page.theme = ft.Theme(
        color_scheme_seed=ft.Colors.TEAL,
        color_scheme=ft.ColorScheme(
            primary=palette.PRIMARY,
            on_primary=palette.ON_PRIMARY,
            surface=palette.PAGE,
            on_surface=palette.TEXT,
            on_surface_variant=palette.MUTED,
            error=palette.OVERDUE,
        ),
    )
    page.bgcolor = palette.PAGE
    page.theme_mode = ft.ThemeMode.LIGHT
    page.padding = 0
    shown: dict[str, str] = {"route": ""}

    dispatch = _dispatcher(page)

    def show(route: str, params: dict[str, str]) -> None:
        shell.show(route, params)
        full = join_route(shell.state.route, shell.state.params)
        if full != shown["route"]:
            shown["route"] = full
            page.navigate(full)  # keeps the address bar (and Back) in step

    # Both run after the current handler, in a context of their own (see ``_dispatcher``):
    # a dialog or a new screen pushed mid-handler would stop Flet's end-of-handler update.
    def navigate(route: str, params: dict[str, str]) -> None:
        dispatch(lambda: show(route, params))

    def toast(message: str) -> None:
        dispatch(lambda: page.show_dialog(ft.SnackBar(ft.Text(message, size=16), duration=3000)))

    state = AppState(device, navigate=navigate, toast=toast, dispatch=dispatch)
    shell = Shell(page, state, route_table())

    def on_route_change(e: ft.RouteChangeEvent) -> None:
        if e.route != shown["route"]:
            shown["route"] = e.route
            # Through ``show``: if the screen stays (unsaved changes: the officer is asked),
            # the address bar is put back to it.
            show(*split_route(e.route))

    def on_gone(_: Any) -> None:
        state.close()

    def on_back(_: Any) -> None:
        # A browser reload re-attaches this same session (Flet keeps it for a while), and
        # the state kept hearing the device meanwhile: only the session's expiry
        # (``on_close``) ends that, not a dropped connection. Draw the screen again from the
        # store, unless it is a form holding typed changes (the session kept them).
        guard = state.leave_guard
        if guard is not None and guard():
            shell.refresh_status()
        else:
            shell.show(state.route, state.params)

    page.on_route_change = on_route_change
    page.on_resize = lambda _: shell.on_resize()
    page.on_close = on_gone
    page.on_connect = on_back
    route, params = split_route(page.route)
    shown["route"] = page.route
    shell.show(route, params)
    # Services must stay referenced or Flet drops them after this handler returns.
    services = await asyncio.gather(_watch_connectivity(page, state), _watch_position(page, state))
    page.data = {"services": services, "state": state}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fieldapp.app", description="Run one tablet (web).")
    p.add_argument("--data-dir", help="this tablet's data folder (default: $FIELDAPP_DATA_DIR)")
    p.add_argument("--server-url", help="default server address (settings may override)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8550)
    p.add_argument("--name", default="", help="device name shown to managers")
    return p


def run_web(argv: Sequence[str] | None = None) -> None:
    """Serve the app for a browser on 127.0.0.1 (offline: no CDN)."""
    args = _parser().parse_args(argv)
    if args.data_dir:
        os.environ["FIELDAPP_DATA_DIR"] = args.data_dir
    if args.server_url:
        os.environ["FIELDAPP_SERVER_URL"] = args.server_url
    if args.name:
        os.environ["FIELDAPP_DEVICE_NAME"] = args.name
    os.environ.setdefault("FLET_WEB_NO_CDN", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A browser reload or a closed tab drops the websocket mid-read; Flet reports that as a
    # warning with a traceback. It is how web sessions end, not a fault of the app.
    logging.getLogger("flet_web.fastapi").setLevel(logging.ERROR)
    assets = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets")
    from fieldapp.flet_patches import end_sessions_quietly  # web mode only: flet-web is there

    end_sessions_quietly()
    ft.run(
        main,
        view=ft.AppView.WEB_BROWSER,
        host=args.host,
        port=args.port,
        no_cdn=True,
        assets_dir=assets,
    )
    exit_now()


def exit_now() -> None:
    """Leave at once once the web server has stopped (SIGTERM, Ctrl-C).

    Every write is already committed (the store commits each transaction with a full sync),
    so there is nothing left to save: the sync thread is stopped, the store closed and the
    logs flushed, and the process ends without the interpreter's teardown of Flet's many
    thousands of objects, which took 4-5 s on a busy 2-core machine and made ``demo_run``
    (and anything else that stops a tablet) wait.
    """
    close_devices(timeout=2.0)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    run_web()
