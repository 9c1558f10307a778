"""The Live page's view: one live run's stream, KPIs, controls and alert log.

Every viewer of a run sees the same stream, because there is one producer per run (see
``nexus_panel.live``); this view only follows it:

* **late joiners** get the window's history at once: the last :data:`WINDOW` stored steps
  are read from the database when a run is opened;
* **new steps** arrive from the in-process hub when this server process is the producer
  (queued by the producer's thread, drawn by the session every :data:`DRAIN_MS`, spaced
  by twice their own cost, so many viewers or a busy server get fewer, larger updates
  instead of a stalled event loop), and
  otherwise from the database, polled every :data:`POLL_MS` (the history is checkpointed
  at least every second);
* the plots are ``hv.streams.Buffer`` streams bounded to :data:`WINDOW` rows, so a long
  run costs a browser and a session the same memory as a short one.

Alert events become notifications (escaped) and rows of the alert log. Controls (start,
pause, resume, stop) are the store's: a viewer's click is refused there with a message.

Test hooks: CSS classes ``nx-live-status`` (text ``data-step``/``data-state``),
``nx-live-start``, ``nx-live-pause``, ``nx-live-resume``, ``nx-live-stop``,
``nx-live-alerts``; the curves' data sources are named ``nx-live-source-<column>``
(N, I, B, Phi).
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the Bokeh backend's options
import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.live.alerts import parse_rules
from nexus_panel.live.hub import HUB
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.storage.errors import StorageError
from nexus_panel.storage.live_runs import ACTIVE, LiveInfo, LiveStore
from nexus_panel.views import labels, safe
from nexus_panel.views.alert_log import alert_frame
from nexus_panel.views.kpis import Kpi, cards_html
from nexus_panel.views.palettes import SERIES
from nexus_panel.views.periodic import session_timer
from nexus_panel.views.plots import CANVAS, named
from nexus_panel.views.tables import Table

WINDOW = 5_000
"""Steps the plots keep (and a late joiner receives)."""
POLL_MS = 500
LOG_ROWS = 200
"""Alert events the Live page's log shows (the newest; the Alerts page has them all)."""
LOG_COLUMNS = ["step", "state", "severity", "rule", "value", "at"]
DRAIN_MS = 50
SHOWN = ("t", "N", "I", "B", "Phi", "S")
PLOTTED = ("N", "I", "B", "Phi")
"""The columns drawn (each curve has its own Bokeh data source)."""
_INDEX = [COLUMNS.index(c) for c in SHOWN]
STATUS_CLASSES = {"running": "ok", "paused": "warn", "finished": "neutral",
                  "stopped": "neutral", "failed": "bad"}


def rows_frame(rows: np.ndarray) -> pd.DataFrame:
    """The plotted columns of frame rows (a copy the Buffer may keep)."""
    return pd.DataFrame(rows[:, _INDEX], columns=list(SHOWN))


