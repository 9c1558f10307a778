"""A scenario: engine parameters + input signals + a name and description.

Its canonical form (``to_dict``) is what is hashed, cached, stored, put in links and
exported. ``content_hash`` covers only what changes a run (params and inputs), so two
scenarios that differ only in name share cached results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import param

from nexus_panel.models import text as text_rules
from nexus_panel.models.declared import field_names
from nexus_panel.models.engine_params import EngineParams
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.inputs import Inputs
from nexus_panel.models.legacy import from_original_export, is_original_export
from nexus_panel.models.signals import Signal

SCHEMA_VERSION = 1
"""Version of the ``to_dict`` layout; bump it (and teach ``from_dict``) on any change."""

_TOP_KEYS = {"schema_version", "name", "description", "params", "inputs"}


def canonical_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, exact float repr, NaN refused."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def parse_json(text: str | bytes, source: str | None = None) -> Any:
    """Decode JSON text; anything undecodable (bad syntax, bad UTF-8, nesting deeper than
    the parser's recursion limit) is a ValidationError on the field ``file``, which names
    ``source`` (a path) when given."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        shown = "(not JSON)" if source is None else source
        raise ValidationError([FieldError("file", shown, f"valid JSON ({exc})")]) from None


class Scenario(param.Parameterized):
    """Everything that defines one run of the Nexus model, plus its name and notes."""

    name = param.String(default="Untitled", constant=False,
                        doc="Short name, unique among saved scenarios.")
    description = param.String(default="", doc="Free-text notes about the scenario.")
    params = param.ClassSelector(class_=EngineParams, default=EngineParams(), instantiate=True,
                                 doc="Engine coefficients.")
    inputs = param.ClassSelector(class_=Inputs, default=Inputs(), instantiate=True,
                                 doc="The six input signals.")

    # --- derived values, cached until an edit ------------------------------------------
    # validate() and content_hash() walk every parameter (about 0.3 ms together), which is
    # most of simulate()'s overhead; they only change when a value does, and every value
    # is a param, so watchers on the parts say exactly when to forget them.
    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._derived: dict[str, Any] = {}
        self._watch_parts()

    def _watch_parts(self) -> None:
        self.params.param.watch(self._forget, EngineParams.names())
        self.inputs.param.watch(self._on_signal_replaced, Inputs.names())
        for signal in self.inputs.signals().values():
            signal.param.watch(self._forget, field_names(Signal))

    def _forget(self, *_events: param.parameterized.Event) -> None:
        self._derived.clear()

    def _on_signal_replaced(self, *events: param.parameterized.Event) -> None:
        for event in events:
            event.new.param.watch(self._forget, field_names(Signal))
        self._forget()

    @param.depends("params", "inputs", watch=True)
    def _on_part_replaced(self) -> None:
        self._watch_parts()
        self._forget()

    @param.depends("name", "description", watch=True)
    def _on_text_changed(self) -> None:
        self._derived.pop("warnings", None)  # the text rules are part of validate()

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered under ``key`` until the next edit of a value that
        changes a run (for values derived from params and inputs only)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    # --- canonical form ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "params": self.params.to_dict(),
            "inputs": self.inputs.to_dict(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """Build from our canonical dict or from the original app's JSON export.

        Unknown keys are errors that name them; every problem is reported at once.
        """
        if not isinstance(data, dict):
            raise ValidationError([FieldError("scenario", type(data).__name__, "a JSON object")])
        if is_original_export(data):
            return from_original_export(data)
        errors = [FieldError(k, data[k], "not a scenario key (" + ", ".join(sorted(_TOP_KEYS))
                             + ")") for k in data if k not in _TOP_KEYS]
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION or isinstance(version, bool):  # True == 1 in Python
            errors.append(FieldError("schema_version", version, str(SCHEMA_VERSION)))
        for key in ("name", "description"):
            if key in data and not isinstance(data[key], str):
                errors.append(FieldError(key, data[key], "a string"))
        parts: dict[str, Any] = {}
        for key, part, what in (("params", EngineParams, "an object of parameter values"),
                                ("inputs", Inputs, "an object of input signals")):
            raw = data.get(key, {})
            if not isinstance(raw, dict):
                errors.append(FieldError(key, raw, what))
                continue
            try:
                parts[key] = part.from_dict(raw)
            except ValidationError as exc:
                errors += exc.prefixed(key).errors
        if errors:
            raise ValidationError(errors)
        scenario = cls(name=data.get("name", "Untitled"),
                       description=data.get("description", ""), **parts)
        scenario.validate()
        return scenario

    @classmethod
    def from_json(cls, text: str | bytes, source: str | None = None) -> Scenario:
        """Decode a scenario file's text; with ``source`` (its path) every error names it."""
        try:
            return cls.from_dict(parse_json(text, source))
        except ValidationError as exc:
            raise (exc if source is None else exc.in_file(source)) from None

    def copy(self, **changes: Any) -> Scenario:
        """An independent deep copy, optionally with ``name``/``description`` changed."""
        data = self.to_dict()
        data.update(changes)
        return type(self).from_dict(data)

    # --- identity ------------------------------------------------------------------------
    def content_hash(self) -> str:
        """sha256 of the canonical params + inputs (not name/description); cached."""
        return self.derived("content_hash", self._compute_hash)

    def _compute_hash(self) -> str:
        body = canonical_json({"params": self.params.to_dict(), "inputs": self.inputs.to_dict()})
        return hashlib.sha256(body.encode()).hexdigest()

    # --- validation ----------------------------------------------------------------------
    def validate(self) -> list[str]:
        """Raise ValidationError for every bad value; return warnings (legal but suspect).

        A scenario found valid stays valid until an edit, so that answer is cached (a
        fresh list each call); errors are not, every call reports them again."""
        if "warnings" not in self._derived:
            self._check()
            self._derived["warnings"] = self.warnings()
        return list(self._derived["warnings"])

    def _check(self) -> None:
        from nexus_panel.models.checks import check_values

        errors = text_rules.NAME.errors(self.name, "name") + text_rules.DESCRIPTION.errors(
            self.description, "description")

        errors += [FieldError(f"params.{e.field}", e.value, e.allowed)
                   for e in check_values(EngineParams, self.params.to_dict())]
        for name, signal in self.inputs.signals().items():
            errors += [FieldError(f"inputs.{name}.{e.field}", e.value, e.allowed)
                       for e in signal.errors()]
        if errors:
            raise ValidationError(errors)

    def warnings(self) -> list[str]:
        notes = self.params.weight_warnings()
        for name, signal in self.inputs.signals().items():
            notes += [f"Input {name}: {n}" for n in signal.notes(self.params.num_steps)]
        return notes
