"""Benchmarks behind ``nexus-panel bench``: every figure measured in one run, on this machine.

Why one run: ratios between figures taken minutes apart on a shared machine mean little;
taken in one process they compare like with like. Each figure is also divided by the
baseline, a plain-Python loop of the spec (``reference.py``), which makes numbers from
different machines roughly comparable.

The protocol (how to add benchmarks)
------------------------------------
Any module in this package that defines ``figures() -> list[Figure]`` is discovered by
``nexus-panel bench`` (modules without it, such as ``reference``, are ignored). Rules:

* Name figures ``"<module>.<what>"`` (e.g. ``"storage.save_run_10k_steps"``): the module
  prefix is how ``--only PREFIX`` selects figures, and modules whose name cannot match the
  prefix are not even imported.
* Time with :func:`median_seconds`; it honours ``--quick`` (fewer repeats, for CI smoke).
  Use :func:`quick` to shrink expensive set-ups, and :func:`selected` to skip work for a
  figure that ``--only`` excluded.
* Set ``target`` (seconds) where the issue states one, else None; put what was measured
  (sizes, per-item cost) in ``note``. Never write to the user's real cache or database:
  use temporary directories / SQLite files.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

BASELINE = "engine.python_loop_10k_steps"
"""The figure every other one is divided by."""


@dataclass(frozen=True)
class Figure:
    """One benchmark result: a median in seconds (or in ``unit``), the target it should meet
    (or None)."""

    name: str
    seconds: float
    """The measured value: seconds, unless ``unit`` says otherwise."""
    target: float | None = None
    note: str = ""
    unit: str = "s"
    """"s" for times (shown with their ratio to the baseline), "MiB" for memory."""

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.seconds <= self.target


@dataclass
class _Settings:
    quick: bool = False
    only: str = ""


_SETTINGS = _Settings()


def quick() -> bool:
    """True under ``--quick``: use fewer repeats and smaller set-ups."""
    return _SETTINGS.quick


def selected(name: str) -> bool:
    """Whether figure ``name`` is wanted under ``--only`` (the baseline always is)."""
    return name == BASELINE or name.startswith(_SETTINGS.only)


@contextmanager
def settings(*, quick: bool = False, only: str = "") -> Iterator[None]:
    """Run benchmarks with these settings (used by the command and by tests)."""
    saved = (_SETTINGS.quick, _SETTINGS.only)
    _SETTINGS.quick, _SETTINGS.only = quick, only
    try:
        yield
    finally:
        _SETTINGS.quick, _SETTINGS.only = saved


def median_seconds(fn: Callable[[], object], repeats: int = 15, *, warmup: int = 1,
                   quick_repeats: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls (``quick_repeats`` under --quick),
    after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(quick_repeats if quick() else repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def benchmark_modules(only: str = "") -> list[ModuleType]:
    """Modules of this package defining ``figures()`` that could match ``only``."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        prefix = info.name + "."
        if only and not (prefix.startswith(only) or only.startswith(prefix)
                         or BASELINE.startswith(prefix)):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "figures", None)):
            found.append(module)
    return found


def collect(*, quick: bool = False, only: str = "") -> list[Figure]:
    """Every selected figure from every benchmark module, measured now, baseline first."""
    out: list[Figure] = []
    with settings(quick=quick, only=only):
        for module in benchmark_modules(only):
            out += [f for f in module.figures() if selected(f.name)]
    out.sort(key=lambda f: f.name != BASELINE)
    return out
