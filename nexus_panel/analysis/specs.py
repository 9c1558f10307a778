"""The common shape of an analysis spec: a ``param.Parameterized`` with a JSON form.

Every analysis (Monte Carlo, sensitivity, stability map, controller view) is described by
one spec class. Its parameter declarations are the single source of truth for the web
form (``pn.Param``), the JSON file the CLI reads, what is saved beside a scenario, and
validation. This module holds what they share: reading/writing the canonical dict,
collecting *every* bad field into one :class:`~nexus_panel.ValidationError`, and the
lists of names a spec may choose from (only the model's own parameter names and metrics).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import param

from nexus_panel.engine.kernel import SUMMARY_FIELDS
from nexus_panel.models import EngineParams, FieldError, Scenario, ValidationError, parse_json
from nexus_panel.models.checks import check_number, check_values
from nexus_panel.models.declared import field_names

VARIABLE_PARAMETERS: tuple[str, ...] = tuple(n for n in EngineParams.names() if n != "num_steps")
"""Engine parameters an analysis may vary (num_steps is one value per batch)."""

RESPONSE_FIELDS: tuple[str, ...] = (
    "settling_time", "overshoot_pct", "steady_state_error", "oscillations", "collapsed",
    "rise_time", "peak_deviation",
)
"""Per-run metrics computed from N(t) (see nexus_panel.analysis.response)."""

METRICS: tuple[str, ...] = SUMMARY_FIELDS + RESPONSE_FIELDS
"""Every per-run output an analysis can report."""

MAX_TASK_BYTES = 256 * 2**20
"""Memory one task in flight may hold (its runs' float64 trajectories, plus per-point
counters for a Monte Carlo). Without this limit a scenario with num_steps near its bound
(1e6, which a single run handles easily) made one Monte Carlo task ask for 8 GB and a
stability map's for 3.5 GB: the server process died for every session. Checked by the
specs' validation, before anything runs."""


def task_memory_errors(what: str, num_steps: int, runs_per_task: int,
                       point_bytes: int = 0) -> list[FieldError]:
    """A FieldError on the scenario's num_steps if one task of ``runs_per_task`` runs that
    keep their trajectories (plus ``point_bytes`` per time point) exceeds MAX_TASK_BYTES."""
    per_point = runs_per_task * 8 + point_bytes
    if (num_steps + 1) * per_point <= MAX_TASK_BYTES:
        return []
    most = MAX_TASK_BYTES // per_point - 1
    return [FieldError("scenario.params.num_steps", num_steps,
                       f"at most {most:,} for {what} with chunk size {runs_per_task:,} "
                       f"(each task may hold {MAX_TASK_BYTES // 2**20} MiB; a smaller chunk "
                       "size allows more)")]


S = TypeVar("S", bound="SpecBase")


def slider_range(name: str) -> tuple[float, float]:
    """The parameter's slider range (softbounds), else its hard bounds."""
    p = EngineParams.param[name]
    lo, hi = p.softbounds or p.bounds
    hard_lo, _ = p.bounds
    if lo is None or hi is None:  # pragma: no cover - every engine parameter is bounded
        raise ValueError(f"{name} has no range")
    if lo == hard_lo and not p.inclusive_bounds[0]:
        lo = float(p.step or 0.01)  # an open lower bound: start one slider step above it
    return float(lo), float(hi)


def bound_error(name: str, field: str, value: float) -> FieldError | None:
    """A FieldError if ``value`` is outside engine parameter ``name``'s hard bounds."""
    allowed = check_number(EngineParams.param[name], value)
    if allowed is None:
        return None
    return FieldError(field, value, f"{allowed} (the bounds of {name})")


