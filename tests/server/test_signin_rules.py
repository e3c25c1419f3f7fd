"""Sign-in protections as pure rules: the throttle (time as a parameter), the password
policy, the dummy hash and the bounded hashing pool. The live attack is in
``test_signin_attack.py``."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from fieldapp.demo import generate_demo
from server.services import auth
from server.services.passwords import HashPool, policy_problem
from server.services.throttle import Limits, Rule, SignInThrottle

ATTACKER, OFFICE = "198.51.100.7", "192.0.2.10"


def _fail(t: SignInThrottle, user: str, addr: str, *, now: float, known: bool = False) -> float:
    return t.attempt(user, addr, known_device=known, now=now)


def test_one_address_guessing_one_user_backs_off_exponentially_and_boundedly() -> None:
    t = SignInThrottle()
    for i in range(5):  # the free tries
        assert _fail(t, "ann", ATTACKER, now=i * 0.01) == 0
    assert _fail(t, "ann", ATTACKER, now=0.05) == pytest.approx(1.0, abs=0.02)
    waits = []
    now = 0.05
    for _ in range(15):  # each try made as soon as it is allowed
        now += _fail(t, "ann", ATTACKER, now=now) + 0.001
        assert _fail(t, "ann", ATTACKER, now=now) == 0
        waits.append(_fail(t, "ann", ATTACKER, now=now))
    assert waits[0] == pytest.approx(2.0, abs=0.01) and waits[1] == pytest.approx(4.0, abs=0.01)
    assert max(waits) == pytest.approx(Limits().pair.cap)  # never more than the cap


def test_a_refused_try_is_not_counted_so_a_flood_cannot_extend_the_wait() -> None:
    t = SignInThrottle()
    for i in range(6):
        _fail(t, "ann", ATTACKER, now=i * 0.001)
    first = _fail(t, "ann", ATTACKER, now=0.01)
    for k in range(1000):  # hammering while refused
        _fail(t, "ann", ATTACKER, now=0.01 + k * 0.0001)
    assert _fail(t, "ann", ATTACKER, now=0.5) == pytest.approx(first - 0.49, abs=0.01)
    assert _fail(t, "ann", ATTACKER, now=0.01 + first + 0.001) == 0


def test_a_flood_from_one_address_does_not_touch_other_addresses() -> None:
    t = SignInThrottle()
    for i in range(200):  # spraying many usernames
        _fail(t, f"user{i}", ATTACKER, now=1.0)
    assert _fail(t, "user1", ATTACKER, now=1.0) > 0
    assert _fail(t, "bob", ATTACKER, now=1.0) > 0  # the address itself is slowed
    assert _fail(t, "bob", OFFICE, now=1.0) == 0  # everyone else is not
    assert _fail(t, "user1", OFFICE, now=1.0) == 0


def test_guessing_one_user_from_many_addresses_never_locks_out_their_own_tablet() -> None:
    t = SignInThrottle()
    for i in range(500):  # a botnet, one try per address
        _fail(t, "ann", f"10.0.{i // 250}.{i % 250}", now=1.0)
    assert _fail(t, "ann", OFFICE, now=1.0) > 0  # a new tablet waits …
    assert _fail(t, "ann", OFFICE, now=1.0) <= Limits().username.cap  # … a bounded time
    assert _fail(t, "ann", OFFICE, now=1.0, known=True) == 0  # her own tablet does not


def test_success_clears_the_pair_and_refunds_the_other_buckets() -> None:
    t = SignInThrottle(Limits(pair=Rule(2, 1, 10, 100), address=Rule(2, 1, 10, 100)))
    _fail(t, "ann", OFFICE, now=0)
    t.succeeded("ann", OFFICE, known_device=False)
    _fail(t, "ann", OFFICE, now=0)
    t.succeeded("ann", OFFICE, known_device=False)
    assert _fail(t, "ann", OFFICE, now=0) == 0 and _fail(t, "bob", OFFICE, now=0) == 0
    assert _fail(t, "cy", OFFICE, now=0) > 0  # two failures counted at the address, not four


def test_buckets_are_forgotten_and_bounded_in_number() -> None:
    t = SignInThrottle(Limits(max_buckets=50))
    for i in range(6):
        _fail(t, "ann", ATTACKER, now=i)
    assert _fail(t, "ann", ATTACKER, now=6) > 0
    assert _fail(t, "ann", ATTACKER, now=6 + Limits().pair.forget + 1) == 0
    for i in range(1000):
        _fail(t, f"u{i}", f"a{i}", now=10)
    assert len(t._buckets) <= 50


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("elevenchars", False),
        ("passwordpassword", False),  # in the bundled list
        ("Password2024!", False),  # its core is "password"
        ("123456789012", False),
        ("aaaaaaaaaaaa", False),
        ("abcabcabcabc", False),
        ("qwertyuiop12", False),  # core "qwertyuiop" is common
        ("ann.jones.2026", False),  # the username, dressed up
        ("ann.jonesann.jones", False),  # the username twice
        ("2annjones2annjones", False),  # its letters, repeated with digits between
        ("ANN.JONES-x!", False),  # the username and a few characters
        ("qwertyuiopasdfgh", False),  # a run along the keyboard
        ("0987654321poiu", False),  # and backwards
        ("ann.jones-walks-oak-house", True),  # the username inside a real passphrase
        ("oak-house-walkabout", True),
        ("correct horse battery", True),
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    problem = policy_problem(password, username="ann.jones")
    assert (problem is None) == ok, problem


def test_the_demo_passwords_meet_the_policy() -> None:
    for user in generate_demo().users:
        assert policy_problem(user.password, username=user.username) is None, user.username


def test_the_dummy_hash_is_a_real_hash_with_the_parameters_of_real_ones() -> None:
    dummy, real = auth.dummy_hash().split("$"), auth.hash_password("x" * 12).split("$")
    assert len(dummy) == len(real) == 6
    assert dummy[:4] == real[:4]  # scheme, n, r, p
    assert [len(part) for part in dummy[4:]] == [len(part) for part in real[4:]]
    assert auth.check_password("anything at all", auth.dummy_hash()) is False


def test_the_hash_pool_runs_at_most_its_workers_at_once_and_refuses_past_its_queue() -> None:
    pool = HashPool(workers=2, max_waiting=3)
    running, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def work() -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(30)
        with lock:
            running -= 1
        return True

    async def flood() -> list[bool | None]:
        tasks = [asyncio.ensure_future(pool.run(work)) for _ in range(9)]
        deadline = time.monotonic() + 30
        while sum(t.done() for t in tasks) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # the 4 refused ones answer at once
        release.set()
        return list(await asyncio.gather(*tasks))

    try:
        results = asyncio.run(flood())
    finally:
        pool.shutdown()
    assert results.count(None) == 4 and results.count(True) == 5
    assert peak == 2
