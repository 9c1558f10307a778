"""``nexus_panel.Dashboard(scenario)``: the Simulate view, editors beside linked plots.

The editors sit in a side panel that folds away (views/responsive.py), so the plots can
take the whole width of a narrow window or a notebook cell.

The same object is the home page of the web app and an inline notebook display:
``__panel__`` returns only content (no page template), and pages/site.py wraps it in
the site's template when served. Everything is bound to one :class:`ScenarioSession`,
so ``dashboard.session.scenario`` is the scenario on screen and ``dashboard.result`` its
latest run.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine import SimulationResult
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.views.kpis import KpiCards
from nexus_panel.views.notices import notify_errors
from nexus_panel.views.param_editor import ParameterEditor
from nexus_panel.views.plots import TimeSeriesPlots
from nexus_panel.views.responsive import Sidebar
from nexus_panel.views.signal_editor import InputsEditor

EDITOR_WIDTH = 350


class Dashboard(Viewer):
    """Parameter and input editors beside KPI cards and the six linked time-series plots."""

    session = param.ClassSelector(class_=ScenarioSession,
                                  doc="The session shown (made from ``scenario`` if omitted).")

    def __init__(self, scenario: Scenario | None = None, **params: Any) -> None:
        if params.get("session") is None:
            params["session"] = ScenarioSession(scenario)
            notify_errors(params["session"])
        super().__init__(**params)
        editors = pn.Tabs(
            ("Parameters", ParameterEditor(session=self.session,
                                           collapsed=["health"])),
            ("Inputs", InputsEditor(session=self.session)),
            dynamic=True, width=EDITOR_WIDTH, css_classes=["nx-editors"], margin=0,
        )
        results = pn.Column(
            KpiCards(session=self.session), TimeSeriesPlots(session=self.session),
            sizing_mode="stretch_width", css_classes=["nx-results"], margin=0,
        )
        self._layout = pn.Row(Sidebar(editors, what="editors"), results,
                              sizing_mode="stretch_width", css_classes=["nx-dashboard"])

    @property
    def scenario(self) -> Scenario:
        return self.session.scenario

    @property
    def result(self) -> SimulationResult | None:
        return self.session.result

    def __panel__(self) -> pn.Row:
        return self._layout
