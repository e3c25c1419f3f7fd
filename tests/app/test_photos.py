"""Capture-time photo processing: orientation, stripping, sizes, EXIF time/place, rejections."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw

from fieldapp.photos import (
    ImageTooLarge,
    NotAnImage,
    PhotoError,
    UnsupportedImageType,
    exif_time,
    inspect_image,
    process_photo,
)

RED = (255, 0, 0)


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return (float(d), float(m), round((value - d - m / 60) * 3600, 4))


def make_image(
    size: tuple[int, int] = (400, 300),
    *,
    fmt: str = "JPEG",
    mode: str = "RGB",
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: str | None = None,
    offset: str | None = None,
    **save: object,
) -> bytes:
    """A grey image with a red block in its stored top-left corner, and the EXIF asked for."""
    img = Image.new(mode, size, "grey")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, size[0] // 4, size[1] // 4), fill="red")
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if taken is not None:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken
        if offset is not None:
            sub[0x9011] = offset
    if gps is not None:
        g = exif.get_ifd(0x8825)
        g[1], g[2] = ("N" if gps[0] >= 0 else "S"), _dms(abs(gps[0]))
        g[3], g[4] = ("E" if gps[1] >= 0 else "W"), _dms(abs(gps[1]))
    out = io.BytesIO()
    img.save(out, fmt, exif=exif, **save)
    return out.getvalue()


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- orientation -------------------------------------------------------------------------
# (EXIF orientation, output size of a stored 400x300 image, where the stored top-left corner
# ends up when displayed). Orientation 6 is how a phone held upright stores a portrait.
@pytest.mark.parametrize(
    ("orientation", "size", "corner"),
    [
        (None, (400, 300), "top_left"),
        (1, (400, 300), "top_left"),
        (2, (400, 300), "top_right"),
        (3, (400, 300), "bottom_right"),
        (4, (400, 300), "bottom_left"),
        (5, (300, 400), "top_left"),
        (6, (300, 400), "top_right"),
        (7, (300, 400), "bottom_right"),
        (8, (300, 400), "bottom_left"),
    ],
)
def test_exif_orientation_is_applied(
    orientation: int | None, size: tuple[int, int], corner: str
) -> None:
    result = process_photo(make_image(orientation=orientation))
    out = _decode(result.jpeg)
    assert out.size == size == (result.width, result.height)
    w, h = out.size
    points = {
        "top_left": (5, 5),
        "top_right": (w - 6, 5),
        "bottom_left": (5, h - 6),
        "bottom_right": (w - 6, h - 6),
    }
    for name, point in points.items():
        pixel = out.getpixel(point)
        assert isinstance(pixel, tuple)
        is_red = pixel[0] > 200 and pixel[1] < 60
        assert is_red == (name == corner), (name, pixel)
    assert 0x0112 not in out.getexif()  # no second rotation by a viewer


def test_portrait_from_a_phone_comes_out_portrait_at_1600() -> None:
    result = process_photo(make_image((4000, 3000), orientation=6))
    assert (result.width, result.height) == (1200, 1600)
    assert _decode(result.jpeg).size == (1200, 1600)


# --- what leaves the device --------------------------------------------------------------
def test_gps_and_every_metadata_block_are_out_of_the_file_but_returned() -> None:
    data = make_image(
        gps=(53.3489, -2.7335),
        taken="2026:06:10 14:03:27",
        offset="+01:00",
        comment=b"officer's phone",
        xmp=b"<x:xmpmeta><exif:GPSLatitude>53,20.9N</exif:GPSLatitude></x:xmpmeta>",
    )
    result = process_photo(data)
    assert result.lat == pytest.approx(53.3489, abs=1e-5)
    assert result.lon == pytest.approx(-2.7335, abs=1e-5)
    out = _decode(result.jpeg)
    assert len(out.getexif()) == 0
    assert "comment" not in out.info and "xmp" not in out.info
    for marker in (b"Exif\x00\x00", b"officer's phone", b"GPSLatitude", b"xmpmeta"):
        assert marker not in result.jpeg
        assert marker not in result.thumb


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        ((51.5007, -0.1246), (51.5007, -0.1246)),  # W is negative
        ((-33.8568, 151.2153), (-33.8568, 151.2153)),  # S is negative
        ((0.0, 0.0), (None, None)),  # "no fix" written as zeros
        (None, (None, None)),
    ],
)
def test_gps_table(
    gps: tuple[float, float] | None, expected: tuple[float | None, float | None]
) -> None:
    result = process_photo(make_image(gps=gps))
    if expected[0] is None:
        assert (result.lat, result.lon) == expected
    else:
        assert result.lat == pytest.approx(expected[0], abs=1e-5)
        assert result.lon == pytest.approx(expected[1], abs=1e-5)


@pytest.mark.parametrize(
    ("stamp", "offset", "expected"),
    [
        ("2026:06:10 14:03:27", "+01:00", datetime(2026, 6, 10, 13, 3, 27, tzinfo=UTC)),
        ("2026:06:10 14:03:27", "-05:00", datetime(2026, 6, 10, 19, 3, 27, tzinfo=UTC)),
        ("2026:06:10 14:03:27", None, datetime(2026, 6, 10, 13, 3, 27, tzinfo=UTC)),  # BST
        ("2026:01:10 14:03:27", None, datetime(2026, 1, 10, 14, 3, 27, tzinfo=UTC)),  # GMT
        # the last second of BST and the first of GMT on the autumn change
        ("2026:10:25 00:59:59", None, datetime(2026, 10, 24, 23, 59, 59, tzinfo=UTC)),
        ("2026:10:25 02:00:00", None, datetime(2026, 10, 25, 2, 0, 0, tzinfo=UTC)),
        ("2026:06:10 14:03:27", "garbage", datetime(2026, 6, 10, 13, 3, 27, tzinfo=UTC)),
        ("    :  :     :  :  ", None, None),
        ("2026:02:30 10:00:00", None, None),
        (None, None, None),
    ],
)
def test_exif_time_table(stamp: str | None, offset: str | None, expected: datetime | None) -> None:
    assert exif_time(stamp, offset) == expected


def test_taken_at_comes_from_date_time_original_with_its_offset() -> None:
    result = process_photo(make_image(taken="2026:06:10 14:03:27", offset="+02:00"))
    assert result.taken_at == datetime(2026, 6, 10, 12, 3, 27, tzinfo=UTC)
    assert process_photo(make_image()).taken_at is None


# --- sizes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1600, 1200), (1600, 1200)),  # at the limit: untouched
        ((1601, 1200), (1600, 1199)),
        ((800, 600), (800, 600)),  # never upscaled
        ((3200, 2400), (1600, 1200)),
        ((1000, 4000), (400, 1600)),
        ((1, 1), (1, 1)),
    ],
)
def test_longest_side_is_capped(size: tuple[int, int], expected: tuple[int, int]) -> None:
    result = process_photo(make_image(size))
    assert (result.width, result.height) == expected
    thumb = _decode(result.thumb)
    assert max(thumb.size) == min(256, max(expected))
    assert thumb.format == "JPEG"


def test_hash_and_byte_count_describe_the_jpeg() -> None:
    result = process_photo(make_image())
    assert result.sha256 == hashlib.sha256(result.jpeg).hexdigest()
    assert result.bytes == len(result.jpeg)
    assert _decode(result.jpeg).format == "JPEG"


def test_a_heavy_photo_is_reencoded_to_fit_the_byte_budget() -> None:
    noise = Image.merge("RGB", [Image.effect_noise((1600, 1200), 60) for _ in range(3)])
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    roomy = process_photo(buf.getvalue(), target_bytes=10_000_000)
    tight = process_photo(buf.getvalue(), target_bytes=roomy.bytes // 2)
    assert tight.bytes < roomy.bytes


# --- other permitted types ---------------------------------------------------------------
def test_png_with_transparency_becomes_a_jpeg_on_white() -> None:
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, 50, 50), fill=(255, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    result = process_photo(buf.getvalue())
    out = _decode(result.jpeg)
    assert out.format == "JPEG" and out.mode == "RGB" and out.size == (300, 200)
    assert out.getpixel((250, 150)) == pytest.approx((255, 255, 255), abs=3)  # type: ignore[arg-type]
    assert out.getpixel((10, 10))[0] > 200  # type: ignore[index]


def test_png_orientation_survives_flattening() -> None:
    result = process_photo(make_image(fmt="PNG", mode="RGBA", orientation=6))
    assert (result.width, result.height) == (300, 400)


@pytest.mark.parametrize(("fmt", "mode"), [("WEBP", "RGB"), ("JPEG", "L"), ("JPEG", "CMYK")])
def test_other_inputs_are_accepted(fmt: str, mode: str) -> None:
    result = process_photo(make_image(fmt=fmt, mode=mode))
    out = _decode(result.jpeg)
    assert out.format == "JPEG" and out.mode in ("RGB", "L") and out.size == (400, 300)


# --- rejections --------------------------------------------------------------------------
def _truncated_jpeg() -> bytes:
    data = make_image((800, 600), quality=95)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", NotAnImage, "not_an_image"),
        (bytes(range(256)) * 40, NotAnImage, "not_an_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, NotAnImage, "not_an_image"),  # JPEG magic only
        ("truncated", NotAnImage, "not_an_image"),
        (
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
            UnsupportedImageType,
            "unsupported_media_type",
        ),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", UnsupportedImageType, "unsupported_media_type"),
        (b"II*\x00" + b"\x00" * 100, UnsupportedImageType, "unsupported_media_type"),
        (_png_declaring(50_000, 50_000), ImageTooLarge, "image_too_large"),  # Pillow's bomb
        (_png_declaring(10_000, 10_000), ImageTooLarge, "image_too_large"),  # Pillow warns
        (_png_declaring(8_001, 8_000), ImageTooLarge, "image_too_large"),  # just over ours
    ],
    ids=[
        "empty",
        "random",
        "jpeg-magic",
        "truncated",
        "heic",
        "gif",
        "tiff",
        "bomb-50k",
        "bomb-10k",
        "over-64mp",
    ],
)
def test_rejections_are_named_errors_with_a_message(
    data: bytes | str, error: type[PhotoError], code: str
) -> None:
    raw = _truncated_jpeg() if data == "truncated" else data
    assert isinstance(raw, bytes)
    with pytest.raises(error) as caught:
        process_photo(raw)
    assert caught.value.code == code
    assert caught.value.message and str(caught.value) == caught.value.message
    assert "Traceback" not in caught.value.message
    with pytest.raises(error):
        inspect_image(raw)


def test_heic_is_named_in_the_message() -> None:
    with pytest.raises(UnsupportedImageType, match="HEIC"):
        process_photo(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")


def test_image_at_the_pixel_limit_is_refused_only_beyond_it() -> None:
    data = make_image((100, 100))
    assert process_photo(data, max_pixels=10_000).width == 100
    with pytest.raises(ImageTooLarge):
        process_photo(data, max_pixels=9_999)


def test_over_large_input_bytes_are_refused_before_decoding() -> None:
    data = make_image((400, 300))
    assert process_photo(data, max_bytes=len(data)).width == 400
    with pytest.raises(ImageTooLarge, match="MB"):
        process_photo(data, max_bytes=len(data) - 1)


def test_inspect_image_reports_type_and_size() -> None:
    info = inspect_image(make_image((320, 240), fmt="PNG"))
    assert (info.format, info.content_type, info.width, info.height) == (
        "PNG",
        "image/png",
        320,
        240,
    )
