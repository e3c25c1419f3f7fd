"""Push phase: send the outbox in ``device_seq`` order, batches of at most 500, until empty.

Each batch is taken from the store already counted as sent (so a later edit of the same
record is queued apart, not folded into a payload the server may have seen), and its results
are applied in one transaction. A lost answer is harmless: the next round sends the same
mutations again and the server replays its stored results. A batch the server finds too large
(413) is halved; a single mutation still too large is dead-lettered so the queue goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fieldapp.store.store import Store
from fieldapp.sync.errors import ServerError
from fieldapp.sync.protocol import API_PREFIX, MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION
from fieldapp.sync.transport import Transport, check_response

PUSH_PATH = f"{API_PREFIX}/sync/push"


def push_all(
    *,
    store: Store,
    transport: Transport,
    progress: Callable[[int, int], None] | None = None,
    limit: int = MAX_MUTATIONS_PER_PUSH,
) -> int:
    """Push until nothing is pending; returns how many mutations were answered."""
    total = store.pending_count()
    answered = 0
    while True:
        batch = store.take_push_batch(limit=limit)
        if not batch:
            return answered
        body = {"device_id": store.device_id, "schema_version": SCHEMA_VERSION, "mutations": batch}
        response = transport.request("POST", PUSH_PATH, json_body=body)
        if response.status == 413:
            if limit > 1:
                limit = max(1, limit // 2)
                continue
            _dead_letter(store, batch[0], "payload_too_large", "this change is too large to send")
            continue
        check_response(response)
        reply: Any = response.json()
        results = [r for r in (reply or {}).get("results") or () if isinstance(r, dict)]
        store.apply_push_results(results, server_time=(reply or {}).get("server_time"))
        sent = {m["mutation_id"] for m in batch}
        got = sent & {r.get("mutation_id") for r in results}
        if not got:  # an answer that settles nothing: stop rather than loop
            raise ServerError(response.status, "bad_response", "the push answer had no results")
        answered += len(got)
        if progress is not None:
            progress(answered, max(total, answered))


def _dead_letter(store: Store, mutation: dict[str, Any], code: str, message: str) -> None:
    store.apply_push_results(
        [
            {
                "mutation_id": mutation["mutation_id"],
                "status": "rejected",
                "error": {"code": code, "message": message},
            }
        ]
    )
