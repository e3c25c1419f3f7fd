"""The Sync screen: connection, pending changes, photo uploads, refused changes, conflicts.

Each open conflict shows both values side by side (the one kept on the server, the one
proposed by the other edit) with one tap to keep either, or a field to enter another value.
Nothing here blocks: "Sync now" only wakes the background sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flet as ft

from fieldapp.state import AppState
from fieldapp.views import common
from fieldapp.views.logic_patch import case_title, local_time, property_label
from fieldapp.views.logic_sync import (
    connection,
    error_text,
    field_label,
    format_value,
    mutation_summary,
    parse_entered,
    photos_waiting,
    transfer_label,
    transfer_progress,
)
from fieldapp.views.patch import places_of

PENDING_ROWS = 20


def record_label(state: AppState, entity: str, record_id: str) -> str:
    """A person's name for the record a conflict is about (``ASB-0042 · noise``)."""
    record = state.get(entity, record_id)
    if record is None:
        return f"{entity.replace('_', ' ')} (not on this tablet)"
    if entity == "asb_case":
        return case_title(record)
    if entity == "property":
        return property_label(record)
    if entity in ("repair", "tenancy_visit"):
        home_id = str(record.get("property_id") or "")
        prop = state.get("property", home_id) if home_id else None
        # A finding at a walkabout spot names no home: it is placed as its observation was.
        where = property_label(prop) if home_id else places_of(state).label(record)
        return f"{entity.replace('_', ' ').capitalize()} at {where}"
    if entity == "walkabout":
        return f"Walkabout on {record.get('estate') or 'an estate'}"
    return entity.replace("_", " ").capitalize()


def _status(state: AppState) -> ft.Control:
    sync = state.sync
    conn = connection(sync)
    icon = {
        "online": ft.Icons.CLOUD_DONE,
        "syncing": ft.Icons.CLOUD_SYNC,
        "offline": ft.Icons.CLOUD_OFF,
    }.get(conn, ft.Icons.CLOUD_OFF)
    pending = len(state.pending())
    last = getattr(sync, "last_synced_at", None)
    last_text = f"Last synced {local_time(last)}" if last else "Not synced yet"
    lines: list[ft.Control] = [
        ft.Row(
            [ft.Icon(icon, size=32), ft.Text(conn.capitalize(), size=22, weight=ft.FontWeight.BOLD)]
        ),
        ft.Text(f"{pending} change{'s' if pending != 1 else ''} waiting to be sent", size=16),
        common.muted(last_text),
    ]
    error = getattr(sync, "last_error", None)
    if error:
        lines.append(common.banner(str(error), kind="warn", ident="sync-error"))
    waiting = photos_waiting(sync)
    progress = transfer_progress(sync)
    if progress is not None:
        what, done, total = progress
        lines.append(
            ft.Semantics(
                identifier="sync-transfer",
                content=ft.Text(transfer_label(what, done, total), size=16),
            )
        )
        lines.append(ft.ProgressBar(value=done / total, semantics_label=f"{what} progress"))
    if waiting and (progress is None or progress[0] != "Uploading photos"):
        lines.append(ft.Text(f"{waiting} photo{'s' if waiting != 1 else ''} waiting to upload"))
    lines.append(
        common.button("Sync now", lambda _: _sync_now(state), icon=ft.Icons.SYNC, ident="sync-now")
    )
    return common.card(lines)


def _sync_now(state: AppState) -> None:
    state.sync_now()
    state.toast("Syncing in the background…")


def _dead_letters(state: AppState) -> ft.Control:
    letters = state.dead_letters()
    rows: list[ft.Control] = [common.heading(f"Refused by the server ({len(letters)})", level=2)]
    if not letters:
        rows.append(common.muted("None: every change sent so far was accepted."))
    for entry in letters:
        rows.append(
            common.card(
                [
                    ft.Text(mutation_summary(entry), size=16, weight=ft.FontWeight.W_600),
                    common.banner(error_text(entry), kind="error"),
                ]
            )
        )
    return ft.Column(rows, spacing=6)


