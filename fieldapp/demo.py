"""The demo patch: about 400 homes on three Halton estates, with households and open work.

``generate_demo(seed)`` builds everything a new officer needs to try the app: two patches
(Runcorn East: Castlefields and Palace Fields; Widnes West: Hough Green), the properties with
UPRNs, postcodes and coordinates, the households living in them, open ASB cases (some past
their threshold, some eligible for a Community Trigger, some urgent or hate-motivated),
repairs (Awaab's Law damp and mould, one emergency), Annual Tenancy Visits spread so that
some are overdue, two finished walkabouts with observations, and five demo users. Records are
wire-form dicts (names of ``fieldapp.sync.protocol.ENTITIES``, no derived fields: the server
computes those), so ``seed-demo`` can write them like any other change.

Everything is derived from ``random.Random(seed)`` and ``today``, and ids are UUIDv5 of the
seed and a counter, so the same arguments give byte-identical data. Times are placed relative
to ``today``: ``seed-demo`` should pass the local date it runs on so SLA clocks look live; the
fixed default keeps tests stable. The properties (and ``properties_csv()``) do not depend on
``today``. The scenario tables (estates, names, cases, repairs, walkabouts) are in
``fieldapp.demo_data``. All people, addresses and cases are invented; the passwords are for
the demo only. Standard library only.
"""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from fieldapp import demo_data as tables
from fieldapp.domain.policy import DEFAULT_POLICY
from fieldapp.domain.suggestions import person_suggestions
from fieldapp.ids import from_wire, to_wire
from fieldapp.sync.protocol import GRADE_ITEMS

DEFAULT_TODAY: Final = date(2026, 11, 20)
CSV_HEADER: Final = (
    "uprn", "patch", "estate", "block", "address", "postcode", "lat", "lon", "bedrooms",
    "tenancy_ref",
)  # fmt: skip
# The box the demo coordinates stay in: Runcorn and Widnes (Halton borough).
HALTON_BBOX: Final = (53.30, -2.83, 53.40, -2.62)  # south, west, north, east
_NS: Final = uuid.UUID("6f1c2a4e-8d0b-5e7a-9c3f-2b4d6e8fa0c1")
_LONDON: Final = ZoneInfo("Europe/London")
_INWARD: Final = "ABDEFGHJLNPQRSTUWXYZ"  # letters a postcode's inward code may use

