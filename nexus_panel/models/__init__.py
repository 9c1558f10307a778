"""What a scenario *is*: parameter classes, validation and canonical forms (no panel)."""

from nexus_panel.models.engine_params import GROUPS, EngineParams
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.inputs import INPUT_NAMES, Inputs
from nexus_panel.models.scenario import (
    SCHEMA_VERSION,
    Scenario,
    canonical_json,
    parse_json,
)
from nexus_panel.models.signals import KINDS, SIGNAL_KINDS, Signal

__all__ = [
    "GROUPS", "INPUT_NAMES", "KINDS", "SCHEMA_VERSION", "SIGNAL_KINDS", "EngineParams",
    "FieldError", "Inputs", "Scenario", "Signal", "ValidationError", "canonical_json",
    "parse_json",
]