class SpecBase(param.Parameterized):
    """JSON round trip and all-at-once validation, read from the parameter declarations.

    Subclasses declare plain Number/Integer/Boolean/Selector/ListSelector parameters, an
    optional ``scenario`` (a :class:`Scenario`), list fields of nested specs named in
    ``_items`` (field -> spec class) and single nested specs named in ``_objects``.
    ``_cross_errors`` adds checks across fields.
    """

    _items: ClassVar[dict[str, type[SpecBase]]] = {}
    _objects: ClassVar[dict[str, type[SpecBase]]] = {}

    def __init__(self, **params: Any) -> None:
        # param renames an instantiated Parameterized default ("Scenario00029"): a spec
        # without a scenario gets a fresh one that keeps the default name "Untitled",
        # which saving refuses (nexus_panel.analysis.saving.require_name).
        if "scenario" in type(self).param and "scenario" not in params:
            params["scenario"] = Scenario()
        super().__init__(**params)

    # --- canonical form ------------------------------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return field_names(cls)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n in self.field_names():
            value = getattr(self, n)
            if isinstance(value, Scenario | SpecBase):
                value = value.to_dict()
            elif n in self._items:
                value = [item.to_dict() for item in value]
            elif isinstance(value, list):
                value = list(value)
            out[n] = value
        return out

    def form_fields(self) -> list[str]:
        """The fields a form should show for the current values (all, by default)."""
        return self.field_names()

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls: type[S], data: Any, prefix: str = "") -> S:
        """Build and validate; unknown keys and every bad value are reported together."""
        where = prefix.rstrip(".") or cls.__name__
        if not isinstance(data, dict):
            raise ValidationError([FieldError(where, type(data).__name__, "a JSON object")])
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        simple = {}
        for key, raw in data.items():
            if key not in cls.field_names():
                errors.append(FieldError(prefix + key, raw, "one of " +
                                         ", ".join(cls.field_names())))
            elif key == "scenario":
                try:
                    values[key] = Scenario.from_dict(raw)
                except ValidationError as exc:
                    errors += exc.prefixed(prefix + "scenario").errors
            elif key in cls._items:
                items, item_errors = _items(cls._items[key], raw, prefix + key)
                values[key] = items
                errors += item_errors
            elif key in cls._objects:  # one nested spec, e.g. a network's graph
                try:
                    values[key] = cls._objects[key].from_dict(raw, prefix=f"{prefix}{key}.")
                except ValidationError as exc:
                    errors += exc.errors
            elif isinstance(cls.param[key], param.ListSelector):
                errors += _list_errors(cls.param[key], raw, prefix + key)
                values[key] = raw
            elif isinstance(cls.param[key], param.Boolean):
                if not isinstance(raw, bool):
                    errors.append(FieldError(prefix + key, raw, "true or false"))
                values[key] = raw
            elif isinstance(cls.param[key], param.String):
                if not isinstance(raw, str):
                    errors.append(FieldError(prefix + key, raw, "a string"))
                values[key] = raw
            else:
                simple[key] = raw
        errors += [FieldError(prefix + e.field, e.value, e.allowed)
                   for e in check_values(cls, simple)]
        if errors:
            raise ValidationError(errors)
        values.update({k: (float(v) if isinstance(cls.param[k], param.Number)
                           and not isinstance(cls.param[k], param.Integer) and v is not None
                           else v) for k, v in simple.items()})
        spec = cls(**values)
        spec.validate(prefix)
        return spec

    @classmethod
    def from_json(cls: type[S], text: str | bytes) -> S:
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_file(cls: type[S], path: str | Path) -> S:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError([FieldError("file", str(path),
                                              f"a readable file ({exc.strerror})")]) from None
        return cls.from_json(text)

    # --- validation ----------------------------------------------------------------------
    def validate(self, prefix: str = "") -> None:
        """Raise ValidationError naming every bad field (cross-field rules included)."""
        errors = [FieldError(prefix + e.field, e.value, e.allowed) for e in self.errors()]
        if errors:
            raise ValidationError(errors)

    def errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        for n in self._items:
            for i, item in enumerate(getattr(self, n)):
                out += [FieldError(f"{n}[{i}].{e.field}", e.value, e.allowed)
                        for e in item.errors()]
        for n in self._objects:
            out += [FieldError(f"{n}.{e.field}", e.value, e.allowed)
                    for e in getattr(self, n).errors()]
        return out + self._cross_errors()

    def _cross_errors(self) -> list[FieldError]:
        return []

    @property
    def base_scenario(self) -> Scenario:
        scenario = getattr(self, "scenario", None)
        return scenario if isinstance(scenario, Scenario) else Scenario()


def _items(item_cls: type[SpecBase], raw: Any, field: str) -> tuple[list[Any], list[FieldError]]:
    if not isinstance(raw, list):
        return [], [FieldError(field, raw, "a list of objects")]
    items, errors = [], []
    for i, entry in enumerate(raw):
        try:
            items.append(item_cls.from_dict(entry, prefix=f"{field}[{i}]."))
        except ValidationError as exc:
            errors += exc.errors
    return items, errors


def _list_errors(p: param.ListSelector, raw: Any, field: str) -> list[FieldError]:
    if not isinstance(raw, list) or not raw:
        return [FieldError(field, raw, "a non-empty list")]
    allowed = ", ".join(map(str, p.objects))
    return [FieldError(field, v, f"one of {allowed}") for v in raw if v not in p.objects]


def parameter_selector(default: str, doc: str, label: str = "Parameter") -> param.Selector:
    """A choice among the engine parameters an analysis may vary."""
    return param.Selector(default=default, objects=list(VARIABLE_PARAMETERS), label=label,
                          doc=doc)


def seed_param() -> param.Integer:
    return param.Integer(2024, bounds=(0, 2**63 - 1), label="Master seed",
                         doc="Seeds every random draw (sampled parameters and each run's "
                             "random-walk inputs): the same seed gives the same results on "
                             "any number of workers and any chunk size.")


def chunk_param() -> param.Integer:
    return param.Integer(1024, bounds=(1, 65536), label="Chunk size (runs)", precedence=-1,
                         doc="Runs per task: memory per task is about chunk size x "
                             "(num_steps + 1) x 8 bytes. Does not change any result.")


def scenario_param() -> param.ClassSelector:
    return param.ClassSelector(class_=Scenario, default=Scenario(), instantiate=True,
                               precedence=-1, doc="The base scenario every run starts from.")
