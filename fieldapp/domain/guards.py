"""Guards: records the rules refuse whatever their fields' types say.

The wire schema (``fieldapp.sync.protocol``) checks shapes: a time is a time. These guards
check sense, the same way on the tablet (against the tablet's clock, before anything is
stored) and on the server (against the server's clock, on every push):

- a report or repair time more than ``policy.future_tolerance_minutes`` ahead of the
  receiving clock is refused (code ``future_time``): a typed 2027 would move a legal clock;
- a further ASB report needs a description and an incident time: a blank one is not a
  complaint, yet it would be counted towards the threshold and the Community Trigger;
- a repair finding written with neither a hazard nor a description says nothing is wrong,
  yet it would take a reference and a repair clock.

Pure: the record's patch, the policy and ``now`` in; field errors out (never raised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import parse_time

FUTURE_TIME: Final = "future_time"


@dataclass(frozen=True)
class Refusal:
    """One field the rules refuse: ``code`` is a wire error code (the protocol's ``FieldError``
    has the same three parts; the domain sits below the protocol and cannot name it)."""

    field: str
    code: str
    message: str


# The times that start a clock (or say a deadline was met) and so may not lie ahead.
GUARDED_TIMES: Final[Mapping[str, tuple[str, ...]]] = {
    "asb_case": ("received_at", "incident_at"),
    "asb_report": ("reported_at", "incident_at"),
    "repair": ("reported_at", "investigation_concluded_at"),
    "tenancy_visit": ("visited_at",),
}
# Text that must say something (not only spaces) when the record is written.
NON_BLANK: Final[Mapping[str, tuple[str, ...]]] = {"asb_report": ("description",)}
# Fields of which a record written with all of them must have at least one: a repair finding
# says what is wrong (a hazard, or words), or it would take a reference and a clock for nothing.
ONE_OF: Final[Mapping[str, tuple[str, ...]]] = {"repair": ("hazard", "description")}


def refusals(
    entity: str, patch: Mapping[str, Any], *, policy: Policy, now: datetime
) -> list[Refusal]:
    """What the rules refuse in ``patch`` (fields as written) for ``entity``, in field order.

    Only fields present in the patch are judged, so an edit of another field of an old
    record is never refused for what it already held. Unreadable times are left to the
    schema's own check.
    """
    errors: list[Refusal] = []
    latest = now + timedelta(minutes=policy.future_tolerance_minutes)
    for name in GUARDED_TIMES.get(entity, ()):
        moment = parse_time(patch.get(name))
        if moment is not None and moment > latest:
            errors.append(
                Refusal(
                    name,
                    FUTURE_TIME,
                    f"{name} is in the future: more than {policy.future_tolerance_minutes} "
                    "minutes ahead of the receiving clock",
                )
            )
    for name in NON_BLANK.get(entity, ()):
        value = patch.get(name)
        if name in patch and isinstance(value, str) and not value.strip():
            errors.append(Refusal(name, "validation_failed", f"{name} is required"))
    names = ONE_OF.get(entity, ())
    if names and all(n in patch and _blank(patch[n]) for n in names):
        errors.append(Refusal(names[-1], "validation_failed", f"{' or '.join(names)} is required"))
    return errors


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
