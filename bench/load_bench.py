"""Load benchmark: many tablets syncing at once against the real server on loopback.

N simulated tablets (``--devices``), each with its own user, token and device, drive the
server (``python -m server serve`` on PostgreSQL with ``--workers`` processes, or SQLite) for
``--seconds``. Each sync is one push of ``--edits`` small ``asb_case`` mutations (creates until
the tablet has that many cases, then edits of them on the version it was last told) with
lean answers, then pulls with ``omit_own=1`` until caught up; every ``--photo-every`` syncs the
tablet also uploads a small JPEG and pushes its ``photo`` record. A ``503``/``429`` with
``Retry-After`` is waited out and sent again, as the tablet does; it is counted as busy, not
as an error.

- ``--mode open``: each tablet syncs every ``--interval`` seconds (on its own schedule,
  starting at a random offset), whatever the server's speed: latency under a steady load.
- ``--mode closed``: each tablet syncs again as soon as its sync ends: the most the server
  takes.

It prints throughput, p50/p95/p99 per request type and the errors, then checks on the
database that every mutation the server acknowledged is there exactly once (one revision
per ``mutation_id``; each record's version equals the mutations acknowledged for it). Then a
floor, measured in the same run: the same rows (record, revision, applied mutation, a
position each) in transactions of the same sizes, written with plain psycopg over the same
number of connections as the server's pools (plain ``sqlite3``, one connection, on SQLite).
In closed loop it then measures the stack's own bound: every tablet asking ``GET /auth/me``
(the token check each request makes, nothing else) as fast as it can. A sync is two such
requests plus its work, so half that rate times the edits is the most any sync could reach.

Each tablet holds one keep-alive connection of its own (``bench/raw_http.py``): one
``httpx`` pool for 200 tablets was itself the bottleneck.
The last line is::

    load: devices=N workers=W mode=M mutations_per_s=… push_p95_ms=… pull_p95_ms=… errors=… lost=… duplicated=…

    .venv/bin/python bench/load_bench.py --devices 200 --workers 2 --seconds 20 --mode open
    .venv/bin/python bench/load_bench.py --devices 200 --workers 2 --seconds 20 --mode closed
    .venv/bin/python bench/load_bench.py --devices 50 --database sqlite --mode closed
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import random
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_floor import raw_floor  # noqa: E402
from bench.raw_http import Connection  # noqa: E402
from fieldapp.ids import new_id  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.postgres import fresh_database  # noqa: E402

API = "/api/v1"
PASSWORD = "load-bench-password-1"  # long enough for any password policy
POOL_PER_WORKER = 16  # the server engine's pool_size + max_overflow (server.db.make_engine)


@dataclass
class Tablet:
    n: int
    token: str = ""
    device_id: str = ""
    cases: dict[str, int] = field(default_factory=dict)  # case id → version last told
    cursor: str | None = None
    conn: Connection | None = None  # its own keep-alive connection (bench/raw_http.py)
    syncs: int = 0
    edits_made: int = 0


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    busy: int = 0
    acked: dict[str, str] = field(default_factory=dict)  # mutation_id → record id
    unanswered: dict[str, str] = field(default_factory=dict)  # sent, no answer kept
    pushes: list[tuple[int, int]] = field(default_factory=list)  # (creates, edits) per push


# --- set-up ------------------------------------------------------------------------------
def make_tablets(url: str, n: int, secret: str) -> list[Tablet]:
    """N officers, each of a patch of their own (as officers are), with a device and a
    token, written straight into the database (one password hash shared: N scrypt sign-ins
    would only time the set-up)."""
    from sqlalchemy import insert, select

    from server.db import make_engine, upgrade, utcnow, writing
    from server.models import DEVICE, TOKEN, USER
    from server.services.auth import token_hash
    from server.services.records import WriteBatch
    from server.services.users import add_user, ensure_patches

    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    tablets = [Tablet(i) for i in range(n)]
    try:
        with writing(engine) as conn:
            first, _, _ = add_user(
                conn,
                username="load0",
                password=PASSWORD,
                role="officer",
                name="Load 0",
                patch_names=["Load 0"],
                now=now,
            )
            batch = WriteBatch(conn, now=now)
            patches = ensure_patches(batch, [f"Load {i}" for i in range(n)])
            batch.flush()
            user = conn.execute(select(USER).where(USER.c.id == first)).mappings().one()
            users = [first] + [new_id() for _ in range(1, n)]
            others = [
                {
                    **user,
                    "id": users[i],
                    "username": f"load{i}",
                    "name": f"Load {i}",
                    "patch_ids": json.dumps([patches[i]]),
                }
                for i in range(1, n)
            ]
            if others:  # an empty list would be one insert of no values
                conn.execute(insert(USER), others)
            expires = now.replace(year=now.year + 1)
            for t in tablets:
                t.device_id, t.token = f"load-tablet-{t.n}", secrets.token_urlsafe(32)
            conn.execute(
                insert(DEVICE),
                [
                    {
                        "id": t.device_id,
                        "user_id": users[t.n],
                        "name": f"tablet {t.n}",
                        "created_at": now,
                        "last_seen": now,
                    }
                    for t in tablets
                ],
            )
            conn.execute(
                insert(TOKEN),
                [
                    {
                        "token_hash": token_hash(t.token, secret),
                        "user_id": users[t.n],
                        "device_id": t.device_id,
                        "created_at": now,
                        "expires_at": expires,
                    }
                    for t in tablets
                ],
            )
    finally:
        engine.dispose()
    return tablets


def photo_bytes(tag: int) -> bytes:
    """A small JPEG, different for every tag."""
    from PIL import Image

    img = Image.new("RGB", (48, 32), ((tag * 37) % 256, (tag * 11) % 256, (tag // 256) % 256))
    img.putpixel((0, 0), (tag % 256, (tag >> 8) % 256, (tag >> 16) % 256))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


# --- one tablet --------------------------------------------------------------------------
class Driver:
    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.url = url
        self.args = args
        self.stats = Stats()
        self.photos = 0

    async def send(self, kind: str, t: Tablet, method: str, path: str, **kw: Any) -> Any:
        """One request, sent again after Retry-After while busy; the answer or None."""
        headers = {"Authorization": f"Bearer {t.token}", **kw.pop("headers", {})}
        if t.conn is None:
            t.conn = Connection(self.url)
        while True:
            start = time.perf_counter()
            try:
                r = await t.conn.request(method, API + path, headers=headers, **kw)
            except ConnectionError as exc:
                self.stats.errors[f"{kind} {type(exc).__name__}"] += 1
                return None
            self.stats.latency[kind].append(time.perf_counter() - start)
            wait = r.headers.get("retry-after")
            if r.status_code in (429, 503) and wait is not None:
                self.stats.busy += 1
                await asyncio.sleep(float(wait) * (1 + random.random() / 2))
                continue
            if r.status_code >= 300:
                code = ""
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    code = r.json()["error"]["code"]
                self.stats.errors[f"{kind} {r.status_code} {code}".strip()] += 1
                return None
            return r

    def mutations(self, t: Tablet) -> tuple[list[dict[str, Any]], int]:
        out: list[dict[str, Any]] = []
        creates = 0
        for _ in range(self.args.edits):
            if len(t.cases) < self.args.edits:
                rid, base = new_id(), None
                patch: dict[str, Any] = {
                    "category": "noise",
                    "status": "open",
                    "received_at": "2026-06-10T09:00:00Z",
                    "description": f"tablet {t.n} case {len(t.cases)}",
                }
                t.cases[rid] = 0
                creates += 1
            else:
                rid = list(t.cases)[t.edits_made % len(t.cases)]
                base, patch = t.cases[rid], {"description": f"tablet {t.n} edit {t.edits_made}"}
                t.edits_made += 1
            out.append(self._mutation("asb_case", rid, base, patch))
        return out, creates

    def _mutation(self, entity: str, rid: str, base: int | None, patch: dict[str, Any]) -> Any:
        return {
            "mutation_id": new_id(),
            "entity": entity,
            "id": rid,
            "op": "upsert",
            "base_version": base,
            "patch": patch,
            "client_time": "2026-06-10T12:00:00Z",
        }

    async def photo(self, t: Tablet) -> dict[str, Any] | None:
        self.photos += 1
        blob = photo_bytes(self.photos)
        sha = hashlib.sha256(blob).hexdigest()
        r = await self.send(
            "blob", t, "PUT", f"/blobs/{sha}", content=blob, headers={"Content-Type": "image/jpeg"}
        )
        if r is None or not t.cases:
            return None
        patch = {
            "parent_entity": "asb_case",
            "parent_id": next(iter(t.cases)),
            "sha256": sha,
            "bytes": len(blob),
            "width": 48,
            "height": 32,
            "taken_at": "2026-06-10T12:00:00Z",
        }
        return self._mutation("photo", new_id(), None, patch)  # type: ignore[no-any-return]

    async def sync(self, t: Tablet) -> None:
        t.syncs += 1
        batch, creates = self.mutations(t)
        every = self.args.photo_every
        if every and t.syncs % every == 0 and (m := await self.photo(t)) is not None:
            batch.append(m)
            creates += 1
        body = {"device_id": t.device_id, "schema_version": 1, "lean": True, "mutations": batch}
        raw = gzip.compress(json.dumps(body).encode(), 6)
        for m in batch:
            self.stats.unanswered[m["mutation_id"]] = m["id"]
        r = await self.send(
            "push",
            t,
            "POST",
            "/sync/push",
            content=raw,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        if r is not None:
            self.stats.pushes.append((creates, len(batch) - creates))
            for m, res in zip(batch, r.json()["results"], strict=True):
                if res["status"] == "rejected":
                    self.stats.errors[f"push rejected {res['error']['code']}"] += 1
                    t.cases.pop(m["id"], None)
                    continue
                self.stats.acked[m["mutation_id"]] = m["id"]
                self.stats.unanswered.pop(m["mutation_id"], None)
                if m["entity"] == "asb_case":
                    t.cases[m["id"]] = res["version"]
        else:
            for m in batch:  # not told: this tablet would send them again; drop them here
                if m["entity"] == "asb_case" and t.cases.get(m["id"]) == 0:
                    t.cases.pop(m["id"])
        while True:
            params: dict[str, Any] = {"omit_own": 1}
            if t.cursor:
                params["cursor"] = t.cursor
            r = await self.send("pull", t, "GET", "/sync/pull", params=params)
            if r is None:
                return
            page = r.json()
            t.cursor = page["next_cursor"]
            if not page["has_more"]:
                return

    async def tablet(self, t: Tablet, until: float) -> None:
        if self.args.mode == "closed":
            while time.monotonic() < until:
                await self.sync(t)
            return
        due = time.monotonic() + random.random() * self.args.interval
        while due < until:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.sync(t)
            due += self.args.interval


async def token_checks(url: str, tablets: list[Tablet], seconds: float) -> float:
    """Requests/s of ``GET /auth/me`` from every tablet at once, each as fast as it can: the
    token check every request makes and nothing else. A sync is two requests that each make
    it (push, pull) plus their own work, so this bounds what the server's stack can do."""
    count = 0
    until = time.monotonic() + seconds

    async def one(t: Tablet) -> None:
        nonlocal count
        conn = Connection(url)
        try:
            while time.monotonic() < until:
                r = await conn.request(
                    "GET", API + "/auth/me", headers={"Authorization": f"Bearer {t.token}"}
                )
                if r.status_code != 200:
                    raise SystemExit(f"/auth/me answered {r.status_code}")
                count += 1
        finally:
            conn.close()

    start = time.monotonic()
    await asyncio.gather(*(one(t) for t in tablets))
    return count / (time.monotonic() - start)


