"""What every analysis view shares: the spec form, Run / Cancel, progress, save, intro.

The work itself is an :class:`~nexus_panel.analysis.job.AnalysisJob` (no Panel in it);
this view shows it. An ensemble can take seconds to minutes, and the page must stay
usable for this user and every other session on the server: ``Run`` starts the job on a
worker thread and returns at once; a periodic callback on the event loop moves the
progress bar every 0.2 s and picks up the result, so every widget update happens on the
event loop and no callback holds the session's document lock while the work runs (an
``async`` handler awaiting the work would: the Cancel click would wait behind it).
``Cancel`` sets a flag the batch runner checks between chunks. ``run_now()`` runs
synchronously (notebooks, tests). A result that no longer matches the form (or the
session's scenario) is marked out of date (``stale``).

The base scenario is the page session's current scenario when there is one (so the
analysis follows the editors and the share link), else the spec's own.

``Save analysis`` stores the result's scenario under the name typed beside the button
(pre-filled with the scenario's own name; an unnamed scenario is refused rather than
shared by everyone as "Untitled"; a new revision only if it changed) with the spec and
results (``ScenarioStore.save_analysis``) and puts ``analysis=<id>`` in the
address bar beside ``s=``; a page opened with ``?analysis=<id>`` rebuilds that result from
the database without rerunning (:meth:`AnalysisView.open_saved`), sets the form from the
stored spec and the session from the stored scenario, or says plainly why it cannot.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.analysis import ANALYSES, Cancelled
from nexus_panel.analysis.job import AnalysisJob, Runner, registry_runner
from nexus_panel.analysis.registry import AnalysisResult, restore_result
from nexus_panel.analysis.saving import is_named
from nexus_panel.analysis.specs import SpecBase
from nexus_panel.analysis.table_files import TABLE_FORMATS, table_bytes, table_filename
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.storage.errors import StorageError
from nexus_panel.views import labels, safe
from nexus_panel.views.periodic import session_timer
from nexus_panel.views.responsive import Sidebar

POLL_MS = 200
STALE_TEXT = ("These results are for an earlier form or scenario: press **Run** to bring "
              "them up to date.")


def empty_means(p: param.Parameter) -> str:
    """What an empty box stands for, from the declaration's doc ("... empty = the
    slider's lower end." gives "the slider's lower end")."""
    found = re.search(r"empty\s*=\s*([^.;]+)", p.doc or "")
    return found.group(1).strip() if found else "the default (see ?)"


def param_form(obj: param.Parameterized, **kwargs: Any) -> pn.Param:
    """``pn.Param`` of a spec; optional numbers get number inputs (a slider cannot be
    empty, and an empty value means "use the default" in these specs)."""
    widgets: dict[str, Any] = {}
    for name, p in obj.param.objects("existing").items():
        huge = isinstance(p, param.Integer) and (p.bounds or (0, 0))[1] is not None and (
            (p.bounds or (0, 0))[1] > 2**53)
        if isinstance(p, param.Number) and (p.allow_None or huge):
            kind = pn.widgets.IntInput if isinstance(p, param.Integer) else pn.widgets.FloatInput
            widgets[name] = {"type": kind, **({"end": None} if huge else {})}
            if p.allow_None:  # say what an empty box means instead of looking unfilled
                widgets[name]["placeholder"] = empty_means(p)
    return pn.Param(obj, widgets=widgets, sizing_mode="stretch_width", **kwargs)


def result_table(frame: pd.DataFrame, height: int | None = None,
                 metrics: dict[str, tuple[str, str]] = labels.METRICS) -> pn.widgets.Tabulator:
    """A read-only table of a result frame (its index shown as the first column), metric
    identifiers shown as words with units (``overshoot (%)``, not ``overshoot_pct``)."""
    return pn.widgets.Tabulator(labels.labelled(frame, metrics).reset_index(), disabled=True,
                                show_index=False,
                                layout="fit_data_table", sizing_mode="stretch_width",
                                height=height)


