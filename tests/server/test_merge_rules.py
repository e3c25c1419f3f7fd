"""The three-way merge as a table: which side wins for each policy, base and history."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.sync.protocol import ENTITIES, Field
from server.services.merge import merge_patch, merge_value
from server.services.records import RevisionRow

REPAIR = ENTITIES["repair"].by_name
CASE = ENTITIES["asb_case"].by_name
VISIT = ENTITIES["tenancy_visit"].by_name
LWW = Field("x", "str", merge="lww")


@pytest.mark.parametrize(
    ("spec", "current", "proposed", "resolved", "value"),
    [
        (REPAIR["priority"], "routine", "emergency", True, "emergency"),
        (REPAIR["priority"], "emergency", "planned", True, "emergency"),
        (REPAIR["priority"], "urgent", "urgent", True, "urgent"),
        (REPAIR["awaab"], "significant", "emergency", True, "emergency"),
        (REPAIR["priority"], None, "urgent", False, None),  # nothing to compare: review
        (
            VISIT["referrals"],
            ["money_advice"],
            ["safeguarding", "money_advice"],
            True,
            ["money_advice", "safeguarding"],
        ),
        (VISIT["referrals"], None, ["safeguarding"], False, None),
        (CASE["status"], "open", "closed", False, "open"),  # review: the server value stays
        (LWW, "a", "b", True, "b"),
    ],
)
def test_merge_value(spec: Field, current: Any, proposed: Any, resolved: bool, value: Any) -> None:
    assert merge_value(spec, current, proposed) == (resolved, value)


def rev(version: int, device: str | None, **changes: tuple[Any, Any]) -> RevisionRow:
    return RevisionRow(version, device, {k: list(v) for k, v in changes.items()})


@pytest.mark.parametrize(
    ("history", "patch", "apply", "conflicts", "concurrent"),
    [
        # Nothing happened since the base: applied as sent.
        ([], {"status": "closed"}, {"status": "closed"}, {}, False),
        # Another device changed another field: both survive.
        (
            [rev(2, "b", harm_type=(None, "personal"))],
            {"status": "closed"},
            {"status": "closed"},
            {},
            True,
        ),
        # Another device changed the same field to another value: review.
        (
            [rev(2, "b", status=("open", "monitoring"))],
            {"status": "closed"},
            {},
            {"status": ("open", "monitoring", "closed")},
            True,
        ),
        # ... to the same value: no conflict.
        (
            [rev(2, "b", status=("open", "closed"))],
            {"status": "closed"},
            {"status": "closed"},
            {},
            True,
        ),
        # This device's own earlier edit never conflicts with its next one.
        (
            [rev(2, "a", status=("open", "monitoring"))],
            {"status": "closed"},
            {"status": "closed"},
            {},
            False,
        ),
        # Changed elsewhere and changed back: the server side is at the base again.
        (
            [rev(2, "b", status=("open", "closed")), rev(3, "b", status=("closed", "open"))],
            {"status": "monitoring"},
            {"status": "monitoring"},
            {},
            True,
        ),
        # The base value is the one before the first change elsewhere.
        (
            [
                rev(2, "b", status=("open", "action_plan")),
                rev(3, "c", status=("action_plan", "monitoring")),
            ],
            {"status": "closed"},
            {},
            {"status": ("open", "monitoring", "closed")},
            True,
        ),
        # A creation elsewhere (base 0): every field it set counts as changed.
        (
            [rev(1, "b", status=(None, None))],
            {"status": "closed"},
            {},
            {"status": (None, "monitoring", "closed")},
            True,
        ),
    ],
)
def test_merge_patch(
    history: list[RevisionRow],
    patch: dict[str, Any],
    apply: dict[str, Any],
    conflicts: dict[str, tuple[Any, Any, Any]],
    concurrent: bool,
) -> None:
    current = {"status": "open", "harm_type": None}
    for r in history:
        for name, (_old, new) in r.changes.items():
            current[name] = new
    if history and history[0].version == 1:
        current["status"] = "monitoring"  # what the other device created it with
    merged = merge_patch(CASE, current, patch, history, "a")
    assert merged.apply == apply
    assert merged.conflicts == conflicts
    assert merged.concurrent is concurrent
