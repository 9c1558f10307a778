"""Imported runs are recomputed, and refused unless the file's numbers are the engine's.

Why: a bundle, a Parquet or a CSV file is text anyone can edit. Without this check a
bundle whose N column was multiplied by 10, or whose summary claimed a final N of 1e12,
was stored as a run with the original provenance, and from then on looked exactly like
a run this app had computed. The engine is deterministic (same scenario, same engine
version: the same numbers), so the importer runs the scenario again and compares.

What "match" means:

* same engine version: every value of every column, and every summary figure, agrees
  with the recomputed one to ``RELATIVE_TOLERANCE`` of the value (or of the column's
  largest magnitude, for values near zero; of 1 for summary figures near zero); NaN
  only where the engine has NaN. On the
  machine that made the run they agree bit for bit; the tolerance only absorbs the last
  bits a different CPU or libm may change in ``sin``/``exp``, while any edit a person
  would make (a factor, a shifted value, an invented figure) is far outside it. The
  first difference is reported as its column and step;
* another engine version: refused. Its numbers were made by other code and cannot be
  checked by this one, and storing them under this engine's provenance would be exactly
  the forgery this module prevents. Import the scenario without the file's runs
  (``with_runs=False``, ``nexus-panel import --without-runs``) and run it again;
* the seeds recorded in the provenance must be the seeds of the scenario's random inputs.

What is stored is the recomputed result (its warnings are the engine's, not the file's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nexus_panel.engine import COLUMNS, ENGINE_VERSION, SUMMARY_FIELDS, SimulationResult, simulate
from nexus_panel.models import FieldError, Scenario, ValidationError

RELATIVE_TOLERANCE = 1e-9


def verified_run(claimed: SimulationResult, provenance: dict[str, Any], where: str
                 ) -> SimulationResult:
    """The engine's own run of ``claimed.scenario`` when ``claimed`` (read from a file at
    ``where``, e.g. ``runs[0]``) holds the same numbers; else a ValidationError naming
    the first field that differs."""
    if claimed.engine_version != ENGINE_VERSION:
        raise ValidationError([FieldError(
            f"{where}.engine_version", claimed.engine_version,
            f"{ENGINE_VERSION!r}, this engine's version: a run of another engine version "
            "cannot be checked by recomputing it; import the scenario without its runs and "
            "run it again")])
    errors = _seed_errors(claimed.scenario, provenance, where)
    if errors:
        raise ValidationError(errors)
    fresh = verified_frame(claimed.scenario, claimed.frame, where)
    errors = _summary_errors(claimed, fresh, where)
    if errors:
        raise ValidationError(errors)
    return fresh


def verified_frame(scenario: Scenario, frame: pd.DataFrame, where: str) -> SimulationResult:
    """The engine's run of ``scenario`` when ``frame`` (a run's columns, read from a file
    at ``where``) holds its numbers; else a ValidationError naming the first column and
    step that differ."""
    fresh = simulate(scenario)
    errors = _frame_errors(frame, fresh, where)
    if errors:
        raise ValidationError(errors)
    return fresh


def _seed_errors(scenario: Scenario, provenance: dict[str, Any], where: str
                 ) -> list[FieldError]:
    seeds = provenance.get("seeds")
    wanted = {n: s.seed for n, s in scenario.inputs.signals().items() if s.is_random}
    if seeds is None or seeds == wanted:
        return []
    return [FieldError(f"{where}.seeds", seeds, f"{wanted}, the seeds of the scenario's "
                       "random inputs")]


def _frame_errors(frame: pd.DataFrame, fresh: SimulationResult, where: str
                  ) -> list[FieldError]:
    """The first step at which any column differs, naming the first such column."""
    if len(frame) != len(fresh.frame):
        return [FieldError(f"{where}.data", f"{len(frame)} rows",
                           f"{len(fresh.frame)} rows (num_steps + 1)")]
    first: tuple[int, int] | None = None  # (step, column index)
    for j, column in enumerate(COLUMNS):  # column by column: memory O(rows), not O(frame)
        got = frame[column].to_numpy(dtype=np.float64)
        want = fresh.frame[column].to_numpy(dtype=np.float64)
        finite = np.abs(want[np.isfinite(want)])
        bad = np.flatnonzero(~_agrees(got, want, float(finite.max()) if finite.size else 0.0))
        if bad.size and (first is None or bad[0] < first[0]):
            first = (int(bad[0]), j)
    if first is None:
        return []
    step, j = first
    column = COLUMNS[j]
    got = float(frame[column].iloc[step])
    want = float(fresh.frame[column].iloc[step])
    t = float(fresh.frame["t"].iloc[step])
    return [FieldError(f"{where}.data.{column}", got,
                       f"{want!r} at step {step} (t = {t:g}), the value this engine computes "
                       "for the file's scenario: the data does not match its scenario")]


def _summary_errors(claimed: SimulationResult, fresh: SimulationResult, where: str
                    ) -> list[FieldError]:
    for name in SUMMARY_FIELDS:
        got, want = claimed.summary[name], fresh.summary[name]
        if not _agrees(np.array([got]), np.array([want]), 1.0)[0]:
            return [FieldError(f"{where}.summary.{name}", got,
                               f"{want!r}, the value this engine computes for the file's "
                               "scenario: the summary does not match its scenario")]
    return []


def _agrees(got: np.ndarray, want: np.ndarray, scale: float) -> np.ndarray:
    """Element-wise: equal (inf included), both NaN, or within the relative tolerance of
    the larger of the value and ``scale`` (a column's largest finite magnitude; 1 for a
    summary figure, so figures that are rounding noise around zero compare sensibly)."""
    with np.errstate(invalid="ignore"):  # inf - inf: covered by the equality test
        close = np.abs(got - want) <= RELATIVE_TOLERANCE * np.maximum(np.abs(want), scale)
    return (got == want) | close | (np.isnan(got) & np.isnan(want))