class ItemsEditor(param.Parameterized):
    """Edits a spec's list of nested specs (e.g. the uncertain parameters of a Monte
    Carlo): pick a parameter and Add, or Remove it; each item is a generated form."""

    choice = param.Selector(default=None, objects=[], label="Parameter",
                            doc="The parameter to add or remove.")
    add = param.Event(label="Add", doc="Add the chosen parameter to the list.")
    remove = param.Event(label="Remove", doc="Remove the chosen parameter from the list.")
    version = param.Integer(default=0, precedence=-1, doc="Bumped when the list changes.")

    def __init__(self, spec: SpecBase, field: str, key: str, choices: list[str],
                 make: Any, **params: Any) -> None:
        super().__init__(**params)
        self._spec, self._field, self._key, self._make = spec, field, key, make
        self.param.choice.objects = choices
        self.choice = choices[0]

    @property
    def items(self) -> list[Any]:
        return getattr(self._spec, self._field)

    @param.depends("add", watch=True)
    def _on_add(self) -> None:
        if all(getattr(i, self._key) != self.choice for i in self.items):
            setattr(self._spec, self._field, [*self.items, self._make(self.choice)])
            self.version += 1

    @param.depends("remove", watch=True)
    def _on_remove(self) -> None:
        kept = [i for i in self.items if getattr(i, self._key) != self.choice]
        if len(kept) != len(self.items):
            setattr(self._spec, self._field, kept)
            self.version += 1

    def _form(self, item: SpecBase) -> pn.viewable.Viewable:
        """The item's form, showing only the fields its current choices use."""
        def fields(*_: Any) -> pn.Param:
            shown = [f for f in item.form_fields() if f != self._key]
            return param_form(item, parameters=shown, name=str(getattr(item, self._key)))

        watched = [item.param[n] for n in item.field_names()
                   if isinstance(item.param[n], param.Selector) and n != self._key]
        return pn.panel(pn.bind(fields, *watched)) if watched else fields()

    @param.depends("version")
    def forms(self) -> pn.Column:
        return pn.Column(*[self._form(item) for item in self.items],
                         sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Param(self, parameters=["choice"], show_name=False, sizing_mode="stretch_width"),
            pn.Param(self, parameters=["add", "remove"], show_name=False, default_layout=pn.Row),
            self.forms, sizing_mode="stretch_width")


