"""Walkabout reports from the device: a signed link to the PDF, asked for with this device's
own sign-in (``POST /walkabouts/{id}/report-link``).

The report is built by the server from what has synced, so it needs a connection. In web
mode the browser cannot send the device's token (the token stays in the app process), so
"Open report" asks for a short-lived link the browser can open as it is; "Share link" asks
for the default week-long one to send to a councillor or resident representative.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldapp.sync.errors import AuthError, NetworkError, ReportUnavailable, ServerError
from fieldapp.sync.protocol import API_PREFIX
from fieldapp.sync.transport import Transport, check_response

OPEN_LINK_SECONDS = 300  # long enough for the browser to open it, short enough to be useless later


@dataclass(frozen=True)
class ReportLink:
    url: str
    expires_at: str  # wire time


def report_link(
    transport: Transport, walkabout_id: str, *, lifetime_seconds: int | None = None
) -> ReportLink:
    """Ask the server for a signed link to the walkabout's report (blocking)."""
    body = None if lifetime_seconds is None else {"lifetime_seconds": lifetime_seconds}
    try:
        answer = check_response(
            transport.request(
                "POST", f"{API_PREFIX}/walkabouts/{walkabout_id}/report-link", json_body=body
            )
        )
        data = answer.json()
    except NetworkError:
        raise ReportUnavailable(
            "No connection to the server: the report opens when the tablet is online."
        ) from None
    except AuthError:
        raise ReportUnavailable("Sign in again to open the report.") from None
    except ServerError as exc:
        if exc.code == "not_found":
            raise ReportUnavailable(
                "This walkabout has not reached the server yet: sync, then try again."
            ) from None
        raise ReportUnavailable(f"The server could not make the report ({exc.code}).") from None
    except ValueError:
        raise ReportUnavailable("The server's answer could not be read.") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise ReportUnavailable("The server's answer could not be read.")
    return ReportLink(str(data["url"]), str(data.get("expires_at") or ""))
