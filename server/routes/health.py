"""``GET /api/v1/health``: open, cheap, for load balancers and for tests waiting on a start.

``HEAD`` answers like ``GET`` (the same headers, no body): some load balancers probe with it.
It is ``async def`` and touches nothing: a plain ``def`` waits for a thread of the pool, and
when every thread waits on the database (a table locked by a migration) the probe took 17 s
and the load balancer would have taken a live server out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fieldapp.sync.protocol import ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION
from server.errors import server_time

router = APIRouter()


@router.get("/health")
@router.head("/health")
async def health() -> dict[str, Any]:
    return {
        "status": "ok",
        "schema_version": SCHEMA_VERSION,
        "accepted_schema_versions": sorted(ACCEPTED_SCHEMA_VERSIONS),
        "server_time": server_time(),
    }
