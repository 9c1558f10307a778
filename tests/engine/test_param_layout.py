"""The kernels' parameter vector is EngineParams' declarations: every declared parameter
reaches the engine, and cached kernels never read a stale layout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nexus_panel import Scenario, simulate
from nexus_panel.engine import kernel
from nexus_panel.engine.simulate import param_vector
from nexus_panel.models import EngineParams

# N starts far below its target, so the controller saturates and every term matters.
BASE = {"N_initial": 100.0, "num_steps": 50}


def _changed(name: str) -> float:
    """A legal value of ``name`` other than its value in BASE (half of it, or 1 step)."""
    declared = EngineParams.param[name]
    value = BASE.get(name, declared.default)
    return value / 2 if value else declared.step


@pytest.mark.parametrize("name", EngineParams.names())
def test_every_declared_parameter_changes_the_run(name: str) -> None:
    """A parameter declared on EngineParams but never read by the kernel fails here."""
    base = simulate(Scenario(params=EngineParams(**BASE))).frame
    changed = simulate(Scenario(params=EngineParams(**{**BASE, name: _changed(name)}))).frame
    assert base.shape != changed.shape or not np.array_equal(
        base.to_numpy(), changed.to_numpy(), equal_nan=True), name


def test_vector_slots_follow_the_declarations() -> None:
    params = EngineParams(alpha=1.5, N_target=1234.0, num_steps=77)
    vector = param_vector(params)
    assert tuple(EngineParams.names()) == kernel.PARAM_ORDER
    assert vector[kernel.ALPHA] == 1.5
    assert vector[kernel.N_TARGET] == 1234.0
    assert vector[kernel.PARAM_INDEX["num_steps"]] == 77


PROBE = '''
import sys
import numba
from nexus_panel.engine import kernel
if len(sys.argv) > 1:  # pretend EngineParams gained a parameter before alpha
    kernel.LAYOUT_STAMP += 1
    kernel.ALPHA += 1

@numba.njit(cache=True)
def _layout_stamp():
    return kernel.LAYOUT_STAMP

@numba.njit(cache=True)
def alpha_slot():
    return kernel.ALPHA

kernel.ensure_fresh_cache(sys.modules[__name__], _layout_stamp)
print(alpha_slot())
'''


def test_cached_kernels_recompile_when_the_layout_changes(tmp_path: Path) -> None:
    """numba's disk cache does not see imported constants change; the stamp check does."""
    (tmp_path / "probe_kernel.py").write_text(textwrap.dedent(PROBE))

    def slot(*args: str) -> int:
        code = "import probe_kernel"
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path,
                              capture_output=True, text=True, check=False,
                              env={"PYTHONPATH": f"{tmp_path}:{Path(kernel.__file__).parents[2]}",
                                   "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    assert slot() == kernel.ALPHA  # compiled and cached
    assert slot("changed") == kernel.ALPHA + 1  # the cache is dropped, not reused
    assert slot() == kernel.ALPHA
