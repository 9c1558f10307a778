"""Which scenario an analysis is saved under: a name someone chose, never a default.

Why: saving an analysis saves its scenario too. A scenario nobody named ("Untitled")
would collect the analyses of every user as revisions of one shared scenario, so the CLI
(``--save`` without ``--name`` or a named scenario) and the pages refuse it with a
message that says how to give a name.
"""

from __future__ import annotations

from nexus_panel.models import FieldError, Scenario, ValidationError

UNNAMED = "Untitled"
"""The name of a scenario nobody named (``Scenario``'s default)."""


def is_named(scenario: Scenario) -> bool:
    """Whether ``scenario`` carries a name someone gave it."""
    return bool(scenario.name.strip()) and scenario.name != UNNAMED


def named_scenario(scenario: Scenario, name: str | None, how: str) -> Scenario:
    """``scenario`` under ``name`` (when given), else itself if it is named; otherwise a
    ValidationError on ``name`` saying ``how`` to give one."""
    if name is not None and name.strip():
        return scenario.copy(name=name.strip())
    if is_named(scenario):
        return scenario
    raise ValidationError([FieldError(
        "name", scenario.name,
        f"a scenario name to save the analysis under ({how}); an unnamed scenario would "
        f"be shared by everyone's analyses")])
