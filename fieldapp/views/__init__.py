"""The app's screens: one module per screen, each with ``view(state, **params) -> ft.Control``.

The shell (``shell.py``) holds the route table and the frame; ``common.py`` the shared
building blocks; ``logic_*.py`` the rules behind the screens, testable without Flet.
"""
