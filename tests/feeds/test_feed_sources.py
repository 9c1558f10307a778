"""Source kinds are declared, not listed: a new class with its own fields becomes a
source of the definition, its canonical form and validation."""

from __future__ import annotations

from typing import ClassVar

import param
import pytest

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.sources import FetchContext, Fetched, Source, load_sources
from nexus_panel.models import ValidationError


def test_the_built_in_kinds_are_registered() -> None:
    assert {"file", "http", "sql"} <= set(load_sources())


def test_declaring_a_source_class_adds_its_kind_and_fields() -> None:
    class EchoSource(Source):
        kind = "echo_test"
        parameters: ClassVar[dict[str, param.Parameter]] = {
            "text": param.String("", doc="CSV text to return")}
        fields: ClassVar[tuple[str, ...]] = ("text", "max_rows")

        def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
            return Fetched(source="echo", payload=definition.text.encode())

    defined = FeedDefinition.from_dict({"source": "echo_test", "text": "time,value"})
    assert set(defined.to_dict()) == {"source", "text", "max_rows", "time_column",
                                      "value_columns", "scale", "offset", "clip_low",
                                      "clip_high"}
    assert Source.registry["echo_test"] is EchoSource
    with pytest.raises(ValidationError, match="not a field of a echo_test feed"):
        FeedDefinition.from_dict({"source": "echo_test", "url": "http://x/"})


def test_definition_errors_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        FeedDefinition.from_dict({"source": "http", "url": "", "timeout_s": 0,
                                  "value_columns": [], "api_key_env": "NOT OK"})
    assert set(caught.value.fields) == {"url", "timeout_s", "value_columns", "api_key_env"}
