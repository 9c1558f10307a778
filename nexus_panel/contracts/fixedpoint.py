"""The fixed-point number format every generated contract computes in.

Why a format of its own: the EVM has no floating point, and a contract must give the same
result on every node. The Nexus step is therefore defined once more on integers, here,
and the Solidity contract and the Rust crate are generated to compute exactly this,
operation for operation (docs/contracts.md):

* A real value x is the integer ``X = x * 10**18`` (18 decimals, the usual token "wad"),
  held in signed 128 bits: ``-2**127 <= X <= 2**127 - 1``, about ±1.7e20 in real units.
  Solidity's ``int128`` and Rust's ``i128`` have exactly this range.
* ``+``, ``-`` and negation are exact; ``mul(a, b) = R(a * b, 10**18)`` and
  ``div(a, b) = R(a * 10**18, b)`` (``b > 0``), where ``R(p, d)`` is p / d rounded to the
  nearest integer, ties away from zero. The products are exact (256-bit in Solidity,
  split into limbs in Rust, unbounded here); only the result must fit.
* Every result must fit in the 128-bit range, or the step fails: Solidity's checked
  ``int128`` arithmetic reverts, Rust returns an error, and here :class:`FixedRangeError`.

Values enter through :func:`to_fixed`: the shortest decimal form of the float (``repr``,
what a user typed: 0.1 is exactly ``10**17``), rounded half away from zero at 18 decimals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import numpy as np

DECIMALS = 18
ONE = 10**DECIMALS
"""The fixed-point form of 1.0."""
MAX_RAW = 2**127 - 1
MIN_RAW = -(2**127)
"""The range of every fixed-point value (int128 / i128)."""
MAX_REAL = MAX_RAW / ONE
"""The largest real magnitude the format holds (about 1.7e20)."""
MIN_MAGNITUDE = 1e-9
"""Smallest non-zero magnitude a *parameter* may have: 18 decimals keep at least 9
significant digits of it, so its rounding stays within the 1e-9 relative bound."""

_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)


class FixedRangeError(ArithmeticError):
    """A fixed-point result left the 128-bit range (the contract would revert here)."""

    def __init__(self, value: int, step: int | None = None) -> None:
        self.value = value
        self.step = step
        where = "" if step is None else f"step {step}: "
        super().__init__(f"{where}a fixed-point value ({value / ONE:.4g}) left the int128 "
                         f"range ±{MAX_REAL:.4g}")

    def at_step(self, step: int) -> FixedRangeError:
        return FixedRangeError(self.value, step)


def fit(value: int) -> int:
    """``value`` if it lies in the int128 range, else :class:`FixedRangeError`."""
    if value > MAX_RAW or value < MIN_RAW:
        raise FixedRangeError(value)
    return value


def round_div(p: int, d: int) -> int:
    """p / d for d > 0, rounded to the nearest integer, ties away from zero."""
    q, r = divmod(-p if p < 0 else p, d)
    if 2 * r >= d:
        q += 1
    return -q if p < 0 else q


def mul(a: int, b: int) -> int:
    """Fixed-point product: R(a * b, 10**18), range-checked."""
    return fit(round_div(a * b, ONE))


def div(a: int, b: int) -> int:
    """Fixed-point quotient for b > 0: R(a * 10**18, b), range-checked."""
    return fit(round_div(a * ONE, b))


def to_fixed(x: float) -> int:
    """The fixed-point form of ``x``: its shortest decimal form rounded half away from
    zero at 18 decimals (no range check; see :func:`fit`)."""
    with localcontext(_CONTEXT):
        scaled = Decimal(repr(float(x))).scaleb(DECIMALS)
        return int(scaled.to_integral_value())


def to_fixed_array(values: np.ndarray) -> list[int]:
    """:func:`to_fixed` of every value (each distinct value converted once)."""
    unique, inverse = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True)
    converted = [to_fixed(v) for v in unique.tolist()]
    return [converted[i] for i in inverse.ravel().tolist()]


def to_float(raw: int) -> float:
    """The float nearest to ``raw / 10**18`` (Python's int division rounds correctly)."""
    return raw / ONE


def to_float_array(raws: Iterable[int]) -> np.ndarray:
    return np.array([r / ONE for r in raws], dtype=np.float64)


def format_fixed(raw: int) -> str:
    """Exact decimal text with all 18 decimals, e.g. ``-1.500000000000000000``."""
    sign = "-" if raw < 0 else ""
    whole, frac = divmod(abs(raw), ONE)
    return f"{sign}{whole}.{frac:0{DECIMALS}d}"


def parse_fixed(text: str) -> int:
    """Inverse of :func:`format_fixed`; also accepts fewer decimals or none. More than 18
    decimals, a value beyond int128, spaces or anything else is a ValueError (nothing is
    rounded or trimmed silently: the Rust binary reads exactly the same texts)."""
    match = _FIXED_TEXT.fullmatch(text)
    if match is None or len(match.group(2)) > 21:
        raise ValueError(f"not a fixed-point number with at most {DECIMALS} decimals: "
                         f"{text[:40]!r}")
    sign, whole, frac = match.groups()
    raw = int(whole) * ONE + int((frac or "").ljust(DECIMALS, "0"))
    raw = -raw if sign else raw
    if not MIN_RAW < raw <= MAX_RAW:
        raise ValueError(f"not a fixed-point number in the int128 range: {text[:40]!r}")
    return raw


_FIXED_TEXT = re.compile(rf"(-?)([0-9]+)(?:\.([0-9]{{1,{DECIMALS}}}))?", re.ASCII)
