"""The push overlaps the device's work with the server's, without reordering a record's edits.

Requests still go one at a time, in order; while the server handles one batch the device
takes the next, which must leave out every record still in flight. A record edited again
after its creation was sent therefore goes in a later request, rebased on the version the
answer gave, never beside or before its creation.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

from fieldapp.sync.push import push_all
from fieldapp.sync.transport import TransportResponse
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)


class Recording:
    """The real transport, keeping the mutations of every push in the order sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.pushes: list[list[dict[str, Any]]] = []

    def request(self, method: str, path: str, **kw: Any) -> TransportResponse:
        if path.endswith("/sync/push"):
            body = json.loads(gzip.decompress(kw["data"]))
            self.pushes.append(body["mutations"])
        return self.inner.request(method, path, **kw)  # type: ignore[no-any-return]


def _case(n: int) -> dict[str, Any]:
    return {"category": "noise", "received_at": "2026-06-10T08:00:00Z", "description": f"c{n}"}


def test_a_record_in_flight_waits_for_its_answer(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    dev = make_device(server, "olive")
    store = dev.store
    first = store.create("asb_case", _case(0), now=NOW)["id"]
    store.take_push_batch(limit=1)  # "sent" once, answer lost: the next edit queues apart
    store.update("asb_case", first, {"status": "action_plan"}, now=NOW)
    others = [store.create("asb_case", _case(n), now=NOW)["id"] for n in range(1, 6)]
    recorder = Recording(dev.http)

    answered = push_all(store=store, transport=recorder, limit=2)

    assert answered == 7
    assert store.pending_count() == 0 and store.dead_letters() == []
    sent = [[(m["id"], m["base_version"]) for m in push] for push in recorder.pushes]
    assert all(len(push) <= 2 for push in sent)
    where = [i for i, push in enumerate(sent) for rid, _ in push if rid == first]
    assert len(where) == 2 and where[0] < where[1] - 1, sent  # not in the request in flight
    edit = next(m for m in recorder.pushes[where[1]] if m["id"] == first)
    assert edit["base_version"] == 1 and edit["patch"] == {"status": "action_plan"}
    for push in recorder.pushes:  # device order inside every request
        seqs = [m["device_seq"] for m in push]
        assert seqs == sorted(seqs)
    assert sorted(rid for push in sent for rid, _ in push if rid != first) == sorted(others)
    assert store.get("asb_case", first)["status"] == "action_plan"
    assert store.get("asb_case", first)["_version"] == 2


def test_edits_waiting_on_their_records_answer_go_in_the_same_sync(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    """Found on a walk: a case and a visit made offline, then edited, went up in one sync and
    their edits waited for the next ("2 pending" after "Sync now"). Nothing else was queued,
    so no batch followed the first and the push stopped once it was answered."""
    dev = make_device(server, "olive")
    store = dev.store
    ids = [store.create("asb_case", _case(n), now=NOW)["id"] for n in range(2)]
    store.take_push_batch()  # sent while the server was down: the answer never came
    for rid in ids:
        store.update("asb_case", rid, {"status": "action_plan"}, now=NOW)
    recorder = Recording(dev.http)

    answered = push_all(store=store, transport=recorder)

    assert answered == 4
    assert store.pending_count() == 0 and store.dead_letters() == []
    assert [len(push) for push in recorder.pushes] == [2, 2]  # the creations, then the edits
    assert {store.get("asb_case", rid)["_version"] for rid in ids} == {2}


def test_an_error_answer_leaves_the_next_batch_queued(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    """A 413 for one batch: nothing taken ahead of it is lost; all arrive once, settled."""
    dev = make_device(server, "olive")
    store = dev.store
    ids = [store.create("asb_case", _case(n), now=NOW)["id"] for n in range(5)]

    class TooLargeOnce(Recording):
        refused = False

        def request(self, method: str, path: str, **kw: Any) -> TransportResponse:
            if path.endswith("/sync/push") and not self.refused:
                self.refused = True
                return TransportResponse(413, {}, b'{"error":{"code":"payload_too_large"}}')
            return super().request(method, path, **kw)

    recorder = TooLargeOnce(dev.http)
    assert push_all(store=store, transport=recorder, limit=4) == 5
    assert store.pending_count() == 0
    sent = [m["id"] for push in recorder.pushes for m in push]
    assert sorted(sent) == sorted(ids) and len(sent) == len(set(sent))
    assert max(len(p) for p in recorder.pushes) <= 2  # halved after the 413
    assert all(store.get("asb_case", i)["_version"] == 1 for i in ids)
