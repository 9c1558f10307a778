"""Inputs of a live run read from live feeds (an MQTT topic, a Redis stream).

An input of kind ``feed`` whose feed is an ``mqtt`` or ``redis`` source follows that
topic or stream while the run is live: each step takes the newest value received,
transformed as the feed declares (scale, offset, clip) and held inside the input's domain
(E in [0, 1], the others >= 0). Until the first message arrives the input holds the last
value of the feed's latest snapshot (or the input's default if there is none). Inputs of
kind ``feed`` on stored sources (file, HTTP, SQL) replay their pinned snapshot, which is
the accelerated replay of a stored feed.

The connection goes to the address the allowlist vetted (``feeds.live.vetted``), like
every fetch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.live import MQTT_PORTS, REDIS_PORTS, LiveSource, open_live, vetted
from nexus_panel.feeds.sources import FetchContext
from nexus_panel.models import Inputs, Scenario, Signal
from nexus_panel.models.signals import FEED_KIND

LIVE_KINDS = {"mqtt": ("broker_url", MQTT_PORTS), "redis": ("redis_url", REDIS_PORTS)}


@dataclass
class LiveInputs:
    """What a producer needs: the scenario to sample (live inputs made constant at their
    starting value), per input the function giving the newest value, and per input the
    open source (to stop, and whose stream position a checkpoint keeps)."""

    scenario: Scenario
    overrides: dict[str, Callable[[], float | None]] = field(default_factory=dict)
    sources: dict[str, LiveSource] = field(default_factory=dict)
    held_at_start: dict[str, float] = field(default_factory=dict)
    """Each live input's value until its first message (the checkpoint's, on resume)."""

    def offsets(self) -> dict[str, dict[str, Any]]:
        """What a checkpoint keeps of each live input, so a resumed run continues without
        a jump: the value the input holds now, and where its stream was read up to (a
        Redis entry id; an MQTT subscription has no offset: messages published while no
        producer is subscribed are not replayed, and the input holds its value)."""
        out: dict[str, dict[str, Any]] = {}
        for name, newest in self.overrides.items():
            value = newest()
            entry: dict[str, Any] = {"value": self.held_at_start.get(name)
                                     if value is None else value}
            source = self.sources.get(name)
            last_id = getattr(source, "last_id", None)
            if isinstance(last_id, str) and last_id != "$":
                entry["redis_id"] = last_id
            out[name] = entry
        return out

    def close(self) -> None:
        for source in self.sources.values():
            source.stop()
        self.sources.clear()


def transform(value: float, definition: FeedDefinition, domain: tuple[float, float]) -> float:
    """A received value as the feed declares it (scale, offset, clip), in the domain."""
    value = value * definition.scale + definition.offset
    if definition.clip_low is not None:
        value = max(value, definition.clip_low)
    if definition.clip_high is not None:
        value = min(value, definition.clip_high)
    return held(value, domain)


def held(value: float, domain: tuple[float, float]) -> float:
    low, high = domain
    return min(max(value, low), math.inf if high is None else high)


def live_inputs(scenario: Scenario, store: object,
                resume: dict[str, dict[str, Any]] | None = None) -> LiveInputs:
    """Open the live feeds ``scenario``'s inputs read (``store``: the ScenarioStore).
    ``resume``: a checkpoint's :meth:`LiveInputs.offsets` -- each input starts from the
    value it held and a Redis stream is read on from the entry after the last one seen."""
    resume = resume or {}
    feed_inputs = {name: s for name, s in scenario.inputs.signals().items()
                   if s.kind == FEED_KIND}
    if not feed_inputs:
        return LiveInputs(scenario)
    from nexus_panel.feeds.store import FeedStore

    feeds = FeedStore(store)  # type: ignore[arg-type]
    context = FetchContext(allowlist=frozenset((e.host, e.port) for e in feeds.allowlist()))
    out = LiveInputs(scenario.copy())
    try:
        for name, signal in feed_inputs.items():
            definition = feeds.definition(signal.feed)
            if definition.source not in LIVE_KINDS:
                continue
            url_field, ports = LIVE_KINDS[definition.source]
            saved = resume.get(name, {})
            source = open_live(definition, vetted(getattr(definition, url_field), url_field,
                                                  context, ports),
                               start_id=saved.get("redis_id"))
            source.start(timeout=definition.timeout_s)
            out.sources[name] = source
            column = signal.column or definition.value_columns[0]
            domain = Inputs.domain(name)
            start = saved.get("value")
            if start is None:
                start = _starting_value(feeds, signal.feed, column)  # transformed already
            value = Inputs().signals()[name].value if start is None else held(start, domain)
            out.held_at_start[name] = value
            setattr(out.scenario.inputs, name, Signal(kind="constant", value=value))
            out.overrides[name] = _newest(source, definition, column, domain)
        if any(s.kind == FEED_KIND for s in out.scenario.inputs.signals().values()):
            feeds.pin(out.scenario)  # stored feeds: their snapshot, for the sampler
    except BaseException:
        out.close()
        raise
    return out


def _starting_value(feeds: object, feed: str, column: str) -> float | None:
    latest = feeds.latest(feed)  # type: ignore[attr-defined]
    if latest is None:
        return None
    values = feeds.series(latest.sha256, feed).columns.get(column)  # type: ignore[attr-defined]
    return None if values is None or len(values) == 0 else float(values[-1])


def _newest(source: LiveSource, definition: FeedDefinition, column: str,
            domain: tuple[float, float]) -> Callable[[], float | None]:
    index = 1 + source.buffer.value_columns.index(column)

    def newest() -> float | None:
        row = source.buffer.latest()
        return None if row is None else transform(row[index], definition, domain)
    return newest
