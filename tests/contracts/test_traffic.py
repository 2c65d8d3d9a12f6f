"""Erlang B and C against published table values, a high-precision reference, and their properties."""

from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.errors import InputError
from contracts.traffic import (
    channels_for_blocking,
    channels_for_blocking_many,
    channels_for_mean_wait,
    channels_for_waiting,
    erlang_b,
    erlang_b_curve,
    erlang_b_many,
    erlang_c,
    mean_wait,
    offered_traffic,
    wait_exceeds,
)


def reference_b(traffic: str, channels: int) -> Decimal:
    """Erlang B by the recursion in 40-digit decimal arithmetic: the 'exact' value."""
    with localcontext() as ctx:
        ctx.prec = 40
        a = Decimal(traffic)
        b = Decimal(1)
        for k in range(1, channels + 1):
            b = a * b / (k + a * b)
        return b


# Published Erlang B table (1 % GoS): the largest load N channels carry at 1 % blocking.
# N=5: 1.361 E, N=10: 4.461 E, N=20: 12.03 E, N=50: 37.90 E, N=100: 84.06 E.
@pytest.mark.parametrize(
    ("load", "channels"),
    [
        (10.0, 18),
        (1.36, 5),
        (1.37, 6),
        (4.46, 10),
        (4.47, 11),
        (12.03, 20),
        (12.04, 21),
        (37.90, 50),
        (37.91, 51),
        (84.06, 100),
        (84.07, 101),
    ],
)
def test_channels_for_one_percent_match_published_tables(load, channels):
    assert channels_for_blocking(load, 0.01) == channels


def test_published_blocking_values():
    assert erlang_b(10, 18) == pytest.approx(0.00714, abs=5e-6)
    assert erlang_b(2, 5) == pytest.approx(0.0367, abs=5e-5)
    assert erlang_b(5, 10) == pytest.approx(0.01838, abs=5e-6)
    assert erlang_b(1, 1) == pytest.approx(0.5)
    assert erlang_b(0, 0) == 1.0 and erlang_b(0, 3) == 0.0


@pytest.mark.parametrize(("load", "channels"), [("9900", 10000), ("1000", 900), ("0.5", 30), ("250", 300)])
def test_recursion_and_closed_form_are_exact_to_10000_channels(load, channels):
    exact = float(reference_b(load, channels))
    assert erlang_b(float(load), channels) == pytest.approx(exact, rel=1e-10)
    assert erlang_b_many(float(load), channels) == pytest.approx(exact, rel=1e-10)


def test_deep_tail_uses_the_continued_fraction_without_underflow():
    # Far more traffic than channels: the incomplete gamma underflows, the fraction takes over.
    for load, channels in [(1e4, 10), (1e4, 2500), (1e6, 10000)]:
        assert erlang_b_many(load, channels) == pytest.approx(erlang_b(load, channels), rel=1e-12)


def test_curve_is_the_recursion_one_pass():
    curve = erlang_b_curve(7.5, 20)
    assert len(curve) == 21 and curve[0] == 1.0
    assert curve[20] == pytest.approx(erlang_b(7.5, 20), rel=1e-15)


def test_fractional_channels_lie_between_whole_neighbours():
    b = erlang_b(10, 9.75)
    assert erlang_b(10, 10) < b < erlang_b(10, 9)
    assert b == pytest.approx(erlang_b_many(10, 9.75), rel=1e-12)


def test_inverse_for_ten_thousand_channels_matches_a_scan():
    n = channels_for_blocking(9900.0, 0.01)
    assert erlang_b(9900.0, n) <= 0.01 < erlang_b(9900.0, n - 1)


@settings(max_examples=budget(60), deadline=None)
@given(a=st.floats(0.01, 300), n=st.integers(0, 400))
def test_blocking_decreases_with_channels_and_increases_with_load(a, n):
    assert erlang_b(a, n + 1) <= erlang_b(a, n)
    assert erlang_b(a * 1.1, n) >= erlang_b(a, n)
    assert erlang_b_many(a, n) == pytest.approx(erlang_b(a, n), rel=1e-9, abs=1e-300)


@settings(max_examples=budget(60), deadline=None)
@given(a=st.floats(0.01, 2000), p=st.floats(1e-6, 0.5))
def test_inverse_is_the_fewest_channels(a, p):
    n = channels_for_blocking(a, p)
    assert erlang_b(a, n) <= p
    assert n == 0 or erlang_b(a, n - 1) > p


def test_vectorised_inverse_equals_scalar():
    loads = np.concatenate([np.linspace(0, 50, 101), [84.06, 84.07, 9900.0]])
    many = channels_for_blocking_many(loads, 0.01)
    assert many.tolist() == [channels_for_blocking(float(a), 0.01) for a in loads]


def test_erlang_c_reference_and_waits():
    # 10 E on 12 agents: 44.9 % of calls wait; mean wait 180 s x C / (N - A) = 40.4 s.
    assert erlang_c(10, 12) == pytest.approx(0.4494, abs=1e-4)
    assert mean_wait(10, 12, 180) == pytest.approx(40.44, abs=0.01)
    assert wait_exceeds(10, 12, 180, 0) == pytest.approx(erlang_c(10, 12))
    assert erlang_c(10, 10) == 1.0 and mean_wait(10, 9, 180) == float("inf")
    assert erlang_c(10, 12) > erlang_b(10, 12)  # waiting is likelier than loss on the same group


def test_erlang_c_inverses_are_the_fewest():
    n = channels_for_waiting(10, 0.2)
    assert erlang_c(10, n) <= 0.2 < erlang_c(10, n - 1)
    m = channels_for_mean_wait(10, 180, 20)
    assert mean_wait(10, m, 180) <= 20 < mean_wait(10, m - 1, 180)


def test_offered_traffic_from_calls_and_holding():
    assert offered_traffic(2, 180) == pytest.approx(0.1)


@pytest.mark.parametrize("gos", [0, 1, -0.1, 1.5])
def test_gos_outside_the_open_interval_is_an_input_error(gos):
    with pytest.raises(InputError, match="between 0 and 1"):
        channels_for_blocking(10, gos)


def test_negative_load_or_channels_is_an_input_error():
    with pytest.raises(InputError):
        erlang_b(-1, 3)
    with pytest.raises(InputError):
        erlang_b(1, -3)


def test_vectorised_forms_reject_negative_values():
    with pytest.raises(InputError):
        erlang_b_many([1.0, -1.0], 3)
    with pytest.raises(InputError):
        channels_for_blocking_many([1.0, -2.0], 0.01)
