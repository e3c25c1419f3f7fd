"""Server throughput on loopback: ``python -m tests.support.server_bench [--pg]``.

Pushes 10,000 mutations in 20 requests of 500 (creates, then edits of the same records), then
bootstraps a fresh device with pulls of 1,000; prints medians of a few runs. Not a test:
speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from fieldapp.ids import new_id
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database


def _push_body(api: Api, muts: list[dict[str, object]]) -> bytes:
    body = {"device_id": api.device_id, "schema_version": 1, "mutations": muts}
    return gzip.compress(json.dumps(body).encode(), 5)


def run(server: LiveServer, n: int = 10_000, per: int = 500) -> dict[str, float]:
    wid = new_id()
    api = Api(server.url).login("bench")
    first = api.push_one(
        mutation("walkabout", wid, {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z"})
    )
    assert first["status"] == "applied", first
    ids = [new_id() for _ in range(n)]
    text = "Noise from the flat above late at night; music and shouting. " * 15  # ~1 KB
    creates = [
        mutation(
            "asb_case",
            i,
            {
                "category": "noise",
                "received_at": "2026-06-10T09:00:00Z",
                "description": f"{k} {text}",
                "ref": f"ASB-{k:06d}",
                "status": "open",
            },
        )
        for k, i in enumerate(ids)
    ]
    edits = [
        mutation("asb_case", i, {"status": "action_plan"}, base_version=1)
        for k, i in enumerate(ids)
    ]
    headers = {**api.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    out: dict[str, float] = {}
    for label, muts in (("push_create", creates), ("push_edit", edits)):
        bodies = [_push_body(api, muts[s : s + per]) for s in range(0, n, per)]
        t0 = time.perf_counter()
        for body in bodies:
            r = api.http.post(f"{api.base}/sync/push", content=body, headers=headers)
            assert r.status_code == 200, r.text[:300]
        out[label] = time.perf_counter() - t0
    fresh = Api(server.url).login("bench")
    t0 = time.perf_counter()
    records, _, _, requests = fresh.pull_all(limit=1000)
    out["bootstrap_pull"] = time.perf_counter() - t0
    out["bootstrap_requests"] = requests
    assert len(records) >= n, len(records)
    t0 = time.perf_counter()
    _, _, cursor, _ = fresh.pull_all(limit=1000)
    r = fresh.pull(cursor)
    out["noop_pull"] = time.perf_counter() - t0
    assert r.json()["changes"] == []
    api.close()
    fresh.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: list[dict[str, float]] = []
    for _ in range(args.runs):
        with ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = stack.enter_context(fresh_database()) if args.pg else None
            server = stack.enter_context(LiveServer(data_dir=tmp, database_url=url))
            server.add_user("bench", role="manager")
            results.append(run(server))
    for key in results[0]:
        print(f"{key:20s} median {statistics.median(r[key] for r in results):.3f}")


if __name__ == "__main__":
    main()
