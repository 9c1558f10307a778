"""One user's working scenario and its latest run, shared by every view of a page.

Why a session object: the editors bind their widgets to the parameters of ONE live
:class:`~nexus_panel.models.Scenario` (its ``params`` and the six ``Signal`` objects are
never replaced, only their values), and everything that shows results (KPIs, plots, the
URL) listens to this object's ``result``/``version``. Loading another scenario therefore
copies values into the live objects (:meth:`ScenarioSession.apply`), so every widget stays
bound and the plots update in place.

Each change triggers one run through the disk memo (``cached_simulate``) on a snapshot of
the scenario. Bad values never crash the page: the ValidationError is kept in ``error``
(the views show it inline, and :func:`nexus_panel.views.notices.notify_errors` as a
toast); the last good result stays on screen.

Why not in views/: this is the page's model, not something shown. It imports no view;
in a served page it uses Panel only to schedule work on its document's event loop.

Where runs happen: in a notebook, at once. In a served page, small runs (at most
``settings.small_steps`` steps, a few milliseconds) also at once, and longer ones in the
large lane of :mod:`nexus_panel.engine.work`, off the event loop, so a million-step run in
one session never stalls another session's slider. While one is computing, ``busy`` is
True; edits made meanwhile are coalesced: only the latest is run next, and a result that
a newer edit has overtaken is dropped, never shown. Runs longer than the server's
``max_steps`` budget are refused with a message naming ``num_steps`` and the limit.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import param

from nexus_panel.engine import SimulationResult
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal, ValidationError
from nexus_panel.models.declared import field_names

log = logging.getLogger(__name__)

LIVE_SESSIONS: weakref.WeakSet[ScenarioSession] = weakref.WeakSet()
"""Every session object not yet garbage-collected (what ``/status`` counts): closed pages
must leave this set, or something global still holds them."""


def _signal_values(signal: Signal) -> dict[str, Any]:
    return {n: getattr(signal, n) for n in field_names(signal)}


def _served_document() -> Any | None:
    """The Bokeh document of the server session being built, or None (notebook, tests)."""
    import panel as pn

    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context is not None else None


class ScenarioSession(param.Parameterized):
    """The live scenario of one page, its latest result and the last error."""

    scenario = param.ClassSelector(class_=Scenario, constant=True,
                                   doc="The live scenario; its parts are edited in place.")
    result = param.Parameter(default=None, doc="The SimulationResult of the current values.")
    error = param.String(default="", doc="Why the current values cannot run ('' when they can).")
    version = param.Integer(default=0, doc="Bumped after every change of the scenario.")
    busy = param.Boolean(default=False, doc="A long run is being computed off the event "
                         "loop; ``result`` still shows the previous values.")
    base_revision = param.Integer(default=None, allow_None=True, bounds=(1, None), doc=(
        "The stored revision of the scenario's name that the live values started from "
        "(None: not loaded from storage). Saving passes it, so that a revision someone "
        "else saved meanwhile is reported as a conflict instead of being overwritten."))

    def __init__(self, scenario: Scenario | None = None, **params: Any) -> None:
        live = Scenario() if scenario is None else Scenario.from_dict(scenario.to_dict())
        super().__init__(scenario=live, **params)
        self._held = 0
        self._dirty = False
        self._doc = _served_document()
        self._generation = 0
        self._running = False
        self._pending: tuple[int, Scenario] | None = None
        self._watch_parts()
        LIVE_SESSIONS.add(self)
        self.run()

    # --- wiring ---------------------------------------------------------------------------
    def _watch_parts(self) -> None:
        params = self.scenario.params
        params.param.watch(self._on_change, EngineParams.names())
        signal_names = field_names(Signal)
        for signal in self.scenario.inputs.signals().values():
            signal.param.watch(self._on_change, signal_names)
        self.scenario.param.watch(self._on_change, ["name", "description"])

    def _on_change(self, *events: param.parameterized.Event) -> None:
        if any(e.name == "name" for e in events):
            self.base_revision = None  # another name: the stored revision is not its base
        if self._held:
            self._dirty = True
            return
        self.run()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Group several edits into one run (and one URL update) at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._dirty:
                self._dirty = False
                self.run()

    # --- running --------------------------------------------------------------------------
    def snapshot(self) -> Scenario:
        """An independent copy of the current values (raises ValidationError if invalid)."""
        return Scenario.from_dict(self.scenario.to_dict())

    def run(self) -> None:
        """Run the current values: at once if small or not served, else in the large lane.

        Every view's reaction to the new result happens inside one held, frozen Bokeh
        document: one model-graph recomputation and one websocket message per change,
        instead of one per plot (measured: ~6x less server time for the Simulate page).
        """
        from nexus_panel.engine.memo import cached_simulate
        from nexus_panel.engine.work import check_steps, pool

        self._generation += 1
        self._pending = None  # whatever waited is superseded by these values
        try:
            snapshot = self.snapshot()
        except ValidationError as exc:
            self._fail(exc)
            return
        steps = snapshot.params.num_steps
        too_long = None if self._doc is None else check_steps(steps)
        if too_long is not None:
            self._fail(too_long)
            return
        if self._doc is None or pool().is_small(steps):
            try:
                result = cached_simulate(snapshot)
            except ValidationError as exc:  # found while running: a feed not pinned
                self._fail(exc)
                return
            self._show(result)
            return
        self.busy = True
        if self._running:
            self._pending = (self._generation, snapshot)
        else:
            self._start(self._generation, snapshot)

    def _start(self, generation: int, snapshot: Scenario) -> None:
        from nexus_panel.engine.memo import cached_simulate
        from nexus_panel.engine.work import Busy, pool

        try:
            future = pool().submit(snapshot.params.num_steps, cached_simulate, snapshot)
        except Busy as exc:
            self.busy = False
            self._fail(exc)
            return
        self._running = True
        future.add_done_callback(lambda f: self._on_loop(self._finished, generation, f))

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """Call ``callback(*args)`` on this session's event loop (from a worker thread)."""
        from functools import partial

        from panel.io.state import set_curdoc

        doc = self._doc

        def on_loop() -> None:
            with set_curdoc(doc):
                callback(*args)

        try:
            doc.add_next_tick_callback(partial(on_loop))
        except Exception:  # the page was closed meanwhile: nobody to show the result to
            log.debug("session closed before its run finished", exc_info=True)

    def _finished(self, generation: int, future: Future[SimulationResult]) -> None:
        self._running = False
        if self._pending is not None:  # a newer edit came in: run it, drop this result
            newer, self._pending = self._pending, None
            self._start(*newer)
            return
        if generation != self._generation:  # overtaken by a small run shown meanwhile
            return
        self.busy = False
        try:
            result = future.result()
        except ValidationError as exc:
            self._fail(exc)
        except Exception as exc:  # an engine or memo failure must not end the session
            log.exception("run failed")
            self._fail(f"the server failed to compute this run ({exc})")
        else:
            self._show(result)

    def _show(self, result: SimulationResult) -> None:
        from panel.io import hold

        with hold(freeze=True):
            self.param.update(result=result, error="", busy=False, version=self.version + 1)

    def _fail(self, why: object) -> None:
        """Keep the last good result; say why these values did not run (``error``, plain
        text; a new ``version`` with a non-empty ``error`` is a failed run)."""
        from panel.io import hold

        with hold(freeze=True):
            self.param.update(error=str(why), busy=False, version=self.version + 1)

    # --- changing many values at once -----------------------------------------------------
    def apply(self, scenario: Scenario, base_revision: int | None = None) -> None:
        """Copy every value of ``scenario`` into the live scenario, with a single run;
        ``base_revision``: the stored revision it is (None: not from storage)."""
        with self.hold():
            self.scenario.param.update(name=scenario.name, description=scenario.description)
            self.scenario.params.param.update(**scenario.params.to_dict())
            for name, signal in self.scenario.inputs.signals().items():
                signal.param.update(**_signal_values(getattr(scenario.inputs, name)))
        self.base_revision = base_revision

    def reset_params(self, names: list[str] | None = None) -> None:
        """Reset the given engine parameters (default: all) to their declared defaults."""
        defaults = EngineParams.defaults()
        chosen = EngineParams.names() if names is None else names
        with self.hold():
            self.scenario.params.param.update(**{n: defaults[n] for n in chosen})

    def reset_inputs(self, names: list[str] | None = None) -> None:
        """Reset the given input signals (default: all six) to their declared defaults."""
        fresh = Inputs()
        with self.hold():
            for name, signal in self.scenario.inputs.signals().items():
                if names is None or name in names:
                    signal.param.update(**_signal_values(getattr(fresh, name)))

    def reset_all(self) -> None:
        with self.hold():
            self.reset_params()
            self.reset_inputs()
