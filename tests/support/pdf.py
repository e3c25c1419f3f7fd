"""Reading the text of the server's PDFs back, for tests of reports (no PDF library needed).

The report uses core fonts, which write text as plain PDF strings: inflating the content
streams and collecting the text-showing operators gives the text drawn on the pages.
"""

from __future__ import annotations

import re
import zlib


def pdf_streams(pdf: bytes) -> list[bytes]:
    """Every stream of the file, inflated when it is Flate-compressed."""
    found = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n", pdf, re.S):
        start = match.end()
        end = pdf.index(b"endstream", start)
        body = pdf[start:end].rstrip(b"\r\n")
        found.append(zlib.decompress(body) if b"/FlateDecode" in match.group(1) else body)
    return found


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages, one string per text operator, joined by newlines."""
    shown = []
    for stream in pdf_streams(pdf):
        for literal in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", stream, re.S):
            unescaped = re.sub(rb"\\(.)", rb"\1", literal)
            shown.append(unescaped.decode("latin-1"))
    return "\n".join(shown)
