"""Share links: the whole scenario in the address bar, and reading a link back.

Why our own encoding: ``pn.state.location.sync`` writes only values that differ from the
defaults (a link would silently change meaning when a default changes) and drops bad
hand-edited values without a word. Here the query string always carries EVERY value:

``s``
    the canonical scenario dict (``Scenario.to_dict``: schema version, name, description,
    every engine parameter, every input signal) as canonical JSON, zlib-compressed and
    base64url-encoded without padding. About 600 characters for any scenario.
``scenario`` and ``rev``
    open revision ``rev`` (default: latest) of the stored scenario ``scenario``.
``base``
    the stored revision (of the scenario's name) that the values in ``s`` started from;
    pages write it beside ``s`` so that saving later detects a newer revision saved by
    someone else meanwhile (a conflict) instead of overwriting it.
``<engine parameter>``, e.g. ``alpha=2.5``
    hand-written overrides applied on top (keys are the EngineParams names).

Reading is total: :func:`read_link` never raises; it returns the scenario to show and a
list of plain-language problems naming every bad key and value (an empty list means the
link was fully applied). Pages show those problems at the top.
"""

from __future__ import annotations

import base64
import binascii
import reprlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from nexus_panel.models import EngineParams, Scenario, ValidationError, canonical_json, parse_json

SCENARIO_KEY = "s"
STORED_NAME_KEY = "scenario"
STORED_REV_KEY = "rev"
BASE_KEY = "base"
PAGE_KEYS: tuple[str, ...] = ("analysis", "study", "page", "run")
"""Keys a page reads itself, kept in ``LinkReading.page_args`` (``analysis=<id>``: a
saved analysis, opened by the analysis pages; ``study=<name>``: a tuning study, opened by
the Tune page; ``page=<analysis>``: which analysis ``panel serve`` of
nexus_panel/pages/analysis.py shows; ``run=<name>``: the live run the Live page follows
and the Alerts page filters to)."""
THEME_KEY = "theme"
THEMES: tuple[str, ...] = ("default", "dark")
"""The page themes a link may ask for (``theme=dark``; light is the default, ``default``
being Panel's name for it)."""
MAX_TOKEN_CHARS = 20_000
"""Longer ``s`` values are refused before decoding (a scenario needs well under 1,000)."""
MAX_JSON_BYTES = 100_000
"""A token may inflate to at most this much JSON (a scenario is about 1 KB): zlib packs
up to ~1,000:1, so a 20,000-character token could otherwise become 15 MB of JSON."""

Loader = Callable[[str, int | None], tuple[Scenario, int]]
"""Loads stored scenario ``name`` at revision ``rev`` (None: latest) and says which
revision that is; raises on failure."""


