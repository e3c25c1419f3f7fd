"""Readable in the sun: every text and status colour pair reaches WCAG AA (4.5:1), computed
from the palette the screens draw with, and the screens do draw with it."""

from __future__ import annotations

import flet as ft
import pytest

from fieldapp.views import common, form_kit, palette
from fieldapp.views.palette import PAIRS, contrast


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_pair_reaches_4_5_to_1(name: str) -> None:
    text, background = PAIRS[name]
    assert contrast(text, background) >= 4.5, f"{name}: {contrast(text, background):.2f}:1"


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [("#FFFFFF", "#000000", 21.0), ("#767676", "#FFFFFF", 4.54), ("#EF6C00", "#FFFFFF", 3.08)],
)
def test_contrast_matches_wcag(a: str, b: str, ratio: float) -> None:
    """The formula, checked against known values (#767676 is the lightest AA grey on white;
    the old orange 800 "due soon" fails even on white)."""
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)


def test_every_text_colour_is_checked_on_every_background_it_meets() -> None:
    on_page = {t for (t, bg) in PAIRS.values() if bg == palette.PAGE}
    on_card = {t for (t, bg) in PAIRS.values() if bg == palette.CARD}
    status = {palette.OVERDUE, palette.SOON, palette.OK, palette.MUTED, palette.TEXT}
    assert status <= on_page and status <= on_card  # lists on the page, results on cards


def test_the_screens_draw_with_the_palette() -> None:
    assert (common.OVERDUE, common.SOON, common.OK, common.MUTED) == (
        palette.OVERDUE,
        palette.SOON,
        palette.OK,
        palette.MUTED,
    )
    assert set(form_kit.TONE_COLOURS.values()) - {None} == {
        palette.OK,
        palette.SOON,
        palette.OVERDUE,
    }
    assert form_kit.Results("Triage", prefix="t").control.bgcolor == palette.CARD
    card = common.card([ft.Text("x")])
    assert isinstance(card, ft.Card) and card.bgcolor == palette.CARD
    for kind, (bg, fg) in palette.BANNERS.items():
        box = common.banner("Saved", kind=kind)
        texts = [c for c in form_kit.walk(box) if isinstance(c, ft.Text)]
        assert getattr(box, "bgcolor", None) == bg or any(
            getattr(c, "bgcolor", None) == bg for c in form_kit.walk(box)
        )
        assert texts and all(t.color == fg for t in texts)


def test_dropdowns_are_tall_enough_to_tap() -> None:
    """48 px or more: 17 px text (about 24 px a line) and 16 px above and below."""
    dd = form_kit.dropdown("Litter", [("good", "Good")])
    assert isinstance(dd.content_padding, ft.Padding)
    assert dd.content_padding.top + dd.content_padding.bottom + 24 >= 48
    assert common.TOUCH >= 48
