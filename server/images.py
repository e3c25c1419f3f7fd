"""What the server does with an uploaded image: refuse big canvases, decode small, keep no metadata.

The tablet sends JPEGs of at most 1600 px without metadata (``fieldapp.photos``); anything
else (another client, a hostile one) meets the same rules:

- the canvas is read from the header, and an image wider or taller than ``max_side`` or with
  more than ``max_pixels`` is refused (``image_too_large``) before a pixel is decoded: an
  8000 x 8000 PNG of 243 KiB would otherwise cost hundreds of MiB. A WebP, which Pillow can
  only decode whole and at three times the memory a pixel, has a lower limit
  (``max_webp_pixels``);
- a clean image is decoded only as far as its thumbnail needs: JPEG at 1/2, 1/4 or 1/8 scale
  by libjpeg (``draft``), PNG and WebP decoded once and reduced at once; the whole stream is
  still read, so truncated or damaged data is refused;
- an image carrying metadata (EXIF, XMP, comments, PNG text) is decoded in full (within the
  pixel limit), turned upright and re-encoded without it: what is stored and served carries
  pixels and the colour profile only. Its bytes then differ from the uploaded ones (the blob
  keeps the name the uploaded bytes hashed to);
- at most ``workers`` images are decoded at once, on threads of their own (``ImageGate``):
  parallel uploads queue rather than multiply the memory.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps

from fieldapp.photos import (
    CONTENT_TYPES,
    ImageInfo,
    ImageTooLarge,
    NotAnImage,
    PhotoError,
    _open,
    make_thumbnail,
)

# Technical facts Pillow reports in ``info`` that say nothing about who, where or when.
_HARMLESS_INFO = {
    "JPEG": {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
        "adobe",
        "adobe_transform",
        "progressive",
        "progression",
        "icc_profile",
    },
    "PNG": {
        "gamma",
        "dpi",
        "aspect",
        "srgb",
        "chromaticity",
        "transparency",
        "icc_profile",
        "interlace",
        "bbox",
    },
    "WEBP": {"icc_profile", "loop", "duration", "background", "timestamp"},
}
# JPEG segments that are part of the image itself (``applist`` names every APPn and COM).
_HARMLESS_SEGMENTS = {("APP0", b"JFIF"), ("APP2", b"ICC_PROFILE"), ("APP14", b"Adobe")}


@dataclass(frozen=True)
class ImageLimits:
    """The canvas and byte limits of an uploaded image (from ``Settings``)."""

    max_side: int = 4096
    max_pixels: int = 16_000_000
    max_webp_pixels: int = 5_000_000  # a WebP decode costs ~12 bytes a pixel, the others ~4
    max_bytes: int = 25 * 1024 * 1024
    thumb_side: int = 256


@dataclass(frozen=True)
class Prepared:
    """A checked image: what it is, its thumbnail, and clean bytes when the upload was not."""

    info: ImageInfo
    thumb: bytes
    cleaned: bytes | None  # None: the uploaded bytes carry no metadata and are stored as sent


class ImageGate:
    """Image work on a few threads of its own, however many requests arrive at once.

    A semaphore alone bounds how many images are decoded at once but not the memory: each
    request thread allocates in its own malloc arena, which keeps the freed pixels, so eight
    uploads on eight pool threads held eight decodes' worth. Here only ``workers`` threads
    ever decode, and they reuse their memory from one image to the next.
    """

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="image")

    def prepare(self, data: bytes, limits: ImageLimits) -> Prepared:
        return self._pool.submit(prepare, data, limits).result()

    def thumbnail(self, data: bytes, limits: ImageLimits) -> bytes:
        return self.prepare(data, limits).thumb

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def has_metadata(im: Image.Image) -> bool:
    """Does the image carry anything beyond pixels and a colour profile?"""
    fmt = im.format or ""
    if set(im.info) - _HARMLESS_INFO.get(fmt, set()):
        return True
    if fmt == "JPEG":
        for marker, body in getattr(im, "applist", []):
            if not any(marker == m and body.startswith(tag) for m, tag in _HARMLESS_SEGMENTS):
                return True
    return False


def _open_limited(data: bytes, limits: ImageLimits) -> Image.Image:
    im = _open(data, max_pixels=limits.max_pixels, max_bytes=limits.max_bytes)
    width, height = im.size
    if max(width, height) > limits.max_side:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; the limit is {limits.max_side} pixels a side."
        )
    # Pillow decodes WebP only at full size, through libwebp's animation decoder (an RGBA
    # canvas, a copy of it, then the image): no draft, no reduce on the way. Opening it only
    # reserved that canvas (untouched pages cost nothing), so a stricter canvas limit, from
    # the header, keeps a WebP's decode within a PNG's at the general limit.
    if im.format == "WEBP" and width * height > limits.max_webp_pixels:
        raise ImageTooLarge(
            f"The image is a {width}x{height} WebP; the limit for WebP is "
            f"{limits.max_webp_pixels / 1_000_000:g} megapixels. Send it as JPEG or smaller."
        )
    return im


def _decode(im: Image.Image) -> None:
    """Decode (at the draft scale, if one was set): truncation and corruption show up here."""
    try:
        im.load()
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("The image declares more pixels than can be handled safely.") from exc
    except Exception as exc:  # truncated streams raise OSError, others SyntaxError, ValueError…
        raise NotAnImage("The image is truncated or damaged and cannot be read.") from exc


def _reduced(im: Image.Image, side: int) -> Image.Image:
    """A cheap box-filter reduction to about twice the thumbnail (thumbnail() does the rest)."""
    factor = max(im.size) // (2 * side)
    if factor < 2:
        return im
    try:
        return im.reduce(factor)
    except ValueError:  # modes reduce() does not take (P, 1): thumbnail() copes alone
        return im


def _reencode(im: Image.Image, fmt: str) -> bytes:
    """``im`` in ``fmt`` with nothing but pixels and its colour profile (``im.info`` emptied:
    Pillow's savers copy a comment or EXIF from it)."""
    icc = im.info.get("icc_profile")
    im.info = {}
    out = io.BytesIO()
    if fmt == "JPEG":
        im.save(out, "JPEG", quality=90, optimize=True, comment=b"", icc_profile=icc)
    elif fmt == "PNG":
        im.save(out, "PNG", icc_profile=icc)
    else:
        im.save(out, "WEBP", quality=90, icc_profile=icc)
    return out.getvalue()


def prepare(data: bytes, limits: ImageLimits) -> Prepared:
    """Check ``data`` (type, bytes, canvas, integrity) and make its thumbnail; clean if needed.

    Raises ``fieldapp.photos.PhotoError`` (its ``code`` is the wire error code).
    """
    im = _open_limited(data, limits)
    fmt = im.format or ""
    if has_metadata(im):
        # In place throughout: at the pixel limit one more copy is another 48-64 MiB.
        _decode(im)
        try:
            ImageOps.exif_transpose(im, in_place=True)  # the orientation tag goes with the rest
        except Exception:  # a broken orientation tag should not cost the photo
            pass
        cleaned = _reencode(im, fmt)
        info = ImageInfo(fmt, CONTENT_TYPES[fmt], im.width, im.height)
        thumb = make_thumbnail(_reduced(im, limits.thumb_side), side=limits.thumb_side)
        return Prepared(info, thumb, cleaned)
    info = ImageInfo(fmt, CONTENT_TYPES[fmt], im.width, im.height)
    if fmt == "JPEG":
        im.draft("RGB", (limits.thumb_side, limits.thumb_side))
    _decode(im)
    small = _reduced(im, limits.thumb_side)
    return Prepared(info, make_thumbnail(small, side=limits.thumb_side), None)
