"""The fixed-point format: exact conversions of typed values, rounding half away from zero
checked against exact rational arithmetic, the int128 range, and exact decimal text."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_panel.contracts.fixedpoint import (
    MAX_RAW,
    MIN_RAW,
    ONE,
    FixedRangeError,
    div,
    format_fixed,
    mul,
    parse_fixed,
    round_div,
    to_fixed,
)

raws = st.integers(MIN_RAW, MAX_RAW)


def nearest_away(exact: Fraction) -> int:
    """The integer nearest to ``exact``, ties away from zero, from first principles."""
    floor = exact.numerator // exact.denominator
    below, above = exact - floor, floor + 1 - exact
    if below < above:
        return floor
    if above < below:
        return floor + 1
    return floor + 1 if exact > 0 else floor


@pytest.mark.parametrize(("typed", "raw"), [
    (0.1, 10**17), (1e-6, 10**12), (-2.5, -25 * 10**17), (1e9, 10**27), (123.456, 123456 * 10**15),
    (1.5e-18, 2), (-1.5e-18, -2), (2.5e-18, 3), (4.9e-19, 0), (0.0, 0),
])
def test_typed_values_convert_exactly_and_round_half_away(typed: float, raw: int) -> None:
    assert to_fixed(typed) == raw


@given(st.integers(-(10**40), 10**40), st.integers(1, 10**40))
def test_round_div_is_nearest_with_ties_away_from_zero(p: int, d: int) -> None:
    assert round_div(p, d) == nearest_away(Fraction(p, d))


@pytest.mark.parametrize(("op", "exact", "divisors"), [
    (mul, lambda a, b: Fraction(a * b, ONE), raws),
    (div, lambda a, b: Fraction(a * ONE, b), st.integers(1, MAX_RAW)),
], ids=["mul", "div"])
@given(data=st.data())
def test_products_and_quotients_are_exact_results_rounded_or_refused(
        op: object, exact: object, divisors: st.SearchStrategy[int], data: st.DataObject
) -> None:
    a, b = data.draw(raws), data.draw(divisors)
    expected = nearest_away(exact(a, b))
    if MIN_RAW <= expected <= MAX_RAW:
        assert op(a, b) == expected
    else:
        with pytest.raises(FixedRangeError):
            op(a, b)


@given(st.integers(MIN_RAW + 1, MAX_RAW))
def test_decimal_text_round_trips_exactly(raw: int) -> None:
    text = format_fixed(raw)
    assert len(text.split(".")[1]) == 18
    assert parse_fixed(text) == raw


@pytest.mark.parametrize("text", ["", "-", "1.", ".5", "1e5", "+1", "1.0000000000000000001",
                                  "١٢", "1,5", "0x10", "1 2", " 5", "nan", "1" * 22,
                                  "-170141183460469231731.687303715884105728"])
def test_text_that_is_not_an_exact_decimal_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a fixed-point number"):
        parse_fixed(text)
