"""The alert log: every alert event of every live run, newest first, with filters.

The Live page shows the log of the run it follows; this view is for whoever watches the
whole plant: which rules are firing now, in which run, since when, and the history of
pending / firing / resolved / dismissed transitions, filtered by run, severity and state,
downloadable as CSV. It refreshes itself every :data:`REFRESH_MS` (a one-row query tells
whether anything changed) and links each run to its Live page.

Every string here (run names, rule titles) comes from users: the table renders text, the
link and cards go through ``views.safe``.

Test hooks: CSS classes ``nx-alert-log`` (the table), ``nx-alert-run`` (the run filter),
``nx-alert-notice`` (a link naming an unknown run),
``nx-alert-severity``, ``nx-alert-state``, ``nx-alert-firing-only``, ``nx-alert-summary``
(cards ``kpi-firing-now``, ``kpi-critical-now``, ``kpi-events-shown``),
``nx-alert-live-link``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.live.alerts import EVENTS, SEVERITIES
from nexus_panel.storage.errors import StorageError
from nexus_panel.storage.live_runs import LiveStore
from nexus_panel.views import safe
from nexus_panel.views.kpis import Kpi, cards_html
from nexus_panel.views.periodic import session_timer
from nexus_panel.views.tables import Table

ALL_RUNS = "All runs"
REFRESH_MS = 2000
SHOWN_MAX = 2000
"""Events the table holds at most (the newest)."""
COLUMNS = ["at", "run", "rule", "severity", "state", "step", "value", "firing"]


def alert_frame(events: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Alert events as a table shows them: the time to the second in UTC, the value to six
    significant digits, "now" for a rule firing now (the CSV keeps the full values)."""
    frame = pd.DataFrame(events, columns=columns)
    if "at" in frame and len(frame):
        frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
    if "value" in frame:
        frame["value"] = [float(f"{v:.6g}") for v in frame["value"]]
    if "firing" in frame:
        frame["firing"] = ["now" if f else "" for f in frame["firing"]]
    return frame.rename(columns={"at": "at (UTC)"})