class AnalysisView(Viewer):
    """Base of the analysis pages: subclasses set ``analysis`` and implement ``charts``."""

    analysis: str = ""
    about: str = ""
    """The intro of views whose analysis is not in the registry (tuning)."""
    savable: bool = True
    """False for views whose results live elsewhere (tuning studies): no Save button."""

    spec = param.ClassSelector(class_=SpecBase, doc="What to run (the generated form).")
    session = param.Parameter(default=None, doc="The page's ScenarioSession, if any.")
    result = param.Parameter(default=None, doc="The latest finished result.")
    progress = param.Integer(default=0, bounds=(0, 100), doc="Percent of runs done.")
    status = param.String(default="", doc="What happened last (or what is wrong), as "
                          "Markdown built with nexus_panel.views.safe.")
    running = param.Boolean(default=False, doc="True while an analysis runs.")
    run = param.Event(label="Run", doc="Start the analysis.")
    cancel = param.Event(label="Cancel", doc="Stop the running analysis after this chunk.")
    save = param.Event(label="Save analysis",
                       doc="Save the scenario with this analysis (spec and results) and put "
                           "a link to it in the address bar.")
    save_name = param.String(default="", label="Scenario name",
                             doc="The scenario the analysis is saved under (required: an "
                                 "unnamed scenario would be shared by everyone).")
    stale = param.Boolean(default=False, precedence=-1,
                          doc="True when the result shown no longer matches the form.")
    can_save = param.Boolean(default=False, precedence=-1,
                             doc="True when a result is shown that is not saved yet.")
    saved_id = param.Integer(default=None, allow_None=True, precedence=-1,
                             doc="Id of the saved analysis shown (None: not saved).")
    load_error = param.String(default="", precedence=-1,
                              doc="Why the saved analysis named in the link cannot be shown.")
    store = param.Parameter(default=None, precedence=-1,
                            doc="A ScenarioStore, or a callable returning one (pages pass "
                                "PageContext.store); None: saving is unavailable.")
    url_arg = param.Callable(default=None, precedence=-1,
                             doc="Keeps key=value in the page address (PageContext.set_url_arg).")

    def __init__(self, **params: Any) -> None:
        fresh = "spec" not in params
        if fresh:
            params["spec"] = ANALYSES[self.analysis].spec()
        super().__init__(**params)
        self.job = AnalysisJob(self.runner())
        self._poller: Any = None
        self._editor: ItemsEditor | None = None
        self._opening = False
        self._form_watchers: list[tuple[param.Parameterized, Any]] = []
        if fresh:
            self.spec.param.update(**self.starting_values())
        if self.session is not None:
            self.session.param.watch(self._on_session_version, "version")
            if is_named(self.session.scenario):
                self.save_name = self.session.scenario.name
        self._watch_form()

    def use_editor(self, editor: ItemsEditor) -> None:
        """Edit the spec's list with ``editor``; its changes count as form changes."""
        self._editor = editor

        def on_items(_event: Any) -> None:
            self._watch_form()
            self._on_form()

        editor.param.watch(on_items, "version")

    def runner(self) -> Runner:
        """What Run runs: the registered analysis (views of other work override this)."""
        return registry_runner(self.analysis)

    def starting_values(self) -> dict[str, Any]:
        """Subclass hook: values a fresh page's form starts from, so that its first Run
        teaches something (e.g. Monte Carlo's first uncertain parameter)."""
        return {}

    # --- running -------------------------------------------------------------------------
    def prepared_spec(self) -> SpecBase:
        """The spec on the current scenario, validated (raises ValidationError)."""
        data = self.spec.to_dict()
        if self.session is not None:
            data["scenario"] = self.session.snapshot().to_dict()
        elif isinstance(data.get("scenario"), dict):
            data["scenario"] = Scenario.from_dict(data["scenario"]).to_dict()
        return type(self.spec).from_dict(data)

    def run_now(self) -> Any:
        """Run synchronously and show the result (notebooks, tests)."""
        self._show_new(self.job.run(self.prepared_spec()))
        return self.result

    def _show_new(self, result: Any) -> None:
        self.param.update(result=result, running=False, progress=100,
                          status=_done_text(result), can_save=True, saved_id=None,
                          load_error="", stale=False)
        self._set_url_analysis(None)

    @param.depends("run", watch=True)
    def _on_run(self) -> None:
        if self.running:
            return
        try:
            spec = self.prepared_spec()
        except ValidationError as exc:
            self._fail("{why}", why=exc)
            return
        if not self.job.start(spec):
            return
        self.param.update(running=True, progress=0, status="Running…")
        self._poller = session_timer(self._poll, POLL_MS)

    def _poll(self) -> None:
        """On the event loop, every POLL_MS: move the bar; take the result when done."""
        self.progress = self.job.percent
        try:
            result = self.job.poll()
        except Cancelled as exc:
            self._stop_polling()
            self.param.update(running=False, status=safe.md("Cancelled: {why}.", why=exc))
            return
        except Exception as exc:  # a bad value, an unreachable cluster…: shown, not raised
            self._stop_polling()
            self.running = False
            self._fail("{why}", why=exc)
            return
        if result is not None:
            self._stop_polling()
            self._show_new(result)

    def _stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    @param.depends("cancel", watch=True)
    def _on_cancel(self) -> None:
        self.job.cancel()

    # --- out of date -----------------------------------------------------------------------
    def _watch_form(self) -> None:
        """Watch every field of the spec and of its nested specs (again after the list
        editor changed the items)."""
        for obj, watcher in self._form_watchers:
            obj.param.unwatch(watcher)
        self._form_watchers = [(part, part.param.watch(self._on_form, part.field_names()))
                               for part in _spec_parts(self.spec)]

    def _on_form(self, *_: Any) -> None:
        self.stale = self._result_is_stale()

    def _result_is_stale(self) -> bool:
        if self.result is None or self._opening:
            return False
        try:
            current = self.prepared_spec()
        except ValidationError:
            return True
        return _comparable(current) != _comparable(self.result.spec)

    # --- saving and reopening -------------------------------------------------------------
    def _open_store(self) -> Any:
        store = self.store() if callable(self.store) else self.store
        if store is None:
            raise StorageError("scenario storage is not available on this server")
        return store

    def _set_url_analysis(self, analysis_id: int | None) -> None:
        if self.url_arg is not None:
            self.url_arg("analysis", None if analysis_id is None else str(analysis_id))

    @param.depends("save", watch=True)
    def _on_save(self) -> None:
        if self.result is None or self.running or not self.can_save:
            return
        self.job.result = self.result
        try:
            record = self.job.save(self._open_store(), self.save_name)
        except (ValidationError, StorageError) as exc:
            self._fail("Not saved: {why}", why=exc)
            return
        self.param.update(saved_id=record.id, can_save=False,
                          status=safe.md("Saved as analysis {id} ({label}): the address "
                                         "bar now links to it.", id=record.id,
                                         label=record.label))
        self._set_url_analysis(record.id)

    def open_saved(self, analysis_id: Any) -> bool:
        """Show saved analysis ``analysis_id`` (no rerun): the form takes its spec, the
        session its scenario. On failure, say why (``load_error``) and return False."""
        try:
            store = self._open_store()
            scenario, spec, results = store.load_analysis(analysis_id)
            record = store.analysis_info(analysis_id)
            if results.get("analysis") != self.analysis:
                raise ValidationError([FieldError(
                    "analysis", analysis_id,
                    f"a {ANALYSES[self.analysis].title} analysis (this one is a "
                    f"{record.kind} analysis: open it on the /{record.kind} page)")])
            result = restore_result(scenario, spec, results)
        except (ValidationError, StorageError) as exc:
            self.load_error = self._fail("Saved analysis {id} cannot be opened: {why}",
                                         id=str(analysis_id)[:40], why=exc)
            return False
        self._opening = True
        try:
            if self.session is not None:
                self.session.apply(result.spec.base_scenario, base_revision=record.revision)
            self._set_spec(result.spec)
        finally:
            self._opening = False
        self.param.update(result=result, progress=100, can_save=False, saved_id=record.id,
                          load_error="", stale=False, save_name=record.scenario_name,
                          status=safe.md("Saved analysis {id} ({label}, saved by {author} "
                                         "{at} UTC), shown as saved: not rerun.",
                                         id=record.id, label=record.label,
                                         author=record.author,
                                         at=f"{record.created_at:%Y-%m-%d %H:%M}"))
        self._set_url_analysis(record.id)
        return True

    def _set_spec(self, spec: SpecBase) -> None:
        """Copy ``spec`` into the live spec the form is bound to, then redraw item forms."""
        self.spec.param.update(**{n: getattr(spec, n) for n in spec.field_names()})
        self.spec_replaced()

    def spec_replaced(self) -> None:
        """Subclass hook: redraw editors of the spec's lists after :meth:`_set_spec`."""
        if self._editor is not None:
            self._editor.version += 1
        self._watch_form()

    def _on_session_version(self, _event: Any) -> None:
        # The scenario moved on: the address must no longer name the saved analysis.
        if not self._opening and self.saved_id is not None:
            self.saved_id = None
            self._set_url_analysis(None)
        self._on_form()

    def _fail(self, template: str, /, **values: Any) -> str:
        """Show ``template`` (plain text) with its ``{fields}`` filled safely as the status
        and as an error toast; returns the status Markdown."""
        self.status = safe.md(template, **values)
        safe.notify("error", template, **values)
        return self.status

    # --- layout --------------------------------------------------------------------------
    def extra_controls(self) -> list[Any]:
        """Subclass hook: editors shown under the generated form (e.g. an ItemsEditor)."""
        return []

    def controls(self) -> pn.Column:
        form = param_form(self.spec, show_name=False)
        buttons = pn.Param(self, parameters=["run", "cancel"], show_name=False,
                           default_layout=pn.Row,
                           widgets={"run": {"color": "primary"}})
        save = pn.widgets.Button.from_param(self.param.save, css_classes=["nx-save-analysis"],
                                            disabled=self.param.can_save.rx.not_())
        name = pn.widgets.TextInput.from_param(self.param.save_name,
                                               css_classes=["nx-save-name"],
                                               placeholder="name to save under")
        # no empty progress box before the first run: the bar shows while one runs
        bar = pn.widgets.Progress.from_param(self.param.progress, sizing_mode="stretch_width",
                                             visible=self.param.running)
        status = pn.pane.Markdown(self.param.status, css_classes=["nx-analysis-status"],
                                  sizing_mode="stretch_width")
        return pn.Column(form, *self.extra_controls(), buttons, bar, status,
                         *([name, save] if self.savable else []), width=340)

    def charts(self) -> pn.viewable.Viewable:  # pragma: no cover - overridden
        raise NotImplementedError

    @param.depends("result", "load_error")
    def _charts(self) -> pn.viewable.Viewable:
        if self.result is None:
            text = pn.pane.Markdown("Set up the analysis and press **Run**.")
            if not self.load_error:
                return text
            return pn.Column(pn.pane.Alert(self.load_error, alert_type="danger",
                                           css_classes=["nx-analysis-alert"]), text)
        return pn.Column(self.charts(), self.downloads(), sizing_mode="stretch_width")

    def downloads(self) -> pn.Row:
        """Download buttons for the result's table (CSV, Parquet), made on click."""
        result = self.result

        def button(fmt: str) -> pn.widgets.FileDownload:
            return pn.widgets.FileDownload(
                callback=lambda: io.BytesIO(table_bytes(result.table(), fmt)),
                filename=table_filename(result, self.analysis, fmt),
                label=f"⬇ Table as {fmt.upper() if fmt == 'csv' else fmt.title()}",
                css_classes=[f"nx-analysis-download-{fmt}"], color="light")

        return pn.Row(*[button(fmt) for fmt in TABLE_FORMATS])

    def _stale_notice(self) -> pn.pane.Alert:
        return pn.pane.Alert(STALE_TEXT, alert_type="warning", visible=self.param.stale,
                             css_classes=["nx-analysis-stale"], sizing_mode="stretch_width")

    def intro(self) -> pn.pane.Markdown:
        """What the analysis is for, in two sentences (its registry entry's ``about``)."""
        entry = ANALYSES.get(self.analysis)
        return pn.pane.Markdown(safe.text(entry.about if entry else self.about),
                                css_classes=["nx-analysis-about"], sizing_mode="stretch_width",
                                margin=(0, 10))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            self.intro(),
            pn.Row(Sidebar(self.controls(), what="form"),
                   pn.Column(self._stale_notice(), self._charts, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            sizing_mode="stretch_width")


def _done_text(result: AnalysisResult) -> str:
    runs = result.n_runs
    return f"Done: {runs:,} run{'s' if runs != 1 else ''} in {result.seconds:.2f} s."


def _spec_parts(spec: SpecBase) -> Iterator[SpecBase]:
    """``spec`` and every spec nested in it (list items, single objects)."""
    yield spec
    for name in (*spec._items, *spec._objects):
        value = getattr(spec, name)
        for part in value if isinstance(value, list) else [value]:
            yield from _spec_parts(part)


def _comparable(spec: SpecBase) -> str:
    """What makes two specs give the same result: everything but the scenario's name and
    description."""
    data = spec.to_dict()
    if isinstance(data.get("scenario"), dict):
        data["scenario"] = {k: v for k, v in data["scenario"].items()
                            if k not in ("name", "description")}
    return json.dumps(data, sort_keys=True, default=str)


def analysis_page(view: type[AnalysisView], ctx: Any) -> AnalysisView:
    """An analysis page's content for a ``site.PageContext``: the view on the page's
    session, saving to the site's store, and the saved analysis of ``?analysis=<id>``."""
    page = view(session=ctx.session, store=ctx.store, url_arg=ctx.set_url_arg)
    analysis_id = ctx.link.page_args.get("analysis")
    if analysis_id is not None:
        page.open_saved(analysis_id)
    return page
