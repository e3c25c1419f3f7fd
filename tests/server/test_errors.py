"""The error handler and the body middleware, in process (the HTTP path is in other tests).

A tiny app with one failing route stands in for a bug: the client must get the documented
``internal_error`` body and nothing of the exception.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from fieldapp.ids import from_wire
from server import errors
from server.middleware import RequestBodyMiddleware


class Body(BaseModel):
    n: int


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.add_middleware(
        RequestBodyMiddleware, max_body=1000, max_blob_body=5000, blob_prefix="/blobs/"
    )

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.post("/blobs/x")
    async def blob(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.post("/typed")
    def typed(body: Body) -> dict[str, int]:
        return {"n": body.n}

    return app


class Client:
    """Requests straight into the ASGI app (httpx's ASGI transport), one event loop each."""

    def __init__(self, app: FastAPI) -> None:
        self.transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://t") as c:
                r = await c.request(method, path, **kw)
                await r.aread()
                return r

        return asyncio.run(go())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


@pytest.fixture
def client() -> Iterator[Client]:
    yield Client(_app())


def test_an_unexpected_exception_is_an_internal_error_without_details(client: Client) -> None:
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "hunter2" not in r.text and "RuntimeError" not in r.text


def test_validation_errors_name_the_field_but_never_echo_the_value(client: Client) -> None:
    r = client.post("/typed", json={"n": "SECRET-VALUE"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_failed"
    assert err["detail"] == [{"field": "n", "problem": "int_parsing"}]
    assert "SECRET-VALUE" not in r.text


@pytest.mark.parametrize(
    ("path", "size", "status"),
    [("/echo", 1000, 200), ("/echo", 1001, 413), ("/blobs/x", 5000, 200), ("/blobs/x", 5001, 413)],
)
def test_body_limits_at_the_boundary(client: Client, path: str, size: int, status: int) -> None:
    r = client.post(path, content=b"x" * size)
    assert r.status_code == status
    if status == 413:
        assert r.json()["error"]["code"] == "payload_too_large"
    else:
        assert r.json() == {"length": size}


def test_a_body_without_length_is_counted_as_it_streams(client: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"y" * 100

    r = client.post("/echo", content=chunks())
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(("size", "status"), [(1000, 200), (1001, 413), (10**7, 413)])
def test_gzip_bodies_are_limited_after_decoding(client: Client, size: int, status: int) -> None:
    r = client.post(
        "/echo", content=gzip.compress(b"z" * size), headers={"Content-Encoding": "gzip"}
    )
    assert r.status_code == status
    if status == 200:
        assert r.json() == {"length": size}


def test_truncated_gzip_is_a_bad_request(client: Client) -> None:
    r = client.post(
        "/echo", content=gzip.compress(b"z" * 500)[:-6], headers={"Content-Encoding": "gzip"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def _server_time(r: httpx.Response) -> str:
    """The one ``Server-Time`` header, a wire time within a minute of now."""
    values = r.headers.get_list("server-time")
    assert len(values) == 1, values
    assert values[0].endswith("Z")
    assert abs(datetime.now(UTC) - from_wire(values[0])) < timedelta(minutes=1)
    return values[0]


@pytest.mark.parametrize(
    ("method", "path", "kw", "status"),
    [
        ("GET", "/boom", {}, 500),  # sent past the middleware, by Starlette's outermost one
        ("POST", "/typed", {"json": {"n": "x"}}, 422),
        ("POST", "/echo", {"content": b"x" * 1001}, 413),  # refused by the middleware itself
        ("GET", "/nowhere", {}, 404),
        ("DELETE", "/echo", {}, 405),
    ],
)
def test_every_error_carries_server_time_in_body_and_header(
    client: Client, method: str, path: str, kw: dict[str, Any], status: int
) -> None:
    r = client.request(method, path, **kw)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"error", "server_time"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert _server_time(r) == body["server_time"]


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("POST", "/echo", {"content": b"abc"}),
        (
            "POST",
            "/echo",
            {"content": gzip.compress(b"abc"), "headers": {"Content-Encoding": "gzip"}},
        ),
        ("POST", "/typed", {"json": {"n": 1}}),
    ],
)
def test_successful_answers_carry_the_server_time_header(
    client: Client, method: str, path: str, kw: dict[str, Any]
) -> None:
    r = client.request(method, path, **kw)
    assert r.status_code == 200
    _server_time(r)
