"""Sync benchmark: time, requests and bytes per phase against the real server on loopback.

One device creates N records of about 1 KB (ASB cases) and pushes them; a second device
bootstraps them; the first makes 100 edits and syncs; then a sync with nothing to do. Each
figure is the median of ``--runs`` runs, each on a fresh server (SQLite). Bytes are as sent
on the wire (gzip bodies). The device apply rate is the store's ``apply_pull_page`` over the
pages the bootstrap received, as a ratio of a raw ``sqlite3`` ``executemany`` upsert of the
same rows into the same table (same indexes, same pragmas: WAL, synchronous=FULL), one
transaction per page in both. The push is also set against its floor on this machine: raw
``json`` decoding and encoding of the same batches and raw ``sqlite3`` writes of the three rows
the server keeps per mutation (record, revision, applied mutation), fsynced per batch.

With ``--shared-property`` every case names the same home (``property_id``): the push must
then cost what it costs without one (the server reads what each batch touches, not every
earlier case of that home).

    .venv/bin/python bench/sync_bench.py [--records 10000] [--runs 3] [--shared-property]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fieldapp.store.db import CODECS, upsert_sql  # noqa: E402
from fieldapp.store.store import Store  # noqa: E402
from fieldapp.sync.engine import SyncEngine  # noqa: E402
from fieldapp.sync.transport import HttpTransport  # noqa: E402
from tests.support.api import PASSWORD  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

TARGETS = {
    "push": "≤ 1.3 s",
    "bootstrap": "≤ 20 requests, ≤ 1.1 s",
    "edits": "≤ 3 requests, ≤ 20 KB up",
    "noop": "1 request",
}


class CountingSession(requests.Session):
    """Counts requests and wire bytes (gzip bodies as sent; answers by Content-Length)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.up = 0
        self.down = 0
        self.pages: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []  # push bodies as sent (gzip JSON)

    def reset(self) -> None:
        self.requests = self.up = self.down = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)
        self.requests += 1
        body = request.body or b""
        self.up += len(body) if isinstance(body, bytes) else len(str(body).encode())
        length = response.headers.get("Content-Length")
        self.down += int(length) if length else len(response.content)
        if request.method == "GET" and "/sync/pull" in (request.url or ""):
            self.pages.append(response.json())
        if request.method == "POST" and "/sync/push" in (request.url or ""):
            self.bodies.append(body if isinstance(body, bytes) else b"")
        return response


def _device(url: str, folder: Path) -> tuple[Store, SyncEngine, CountingSession]:
    store = Store.open(folder)
    session = CountingSession()
    transport = HttpTransport(base_url=url, session=session, token=lambda: store.get_meta("token"))
    engine = SyncEngine(store=store, transport=transport, blob_uploader=lambda **_: 0)
    return store, engine, session


def _phase(session: CountingSession, run: Callable[[], Any]) -> dict[str, float]:
    session.reset()
    start = time.perf_counter()
    state = run()
    took = time.perf_counter() - start
    if getattr(state, "status", "online") != "online":
        raise SystemExit(f"sync failed: {state}")
    return {"s": took, "requests": session.requests, "up": session.up, "down": session.down}


