"""Tune page content: run a named study with live progress and cancel, look at it
(history, Pareto front, importances, parallel coordinates), apply a trial, list studies
with share links; and adaptive control on a receding horizon.

Built on :class:`~nexus_panel.views.analysis_common.AnalysisView` (the same worker thread,
progress poll and cancel as the other analyses); what differs is where results live: a
study is kept by Optuna in the app's database, so there is no "Save analysis" here. A run
adds trials to the study named in the form; ``?study=NAME`` reopens one (form, scenario
and charts) without running. **Apply** saves the chosen trial's values as a new revision
of the study's scenario (the message names study and trial) and opens it on Simulate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import panel as pn
import param

from nexus_panel.analysis.adaptive import AdaptiveSpec, run_adaptive
from nexus_panel.analysis.chunks import Progress
from nexus_panel.analysis.distributions import ParameterDistribution
from nexus_panel.analysis.executors import analysis_executor
from nexus_panel.analysis.job import Runner
from nexus_panel.analysis.objectives import OBJECTIVES
from nexus_panel.analysis.specs import VARIABLE_PARAMETERS
from nexus_panel.analysis.tuning import TuningOutcome, parameter_importances
from nexus_panel.analysis.tuning_spec import Constraint, Objective, TunedParameter, TuningSpec
from nexus_panel.models import ValidationError
from nexus_panel.storage.errors import StorageError
from nexus_panel.views import safe, tuning_plots
from nexus_panel.views.analysis_common import AnalysisView, ItemsEditor, result_table

NAVIGATE_JS = "if (cb_obj.value) { window.location.assign(cb_obj.value); }"
TOP_ROWS = 20


def default_spec() -> TuningSpec:
    """The form's starting point: the PID gains against the RMS error."""
    return TuningSpec(parameters=[TunedParameter(parameter=g) for g in ("K_p", "K_i", "K_d")],
                      objectives=[Objective(metric="rms_error")])


def study_link(name: str) -> str:
    return "./tune?" + urlencode({"study": name})


def studies_html(infos: list[Any]) -> str:
    """The studies list as an HTML table; every stored string is escaped."""
    if not infos:
        return "<p>No tuning studies yet.</p>"
    rows = []
    for i in infos:
        best = ", ".join("n/a" if v is None else f"{float(v):.6g}" for v in (
            i.best_value if isinstance(i.best_value, list) else [i.best_value])
                         ) if i.best_value is not None else ""
        rows.append(
            "<tr>" + safe.html('<td><a class="nx-study-link" href="{href}">{name}</a></td>'
                      "<td>{scenario}@{revision}</td><td>{objectives}</td>"
                      "<td>{trials}</td><td>{best}</td>", href=study_link(i.name),
                      name=i.name, scenario=i.scenario, revision=int(i.revision),
                      objectives=", ".join(i.objectives), trials=int(i.n_trials), best=best)
            + "</tr>")
    head = ("<tr><th>study (share link)</th><th>scenario</th><th>objectives</th>"
            "<th>trials</th><th>best</th></tr>")
    return f'<table class="nx-studies">{head}{"".join(rows)}</table>'