def inert_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it without evaluating it: a run or rule name
    starting with ``=``, ``+``, ``-``, ``@`` or a control character would otherwise be
    read as a formula when the CSV is opened."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AlertLogView(Viewer):
    """The alert events of ``live``'s runs, filtered; refreshed while the page is open."""

    live = param.ClassSelector(class_=LiveStore, doc="Live runs, acting as the page's user.")
    on_run = param.Callable(default=None, doc="Called with the run filter when it changes "
                                              "(the page keeps it in its address).")

    def __init__(self, run: str | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.run_filter = pn.widgets.Select(label="Live run", options=[ALL_RUNS], width=240,
                                            css_classes=["nx-alert-run"])
        self.severity = pn.widgets.CheckButtonGroup(
            label="Severity", options=list(SEVERITIES), value=list(SEVERITIES),
            css_classes=["nx-alert-severity"])
        self.state = pn.widgets.CheckButtonGroup(
            label="Event", options=list(EVENTS), value=list(EVENTS),
            css_classes=["nx-alert-state"])
        self.firing_only = pn.widgets.Checkbox(label="Firing now only",
                                               css_classes=["nx-alert-firing-only"])
        self.summary = pn.pane.HTML("", css_classes=["nx-alert-summary"],
                                    sizing_mode="stretch_width")
        self.live_link = pn.pane.HTML("", css_classes=["nx-alert-live-link"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False)
        """Why the log could not be read (hidden again by the next good read)."""
        self.notice = pn.pane.Alert("", alert_type="warning", visible=False,
                                    css_classes=["nx-alert-notice"])
        """What the page's link asked for and could not get (stays)."""
        self.table = Table(alert_frame([], COLUMNS), disabled=True, show_index=False,
                           pagination="local", page_size=25, layout="fit_data_stretch",
                           sizing_mode="stretch_width", css_classes=["nx-alert-log"])
        self.download = pn.widgets.FileDownload(
            callback=self._csv, filename="alert-log.csv", label="Download CSV",
            css_classes=["nx-alert-download"], width=160)
        self.events: list[dict[str, Any]] = []
        self._seen_id = -1
        self._timer: Any = None
        self._refresh_runs(run)
        for widget in (self.run_filter, self.severity, self.state, self.firing_only):
            widget.param.watch(lambda _e: self.reload(), "value")
        self.run_filter.param.watch(self._run_changed, "value")
        self.reload()

    def __panel__(self) -> pn.viewable.Viewable:
        if pn.state.curdoc is not None and self._timer is None:
            self._timer = session_timer(self._refresh, REFRESH_MS)
            pn.state.on_session_destroyed(lambda _ctx: self.close())
        return pn.Column(
            pn.pane.Markdown("Every alert raised by a live run's rules: *pending* when a "
                             "threshold is first crossed, *firing* once it held for the "
                             "rule's minimum steps, *resolved* when the value came back "
                             "past the clear threshold, *dismissed* when it came back "
                             "before firing. The newest first; it refreshes itself."),
            pn.Row(self.run_filter, self.firing_only, self.live_link, self.download),
            pn.Row(self.severity, self.state),
            self.notice, self.message, self.summary, self.table,
            sizing_mode="stretch_width", css_classes=["nx-alert-page"])

    # --- data -----------------------------------------------------------------------------------
    def _refresh_runs(self, wanted: str | None = None) -> None:
        try:
            names = [r.name for r in self.live.runs()]
        except StorageError as exc:
            self._error(str(exc))
            return
        current = wanted if wanted is not None else self.run_filter.value
        self.run_filter.options = [ALL_RUNS, *names]
        if wanted is not None and wanted not in names:
            self.notice.object = safe.text(f"There is no live run named {wanted!r}: "
                                           "showing all runs.")
            self.notice.visible = True
            current = ALL_RUNS
        self.run_filter.value = current if current in self.run_filter.options else ALL_RUNS

    def reload(self, newest: int | None = None, keep_page: bool = False) -> None:
        """Query the log with the current filters and show it (``newest``: the newest
        event id, if the caller just read it; ``keep_page``: stay on the table page the
        reader is on, as a refresh should; a changed filter goes back to the first)."""
        run = None if self.run_filter.value in (None, ALL_RUNS) else self.run_filter.value
        try:
            self._seen_id = self.live.newest_alert_id() if newest is None else newest
            events = self.live.alert_log(run=run, severities=tuple(self.severity.value),
                                         states=tuple(self.state.value), limit=SHOWN_MAX)
        except StorageError as exc:
            self._error(str(exc))
            return
        if self.firing_only.value:
            events = [e for e in events if e["firing"]]
        self.events = events
        self.table.value = alert_frame(events, COLUMNS)  # (the table keeps its page)
        if not keep_page:
            self.table.page = 1  # a new question starts at its first page
        firing = {(e["run"], e["rule"]): e for e in events if e["firing"]}
        critical = sum(1 for e in firing.values() if e["severity"] == "critical")
        self.summary.object = cards_html([
            Kpi("firing-now", "Firing now", f"{len(firing):,}", "rules",
                "bad" if firing else "ok"),
            Kpi("critical-now", "Critical firing", f"{critical:,}", "rules",
                "bad" if critical else "ok"),
            Kpi("events-shown", "Events shown", f"{len(events):,}",
                f"newest {SHOWN_MAX:,} at most")])
        self.live_link.object = "" if run is None else safe.html(
            '<a href="./live?{query}">Follow {name} on the Live page</a>',
            query=urlencode({"run": run}), name=run)
        self.message.visible = False

    def _refresh(self) -> None:
        """Every REFRESH_MS: reload (runs and events) only when a new event was stored."""
        try:
            newest = self.live.newest_alert_id()
        except StorageError as exc:
            self._error(str(exc))
            return
        if newest != self._seen_id:
            self._refresh_runs()
            self.reload(newest, keep_page=True)

    def _run_changed(self, event: Any) -> None:
        if self.on_run is not None:
            callback: Callable[[str | None], None] = self.on_run
            callback(None if event.new == ALL_RUNS else event.new)

    def _csv(self) -> io.StringIO:
        """The events shown, as CSV (what the filters selected, newest first)."""
        buffer = io.StringIO()
        frame = pd.DataFrame(self.events, columns=COLUMNS)
        for column in ("run", "rule"):
            frame[column] = frame[column].map(inert_cell)
        frame.to_csv(buffer, index=False)
        buffer.seek(0)
        return buffer

    def _error(self, text: str) -> None:
        self.message.object = safe.text(text)
        self.message.visible = True

    def close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
