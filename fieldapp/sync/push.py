"""Push phase: send the outbox in ``device_seq`` order, batches of at most 500, until empty.

Results are asked for lean (``"lean": true``): one per mutation, in the order sent, each with
the version and only the fields the device does not hold (derived ones, others' changes); the
store lays them over its own row (``apply_push_results``).

Each batch is taken from the store already counted as sent (so a later edit of the same
record is queued apart, not folded into a payload the server may have seen), and its results
are applied in one transaction. A lost answer is harmless: the next round sends the same
mutations again and the server replays its stored results. A batch the server finds too large
(413) is halved; a single mutation still too large is dead-lettered so the queue goes on.

Requests go one at a time, in order, but the device's own work overlaps the server's: while
the server handles batch N+1, the answer to N is settled and batch N+2 is taken from the
outbox (in one transaction) and encoded. A batch never holds a record that is still in
flight, so a record's later edits still wait for the answer to its earlier one.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fieldapp.store.store import Store
from fieldapp.sync.errors import ServerError
from fieldapp.sync.protocol import API_PREFIX, MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION
from fieldapp.sync.transport import (
    Transport,
    TransportResponse,
    check_response,
    request_patiently,
)

PUSH_PATH = f"{API_PREFIX}/sync/push"
_GZIP_LEVEL = 6


def push_all(
    *,
    store: Store,
    transport: Transport,
    progress: Callable[[int, int], None] | None = None,
    limit: int = MAX_MUTATIONS_PER_PUSH,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Push until nothing is pending; returns how many mutations were answered. A batch the
    server is too busy for (503/429 with ``Retry-After``) is sent again after that wait."""
    total = store.pending_count()
    answered = 0
    done: set[str] = set()  # mutation ids answered in this push
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as sender:

        def send(encoded: tuple[bytes, dict[str, str]] | None) -> Future[TransportResponse] | None:
            if encoded is None:
                return None
            body, headers = encoded
            return sender.submit(
                request_patiently,
                transport,
                "POST",
                PUSH_PATH,
                data=body,
                headers=headers,
                sleep=sleep,
            )

        batch = store.take_push_batch(limit=limit)
        in_flight = send(_encode(store, batch))
        # While the server works on ``batch``, the next one (none of its records) is taken and
        # encoded, so that it goes the moment the answer is in.
        following = store.take_push_batch(limit=limit, skip=_keys(batch)) if batch else []
        ready = _encode(store, following)
        while in_flight is not None:
            response = in_flight.result()
            in_flight = None
            if response.status == 413:
                # ``following`` was never sent: its mutations are still pending, taken again.
                if limit > 1:
                    limit = max(1, limit // 2)
                else:
                    _dead_letter(
                        store, batch[0], "payload_too_large", "this change is too large to send"
                    )
                batch = store.take_push_batch(limit=limit)
                in_flight = send(_encode(store, batch))
                following = store.take_push_batch(limit=limit, skip=_keys(batch)) if batch else []
                ready = _encode(store, following)
                continue
            check_response(response)
            in_flight = send(ready)  # the server starts on it while this one settles
            # One transaction (one fsync) settles this answer and takes the batch after the
            # one in flight; it is committed, so counted as sent, before that batch goes.
            with store.transaction():
                settled = _settle(store, batch, response)
                answered += settled
                after = (
                    store.take_push_batch(limit=limit, skip=_keys(following)) if following else []
                )
            if progress is not None:
                progress(answered, max(total, answered))
            done.update(m["mutation_id"] for m in batch)
            batch, following = following, after
            if in_flight is None and settled:
                # Nothing followed this batch: the edits that waited on its records' answers
                # go now, in this sync, not the next one (a mutation answered once and still
                # pending, which the server never does, waits for the next sync).
                fresh = store.take_push_batch(limit=limit)
                batch = [] if all(m["mutation_id"] in done for m in fresh) else fresh
                in_flight = send(_encode(store, batch))
                following = store.take_push_batch(limit=limit, skip=_keys(batch)) if batch else []
            ready = _encode(store, following)
    return answered


def _keys(batch: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {_key(m) for m in batch}


def _key(m: dict[str, Any]) -> tuple[str, str]:
    return (str(m["entity"]), str(m["id"]))


def _encode(store: Store, batch: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]] | None:
    """The gzip JSON body and its headers, made here so the sending thread only sends; None
    for an empty batch (nothing to send)."""
    if not batch:
        return None
    body = {
        "device_id": store.device_id,
        "schema_version": SCHEMA_VERSION,
        "lean": True,  # results carry only what this device does not hold already
        "mutations": batch,
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    token = store.get_meta("token")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return gzip.compress(raw, compresslevel=_GZIP_LEVEL), headers


def _settle(store: Store, batch: list[dict[str, Any]], response: TransportResponse) -> int:
    """Apply a push answer; returns how many of ``batch`` it answered."""
    reply: Any = response.json()
    raw = (reply or {}).get("results") if isinstance(reply, dict) else None
    if not isinstance(raw, list) or len(raw) != len(batch) or not batch:
        # Lean results answer by position: anything but one per mutation cannot be matched.
        raise ServerError(response.status, "bad_response", "the push answer had no results")
    results = []
    for m, r in zip(batch, raw, strict=True):
        if not isinstance(r, dict) or r.get("mutation_id", m["mutation_id"]) != m["mutation_id"]:
            raise ServerError(response.status, "bad_response", "a push result is out of order")
        results.append({**r, "mutation_id": m["mutation_id"]})
    store.apply_push_results(results, server_time=reply.get("server_time"))
    return len(results)


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
