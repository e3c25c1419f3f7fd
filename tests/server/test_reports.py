"""Walkabout PDF and CSV exports: well-formed, complete, and free of personal data.

The PDF is read back by inflating its content streams and collecting the text-showing
operators (core fonts write text as plain PDF strings), so no PDF library is needed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from fieldapp.demo import generate_demo
from fieldapp.sync.protocol import ENTITIES
from server.reports import export_csv, safe_text, walkabout_pdf
from tests.support.pdf import pdf_streams as _streams
from tests.support.pdf import pdf_text as _text

GENERATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SECRET_NAME = "Philippa Plantedname"
SECRET_PHONE = "07700 900123"


def _well_formed(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.")
    assert pdf.rstrip().endswith(b"%%EOF")
    offset = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[offset:].startswith(b"xref")  # the cross-reference table is where it says


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


# --- inputs -------------------------------------------------------------------------------
@pytest.fixture
def walk() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The demo's failed walkabout (offensive graffiti), with personal data planted in it."""
    demo = generate_demo()
    walkabout = dict(next(w for w in demo.walkabouts if w["estate"] == "Hough Green"))
    walkabout["participants"] = [
        {**p, "phone": SECRET_PHONE} for p in walkabout["participants"]
    ]  # a participant entry with more than it should hold
    walkabout["complainant_name"] = SECRET_NAME  # a field the registry does not know
    observations = [
        {**o, "nearest_block": "Upton House", "action_due_at": None}
        for o in demo.observations
        if o["walkabout_id"] == walkabout["id"]
    ]
    observations[0]["raised_entity"] = "asb_case"
    observations[0]["raised_id"] = SECRET_NAME  # a restricted field
    return walkabout, observations


def _photos(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first = observations[0]["id"]
    return [
        {
            "id": "p1",
            "parent_entity": "observation",
            "parent_id": first,
            "sha256": "a" * 64,
            "caption": "Garage block, north side",
        },
        {
            "id": "p2",
            "parent_entity": "observation",
            "parent_id": first,
            "sha256": "b" * 64,
            "caption": "Close-up",
        },
        {
            "id": "p3",
            "parent_entity": "property",
            "parent_id": "x",
            "sha256": "c" * 64,
            "caption": f"Kitchen of {SECRET_NAME}",
        },  # not part of the walkabout
    ]


# --- the PDF ------------------------------------------------------------------------------
def test_pdf_is_well_formed_and_complete(walk: tuple[dict[str, Any], list[Any]]) -> None:
    walkabout, observations = walk
    pdf = walkabout_pdf(walkabout, observations, [], generated_at=GENERATED)
    _well_formed(pdf)
    text = _text(pdf)
    assert "Hough Green" in text
    assert "Sunday 15 November 2026, 13:00 to 14:30" in text  # London time
    for kind in ("Graffiti (offensive)", "Fire safety", "Door entry", "Fly-tipping", "Vandalism"):
        assert kind in text
    assert "Builders' rubble dumped behind the block again." in text
    assert "Upton House" in text  # the nearest block
    assert "Fail: offensive graffiti" in text and "54.2%" in text
    assert "Not met" in text  # fire safety
    assert "Daniel Okafor (Neighbourhood officer)" in text
    assert "Margaret Dennett (Councillor)" in text
    for item, grade in (("Graffiti", "Very poor"), ("Signage", "Good"), ("Door entry", "Poor")):
        assert item in text and grade in text
    # Offensive graffiti: 24 hours from 13:10 on Sunday 15 November (London = UTC in Nov).
    assert "Monday 16 Nov 2026 13:10" in text


def test_pdf_has_no_personal_data(walk: tuple[dict[str, Any], list[Any]]) -> None:
    walkabout, observations = walk
    thumbs = {"a" * 64: _jpeg((64, 48), (200, 40, 40)), "c" * 64: _jpeg((64, 48), (9, 9, 9))}
    pdf = walkabout_pdf(
        walkabout, observations, _photos(observations), thumbs=thumbs, generated_at=GENERATED
    )
    everything = pdf + b"".join(_streams(pdf))
    for secret in (SECRET_NAME, SECRET_PHONE, "Plantedname"):
        assert secret.encode() not in everything
    participant_ids = [p["user_id"] for p in walkabout["participants"] if p["user_id"]]
    for user_id in participant_ids + [o["logged_by"] for o in observations]:
        assert user_id.encode() not in everything  # ids of people are not printed either
    assert "Kitchen of" not in _text(pdf)  # a photo of a home is not a walkabout photo


def test_pdf_places_thumbnails_and_survives_a_broken_one(
    walk: tuple[dict[str, Any], list[Any]],
) -> None:
    walkabout, observations = walk
    thumbs = {"a" * 64: _jpeg((256, 192), (200, 40, 40)), "b" * 64: b"not an image at all"}
    pdf = walkabout_pdf(
        walkabout, observations, _photos(observations), thumbs=thumbs, generated_at=GENERATED
    )
    _well_formed(pdf)
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) == 1
    text = _text(pdf)
    assert "Garage block, north side" in text and "Close-up" in text
    assert "(photo could not be shown)" in text
    without = walkabout_pdf(walkabout, observations, [], generated_at=GENERATED)
    assert not re.search(rb"/Subtype\s*/Image", without)


