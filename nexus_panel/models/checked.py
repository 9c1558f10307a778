"""Parameter types whose assignment errors are :class:`ValidationError`, like every input.

Why: ``scenario.params.alpha = 99`` went through param's own bounds check, which raises
a bare ``ValueError`` worded by param ("must be at most 5"), while every other entry
point (constructors, files, links, forms) raises ``ValidationError`` naming the field,
the value and the allowed range. These subclasses run the same check as construction
(``checks.check_number``) before param's, so both paths give the same message.
``ValidationError`` is a ``ValueError``: callers catching ``ValueError`` still work.
"""

from __future__ import annotations

from typing import Any

import param

from nexus_panel.models.checks import check_number, describe_bounds
from nexus_panel.models.errors import FieldError, ValidationError


def _check(p: param.Number, value: Any) -> None:
    allowed = check_number(p, value)
    if allowed is not None:
        raise ValidationError([FieldError(p.name or "value", value, allowed)])


class CheckedNumber(param.Number):
    """``param.Number`` whose bad assignments raise ValidationError."""

    def _validate(self, val: Any) -> None:
        _check(self, val)
        super()._validate(val)


class CheckedInteger(param.Integer):
    """``param.Integer`` whose bad assignments raise ValidationError (``5000.0`` too:
    construction coerces a whole float, but an assignment cannot change its type)."""

    def _validate(self, val: Any) -> None:
        _check(self, val)
        try:
            super()._validate(val)
        except ValueError:
            raise ValidationError([FieldError(
                self.name or "value", val, f"{describe_bounds(self)}, given as an int")]
            ) from None


def assignment_error(p: param.Number, value: Any) -> ValidationError | None:
    """The error assigning ``value`` to ``p`` would raise (None if it is allowed): what a
    form shows for a number typed outside the range, without touching the model."""
    try:
        _check(p, value)
    except ValidationError as exc:
        return exc
    return None
