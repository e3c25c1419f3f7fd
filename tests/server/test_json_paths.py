"""JSON on the server: what ``dumps`` (``orjson``) writes reads back as the value given, and
what ``orjson`` refuses (integers beyond 64 bits, lone surrogates, non-string keys) is still
encoded, by ``json``. A push body keeps long whole numbers whole and refuses non-numbers.

The payload hash must be exactly the ``json`` one whichever encoder wrote it (``orjson``
writes some floats differently, 1.2e-7 as ``1.2e-7`` not ``1.2e-07``): a stored hash must
not change with the encoder, or a replay after an upgrade would be ``mutation_id_reused``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.routes.sync import _loads
from server.services.push import payload_hash
from server.services.rows import dumps

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=_values)
def test_dumps_round_trips(value: Any) -> None:
    assert json.loads(dumps(value)) == value


def test_what_orjson_refuses_is_still_encoded() -> None:
    huge = {"patch": {"count": 10**30}, "entity": "asb_case"}
    assert json.loads(dumps(huge)) == huge  # the integer stays whole
    assert json.loads(dumps({1: "a"})) == {"1": "a"}
    assert dumps({"a": "\ud800"}) == '{"a":"\\ud800"}'  # escaped, storable


def test_long_numbers_stay_whole_and_constants_are_refused() -> None:
    assert _loads(b'{"n": 1234567890123456789012}') == {"n": 1234567890123456789012}
    long = b'"1234567890123456789012", '
    for bad in (
        b'{"n": NaN}',
        b'{"n": -Infinity}',
        b'{"n": 1e400}',
        b'{"s": ' + long + b'"n": 1e400}',
    ):
        try:
            _loads(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def _reference_hash(m: dict[str, Any]) -> str:
    keyed = {k: m.get(k) for k in ("entity", "id", "op", "base_version", "patch")}
    raw = json.dumps(keyed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


@settings(max_examples=400, deadline=None)
@given(
    patch=st.dictionaries(st.text(max_size=8), _values, max_size=6),
    base=st.none() | st.integers(min_value=0, max_value=10**6),
)
def test_payload_hash_is_the_json_one(patch: dict[str, Any], base: int | None) -> None:
    m = {"entity": "asb_case", "id": "r1", "op": "upsert", "base_version": base, "patch": patch}
    assert payload_hash(m) == _reference_hash(m)


def test_payload_hash_of_what_orjson_writes_differently() -> None:
    for patch in (
        {"x": 1.192092896e-07},
        {"n": 10**30},
        {"a": [{"b": 1e16}]},
        {"t": "\x07\u2028é"},
    ):
        m = {"entity": "asb_case", "id": "r1", "op": "upsert", "patch": patch}
        assert payload_hash(m) == _reference_hash(m)
