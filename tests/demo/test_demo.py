"""The demo patch: deterministic, valid against the wire registry, and realistic enough to demo.

Every record must pass the same validation a client patch gets, so ``seed-demo`` can write it
through the normal path; references must resolve; the scenarios the README promises (overdue
visits, thresholds met, a Community Trigger, Awaab's Law damp) must be present.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from math import cos, radians, sqrt
from pathlib import Path
from typing import Any

import pytest

from fieldapp.demo import CSV_HEADER, DEFAULT_TODAY, HALTON_BBOX, DemoData, generate_demo
from fieldapp.sync.protocol import ENTITIES, validate_patch

ROOT = Path(__file__).resolve().parents[2]
TODAY = DEFAULT_TODAY
SEEDS = [1, 2, 3, 7, 42]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


def _dump(data: DemoData) -> str:
    body = {entity: records for entity, records in data.by_entity().items()}
    body["users"] = [vars(u) for u in data.users]
    return json.dumps(body, sort_keys=True, default=list)


def _age(dob: str, on: date = TODAY) -> int:
    born = date.fromisoformat(dob)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dn = (a[0] - b[0]) * 111_320
    de = (a[1] - b[1]) * 111_320 * cos(radians(a[0]))
    return sqrt(dn * dn + de * de)


def _day(wire: str) -> date:
    return datetime.fromisoformat(wire.replace("Z", "+00:00")).date()


# --- determinism ----------------------------------------------------------------------------
def test_same_seed_gives_identical_data() -> None:
    assert generate_demo(5) == generate_demo(5)
    assert _dump(generate_demo(5)) == _dump(generate_demo(5))
    assert generate_demo(5).properties_csv() == generate_demo(5).properties_csv()


def test_different_seeds_give_different_data() -> None:
    one, two = generate_demo(1), generate_demo(2)
    assert one.properties[0]["id"] != two.properties[0]["id"]
    assert one.properties_csv() != two.properties_csv()


def test_output_does_not_depend_on_hash_seed() -> None:
    """Set or dict-of-str iteration order must never leak into the data."""
    code = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.demo.test_demo import _dump; from fieldapp.demo import generate_demo;"
        "print(hashlib.sha256(_dump(generate_demo(3)).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code, str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        digests.add(out.stdout.strip())
    assert digests == {hashlib.sha256(_dump(generate_demo(3)).encode()).hexdigest()}


def test_committed_csv_is_the_generators_output(demo: DemoData) -> None:
    committed = (ROOT / "assets" / "demo_properties.csv").read_text(encoding="utf-8")
    assert committed == demo.properties_csv(), (
        "assets/demo_properties.csv is stale: regenerate it from fieldapp.demo.generate_demo()"
    )


def test_csv_does_not_depend_on_today(demo: DemoData) -> None:
    assert generate_demo(today=date(2027, 3, 1)).properties_csv() == demo.properties_csv()


def test_other_days_move_the_dates_with_them() -> None:
    later = generate_demo(today=TODAY + timedelta(days=10))
    base = generate_demo()
    shift = _day(later.asb_cases[0]["received_at"]) - _day(base.asb_cases[0]["received_at"])
    assert shift == timedelta(days=10)


# --- wire validity --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_every_record_is_a_valid_create(seed: int) -> None:
    data = generate_demo(seed)
    for entity, records in data.by_entity().items():
        spec = ENTITIES[entity]
        assert records, entity
        for record in records:
            # Exactly the registry's fields, derived ones left to the server but for the
            # reference a case or repair would have been issued (the seed keeps it).
            issued = {f.name for f in spec.fields if f.issued}
            want = {"id", *spec.writable, *issued}
            assert set(record) == want, (entity, set(record) ^ set(spec.names))
            patch = {k: v for k, v in record.items() if k != "id" and k not in spec.derived}
            assert validate_patch(entity, patch, creating=True) == [], (entity, record["id"])


@pytest.mark.parametrize("seed", SEEDS)
def test_references_resolve(seed: int) -> None:
    data = generate_demo(seed)
    ids = {entity: {r["id"] for r in rs} for entity, rs in data.by_entity().items()}
    for entity, records in data.by_entity().items():
        for field in ENTITIES[entity].fields:
            if field.ref is None or field.derived:
                continue
            for record in records:
                value = record[field.name]
                assert value is None or value in ids[field.ref], (entity, field.name)
    for obs in data.observations:
        if obs["raised_entity"] is not None:
            assert obs["raised_id"] in ids[obs["raised_entity"]]
    user_ids = {u.id for u in data.users}
    assert all(set(p["officer_ids"]) <= user_ids for p in data.patches)


def test_ids_are_unique_uuids(demo: DemoData) -> None:
    every = [r["id"] for rs in demo.by_entity().values() for r in rs] + [u.id for u in demo.users]
    assert len(every) == len(set(every))
    assert all(str(uuid.UUID(i)) == i for i in every)


def test_times_are_utc_wire_strings(demo: DemoData) -> None:
    for entity, records in demo.by_entity().items():
        for field in ENTITIES[entity].fields:
            for record in records:
                value = record.get(field.name)
                if value is None:
                    continue
                if field.type == "datetime":
                    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
                if field.type == "date":
                    assert date.fromisoformat(value) <= TODAY


# --- counts and content ---------------------------------------------------------------------
def test_counts(demo: DemoData) -> None:
    assert 380 <= len(demo.properties) <= 420
    assert sorted({p["estate"] for p in demo.properties}) == [
        "Castlefields",
        "Hough Green",
        "Palace Fields",
    ]
    assert sorted(p["name"] for p in demo.patches) == ["Runcorn East", "Widnes West"]
    assert 22 <= sum(c["status"] != "closed" for c in demo.asb_cases) <= 30
    assert 25 <= len(demo.repairs) <= 35
    assert 2 <= len(demo.walkabouts) and all(w["ended_at"] for w in demo.walkabouts)
    assert len(demo.observations) >= 8
    assert 800 <= len(demo.persons) <= 1200


def test_users(demo: DemoData) -> None:
    roles = Counter(u.role for u in demo.users)
    assert roles == {"officer": 2, "manager": 1, "pcso": 1, "councillor": 1}
    names = {p["name"] for p in demo.patches}
    officers = [u for u in demo.users if u.role == "officer"]
    assert {u.username for u in officers} == {"officer1", "officer2"}
    assert [len(u.patch_names) for u in officers] == [1, 1]
    assert {n for u in officers for n in u.patch_names} == names
    assert all(set(u.patch_names) <= names and u.password for u in demo.users)
    for patch in demo.patches:
        assert patch["officer_ids"] == [u.id for u in officers if patch["name"] in u.patch_names]


def test_properties_look_real(demo: DemoData) -> None:
    uprns = [p["uprn"] for p in demo.properties]
    assert len(set(uprns)) == len(uprns)
    assert all(re.fullmatch(r"[1-9]\d{11}", u) for u in uprns)
    refs = [p["tenancy_ref"] for p in demo.properties if p["tenancy_ref"] is not None]
    assert len(set(refs)) == len(refs) and len(refs) >= 380
    for p in demo.properties:
        outward = "WA7" if p["address"].endswith("Runcorn") else "WA8"
        assert re.fullmatch(rf"{outward} \d[ABD-HJLNP-UW-Z]{{2}}", p["postcode"]), p["postcode"]
        assert 1 <= p["bedrooms"] <= 4
        assert (p["block"] is not None) and p["block"] in p["address"]
    assert Counter(p["bedrooms"] for p in demo.properties).keys() == {1, 2, 3, 4}
    flats = [p for p in demo.properties if p["address"].startswith("Flat ")]
    assert 100 <= len(flats) <= 250 and all(p["bedrooms"] <= 2 for p in flats)


@pytest.mark.parametrize("seed", SEEDS)
def test_coordinates_within_the_towns_and_estates(seed: int) -> None:
    south, west, north, east = HALTON_BBOX
    data = generate_demo(seed)
    by_estate: dict[str, list[tuple[float, float]]] = {}
    for p in data.properties:
        assert south < p["lat"] < north and west < p["lon"] < east
        by_estate.setdefault(p["estate"], []).append((p["lat"], p["lon"]))
    for points in by_estate.values():
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        assert max(_metres(p, (lat, lon)) for p in points) < 1200  # an estate, not a town
    for record in data.asb_cases + data.repairs + data.observations:
        assert south < record["lat"] < north and west < record["lon"] < east


# --- households -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_households_are_plausible(seed: int) -> None:
    data = generate_demo(seed)
    homes: dict[str, list[dict[str, Any]]] = {}
    for person in data.persons:
        homes.setdefault(person["property_id"], []).append(person)
    tenanted = {p["id"] for p in data.properties if p["tenancy_ref"] is not None}
    assert set(homes) == tenanted  # void homes have nobody, every tenancy has a household
    for people in homes.values():
        leads = [p for p in people if p["relationship"] == "lead_tenant"]
        assert len(leads) == 1
        lead_age = _age(leads[0]["date_of_birth"])
        assert 18 <= lead_age <= 100
        for person in people:
            age = _age(person["date_of_birth"])
            assert 0 <= age <= 100
            assert person["date_of_birth"] <= (person["moved_in_on"] or TODAY.isoformat())
            if person["relationship"] == "child":
                assert lead_age - age >= 16, (lead_age, age)
            if person["relationship"] in ("joint_tenant", "partner", "other"):
                assert age >= 18
            if person["status"] == "unverified_occupant":
                assert person["relationship"] == "other" and person["moved_in_on"] is None


@pytest.mark.parametrize("seed", SEEDS)
def test_partner_links_are_valid(seed: int) -> None:
    data = generate_demo(seed)
    people = {p["id"]: p for p in data.persons}
    one_sided = 0
    for person in data.persons:
        partner_id = person["partner_id"]
        if partner_id is None:
            continue
        partner = people[partner_id]
        assert partner_id != person["id"]
        assert partner["property_id"] == person["property_id"]
        pair = {person["relationship"], partner["relationship"]}
        assert "lead_tenant" in pair and pair <= {"lead_tenant", "joint_tenant", "partner"}
        if partner["partner_id"] is None:
            one_sided += 1
        else:
            assert partner["partner_id"] == person["id"]  # both set: they name each other
    assert seed != 1 or one_sided >= 1  # the demo shows both ways of recording a couple


def test_household_variety(demo: DemoData) -> None:
    ages = [_age(p["date_of_birth"]) for p in demo.persons]
    relationships = Counter(p["relationship"] for p in demo.persons)
    assert sum(a >= 75 for a in ages) >= 5
    assert sum(a < 18 for a in ages) >= 100
    assert relationships["relative"] >= 3 and relationships["joint_tenant"] >= 10
    assert sum(p["status"] == "unverified_occupant" for p in demo.persons) >= 3
    assert any(p["died_on"] for p in demo.persons)
    assert any(p["moved_out_on"] for p in demo.persons)


# --- scenarios ------------------------------------------------------------------------------
def _complaints(demo: DemoData, case: dict[str, Any]) -> list[date]:
    """Report dates of a case's distinct incidents (its receipt is the first complaint)."""
    seen: set[str] = set()
    days = [_day(case["received_at"])]
    for report in demo.asb_reports:
        if report["case_id"] == case["id"] and report["incident_at"] not in seen:
            seen.add(report["incident_at"])
            days.append(_day(report["reported_at"]))
    return sorted(days)