def _value_box(title: str, value: Any, detail: str, action: ft.Control) -> ft.Control:
    return ft.Container(
        col={"xs": 12, "md": 6},
        padding=12,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
        content=ft.Column(
            [
                common.muted(title),
                ft.Text(format_value(value), size=18, weight=ft.FontWeight.W_600),
                common.muted(detail),
                action,
            ],
            spacing=6,
        ),
    )


def conflict_card(state: AppState, conflict: Mapping[str, Any]) -> ft.Control:
    """One conflict: both values side by side, keep either, or enter another."""
    cid = str(conflict["id"])
    entity = str(conflict.get("entity") or "")
    fname = str(conflict.get("field") or "")
    error = ft.Column([])
    other = common.field(f"Another value for {field_label(fname).lower()}")

    def resolve(resolution: str, value: Any = None) -> None:
        try:
            state.resolve_conflict(cid, resolution, value)
        except Exception as exc:  # a refused resolution is shown, never lost silently
            error.controls = [common.banner(str(exc) or "Could not save this choice.")]
            common.push(error)
            return
        state.toast(f"Conflict on {field_label(fname).lower()} resolved")

    def use_other(_: Any) -> None:
        try:
            value = parse_entered(entity, fname, other.value or "")
        except ValueError as exc:
            other.error = str(exc)
            common.push(other)
            return
        resolve("value", value)

    kept = _value_box(
        "Kept on the server",
        conflict.get("kept_value"),
        f"Was {format_value(conflict.get('base_value'))} before both edits",
        common.button("Keep this", lambda _: resolve("kept"), ident=f"keep-{cid}", primary=False),
    )
    who = str(conflict.get("proposed_by") or "another device")
    when = local_time(conflict.get("proposed_at"))
    proposed = _value_box(
        "Proposed",
        conflict.get("proposed_value"),
        f"By {who}" + (f", {when}" if when else ""),
        common.button("Use this", lambda _: resolve("proposed"), ident=f"use-{cid}", primary=False),
    )
    return common.card(
        [
            ft.Text(
                f"{record_label(state, entity, str(conflict.get('record_id') or ''))}: "
                f"{field_label(fname)}",
                size=17,
                weight=ft.FontWeight.BOLD,
            ),
            ft.ResponsiveRow([kept, proposed], spacing=12, run_spacing=12),
            ft.Row(
                [
                    ft.Container(other, expand=True),
                    common.button("Save value", use_other, ident=f"value-{cid}", primary=False),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            error,
        ]
    )


def _conflicts(state: AppState) -> ft.Control:
    conflicts = state.open_conflicts()
    rows: list[ft.Control] = [common.heading(f"Conflicts to review ({len(conflicts)})", level=2)]
    if not conflicts:
        rows.append(common.muted("No conflicts: every edit merged."))
    rows.extend(conflict_card(state, c) for c in conflicts)
    return ft.Column(rows, spacing=6)


def _pending(state: AppState) -> ft.Control:
    pending = state.pending()
    rows: list[ft.Control] = [common.heading(f"Waiting to be sent ({len(pending)})", level=2)]
    if not pending:
        rows.append(common.muted("Nothing waiting: the server has every change."))
    seen: set[object] = set()
    for entry in pending[:PENDING_ROWS]:
        key = (entry.get("entity"), entry.get("id"))
        text = mutation_summary(entry, first=key not in seen)
        seen.add(key)
        rows.append(common.tile(text, icon=ft.Icons.UPLOAD_OUTLINED))
    if len(pending) > PENDING_ROWS:
        rows.append(common.muted(f"…and {len(pending) - PENDING_ROWS} more"))
    return ft.Column(rows, spacing=4)


def view(state: AppState, **params: str) -> ft.Control:
    # Separate live areas, so a background tick redraws the status card without wiping a
    # value being typed into a conflict card.
    return ft.Column(
        [
            common.heading("Sync"),
            common.live(state, lambda: _status(state)),
            common.live(
                state,
                lambda: _conflicts(state),
                key=lambda: [c.get("id") for c in state.open_conflicts()],
            ),
            common.live(state, lambda: _dead_letters(state), key=lambda: len(state.dead_letters())),
            common.live(state, lambda: _pending(state), key=lambda: len(state.pending())),
        ],
        spacing=common.GAP * 2,
    )
