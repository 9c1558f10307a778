"""``nexus-panel bench --only accounts.``: one login, measured, within the issue's ~250 ms."""

from __future__ import annotations

import json

import pytest

from nexus_panel.benchmarks.accounts import LOGIN_TARGET_S
from nexus_panel.cli import main


def test_one_login_is_measured_and_stays_under_the_target(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--only", "accounts."]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {"accounts.login", "accounts.verify_password"} <= set(figures)
    # (no ratio between the two: both are tens of ms, and on a shared, loaded machine
    # one run measured verify 49 ms against login 32 ms; the bench prints them)
    assert 0 < figures["accounts.verify_password"] < LOGIN_TARGET_S
    assert 0 < figures["accounts.login"] < LOGIN_TARGET_S
