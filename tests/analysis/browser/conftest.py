"""Browser tests of the analysis pages reuse the UI suite's harness (one real
``nexus-panel serve`` subprocess, Debian's chromium) rather than a second copy of it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_UI = Path(__file__).resolve().parents[2] / "ui"
sys.path.insert(0, str(_UI))  # for pw_helpers
_spec = importlib.util.spec_from_file_location("nexus_ui_harness", _UI / "conftest.py")
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

server = harness.server
base_url = harness.base_url
browser_type_launch_args = harness.browser_type_launch_args
browser_context_args = harness.browser_context_args


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
server_store = harness.server_store
