"""The command line, run as a subprocess on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database

HEADER = "uprn,patch,estate,block,address,postcode,lat,lon,bedrooms,tenancy_ref\n"
GOOD = (
    HEADER
    + '100012400032,Runcorn East,Castlefields,Lapwing Grove,"1 Lapwing Grove, Runcorn",wa72fy,53.340075,-2.688133,2,HT1\n'
    + "100012409001,Widnes West,Hough Green,,12 Pex Hill Close,WA8 4QR,,,1,\n"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def offline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server's data folder and database, not running: for commands alone."""
    if request.param == "sqlite":
        yield LiveServer(data_dir=tmp_path / "server")
    else:
        with fresh_database() as url:
            yield LiveServer(data_dir=tmp_path / "server", database_url=url)


def test_init_db_is_idempotent(offline: LiveServer) -> None:
    first = offline.cli("init-db")
    second = offline.cli("init-db")
    assert first.returncode == second.returncode == 0
    assert "up to date" in second.stdout


def test_import_then_sign_in_and_pull(offline: LiveServer) -> None:
    path = offline.data_dir / "homes.csv"
    path.write_text(GOOD)
    out = offline.cli("import-properties", str(path))
    assert out.stdout.strip() == "2 rows: 2 created, 0 updated, 0 unchanged; 2 patches created"
    again = offline.cli("import-properties", str(path))
    assert "0 created, 0 updated, 2 unchanged; 0 patches created" in again.stdout
    user_id = offline.add_user(
        "ella", role="officer", patches=["Runcorn East"], password="s3cret-estate-key", via_cli=True
    )
    with offline:
        with Api(offline.url).login("ella", "s3cret-estate-key") as api:
            assert api.user["id"] == user_id
            records, _, _, _ = api.pull_all()
    homes = {c["data"]["uprn"]: c["data"] for (e, _), c in records.items() if e == "property"}
    assert set(homes) == {"100012400032"}  # only the home in Ella's patch
    assert homes["100012400032"]["postcode"] == "WA7 2FY"  # stored in the normal form
    assert homes["100012400032"]["lat"] == pytest.approx(53.340075)


BAD_ROWS = [
    (
        "100012400032,North,Oak,,1 Oak,WA7 1AA,,,three,\n",
        "line 2, bedrooms: must be a whole number",
    ),
    ("100012400032,North,Oak,,1 Oak,WA7,,,1,\n", "line 2, postcode:"),
    ("12AB,North,Oak,,1 Oak,WA7 1AA,,,1,\n", "line 2, uprn:"),
    ("100012400032,North,Oak,,1 Oak,WA7 1AA,53.3,,1,\n", "line 2, lat: give both lat and lon"),
    ("100012400032,North,Oak,,1 Oak,WA7 1AA,95,-2.7,1,\n", "line 2, lat: must be decimal degrees"),
    (",North,Oak,,1 Oak,WA7 1AA,,,1,\n", "line 2, uprn: is required"),
    ("100012400032,North,Oak,,1 Oak,WA7 1AA,,,11,\n", "line 2, bedrooms:"),
    ("100012400032,North,Oak,,1 Oak\n", "line 2: 5 values for 10 columns"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_row_names_its_line_and_nothing_is_imported(
    tmp_path: Path, row: str, message: str
) -> None:
    server = LiveServer(data_dir=tmp_path)
    path = tmp_path / "homes.csv"
    path.write_text(GOOD + row.replace("line 2", ""))
    result = server.cli("import-properties", str(path), check=False)
    assert result.returncode == 1
    assert message.replace("line 2", "homes.csv line 4") in result.stderr
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    ok = tmp_path / "ok.csv"
    ok.write_text(GOOD)
    assert "2 created" in server.cli("import-properties", str(ok)).stdout  # none came before


def test_duplicate_uprns_and_bad_headers(tmp_path: Path) -> None:
    server = LiveServer(data_dir=tmp_path)
    dup = tmp_path / "dup.csv"
    dup.write_text(GOOD + "100012400032,North,Oak,,1 Oak,WA7 1AA,,,1,SECRET-REF\n")
    result = server.cli("import-properties", str(dup), check=False)
    assert result.returncode == 1
    assert "dup.csv line 4, uprn: 100012400032 is also on line 2" in result.stderr
    header = tmp_path / "header.csv"
    header.write_text("uprn,patch,estate,adress,postcode,bedrooms\n1,North,Oak,1 Oak,WA7 1AA,1\n")
    result = server.cli("import-properties", str(header), check=False)
    assert result.returncode == 1
    assert 'unknown column "adress"' in result.stderr
    assert 'required column "address" is missing' in result.stderr
    missing = server.cli("import-properties", str(tmp_path / "nope.csv"), check=False)
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_add_user_reads_the_password_from_stdin_and_checks_the_role(tmp_path: Path) -> None:
    server = LiveServer(data_dir=tmp_path)
    out = server.cli(
        "add-user", "kim", "--role", "pcso", "--name", "Kim Lee", input="pa ss kim lee walks\n"
    )
    assert "created user kim (pcso)" in out.stdout
    updated = server.cli("add-user", "kim", "--role", "pcso", input="another walkabout pass\n")
    assert "updated user kim" in updated.stdout
    bad = server.cli("add-user", "lee", "--role", "wizard", input="pw\n", check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    empty = server.cli("add-user", "lee", "--role", "officer", input="\n", check=False)
    assert empty.returncode == 1 and "password" in empty.stderr
    with server, Api(server.url).login("kim", "another walkabout pass") as api:
        assert api.user["name"] == "Kim Lee"


def test_seed_demo_is_idempotent_and_each_role_sees_its_share(offline: LiveServer) -> None:
    first = offline.cli("seed-demo")
    second = offline.cli("seed-demo")
    assert "records written" in first.stdout
    assert " 0 records written" in second.stdout and "already there" in second.stdout
    seen = {}
    with offline:
        for user in ("officer1", "pcso", "manager"):
            with Api(offline.url).login(user, f"demo-{user}-halton") as api:
                seen[user] = {entity for entity, _ in api.pull_all(limit=1000)[0]}
    assert {"person", "asb_case", "asb_report", "repair", "tenancy_visit", "observation"} <= seen[
        "officer1"
    ]
    assert seen["pcso"] == {"property", "walkabout", "observation", "staff"}
    assert seen["officer1"] < seen["manager"] or seen["officer1"] == seen["manager"]
