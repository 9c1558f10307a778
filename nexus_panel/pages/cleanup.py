"""Freeing what a closed page held in Panel's process-wide registries.

Why: Panel records every ``jslink``/``jscallback`` in ``panel.links.Callback.registry``,
a WeakKeyDictionary keyed by the source widget. Its values hold the callback's ``args``,
which reach back to the source itself (e.g. the slider and number box inside an
``EditableFloatSlider`` link each other), so the weak key never dies: each closed page
kept its widgets, its ScenarioSession and that session's results (the session-memory
test caught it).

:func:`track` runs a page build and remembers, on the document, which link sources the
build registered; when the document's session is destroyed those entries are dropped.
Only the page's own registrations are touched, so a link of another live session is never
lost. (A link created later, after the build, is not tracked: no page does that today.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

TRACKED = "_nexus_link_sources"


def _registry() -> weakref.WeakKeyDictionary[Any, Any]:
    from panel.links import Callback

    return Callback.registry


@contextmanager
def track(doc: Any) -> Iterator[None]:
    """Record the link sources registered while the block runs; drop them when ``doc``'s
    session is destroyed."""
    held = list(_registry().keys())  # kept alive, so their ids stay unique meanwhile
    before = set(map(id, held))
    try:
        yield
    finally:
        new = [source for source in list(_registry().keys()) if id(source) not in before]
        sources = getattr(doc, TRACKED, None)
        if sources is None:
            sources = weakref.WeakSet()
            setattr(doc, TRACKED, sources)
            doc.on_session_destroyed(_on_session_destroyed(sources))
        sources.update(new)
        del held


def forget(sources: weakref.WeakSet[Any]) -> int:
    """Drop the registry entries of ``sources``; returns how many were dropped."""
    registry = _registry()
    dropped = sum(registry.pop(source, None) is not None for source in list(sources))
    sources.clear()
    return dropped


def _on_session_destroyed(sources: weakref.WeakSet[Any]) -> Callable[[Any], None]:
    def destroyed(_session_context: Any) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No server loop: a throwaway document (the warm-up before --num-procs forks).
            # Never create a loop here: tornado forbids one before the fork (the workers
            # would share its epoll, and the second could not watch the listening socket).
            forget(sources)
            return
        loop.call_soon(forget, sources)  # after Panel's own clean-up of the document

    return destroyed
