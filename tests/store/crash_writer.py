"""A writer for the crash test: makes local writes in a loop until it is killed.

Run as ``python -m tests.store.crash_writer DATA_DIR SEED``; prints ``ready`` once it has
opened the store, then creates, edits, deletes and "sends" (marks pushed) records forever.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fieldapp.store.store import Store

STATUSES = ("open", "advice_given", "action_plan", "monitoring", "closed")


def main() -> None:
    data_dir, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    store = Store.open(data_dir)
    now = datetime(2026, 6, 10, 9, tzinfo=UTC)
    print("ready", flush=True)
    while True:
        now += timedelta(seconds=1)
        ids = [c["id"] for c in store.all("asb_case")]
        roll = rng.random()
        if roll < 0.35 or not ids:
            case = store.create(
                "asb_case",
                {
                    "category": rng.choice(["crime", "noise"]),
                    "received_at": "2026-06-10T08:00:00Z",
                    "description": "x" * rng.randint(0, 3000),
                },
                now=now,
            )
            store.create(
                "asb_report",
                {
                    "case_id": case["id"],
                    "reported_at": "2026-06-10T08:30:00Z",
                    "incident_at": "2026-06-10T08:00:00Z",
                    "description": "Shouting on the landing again",
                },
                now=now,
            )
        elif roll < 0.8:
            store.update(
                "asb_case",
                rng.choice(ids),
                {
                    "status": rng.choice(STATUSES),
                    "urgent_crime": rng.random() < 0.5,
                    "risk_answers": {"health_impact": rng.randint(0, 3)},
                },
                now=now,
            )
        elif roll < 0.9:
            store.delete("asb_case", rng.choice(ids), now=now)
        else:
            store.take_push_batch(limit=rng.randint(1, 20))  # "sent": later edits queue apart


if __name__ == "__main__":
    main()