def _apply_once(pages: list[dict[str, Any]], folder: Path) -> tuple[float, float]:
    """Seconds for the store's apply and for a raw sqlite3 upsert of the same rows."""
    store = Store.open(folder / "apply")
    start = time.perf_counter()
    for page in pages:
        store.apply_pull_page(page)
    ours = time.perf_counter() - start
    schema = [
        r[0]
        for r in store._db.conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'asb_case' AND sql IS NOT NULL"
        )
    ]
    store.close()
    raw = sqlite3.connect(folder / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    for sql in schema:
        raw.execute(sql)
    codec, sql = CODECS["asb_case"], upsert_sql("asb_case")
    json_cols = codec.json_cols
    start = time.perf_counter()
    for page in pages:
        rows = [
            tuple(
                json.dumps(v) if (v := c["data"].get(name)) is not None and name in json_cols else v
                for name in codec.fields
            )
            + (c["version"], 0)
            for c in page["changes"]
            if c["entity"] == "asb_case"
        ]
        raw.execute("BEGIN")
        raw.executemany(sql, rows)
        raw.execute("COMMIT")
    baseline = time.perf_counter() - start
    raw.close()
    return ours, baseline


def _apply_ratio(pages: list[dict[str, Any]], folder: Path, reps: int = 3) -> tuple[float, float]:
    """Medians of a few alternating runs (single runs are dominated by fsync noise)."""
    times = [_apply_once(pages, folder / f"rep{i}") for i in range(reps)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def _push_floor(bodies: list[bytes], folder: Path) -> float:
    """Seconds for the least any server must do for the pushed batches: decode each body
    and encode an answer of the same size (raw ``json``), and write what this server writes
    per mutation (the record, its revision, the applied mutation with its result) with a raw
    ``sqlite3`` ``executemany`` into the server's own schema, one fsynced transaction each."""
    from server.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{folder / 'floor.db'}")
    upgrade(engine)
    engine.dispose()
    db = sqlite3.connect(folder / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    stamp = "2026-06-10 09:00:00.000000"
    start = time.perf_counter()
    for n, body in enumerate(bodies):
        mutations = json.loads(gzip.decompress(body))["mutations"]
        texts = [json.dumps(m["patch"]) for m in mutations]
        answer = json.dumps(
            [{"mutation_id": m["mutation_id"], "record": m["patch"]} for m in mutations]
        )
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO record (entity, id, version, seq, deleted, data, needs_review, "
            "created_at, updated_at) VALUES (?, ?, 1, ?, 0, ?, 0, ?, ?)",
            [
                (m["entity"], m["id"], n * 1000 + i, t, stamp, stamp)
                for i, (m, t) in enumerate(zip(mutations, texts, strict=True))
            ],
        )
        db.executemany(
            "INSERT INTO revision (entity, record_id, version, seq, mutation_id, changes, "
            "created_at) VALUES (?, ?, 1, ?, ?, '{}', ?)",
            [
                (m["entity"], m["id"], n * 1000 + i, m["mutation_id"], stamp)
                for i, m in enumerate(mutations)
            ],
        )
        db.executemany(
            "INSERT INTO applied_mutation (mutation_id, payload_hash, user_id, device_id, "
            "result, created_at) VALUES (?, '', '', '', ?, ?)",
            [(m["mutation_id"], t, stamp) for m, t in zip(mutations, texts, strict=True)],
        )
        db.execute("COMMIT")
        gzip.compress(answer.encode(), 5)
    took = time.perf_counter() - start
    db.close()
    return took


def one_run(records: int, folder: Path, *, shared: bool = False) -> dict[str, dict[str, float]]:
    with LiveServer(data_dir=folder / "server") as server:
        server.import_properties(
            [
                {
                    "uprn": "100000000001",
                    "patch": "North",
                    "estate": "Oak",
                    "block": "A",
                    "address": "1 Oak Road",
                    "postcode": "WA7 1AB",
                    "lat": 53.3,
                    "lon": -2.7,
                    "bedrooms": 2,
                    "tenancy_ref": "T1",
                }
            ]
        )
        server.add_user("a", role="officer", patches=["North"])
        server.add_user("b", role="officer", patches=["North"])
        a, engine_a, sa = _device(server.url, folder / "a")
        b, engine_b, sb = _device(server.url, folder / "b")
        engine_a.sign_in(username="a", password=PASSWORD, device_name="a")
        engine_b.sign_in(username="b", password=PASSWORD, device_name="b")
        now = datetime(2026, 6, 10, 9, tzinfo=UTC)
        text = "Noise from the flat above late at night; music and shouting. " * 15  # ~1 KB
        home: dict[str, Any] = {}
        if shared:  # the device learns the home first (a sync), as an officer's tablet has it
            if engine_a.sync_once().status != "online":
                raise SystemExit("the first sync failed")
            home = {"property_id": a.find("property", "uprn", "100000000001")[0]["id"]}
        ids = []
        with a.transaction():
            for i in range(records):
                received = now - timedelta(minutes=i)
                ids.append(
                    a.create(
                        "asb_case",
                        {
                            "category": "noise",
                            "received_at": received.isoformat(),
                            "description": f"{i} {text}",
                            "ref": f"ASB-{i:06d}",
                            "status": "open",
                            **home,
                        },
                        now=now,
                    )["id"]
                )
        sa.bodies.clear()
        out = {"push": _phase(sa, engine_a.sync_once)}
        bodies = list(sa.bodies)
        sb.pages.clear()
        out["bootstrap"] = _phase(sb, engine_b.sync_once)
        pages = [p for p in sb.pages if p.get("changes")]
        with a.transaction():
            for rid in ids[:100]:
                a.update("asb_case", rid, {"status": "action_plan"}, now=now)
        out["edits"] = _phase(sa, engine_a.sync_once)
        out["noop"] = _phase(sa, engine_a.sync_once)
        ours, raw = _apply_ratio(pages, folder)
        out["apply"] = {"s": ours, "raw_s": raw, "ratio": raw / ours if ours else 0.0}
        a.close()
        b.close()
        sa.close()
        sb.close()
    # Measured with the server stopped: its background WAL checkpoint must not share the disk.
    out["push_floor"] = {"s": _push_floor(bodies, folder)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--shared-property", action="store_true", help="every case names the same home"
    )
    args = parser.parse_args()
    runs = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(args.records, Path(tmp), shared=args.shared_property))
        print(f"run {n + 1}/{args.runs} done", file=sys.stderr)
    sharing = ", all on one property" if args.shared_property else ""
    print(f"sync bench: {args.records} records of ~1 KB{sharing}, median of {args.runs} runs")
    print(f"{'phase':<10} {'time s':>8} {'requests':>9} {'up KB':>9} {'down KB':>9}  target")
    for phase in ("push", "bootstrap", "edits", "noop"):
        med = {k: statistics.median(r[phase][k] for r in runs) for k in runs[0][phase]}
        print(
            f"{phase:<10} {med['s']:>8.3f} {med['requests']:>9.0f} {med['up'] / 1024:>9.1f} "
            f"{med['down'] / 1024:>9.1f}  {TARGETS[phase]}"
        )
    push = statistics.median(r["push"]["s"] for r in runs)
    floor = statistics.median(r["push_floor"]["s"] for r in runs)
    print(
        f"push floor: raw json + sqlite3 writes of the same batches {floor:.3f} s -> "
        f"the push took {push / floor:.1f}x that"
    )
    ratio = statistics.median(r["apply"]["ratio"] for r in runs)
    ours = statistics.median(r["apply"]["s"] for r in runs)
    raw = statistics.median(r["apply"]["raw_s"] for r in runs)
    print(
        f"apply: store {ours:.3f} s vs raw sqlite3 upsert {raw:.3f} s -> "
        f"{ratio:.0%} of raw speed (target ≥ 50%)"
    )


if __name__ == "__main__":
    main()
