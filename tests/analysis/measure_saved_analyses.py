"""Measure saving and reopening a saved Monte Carlo analysis (size and time), on a
temporary SQLite file and a temporary PostgreSQL database (the figures in
docs/storage.md). Not a test: run it by hand::

    .venv/bin/python tests/analysis/measure_saved_analyses.py 10000 1000
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa

from nexus_panel.analysis import MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.registry import restore_result
from nexus_panel.models import Scenario
from nexus_panel.storage import ScenarioStore

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPEATS = 5


def measure(url: str, scenario: Scenario, result: object) -> str:
    saves, loads = [], []
    with ScenarioStore(url) as store:
        for _ in range(REPEATS):
            began = time.perf_counter()
            record = store.save_analysis(scenario, "montecarlo", result)
            saves.append(time.perf_counter() - began)
            began = time.perf_counter()
            restore_result(*store.load_analysis(record.id))
            loads.append(time.perf_counter() - began)
    return (f"arrays {record.size_bytes / 1e6:.2f} MB; save median "
            f"{statistics.median(saves) * 1000:.0f} ms; load+restore median "
            f"{statistics.median(loads) * 1000:.0f} ms")


def main(n_runs: int, steps: int) -> None:
    scenario = Scenario.from_dict({"name": "bench", "params": {"num_steps": steps}})
    spec = MonteCarloSpec.from_dict({
        "scenario": scenario.to_dict(), "n_runs": n_runs,
        "parameters": [{"parameter": "alpha", "distribution": "normal", "std": 0.2},
                       {"parameter": "K_p", "distribution": "uniform"}]})
    result = run_monte_carlo(spec)
    print(f"{n_runs} runs x {steps} steps")
    print("sqlite:  ", measure(f"sqlite:///{tempfile.mkdtemp()}/bench.db", scenario, result))
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        print("postgres:", measure(url, scenario, result))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