async def drive(url: str, tablets: list[Tablet], args: argparse.Namespace) -> tuple[Stats, float]:
    driver = Driver(url, args)
    start = time.monotonic()
    try:
        await asyncio.gather(*(driver.tablet(t, start + args.seconds) for t in tablets))
    finally:
        for t in tablets:
            if t.conn is not None:
                t.conn.close()
    # Syncs under way at the deadline finish: they count, and so does their time.
    return driver.stats, time.monotonic() - start


# --- exactly once ------------------------------------------------------------------------
def exactly_once(url: str, stats: Stats) -> tuple[int, int, int]:
    """(lost, duplicated, unanswered found twice): acknowledged mutations with no revision or
    with more than one, records whose version is not the number acknowledged for them."""
    from sqlalchemy import func, select

    from server.db import make_engine
    from server.models import RECORD, REVISION

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    select(REVISION.c.mutation_id, func.count())
                    .where(REVISION.c.mutation_id.is_not(None))
                    .group_by(REVISION.c.mutation_id)
                ).all()
            )
            versions = {rid: v for rid, v in conn.execute(select(RECORD.c.id, RECORD.c.version))}
    finally:
        engine.dispose()
    lost = sum(1 for mid in stats.acked if counts.get(mid, 0) == 0)
    duplicated = sum(1 for mid in stats.acked if counts.get(mid, 0) > 1)
    per_record = Counter(stats.acked.values())
    unsure = set(stats.unanswered.values())  # an unanswered push may have committed
    for rid, n in per_record.items():  # one version per acknowledged mutation, no more
        if rid in unsure:
            continue
        have = versions.get(rid, 0)
        if have < n:
            lost += n - have
        elif have > n:
            duplicated += have - n
    twice = sum(1 for mid in stats.unanswered if counts.get(mid, 0) > 1)
    return lost, duplicated, twice


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--mode", choices=("open", "closed"), default="open")
    parser.add_argument("--interval", type=float, default=10.0, help="open loop: S seconds")
    parser.add_argument("--edits", type=int, default=20, help="E mutations a sync")
    parser.add_argument("--photo-every", type=int, default=5, help="K: a photo every K syncs")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    secret = secrets.token_hex(32)
    workers = args.workers if args.database == "postgres" else 1
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = (
            stack.enter_context(fresh_database("fieldapp_load"))
            if args.database == "postgres"
            else f"sqlite:///{folder / 'server.db'}"
        )
        tablets = make_tablets(url, args.devices, secret)
        server = LiveServer(
            data_dir=folder, database_url=url, workers=workers, env={"SECRET_KEY": secret}
        )
        with server:
            stats, took = asyncio.run(drive(server.url, tablets, args))
            lost, duplicated, twice = exactly_once(url, stats)
            checks = (
                asyncio.run(token_checks(server.url, tablets, min(args.seconds, 5.0)))
                if args.mode == "closed"
                else None
            )
        floor_url = (
            stack.enter_context(fresh_database("fieldapp_floor"))
            if args.database == "postgres"
            else f"sqlite:///{folder / 'floor.db'}"
        )
        connections = min(args.devices, workers * POOL_PER_WORKER)
        floor = raw_floor(floor_url, stats.pushes, connections)
    mutations = len(stats.acked)
    rate = mutations / took
    errors = sum(stats.errors.values())
    print(
        f"load bench: {args.database}, {args.devices} tablets, {workers} worker(s), "
        f"{args.mode} loop"
        + (f" (every {args.interval:g} s)" if args.mode == "open" else "")
        + f", {args.edits} edits a sync, a photo every {args.photo_every} syncs"
    )
    print(
        f"ran {took:.1f} s: {sum(t.syncs for t in tablets)} syncs, {mutations} mutations "
        f"acknowledged -> {rate:.0f} mutations/s"
    )
    print(f"{'request':<8} {'count':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for kind in ("push", "pull", "blob"):
        values = stats.latency.get(kind, [])
        print(
            f"{kind:<8} {len(values):>7} {pct(values, 0.5):>9.1f} {pct(values, 0.95):>9.1f} "
            f"{pct(values, 0.99):>9.1f}"
        )
    print(f"busy (503/429 with Retry-After, waited out and sent again): {stats.busy}")
    print(f"errors: {errors}" + "".join(f"; {k}: {v}" for k, v in stats.errors.most_common()))
    print(
        f"exactly once: {mutations} acknowledged, lost {lost}, duplicated {duplicated}; "
        f"{len(stats.unanswered)} never answered, of which {twice} stored twice"
    )
    kind = "psycopg" if args.database == "postgres" else "sqlite3"
    print(
        f"floor: raw {kind}, same rows in the same {len(stats.pushes)} transactions over "
        f"{connections if args.database == 'postgres' else 1} connection(s): "
        f"{floor:.0f} mutations/s -> the server did {rate / floor:.0%} of it"
    )
    if checks is not None:
        bound = checks / 2 * args.edits
        print(
            f"stack: GET /auth/me (the token check alone) {checks:.0f} requests/s; a sync is "
            f"two checked requests -> at most {bound:.0f} mutations/s with no sync work at all "
            f"({bound / floor:.0%} of the floor); the server did {rate / bound:.0%} of that"
        )
    print(
        f"load: devices={args.devices} workers={workers} mode={args.mode} "
        f"mutations_per_s={rate:.0f} push_p95_ms={pct(stats.latency['push'], 0.95):.0f} "
        f"pull_p95_ms={pct(stats.latency['pull'], 0.95):.0f} errors={errors} "
        f"lost={lost} duplicated={duplicated + twice}"
    )


if __name__ == "__main__":
    main()
