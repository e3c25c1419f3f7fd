"""Household size: the bedroom standard and the size criteria, with an optimal pairing.

Sources: ``docs/domain-rules.md`` (Annual Tenancy Visit and household); the English Housing
Survey bedroom standard; the housing benefit / universal credit size criteria ("bedroom
tax"). Ages from ``Policy``; all ages are taken on the local date of the visit.

Who counts: household members living there on the visit date. Not counted: unverified
occupants (kept apart, they raise a fraud check); people who moved out or died on or before
the visit date; people who moved in or were born after it. Couples are two counted people
linked by ``partner_id`` on either side (a mutual link wins if links disagree). A person
with no known date of birth is treated as an adult, and the reason says so. Sex ``X`` or
unknown never counts as "the same sex" as anyone (it limits sharing only where sex matters).

Bedroom standard: a room for each couple; each other person 21+; each pair of same-sex
people aged 10-20; each pair of children under 10; an unpaired 10-20-year-old may share with
a same-sex child under 10; anyone else has a room. Result against the home's bedrooms:
fewer = overcrowded; equal = at standard; one more = one above; two or more = under-occupied.

Size criteria: a room for each couple; each other person 16+; two children of the same sex
under 16; two children under 10; any other child; a non-resident overnight carer (one more
room); a disabled child who cannot share (own room). One spare bedroom cuts the eligible
housing cost 14%, two or more 25%.

Both rules allow at most two people to a room, so the fewest rooms is the number of people
less a maximum matching of "may share" pairs. A greedy pairing can be wrong (girl 12, girl 8,
boy 6, boy 14 under the size criteria: pairing the two under-10s first needs three rooms, the
same-sex pairs two), so ``_fewest_rooms`` searches the pairings for a maximum matching, exactly
and in O(n^2) for any household.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fieldapp.domain.asb import age_on
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import flag, parse_day, text

BEDROOM_STANDARD_RESULTS = ("overcrowded", "at_standard", "one_above", "under_occupied")


@dataclass(frozen=True)
class Occupant:
    """One counted person on the visit date. ``age`` None: date of birth unknown (adult)."""

    id: str
    age: int | None
    sex: str | None = None
    partner_id: str | None = None
    cannot_share: bool = False  # a disabled child who cannot share a room (size criteria)


@dataclass(frozen=True)
class Need:
    """Bedrooms a household needs under one rule, who shares with whom, and why."""

    bedrooms: int
    rooms: tuple[tuple[str, ...], ...]  # occupant ids per room; () for the overnight carer
    reason: str


def gone_by(person: Mapping[str, Any], day: date) -> bool:
    """Moved out or died on or before ``day``: no longer living in the home."""
    gone = (parse_day(person.get("moved_out_on")), parse_day(person.get("died_on")))
    return any(d is not None and d <= day for d in gone)


def occupants_on(
    persons: Iterable[Mapping[str, Any]], visit_date: date
) -> tuple[list[Occupant], list[str]]:
    """The people counted on ``visit_date`` from person records, and notes on those left out."""
    counted: list[Occupant] = []
    unverified = left = 0
    for index, p in enumerate(persons):
        pid = text(p.get("id")) or f"person-{index}"
        if p.get("status") == "unverified_occupant":
            unverified += 1
            continue
        dob = parse_day(p.get("date_of_birth"))
        moved_in = parse_day(p.get("moved_in_on"))
        if gone_by(p, visit_date) or (moved_in is not None and moved_in > visit_date):
            left += 1
            continue
        if dob is not None and dob > visit_date:
            left += 1
            continue
        counted.append(
            Occupant(
                id=pid,
                age=None if dob is None else age_on(dob, visit_date),
                sex=text(p.get("sex")),
                partner_id=text(p.get("partner_id")),
                cannot_share=flag(p.get("cannot_share")),
            )
        )
    notes = []
    if unverified:
        notes.append(f"{unverified} unverified occupant(s) not counted")
    if left:
        notes.append(f"{left} person(s) not living there on the visit date not counted")
    return counted, notes


def couples(occupants: Sequence[Occupant]) -> list[tuple[str, str]]:
    """Couples among ``occupants``: ``partner_id`` set on either side, mutual links first."""
    ids = {o.id for o in occupants}
    links = {
        (o.id, o.partner_id) for o in occupants if o.partner_id in ids and o.partner_id != o.id
    }
    edges = {tuple(sorted(pair)) for pair in links}
    mutual = sorted(e for e in edges if (e[1], e[0]) in links and (e[0], e[1]) in links)
    one_sided = sorted(e for e in edges if e not in mutual)
    taken: set[str] = set()
    result: list[tuple[str, str]] = []
    for a, b in mutual + one_sided:
        if a not in taken and b not in taken:
            taken.update((a, b))
            result.append((a, b))
    return result


SEXES_THAT_MATCH = ("F", "M")  # "X" or unknown is never "the same sex" as anyone


def _fewest_rooms(
    older: Sequence[tuple[str, str | None]], younger: Sequence[tuple[str, str | None]]
) -> list[tuple[str, ...]]:
    """Rooms of at most two, fewest possible, for the people who may share at all.

    Both rules have the same shape: ``younger`` children (under 10) may share with any other
    younger child; ``older`` ones (bedroom standard 10-20, size criteria 10-15) only with
    someone of the same sex, older or younger. So every pairing is: ``k_s`` older-younger
    pairs of each sex s, older same-sex pairs, and younger pairs. For fixed ``k_s`` the
    rest is best paired within each group, so searching every (k_F, k_M) finds a maximum
    matching exactly, in O(n^2), where a greedy order can lose a room.
    """
    old = {s: [pid for pid, sex in older if sex == s] for s in SEXES_THAT_MATCH}
    old_alone = [pid for pid, sex in older if sex not in SEXES_THAT_MATCH]
    young = {s: [pid for pid, sex in younger if sex == s] for s in SEXES_THAT_MATCH}
    young_other = [pid for pid, sex in younger if sex not in SEXES_THAT_MATCH]

    best: tuple[int, int, int] | None = None  # (pairs, k_F, k_M)
    for k_f in range(min(len(old["F"]), len(young["F"])) + 1):
        for k_m in range(min(len(old["M"]), len(young["M"])) + 1):
            pairs = (
                k_f + k_m
                + (len(old["F"]) - k_f) // 2
                + (len(old["M"]) - k_m) // 2
                + (len(younger) - k_f - k_m) // 2
            )  # fmt: skip
            if best is None or pairs > best[0]:
                best = (pairs, k_f, k_m)
    assert best is not None  # the ranges always hold 0
    cross = {"F": best[1], "M": best[2]}

    rooms: list[tuple[str, ...]] = []
    young_left: list[str] = []
    for s in SEXES_THAT_MATCH:
        k = cross[s]
        rooms += [(o, y) for o, y in zip(old[s][:k], young[s][:k], strict=True)]
        rooms += _pairs_of(old[s][k:])
        young_left += young[s][k:]
    rooms += _pairs_of(young_left + young_other)
    rooms += [(pid,) for pid in old_alone]
    return rooms


def _pairs_of(ids: Sequence[str]) -> list[tuple[str, ...]]:
    """Consecutive pairs, the odd one out alone."""
    return [tuple(ids[i : i + 2]) for i in range(0, len(ids), 2)]


def _couple_rooms(occupants: Sequence[Occupant]) -> tuple[list[tuple[str, ...]], set[str]]:
    pairs = couples(occupants)
    return [tuple(p) for p in pairs], {pid for p in pairs for pid in p}


def _unknown_note(occupants: Sequence[Occupant]) -> str:
    unknown = sum(1 for o in occupants if o.age is None)
    return f"{unknown} date(s) of birth unknown, treated as adult" if unknown else ""


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def bedroom_standard(occupants: Sequence[Occupant], *, policy: Policy) -> Need:
    """Bedrooms needed under the bedroom standard (English Housing Survey)."""
    rooms, paired = _couple_rooms(occupants)
    teens: list[tuple[str, str | None]] = []
    children: list[tuple[str, str | None]] = []
    for o in occupants:
        if o.id in paired:
            continue
        if o.age is None or o.age >= policy.bs_adult_age:
            rooms.append((o.id,))
        elif o.age >= policy.bs_teen_age:
            teens.append((o.id, o.sex))  # 10-20: with the same sex, of 10-20 or under 10
        else:
            children.append((o.id, o.sex))  # under 10: with any child under 10
    rooms += _fewest_rooms(teens, children)
    couples_n = len(occupants) - len([o for o in occupants if o.id not in paired])
    summary = f"Bedroom standard: {len(rooms)} bedroom(s) for {len(occupants)} person(s)" + (
        f" incl. {couples_n // 2} couple(s)" if couples_n else ""
    )
    return Need(len(rooms), tuple(rooms), _join(summary, _unknown_note(occupants)))


def size_criteria(
    occupants: Sequence[Occupant], *, overnight_carer: bool = False, policy: Policy
) -> Need:
    """Bedrooms allowed under the size criteria (housing benefit / universal credit)."""
    rooms, paired = _couple_rooms(occupants)
    older: list[tuple[str, str | None]] = []
    younger: list[tuple[str, str | None]] = []
    own_room_children = 0
    for o in occupants:
        if o.id in paired:
            continue
        if o.age is None or o.age >= policy.sc_adult_age:
            rooms.append((o.id,))
        elif o.cannot_share:
            own_room_children += 1
            rooms.append((o.id,))
        elif o.age < policy.sc_any_sex_under:
            younger.append((o.id, o.sex))  # under 10: with any child under 10
        else:
            older.append((o.id, o.sex))  # 10-15: with a child of the same sex under 16
    rooms += _fewest_rooms(older, younger)
    if overnight_carer:
        rooms.append(())
    notes = [f"Size criteria: {len(rooms)} bedroom(s)"]
    if overnight_carer:
        notes.append("one for a non-resident overnight carer")
    if own_room_children:
        notes.append(f"{own_room_children} disabled child(ren) who cannot share")
    return Need(len(rooms), tuple(rooms), _join(*notes, _unknown_note(occupants)))


def bedroom_standard_result(needed: int, bedrooms: int) -> str:
    """overcrowded / at_standard / one_above / under_occupied."""
    extra = bedrooms - needed
    if extra < 0:
        return "overcrowded"
    if extra == 0:
        return "at_standard"
    if extra == 1:
        return "one_above"
    return "under_occupied"


def spare_bedrooms(needed: int, bedrooms: int) -> int:
    """Bedrooms beyond the size criteria (never negative)."""
    return max(0, bedrooms - needed)


def size_criteria_reduction_pct(spare: int, *, policy: Policy) -> int:
    """Cut in eligible housing cost: 14% for one spare bedroom, 25% for two or more."""
    if spare <= 0:
        return 0
    if spare == 1:
        return policy.sc_reduction_one_spare_pct
    return policy.sc_reduction_two_plus_spare_pct


@dataclass(frozen=True)
class HouseholdAssessment:
    """What a tenancy visit shows about the household's size against the home."""

    bedrooms_needed: int | None  # bedroom standard
    bedroom_standard: str | None
    size_criteria_needed: int | None
    size_criteria_spare: int | None
    size_criteria_reduction_pct: int | None
    reason: str