class LiveView(Viewer):
    """Follow, start and steer live runs stored in ``live``'s database."""

    live = param.ClassSelector(class_=LiveStore, doc="Live runs, acting as the page's user.")
    scenario = param.ClassSelector(class_=Scenario, doc="What Start starts.")
    controls = param.Boolean(True, doc="Offer start, pause, resume and stop (editors and "
                                       "admins; the store refuses anyone else anyway).")

    on_run = param.Callable(default=None, doc="Called with the run followed when it "
                                              "changes (the page keeps it in its address).")

    def __init__(self, run: str | None = None, **params: Any) -> None:
        """``run``: the run to follow first (from the page's ``?run=``); otherwise the
        first active one."""
        super().__init__(**params)
        self.buffer = hv.streams.Buffer(rows_frame(np.empty((0, len(COLUMNS)))),
                                        length=WINDOW, index=False)
        self.step = 0
        """Steps received: the next row to add is step ``self.step``."""
        self.run_name: str | None = None
        self.info: LiveInfo | None = None
        self._inbox: list[tuple[int, np.ndarray]] = []
        self._ahead: list[tuple[int, np.ndarray]] = []
        """Blocks from the hub that start after ``self.step`` (a gap to fill first)."""
        self._inbox_lock = threading.Lock()
        self._next_drain = 0.0
        self._last_poll = 0.0
        self._last_fill = 0.0
        self._window = np.empty((0, len(SHOWN)))
        """The rows shown (the SHOWN columns): at most the last WINDOW steps."""
        self._drawn: dict[str, tuple[Any, Any]] = {}
        """Plotted column -> (its Bokeh data source, its figure), from the render hooks."""
        self._last_push = 0.0
        self._seen_alert_id = 0
        """The newest alert event id when the log was last read."""
        self._log_shown = False
        self._unwatch: Callable[[], None] | None = None
        self._doc: Any = None
        self._poller: Any = None

        self.picker = pn.widgets.Select(label="Live run", options=[], width=260,
                                        css_classes=["nx-live-picker"])
        self.status = pn.pane.HTML("", css_classes=["nx-live-status"],
                                   sizing_mode="stretch_width")
        self.cards = pn.pane.HTML("", sizing_mode="stretch_width")
        self.pause = pn.widgets.Button(label="Pause", css_classes=["nx-live-pause"], width=90)
        self.resume = pn.widgets.Button(label="Resume", css_classes=["nx-live-resume"],
                                        width=90)
        self.stop = pn.widgets.Button(label="Stop", color="danger",
                                      css_classes=["nx-live-stop"], width=90)
        self.save = pn.widgets.Button(label="Save as a run", css_classes=["nx-live-save"],
                                      width=130)
        self.saved = pn.pane.HTML("", css_classes=["nx-live-saved"])
        self.new_name = pn.widgets.TextInput(label="Name", placeholder="e.g. plant-1",
                                             max_length=200, width=200)
        self.rate = pn.widgets.IntInput(label="Steps per second", value=20, start=1, end=1000,
                                        width=150)
        self.rules = pn.widgets.TextAreaInput(
            label="Alert rules (JSON list)", value="[]", height=90, max_length=20_000,
            placeholder='[{"metric": "N", "below": 900, "clear": 950, "min_steps": 5}]')
        self.start_button = pn.widgets.Button(label="Start live run", color="primary",
                                              css_classes=["nx-live-start"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False)
        self.alert_log = Table(
            alert_frame([], LOG_COLUMNS), disabled=True, show_index=False, height=220,
            layout="fit_data_stretch", sizing_mode="stretch_width",
            css_classes=["nx-live-alerts"])
        self.picker.param.watch(lambda e: self.open(e.new), "value")
        self.pause.on_click(lambda _e: self._control("pause"))
        self.resume.on_click(lambda _e: self._control("resume"))
        self.stop.on_click(lambda _e: self._control("stop"))
        self.save.on_click(lambda _e: self._save())
        self.start_button.on_click(lambda _e: self._start())
        self.refresh_runs()
        if run is not None:
            if run in self.picker.options:
                self.picker.value = run
            else:
                self._error(f"There is no live run named {run!r}.")
        self.picker.param.watch(
            lambda e: self.on_run(e.new) if self.on_run is not None else None, "value")

    # --- plots ------------------------------------------------------------------------------
    def _plots(self) -> pn.viewable.Viewable:
        target = float(self.scenario.params.N_target) if self.scenario else np.nan
        common = {"responsive": True, "height": 260, "framewise": True, "tools": ["hover"],
                  "backend_opts": CANVAS}

        def n_plot(data: pd.DataFrame) -> hv.Overlay:
            curve = hv.Curve(data, ("t", labels.AXES["t"]), ("N", labels.AXES["N"])).opts(
                color=SERIES["N"], hooks=[named("live-N"), self._capture("N")], **common)
            line = hv.HLine(target).opts(color=SERIES["target"], line_dash="dashed",
                                         line_width=1)
            return (curve * line).opts(framewise=True)

        def flows_plot(data: pd.DataFrame) -> hv.Overlay:
            curves = [hv.Curve(data, ("t", labels.AXES["t"]), (column, "tokens/time"),
                               label=label).opts(color=SERIES[column],
                                                 hooks=[self._capture(column)], **common)
                      for column, label in (("I", "issuance I"), ("B", "burn B"),
                                            ("Phi", "Φ"))]
            return hv.Overlay(curves).opts(legend_position="top_left", framewise=True,
                                           hooks=[named("live-flows")])

        panes = [pn.pane.HoloViews(hv.DynamicMap(plot, streams=[self.buffer]),
                                   sizing_mode="stretch_width", linked_axes=False)
                 for plot in (n_plot, flows_plot)]
        return pn.Column(*panes, sizing_mode="stretch_width")

    def _start_streaming(self) -> None:
        if self._doc is not None and self._poller is None:
            self._poller = session_timer(self._tick, DRAIN_MS)

    def _capture(self, column: str) -> Callable[[Any, Any], None]:
        """A HoloViews hook keeping the Bokeh data source and figure that draw ``column``,
        so new rows can be streamed into them (see :meth:`_draw`).

        The hook holds this view weakly: options given to ``.opts`` live in HoloViews'
        global Store, and a strong reference there kept every closed Live page's session
        alive (see ``views.plots.weak_hook``)."""
        owner = weakref.ref(self)

        def hook(plot: Any, _element: Any) -> None:
            view = owner()
            if view is None:
                return
            plot.handles["source"].name = f"nx-live-source-{column}"  # a test hook
            view._drawn[column] = (plot.handles["source"], plot.handles["plot"])
        return hook

    def __panel__(self) -> pn.viewable.Viewable:
        if pn.state.curdoc is not None and self._doc is None:
            self._doc = pn.state.curdoc
            # Streaming starts once the browser has built the page: rows streamed while
            # it was still loading never reached its plots (a gap after the first
            # window). Until then the hub's rows wait in the inbox.
            pn.state.onload(self._start_streaming)
            pn.state.on_session_destroyed(lambda _ctx: self.close())
        start_form = pn.Card(
            pn.Row(self.new_name, self.rate), self.rules, self.start_button,
            title="Start a live run of the current scenario", collapsed=True,
            sizing_mode="stretch_width", visible=self.controls)
        for button in (self.pause, self.resume, self.stop, self.save):
            button.visible = self.controls
        return pn.Column(
            pn.pane.Markdown("A live run steps the scenario in real time on the server, "
                             "once for everyone: every viewer sees the same stream, and "
                             "alert rules watch it as it goes."),
            pn.Row(self.picker, self.pause, self.resume, self.stop, self.save, self.saved),
            self.message, self.status, self.cards, self._plots(),
            pn.pane.Markdown("#### Alert log"), self.alert_log, start_form,
            sizing_mode="stretch_width", css_classes=["nx-live-page"])

    # --- following a run ----------------------------------------------------------------------
    def refresh_runs(self) -> None:
        try:
            names = [r.name for r in self.live.runs()]
        except StorageError as exc:
            self._error(str(exc))
            return
        self.picker.options = names
        if self.run_name is None and names:
            active = [r.name for r in self.live.runs() if r.status in ACTIVE]
            self.picker.value = (active or names)[0]

    def open(self, name: str | None) -> None:
        """Follow run ``name``: its last WINDOW steps at once, then live."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self.run_name = name
        self._seen_alert_id = 0
        self._log_shown = False
        if name is None:
            return
        try:
            info = self.live.get(name)
            rows = self.live.history(name, since_step=max(0, info.step - WINDOW))
        except StorageError as exc:
            self._error(str(exc))
            return
        with self._inbox_lock:
            self._inbox.clear()
        self._ahead = []
        self.step = info.step
        self._window = rows[-WINDOW:, _INDEX]
        self.buffer.clear()
        self.buffer.send(rows_frame(rows[-WINDOW:]))  # one HoloViews render of the window
        self._unwatch = HUB.watch(name, self._on_hub)
        self._show(info)
        self._alerts()

    def _on_hub(self, first_step: int, rows: np.ndarray, _n: float) -> None:
        """On the producer's thread: queue the rows for the next :meth:`_tick`."""
        with self._inbox_lock:
            self._inbox.append((first_step, rows.copy()))

    def _tick(self) -> None:
        """Every DRAIN_MS on the session: draw the queued rows, and every POLL_MS
        refresh status, KPIs and alerts.

        A drain costs the server a few milliseconds per viewer whatever the number of new
        rows, and all the sessions of a process share one event loop; so after a drain a
        view waits twice its cost times the number of views this process feeds. With one
        viewer a point is drawn within about DRAIN_MS; with many, or a busy server, each
        drain carries more rows, the loop stays at most about half busy with drawing, and
        clicks are still handled at once. (Pushing from the producer's thread with
        ``add_next_tick_callback`` would queue drains behind one another on a busy
        loop.)"""
        now = time.monotonic()
        if now >= self._next_drain:
            with self._inbox_lock:
                blocks, self._inbox = self._inbox, []
            if blocks or self._ahead:
                self._ahead += blocks
                self._catch_up()
                done = time.monotonic()
                self._last_push = done
                spacing = 2 * (done - now) * max(1, HUB.watching_total())
                self._next_drain = done + min(POLL_MS / 1000,
                                              max(0.0, spacing - DRAIN_MS / 1000))
        if now - self._last_poll >= POLL_MS / 1000:
            self._last_poll = now
            self.poll()

    def _catch_up(self) -> None:
        """Show the blocks that continue the stream; fill a gap before them from the
        database. (Opening reads the history up to the last checkpoint, while the hub
        already delivers newer steps: the steps in between are in the next checkpoint.)"""
        self._ahead.sort(key=lambda block: block[0])
        now = time.monotonic()
        if self._ahead and self._ahead[0][0] > self.step and self.run_name is not None \
                and now - self._last_fill >= POLL_MS / 1000:
            self._last_fill = now  # at most one database read per POLL_MS
            try:
                self._append(self.step, self.live.history(self.run_name, since_step=self.step))
            except StorageError as exc:
                self._error(str(exc))
        # The producer hands over a block per tick (a step or a few at 1,000 steps/s):
        # the blocks that continue the stream are joined and drawn as one.
        pieces, step, waiting = [], self.step, []
        for first, rows in self._ahead:
            if first > step or waiting:
                waiting.append((first, rows))  # after a gap: wait for the database
            elif first + rows.shape[0] > step:
                pieces.append(rows[step - first:])
                step = first + rows.shape[0]
        if pieces:
            self._append(self.step, np.concatenate(pieces))
        # Bounded: a gap the database cannot fill yet keeps at most WINDOW steps waiting.
        while sum(len(r) for _, r in waiting) > WINDOW:
            waiting.pop(0)
        self._ahead = waiting

    def _append(self, first_step: int, rows: np.ndarray) -> None:
        """Add the rows this view has not shown yet (blocks may overlap or repeat)."""
        skip = self.step - first_step
        if skip < 0 or skip >= rows.shape[0]:
            return
        fresh = rows[skip:][-WINDOW:, _INDEX]
        self.step = first_step + rows.shape[0]
        self._window = np.concatenate([self._window, fresh])[-WINDOW:]
        if len(self._drawn) == len(PLOTTED):
            self._draw(fresh)
        else:  # the plots are not on the page yet: they will draw what the Buffer holds
            self.buffer.send(pd.DataFrame(fresh, columns=list(SHOWN)))

    def _draw(self, fresh: np.ndarray) -> None:
        """Stream ``fresh`` rows (the SHOWN columns) into the plots' Bokeh sources and
        move their ranges, as one message to the browser.

        Why not ``Buffer.send`` for every block: each send makes HoloViews re-render the
        plot, which re-indexes every Bokeh model of the page (about 100 ms here); at a
        few blocks a second the server's event loop did nothing else, and the page's own
        events (a click on Pause) waited forever. ``ColumnDataSource.stream`` with a
        rollover sends only the new rows. The Buffer still draws the window when a run is
        opened (so a late joiner gets it at once).

        Why under ``pn.io.hold``: every stream and range change is otherwise its own
        websocket message (ten per drain, each serialised and written separately); held,
        Panel writes them as one patch."""
        t = fresh[:, 0]
        window = self._window
        low_t, high_t = float(window[0, 0]), float(window[-1, 0])
        target = float(self.scenario.params.N_target) if self.scenario else np.nan
        with pn.io.hold():
            for column, (source, _figure) in self._drawn.items():
                source.stream({"t": t, column: fresh[:, SHOWN.index(column)]},
                              rollover=WINDOW)
            for columns, extra in ((("N",), [target]), (("I", "B", "Phi"), [])):
                figure = self._drawn.get(columns[0], (None, None))[1]
                if figure is None:
                    continue
                values = np.concatenate(
                    [window[:, [SHOWN.index(c) for c in columns]].ravel(), extra])
                values = values[np.isfinite(values)]
                if values.size:
                    low, high = float(values.min()), float(values.max())
                    pad = (high - low) * 0.05 or max(abs(high), 1.0) * 0.05
                    figure.y_range.update(start=low - pad, end=high + pad)
                figure.x_range.update(start=low_t, end=max(high_t, low_t + 1e-9))

    def poll(self) -> None:
        """Every POLL_MS: status, KPIs and alerts; steps from the database when no local
        producer pushed any recently."""
        if self.run_name is None:
            self.refresh_runs()
            return
        try:
            info = self.live.get(self.run_name)
            if self._ahead:
                self._catch_up()
            elif time.monotonic() - self._last_push > 2 * POLL_MS / 1000 and \
                    info.step > self.step:
                self._append(self.step, self.live.history(self.run_name, since_step=self.step))
        except StorageError as exc:
            self._error(str(exc))
            return
        self._show(info)
        self._alerts()

    def _show(self, info: LiveInfo) -> None:
        self.info = info
        n = info.state.get("N")
        target = info.scenario.get("params", {}).get("N_target",
                                                     Scenario().params.N_target)
        self.status.object = safe.html(
            '<div class="nx-live-status-line" data-state="{status}" data-step="{step}">'
            "Live run <b>{name}</b>: {status}, step {shown} of {most} at {rate} steps/s"
            "{producer}{error}</div>", status=info.status, step=info.step, name=info.name,
            shown=f"{info.step:,}", most=f"{info.max_steps:,}",
            rate=f"{info.steps_per_second:g}",
            producer="" if info.producer else " (no producer yet)",
            error=f" — {info.last_error}" if info.last_error else "")
        cards = [Kpi("live-N", "N now", "—" if n is None else labels.amount(n),
                     labels.TOKENS, STATUS_CLASSES.get(info.status, "neutral")),
                 Kpi("live-distance", labels.METRICS["distance_to_target"][0],
                     "—" if n is None else labels.amount(n - target), labels.TOKENS),
                 Kpi("live-step", "Step", f"{info.step:,}", f"of {info.max_steps:,}")]
        self.cards.object = cards_html(cards)
        running = info.status in ACTIVE
        self.pause.disabled = info.status != "running"
        self.resume.disabled = info.status != "paused"
        self.stop.disabled = not running

    def _alerts(self) -> None:
        """Refresh the run's alert log when an event was stored; notify the events that
        arrived while this page watched (a late joiner finds the earlier ones in the log,
        not as a pile of notifications)."""
        if self.run_name is None:
            return
        newest = self.live.newest_alert_id()  # one row: did anything change?
        if newest == self._seen_alert_id and self._log_shown:
            return  # nothing new: leave the table (and the browser) alone
        events = self.live.alert_log(run=self.run_name, limit=LOG_ROWS)  # newest first
        if self._log_shown:
            fresh = [e for e in events if e["id"] > self._seen_alert_id]
            for event in reversed(fresh[:5]):
                if event["state"] in ("firing", "resolved"):
                    kind = "info" if event["state"] == "resolved" else \
                        "error" if event["severity"] == "critical" else "warning"
                    safe.notify(kind, "{rule}: {state} at step {step}", duration=6000,
                                rule=event["rule"], state=event["state"],
                                step=f"{event['step']:,}")
        self._seen_alert_id, self._log_shown = newest, True
        self.alert_log.value = alert_frame(events, LOG_COLUMNS)

    # --- controls -------------------------------------------------------------------------------
    def _control(self, action: str) -> None:
        if self.run_name is None:
            return
        try:
            self._show(self.live.control(self.run_name, action))
            self.message.visible = False
        except (StorageError, ValidationError) as exc:
            self._error(str(exc))

    def _save(self) -> None:
        """Store the history so far as an ordinary scenario revision with its run, and
        link to it on Simulate."""
        if self.run_name is None:
            return
        from urllib.parse import urlencode

        from nexus_panel.live.history import save_live_run

        try:
            name, number = save_live_run(self.live, self.run_name)
        except (StorageError, ValidationError) as exc:
            self._error(str(exc))
            return
        self.message.visible = False
        self.saved.object = safe.html('<a href="./simulate?{query}">Open {name} (revision '
                                      '{number}) on Simulate</a>', name=name, number=number,
                                      query=urlencode({"scenario": name, "rev": number}))

    def _start(self) -> None:
        try:
            rules = parse_rules(json.loads(self.rules.value or "[]"))
            scenario = self.scenario.copy()
            self.live.create(self.new_name.value, scenario.to_dict(), rules,
                             steps_per_second=float(self.rate.value),
                             max_steps=scenario.params.num_steps, checkpoint_every=100,
                             state={})
        except (StorageError, ValidationError, ValueError) as exc:
            self._error(str(exc))
            return
        self.message.visible = False
        self.refresh_runs()
        self.picker.value = self.new_name.value.strip()

    def _error(self, text: str) -> None:
        self.message.object = safe.text(text)
        self.message.visible = True

    def close(self) -> None:
        """The session ended: stop following (the hub must not keep this view alive)."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        self._doc = None
