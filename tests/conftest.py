"""Shared pytest set-up: fixtures that start real processes live in ``tests/support``."""

pytest_plugins = ["tests.support.fixtures"]
