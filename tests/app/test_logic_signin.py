"""Server address checks and the messages a failed sign-in or a sign-out shows (no Flet)."""

from __future__ import annotations

import pytest
import requests

from fieldapp.views.logic_signin import (
    is_network_error,
    normalise_server_url,
    sign_in_message,
    sign_out_warning,
)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("127.0.0.1:8700", "http://127.0.0.1:8700"),
        ("  http://127.0.0.1:8700/ ", "http://127.0.0.1:8700"),
        ("https://sync.example.org", "https://sync.example.org"),
        ("http://host:1", "http://host:1"),
        ("http://host/sub", "http://host/sub"),
    ],
)
def test_normalise_server_url(text: str, url: str) -> None:
    assert normalise_server_url(text) == url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the server address"),
        ("ftp://host", "must start with http"),
        ("http://", "must start with http"),
        ("http://host:99999", "port"),
        ("http://host:abc", "port"),
        ("http://host/?x=1", "cannot contain"),
        ("htp:/wrong server", "cannot contain spaces"),
        ("htp:/wrongserver", "must start with http:// or https://"),
        ("http:/127.0.0.1:8700", "must start with http:// or https://"),
        ("http://sync_server!", "letters, digits"),
    ],
)
def test_normalise_server_url_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_server_url(text)


class CodedError(Exception):
    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(message or code)
        self.code, self.message, self.status = code, message, status


def test_wrong_password_is_not_a_connection_problem() -> None:
    text = sign_in_message(CodedError("bad_credentials"), server_url="http://x")
    assert text.startswith("Wrong username or password")


def test_no_connection_names_the_address() -> None:
    exc = requests.ConnectionError("refused")
    assert is_network_error(exc)
    text = sign_in_message(exc, server_url="http://127.0.0.1:9")
    assert "No connection to the server at http://127.0.0.1:9" in text


def test_network_error_found_through_the_cause() -> None:
    try:
        try:
            raise requests.ConnectionError("refused")
        except requests.ConnectionError as inner:
            raise CodedError("transport_failed") from inner
    except CodedError as outer:
        assert is_network_error(outer)


@pytest.mark.parametrize(
    ("exc", "start"),
    [
        (CodedError("device_revoked"), "This tablet has been revoked"),
        (CodedError("rate_limited"), "Too many attempts"),
        (CodedError("account_disabled"), "This account is disabled"),
        (CodedError("internal_error", status=500), "The server had a problem"),
        (CodedError("odd", "Something specific"), "Sign-in failed: Something specific"),
        (RuntimeError(), "Sign-in failed. Try again"),
    ],
)
def test_other_sign_in_messages(exc: Exception, start: str) -> None:
    assert sign_in_message(exc, server_url="http://x").startswith(start)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ({"pending": 0, "photos": 0, "dead_letters": 0, "conflicts": 0}, None),
        ({"pending": 1}, "1 change on this tablet is not on the server yet."),
        (
            {"pending": 3, "photos": 2},
            "3 changes and 2 photos on this tablet are not on the server yet.",
        ),
        (
            {"pending": 1, "photos": 1, "dead_letters": 1, "conflicts": 2},
            "1 change, 1 photo, 1 refused change and 2 open conflicts on this tablet are not",
        ),
    ],
)
def test_sign_out_warning(summary: dict[str, int], expected: str | None) -> None:
    text = sign_out_warning(summary)
    if expected is None:
        assert text is None
    else:
        assert text is not None and text.startswith(expected)
        assert "deletes them" in text
