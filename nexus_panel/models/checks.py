"""Checking raw values against param declarations, collecting every problem.

param itself stops at the first bad value with a message that does not say what is
allowed, and lets NaN through bounds it cannot compare. These helpers read the same
declarations (bounds, inclusive_bounds, allow_None, objects) so validation never drifts
from the sliders and database columns generated from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import param

from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import FieldError


def describe_bounds(p: param.Number) -> str:
    """Human text for what a numeric parameter accepts, e.g. ``a number in (0, 1]``."""
    kind = "a whole number" if isinstance(p, param.Integer) else "a finite number"
    if p.bounds is None:
        text = kind
    else:
        lo, hi = p.bounds
        inc_lo, inc_hi = p.inclusive_bounds
        if lo is not None and hi is not None:
            text = f"{kind} in {'[' if inc_lo else '('}{lo:g}, {hi:g}{']' if inc_hi else ')'}"
        elif lo is not None:
            text = f"{kind} {'≥' if inc_lo else '>'} {lo:g}"
        else:
            text = f"{kind} {'≤' if inc_hi else '<'} {hi:g}"
    if p.allow_None:
        text += ", or null"
    return text


def check_number(p: param.Number, value: Any) -> str | None:
    """Return what is allowed if ``value`` is not acceptable for ``p``, else None."""
    if value is None:
        return None if p.allow_None else describe_bounds(p)
    if isinstance(value, bool):
        return describe_bounds(p)
    if isinstance(p, param.Integer):
        whole = isinstance(value, Integral) or (
            isinstance(value, Real) and math.isfinite(value) and float(value).is_integer())
        if not whole:
            return describe_bounds(p)
    elif not isinstance(value, Real):
        return describe_bounds(p)
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an int beyond the float range (JSON can carry one)
        finite = False
    if not finite:
        return describe_bounds(p)
    if p.bounds is not None:
        lo, hi = p.bounds
        inc_lo, inc_hi = p.inclusive_bounds
        if lo is not None and (value < lo or (value == lo and not inc_lo)):
            return describe_bounds(p)
        if hi is not None and (value > hi or (value == hi and not inc_hi)):
            return describe_bounds(p)
    return None


def coerce_number(p: param.Number, value: Any) -> Any:
    """Normalise an accepted value to the parameter's type (int for Integer, float else)."""
    if value is None:
        return None
    return int(value) if isinstance(p, param.Integer) else float(value)


def check_values(
    cls: type[param.Parameterized], values: Mapping[str, Any], names: list[str] | None = None
) -> list[FieldError]:
    """Check ``values`` against the numeric/selector parameters of ``cls``.

    Unknown keys are errors too (a typo must never be silently ignored). Only the
    parameters in ``names`` (default: all given keys) are checked.
    """
    errors: list[FieldError] = []
    known = cls.param
    fields = set(field_names(cls))
    for key, value in values.items():
        if key not in fields:
            errors.append(FieldError(key, value, "not a known field"))
            continue
        if names is not None and key not in names:
            continue
        p = known[key]
        if isinstance(p, param.Number):
            allowed = check_number(p, value)
            if allowed is not None:
                errors.append(FieldError(key, value, allowed))
        elif isinstance(p, param.Selector) and value not in p.objects:
            errors.append(FieldError(key, value, "one of " + ", ".join(map(str, p.objects))))
    return errors
