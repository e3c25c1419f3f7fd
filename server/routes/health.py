"""``GET /api/v1/health``: open, cheap, for load balancers and for tests waiting on a start.

``HEAD`` answers like ``GET`` (the same headers, no body): some load balancers probe with it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fieldapp.sync.protocol import ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION
from server.errors import server_time

router = APIRouter()


@router.get("/health")
@router.head("/health")
def health() -> dict[str, Any]:
    return {
        "status": "ok",
        "schema_version": SCHEMA_VERSION,
        "accepted_schema_versions": sorted(ACCEPTED_SCHEMA_VERSIONS),
        "server_time": server_time(),
    }
