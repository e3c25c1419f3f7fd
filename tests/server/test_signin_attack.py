"""Sign-in under attack, on the real server (SQLite and PostgreSQL).

Guessers get ``429 rate_limited`` with ``Retry-After``; other addresses and a user's own
tablet still sign in; a wrong password is answered while another transaction holds the
write lock (hashing happens outside any transaction); and 40 parallel guessers neither cause a server
error nor stop a device from syncing. Each test has its own users and (through the trusted
``X-Forwarded-For`` of a loopback proxy) its own client addresses, so the shared server's
throttle state does not leak between tests.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case
from tests.support.api import PASSWORD
from tests.support.live_server import LiveServer


def _addr() -> str:
    n = int(new_id().replace("-", "")[-6:], 16)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _sign_in(
    http: httpx.Client,
    server: LiveServer,
    username: str,
    password: str,
    *,
    address: str,
    device_id: str | None = None,
) -> httpx.Response:
    return http.post(
        f"{server.api}/auth/token",
        json={
            "username": username,
            "password": password,
            "device_id": device_id or f"tab-{new_id()}",
            "device_name": "t",
        },
        headers={"X-Forwarded-For": address},
    )


def _user(cast: Cast, stem: str) -> str:
    name = f"{stem}-{new_id()[-8:]}"
    cast.server.add_user(name, role="officer", patches=["North"])
    return name


def test_a_guesser_is_slowed_with_retry_after_and_other_addresses_are_not(cast: Cast) -> None:
    ann, guesser, office = _user(cast, "ann"), _addr(), _addr()
    with httpx.Client(timeout=60) as http:
        for _ in range(5):
            r = _sign_in(http, cast.server, ann, "wrong-guess-123", address=guesser)
            assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
        slowed = _sign_in(http, cast.server, ann, "wrong-guess-123", address=guesser)
        assert slowed.status_code == 429
        assert slowed.json()["error"]["code"] == "rate_limited"
        wait = slowed.json()["error"]["detail"]["retry_after"]
        assert wait >= 1 and slowed.headers["Retry-After"] == str(wait)
        # While slowed, even the right password from there waits: guessing gains nothing.
        assert _sign_in(http, cast.server, ann, PASSWORD, address=guesser).status_code == 429
        assert _sign_in(http, cast.server, ann, PASSWORD, address=office).status_code == 200


def test_guessing_from_everywhere_does_not_lock_a_user_out_of_their_own_tablet(
    cast: Cast,
) -> None:
    bea = _user(cast, "bea")
    tablet = f"tab-{new_id()}"
    with httpx.Client(timeout=60) as http:
        assert _sign_in(http, cast.server, bea, PASSWORD, address=_addr(), device_id=tablet)
        codes = Counter(
            _sign_in(http, cast.server, bea, f"guess-number-{i}", address=_addr()).status_code
            for i in range(16)  # one try from each of many addresses
        )
        assert codes[429] > 0 and set(codes) <= {401, 429}, codes
        # A new tablet waits (a bounded time), but her own tablet signs in from anywhere.
        assert _sign_in(http, cast.server, bea, PASSWORD, address=_addr()).status_code == 429
        own = _sign_in(http, cast.server, bea, PASSWORD, address=_addr(), device_id=tablet)
        assert own.status_code == 200, own.text


@contextmanager
def _writers_locked(server: LiveServer) -> Iterator[None]:
    """Hold the database from outside, as a long write would (SQLite: the write lock)."""
    if server.database_url.startswith("sqlite"):
        conn = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), timeout=30)
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:  # what a sign-in writes (its device and token), held by a long transaction
        with psycopg.connect(server.database_url.replace("+psycopg", "")) as pg:
            pg.execute("LOCK TABLE device, session_token IN EXCLUSIVE MODE")
            yield
            pg.rollback()


def test_a_wrong_password_is_answered_while_the_database_is_held(cast: Cast) -> None:
    cy = _user(cast, "cy")
    with httpx.Client(timeout=10) as http, _writers_locked(cast.server):
        # Were the password checked inside a write transaction, this would wait for the lock
        # (15 s on SQLite, for ever on PostgreSQL) and the client would time out.
        r = _sign_in(http, cast.server, cy, "not-her-password", address=_addr())
        assert r.status_code == 401, r.text
        unknown = _sign_in(
            http, cast.server, f"nobody-{new_id()}", "whatever-it-is", address=_addr()
        )
        assert unknown.status_code == 401


def test_forty_parallel_guessers_cause_no_server_error_and_a_device_keeps_syncing(
    cast: Cast,
) -> None:
    victim = _user(cast, "dee")
    flood: Counter[int] = Counter()
    lock = threading.Lock()
    started = threading.Barrier(41)

    def guesser(i: int) -> None:
        address = _addr()
        with httpx.Client(timeout=120) as http:
            started.wait()
            for k in range(12):
                name = victim if k % 2 else f"ghost-{i}-{new_id()[-6:]}"
                r = _sign_in(http, cast.server, name, f"guess-{i}-{k}-xxxxx", address=address)
                with lock:
                    flood[r.status_code] += 1

    threads = [threading.Thread(target=guesser, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    rounds: list[int] = []
    pushed: list[str] = []
    with cast.api("north1") as device:
        _, _, cursor, _ = device.pull_all()
        started.wait()
        while any(t.is_alive() for t in threads) or len(rounds) < 3:
            rid, patch = new_case(property_id=cast.homes["100000000001"])
            create(device, "asb_case", patch, rid)  # asserts the push was applied
            pushed.append(rid)
            r = device.pull(cursor)
            rounds.append(r.status_code)
            cursor = r.json()["next_cursor"]
        for t in threads:
            t.join()
        records, _, _, _ = device.pull_all()
    assert sum(flood.values()) == 40 * 12
    assert set(flood) <= {401, 429}, flood  # no 5xx, nothing else
    assert flood[429] > 0
    assert set(rounds) == {200} and len(rounds) >= 3
    assert {rid for rid in pushed} <= {rid for (e, rid) in records if e == "asb_case"}
    # The service is not locked: someone else signs in on a new tablet straight away.
    with httpx.Client(timeout=60) as http:
        assert _sign_in(http, cast.server, "north2", PASSWORD, address=_addr()).status_code == 200
