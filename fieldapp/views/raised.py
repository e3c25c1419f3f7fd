"""A finding raised from a walkabout observation: what the ASB and repair forms share.

Both forms open either a stored record (``id``), a new one prefilled from an observation
(``observation_id``) or a blank one; after a new record is saved the observation is linked to
it (``raised_entity`` / ``raised_id``), and "Back" returns to where the officer came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldapp.state import AppState
from fieldapp.views.form_kit import write


def opened_from(
    state: AppState, entity: str, params: Mapping[str, str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the stored record, the observation it is raised from) named by the route's params."""
    record = state.get(entity, params["id"]) if params.get("id") else None
    observation = (
        state.get("observation", params["observation_id"])
        if params.get("observation_id") and record is None
        else None
    )
    return record, observation


def link_observation(
    state: AppState, observation: Mapping[str, Any], entity: str, record_id: str
) -> None:
    """Mark the observation as having raised ``entity`` ``record_id``; say so if it cannot."""
    _, errors = write(
        state,
        "observation",
        {"raised_entity": entity, "raised_id": record_id},
        record_id=str(observation["id"]),
    )
    if errors:
        state.toast("Saved, but the observation could not be linked to it")


def go_back(state: AppState, observation: Mapping[str, Any] | None, property_id: Any) -> None:
    """Back to the walkabout it was raised on, else the home, else My patch."""
    if observation is not None:
        state.go("/walkabout", id=str(observation.get("walkabout_id") or ""))
    elif property_id:
        state.go("/property", id=property_id)
    else:
        state.go("/patch")
