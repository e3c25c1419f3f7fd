"""The app's colours as plain hex values, and every text-on-background pair the screens draw.

Officers read the tablet outdoors, in sunlight: each pair here must reach WCAG AA for normal
text (a contrast ratio of at least 4.5:1), which ``tests/app/test_palette.py`` computes from
these values. The screens take their colours from here (``common``, ``form_kit``, the shell
and the Flet theme in ``app.py``), so a colour changed here is checked where it is used. Why
not Flet's named colours: an orange 800 "due soon" was 2.9:1 on the page and 2.4:1 on a grey
card. No Flet import, so the test needs no client.
"""

from __future__ import annotations

from typing import Final

# --- backgrounds -------------------------------------------------------------------------
PAGE: Final = "#FFFFFF"  # the page behind every screen
CARD: Final = "#EEF1F0"  # cards and computed-result panels
STATUS_BAR: Final = "#00564D"  # the bar on top with the status line
STATUS_CHIP: Final = "#2E746C"  # the status chip on that bar (drawn opaque)
# --- text ------------------------------------------------------------------------------------
TEXT: Final = "#191C1B"
MUTED: Final = "#48504D"  # secondary text: reasons, hints, timestamps
ON_DARK: Final = "#FFFFFF"  # text on the status bar and chip
OVERDUE: Final = "#A3140F"  # overdue clocks, alerts
SOON: Final = "#8A4500"  # due soon, warnings
OK: Final = "#1D6B2A"  # well within time
PRIMARY: Final = "#00695C"  # buttons' fill, links
ON_PRIMARY: Final = "#FFFFFF"
DANGER: Final = "#B3261E"  # destructive buttons' fill (white text)
# --- message banners: (background, text) -------------------------------------------------
BANNERS: Final = {
    "error": ("#FDECEA", "#8C1D18"),
    "info": ("#E8F1FB", "#0B3F86"),
    "ok": ("#E6F4EA", "#17521F"),
    "warn": ("#FFF6DB", "#4A2C00"),
}

# Every (text, background) the screens draw, named for the test's message.
PAIRS: Final[dict[str, tuple[str, str]]] = {
    **{f"{name} on page": (colour, PAGE) for name, colour in
       (("text", TEXT), ("muted", MUTED), ("overdue", OVERDUE), ("due soon", SOON),
        ("ok", OK), ("link", PRIMARY))},
    **{f"{name} on card": (colour, CARD) for name, colour in
       (("text", TEXT), ("muted", MUTED), ("overdue", OVERDUE), ("due soon", SOON),
        ("ok", OK))},
    "status on bar": (ON_DARK, STATUS_BAR),
    "status on chip": (ON_DARK, STATUS_CHIP),
    "button text": (ON_PRIMARY, PRIMARY),
    "danger button text": (ON_DARK, DANGER),
    **{f"{kind} banner": (fg, bg) for kind, (bg, fg) in BANNERS.items()},
}  # fmt: skip


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    raw = colour.removeprefix("#")
    if len(raw) != 6:
        raise ValueError(f"not a #RRGGBB colour: {colour}")
    r, g, b = (int(raw[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
