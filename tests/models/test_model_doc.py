"""docs/model.md says what the code declares: every parameter with its default and
ranges, every input with its domain, every signal kind, every summary figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_doc import input_rows, kind_rows, parameter_rows

from nexus_panel.engine import SUMMARY_FIELDS

DOC = (Path(__file__).parents[2] / "docs" / "model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("row", parameter_rows() + input_rows() + kind_rows())
def test_declared_row_is_in_the_document(row: str) -> None:
    """Regenerate with ``python tests/models/model_doc.py`` after changing a declaration."""
    assert row in DOC


def test_every_summary_figure_is_explained() -> None:
    assert [f for f in SUMMARY_FIELDS if f"`{f}`" not in DOC] == []