def _within(demo: DemoData, case: dict[str, Any], count: int, days: int) -> bool:
    """Whether ``count`` distinct complaints of the case fall within ``days`` days."""
    dates = _complaints(demo, case)
    return any(
        b - a <= timedelta(days=days) for a, b in zip(dates, dates[count - 1 :], strict=False)
    )


def test_asb_scenarios(demo: DemoData) -> None:
    people = {p["id"]: p for p in demo.persons}
    open_cases = [c for c in demo.asb_cases if c["status"] != "closed"]
    assert Counter(c["category"] for c in open_cases).keys() == {"crime", "noise", "other"}
    assert sum(c["urgent_crime"] for c in open_cases) >= 2
    assert all(c["category"] == "crime" for c in open_cases if c["urgent_crime"])
    assert sum(c["hate_motivated"] for c in open_cases) >= 2
    with_complainant = [c for c in demo.asb_cases if c["complainant_id"] is not None]
    assert len(with_complainant) >= 25
    for case in with_complainant:
        assert people[case["complainant_id"]]["property_id"] == case["property_id"]
    threshold = [c for c in open_cases if c["category"] != "crime" and _within(demo, c, 2, 28)]
    assert len(threshold) >= 4
    below = [c for c in open_cases if len(_complaints(demo, c)) == 1 and c["category"] != "crime"]
    assert len(below) >= 3
    assert sum(_within(demo, c, 3, 183) for c in open_cases) >= 2  # Community Trigger
    over_75 = [c for c in open_cases if c["over_75"]]
    assert over_75 and all(
        _age(people[c["complainant_id"]]["date_of_birth"]) >= 75 for c in over_75
    )
    for case in demo.asb_cases:  # a non-vulnerable complainant is clearly under 75
        if case["complainant_id"] is not None and not case["over_75"]:
            assert _age(people[case["complainant_id"]]["date_of_birth"]) < 74
    for report in demo.asb_reports:  # further reports are qualifying complaints
        assert _day(report["incident_at"]) <= _day(report["reported_at"])


