"""One set of error codes: the wire's list (``fieldapp.sync.protocol.ERROR_CODES``), the
server's code-to-status table (``server.errors.HTTP_STATUS``) and the table a partner's IT team
reads in ``docs/sync-protocol.md`` name the same codes, with the same HTTP statuses."""

from __future__ import annotations

import re
from pathlib import Path

from fieldapp.sync.protocol import ERROR_CODES
from server.errors import HTTP_STATUS

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-protocol.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| ([0-9 /]+) \|", re.MULTILINE)


def _documented() -> dict[str, list[int]]:
    return {
        code: [int(s) for s in statuses.split("/")]
        for code, statuses in ROW.findall(DOC.read_text())
    }


def test_the_wire_and_the_server_name_the_same_codes() -> None:
    assert set(HTTP_STATUS) == set(ERROR_CODES)


def test_the_protocol_document_lists_every_code_with_its_status() -> None:
    documented = _documented()
    assert set(documented) == set(ERROR_CODES)
    for code, status in HTTP_STATUS.items():
        assert status == documented[code][0], code  # the first status is the usual one
