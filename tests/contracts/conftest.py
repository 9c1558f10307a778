"""The real tools for executing generated code: solc-js (node_modules), cargo, web3 with
eth-tester. Missing locally: the test is skipped; with CI set: it FAILS (./dev and .ci/run
install them, so CI cannot go green without really compiling and executing)."""

from __future__ import annotations

import importlib.util
import os

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _require(check: object, what: str) -> None:
    from nexus_panel.contracts.toolchain import ToolchainError

    try:
        if callable(check):
            check()
        elif not check:
            raise ToolchainError(f"{what} is not installed")
    except ToolchainError as exc:
        if _in_ci():
            pytest.fail(f"{what} is required in CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def solidity_tools() -> None:
    from nexus_panel.contracts.toolchain import node, solc_environment

    _require(node, "node")
    _require(solc_environment, "solc-js")
    _require(importlib.util.find_spec("web3") is not None, "web3 (the contracts extra)")


@pytest.fixture(scope="session")
def rust_tools() -> None:
    from nexus_panel.contracts.toolchain import cargo

    _require(cargo, "cargo")
