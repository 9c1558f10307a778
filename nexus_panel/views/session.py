"""One user's working scenario and its latest run, shared by every view of a page.

Why a session object: the editors bind their widgets to the parameters of ONE live
:class:`~nexus_panel.models.Scenario` (its ``params`` and the six ``Signal`` objects are
never replaced, only their values), and everything that shows results (KPIs, plots, the
URL) listens to this object's ``result``/``version``. Loading another scenario therefore
copies values into the live objects (:meth:`ScenarioSession.apply`), so every widget stays
bound and the plots update in place.

Each change triggers exactly one run through the disk memo (``cached_simulate``) on a
snapshot of the scenario. Bad values never crash the page: the ValidationError is kept in
``error`` (shown inline) and sent as a notification; the last good result stays on screen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import param

from nexus_panel.engine import SimulationResult
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal, ValidationError


def run_scenario(scenario: Scenario) -> SimulationResult:
    """One run of ``scenario`` through the machine-wide disk memo."""
    from nexus_panel.engine.memo import cached_simulate

    return cached_simulate(scenario)


def notify_error(message: str) -> None:
    """Show ``message`` as an error toast when a served page has notifications enabled."""
    import panel as pn

    notifications = pn.state.notifications
    if notifications is not None:
        notifications.error(message, duration=8000)


def _signal_values(signal: Signal) -> dict[str, Any]:
    return {n: v for n, v in signal.param.values().items() if n != "name"}


class ScenarioSession(param.Parameterized):
    """The live scenario of one page, its latest result and the last error."""

    scenario = param.ClassSelector(class_=Scenario, constant=True,
                                   doc="The live scenario; its parts are edited in place.")
    result = param.Parameter(default=None, doc="The SimulationResult of the current values.")
    error = param.String(default="", doc="Why the current values cannot run ('' when they can).")
    version = param.Integer(default=0, doc="Bumped after every change of the scenario.")

    def __init__(self, scenario: Scenario | None = None, **params: Any) -> None:
        live = Scenario() if scenario is None else Scenario.from_dict(scenario.to_dict())
        super().__init__(scenario=live, **params)
        self._held = 0
        self._dirty = False
        self._watch_parts()
        self.run()

    # --- wiring ---------------------------------------------------------------------------
    def _watch_parts(self) -> None:
        params = self.scenario.params
        params.param.watch(self._on_change, EngineParams.names())
        signal_names = [n for n in Signal.param if n != "name"]
        for signal in self.scenario.inputs.signals().values():
            signal.param.watch(self._on_change, signal_names)
        self.scenario.param.watch(self._on_change, ["name", "description"])

    def _on_change(self, *events: param.parameterized.Event) -> None:
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
        """Run the current values once; on bad values keep the last result and say why.

        Every view's reaction to the new result happens inside one held, frozen Bokeh
        document: one model-graph recomputation and one websocket message per change,
        instead of one per plot (measured: ~6x less server time for the Simulate page).
        """
        from panel.io import hold

        try:
            result = run_scenario(self.snapshot())
        except ValidationError as exc:
            with hold(freeze=True):
                self.param.update(error=str(exc), version=self.version + 1)
            notify_error(f"Not run: {exc}")
        else:
            with hold(freeze=True):
                self.param.update(result=result, error="", version=self.version + 1)

    # --- changing many values at once -----------------------------------------------------
    def apply(self, scenario: Scenario) -> None:
        """Copy every value of ``scenario`` into the live scenario, with a single run."""
        with self.hold():
            self.scenario.param.update(name=scenario.name, description=scenario.description)
            self.scenario.params.param.update(**scenario.params.to_dict())
            for name, signal in self.scenario.inputs.signals().items():
                signal.param.update(**_signal_values(getattr(scenario.inputs, name)))

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