def test_pdf_is_deterministic(walk: tuple[dict[str, Any], list[Any]]) -> None:
    walkabout, observations = walk
    thumbs = {"a" * 64: _jpeg((64, 48), (1, 2, 3))}
    photos = _photos(observations)
    one = walkabout_pdf(walkabout, observations, photos, thumbs=thumbs, generated_at=GENERATED)
    two = walkabout_pdf(walkabout, observations, photos, thumbs=thumbs, generated_at=GENERATED)
    assert one == two


def test_pdf_with_odd_text_and_few_fields() -> None:
    walkabout = {
        "id": "w1",
        "estate": "Łódź Gardens \u2013 “north” 🙂",
        "started_at": "2026-06-10T09:00:00Z",
        "grades": {"litter": "good", "graffiti": "bogus"},
        "summary": "Rubbish\u00a0everywhere\u2026 \u4e2d\u6587\x07",
    }
    observations = [
        {
            "id": "o1",
            "walkabout_id": "w1",
            "kind": "litter",
            "logged_at": "2026-06-10T09:05:00Z",
            "description": "Crisp packets \U0001f4a9 by the café",
        },
        {
            "id": "o2",
            "walkabout_id": "other",
            "kind": "vandalism",
            "logged_at": "2026-06-10T09:06:00Z",
            "description": "Not this walkabout",
        },
    ]
    pdf = walkabout_pdf(walkabout, observations, [], generated_at=GENERATED)
    _well_formed(pdf)
    text = _text(pdf)
    assert 'L\u00f3dz Gardens - "north" ?' in text  # ó is Latin-1, ź is not
    assert "by the caf\u00e9" in text  # Latin-1 survives as is
    assert "(not finished)" in text and "10:00" in text  # BST: 09:00Z is 10:00 in London
    assert "not graded" in text  # graffiti's junk grade and every missing item
    assert "Pass: score 100%" in text  # only litter is graded, and it is good
    assert "Not recorded" in text  # fire safety
    assert "Not this walkabout" not in text


