"""Sign-in and audit benchmark: what the security work costs, beside its floors.

1. Sign-in refusals against the real server on loopback (SQLite): a known username with a
   wrong password and an unknown username, alternated, each try with its own username and
   client address (``X-Forwarded-For`` from loopback is trusted) so the throttle never
   answers instead.
   Their medians should match: the time of a refusal must not tell who has an account. The
   floor is one scrypt check of the same parameters in this process.
2. Audit rows: ``AuditWriter.record`` of 10 pages of 1,000 rows (what a first download of
   10,000 records with personal data writes), beside a raw ``sqlite3`` ``executemany`` of the
   same rows into the same table of the same file (WAL, synchronous=FULL), one transaction
   per page in both.

    .venv/bin/python bench/auth_bench.py [--tries 30] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.db import make_engine, upgrade  # noqa: E402
from server.services import auth  # noqa: E402
from server.services.audit import AuditWriter, rows_for  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402


def _refusal(http: httpx.Client, url: str, username: str, n: int) -> float:
    started = time.perf_counter()
    r = http.post(
        f"{url}/api/v1/auth/token",
        json={"username": username, "password": f"wrong-guess-{n}", "device_id": f"b{n}"},
        headers={"X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"},
    )
    took = time.perf_counter() - started
    assert r.status_code == 401, r.text
    return took


def sign_in_figures(tries: int) -> tuple[float, float, float]:
    """(known ms, unknown ms, scrypt floor ms): medians."""
    known: list[float] = []
    unknown: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, LiveServer(data_dir=Path(tmp)) as server:
        for n in range(tries):  # one try each: the per-user throttle never answers instead
            server.add_user(f"someone{n}", role="officer", patches=["North"])
        with httpx.Client(timeout=60) as http:
            for n in range(tries):
                known.append(_refusal(http, server.url, f"someone{n}", 2 * n))
                unknown.append(_refusal(http, server.url, f"nobody{n}", 2 * n + 1))
    stored = auth.hash_password("a long enough password")
    floor = []
    for _ in range(tries):
        started = time.perf_counter()
        auth.check_password("wrong", stored)
        floor.append(time.perf_counter() - started)
    ms = 1000.0
    return (
        statistics.median(known) * ms,
        statistics.median(unknown) * ms,
        statistics.median(floor) * ms,
    )


def audit_figures(pages: int = 10, per: int = 1000) -> tuple[float, float]:
    """(AuditWriter s, raw sqlite3 s) for ``pages`` pages of ``per`` rows."""
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/server.db"
        engine = make_engine(url)
        upgrade(engine)
        writer = AuditWriter(engine)
        at = datetime.now(UTC)
        batches = [
            rows_for(
                user_id="u1",
                device_id="d1",
                action="pull",
                at=at,
                read=[("asb_case", f"{p:04d}-{i:06d}-case-id") for i in range(per)],
            )
            for p in range(pages)
        ]
        started = time.perf_counter()
        for rows in batches:
            writer.record(rows)
        ours = time.perf_counter() - started
        writer.stop()
        engine.dispose()

        raw = sqlite3.connect(f"{tmp}/server.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        stamp = at.isoformat()
        sql = (
            "INSERT INTO audit_log (at, user_id, device_id, action, entity, record_id)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        started = time.perf_counter()
        for rows in batches:
            raw.execute("BEGIN")
            raw.executemany(
                sql,
                [
                    (stamp, r["user_id"], r["device_id"], "pull", r["entity"], r["record_id"])
                    for r in rows
                ],
            )
            raw.execute("COMMIT")
        floor = time.perf_counter() - started
        raw.close()
    return ours, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    known, unknown, floor = sign_in_figures(args.tries)
    print(f"sign-in refusals, median of {args.tries} each (loopback, SQLite)")
    print(f"  known username, wrong password  {known:8.1f} ms")
    print(f"  unknown username                {unknown:8.1f} ms   ratio {unknown / known:.2f}")
    print(f"  floor: one scrypt check         {floor:8.1f} ms")
    runs = [audit_figures() for _ in range(args.runs)]
    ours = statistics.median(r[0] for r in runs)
    raw = statistics.median(r[1] for r in runs)
    print(f"audit rows: 10 pages of 1,000, median of {args.runs} runs")
    print(f"  AuditWriter.record              {ours * 1000:8.1f} ms")
    print(f"  floor: raw sqlite3 executemany  {raw * 1000:8.1f} ms   ratio {ours / raw:.2f}")


if __name__ == "__main__":
    main()
