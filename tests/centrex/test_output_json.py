"""`centrex.output`: the fast JSON writer gives exactly the text of json.dumps(indent=1)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.output import _plain, emit_json_rows, to_json

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
ROWS = st.lists(st.dictionaries(st.text(max_size=5), VALUES, max_size=4), min_size=0, max_size=3)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(rows=ROWS)
def test_rows_as_json_dumps_writes_them(rows):
    want = json.dumps(_plain(rows), indent=1, ensure_ascii=False)
    if rows:
        assert to_json(rows) == want
    out = io.StringIO()
    with redirect_stdout(out):
        emit_json_rows(iter(rows))
    assert out.getvalue() == want + "\n"


def test_a_flat_dict_of_plain_scalars():
    rows = [{"a": [{"x": 1.5, "y": None, "z": "é"}, {"x": float("nan"), "t": True}], "b": Decimal("2.10")}]
    assert to_json(rows) == json.dumps(_plain(rows), indent=1, ensure_ascii=False)
