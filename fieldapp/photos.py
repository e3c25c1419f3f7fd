"""Photo processing at capture, and the image checks the server repeats on upload.

``process_photo`` turns what the camera (or a file picker) hands over into the JPEG that is
stored and synced: decoded at reduced size where JPEG allows it, EXIF orientation applied,
longest side ``max_side``, every metadata block dropped (EXIF GPS must never travel inside the
file: place and time go into the ``photo`` record instead), plus a small thumbnail. The checks
(permitted type, pixel and byte limits, truncation) live here once so the server's
``server/blobs.py`` applies exactly the same rules to what it receives.

Exceptions (each carries ``code``, a wire error code, and ``message``, for a person)::

    PhotoError
    ├── NotAnImage                 not_an_image: not an image, damaged or truncated
    │   └── UnsupportedImageType   unsupported_media_type: an image, but not JPEG/PNG/WebP
    └── ImageTooLarge              image_too_large: too many bytes or pixels (bombs included)

Pillow only: no Flet, no network, no clock.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

PERMITTED_FORMATS: Final = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A 50 MP phone sensor is 8160x6120 (about 50 M pixels); anything past 64 M is refused
# before a single pixel is decoded, so a small file declaring a huge canvas cannot exhaust
# a tablet's memory.
MAX_PIXELS: Final = 64_000_000
MAX_INPUT_BYTES: Final = 50 * 1024 * 1024
# Output budget: a re-encode at lower quality is cheaper than a slow upload on a weak link.
TARGET_BYTES: Final = 300 * 1024
_QUALITY_STEPS: Final = (70, 60, 50)
LOCAL_ZONE: Final = ZoneInfo("Europe/London")

_EXIF_IFD: Final = 0x8769
_TAG_DATETIME: Final = 0x0132
_TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_OFFSET_TIME: Final = 0x9010
_TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
_TAG_SUBSEC_ORIGINAL: Final = 0x9291


class PhotoError(Exception):
    """A photo that cannot be accepted; ``message`` is written for the person who took it."""

    code: str = "not_an_image"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAnImage(PhotoError):
    """Not an image at all, or a damaged / truncated one."""

    code = "not_an_image"


class UnsupportedImageType(NotAnImage):
    """A real image in a format we do not take (HEIC, GIF, TIFF, ...)."""

    code = "unsupported_media_type"


class ImageTooLarge(PhotoError):
    """Too many bytes, or a canvas too big to decode safely (decompression bombs)."""

    code = "image_too_large"


@dataclass(frozen=True)
class ProcessedPhoto:
    """The stored photo: JPEG bytes without metadata, its thumbnail, and what the EXIF said."""

    jpeg: bytes
    thumb: bytes
    sha256: str  # of ``jpeg``: the blob's name on both sides
    width: int
    height: int
    taken_at: datetime | None  # aware UTC
    lat: float | None
    lon: float | None
    bytes: int


@dataclass(frozen=True)
class ImageInfo:
    """What ``inspect_image`` found in a well-formed image of a permitted type."""

    format: str  # one of PERMITTED_FORMATS
    content_type: str
    width: int
    height: int


# Formats people actually send that Pillow could not or should not take, by their magic, so
# the error names the format instead of saying "not an image".
_ISO_BMFF_BRANDS: Final = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"hevx": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"hevm": "HEIC",
    b"hevs": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}
_OTHER_MAGIC: Final = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
)


def _sniff_other(data: bytes) -> str | None:
    if data[4:8] == b"ftyp":  # ISO base media: HEIC/AVIF stills, but also MP4 video
        return _ISO_BMFF_BRANDS.get(data[8:12])
    for magic, name in _OTHER_MAGIC:
        if data.startswith(magic):
            return name
    return None


def _unsupported(name: str) -> UnsupportedImageType:
    hint = " (set the camera to 'Most compatible' / JPEG)" if name in ("HEIC", "HEIF") else ""
    return UnsupportedImageType(
        f"{name} photos are not supported{hint}; please use JPEG, PNG or WebP."
    )


def _open(data: bytes, *, max_pixels: int, max_bytes: int) -> Image.Image:
    """Identify ``data`` without decoding pixels, enforcing type, byte and pixel limits."""
    if len(data) > max_bytes:
        raise ImageTooLarge(
            f"The photo is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB."
        )
    if not data:
        raise NotAnImage("The file is empty.")
    other = _sniff_other(data[:16])
    if other is not None:
        raise _unsupported(other)
    try:
        im = Image.open(io.BytesIO(data), formats=PERMITTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning only arrives here when warnings are errors; either way: a bomb.
        raise ImageTooLarge("The image declares more pixels than can be handled safely.") from exc
    except UnidentifiedImageError as exc:
        raise NotAnImage("The file is not a JPEG, PNG or WebP image.") from exc
    except Exception as exc:  # Pillow's parsers raise many types on hostile headers
        raise NotAnImage("The image is damaged and cannot be read.") from exc
    width, height = im.size
    if width < 1 or height < 1:
        raise NotAnImage("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; the limit is {max_pixels // 1_000_000} "
            "megapixels."
        )
    return im


def _load(im: Image.Image) -> None:
    """Decode every pixel: this is where truncation and corrupt data show up."""
    try:
        im.load()
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("The image declares more pixels than can be handled safely.") from exc
    except Exception as exc:  # truncated streams raise OSError, others SyntaxError, ValueError…
        raise NotAnImage("The image is truncated or damaged and cannot be read.") from exc


def inspect_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_INPUT_BYTES
) -> ImageInfo:
    """Check that ``data`` is a complete, well-formed JPEG/PNG/WebP within the limits."""
    im = _open(data, max_pixels=max_pixels, max_bytes=max_bytes)
    fmt = im.format or ""
    _load(im)
    return ImageInfo(fmt, CONTENT_TYPES[fmt], im.width, im.height)


def inspect_and_thumbnail(
    data: bytes,
    *,
    thumb_side: int = 256,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_INPUT_BYTES,
) -> tuple[ImageInfo, bytes]:
    """``inspect_image`` plus a thumbnail from the same decode (the server, on upload)."""
    im = _open(data, max_pixels=max_pixels, max_bytes=max_bytes)
    fmt = im.format or ""
    _load(im)
    info = ImageInfo(fmt, CONTENT_TYPES[fmt], im.width, im.height)
    try:
        # Blobs from other clients may still carry an orientation tag.
        ImageOps.exif_transpose(im, in_place=True)
    except Exception:
        pass
    return info, make_thumbnail(im, side=thumb_side)


def _flatten(im: Image.Image) -> Image.Image:
    """RGB or L for JPEG; transparent areas become white, not black."""
    if im.mode in ("RGB", "L"):
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        background.info = dict(im.info)  # keeps the EXIF orientation for exif_transpose
        return background
    return im.convert("RGB")


def _encode(im: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif/xmp/comment is passed, and comment=b"" stops a source comment being copied:
    # the output carries pixels (and the colour profile) only. Optimized Huffman tables cost
    # ~3 ms and save ~6%; progressive would add ~12 ms for under 1% more, and the app shows
    # thumbnails rather than progressive previews, so it is off.
    im.save(
        out,
        "JPEG",
        quality=quality,
        optimize=True,
        comment=b"",
        icc_profile=im.info.get("icc_profile"),
    )
    return out.getvalue()


def make_thumbnail(im: Image.Image, *, side: int = 256, quality: int = 75) -> bytes:
    """A JPEG whose longest side is ``side`` px (never upscaled)."""
    thumb = _flatten(im).copy()
    thumb.thumbnail((side, side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return _encode(thumb, quality)


def _scaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return size
    return max(1, round(width * max_side / longest)), max(1, round(height * max_side / longest))


def process_photo(
    data: bytes,
    *,
    max_side: int = 1600,
    thumb_side: int = 256,
    quality: int = 80,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_INPUT_BYTES,
    target_bytes: int = TARGET_BYTES,
) -> ProcessedPhoto:
    """Resize, orient and strip a captured photo; read its time and place from EXIF."""
    im = _open(data, max_pixels=max_pixels, max_bytes=max_bytes)
    exif = _read_exif(im)
    target = _scaled(im.size, max_side)
    if im.format == "JPEG":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale for almost nothing: a 12 MP photo is
        # decoded straight to 2000x1500, never to 4000x3000.
        im.draft("RGB", target)
    _load(im)
    img = _flatten(im)
    target = _scaled(img.size, max_side)
    if img.size != target:
        # After the JPEG draft the step left is small (2000 -> 1600 px): bicubic looks the
        # same as Lanczos there at two thirds of the time. reducing_gap speeds up PNG/WebP,
        # which arrive at full size.
        img = img.resize(target, Image.Resampling.BICUBIC, reducing_gap=3.0)
    # Rotating after the resize moves 40% fewer pixels; the resized image keeps the source's
    # EXIF in .info, which is all exif_transpose reads.
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # a broken orientation tag should not cost the photo
        pass
    jpeg = _encode(img, quality)
    for lower in _QUALITY_STEPS:
        if len(jpeg) <= target_bytes:
            break
        if lower < quality:
            jpeg = _encode(img, lower)
    thumb = make_thumbnail(img, side=thumb_side)
    lat, lon = _gps(exif)
    return ProcessedPhoto(
        jpeg=jpeg,
        thumb=thumb,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        width=img.width,
        height=img.height,
        taken_at=_taken_at(exif),
        lat=lat,
        lon=lon,
        bytes=len(jpeg),
    )


# --- EXIF metadata: best effort, a malformed tag costs that value, never the photo -------
def _read_exif(im: Image.Image) -> Image.Exif | None:
    try:
        return im.getexif()
    except Exception:
        return None


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return exif.get_ifd(tag)
    except Exception:
        return {}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None


def _parse_offset(text: str | None) -> timezone | None:
    if text is None or len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if text[0] == "+" else -delta)


_EXIF_STAMP: Final = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def exif_time(stamp: str | None, offset: str | None, subsec: str | None = None) -> datetime | None:
    """An EXIF ``YYYY:MM:DD HH:MM:SS`` as aware UTC; without an offset it is London time."""
    match = _EXIF_STAMP.match(stamp or "")
    if match is None:
        return None  # blank ("    :  :     :  :  ") or garbage stamps are common
    micro = int(subsec[:6].ljust(6, "0")) if subsec and subsec.isdigit() else 0
    zone = _parse_offset(offset)
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        local = datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            micro,
            tzinfo=zone if zone is not None else LOCAL_ZONE,
        )
    except ValueError:  # 2026:02:30 and the like
        return None
    return local.astimezone(UTC)


def _taken_at(exif: Image.Exif | None) -> datetime | None:
    if exif is None:
        return None
    sub = _ifd(exif, _EXIF_IFD)
    original = _text(sub.get(_TAG_DATETIME_ORIGINAL))
    if original is not None:
        offset = _text(sub.get(_TAG_OFFSET_TIME_ORIGINAL)) or _text(sub.get(_TAG_OFFSET_TIME))
        subsec = _text(sub.get(_TAG_SUBSEC_ORIGINAL))
        found = exif_time(original, offset, subsec)
        if found is not None:
            return found
    return exif_time(_text(exif.get(_TAG_DATETIME)), _text(sub.get(_TAG_OFFSET_TIME)))


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(x == x and x >= 0 for x in (d, m, s)):  # NaN from 0/0 rationals
        return None
    result = d + m / 60 + s / 3600
    return -result if _text(ref) == negative else result


def _gps(exif: Image.Exif | None) -> tuple[float | None, float | None]:
    if exif is None:
        return None, None
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # "no fix" written as zeros by some cameras
        return None, None
    return round(lat, 7), round(lon, 7)
