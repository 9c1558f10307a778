"""Shared scenarios for the analysis tests: small runs so the whole folder stays fast."""

from __future__ import annotations

from typing import Any

import pytest

from nexus_panel.models import Scenario


def scenario_dict(num_steps: int = 200, **params: Any) -> dict[str, Any]:
    return {"params": {"num_steps": num_steps, **params}}


@pytest.fixture
def walk_scenario() -> dict[str, Any]:
    """A scenario whose human contribution H is a random walk (so runs need seeds)."""
    return Scenario.from_dict({
        "params": {"num_steps": 200},
        "inputs": {"H": {"kind": "random_walk", "initial": 100, "volatility": 5, "seed": 7}},
    }).to_dict()
