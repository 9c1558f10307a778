"""Compare: overlay the outputs of 2–5 saved scenarios or revisions, with a table of the
parameters in which they differ.

Choices are labelled ``name`` (the latest revision) or ``name @ rN`` (revision N), so a
user can compare a scenario with its own history as easily as with another scenario.
Runs go through the disk memo: comparing scenarios already opened elsewhere costs nothing.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine.memo import cached_simulate
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.session import ScenarioSession
from nexus_panel.storage.errors import StorageError
from nexus_panel.views import labels, safe
from nexus_panel.views.compare_data import (
    COMPARE_OUTPUTS,
    MAX_COMPARED,
    MIN_COMPARED,
    OUTPUT_BUTTONS,
    differing_parameters,
)
from nexus_panel.views.palettes import CATEGORICAL
from nexus_panel.views.plots import CANVAS
from nexus_panel.views.responsive import wrap_row
from nexus_panel.views.scenarios_refs import ScenarioRef, list_refs, load_ref

TIME = hv.Dimension("t", label=labels.AXES["t"])


def overlay_plots(scenarios: dict[str, Scenario], outputs: list[str]) -> hv.Layout:
    """One overlay per output (a curve per scenario), stacked on one shared time axis."""
    results = {label: cached_simulate(s) for label, s in scenarios.items()}
    panels = []
    for column in outputs:
        curves = [
            hv.Curve(result.frame, TIME, hv.Dimension(column, label=labels.AXES[column]),
                     label=label).opts(
                color=CATEGORICAL[i % len(CATEGORICAL)])
            for i, (label, result) in enumerate(results.items())
        ]
        panels.append(hv.Overlay(curves).opts(
            title=COMPARE_OUTPUTS[column], responsive=True, height=260,
            legend_position="right", show_grid=True, tools=["hover"],
            # canvas, not webgl: webgl draws stray marks along lines without a GPU
            backend_opts=CANVAS))
    return hv.Layout(panels).cols(1).opts(shared_axes=True)


CURRENT = "(current scenario)"
"""Choice label of the page's own, possibly unsaved, scenario (the one in the link)."""


class CompareView(Viewer):
    """Pick 2–5 saved scenarios or revisions (or the current one); see their outputs
    overlaid."""

    store = param.Parameter(doc="The ScenarioStore the choices come from.")
    session = param.ClassSelector(class_=ScenarioSession, default=None, allow_None=True,
                                  doc="The page's live scenario, offered as a choice too.")
    choices = param.ListSelector(default=[], objects=[], label="Scenarios or revisions",
                                 doc=f"Pick {MIN_COMPARED} to {MAX_COMPARED} to overlay.")
    plotted = param.ListSelector(default=["N", "I", "B", "S", "Phi"],
                                 objects=OUTPUT_BUTTONS, label="Outputs",
                                 doc="Which outputs to overlay.")
    refresh = param.Event(label="Refresh list", doc="Re-read the saved scenarios.")

    search = param.String(default="", label="Filter",
                          doc="Show only the choices whose label contains this text.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._refs: dict[str, ScenarioRef] = {}
        # A native multi-select, not a MultiChoice: Bokeh's MultiChoice renders its labels
        # as HTML (Choices.js, allowHTML on) and re-reads them from the DOM, so a scenario
        # named like markup would run as script there however it is escaped.
        self._picker = pn.widgets.MultiSelect(
            label=self.param.choices.label, size=8, width=520,
            css_classes=["nx-compare-choices"])
        self._picker.param.watch(self._picked, "value")
        self._on_refresh()

    @param.depends("refresh", watch=True)
    def _on_refresh(self) -> None:
        self._refs = {ref.label: ref for ref in list_refs(self.store)}
        current = [CURRENT] if self.session is not None else []
        self.param.choices.objects = current + list(self._refs)
        self.choices = [c for c in self.choices if c in self.param.choices.objects]
        self._sync_picker()

    @param.depends("choices", "search", watch=True)
    def _sync_picker(self) -> None:
        """Offer the choices matching the filter (and those already picked)."""
        needle = self.search.strip().casefold()
        shown = [c for c in self.param.choices.objects
                 if needle in c.casefold() or c in self.choices]
        self._picker.param.update(options=shown, value=list(self.choices))

    def _picked(self, event: param.parameterized.Event) -> None:
        if list(event.new) != list(self.choices):
            self.choices = list(event.new)

    def select(self, *labels: str) -> None:
        """Choose what to compare by label (``name`` or ``name @ rN``)."""
        unknown = [x for x in labels if x not in self.param.choices.objects]
        if unknown:
            raise ValueError(f"not saved: {', '.join(unknown)}")
        self.choices = list(labels)

    def scenarios(self) -> dict[str, Scenario]:
        return {label: self.session.snapshot() if label == CURRENT
                else load_ref(self.store, self._refs[label]) for label in self.choices}

    @param.depends("choices", "plotted")
    def _body(self) -> pn.viewable.Viewable:
        count = len(self.choices)
        if not MIN_COMPARED <= count <= MAX_COMPARED:
            return pn.pane.Alert(
                safe.md("Pick {lo} to {hi} saved scenarios or revisions to compare ({count} "
                        "picked).", lo=MIN_COMPARED, hi=MAX_COMPARED, count=count),
                alert_type="info", css_classes=["nx-compare-hint"])
        if not self.plotted:
            return pn.pane.Alert("Pick at least one output to plot.", alert_type="info",
                                 css_classes=["nx-compare-hint"])
        try:
            scenarios = self.scenarios()
        except (ValidationError, StorageError, LookupError) as exc:
            # a choice deleted since the list was read, or current values that cannot run
            return pn.pane.Alert(safe.md("Cannot compare these: {why}. Press **Refresh list** "
                                         "to re-read the saved scenarios.", why=exc),
                                 alert_type="danger", css_classes=["nx-compare-error"])
        table = differing_parameters(scenarios)
        table_view: pn.viewable.Viewable = (
            pn.pane.Markdown("The scenarios have identical parameters and inputs.")
            if table.empty else pn.pane.DataFrame(table, sizing_mode="stretch_width"))
        return pn.Column(
            pn.pane.HoloViews(overlay_plots(scenarios, list(self.plotted)),
                              sizing_mode="stretch_width", css_classes=["nx-compare-plots"]),
            pn.pane.Markdown("### Differing parameters"),
            pn.Column(table_view, css_classes=["nx-compare-diff"], sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        controls = wrap_row(  # the output buttons go under the list in a narrow window
            pn.Column(pn.widgets.TextInput.from_param(
                self.param.search, placeholder="type to narrow the list", width=520,
                css_classes=["nx-compare-search"]), self._picker),
            pn.widgets.CheckButtonGroup.from_param(self.param.plotted, color="primary",
                                                   variant="outline",
                                                   css_classes=["nx-compare-outputs"]),
            pn.widgets.Button.from_param(self.param.refresh, color="light"),
        )
        return pn.Column(controls, pn.panel(self._body, loading_indicator=True),
                         sizing_mode="stretch_width")
