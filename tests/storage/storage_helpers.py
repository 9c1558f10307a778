"""Helpers shared by the storage tests: scenarios to save, and raw SQL as another client."""

from __future__ import annotations

import sqlalchemy as sa

from nexus_panel.models import EngineParams, Inputs, Scenario


def make_scenario(name: str = "baseline", num_steps: int = 200, **params: float) -> Scenario:
    return Scenario(name=name, params=EngineParams(num_steps=num_steps, **params))


def random_scenario(name: str = "shocks", num_steps: int = 5000) -> Scenario:
    """Random walk, sinusoid and pulse inputs: non-trivial series in every column."""
    inputs = Inputs.from_dict({
        "H": {"kind": "random_walk", "initial": 100, "volatility": 5, "seed": 7},
        "E": {"kind": "sinusoidal", "offset": 0.7, "amplitude": 0.2, "frequency": 0.05},
        "C_cons": {"kind": "pulse", "baseline": 60, "pulse_height": 30, "pulse_width": 5,
                   "pulse_period": 50},
    })
    return Scenario(name=name, description="shock test",
                    params=EngineParams(num_steps=num_steps, alpha=1.3), inputs=inputs)


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run raw SQL as a separate client would (tampering, rogue writers)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
