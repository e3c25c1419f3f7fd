"""What a pushed patch may name: records in the caller's scope, and the caller as author.

The probe: an officer pushed a case on their own patch whose ``complainant_id`` named a
resident of another patch, and the derived ``vulnerable`` / "aged 75 or over" told them that
resident's age band. A partner pushed an observation "logged by" an officer. On SQLite and
PostgreSQL (the ``cast`` fixture).
"""

from __future__ import annotations

from typing import Any

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case
from tests.support.api import Api, mutation

OLD = "1940-01-01"  # 86 on the case's date: vulnerable, "aged 75 or over", if it is read


def _person(api: Api, home: str, dob: str = OLD) -> str:
    pid = new_id()
    create(api, "person", {"property_id": home, "name": "Ada Elder", "date_of_birth": dob}, pid)
    return pid


def _refused(result: dict[str, Any]) -> dict[str, Any]:
    assert result["status"] == "rejected", result
    assert result["record"] is None and result["version"] is None
    error = result["error"]
    assert isinstance(error, dict)
    return error


def _walkabout(api: Api, *user_ids: str) -> str:
    wid = new_id()
    people = [{"user_id": u, "name": "someone", "role": "pcso"} for u in user_ids]
    patch = {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z", "participants": people}
    create(api, "walkabout", patch, wid)
    return wid


def test_a_case_may_not_name_a_resident_of_another_patch(cast: Cast) -> None:
    north_home, south_home = cast.homes["100000000001"], cast.homes["100000000003"]
    with cast.api("south1") as south, cast.api("north1") as north, cast.api("boss") as boss:
        theirs = _person(south, south_home)
        answers = []
        for complainant in (theirs, new_id()):  # another patch's resident; an unknown id
            rid, patch = new_case(property_id=north_home, complainant_id=complainant)
            answers.append(_refused(north.push_one(mutation("asb_case", rid, patch))))
            assert ("asb_case", rid) not in boss.pull_all()[0]  # nothing was stored
        # The same answer, word for word, whether the id is held elsewhere or nowhere.
        assert answers[0] == answers[1]
        assert answers[0]["code"] == "not_found"
        assert theirs not in repr(answers[0])
        # An edit that names them is refused the same way, and changes nothing.
        rid, patch = new_case(property_id=north_home)
        create(north, "asb_case", patch, rid)
        edit = north.push_one(mutation("asb_case", rid, {"complainant_id": theirs}, base_version=1))
        assert _refused(edit) == answers[0]
        # Their own patch's resident is fine, and is read: vulnerable.
        mine = _person(north, north_home)
        rid, patch = new_case(property_id=north_home, complainant_id=mine)
        record = create(north, "asb_case", patch, rid)["record"]
        assert record["vulnerable"] is True and "75" in record["reason"]


def test_other_reference_fields_are_checked_too(cast: Cast) -> None:
    north_home, south_home = cast.homes["100000000001"], cast.homes["100000000003"]
    with cast.api("south1") as south, cast.api("north1") as north:
        their_case, patch = new_case(property_id=south_home)
        create(south, "asb_case", patch, their_case)
        their_person = _person(south, south_home)
        at = "2026-06-10T10:00:00Z"
        attempts = [
            (
                "asb_report",
                {
                    "case_id": their_case,
                    "reported_at": at,
                    "incident_at": at,
                    "description": "shouting",
                },
            ),
            ("person", {"property_id": north_home, "name": "X", "partner_id": their_person}),
            ("person", {"property_id": south_home, "name": "X"}),
            (
                "note",
                {
                    "parent_entity": "asb_case",
                    "parent_id": their_case,
                    "text": "hi",
                    "created_at": at,
                },
            ),
            ("ct_review", {"case_id": their_case}),
            ("repair", {"property_id": south_home, "priority": "routine", "reported_at": at}),
        ]
        for entity, patch in attempts:
            error = _refused(north.push_one(mutation(entity, new_id(), patch)))
            assert error["code"] == "not_found", (entity, error)


def test_records_of_one_push_may_name_each_other_in_any_order(cast: Cast) -> None:
    home = cast.homes["100000000001"]
    with cast.api("north1") as north:
        pid, (rid, patch) = new_id(), new_case(property_id=home)
        patch["complainant_id"] = pid
        person = {"property_id": home, "name": "Ada Elder", "date_of_birth": OLD}
        results = north.push(
            mutation("asb_case", rid, patch), mutation("person", pid, person)
        )  # the case first, naming a person the same push creates after it
        assert [r["status"] for r in results] == ["applied", "applied"], results
        case = {k: v for (e, k), v in north.pull_all()[0].items() if e == "asb_case"}[rid]
        assert case["data"]["vulnerable"] is True


def test_derived_fields_never_read_outside_the_writers_scope(cast: Cast) -> None:
    """A case a manager linked to another patch's resident: an officer's edit of it is
    derived from what the officer may see, as their tablet derives it."""
    north_home, south_home = cast.homes["100000000001"], cast.homes["100000000003"]
    with cast.api("boss") as boss, cast.api("north1") as north:
        elder = _person(boss, south_home)
        rid, patch = new_case(property_id=north_home, complainant_id=elder)
        assert create(boss, "asb_case", patch, rid)["record"]["vulnerable"] is True
        edit = north.push_one(mutation("asb_case", rid, {"status": "monitoring"}, base_version=1))
        assert edit["status"] == "applied", edit
        assert edit["record"]["vulnerable"] is False
        assert "75" not in (edit["record"]["reason"] or "")


def test_a_partner_cannot_write_in_another_persons_name(cast: Cast) -> None:
    officer, pcso = cast.users["north1"], cast.users["pcso1"]
    at = "2026-06-10T10:00:00Z"
    with cast.api("north1") as north, cast.api("pcso1") as partner:
        wid = _walkabout(north, pcso)
        seen = {"walkabout_id": wid, "kind": "litter", "logged_at": at}
        forged = partner.push_one(mutation("observation", new_id(), {**seen, "logged_by": officer}))
        assert _refused(forged)["code"] == "author_mismatch"
        note = {"parent_entity": "walkabout", "parent_id": wid, "text": "hi", "created_at": at}
        forged = partner.push_one(mutation("note", new_id(), {**note, "author_id": officer}))
        assert _refused(forged)["code"] == "author_mismatch"
        # Left out, the author is the caller; the caller's own id is taken as sent.
        obs = create(partner, "observation", seen)["record"]
        assert obs["logged_by"] == pcso
        assert create(partner, "note", {**note, "author_id": pcso})["record"]["author_id"] == pcso
        # Nobody rewrites who logged it afterwards, not even an officer who may edit it.
        edit = mutation("observation", obs["id"], {"logged_by": officer}, base_version=1)
        assert _refused(north.push_one(edit))["code"] == "author_mismatch"
        same = mutation(
            "observation", obs["id"], {"logged_by": pcso, "kind": "graffiti"}, base_version=1
        )
        assert north.push_one(same)["status"] == "applied"