def assess_household(
    persons: Iterable[Mapping[str, Any]],
    *,
    visit_date: date,
    bedrooms: int | None,
    overnight_carer: bool = False,
    policy: Policy,
) -> HouseholdAssessment:
    """Both rules for the person records of a home on ``visit_date``.

    With nobody counted there is nothing to assess: every figure is None.
    """
    occupants, notes = occupants_on(persons, visit_date)
    if not occupants:
        return HouseholdAssessment(
            None, None, None, None, None, _join("No household members counted", *notes)
        )
    bs = bedroom_standard(occupants, policy=policy)
    sc = size_criteria(occupants, overnight_carer=overnight_carer, policy=policy)
    if bedrooms is None or bedrooms < 0:
        return HouseholdAssessment(
            bs.bedrooms,
            None,
            sc.bedrooms,
            None,
            None,
            _join(bs.reason, sc.reason, "bedrooms of the home unknown", *notes),
        )
    spare = spare_bedrooms(sc.bedrooms, bedrooms)
    result = bedroom_standard_result(bs.bedrooms, bedrooms)
    pct = size_criteria_reduction_pct(spare, policy=policy)
    words = result.replace("_", " ")
    return HouseholdAssessment(
        bs.bedrooms,
        result,
        sc.bedrooms,
        spare,
        pct,
        _join(
            f"{bs.reason}, home has {bedrooms}: {words}",
            f"{sc.reason}, {spare} spare" + (f": {pct}% reduction" if pct else ""),
            *notes,
        ),
    )
