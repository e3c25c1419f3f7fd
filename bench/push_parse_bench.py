"""Push body parsing: the route's hand parser against pydantic validation of the same body.

A push of 500 mutations (ASB case creates of about 1 KB, as the tablet sends them) is read
four ways, each the median of ``--runs`` rounds of ``--repeat`` reads:

- ``raw json.loads``: the floor, stdlib JSON decoding and nothing else;
- ``hand parser``: what ``POST /sync/push`` runs before the write path
  (``routes.sync.read_push``: JSON with NaN, Infinity and 1e400 refused, the envelope checked);
  the mutations go on to ``Push`` as decoded dicts, which checks each one (a bad mutation is a
  ``rejected`` result, not a ``422`` of the whole push);
- ``pydantic PushRequest``: ``server.schemas.PushRequest.model_validate_json`` (the documented
  schema: every mutation and patch typed per entity), then each mutation dumped back to a dict
  for the write path;
- ``pydantic envelope``: a model with ``mutations: list[dict]``, the least pydantic could do
  while keeping per-mutation refusals. It is about as fast as the floor, but not the contract:
  it takes NaN, turns 1e400 into Infinity, takes ``"schema_version": true``, and refuses the
  whole body for half a surrogate pair in one mutation (``docs/sync-protocol.md``).

    .venv/bin/python bench/push_parse_bench.py [--mutations 500] [--runs 5] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fieldapp.ids import new_id  # noqa: E402
from server.routes.sync import read_push  # noqa: E402
from server.schemas import PushRequest  # noqa: E402

DEVICE = "tab-bench"


class Envelope(BaseModel):
    device_id: str | None = None
    schema_version: int
    mutations: list[dict[str, Any]]


def body(n: int) -> bytes:
    text = "Noise from the flat above late at night; music and shouting. " * 15  # ~1 KB
    mutations = [
        {
            "mutation_id": new_id(),
            "device_seq": i,
            "entity": "asb_case",
            "id": new_id(),
            "op": "upsert",
            "base_version": None,
            "patch": {
                "category": "noise",
                "received_at": "2026-06-10T09:00:00Z",
                "description": text,
                "status": "open",
                "lat": 53.34 + i / 1e5,
                "lon": -2.69,
                "risk_answers": {"hate_or_targeted": False, "health_impact": 2},
            },
            "client_time": "2026-06-10T12:00:00Z",
        }
        for i in range(n)
    ]
    doc = {"device_id": DEVICE, "schema_version": 1, "mutations": mutations}
    return json.dumps(doc).encode()


def median_ms(read: Callable[[bytes], object], raw: bytes, runs: int, repeat: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(repeat):
            read(raw)
        times.append((time.perf_counter() - start) / repeat * 1000)
    return statistics.median(times)


def pydantic_full(raw: bytes) -> list[dict[str, Any]]:
    parsed = PushRequest.model_validate_json(raw)
    return [m.model_dump(exclude_unset=True) for m in parsed.mutations]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutations", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    raw = body(args.mutations)
    assert len(read_push(raw, device_id=DEVICE)[0]) == args.mutations
    assert pydantic_full(raw) == json.loads(raw)["mutations"]  # the same mutations either way
    ways: list[tuple[str, Callable[[bytes], object]]] = [
        ("raw json.loads (floor)", json.loads),
        ("hand parser (served)", lambda r: read_push(r, device_id=DEVICE)),
        ("pydantic PushRequest + dicts", pydantic_full),
        ("pydantic envelope only", Envelope.model_validate_json),
    ]
    print(f"push body: {args.mutations} mutations, {len(raw) / 1024:.0f} KiB")
    floor = 0.0
    for name, read in ways:
        ms = median_ms(read, raw, args.runs, args.repeat)
        floor = floor or ms
        print(f"  {name:<30} {ms:8.2f} ms   {ms / floor:5.2f}x the floor")


if __name__ == "__main__":
    main()