def test_pdf_of_an_empty_walkabout() -> None:
    pdf = walkabout_pdf({"id": "w"}, [], [], generated_at=GENERATED)
    _well_formed(pdf)
    text = _text(pdf)
    assert "Estate not recorded" in text and "Not graded yet" in text
    assert "No observations were logged." in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("caf\u00e9 \u00a35", "caf\u00e9 \u00a35"),  # Latin-1 kept
        ("\u2018a\u2019 \u201cb\u201d", "'a' \"b\""),
        ("9\u201310 \u2014 x\u2026", "9-10 - x..."),
        ("Łukasz Żak", "Lukasz Zak"),  # accents outside Latin-1 dropped
        ("\u4e2d", "?"),
        ("😀", "?"),
        ("a\x00b\tc\nd", "a b c\nd"),
        (None, ""),
        (12.5, "12.5"),
    ],
)
def test_safe_text(raw: Any, shown: str) -> None:
    assert safe_text(raw) == shown
    safe_text(raw).encode("latin-1")  # never raises


# --- CSV ----------------------------------------------------------------------------------
def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_round_trips_every_demo_entity() -> None:
    demo = generate_demo()
    for entity, records in demo.by_entity().items():
        rows = _read(export_csv(entity, records))
        assert rows[0] == list(ENTITIES[entity].names)
        assert len(rows) == len(records) + 1
        for row, record in zip(rows[1:], records, strict=True):
            cells = dict(zip(rows[0], row, strict=True))
            assert cells["id"] == record["id"]
            for field in ENTITIES[entity].fields:
                value = record.get(field.name)
                if isinstance(value, (list, dict)):
                    assert json.loads(cells[field.name]) == value
                elif value is None:
                    assert cells[field.name] == ""
                elif isinstance(value, bool):
                    assert cells[field.name] == str(value).lower()
                elif isinstance(value, (int, float)):
                    assert float(cells[field.name]) == value
                elif not value.startswith(("=", "+", "-", "@")):
                    assert cells[field.name] == value


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 1928 000000", "'+44 1928 000000"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ('Flat 1, "The Mews"\nRuncorn', 'Flat 1, "The Mews"\nRuncorn'),
        ("", ""),
    ],
)
def test_csv_cells_are_formula_safe(value: str, cell: str) -> None:
    record = {"id": "n1", "parent_entity": "walkabout", "parent_id": "w1", "text": value}
    rows = _read(export_csv("note", [record]))
    assert dict(zip(rows[0], rows[1], strict=True))["text"] == cell


def test_csv_numbers_and_structures() -> None:
    record = {
        "id": "w1",
        "estate": "=cmd",
        "lat": -2.5,
        "participants": [{"name": "-x", "role": "pcso"}],
        "grades": {"litter": "good"},
        "fire_safety_met": False,
        "score_pct": 62.5,
    }
    rows = _read(export_csv("walkabout", [record]))
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["estate"] == "'=cmd"
    assert json.loads(cells["participants"]) == [{"name": "-x", "role": "pcso"}]
    assert json.loads(cells["grades"]) == {"litter": "good"}
    assert cells["fire_safety_met"] == "false" and cells["score_pct"] == "62.5"
    assert cells["ended_at"] == ""
    rows = _read(export_csv("asb_case", [{"id": "c", "lat": -2.7, "lon": -2.71}]))
    assert dict(zip(rows[0], rows[1], strict=True))["lon"] == "-2.71"  # a number, not a formula


def test_csv_for_a_partner_leaves_restricted_columns_out() -> None:
    case = {"id": "c1", "category": "noise", "description": SECRET_NAME, "over_75": True}
    staff = _read(export_csv("asb_case", [case]))
    partner = _read(export_csv("asb_case", [case], role="councillor"))
    assert "description" in staff[0] and SECRET_NAME in staff[1]
    assert "description" not in partner[0] and "over_75" not in partner[0]
    assert SECRET_NAME not in "".join(partner[1]) and "noise" in partner[1]
    assert set(partner[0]) == set(ENTITIES["asb_case"].names) - set(ENTITIES["asb_case"].restricted)


def test_csv_of_no_records_is_a_header_and_unknown_entity_is_an_error() -> None:
    assert _read(export_csv("repair", [])) == [list(ENTITIES["repair"].names)]
    with pytest.raises(ValueError, match="unknown entity"):
        export_csv("tenant", [])
