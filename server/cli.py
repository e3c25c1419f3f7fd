"""The server's command line: ``python -m server`` or ``fieldapp-server``.

``serve`` (upgrades the schema first, idempotently), ``init-db``, ``import-properties``,
``add-user`` (password on stdin), ``seed-demo``, ``revoke-device``, ``import-tiles``,
``disable-user``, ``enable-user``, ``backup``, ``restore``, ``new-epoch``, ``purge``. Settings come
from the
environment (``docs/server.md``). Errors are one clear line on stderr and exit status 1
(usage errors: exit status 2, from argparse); a database URL's password is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from fieldapp.sync.protocol import ROLES

DESCRIPTION = "The sync server's command line. Settings come from environment variables."
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's
EPILOG = """\
environment variables:
  DATA_DIR                the server's folder (default ./data): SQLite file, blobs, secret key
  DATABASE_URL            SQLAlchemy URL (default sqlite:///DATA_DIR/server.db);
                          PostgreSQL: postgresql://user:pass@host:5432/db
  BLOB_DIR                where photo files live (default DATA_DIR/blobs)
  SECRET_KEY              keys token hashes and cursors (default: generated into
                          DATA_DIR/secret_key)
  TOKEN_LIFETIME_SECONDS  how long a bearer token lives (default 604800, 7 days)
  MAX_BODY_BYTES          largest request body after gzip decoding (default 16 MiB)
  MAX_BLOB_BYTES          largest blob upload request (default 25 MiB)
  MAX_IMAGE_SIDE          widest/tallest image taken, pixels (default 4096)
  MAX_IMAGE_PIXELS        most pixels an image may have (default 16000000)
  MAX_WEBP_PIXELS         most pixels a WebP image may have (default 5000000)
  IMAGE_WORKERS           images decoded at once (default 2)
  PARTIAL_UPLOAD_TTL_SECONDS  an unfinished upload expires after this (default 86400)
  PARTIAL_UPLOAD_QUOTA_BYTES  one device's unfinished uploads (default 100 MiB)
  API_DOCS                1: serve /api/v1/docs and /api/v1/openapi.json (default off)
  TILE_URL                {z}/{x}/{y} URL template tablets cache map tiles from
                          (default none; an imported MBTiles file wins over it)
  TILE_ZOOMS              zoom levels tablets cache (default 14-17)

Errors are one line on stderr and exit status 1; usage errors exit with status 2.
See docs/server.md."""


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the epilog's layout and shows each option's default (when it has one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def _prog() -> str:
    """How the command was run: ``fieldapp-server`` or ``python -m server``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if not name or name in ("__main__.py", "-c", "-m") or name.endswith(".py"):
        return "python -m server"
    return name


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` (to ``high``)."""
    bounds = f"from {low} to {high}" if high is not None else f"{low} or more"

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {raw[:20]}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {bounds} (got {value})")
        return value

    return parse


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {raw[:20]}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=_prog(), description=DESCRIPTION, epilog=EPILOG, formatter_class=_Formatter
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_,
            description=help_[0].upper() + help_[1:] + ".",
            epilog=EPILOG,
            formatter_class=_Formatter,
        )

    serve = command("serve", "run the HTTP server (upgrades the database first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_whole(1, 65535), default=8000, help="TCP port, 1 to 65535")
    serve.add_argument("--workers", type=_whole(1), default=1, help="processes (PostgreSQL only)")
    serve.add_argument("--log-level", default="warning", choices=LOG_LEVELS, help="uvicorn's")
    serve.add_argument("--access-log", action="store_true", help="log every request")

    command("init-db", "create or upgrade the schema (alembic upgrade head)")

    imp = command("import-properties", "upsert properties (by UPRN) from a CSV")
    imp.add_argument("file", type=Path, help="the CSV file (docs/csv-format.md)")

    add = command("add-user", "create or update a user; password on stdin")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--patch",
        action="append",
        default=None,
        help="patch name (repeatable); on an update, none given keeps the user's patches",
    )
    add.add_argument("--name", default=None, help="full name (default: the username)")

    seed = command("seed-demo", "add the demo patches, homes, cases and users that are missing")
    seed.add_argument("--seed", type=int, default=1, help="which demo")
    seed.add_argument(
        "--today", type=_day, default=None, help="YYYY-MM-DD (default: today in Europe/London)"
    )

    rev = command("revoke-device", "revoke a device: its next request fails")
    rev.add_argument("device_id")

    tiles = command("import-tiles", "make an MBTiles file the map tile source of the tablets")
    tiles.add_argument("file", type=Path, help="the .mbtiles file (copied into DATA_DIR)")

    dis = command("disable-user", "disable a user: every token ends and sign-in is refused")
    dis.add_argument("username")
    ena = command("enable-user", "let a disabled user sign in again")
    ena.add_argument("username")

    back = command("backup", "copy the SQLite database, consistent, while the server runs")
    back.add_argument("dest", type=Path, help="the file to write (must not exist)")
    restore = command("restore", "put a SQLite backup in place (server stopped); new epoch")
    restore.add_argument("backup", type=Path, help="a file made by the backup command")
    command("new-epoch", "make every device download afresh (after a PostgreSQL restore)")
    purge = command("purge", "delete expired tokens (and old audit rows when asked)")
    purge.add_argument(
        "--audit-days",
        type=_whole(1),
        default=None,
        help="also delete audit rows older than this many days (default: keep them all)",
    )
    return p


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from sqlalchemy.exc import SQLAlchemyError

    from server.commands import CommandFailed, database_problem
    from server.errors import ApiError

    try:
        return _run(args)
    except (ApiError, CommandFailed) as exc:
        return _error(str(exc.message) if isinstance(exc, ApiError) else str(exc))
    except EOFError:
        return _error("no password given (end of input)")
    except (SQLAlchemyError, ImportError) as exc:
        return _error(database_problem(exc, os.environ.get("DATABASE_URL")))
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        return _error(f"cannot use{where}: {exc.strerror or exc} (check DATA_DIR and BLOB_DIR)")
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from server import commands

    if args.command == "serve":
        return commands.serve(
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            access_log=args.access_log,
        )
    if args.command == "init-db":
        return commands.init_db()
    if args.command == "import-properties":
        return commands.import_properties(args.file)
    if args.command == "add-user":
        password = _read_password()
        return commands.add_user(
            username=args.username,
            password=password,
            role=args.role,
            patch_names=args.patch,
            name=args.name,
        )
    if args.command == "seed-demo":
        return commands.seed_demo(seed=args.seed, today=args.today)
    if args.command == "revoke-device":
        return commands.revoke_device(args.device_id)
    if args.command == "import-tiles":
        return commands.import_tiles(args.file)
    if args.command in ("disable-user", "enable-user"):
        return commands.set_disabled(args.username, disabled=args.command == "disable-user")
    if args.command == "backup":
        return commands.backup(args.dest)
    if args.command == "restore":
        return commands.restore(args.backup)
    if args.command == "new-epoch":
        return commands.new_epoch()
    if args.command == "purge":
        return commands.purge(audit_days=args.audit_days)
    raise AssertionError(args.command)
