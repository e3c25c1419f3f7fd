#!/usr/bin/env bash
# Everything `make demo` and `make check` need, from a fresh machine: Debian's Chromium (for the
# browser tests and for viewing the app), a virtualenv with the pinned packages (the tablet
# app's base set, the `server` extra and the `dev` tools), and the local PostgreSQL running.
# Idempotent and quick when all is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium (browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q chromium fonts-dejavu-core >/dev/null
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: creating .venv and installing pinned packages"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[server,dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# PostgreSQL is only needed by the tests marked `postgres`; they find or start it themselves too.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