class TuneView(AnalysisView):
    """A tuning study of the session's scenario."""

    analysis = "tune"
    about = ("Searches parameter values that meet your objectives (e.g. the PID gains with "
             "the smallest error) with Optuna. Every trial is kept in a named study you can "
             "reopen, compare and apply to the scenario.")
    savable = False

    study_name = param.String(default="my study", label="Study name",
                              doc="Trials are added to this study (created if new); a "
                                  "study belongs to one scenario.")
    trial = param.Integer(default=None, allow_None=True, label="Trial to apply",
                          doc="Number of the trial whose values Apply saves; empty = best.")
    apply = param.Event(label="Apply to scenario",
                        doc="Save the trial's values as a new revision and open it on "
                            "Simulate.")
    refresh = param.Event(label="Refresh list", doc="Read the studies list again.")
    studies_version = param.Integer(default=0, precedence=-1)

    def __init__(self, **params: Any) -> None:
        params.setdefault("spec", default_spec())
        super().__init__(**params)
        self._navigate = pn.widgets.TextInput(value="", visible=False,
                                              css_classes=["nx-navigate"])
        self._navigate.jscallback(value=NAVIGATE_JS)
        spec = self.spec
        scenario = self.session.scenario if self.session is not None else spec.base_scenario
        self._editors = {
            "Parameters to tune": ItemsEditor(spec, "parameters", "parameter",
                                              list(VARIABLE_PARAMETERS), _tuned),
            "Objectives": ItemsEditor(spec, "objectives", "metric", list(OBJECTIVES),
                                      _objective),
            "Constraints": ItemsEditor(spec, "constraints", "metric", list(OBJECTIVES),
                                       _constraint),
            "Uncertain parameters (robust mode)": ItemsEditor(
                spec, "uncertain", "parameter", list(VARIABLE_PARAMETERS),
                lambda name: ParameterDistribution.for_parameter(
                    name, float(getattr(scenario.params, name)))),
        }
        for title, editor in self._editors.items():
            editor.param.choice.label = "Figure" if "Parameters" not in title and \
                "parameters" not in title else "Parameter"

    # --- running and opening --------------------------------------------------------------
    def _studies(self) -> Any:
        from nexus_panel.storage.studies import shared_studies

        return shared_studies(self._open_store())

    def runner(self) -> Runner:
        def run(spec: TuningSpec, progress: Progress, cancel: Callable[[], bool]
                ) -> TuningOutcome:
            with analysis_executor() as executor:
                return self._studies().run(spec, self.study_name, executor=executor,
                                           progress=progress, cancel=cancel)

        return run

    def _show_new(self, result: Any) -> None:
        super()._show_new(result)
        self.can_save = False
        head = (f"Cancelled: the study keeps its {result.n_trials:,} finished trials."
                if result.cancelled else
                f"Done: {result.added:,} trials added to {result.study_name!r} "
                f"({result.n_trials:,} in all) in {result.seconds:.2f} s, engine "
                f"{result.timing.engine:.2f} s.")
        self.status = safe.md("{head}", head=" ".join([head, *result.notes]))
        self.studies_version += 1
        self._set_study_url(result.study_name)

    def _set_study_url(self, name: str | None) -> None:
        if self.url_arg is not None:
            self.url_arg("study", name)

    def open_study(self, name: str) -> bool:
        """Show stored study ``name`` (no run): its spec in the form, its scenario revision
        in the session, its trials in the charts."""
        try:
            outcome = self._studies().outcome(name)
        except (ValidationError, StorageError) as exc:
            self.load_error = self._fail("Study {name} cannot be opened: {why}", name=name,
                                         why=exc)
            return False
        if self.session is not None:
            self.session.apply(outcome.spec.base_scenario)
        self._set_spec(outcome.spec)
        self.param.update(result=outcome, study_name=name, progress=100, load_error="",
                          status=safe.md("Study {name}: {n} trials, as stored.", name=name,
                                         n=f"{outcome.n_trials:,}"))
        self._set_study_url(name)
        return True

    def spec_replaced(self) -> None:
        for editor in self._editors.values():
            editor.version += 1

    @param.depends("apply", watch=True)
    def _on_apply(self) -> None:
        outcome: TuningOutcome | None = self.result
        if outcome is None or self.running:
            return
        best = outcome.best()
        number = self.trial if self.trial is not None else (
            None if best is None else int(best["number"]))
        if number is None:
            self._fail("Nothing to apply: the study has no feasible trial.")
            return
        try:
            record = self._studies().apply(outcome.study_name, number)
        except (ValidationError, StorageError) as exc:
            self._fail("Not applied: {why}", why=exc)
            return
        self.status = safe.md("Saved {label}: {message}. Opening it on Simulate…",
                              label=record.label, message=record.message)
        self._navigate.value = "./simulate?" + urlencode(
            {"scenario": record.scenario_name, "rev": record.number})

    # --- layout ---------------------------------------------------------------------------
    def extra_controls(self) -> list[Any]:
        out: list[Any] = [pn.widgets.TextInput.from_param(self.param.study_name,
                                                          css_classes=["nx-study-name"]),
                          self._navigate]
        for title, editor in self._editors.items():
            out += [pn.pane.Markdown(safe.md("**{title}**", title=title)), editor]
        return out

    def charts(self) -> pn.viewable.Viewable:
        outcome: TuningOutcome = self.result
        if outcome.feasible().empty:
            message = outcome.constraint_message() or "No feasible trial yet."
            return pn.pane.Alert(safe.md("{message}", message=message), alert_type="warning",
                                 css_classes=["nx-tune-alert"])
        best = outcome.best()
        assert best is not None
        summary = outcome.summary()
        lines = [safe.md("**Study {name}**: {n} trials, sampler {sampler}; best trial "
                         "**{number}**: {values}", name=outcome.study_name,
                         n=f"{outcome.n_trials:,}", sampler=summary["sampler"],
                         number=int(best["number"]), values=", ".join(
                             f"{c.removeprefix('value_')} = {best[c]:.6g}"
                             for c in outcome.value_columns()))]
        if outcome.baseline:
            lines.append(safe.md("At the scenario's own values: {values}", values=", ".join(
                "n/a" if v is None else f"{v:.6g}" for v in outcome.baseline)))
        plots: list[Any] = [pn.pane.HoloViews(tuning_plots.history(outcome),
                                              sizing_mode="stretch_width")]
        if len(outcome.directions) > 1:
            plots.append(pn.pane.HoloViews(tuning_plots.pareto_front(outcome),
                                           sizing_mode="stretch_width",
                                           css_classes=["nx-pareto"]))
        plots += [
            pn.pane.HoloViews(tuning_plots.importances(parameter_importances(outcome)),
                              sizing_mode="stretch_width"),
            pn.pane.HoloViews(tuning_plots.parallel_coordinates(outcome),
                              sizing_mode="stretch_width")]
        top = outcome.pareto() if len(outcome.directions) > 1 else outcome.feasible()
        if len(outcome.directions) == 1:
            top = top.sort_values(outcome.value_columns()[0],
                                  ascending=outcome.directions[0] == "minimize")
        apply = pn.Row(pn.widgets.IntInput.from_param(self.param.trial, width=160),
                       pn.widgets.Button.from_param(self.param.apply, color="success",
                                                    css_classes=["nx-apply-trial"]))
        return pn.Column(pn.pane.Markdown("\n\n".join(lines), css_classes=["nx-tune-summary"]),
                         apply, *plots,
                         pn.pane.Markdown(safe.md("**Best {n} trials**",
                                                  n=min(TOP_ROWS, len(top)))),
                         result_table(top.head(TOP_ROWS).set_index("number")),
                         sizing_mode="stretch_width")

    @param.depends("studies_version", "refresh")
    def studies_list(self) -> pn.viewable.Viewable:
        try:
            infos = self._studies().list()
        except (ValidationError, StorageError) as exc:
            return pn.pane.Alert(safe.md("Studies cannot be listed: {why}", why=exc),
                                 alert_type="danger")
        return pn.pane.HTML(studies_html(infos), css_classes=["nx-studies-list"],
                            sizing_mode="stretch_width")

    def studies_panel(self) -> pn.Column:
        return pn.Column(pn.widgets.Button.from_param(self.param.refresh, width=140),
                         self.studies_list, sizing_mode="stretch_width")


