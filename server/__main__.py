"""``python -m server …``: the command line of ``server.cli``."""

from server.cli import main

raise SystemExit(main())
