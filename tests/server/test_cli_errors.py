"""The command line's failures: one line on stderr and exit status 1 (usage errors: 2).

Run in this process (``server.cli.main``): a traceback would be an exception out of ``main``.
"""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path

import pytest

from server import cli as cli_module
from server.cli import main
from tests.support.postgres import HOST, PORT, USER, ensure_running


def _fails(
    capsys: pytest.CaptureFixture[str], *args: str, secret: str | None = None
) -> tuple[str, str]:
    """Run ``main(args)``; it must answer 1 with one ``error:`` line; returns (stdout, stderr)."""
    capsys.readouterr()
    assert main(list(args)) == 1
    out = capsys.readouterr()
    assert out.err.startswith("error: ") and out.err.count("\n") == 1, out.err
    assert "Traceback" not in out.err
    if secret:
        assert secret not in out.err and secret not in out.out
    return out.out, out.err


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BLOB_DIR", raising=False)
    return monkeypatch


BAD_URLS = [
    ("nonsense", "DATABASE_URL is not a database URL"),
    ("foo://bar", "unknown kind of database"),
    ("mysql://admin:hunter2@localhost/x", "driver (MySQLdb) is not installed"),
    ("postgresql://admin:hunter2@127.0.0.1:1/x", "cannot use the database"),
]


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
@pytest.mark.parametrize("command", ["init-db", "serve", "seed-demo"])
def test_a_bad_database_url_is_one_line(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    message: str,
    command: str,
) -> None:
    env.setenv("DATABASE_URL", url)
    args = [command, "--port", str(_free_port())] if command == "serve" else [command]
    out, err = _fails(capsys, *args, secret="hunter2")
    assert message in err
    assert "sync server on" not in out
    if "admin" in url:
        assert "admin:***@" in err  # the URL is named, its password is not


@pytest.mark.postgres
def test_a_missing_postgres_database_is_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_running()
    env.setenv("DATABASE_URL", f"postgresql://{USER}:pw-xyz@{HOST}:{PORT}/does_not_exist_db")
    for args in (["init-db"], ["serve", "--port", str(_free_port())]):
        out, err = _fails(capsys, *args, secret="pw-xyz")
        assert 'database "does_not_exist_db" does not exist' in err
        assert out == ""


def test_a_file_that_is_not_sqlite_is_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "server.db"
    bad.write_text("this is not a database\n" * 100)
    env.setenv("DATABASE_URL", f"sqlite:///{bad}")
    _, err = _fails(capsys, "init-db")
    assert "is not a database" in err


@pytest.mark.parametrize(
    ("variable", "where"),
    [("DATA_DIR", "file"), ("DATA_DIR", "/proc/zz"), ("BLOB_DIR", "/proc/zz")],
)
def test_an_unusable_data_folder_is_one_line(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variable: str,
    where: str,
) -> None:
    if where == "file":
        where = str(tmp_path / "a-file")
        Path(where).write_text("x")
        env.delenv("SECRET_KEY")  # the key would be made in the folder
    env.setenv(variable, where)
    _, err = _fails(capsys, "init-db")
    assert where in err and variable in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_port_in_use_fails_before_announcing(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out, err = _fails(capsys, "serve", "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert out == ""  # no "sync server on …" for a server that never ran


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "99999"], "must be from 1 to 65535"),
        (["serve", "--port", "0"], "must be from 1 to 65535"),
        (["serve", "--port", "http"], "not a whole number"),
        (["serve", "--log-level", "bogus"], "invalid choice: 'bogus'"),
        (["serve", "--workers", "0"], "must be 1 or more"),
        (["seed-demo", "--today", "10/06/2026"], "not a date"),
        (["add-user", "kim", "--role", "wizard"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    env.setenv("DATABASE_URL", "nonsense")  # were the arguments taken, serve stops at once
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_end_of_input_at_the_password_prompt_is_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def ctrl_d(prompt: str = "") -> str:
        raise EOFError

    env.setattr(cli_module.getpass, "getpass", ctrl_d)
    env.setattr(sys, "stdin", _Tty(""))
    _, err = _fails(capsys, "add-user", "kim", "--role", "officer")
    assert "no password given" in err
    env.setattr(sys, "stdin", io.StringIO(""))  # a pipe that closed with no line
    _, err = _fails(capsys, "add-user", "kim", "--role", "officer")
    assert "no password given" in err


@pytest.mark.parametrize("password", ["", "   ", "\t "])
def test_an_empty_or_blank_password_is_refused(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    env.setattr(sys, "stdin", io.StringIO(password + "\n"))
    _, err = _fails(capsys, "add-user", "kim", "--role", "officer")
    assert "password must not be empty" in err


@pytest.mark.parametrize(
    ("argv0", "prog"),
    [
        ("/work/.venv/bin/fieldapp-server", "fieldapp-server"),
        ("/work/main/server/__main__.py", "python -m server"),
    ],
)
def test_help_names_the_command_as_run_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv0: str, prog: str
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0, "--help"])
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {prog} ")
    assert "``" not in text
    for variable in (
        "DATABASE_URL",
        "DATA_DIR",
        "BLOB_DIR",
        "SECRET_KEY",
        "TOKEN_LIFETIME_SECONDS",
        "MAX_BODY_BYTES",
        "MAX_BLOB_BYTES",
    ):
        assert variable in text
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    serve = capsys.readouterr().out
    assert f"usage: {prog} serve" in serve
    assert "(default: 8000)" in serve and "(default: warning)" in serve
