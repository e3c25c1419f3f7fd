"""JSON on the server: what ``dumps`` (``orjson``) writes reads back as the value given, and
what ``orjson`` refuses (integers beyond 64 bits, lone surrogates, non-string keys) is still
encoded, by ``json``. A push body keeps long whole numbers whole and refuses non-numbers.

(The payload hash stays on ``json``: ``orjson`` writes some floats differently, 1.2e-7 as
``1.2e-7`` not ``1.2e-07``, and a stored hash must not change with the encoder.)
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.routes.sync import _loads
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
