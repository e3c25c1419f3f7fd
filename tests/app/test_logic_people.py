"""Picking walkabout people: staff found by name, guests, and who receives the walkabout."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.views import logic_people as P

STAFF = [
    {"id": "u1", "display_name": "Gary Lowe", "role": "pcso", "active": True},
    {"id": "u2", "display_name": "Jean Moss", "role": "councillor", "active": True},
    {"id": "u3", "display_name": "Nora Garyson", "role": "officer", "active": True},
    {"id": "u4", "display_name": "Gary Gone", "role": "pcso", "active": False},
    {"id": "u5", "display_name": "Mo Manager", "role": "manager", "active": True},
]


@pytest.mark.parametrize(
    ("query", "present", "found"),
    [
        ("gary", (), ["u1", "u3"]),  # name starting with it first; inactive left out
        ("GARY lowe", (), ["u1"]),  # every word, any case
        ("lowe gary", (), ["u1"]),  # any order
        ("gary", ("u1",), ["u3"]),  # already on the walkabout
        ("  ", (), []),
        ("zzz", (), []),
        ("n", (), ["u3", "u2", "u5"]),
    ],  # a name part starting with it first, then by name
)
def test_staff_matches(query: str, present: tuple[str, ...], found: list[str]) -> None:
    assert [p["id"] for p in P.staff_matches(STAFF, query, present=present)] == found


def test_staff_matches_stop_at_the_limit() -> None:
    many = [{"id": f"u{i}", "display_name": f"Sam {i:02d}", "role": "pcso"} for i in range(20)]
    assert len(P.staff_matches(many, "sam")) == P.MAX_MATCHES


def test_a_staff_participant_carries_the_user_id_name_and_role() -> None:
    assert P.staff_participant(STAFF[0]) == {"user_id": "u1", "name": "Gary Lowe", "role": "pcso"}
    assert P.staff_text(STAFF[1]) == "Jean Moss (Councillor)"


@pytest.mark.parametrize(
    ("name", "role", "errors"),
    [
        ("Rita Evans", "other", {}),
        ("", "other", {"guest_name": "Enter their name"}),
        ("x" * 201, "other", {"guest_name": "At most 200 characters"}),
        ("Rita", None, {"guest_role": "Choose their role"}),
        ("Rita", "mayor", {"guest_role": "Choose their role"}),
    ],
)
def test_guest(name: str, role: str | None, errors: dict[str, str]) -> None:
    built = P.guest(name, role)
    assert built.errors == errors
    assert built.patch["user_id"] is None


@pytest.mark.parametrize(
    ("person", "receives", "note"),
    [
        (
            {"user_id": "u1", "name": "Gary", "role": "pcso"},
            True,
            "Receives this walkabout on their tablet at its next sync",
        ),
        (
            {"user_id": "u2", "name": "Jean", "role": "councillor"},
            True,
            "Receives this walkabout on their tablet at its next sync",
        ),
        ({"user_id": "u3", "name": "Nora", "role": "officer"}, False, "Staff account"),
        ({"user_id": None, "name": "Rita", "role": "pcso"}, False, "Guest (no account)"),
    ],
)
def test_who_receives_the_walkabout(person: dict[str, Any], receives: bool, note: str) -> None:
    assert P.receives(person) is receives
    assert P.person_note(person) == note
    assert ("their tablet receives" in P.added_text(person).lower()) is receives


def test_receivers_text_names_only_partners_with_accounts() -> None:
    people = [
        {"user_id": "u3", "name": "Nora", "role": "officer"},
        {"user_id": "u1", "name": "Gary Lowe", "role": "pcso"},
        {"user_id": None, "name": "Rita", "role": "councillor"},
    ]
    assert P.receivers_text(people).endswith(": Gary Lowe (PCSO)")
    assert P.receivers_text(people[:1]).startswith("No partner tablet receives")


def test_officer_names_come_from_the_directory() -> None:
    assert P.officer_names(["u3", "0190abcdef99"], STAFF) == [
        ("u3", "Nora Garyson"),
        ("0190abcdef99", "officer 0190abcd"),
    ]