def encode_scenario(scenario: Scenario) -> str:
    """The ``s=`` token of ``scenario``: base64url(zlib(canonical JSON)), no padding."""
    raw = zlib.compress(canonical_json(scenario.to_dict()).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_scenario(token: str) -> Scenario:
    """Inverse of :func:`encode_scenario`; raises ValidationError naming what is wrong."""
    from nexus_panel.models import FieldError

    def bad(allowed: str) -> ValidationError:
        shown = token if len(token) <= 40 else token[:37] + "..."
        return ValidationError([FieldError(SCENARIO_KEY, shown, allowed)])

    if len(token) > MAX_TOKEN_CHARS:
        raise bad(f"at most {MAX_TOKEN_CHARS} characters")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflate = zlib.decompressobj()
        text = inflate.decompress(raw, MAX_JSON_BYTES)
        too_big = bool(inflate.unconsumed_tail)
        data = None if too_big else parse_json(text)
    except ValidationError:
        raise bad("a scenario link token holding valid JSON (this one is malformed or "
                  "nested too deeply)") from None
    except (binascii.Error, ValueError, zlib.error):
        raise bad("a scenario link token (base64url of compressed JSON); "
                  "the link looks truncated or edited") from None
    if too_big:
        raise bad(f"a scenario link token that inflates to at most {MAX_JSON_BYTES:,} bytes")
    return Scenario.from_dict(data)


def scenario_query(scenario: Scenario) -> str:
    """The query string (with ``?``) that describes ``scenario`` completely."""
    return "?" + urlencode({SCENARIO_KEY: encode_scenario(scenario)})


@dataclass
class LinkReading:
    """What a link asked for: the scenario to show and every problem found on the way."""

    scenario: Scenario
    problems: list[str] = field(default_factory=list)
    stored: tuple[str, int] | None = None
    """(name, revision number) when the scenario was opened from storage."""
    base_revision: int | None = None
    """The stored revision the scenario's values started from (``rev`` or ``base``)."""
    page_args: dict[str, str] = field(default_factory=dict)
    """Values of PAGE_KEYS in the link, for the page to apply."""
    theme: str = "default"
    """The page theme (one of THEMES): it travels in every link, so a visitor's choice of
    light or dark follows them from page to page and back through the history."""


def _first(value: Any) -> str:
    """Query values arrive as str, bytes or lists of those (Tornado vs Location)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return str(value)


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _describe(exc: ValidationError, prefix: str = "") -> list[str]:
    # reprlib: a rejected value can be megabytes (or deeply nested) in a crafted token
    return [f"{prefix}{e.field} = {reprlib.repr(e.value)} is not allowed "
            f"(allowed: {e.allowed})" for e in exc.errors]


def read_link(query: Mapping[str, Any], loader: Loader | None = None) -> LinkReading:
    """Turn the query parameters of a page URL into a scenario plus a list of problems."""
    args = {k: _first(v) for k, v in query.items()}
    problems: list[str] = []
    scenario = Scenario()
    stored = None
    name = args.pop(STORED_NAME_KEY, None)
    rev_text = args.pop(STORED_REV_KEY, None)
    token = args.pop(SCENARIO_KEY, None)
    base_text = args.pop(BASE_KEY, None)
    page_args = {k: args.pop(k) for k in PAGE_KEYS if k in args}
    theme = args.pop(THEME_KEY, "default")
    if theme not in THEMES:
        problems.append(f"{THEME_KEY} = {reprlib.repr(theme)} is not allowed (allowed: "
                        f"{' or '.join(THEMES)}); ignored")
        theme = "default"
    if name is not None:
        scenario, stored = _load_stored(name, rev_text, loader, problems, scenario)
    elif rev_text is not None:
        problems.append(f"rev = {reprlib.repr(rev_text)} was given without scenario=NAME; "
                        "ignored")
    if token is not None:
        try:
            scenario = decode_scenario(token)
        except ValidationError as exc:
            problems += _describe(exc, "link value ")
    overrides: dict[str, Any] = {}
    for key, text in args.items():
        if key in EngineParams.names():
            overrides[key] = _number(text)
        else:
            problems.append(f"unknown link parameter {reprlib.repr(key)} "
                            f"(value {reprlib.repr(text)}); ignored")
    if overrides:
        scenario = _apply_overrides(scenario, overrides, problems)
    base = stored[1] if stored is not None else None
    if base_text is not None:
        base = _revision_number(base_text, BASE_KEY, problems)
    return LinkReading(scenario=scenario, problems=problems, stored=stored,
                       page_args=page_args, base_revision=base, theme=theme)


def _revision_number(text: str, key: str, problems: list[str]) -> int | None:
    try:
        number = int(text)
        if not 1 <= number < 2**31:
            raise ValueError
    except ValueError:
        problems.append(f"{key} = {reprlib.repr(text)} is not allowed (allowed: a revision "
                        "number 1, 2, 3 ...); ignored")
        return None
    return number


def _load_stored(name: str, rev_text: str | None, loader: Loader | None,
                 problems: list[str], fallback: Scenario
                 ) -> tuple[Scenario, tuple[str, int] | None]:
    rev: int | None = None
    if rev_text is not None:
        rev = _revision_number(rev_text, STORED_REV_KEY, problems)
        if rev is None:
            problems[-1] = problems[-1].replace("; ignored", "; showing the default scenario")
            return fallback, None
    if loader is None:
        problems.append(f"scenario = {reprlib.repr(name)} cannot be opened: scenario storage "
                        "is not available on this server; showing the default scenario")
        return fallback, None
    try:
        scenario, number = loader(name, rev)
        return scenario, (name, number)
    except Exception as exc:  # storage errors of any kind become a visible message
        which = f"revision {rev} of " if rev is not None else ""
        problems.append(f"scenario = {reprlib.repr(name)}: cannot open {which}this stored "
                        f"scenario ({exc}); showing the default scenario")
        return fallback, None


def _apply_overrides(scenario: Scenario, overrides: dict[str, Any],
                     problems: list[str]) -> Scenario:
    values = scenario.params.to_dict()
    good: dict[str, Any] = {}
    for key, value in overrides.items():
        try:
            EngineParams(**{**values, key: value})
        except ValidationError as exc:
            problems += _describe(exc)
        else:
            good[key] = value
    if not good:
        return scenario
    data = scenario.to_dict()
    data["params"] = {**values, **good}
    return Scenario.from_dict(data)
