"""One entry point for generating code: the language registry the CLI and the page share."""

from __future__ import annotations

from collections.abc import Callable

from nexus_panel.contracts.generated import GeneratedCode
from nexus_panel.contracts.reference import FixedParams, fixed_params
from nexus_panel.contracts.rust import generate_rust
from nexus_panel.contracts.solidity import generate_solidity
from nexus_panel.models import FieldError, Scenario, ValidationError

Generator = Callable[[Scenario, FixedParams, int | None], GeneratedCode]

LANGUAGES: dict[str, Generator] = {"solidity": generate_solidity, "rust": generate_rust}
"""Language name (CLI argument, page choice) -> generator."""


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationError([FieldError("language", language,
                                          "one of " + ", ".join(LANGUAGES))])


def generate(scenario: Scenario, language: str, revision: int | None = None) -> GeneratedCode:
    """The code of ``scenario`` in ``language``; a scenario that does not fit the
    fixed-point format raises :class:`ValidationError` naming the field."""
    check_language(language)
    fp, _ = fixed_params(scenario)
    return LANGUAGES[language](scenario, fp, revision)
