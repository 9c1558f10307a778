"""A feed's definition: where its rows come from, how they are read, and the transform.

Declared like the signals: each field says which source kinds use it
(``metadata["sources"]``), so validation, the canonical form (``to_dict``, what a feed
revision stores) and the CLI all read one declaration. Source kinds are classes
(``feeds.sources.Source``); declaring one adds its kind here. No secret is ever a field:
API keys and database passwords come from environment variables the feed *names*.
"""

from __future__ import annotations

import re
from typing import Any

import param

from nexus_panel.models.checks import check_values, coerce_number
from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.storage.rows import check_name

MAX_BYTES = 200 * 2**20
MAX_ROWS = 5_000_000
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
TEXT_LENGTH = 4_000
"""Longest URL, path or query."""


def _text(default: str, sources: tuple[str, ...], doc: str, label: str) -> param.String:
    return param.String(default, doc=doc, label=label, metadata={"sources": sources})


ALL = ("file", "http", "sql")
TABULAR = ("file", "http")


class FeedDefinition(param.Parameterized):
    """One feed. ``from_dict`` checks every field and reports every problem at once."""

    source = param.Selector(default="file", objects=["file", "http", "sql"],
                            label="Source", doc="Where the rows come from.",
                            metadata={"sources": ALL})
    path = _text("", ("file",), "A CSV, Parquet or JSON file.", "Path")
    url = _text("", ("http",), "An http(s) URL on the allowlist.", "URL")
    format = param.Selector(default="csv", objects=["csv", "json", "parquet"], label="Format",
                            doc="How the payload is read (http: csv or json).",
                            metadata={"sources": TABULAR})
    records_key = _text("", TABULAR, "JSON: dotted path to the list of row objects "
                        "(empty: the document is the list).", "Records key")
    sql_url = _text("", ("sql",), "SQLAlchemy URL of the database (no password: use "
                    "sql_url_env).", "Database URL")
    sql_url_env = _text("", ("sql",), "Environment variable holding the database URL.",
                        "Database URL variable")
    query = _text("", ("sql",), "One read-only SELECT.", "Query")
    api_key_env = _text("", ("http",), "Environment variable holding an API key (never "
                        "stored).", "API key variable")
    api_key_header = _text("Authorization", ("http",), "Header the key is sent in "
                           "(Authorization: as a Bearer token).", "API key header")
    time_column = _text("time", ALL, "Column of times: numbers, or date-times (read as "
                        "epoch seconds, UTC).", "Time column")
    value_columns = param.List(default=["value"], item_type=str, label="Value columns",
                               doc="Columns of values (numbers).",
                               metadata={"sources": ALL})
    scale = param.Number(1.0, bounds=(-1e12, 1e12), label="Scale",
                         doc="value * scale + offset", metadata={"sources": ALL})
    offset = param.Number(0.0, bounds=(-1e12, 1e12), label="Offset",
                          doc="value * scale + offset", metadata={"sources": ALL})
    clip_low = param.Number(None, allow_None=True, bounds=(-1e15, 1e15), label="Clip low",
                            doc="Transformed values below are raised to this.",
                            metadata={"sources": ALL})
    clip_high = param.Number(None, allow_None=True, bounds=(-1e15, 1e15), label="Clip high",
                             doc="Transformed values above are lowered to this.",
                             metadata={"sources": ALL})
    timeout_s = param.Number(10.0, bounds=(0.1, 300), label="Timeout (s)",
                             doc="Connect/read timeout; the SQL statement timeout.",
                             metadata={"sources": ("http", "sql")})
    max_bytes = param.Integer(20 * 2**20, bounds=(1, MAX_BYTES), label="Size cap (bytes)",
                              doc="Longest payload read; a longer one is refused.",
                              metadata={"sources": TABULAR})
    max_rows = param.Integer(2_000_000, bounds=(1, MAX_ROWS), label="Row cap",
                             doc="Most rows read; more are refused.",
                             metadata={"sources": ALL})

    @classmethod
    def source_fields(cls, source: str) -> list[str]:
        """The fields ``source`` uses (``source`` included), declaration order."""
        return [n for n in field_names(cls) if source in cls.param[n].metadata["sources"]]

    @classmethod
    def add_source(cls, kind: str, fields: tuple[str, ...]) -> None:
        """Declare source kind ``kind`` using ``fields`` (``feeds.sources`` calls this
        for every Source class)."""
        objects = cls.param["source"].objects
        if kind not in objects:
            objects.append(kind)
        for name in ("source", *fields):
            sources = cls.param[name].metadata["sources"]
            if kind not in sources:
                cls.param[name].metadata["sources"] = (*sources, kind)

    def to_dict(self) -> dict[str, Any]:
        """Canonical form: the source and only the fields it uses."""
        cls = type(self)
        out: dict[str, Any] = {}
        for n in self.source_fields(self.source):
            value = getattr(self, n)
            out[n] = coerce_number(cls.param[n], value) if isinstance(
                cls.param[n], param.Number) else (list(value) if isinstance(value, list)
                                                   else value)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> FeedDefinition:
        if not isinstance(data, dict):
            raise ValidationError([FieldError("feed", type(data).__name__, "a JSON object")])
        source = data.get("source", "file")
        if source not in cls.param["source"].objects:
            raise ValidationError([FieldError("source", source, " | ".join(
                cls.param["source"].objects))])
        allowed = set(cls.source_fields(source))
        errors = [FieldError(k, v, f"not a field of a {source} feed ("
                             + ", ".join(sorted(allowed)) + ")")
                  for k, v in data.items() if k not in allowed]
        errors += check_values(cls, {k: v for k, v in data.items() if k in allowed})
        errors += _field_errors(source, data)
        if errors:
            raise ValidationError(errors)
        values = {k: (coerce_number(cls.param[k], v) if isinstance(cls.param[k], param.Number)
                      else v) for k, v in data.items()}
        return cls(**values)