def _tuned(name: str) -> TunedParameter:
    return TunedParameter(parameter=name)


def _objective(name: str) -> Objective:
    return Objective(metric=name)


def _constraint(name: str) -> Constraint:
    return Constraint(metric=name)


class AdaptiveView(AnalysisView):
    """Receding-horizon PID re-tuning of the session's scenario, against fixed gains."""

    analysis = "adaptive"
    about = ("Re-tunes the PID gains every few steps on the inputs just seen, as an operator "
             "would. Compares that receding-horizon control with the fixed gains.")
    savable = False

    def __init__(self, **params: Any) -> None:
        params.setdefault("spec", AdaptiveSpec())
        super().__init__(**params)

    def runner(self) -> Runner:
        return lambda spec, progress, cancel: run_adaptive(spec, progress=progress,
                                                           cancel=cancel)

    def _show_new(self, result: Any) -> None:
        super()._show_new(result)
        self.can_save = False
        table = result.comparison()
        self.status = safe.md("Done in {s} s: RMS error {a} adaptive vs {f} fixed.",
                              s=f"{result.seconds:.2f}", a=f"{table.iloc[0, 0]:.4g}",
                              f=f"{table.iloc[1, 0]:.4g}")

    def charts(self) -> pn.viewable.Viewable:
        result = self.result
        return pn.Column(
            pn.pane.Markdown(
                "Every M steps the gains are re-tuned on the inputs of the last horizon "
                "(no look-ahead), warm-started from the previous window's best trials; "
                "fixed gains are the scenario's own."),
            pn.pane.HoloViews(tuning_plots.adaptive_plots(result), sizing_mode="stretch_width"),
            result_table(result.comparison()),
            result_table(result.schedule.set_index("step"), height=300),
            sizing_mode="stretch_width", css_classes=["nx-adaptive-result"])
