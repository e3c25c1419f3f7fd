"""``import-properties``: upsert properties by UPRN from the CSV of ``docs/csv-format.md``.

All or nothing: the whole file is checked first and every problem reported with its line
number and column; a value quoted in a message is shown in double quotes, as JSON writes it
(``tenancy_ref`` values are never echoed). Then patches are created by
name, and each property is created or updated through the write path, so it gets a new
version and seq and a move to another patch reaches the old patch's devices as a remove.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from fieldapp.ids import new_id
from server.services.records import WriteBatch
from server.services.users import SERVER_DEVICE, ensure_patches

COLUMNS = (
    "uprn",
    "patch",
    "estate",
    "block",
    "address",
    "postcode",
    "lat",
    "lon",
    "bedrooms",
    "tenancy_ref",
)
REQUIRED = ("uprn", "patch", "estate", "address", "postcode", "bedrooms")
_LIMITS = {"patch": 200, "estate": 200, "block": 200, "address": 500, "tenancy_ref": 40}
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")
_UPRN = re.compile(r"^[0-9]{1,12}$")
MAX_BEDROOMS = 10


class ImportProblem(Exception):
    """The file cannot be imported: ``problems`` has one line per problem, ready to print."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int
    updated: int
    unchanged: int
    patches_created: int

    def summary(self) -> str:
        return (
            f"{_count(self.rows, 'row')}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {_count(self.patches_created, 'patch')} created"
        )


def _count(n: int, noun: str) -> str:
    """``1 patch``, ``2 patches``, ``0 rows``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('ch') else 's'}"


def _quote(value: str, limit: int = 20) -> str:
    """A cell of the operator's own file, in double quotes (JSON style), cut to ``limit``."""
    return json.dumps(value[:limit], ensure_ascii=False)


def _closing(problems: list[str]) -> str:
    return f"{_count(len(problems), 'error')}; nothing was imported"


def _postcode(raw: str) -> str | None:
    compact = re.sub(r"\s+", "", raw.upper())
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def _parse_row(values: dict[str, str], say: Any) -> dict[str, Any] | None:
    """The property fields of one row, or None after reporting its problems through ``say``."""
    ok = True
    out: dict[str, Any] = {}
    for name in REQUIRED:
        if not values.get(name):
            say(name, "is required")
            ok = False
    for name, limit in _LIMITS.items():
        value = values.get(name, "")
        if len(value) > limit:
            say(name, f"is longer than {limit} characters")
            ok = False
        out[name] = value or None
    uprn = values.get("uprn", "")
    if uprn and not _UPRN.match(uprn):
        say("uprn", f"must be 1 to 12 digits (got {_quote(uprn)})")
        ok = False
    out["uprn"] = uprn
    postcode = values.get("postcode", "")
    if postcode:
        normal = _postcode(postcode)
        if normal is None:
            say("postcode", f"{_quote(postcode)} is not a UK postcode")
            ok = False
        out["postcode"] = normal
    bedrooms = values.get("bedrooms", "")
    if bedrooms:
        if not bedrooms.isdigit() or int(bedrooms) > MAX_BEDROOMS:
            say(
                "bedrooms",
                f"must be a whole number from 0 to {MAX_BEDROOMS} (got {_quote(bedrooms)})",
            )
            ok = False
        else:
            out["bedrooms"] = int(bedrooms)
    lat, lon = values.get("lat", ""), values.get("lon", "")
    if bool(lat) != bool(lon):
        say("lat" if lat else "lon", "give both lat and lon, or neither")
        ok = False
    out["lat"] = out["lon"] = None
    for name, raw, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > bound:
            say(name, f"must be decimal degrees from -{bound:g} to {bound:g} (got {_quote(raw)})")
            ok = False
        else:
            out[name] = number
    return out if ok else None


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Every row of the file as property fields plus ``line``; ImportProblem if any is wrong."""
    name = path.name
    problems: list[str] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportProblem([f"error: {name}: cannot read the file ({exc.strerror})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportProblem([f"{name} line {line}: the file is not UTF-8 text"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportProblem([f"{name}: the file is empty (no header line)"]) from None
    except csv.Error as exc:
        raise ImportProblem([f"{name} line 1: {exc}"]) from None
    unknown = [h for h in header if h not in COLUMNS]
    repeated = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in REQUIRED if c not in header]
    for h in unknown:
        problems.append(f"{name} line 1: unknown column {_quote(h, 40)}")
    for h in repeated:
        problems.append(f"{name} line 1: column {_quote(h, 40)} appears more than once")
    for h in missing:
        problems.append(f"{name} line 1: required column {_quote(h)} is missing")
    if problems:
        raise ImportProblem([*problems, _closing(problems)])
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    line = 1
    try:
        for record in reader:
            start = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                problems.append(
                    f"{name} line {start}: {_count(len(record), 'value')} for {len(header)} columns"
                )
                continue
            values = {h: cell.strip() for h, cell in zip(header, record, strict=True)}

            def say(column: str, message: str, _line: int = start) -> None:
                problems.append(f"{name} line {_line}, {column}: {message}")

            parsed = _parse_row(values, say)
            uprn = values.get("uprn", "")
            if uprn in seen:
                say("uprn", f"{uprn} is also on line {seen[uprn]}")
                parsed = None
            elif uprn:
                seen[uprn] = start
            if parsed is not None:
                parsed["line"] = start
                rows.append(parsed)
    except csv.Error as exc:
        problems.append(f"{name} line {reader.line_num}: {exc}")
    if problems:
        raise ImportProblem([*problems, _closing(problems)])
    return rows


def import_rows(conn: Connection, rows: list[dict[str, Any]], *, now: datetime) -> ImportReport:
    """Upsert checked rows (from ``read_csv``) in the caller's write transaction."""
    batch = WriteBatch(conn, now=now)
    known_patches = {str(r.data.get("name")) for r in batch.all_rows("patch")}
    names = list(dict.fromkeys(r["patch"] for r in rows))
    patch_ids = dict(zip(names, ensure_patches(batch, names), strict=True))
    existing = {str(r.data.get("uprn")): r for r in batch.all_rows("property")}
    created = updated = unchanged = 0
    for values in rows:
        data = {c: values[c] for c in COLUMNS if c != "patch"}
        data["patch_id"] = patch_ids[values["patch"]]
        row = existing.get(values["uprn"])
        if row is None:
            row = batch.new_row("property", new_id(), device_id=SERVER_DEVICE, user_id=None)
            batch.write(row, data, device_id=SERVER_DEVICE, user_id=None)
            existing[values["uprn"]] = row
            created += 1
        elif all(row.data.get(k) == v for k, v in data.items()):
            unchanged += 1
        else:
            batch.write(row, data, device_id=SERVER_DEVICE, user_id=None)
            updated += 1
    batch.flush()
    return ImportReport(
        rows=len(rows),
        created=created,
        updated=updated,
        unchanged=unchanged,
        patches_created=len([n for n in names if n not in known_patches]),
    )


def import_csv(conn: Connection, path: Path, *, now: datetime) -> ImportReport:
    return import_rows(conn, read_csv(path), now=now)