def test_repair_scenarios(demo: DemoData) -> None:
    damp = [r for r in demo.repairs if r["awaab"] == "significant"]
    assert len(damp) >= 4 and all(r["hazard"] == "damp_and_mould" for r in damp)
    assert all(_day(r["reported_at"]) >= date(2025, 10, 27) for r in damp)  # in Awaab's Law
    assert any(r["investigation_concluded_at"] for r in damp)
    emergency = [r for r in demo.repairs if r["priority"] == "emergency"]
    assert len(emergency) == 1 and emergency[0]["awaab"] == "emergency"
    assert any(r["observation_id"] for r in demo.repairs)


def test_atv_dates_spread(demo: DemoData) -> None:
    visits = {v["property_id"]: v for v in demo.tenancy_visits}
    overdue = soon = 0
    for prop in demo.properties:
        last = prop["last_atv_on"]
        if prop["tenancy_ref"] is None:
            assert last is None and prop["id"] not in visits
            continue
        if last is None:
            overdue += 1
            continue
        assert _day(visits[prop["id"]]["visited_at"]) == date.fromisoformat(last)
        age = (TODAY - date.fromisoformat(last)).days
        overdue += age > 365
        soon += 335 <= age <= 365
    assert overdue >= 20 and soon >= 10
    assert len(visits) == len(demo.tenancy_visits)  # the last visit of each tenancy only


