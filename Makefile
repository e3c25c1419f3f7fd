# The two README commands: `make demo` (server + demo patch + app in the browser) and
# `make check` (lint, types, every test). Both set up everything they need first.
PY := .venv/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo check lint types test bench clean

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m fieldapp.demo_run

lint: setup
	.venv/bin/ruff check fieldapp server tests bench main.py
	.venv/bin/ruff format --check fieldapp server tests bench main.py

types: setup
	.venv/bin/mypy

# Two workers for everything but the browser tests (each module stays on one worker); the
# browser tests after them, one at a time (each drives a Chromium, a server and app processes).
test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile --ignore=tests/e2e
	$(PY) -m pytest -q tests/e2e

check: lint types test

bench: setup
	$(PY) bench/sync_bench.py
	$(PY) bench/photo_bench.py
	$(PY) bench/tiles_bench.py
	$(PY) bench/auth_bench.py

clean:
	rm -rf .venv .mypy_cache .pytest_cache .ruff_cache build *.egg-info
