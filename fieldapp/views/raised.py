"""A finding raised from a walkabout observation: what the ASB and repair forms share.

Both forms open either a stored record (``id``), a new one prefilled from an observation
(``observation_id``) or a blank one, a new one under a stable ``draft`` id kept in the route
(reload, Back or a double tap never make a second record); after a new record is saved the observation is linked to
it (``raised_entity`` / ``raised_id``), and "Back" returns to where the officer came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import flet as ft

from fieldapp.ids import new_id
from fieldapp.state import AppState
from fieldapp.views.form_kit import Feedback, Unsaved, saved_message, show_errors, write
from fieldapp.views.logic_forms import FormResult, changed


class RaisedForm(Protocol):
    """What ``save_raised`` needs of a form (the ASB case and repair forms)."""

    state: AppState
    fields: dict[str, ft.Control]
    feedback: Feedback
    record: dict[str, Any] | None
    observation: dict[str, Any] | None
    draft: str  # the id a new record is created with (see ``draft_id``)
    unsaved: Unsaved  # the leave guard: told when the form was saved


def draft_id(state: AppState, params: Mapping[str, str]) -> str:
    """The id a new record of this form will be saved under: the route's ``draft``.

    The buttons that open a new form put a fresh one in the route (``form_kit.new_record``),
    so the address bar names the record before it exists: a reload, Back and Forward or a
    second tap on Save find it saved and open it, rather than making a second one. (Adding it
    here would push a second history entry, and Back would land on a form without one.)
    """
    return params.get("draft") or new_id()


def opened_from(
    state: AppState, entity: str, params: Mapping[str, str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the stored record, the observation it is raised from) named by the route's params.

    A ``draft`` already saved opens as the stored record; so does an observation that has
    already raised a record of this kind (opened again from the walkabout, or by Back).
    """
    record = state.get(entity, params["id"]) if params.get("id") else None
    if record is None and params.get("draft"):
        record = state.get(entity, params["draft"])
    observation = (
        state.get("observation", params["observation_id"]) if params.get("observation_id") else None
    )
    if record is None and observation is not None and observation.get("raised_entity") == entity:
        raised = observation.get("raised_id")
        record = state.get(entity, str(raised)) if raised else None
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


def save_raised(form: RaisedForm, entity: str, built: FormResult, *, what: str) -> bool | None:
    """Write the form's record (new, or only its changed fields) and tell the officer.

    True when saved (``form.record`` is then the stored record, and a new one is linked to
    the observation it was raised from); None when nothing had changed; False when not saved,
    with the problems shown on the fields and in the form's message.
    """
    leftover = show_errors(form.fields, built.errors)
    if not built.ok:
        form.feedback.error(["Please correct the fields marked in red.", *leftover])
        return False
    if form.record is None:  # a second tap, or another tab, may have saved this draft already
        form.record = form.state.get(entity, form.draft)
    patch = built.patch if form.record is None else changed(form.record, built.patch)
    if form.record is not None and not patch:
        form.feedback.ok("No changes to save.")
        return None
    record, errors = write(
        form.state,
        entity,
        patch if form.record is not None else {**patch, "id": form.draft},
        record_id=None if form.record is None else form.record["id"],
    )
    leftover = show_errors(form.fields, errors)
    if record is None:
        form.feedback.error(
            ["Not saved.", *leftover] if leftover else ["Not saved: see the fields."]
        )
        return False
    created = form.record is None
    form.record = record
    if created and form.observation is not None:
        link_observation(form.state, form.observation, entity, record["id"])
    form.unsaved.saved()
    form.feedback.ok(saved_message(form.state, what))
    form.state.toast(f"{what} saved")
    return True


def go_back(state: AppState, observation: Mapping[str, Any] | None, property_id: Any) -> None:
    """Back to the walkabout it was raised on, else the home, else My patch."""
    if observation is not None:
        state.go("/walkabout", id=str(observation.get("walkabout_id") or ""))
    elif property_id:
        state.go("/property", id=property_id)
    else:
        state.go("/patch")
