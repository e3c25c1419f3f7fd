"""Server data into the store: pulled pages, push results, re-download, wipe."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from fieldapp.store.store import Store
from tests.store.conftest import NOW

CASE = {"category": "noise", "received_at": "2026-06-10T08:00:00Z"}


def _change(entity: str, id: str, version: int, **data: Any) -> dict[str, Any]:
    return {"entity": entity, "id": id, "version": version, "deleted": False, "data": data}


def _page(*changes: dict[str, Any], removes: Any = (), cursor: str = "k1") -> dict[str, Any]:
    return {
        "changes": list(changes),
        "removes": list(removes),
        "next_cursor": cursor,
        "has_more": False,
        "server_time": "2026-06-10T10:00:00Z",
    }


def test_pull_page_stores_server_rows_and_cursor(store: Store) -> None:
    store.apply_pull_page(_page(_change("asb_case", "c1", 3, **CASE, priority=2), cursor="x9"))
    rec = store.get("asb_case", "c1")
    assert rec is not None and rec["_version"] == 3 and rec["priority"] == 2
    assert not rec["_pending"] and store.cursor() == "x9"


def test_pull_keeps_pending_edit_on_top(store: Store) -> None:
    store.apply_pull_page(_page(_change("asb_case", "c1", 1, **CASE, status="open")))
    store.update("asb_case", "c1", {"status": "action_plan"}, now=NOW)
    store.apply_pull_page(
        _page(_change("asb_case", "c1", 2, **CASE, status="monitoring", harm_type="community"))
    )
    rec = store.get("asb_case", "c1")
    assert rec is not None
    assert rec["status"] == "action_plan" and rec["harm_type"] == "community"
    assert rec["_version"] == 2 and rec["_pending"]
    # The mutation still says what the edit was made against.
    assert store.pending_mutations()[0]["base_version"] == 1


def test_removes_delete_unless_pending(store: Store) -> None:
    store.apply_pull_page(
        _page(_change("asb_case", "c1", 1, **CASE), _change("asb_case", "c2", 1, **CASE))
    )
    store.update("asb_case", "c2", {"status": "closed"}, now=NOW)
    removes = [{"entity": "asb_case", "id": "c1"}, {"entity": "asb_case", "id": "c2"}]
    store.apply_pull_page(_page(removes=removes))
    assert store.get("asb_case", "c1") is None
    kept = store.get("asb_case", "c2")
    assert kept is not None and kept["status"] == "closed"
    # Once its edit is answered (here: refused, out of scope) the orphan goes too.
    [m] = store.take_push_batch()
    store.apply_push_results(
        [
            {
                "mutation_id": m["mutation_id"],
                "status": "rejected",
                "error": {"code": "forbidden", "message": "no"},
            }
        ]
    )
    assert store.get("asb_case", "c2") is None
    assert [d["error"]["code"] for d in store.dead_letters()] == ["forbidden"]


def test_deleted_change_removes_row(store: Store) -> None:
    store.apply_pull_page(_page(_change("asb_case", "c1", 1, **CASE)))
    store.apply_pull_page(
        _page({"entity": "asb_case", "id": "c1", "version": 2, "deleted": True, "data": None})
    )
    assert store.get("asb_case", "c1") is None


def test_unknown_entity_in_page_is_ignored(store: Store) -> None:
    store.apply_pull_page(_page(_change("spaceship", "s1", 1, name="x")))
    assert store.cursor() == "k1"


def test_push_applied_stores_version_and_rebases_later_edit(store: Store) -> None:
    case = store.create("asb_case", CASE, now=NOW)
    [m] = store.take_push_batch()
    store.update("asb_case", case["id"], {"status": "open"}, now=NOW)  # made while in flight
    # Unanswered, the first is sent again; the later edit waits for its answer.
    assert [x["mutation_id"] for x in store.take_push_batch()] == [m["mutation_id"]]
    store.apply_push_results(
        [
            {
                "mutation_id": m["mutation_id"],
                "status": "applied",
                "version": 1,
                "record": {**CASE, "id": case["id"], "priority": 3},
            }
        ]
    )
    rec = store.get("asb_case", case["id"])
    assert rec is not None and rec["_version"] == 1 and rec["status"] == "open"
    [m2] = store.take_push_batch()
    assert m2["base_version"] == 1 and m2["patch"] == {"status": "open"}


def test_push_conflict_stores_record_and_conflict(store: Store) -> None:
    store.apply_pull_page(_page(_change("asb_case", "c1", 1, **CASE, status="open")))
    store.update("asb_case", "c1", {"status": "closed"}, now=NOW)
    [m] = store.take_push_batch()
    conflict = {
        "id": "k1",
        "entity": "asb_case",
        "record_id": "c1",
        "field": "status",
        "base_value": "open",
        "kept_value": "monitoring",
        "proposed_value": "closed",
        "proposed_by": "Olive",
        "proposed_at": m["client_time"],
        "status": "open",
    }
    store.apply_push_results(
        [
            {
                "mutation_id": m["mutation_id"],
                "status": "conflict",
                "version": 2,
                "record": {**CASE, "id": "c1", "status": "monitoring"},
                "conflicts": [conflict],
            }
        ]
    )
    rec = store.get("asb_case", "c1")
    assert rec is not None and rec["status"] == "monitoring" and not rec["_pending"]
    [open_one] = store.open_conflicts()
    assert open_one["proposed_value"] == "closed" and open_one["kept_value"] == "monitoring"
    resolved = store.resolve_conflict("k1", "proposed", now=NOW)
    assert resolved["status"] == "resolved" and store.open_conflicts() == []
    rec = store.get("asb_case", "c1")
    assert rec is not None and rec["status"] == "closed"
    [res] = store.pending_mutations()
    assert res["entity"] == "conflict" and res["patch"] == {"resolution": "proposed"}


def test_replayed_results_change_nothing(store: Store) -> None:
    store.create("asb_case", CASE, now=NOW)
    [m] = store.take_push_batch()
    result = {
        "mutation_id": m["mutation_id"],
        "status": "applied",
        "version": 1,
        "record": {**CASE, "id": m["id"]},
    }
    store.apply_push_results([result])
    store.apply_push_results([result])
    assert store.pending_count() == 0 and len(store.all("asb_case")) == 1


def test_resync_sweeps_only_what_did_not_come_back(store: Store) -> None:
    store.apply_pull_page(_page(*[_change("asb_case", f"c{i}", 1, **CASE) for i in range(4)]))
    store.update("asb_case", "c3", {"status": "closed"}, now=NOW)
    local = store.create("asb_case", CASE, now=NOW)
    store.begin_resync()
    assert store.cursor() is None and len(store.all("asb_case")) == 5  # nothing vanished yet
    store.apply_pull_page(_page(_change("asb_case", "c0", 2, **CASE)))
    store.finish_resync()
    ids = {r["id"] for r in store.all("asb_case")}
    assert ids == {"c0", "c3", local["id"]}
    assert store.pending_count() == 2


def test_wipe_removes_everything(store: Store) -> None:
    store.create("asb_case", {**CASE, "description": "Victim Vera Zyxwell"}, now=NOW)
    jpeg = b"jpeg-bytes"
    store.add_photo(
        parent_entity="asb_case",
        parent_id="x",
        jpeg=jpeg,
        thumb=b"t",
        sha256=hashlib.sha256(jpeg).hexdigest(),
        width=1,
        height=1,
        taken_at=None,
        lat=None,
        lon=None,
        caption=None,
        now=NOW,
    )
    old_id = store.device_id
    store.wipe()
    assert store.all("asb_case") == [] and store.pending_count() == 0 and store.user() is None
    assert store.device_id != old_id
    assert list(store.photos_dir.iterdir()) == []
    for f in store.data_dir.iterdir():
        if f.is_file():
            assert b"Zyxwell" not in f.read_bytes()


def test_a_reader_waiting_during_wipe_reads_the_new_empty_store(store: Store) -> None:
    """A screen refreshing while a revoked tablet wipes itself must not hit a closed file."""
    store.create("asb_case", CASE, now=NOW)
    seen: list[Any] = []
    with store._db.lock:  # hold the store as wipe() would, so the reader queues behind it
        reader = threading.Thread(target=lambda: seen.append(_read_all(store)))
        reader.start()
        reader.join(timeout=0.3)
        assert reader.is_alive()  # it is waiting for the lock, not finished
        store.wipe()
    reader.join(timeout=10)
    assert seen == [[]]


def _read_all(store: Store) -> Any:
    try:
        return store.all("asb_case")
    except Exception as exc:  # the failure itself is the finding
        return exc