Record = dict[str, Any]


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in. The passwords are public and for the demo only."""

    username: str
    password: str
    name: str
    role: str
    patch_names: tuple[str, ...]
    id: str  # deterministic, so walkabout participants and patch officers can name it


@dataclass(frozen=True)
class DemoData:
    """The demo records by entity, in wire form, and the demo users."""

    patches: list[Record]
    properties: list[Record]
    persons: list[Record]
    asb_cases: list[Record]
    asb_reports: list[Record]
    repairs: list[Record]
    tenancy_visits: list[Record]
    walkabouts: list[Record]
    observations: list[Record]
    users: list[DemoUser] = field(default_factory=list)

    def by_entity(self) -> dict[str, list[Record]]:
        """Entity name -> records, referenced entities first (the order to write them in)."""
        return {
            "patch": self.patches, "property": self.properties, "person": self.persons,
            "walkabout": self.walkabouts, "observation": self.observations,
            "asb_case": self.asb_cases, "asb_report": self.asb_reports, "repair": self.repairs,
            "tenancy_visit": self.tenancy_visits,
        }  # fmt: skip

    def properties_csv(self) -> str:
        """The properties in the import format of ``docs/csv-format.md``."""
        names = {p["id"]: p["name"] for p in self.patches}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for p in self.properties:
            writer.writerow([
                p["uprn"], names[p["patch_id"]], p["estate"], p["block"] or "", p["address"],
                p["postcode"], f"{p['lat']:.6f}", f"{p['lon']:.6f}", p["bedrooms"],
                p["tenancy_ref"] or "",
            ])  # fmt: skip
        return out.getvalue()


def _wire(day: date, hour: int, minute: int = 0) -> str:
    """A London wall-clock time on ``day`` as a wire UTC string."""
    local = datetime.combine(day, time(hour, minute), tzinfo=_LONDON)
    return to_wire(local)


def _years_before(day: date, years: int, extra_days: int) -> date:
    """A birthday ``years`` whole years (plus ``extra_days``, < 1 year) before ``day``."""
    anniversary = day.replace(year=day.year - years, day=min(day.day, 28))
    return anniversary - timedelta(days=extra_days)


class _Builder:
    """Holds the random stream and the id counter while one demo is built."""

    def __init__(self, seed: int, today: date) -> None:
        self.seed, self.today, self.rng = seed, today, random.Random(seed)
        self.counts: dict[str, int] = {}

    def id(self, kind: str) -> str:
        n = self.counts[kind] = self.counts.get(kind, 0) + 1
        return str(uuid.uuid5(_NS, f"{self.seed}/{kind}/{n}"))

    def ago(self, days: int, hour: int, minute: int = 0) -> str:
        return _wire(self.today - timedelta(days=days), hour, minute)

    def person(self, prop: Record, rel: str, age: int, sex: str, surname: str) -> Record:
        rng = self.rng
        dob = _years_before(self.today, age, rng.randrange(0, 360))
        generation = 0 if dob.year < 1960 else 1 if dob.year <= 1995 else 2
        first = rng.choice(tables.FIRST_NAMES[("F" if sex == "X" else sex, generation)].split())
        adult_on = dob + timedelta(days=365 * min(age, 18))  # adults moved in as adults
        moved_in = max(adult_on, self.today - timedelta(days=rng.randrange(200, 9000)))
        return {
            "id": self.id("person"), "property_id": prop["id"], "name": f"{first} {surname}",
            "date_of_birth": dob.isoformat(), "sex": sex, "relationship": rel,
            "partner_id": None, "status": "member", "moved_in_on": moved_in.isoformat(),
            "moved_out_on": None, "died_on": None, "cannot_share": None, "action_decisions": None,
        }  # fmt: skip


def _properties(b: _Builder, patches: dict[str, Record]) -> list[Record]:
    rng, props, used = b.rng, [], set()
    uprn, tenancy = 100_012_400_000, 40_000
    for estate, town, patch, sector, lat0, lon0, streets in tables.ESTATES:
        for street in streets:
            name, kind, homes = street[0], street[1], street[2]
            while (unit := sector + rng.choice(_INWARD) + rng.choice(_INWARD)) in used:
                pass
            used.add(unit)
            # Streets and blocks sit within about 450 m of the estate centre.
            north, east = rng.uniform(-450, 450), rng.uniform(-450, 450)
            bearing = rng.uniform(0, math.pi)
            for n in range(1, homes + 1):
                uprn += rng.randrange(1, 40)
                step = 0 if kind == "flats" else 9 * n  # houses run along the street
                dn = north + step * math.cos(bearing) + rng.uniform(-2, 2)
                de = east + step * math.sin(bearing) + rng.uniform(-2, 2)
                if kind == "flats":
                    address, block = f"Flat {n}, {name}, {street[3]}, {town}", name
                    beds = rng.choices((1, 2), (60, 40))[0]
                else:
                    address, block = f"{n} {name}, {town}", name
                    beds = rng.choices((2, 3, 4), (45, 45, 10))[0] if kind == "house" else 1
                    beds = rng.choice((1, 2)) if kind == "bungalow" else beds
                void = rng.random() < 0.015
                tenancy += rng.randrange(1, 90)
                props.append({
                    "id": b.id("property"), "uprn": str(uprn), "patch_id": patches[patch]["id"],
                    "estate": estate, "block": block, "address": address, "postcode": unit,
                    "lat": round(lat0 + dn / 111_320, 6),
                    "lon": round(lon0 + de / (111_320 * math.cos(lat0 * math.pi / 180)), 6),
                    "bedrooms": beds, "tenancy_ref": None if void else f"HT{tenancy:06d}/01",
                    "last_atv_on": None,
                })  # fmt: skip
    return props


def _household(b: _Builder, prop: Record) -> list[Record]:
    """The people of one tenanted home: a lead tenant, perhaps a partner, children, others."""
    rng = b.rng
    shape = rng.choices(tables.SHAPES, tables.SHAPE_WEIGHTS[prop["bedrooms"]])[0]
    surname = rng.choice(tables.SURNAMES)
    kids = [rng.randint(0, 17)] if shape in ("family", "lone_parent") else []
    while kids and len(kids) < rng.randint(1, prop["bedrooms"] + 1):
        kids.append(max(0, kids[-1] - rng.randint(1, 4)))
    age = {
        "single": rng.randint(19, 66), "older_single": rng.randint(62, 92),
        "couple": rng.randint(21, 64), "older_couple": rng.randint(62, 86),
        "adult_child": rng.randint(50, 84),
    }.get(shape, (kids[0] if kids else 0) + rng.randint(20, 36))  # fmt: skip
    lead_sex = "X" if rng.random() < 0.005 else rng.choice("FM")
    lead = b.person(prop, "lead_tenant", age, lead_sex, surname)
    people = [lead]
    if shape in ("couple", "older_couple") or (shape == "family" and rng.random() < 0.75):
        other = {"F": "M", "M": "F", "X": "F"}[lead_sex] if rng.random() < 0.95 else lead_sex
        name = surname if rng.random() < 0.6 else rng.choice(tables.SURNAMES)
        rel = rng.choice(("joint_tenant", "partner"))
        mate = b.person(prop, rel, max(18, age + rng.randint(-6, 6)), other, name)
        mate["moved_in_on"] = max(mate["moved_in_on"], lead["moved_in_on"])
        mate["partner_id"] = lead["id"]
        if rng.random() < 0.85:  # the other link is often, not always, recorded too
            lead["partner_id"] = mate["id"]
        if shape == "older_couple" and rng.random() < 0.08:
            mate["died_on"] = (b.today - timedelta(days=rng.randrange(20, 150))).isoformat()
        people.append(mate)
    for kid_age in kids:
        kid = b.person(prop, "child", kid_age, rng.choice("FM"), surname)
        kid["moved_in_on"] = max(kid["date_of_birth"], lead["moved_in_on"])
        people.append(kid)
    if shape == "adult_child" or (age >= 40 and rng.random() < 0.03):
        grown = b.person(prop, "child", rng.randint(18, min(40, age - 18)), rng.choice("FM"),
                         surname)  # fmt: skip
        if shape != "adult_child":  # a grown-up child who has since left home
            grown["moved_out_on"] = (b.today - timedelta(days=rng.randrange(30, 700))).isoformat()
        people.append(grown)
    if rng.random() < 0.05:
        people.append(b.person(prop, "relative", min(96, age + rng.randint(-8, 30)),
                               rng.choice("FM"), surname))  # fmt: skip
    if rng.random() < 0.03:  # an adult seen at the home whose ID was never shown
        guest = b.person(prop, "other", rng.randint(20, 45), rng.choice("FM"),
                         rng.choice(tables.SURNAMES))  # fmt: skip
        guest.update(status="unverified_occupant", moved_in_on=None)
        people.append(guest)
    return people


def _age(person: Record, on: date) -> int:
    born = date.fromisoformat(person["date_of_birth"])
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _asb(b: _Builder, props: list[Record], leads: dict[str, Record]) -> tuple[list[Record], ...]:
    """The ASB cases and their further reports, complainants picked to fit each scenario."""
    rng, cases, reports, taken = b.rng, [], [], set()
    for i, (cat, flags, harm, status, days, further, text) in enumerate(tables.CASES):
        estate = tables.ESTATES[i % 3][0]
        fits = [
            p for p in props
            if p["estate"] == estate and p["id"] in leads and p["id"] not in taken
            and (_age(leads[p["id"]], b.today) >= 76) == ("7" in flags)
            and _age(leads[p["id"]], b.today) not in (74, 75)
        ]  # fmt: skip
        prop = rng.choice(fits)
        taken.add(prop["id"])
        complainant = leads[prop["id"]]
        answers: dict[str, Any] = {
            "health_impact": rng.randint(0, 2), "unsafe_at_home": rng.randint(0, 1),
            "repeat_3_in_3_months": len(further) >= 2, "over_75_or_child": "7" in flags,
            "other_agency_support": "o" in flags, "personal_budget": "p" in flags,
            "isolated": "7" in flags and rng.random() < 0.5,
        }  # fmt: skip
        if "u" in flags:
            answers |= {"threats_or_violence": True, "unsafe_at_home": 3, "health_impact": 2}
        if "h" in flags:
            answers |= {"hate_or_targeted": True, "unsafe_at_home": 2, "considering_moving": True}
        case_id, received = b.id("asb_case"), b.ago(days, 9 + i % 8, (i * 13) % 60)
        cases.append({
            "id": case_id, "ref": f"ASB-{received[:4]}-{417 + i:04d}", "property_id": prop["id"],
            "lat": prop["lat"], "lon": prop["lon"], "category": cat, "urgent_crime": "u" in flags,
            "hate_motivated": "h" in flags, "harm_type": harm, "description": text,
            "received_at": received, "incident_at": b.ago(days + 1, 22, (i * 7) % 60),
            "complainant_id": complainant["id"],
            "over_75": "7" in flags, "other_org_support": "o" in flags,
            "personal_budget": "p" in flags, "vulnerable_by_judgement": "j" in flags,
            "risk_answers": None if status == "advice_given" else answers, "status": status,
        })  # fmt: skip
        near = [leads[p["id"]] for p in props if p["block"] == prop["block"] and p is not prop
                and p["id"] in leads]  # fmt: skip
        for n, (ago, agency) in enumerate(further):
            reporter = rng.choice(near) if "m" in flags and near and n % 2 else complainant
            reports.append({
                "id": b.id("asb_report"), "case_id": case_id,
                "incident_at": b.ago(ago + 1, 22, 30), "reported_at": b.ago(ago, 10 + n, 15),
                "reporter_id": reporter["id"], "agency": agency,
                "description": f"Further report: {text[0].lower()}{text[1:]}",
                "hate_motivated": "h" in flags,
            })  # fmt: skip
    return cases, reports


def _repairs(b: _Builder, props: list[Record], leads: dict[str, Record]) -> list[Record]:
    homes = [p for p in props if p["id"] in leads]
    repairs = []
    for i, (room, hazard, priority, awaab, status, days, concluded, text) in enumerate(
        tables.REPAIRS
    ):
        prop = b.rng.choice(homes)
        repairs.append({
            "id": b.id("repair"), "property_id": prop["id"], "lat": prop["lat"],
            "lon": prop["lon"], "room": room, "hazard": hazard, "priority": priority,
            "awaab": awaab, "description": text, "reported_at": b.ago(days, 8 + i % 9, 20),
            "investigation_concluded_at": None if concluded is None else b.ago(concluded, 15),
            "status": status, "observation_id": None, "imminent_risk": awaab == "emergency",
            "action_decisions": None,
        })  # fmt: skip
    return repairs


def _visits(b: _Builder, props: list[Record], people: dict[str, list[Record]]) -> list[Record]:
    """Annual Tenancy Visits: the last one of each tenancy, some overdue or due soon."""
    rng, visits = b.rng, []
    for prop in props:
        if prop["id"] not in people:
            continue
        roll = rng.random()
        if roll < 0.04:  # never visited
            continue
        days = rng.randint(366, 520) if roll < 0.16 else (
            rng.randint(322, 365) if roll < 0.27 else rng.randint(5, 321))  # fmt: skip
        day = b.today - timedelta(days=days)
        day -= timedelta(days=max(0, day.weekday() - 4))  # officers visit on weekdays
        prop["last_atv_on"] = day.isoformat()
        household = people[prop["id"]]
        oldest = max(_age(p, day) for p in household)
        arrears = 0.0 if rng.random() < 0.7 else round(rng.uniform(15, 1600), 2)
        referrals = ["welfare_benefits", "money_advice"] if arrears > 400 else []
        # The referrals the rules suggest for this household, taken up (a partner's death,
        # unlike a joint tenant's, is no succession).
        suggested = {
            s.action for p in household for s in person_suggestions(p, policy=DEFAULT_POLICY)
        }
        referrals += [a for a in ("fraud_check", "succession") if a in suggested]
        if rng.random() < 0.05:
            referrals.append("tenancy_support")
        present = rng.random() < 0.95
        visits.append({
            "id": b.id("tenancy_visit"), "property_id": prop["id"],
            "visited_at": _wire(day, rng.randint(9, 15), rng.choice((0, 15, 30, 45))),
            "tenant_present": present, "id_verified": present and rng.random() < 0.92,
            "arrears_amount": arrears,
            "weekly_rent": round(80.4 + 12.35 * prop["bedrooms"] + rng.uniform(-3, 3), 2),
            "referrals": referrals,
            "property_condition": rng.choices(("good", "fair", "poor"), (55, 35, 10))[0],
            "fire_safety_concerns": rng.choice(tables.FIRE_CONCERNS) if rng.random() < 0.06 else None,
            "notes": rng.choice(tables.VISIT_NOTES),
            "pets": rng.choice(("dog", "2 cats", "cat", "dog and a rabbit"))
            if rng.random() < 0.35 else None,
            "adaptations": rng.choice(("grab rails", "stair lift", "level-access shower"))
            if oldest >= 70 and rng.random() < 0.5 else None,
            "overnight_carer": oldest >= 80 and rng.random() < 0.2,
            "action_decisions": None,
        })  # fmt: skip
    return visits


def _walkabouts(
    b: _Builder, props: list[Record], users: dict[str, DemoUser]
) -> tuple[list[Record], list[Record], list[Record], list[Record]]:
    """Walkabouts, their observations, and the repairs and ASB cases they raised."""
    rng, walks, observations, repairs, cases = b.rng, [], [], [], []
    for estate, days, hour, minutes, joined, grades, fire_met, summary, found in tables.WALKS:
        start = from_wire(b.ago(days, hour))
        walk_id = b.id("walkabout")
        walks.append({
            "id": walk_id, "estate": estate, "started_at": to_wire(start),
            "ended_at": to_wire(start + timedelta(minutes=minutes)),
            "participants": [{"user_id": users[u].id, "name": users[u].name,
                              "role": users[u].role} for u in joined]
            + [{"user_id": None, "name": f"{estate} Residents' Association", "role": "other"}],
            "grades": dict(zip(GRADE_ITEMS, grades.split(), strict=True)),
            "fire_safety_met": fire_met, "summary": summary,
        })  # fmt: skip
        for kind, offensive, block, at, who, text, raised in found:
            home = next(p for p in props if p["block"] == block)
            lat = round(home["lat"] + rng.uniform(-15, 15) / 111_320, 6)
            lon = round(
                home["lon"] + rng.uniform(-25, 25) / 66_500, 6
            )  # metres per degree east here
            obs_id, logged = b.id("observation"), to_wire(start + timedelta(minutes=at))
            raised_entity = (
                None if raised is None else "asb_case" if raised == "asb_case" else "repair"
            )
            observations.append({
                "id": obs_id, "walkabout_id": walk_id, "kind": kind, "offensive": offensive,
                "lat": lat, "lon": lon, "description": text, "logged_by": users[who].id,
                "logged_at": logged, "raised_entity": raised_entity, "raised_id": None,
            })  # fmt: skip
            if raised_entity == "repair":
                observations[-1]["raised_id"] = rid = b.id("repair")
                repairs.append({
                    "id": rid, "property_id": None, "lat": lat, "lon": lon,
                    "room": f"communal areas, {block}", "hazard": raised, "priority": "urgent",
                    "awaab": "none", "description": text, "reported_at": logged,
                    "investigation_concluded_at": None, "status": "open", "observation_id": obs_id,
                    "imminent_risk": False, "action_decisions": None,
                })  # fmt: skip
            elif raised_entity == "asb_case":
                observations[-1]["raised_id"] = cid = b.id("asb_case")
                cases.append({
                    "id": cid, "ref": f"ASB-{logged[:4]}-{417 + len(tables.CASES):04d}",
                    "property_id": None, "lat": lat, "lon": lon, "category": "other",
                    "urgent_crime": False, "hate_motivated": False, "harm_type": "environmental",
                    "description": text, "received_at": logged, "incident_at": logged,
                    "complainant_id": None,
                    "over_75": False, "other_org_support": False, "personal_budget": False,
                    "vulnerable_by_judgement": False, "risk_answers": None, "status": "open",
                })  # fmt: skip
    return walks, observations, repairs, cases


def _references(cases: list[Record], repairs: list[Record]) -> None:
    """The server-issued ``reference`` the demo's records would have had: a case keeps its
    ``ref``; repairs are numbered by when they were reported, from REP-YYYY-0201."""
    for case in cases:
        case["reference"] = case["ref"]
    counts: dict[str, int] = {}
    for repair in sorted(repairs, key=lambda r: (str(r["reported_at"]), str(r["id"]))):
        year = str(repair["reported_at"])[:4]
        counts[year] = counts.get(year, 200) + 1
        repair["reference"] = f"REP-{year}-{counts[year]:04d}"


def generate_demo(seed: int = 1, *, today: date = DEFAULT_TODAY) -> DemoData:
    """The demo patch for ``seed`` as it stands on ``today``; same arguments, same data."""
    b = _Builder(seed, today)
    users = {
        u: DemoUser(
            u, f"demo-{u}-halton", name, role, patches, str(uuid.uuid5(_NS, f"{seed}/user/{u}"))
        )
        for u, name, role, patches in tables.USERS
    }
    patches = {
        name: {"id": b.id("patch"), "name": name,
               "officer_ids": [u.id for u in users.values() if u.role == "officer"
                               and name in u.patch_names]}
        for name in ("Runcorn East", "Widnes West")
    }  # fmt: skip
    props = _properties(b, patches)
    people = {p["id"]: _household(b, p) for p in props if p["tenancy_ref"] is not None}
    leads = {prop_id: household[0] for prop_id, household in people.items()}
    cases, reports = _asb(b, props, leads)
    repairs = _repairs(b, props, leads)
    visits = _visits(b, props, people)
    walks, observations, raised_repairs, raised_cases = _walkabouts(b, props, users)
    _references(cases + raised_cases, repairs + raised_repairs)
    return DemoData(
        patches=list(patches.values()), properties=props,
        persons=[p for household in people.values() for p in household],
        asb_cases=cases + raised_cases, asb_reports=reports, repairs=repairs + raised_repairs,
        tenancy_visits=visits, walkabouts=walks, observations=observations,
        users=list(users.values()),
    )  # fmt: skip
