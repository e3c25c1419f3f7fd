"""Offline-first field app for estate walkabouts.

Importing this package (or ``fieldapp.domain`` / ``fieldapp.sync.protocol``) must stay cheap and
free of Flet, SQLModel, requests and FastAPI: the server imports the domain rules and the wire
schema from here, and the tablet app imports the rest.
"""

__version__ = "0.1.0"
