"""Pull phase: fetch the change feed page by page until ``has_more`` is false.

Each page is applied in one transaction together with its ``next_cursor``, so a connection
cut mid-pull loses at most the page in flight and the next round resumes after the last
applied one. ``410 resync_required`` starts a full re-download (``Store.begin_resync``): the
outbox is kept, nothing local disappears until the new download has completed, and then only
synced rows the server no longer sent are swept (``Store.finish_resync``).

Echo suppression: every request asks ``omit_own=1`` — leave out records whose current version
this device was told in a push result — except during a re-download, which must see every row
because ``finish_resync`` sweeps the rows it did not see. It is safe because what a push
result told is stored in the same transaction that drops the mutation from the outbox: if
that transaction never happened (answer lost, app killed), the mutation is still pending, is
sent again and the server replays the stored result, carrying the same version. A record
written again after the answer (by anyone, or re-derived) no longer counts as told. A wiped
device takes a new ``device_id``, so nothing is ever left out for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fieldapp.store.store import Store
from fieldapp.sync.errors import ResyncRequired, ServerError
from fieldapp.sync.protocol import API_PREFIX, MAX_PULL_LIMIT, SCHEMA_VERSION
from fieldapp.sync.transport import Transport, check_response, request_patiently

PULL_PATH = f"{API_PREFIX}/sync/pull"


def pull_all(
    *,
    store: Store,
    transport: Transport,
    progress: Callable[[int, int], None] | None = None,
    limit: int = MAX_PULL_LIMIT,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Pull until caught up; returns how many changes were applied. A busy server (503/429
    with ``Retry-After``) is asked again after the wait it names."""
    applied = 0
    resynced = False
    while True:
        params: dict[str, Any] = {"limit": limit, "schema_version": SCHEMA_VERSION}
        if store.get_meta("resync") != "1":
            params["omit_own"] = 1
        cursor = store.cursor()
        if cursor:
            params["cursor"] = cursor
        response = request_patiently(transport, "GET", PULL_PATH, params=params, sleep=sleep)
        try:
            check_response(response)
        except ResyncRequired:
            if resynced or not cursor:
                raise  # refused even from the start: not something a retry here fixes
            resynced = True
            store.begin_resync()
            continue
        page: Any = response.json()
        if not isinstance(page, dict):
            raise ServerError(response.status, "bad_response", "the pull answer was not a page")
        store.apply_pull_page(page)
        applied += len(page.get("changes") or ())
        if progress is not None:
            progress(applied, 0)
        if not page.get("has_more"):
            break
        if page.get("next_cursor") in (None, cursor):
            raise ServerError(response.status, "bad_response", "the pull cursor did not move")
    if store.get_meta("resync") == "1":
        store.finish_resync()
    return applied
