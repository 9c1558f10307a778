"""A run computed span by span, for outputs too long to hold whole.

Why: a share link may ask for up to a million steps, and the export of such a run as JSON
once held the frame, a list of Python floats per column and the encoded text at the same
time (+2.2 GB for one download). :func:`stream` first runs the whole scenario once
without keeping anything (the summary figures, which file headers need), then
:meth:`RunStream.frames` runs it again and yields the frame ``chunk_steps`` rows at a
time: memory is O(chunk), whatever the run length. The spans are computed by the same
kernel code as :func:`~nexus_panel.engine.simulate` (``kernel.advance``) on the same
inputs (``Inputs.sampler``), so the rows are the rows of ``simulate(scenario).frame``, to
the last bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from nexus_panel.engine.kernel import (
    COLUMNS,
    STATE_SIZE,
    SUMMARY_FIELDS,
    advance,
    finish,
    start_state,
)
from nexus_panel.engine.result import summary_dict
from nexus_panel.engine.simulate import ENGINE_VERSION, param_vector, run_warnings
from nexus_panel.models import Scenario

CHUNK_STEPS = 65_536
"""Rows per span: about 8 MiB of frame, large enough to amortise the per-span costs."""
_NONE = np.empty(0)
_NO_ROWS = np.empty((0, len(COLUMNS)))


@dataclass
class RunStream:
    """One run whose summary is known and whose frame is produced on demand."""

    scenario: Scenario
    summary: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    engine_version: str = ENGINE_VERSION
    content_hash: str = ""

    @property
    def rows(self) -> int:
        """Time points in the frame: the steps plus the final state."""
        return self.scenario.params.num_steps + 1

    def frames(self, chunk_steps: int = CHUNK_STEPS) -> Iterator[np.ndarray]:
        """The frame as consecutive (m, len(COLUMNS)) float64 blocks; the last block ends
        with the final row. Each call computes the run again (a few milliseconds per
        100,000 steps); blocks are fresh arrays the caller may keep."""
        params = self.scenario.params
        p = param_vector(params)
        sampler = self.scenario.inputs.sampler(params.num_steps, params.delta_t)
        state = np.empty(STATE_SIZE)
        start_state(p, state)
        summary = np.empty(len(SUMMARY_FIELDS))
        remaining = params.num_steps
        while True:
            m = min(chunk_steps, remaining)
            last = m == remaining
            block = np.empty((m + (1 if last else 0), len(COLUMNS)))
            advance(p, sampler.take(m), state, block[:m], _NONE)
            remaining -= m
            if last:
                finish(p, state, block[m], summary)
                yield block
                return
            yield block


def stream(scenario: Scenario) -> RunStream:
    """Validate ``scenario`` and compute its summary without keeping the frame.

    Raises :class:`nexus_panel.ValidationError` (naming every bad field) before any work.
    """
    notes = scenario.validate()
    params = scenario.params
    p = param_vector(params)
    sampler = scenario.inputs.sampler(params.num_steps, params.delta_t)
    state = np.empty(STATE_SIZE)
    start_state(p, state)
    remaining = params.num_steps
    while remaining:
        m = min(CHUNK_STEPS, remaining)
        advance(p, sampler.take(m), state, _NO_ROWS, _NONE)
        remaining -= m
    summary = np.empty(len(SUMMARY_FIELDS))
    finish(p, state, _NONE, summary)
    figures = summary_dict(summary)
    return RunStream(scenario=scenario, summary=figures,
                     warnings=notes + run_warnings(params, figures),
                     content_hash=scenario.content_hash())