def _field_errors(source: str, data: dict[str, Any]) -> list[FieldError]:
    """What param cannot say: text lengths and shapes, required fields, and no secret in
    a database URL."""
    out = []
    for name, value in data.items():
        if isinstance(FeedDefinition.param[name], param.String) and (
                not isinstance(value, str) or len(value) > TEXT_LENGTH
                or (name != "query" and not value.isprintable())):
            out.append(FieldError(name, value, f"text of at most {TEXT_LENGTH} characters"
                                  + ("" if name == "query" else " on one line")))
    for name in ("api_key_env", "sql_url_env"):
        value = data.get(name, "")
        if isinstance(value, str) and value and not _ENV_NAME.match(value):
            out.append(FieldError(name, value, "an environment variable name (letters, "
                                  "digits, _)"))
    header = data.get("api_key_header", "Authorization")
    if isinstance(header, str) and not _HEADER.match(header):
        out.append(FieldError("api_key_header", header, "an HTTP header name"))
    columns = data.get("value_columns", ["value"])
    if not (isinstance(columns, list) and columns and all(
            isinstance(c, str) and c and len(c) <= 200 and c.isprintable() for c in columns)
            and len(set(columns)) == len(columns)):
        out.append(FieldError("value_columns", columns, "a list of distinct column names"))
    elif data.get("time_column", "time") in columns:
        out.append(FieldError("value_columns", columns, "columns other than the time column"))
    required = {"file": ("path",), "http": ("url",), "sql": ("query",)}.get(source, ())
    out += [FieldError(n, data.get(n, ""), "required for a " + source + " feed")
            for n in required if not data.get(n)]
    if source == "sql":
        out += _sql_url_errors(data)
    low, high = data.get("clip_low"), data.get("clip_high")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        out.append(FieldError("clip_high", high, f"at least clip_low ({low})"))
    if source == "http" and data.get("format") == "parquet":
        out.append(FieldError("format", "parquet", "csv | json for an http feed"))
    return out


def _sql_url_errors(data: dict[str, Any]) -> list[FieldError]:
    url, env = data.get("sql_url", ""), data.get("sql_url_env", "")
    if bool(url) == bool(env):
        return [FieldError("sql_url", url, "exactly one of sql_url or sql_url_env")]
    if not url:
        return []
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except Exception:
        return [FieldError("sql_url", url, "a SQLAlchemy URL")]
    if parsed.password:
        return [FieldError("sql_url", parsed.render_as_string(hide_password=True),
                           "a URL without a password (put it in the variable named by "
                           "sql_url_env: a feed stores no secret)")]
    return []


def check_feed_name(name: Any) -> str:
    """A feed's name: the same rule as a scenario's (``storage.rows.check_name``)."""
    return check_name(name, "name")
