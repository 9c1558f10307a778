"""Session timers that do not touch Panel's global "busy" state.

Why not ``pn.state.add_periodic_callback``: Panel marks the whole process busy around
every run of such a callback, and every session's busy indicator watches that one flag.
So one session's timer made every open page update its indicator (a design and style
lookup each time): with a Live page draining every 50 ms, n viewers cost the server
n² indicator updates, and with two viewers a click on Pause waited seconds. A timer
started here is still scoped to its session (stopped when the session is destroyed)
but runs in the background as far as the busy indicator is concerned.
"""

from __future__ import annotations

from collections.abc import Callable

from panel.io.callbacks import PeriodicCallback


def session_timer(callback: Callable[[], object], period_ms: int) -> PeriodicCallback:
    """Call ``callback`` every ``period_ms`` on the current session's event loop, without
    flipping the process-wide busy indicator; returns the timer (``stop()`` ends it)."""
    timer = PeriodicCallback(callback=callback, period=period_ms, background=True)
    timer.start()
    return timer