def test_walkabouts(demo: DemoData) -> None:
    users = {u.id: u for u in demo.users}
    by_walk = {w["id"]: w for w in demo.walkabouts}
    for walk in demo.walkabouts:
        assert walk["started_at"] < walk["ended_at"]
        roles = {p["role"] for p in walk["participants"]}
        assert roles & {"pcso", "councillor"}
        for participant in walk["participants"]:
            if participant["user_id"] is not None:
                assert users[participant["user_id"]].name == participant["name"]
    for obs in demo.observations:
        walk = by_walk[obs["walkabout_id"]]
        assert walk["started_at"] <= obs["logged_at"] <= walk["ended_at"]
        participant_ids = {p["user_id"] for p in walk["participants"]}
        assert obs["logged_by"] in participant_ids
    assert any(o["kind"] == "graffiti" and o["offensive"] for o in demo.observations)
    assert {w["fire_safety_met"] for w in demo.walkabouts} == {True, False}


def test_properties_csv_round_trips(demo: DemoData) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(demo.properties_csv())))
    assert tuple(rows[0].keys()) == CSV_HEADER
    assert len(rows) == len(demo.properties)
    patch_names = {p["id"]: p["name"] for p in demo.patches}
    for row, prop in zip(rows, demo.properties, strict=True):
        assert row["uprn"] == prop["uprn"] and row["address"] == prop["address"]
        assert row["patch"] == patch_names[prop["patch_id"]]
        assert float(row["lat"]) == prop["lat"] and float(row["lon"]) == prop["lon"]
        assert int(row["bedrooms"]) == prop["bedrooms"]
        assert (row["tenancy_ref"] or None) == prop["tenancy_ref"]


def test_scenarios_hold_under_the_domain_rules(demo: DemoData) -> None:
    """What the demo is meant to show, as the shared rules (server and tablet) compute it."""
    from fieldapp.domain.derive import derive
    from fieldapp.domain.policy import Policy

    records = demo.by_entity()
    index = {entity: {r["id"]: r for r in rs} for entity, rs in records.items()}

    class Lookup:
        def get(self, entity: str, id: str) -> dict[str, Any] | None:
            return index.get(entity, {}).get(id)

        def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
            return [r for r in records.get(entity, []) if r.get(field) == value]

    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def derived(entity: str) -> list[dict[str, Any]]:
        return [derive(entity, r, Lookup(), Policy(), now) for r in records[entity]]

    cases = [{**c, **d} for c, d in zip(records["asb_case"], derived("asb_case"), strict=True)]
    live = [c for c in cases if c["status"] != "closed"]
    assert sum(c["ct_eligible"] for c in live) >= 2
    assert sum(bool(c["threshold_met"]) and c["category"] != "crime" for c in live) >= 4
    assert sum(c["threshold_applies"] and not c["threshold_met"] for c in live) >= 3
    assert sum(c["vulnerable"] for c in live) >= 3
    assert {c["risk_level"] for c in live} >= {"standard", "medium", "high"}
    assert sum(c["due_at"] is not None and c["due_at"] < "2026-11-20" for c in live) >= 1
    walks = derived("walkabout")
    assert sorted(w["result"] for w in walks) == ["fail", "pass"]
    blocks = [o["nearest_block"] for o in derived("observation")]
    assert blocks[:2] == ["Chester House", "Chester House"]
    repairs = derived("repair")
    assert sum(r["investigate_by"] is not None for r in repairs) >= 4  # Awaab's Law clocks
    visits = derived("tenancy_visit")
    standards = Counter(v["bedroom_standard"] for v in visits)
    assert standards["overcrowded"] >= 5 and standards["under_occupied"] >= 5
    due = [p["atv_due_on"] for p in derived("property") if p["atv_due_on"] is not None]
    assert sum(d < "2026-11-20" for d in due) >= 20
    assert sum("2026-11-20" <= d <= "2026-12-20" for d in due) >= 10
