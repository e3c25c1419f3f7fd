"""Shared pytest set-up: fixtures that start real processes live in ``tests/support``.

Hypothesis runs without its per-example deadline: on a busy 2-core machine one example of a
working-day calculation took 296 ms against the 200 ms default, and a test failed for the
machine's load, not for the rule. Speed is measured in ``bench/``, never in a test.
"""

from hypothesis import settings

settings.register_profile("fieldapp", deadline=None)
settings.load_profile("fieldapp")

pytest_plugins = ["tests.support.fixtures"]
