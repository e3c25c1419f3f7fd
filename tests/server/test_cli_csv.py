"""``import-properties`` says what docs/csv-format.md shows, word for word (in this process)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from server.cli import main

REPO = Path(__file__).resolve().parents[2]
Run = Callable[[str, str], tuple[int, str, str]]
HEADER = "uprn,patch,estate,block,address,postcode,lat,lon,bedrooms,tenancy_ref\n"


def _row(uprn: int, *, postcode: str = "WA7 1AA", lat: str = "", beds: str = "1") -> str:
    return f"{uprn},North,Oak,,{uprn} Oak,{postcode},{lat},,{beds},SECRET-REF\n"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Writes a CSV and imports it: (exit status, stdout, stderr)."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BLOB_DIR", raising=False)

    def go(name: str, text: str) -> tuple[int, str, str]:
        path = tmp_path / name
        path.write_text(text)
        capsys.readouterr()
        code = main(["import-properties", str(path)])
        out = capsys.readouterr()
        return code, out.out, out.err

    return go


def test_the_documented_error_report_is_what_the_command_prints(run: Run) -> None:
    doc = (REPO / "docs" / "csv-format.md").read_text()
    block = re.search(r"never echoed in messages:\n\n  ```\n(.*?)\n  ```", doc, re.S)
    assert block is not None
    expected = "".join(line[2:] + "\n" for line in block.group(1).splitlines())
    lines = [_row(100012400000 + n) for n in range(2, 16)]  # lines 2 to 15
    lines[3 - 2] = _row(100012400032)
    lines[4 - 2] = _row(100012400004, postcode="WA7")
    lines[9 - 2] = _row(100012400009, beds="three")
    lines[12 - 2] = _row(100012400032)
    lines[15 - 2] = _row(100012400015, lat="53.3")
    code, out, err = run("homes.csv", HEADER + "".join(lines))
    assert (code, out) == (1, "")
    assert err == expected
    assert "SECRET-REF" not in err


def test_counts_are_singular_for_one(run: Run) -> None:
    code, _, err = run("one.csv", HEADER + _row(100012400001, beds="three"))
    assert code == 1
    assert err.splitlines()[-1] == "1 error; nothing was imported"
    code, out, _ = run("ok.csv", HEADER + _row(100012400001))
    assert code == 0
    assert out == "1 row: 1 created, 0 updated, 0 unchanged; 1 patch created\n"
    code, out, _ = run("two.csv", HEADER + _row(100012400001) + _row(100012400002))
    assert out == "2 rows: 1 created, 0 updated, 1 unchanged; 0 patches created\n"


def test_header_problems_quote_the_column_names(run: Run) -> None:
    text = "uprn,patch,estate,adress,postcode,bedrooms,patch\n1,N,Oak,1 Oak,WA7 1AA,1,N\n"
    code, _, err = run("header.csv", text)
    assert code == 1
    assert 'header.csv line 1: unknown column "adress"' in err
    assert 'header.csv line 1: column "patch" appears more than once' in err
    assert 'header.csv line 1: required column "address" is missing' in err
    assert err.splitlines()[-1] == "3 errors; nothing was imported"


def test_a_file_that_cannot_be_read_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code = main(["import-properties", str(tmp_path / "missing.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        "error: missing.csv: cannot read the file (No such file or directory)"
    ]
