"""The server's command line: ``python -m server`` or ``fieldapp-server``.

``serve`` (upgrades the schema first, idempotently), ``init-db``, ``import-properties``,
``add-user`` (password on stdin), ``seed-demo``, ``revoke-device``. Settings come from the
environment (``docs/server.md``). Errors are one clear line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fieldapp.sync.protocol import ROLES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m server", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP server (upgrades the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL only)")
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--access-log", action="store_true")

    sub.add_parser("init-db", help="create or upgrade the schema (alembic upgrade head)")

    imp = sub.add_parser("import-properties", help="upsert properties (by UPRN) from a CSV")
    imp.add_argument("file", type=Path)

    add = sub.add_parser("add-user", help="create or update a user; password on stdin")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--patch", action="append", default=[], help="patch name (repeatable)")
    add.add_argument("--name", default=None, help="full name (default: the username)")

    seed = sub.add_parser("seed-demo", help="load the demo patches, homes, cases and users")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument(
        "--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )

    rev = sub.add_parser("revoke-device", help="revoke a device: its next request fails")
    rev.add_argument("device_id")
    return p


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from server.errors import ApiError

    try:
        return _run(args)
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
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
    raise AssertionError(args.command)
