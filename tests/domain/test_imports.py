"""The domain package stays pure: importing it pulls in no UI, database or HTTP library."""

from __future__ import annotations

import subprocess
import sys


def test_domain_imports_nothing_heavy() -> None:
    code = (
        "import sys, fieldapp.domain, fieldapp.domain.derive;"
        "heavy = {'flet', 'sqlmodel', 'sqlalchemy', 'requests', 'fastapi', 'httpx'};"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
