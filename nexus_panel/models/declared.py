"""Which of a Parameterized class's parameters are declared fields, in one place.

Every param class carries param's own ``name`` parameter (an automatic instance label
such as ``Scenario00029``); it is never part of a canonical form, a list of fields or a
widget list. Lumen keeps the same rule as ``_internal_params``; here every catalogue that
walks ``cls.param`` asks :func:`field_names` instead of repeating the filter.
"""

from __future__ import annotations

import param

INTERNAL_PARAMS: frozenset[str] = frozenset({"name"})
"""Parameters param adds to every class; not fields of the model."""


def field_names(cls: type[param.Parameterized] | param.Parameterized,
                *, exclude: tuple[str, ...] = ()) -> list[str]:
    """The declared fields of ``cls``, in declaration order, minus ``exclude``."""
    return [n for n in cls.param if n not in INTERNAL_PARAMS and n not in exclude]
