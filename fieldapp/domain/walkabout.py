"""Estate walkabout: the score, pass or fail, and the actions observations raise.

Source: ``docs/domain-rules.md`` (Estate walkabout) and ``docs/sync-protocol.md`` (``walkabout.grades``).
Numbers from ``Policy``:

- Items graded good / satisfactory / poor / very poor = 3 / 2 / 1 / 0 (``grade_points``).
  Score = 100 x sum / maximum over the graded items; an ungraded item (absent, None or an
  unknown grade) counts in neither. No graded item: no score.
- Result: ``fail`` whenever an observation of the walkabout is graffiti flagged offensive,
  whatever the score; otherwise ``pass`` at or above ``pass_mark_pct`` (50%), ``fail`` below.
  No score and no offensive graffiti: no result.
- Fire safety in communal areas Not met raises an action (untimed unless the policy sets
  ``fire_safety_action_target``).
- An observation raises a timed action per ``observation_targets``: offensive graffiti
  24 hours, fly-tipping 5 working days from ``logged_at``; other kinds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fieldapp.domain.calendar import due_after
from fieldapp.domain.policy import Deadline, Policy
from fieldapp.domain.wire import parse_time


@dataclass(frozen=True)
class WalkaboutResult:
    """Score (0-100, None with nothing graded), result (pass / fail / None) and why."""

    score_pct: float | None
    result: str | None
    reason: str


def score_pct(grades: Mapping[str, Any] | None, *, policy: Policy) -> float | None:
    """100 x sum / maximum over graded items, or None when nothing is graded."""
    if not grades:
        return None
    points = [
        policy.grade_points[value]
        for item, value in grades.items()
        if item in policy.graded_items and isinstance(value, str) and value in policy.grade_points
    ]
    if not points:
        return None
    top = max(policy.grade_points.values())
    if top <= 0:
        return None
    return 100.0 * sum(points) / (top * len(points))


def is_offensive_graffiti(observation: Mapping[str, Any]) -> bool:
    """A graffiti observation flagged offensive."""
    return observation.get("kind") == "graffiti" and observation.get("offensive") is True


def walkabout_result(
    grades: Mapping[str, Any] | None,
    observations: Iterable[Mapping[str, Any]] = (),
    *,
    policy: Policy,
) -> WalkaboutResult:
    """Score and result of one walkabout from its grades and its observations."""
    score = score_pct(grades, policy=policy)
    offensive = sum(1 for o in observations if is_offensive_graffiti(o))
    if offensive and policy.fail_on_offensive_graffiti:
        shown = "no score" if score is None else f"score {score:.0f}%"
        return WalkaboutResult(score, "fail", f"Fail: offensive graffiti ({shown})")
    if score is None:
        return WalkaboutResult(None, None, "Not graded yet")
    if score >= policy.pass_mark_pct:
        return WalkaboutResult(
            score, "pass", f"Pass: score {score:.0f}% (pass mark {policy.pass_mark_pct:g}%)"
        )
    return WalkaboutResult(
        score, "fail", f"Fail: score {score:.0f}% below the pass mark {policy.pass_mark_pct:g}%"
    )


@dataclass(frozen=True)
class Action:
    """A follow-up raised by a walkabout: what, and by when (None: no set time)."""

    kind: str
    due_at: datetime | None
    reason: str
    observation_id: str | None = None  # the observation that raised it (None: fire safety)


def observation_target(
    kind: str | None, offensive: bool, *, policy: Policy
) -> tuple[str, Deadline] | None:
    """The policy key and deadline of the action an observation raises, or None."""
    if kind is None:
        return None
    if offensive:
        key = f"{kind}:offensive"
        if key in policy.observation_targets:
            return key, policy.observation_targets[key]
    if kind in policy.observation_targets:
        return kind, policy.observation_targets[kind]
    return None


def observation_action(
    kind: str | None, offensive: bool, logged_at: datetime | None, *, policy: Policy
) -> Action | None:
    """The timed action an observation raises (offensive graffiti, fly-tipping), or None."""
    found = observation_target(kind, offensive, policy=policy)
    if found is None or logged_at is None:
        return None
    key, deadline = found
    words = key.replace(":offensive", " (offensive)").replace("_", " ")
    return Action(
        key,
        due_after(logged_at, deadline, policy),
        f"{words.capitalize()}: action within {deadline.describe()}",
    )


def walkabout_actions(
    *,
    fire_safety_met: bool | None,
    started_at: datetime | None,
    observations: Iterable[Mapping[str, Any]] = (),
    policy: Policy,
) -> list[Action]:
    """Every action a walkabout raises: fire safety Not met, then each timed observation."""
    actions: list[Action] = []
    if fire_safety_met is False:
        target = policy.fire_safety_action_target
        due = (
            None if target is None or started_at is None else due_after(started_at, target, policy)
        )
        actions.append(Action("fire_safety", due, "Fire safety in communal areas not met"))
    for o in observations:
        kind = o.get("kind")
        action = observation_action(
            kind if isinstance(kind, str) else None,
            o.get("offensive") is True,
            parse_time(o.get("logged_at")),
            policy=policy,
        )
        if action is not None:
            oid = o.get("id")
            actions.append(replace(action, observation_id=oid if isinstance(oid, str) else None))
    return actions
