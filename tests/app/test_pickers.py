"""Date and time pickers beside the forms' UK date fields, over a real AppState and device store.

No browser: each form is built, its picker button clicked, and the dialog it asked to show
answered as Flutter would (the picker's ``value`` set, its ``on_change`` fired). The field must
then read as if typed (``DD/MM/YYYY`` or ``DD/MM/YYYY HH:MM``, London), the form must see the
change, and a save must store the time the officer picked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import flet as ft
import pytest

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.views import asb, atv, ct_review, pickers, repair
from fieldapp.views.logic_forms import DATE_HINT, TIME_HINT, local_today, picked_day
from tests.app import ui
from tests.app.conftest import NOW, seed
from tests.app.test_ct_review_view import DATA, OFFICER, _case
from tests.app.test_workflows_views import _seed, pick

TODAY = local_today(NOW)  # the tablet's day in the tests (10 June 2026)
# The ASB, repair and visit forms' dates and times (the CT record's are checked on their own).
DATED = {
    "Incident time",
    "Report time",
    "Further report incident time",
    "Further report time",
    "Reported at",
    "Investigation concluded at",
    "Visit time",
    "Date of birth",
    "Moved in on",
}


def _picker(root: Any, label: str) -> pickers.Pick:
    found = pickers.of(ui.field(root, label))
    assert found is not None, f"no picker beside {label!r}"
    found.today = lambda: TODAY  # the tablet's clock of the tests, not the machine's
    return found


def _answer(pick: pickers.Pick, value: Any) -> ft.DatePicker | ft.TimePicker:
    """Answer the dialog the button opened, as the officer pressing OK would."""
    dialog = pick.showing
    assert dialog is not None, "no dialog opened"
    dialog.value = value
    ui.fire(dialog.on_change, ui.Event(dialog))
    return dialog


def _all_forms(device: Device, state: AppState) -> list[Any]:
    _seed(device)
    case_form = asb.view(state, property_id="h2")
    pick(case_form, "Category", "other")
    ui.click(ui.by_id(case_form, "asb-save"))  # a saved case shows its further-report fields
    return [
        case_form,
        repair.view(state, property_id="h1"),
        atv.view(state, property_id="h1"),
    ]


def test_every_date_field_has_a_picker_button_named_for_it(device: Device, state: AppState) -> None:
    roots = _all_forms(device, state)
    fields = [f for root in roots for f in ui.of_type(root, ft.TextField)]
    dated = {str(f.label): f for f in fields if f.hint_text in (DATE_HINT, TIME_HINT)}
    assert set(dated) == DATED
    for label, box in dated.items():
        found = pickers.of(box)
        assert found is not None, label
        what = "date and time" if box.hint_text == TIME_HINT else "date"
        said = f"Pick {what} for {label}"
        assert found.button.tooltip == found.icon.semantics_label == said
        constraints = found.button.size_constraints
        assert constraints is not None and constraints.min_width >= 48
        assert constraints.min_height >= 48
        assert found.past_only, f"{label} may not be in the future"
    plain = [f for f in fields if f.hint_text not in (DATE_HINT, TIME_HINT)]
    assert plain and all(pickers.of(f) is None for f in plain)  # Description, Name, ...


def test_a_picked_date_fills_the_field_as_typed(device: Device, state: AppState) -> None:
    _seed(device)
    root = atv.view(state, property_id="h1")
    dob = _picker(root, "Date of birth")
    ui.click(dob.button)
    opened = dob.showing
    assert isinstance(opened, ft.DatePicker)
    assert (opened.value, opened.last_date) == (TODAY, TODAY)  # a birth is never ahead
    # Flutter picks local midnight; Flet sends it as UTC: 9 June 2014 at UTC+1 is 8 June 23:00Z.
    _answer(dob, datetime(2014, 6, 8, 23, 0, tzinfo=UTC))
    assert ui.field(root, "Date of birth").value == "09/06/2014"
    assert root.data.unsaved()  # the leave guard sees it, as it would a typed date

    # Opened again, it starts on the day in the field; a typed day past today is not offered.
    ui.click(dob.button)
    assert isinstance(dob.showing, ft.DatePicker) and dob.showing.value == date(2014, 6, 9)
    ui.type_into(ui.field(root, "Date of birth"), "01/01/2099")
    ui.click(dob.button)
    assert isinstance(dob.showing, ft.DatePicker) and dob.showing.value == TODAY
    ui.field(root, "Date of birth").value = "still typable"
    assert ui.field(root, "Date of birth").value == "still typable"


def test_a_date_time_field_asks_the_date_then_the_time_and_saves_it(
    device: Device, state: AppState
) -> None:
    _seed(device)
    root = asb.view(state, property_id="h1")
    pick(root, "Category", "noise")
    pick(root, "Complainant", "m1")  # vulnerable: a response clock from the report time
    ui.type_into(ui.field(root, "Description"), "Shouting and banging at night")
    due_before = root.data.results.value("Response due")
    received = _picker(root, "Report time")
    ui.click(received.button)
    first = received.showing
    assert isinstance(first, ft.DatePicker) and first.last_date == TODAY
    _answer(received, datetime(2026, 6, 7, 23, 0, tzinfo=UTC))  # 8 June, London
    then = received.showing
    assert isinstance(then, ft.TimePicker), "the time is asked after the date"
    assert then.hour_format == ft.TimePickerHourFormat.H24
    assert ui.field(root, "Report time").value != "08/06/2026 08:30"  # nothing until the time
    _answer(received, time(8, 30))
    assert ui.field(root, "Report time").value == "08/06/2026 08:30"
    # The triage ran, as on typing: on 8 June the complainant (75 on the 10th) was 74.
    assert root.data.results.value("Response due") == "No response clock" != due_before

    ui.click(ui.by_id(root, "asb-save"))
    [case] = state.all("asb_case")
    assert case["received_at"] == "2026-06-08T07:30:00Z"  # London summer time, stored as UTC


def test_a_time_picker_closed_without_a_time_changes_nothing(
    device: Device, state: AppState
) -> None:
    _seed(device)
    root = repair.view(state, property_id="h1")
    box = ui.field(root, "Reported at")
    before = box.value
    reported = _picker(root, "Reported at")
    ui.click(reported.button)
    _answer(reported, datetime(2026, 6, 1, 23, 0, tzinfo=UTC))
    _answer(reported, None)  # the time dialog dismissed
    assert box.value == before


def test_a_plan_due_date_may_be_in_the_future(device: Device, state: AppState) -> None:
    seed(device, DATA, user=OFFICER)
    case = _case(state, reports=2)
    screen = ct_review.view(state, case_id=case["id"])
    ui.click(ui.by_id(screen, "ct-add-recommendation"))
    due = _picker(screen, "Due date 1")
    said = "Pick date for Due date 1"  # renumbered with its row
    assert due.button.tooltip == due.icon.semantics_label == said
    ui.click(due.button)
    assert isinstance(due.showing, ft.DatePicker) and due.showing.last_date == pickers.LAST_DAY
    _answer(due, date(2026, 9, 30))
    assert ui.field(screen, "Due date 1").value == "30/09/2026"
    decided = _picker(screen, "Decided on")
    assert decided.past_only


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (datetime(2026, 6, 9, 23, 0, tzinfo=UTC), date(2026, 6, 10)),  # picked at UTC+1
        (datetime(2026, 1, 10, 0, 0, tzinfo=UTC), date(2026, 1, 10)),  # picked at UTC
        (datetime(2026, 6, 10, 5, 0, tzinfo=UTC), date(2026, 6, 10)),  # picked at UTC-5
        (datetime(2026, 6, 10, 0, 0, tzinfo=timezone(timedelta(hours=2))), date(2026, 6, 10)),
        (datetime(2026, 6, 10, 0, 0), date(2026, 6, 10)),  # naive: as given
        (date(2026, 6, 10), date(2026, 6, 10)),
        (None, None),
        ("2026-06-10", None),  # never guessed from text
    ],
)
def test_picked_day_is_the_day_the_officer_tapped(value: Any, day: date | None) -> None:
    assert picked_day(value) == day
