"""App entry point for ``flet run`` / ``flet build`` (the app path is the project root).

Built apps set ``FLET_APP_STORAGE_DATA``, which becomes the tablet's data folder. For a tablet
in a browser on this machine use ``python -m fieldapp.app`` or ``python -m fieldapp.demo_run``.
"""

import flet as ft

from fieldapp.app import main

if __name__ == "__main__":
    ft.run(main)
