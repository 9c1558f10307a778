"""Storage figures, on a temporary SQLite file (never the user's database).

Targets (issue 3): saving a revision with a 5,000-step run under 50 ms on SQLite; listing
1,000 scenarios filtered by a parameter range under 50 ms; loading a stored run back into
a result under 20 ms. The run's stored size is reported in the notes.

With ``NEXUS_BENCH_PG_URL`` set (a PostgreSQL URL whose user may create databases) the
same figures are also measured on PostgreSQL (``storage.pg.*``), each in a temporary
database that is dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from nexus_panel.benchmarks import Figure, median_seconds, selected
from nexus_panel.engine import simulate
from nexus_panel.models import EngineParams, Inputs, Scenario
from nexus_panel.storage import ScenarioStore

STEPS = 5_000
LISTED = 1_000


def _scenario(name: str, alpha: float) -> Scenario:
    inputs = Inputs.from_dict({"H": {"kind": "random_walk", "seed": 11},
                               "E": {"kind": "sinusoidal", "offset": 0.7, "amplitude": 0.2}})
    return Scenario(name=name, params=EngineParams(num_steps=STEPS, alpha=alpha), inputs=inputs)


StoreFactory = Callable[[], AbstractContextManager[ScenarioStore]]


@contextmanager
def _sqlite_store() -> Iterator[ScenarioStore]:
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder, \
            ScenarioStore(f"sqlite:///{Path(folder) / 'bench.db'}") as store:
        yield store


@contextmanager
def _pg_store() -> Iterator[ScenarioStore]:
    import sqlalchemy as sa

    admin_url = sa.make_url(os.environ["NEXUS_BENCH_PG_URL"]).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"nexus_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        with ScenarioStore(admin_url.set(database=name)) as store:
            yield store
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _save_with_run(name: str, opened: StoreFactory, where: str) -> Figure:
    """A new revision plus its 5,000-step run, each in its own transaction (the results
    are computed beforehand: this times storage, not the engine)."""
    results = [simulate(_scenario("bench", a)) for a in (1.0, 1.1)]
    turn = iter(range(10**9))
    with opened() as store:
        def save() -> None:
            result = results[next(turn) % 2]  # alternate: every save is a new revision
            store.record_run(store.save(result.scenario, message="bench"), result)
        seconds = median_seconds(save, repeats=21, quick_repeats=5)
        size = store.runs("bench")[-1].size_bytes
    return Figure(name, seconds, _target(where, 0.05),
                  f"{where}; revision + run with a {STEPS:,}-step time series of "
                  f"{size / 1000:.0f} kB (zlib float64, random-walk and sine inputs)")


def _list_filtered(name: str, opened: StoreFactory, where: str) -> Figure:
    with opened() as store:
        scenarios = [Scenario(name=f"s{i:04d}", params=EngineParams(alpha=(i % 50) / 10))
                     for i in range(LISTED)]
        store.save_many(scenarios)
        found = store.list(alpha=(1.5, 3.0))
        seconds = median_seconds(lambda: store.list(alpha=(1.5, 3.0)), repeats=21,
                                 quick_repeats=5)
    return Figure(name, seconds, _target(where, 0.05),
                  f"{where}; {LISTED:,} scenarios, alpha in [1.5, 3] matches {len(found)}, "
                  "each returned with its latest revision's parameters")


def _load_run(name: str, opened: StoreFactory, where: str) -> Figure:
    with opened() as store:
        result = simulate(_scenario("bench", 1.0))
        run = store.record_run(store.save(result.scenario), result)
        seconds = median_seconds(lambda: store.load_run(run.id), repeats=21, quick_repeats=5)
    return Figure(name, seconds, _target(where, 0.02),
                  f"{where}; read {run.size_bytes / 1000:.0f} kB and decode into a "
                  f"SimulationResult of {STEPS + 1:,} rows")


def _target(where: str, seconds: float) -> float | None:
    return seconds if where == "SQLite" else None  # the issue sets targets for SQLite


def figures() -> list[Figure]:
    places: list[tuple[str, str, StoreFactory]] = [("storage.", "SQLite", _sqlite_store)]
    if os.environ.get("NEXUS_BENCH_PG_URL"):
        places.append(("storage.pg.", "PostgreSQL", _pg_store))
    out = []
    for prefix, where, opened in places:
        for what, measure in (("save_revision_with_5k_run", _save_with_run),
                              ("list_1000_filtered", _list_filtered),
                              ("load_run_5k_steps", _load_run)):
            if selected(prefix + what):
                out.append(measure(prefix + what, opened, where))
    return out
