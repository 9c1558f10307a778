"""The Feeds page: define a feed (an HTTP(S) URL on the allowlist, or an uploaded file),
fetch it now with a preview plot of what was stored, and see each feed's status, last
error and snapshots.

Why no server paths here: a page must not read files off the server, so the web's file
feeds are uploads (``upload`` source). Every text shown (names, URLs, errors, columns)
goes through ``views.safe``; a fetch is bounded by the feed's own caps (timeouts,
retries, size), and only the reduced series crosses to the browser.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the Bokeh backend's options (no notebook output)
import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.records import SnapshotRecord
from nexus_panel.models import ValidationError
from nexus_panel.storage import StorageError
from nexus_panel.views import safe
from nexus_panel.views.palettes import SERIES
from nexus_panel.views.series import reduce_columns
from nexus_panel.views.tables import Table

SOURCES = {"HTTP(S) URL": "http", "Uploaded file": "upload"}
FEED_COLUMNS = ["name", "source", "revision", "last fetch", "last error", "snapshots"]
SNAPSHOT_COLUMNS = ["id", "fetched", "status", "rows", "bytes", "sha256", "source"]


class FeedsView(Viewer):
    """Feeds in the shared store: add, fetch/upload with a preview, status, snapshots."""

    store = param.Parameter(doc="The ScenarioStore the feeds live in.")
    selected = param.String(default="", doc="The feed whose snapshots are shown.")
    message = param.String(default="", doc="Outcome of the last action (safe Markdown).")
    message_kind = param.Selector(default="info", objects=["info", "success", "danger"])

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        from nexus_panel.feeds.store import FeedStore

        self.feeds = FeedStore(self.store)
        self._name = pn.widgets.TextInput(label="Feed name", css_classes=["nx-feed-name"])
        self._source = pn.widgets.Select(label="Source", options=SOURCES,
                                         css_classes=["nx-feed-source"])
        self._url = pn.widgets.TextInput(label="URL (on the allowlist)",
                                         placeholder="https://api.example.com/data.csv",
                                         css_classes=["nx-feed-url"])
        self._format = pn.widgets.Select(label="Format", options=["csv", "json"],
                                         css_classes=["nx-feed-format"])
        self._records_key = pn.widgets.TextInput(label="JSON records key (optional)")
        self._time = pn.widgets.TextInput(label="Time column", value="time",
                                          css_classes=["nx-feed-time"])
        self._values = pn.widgets.TextInput(label="Value columns (comma separated)",
                                            value="value", css_classes=["nx-feed-values"])
        self._file = pn.widgets.FileInput(accept=".csv,.json", css_classes=["nx-feed-file"])
        save = pn.widgets.Button(label="Save feed", color="primary",
                                 css_classes=["nx-feed-save"])
        fetch = pn.widgets.Button(label="Fetch now", color="success",
                                  css_classes=["nx-feed-fetch"])
        save.on_click(lambda _e: self._save())
        fetch.on_click(lambda _e: self._fetch())
        self._feeds = Table(pd.DataFrame(columns=FEED_COLUMNS), disabled=True,
                            selectable=1, show_index=False, sizing_mode="stretch_width",
                            css_classes=["nx-feeds-table"], height=220)
        self._feeds.param.watch(self._on_pick, "selection")
        self._snapshots = Table(pd.DataFrame(columns=SNAPSHOT_COLUMNS), disabled=True,
                                show_index=False, sizing_mode="stretch_width",
                                css_classes=["nx-feed-snapshots"], height=200)
        self._preview = pn.pane.HoloViews(self._curve(None), sizing_mode="stretch_width",
                                          css_classes=["nx-feed-preview"])
        self._form = pn.Column(
            pn.pane.Markdown("### Define a feed"), self._name, self._source, self._url,
            self._file, self._format, self._records_key, self._time, self._values,
            pn.Row(save, fetch), width=380)
        self._refresh()

    # --- actions ---------------------------------------------------------------------------
    def _definition(self) -> dict[str, Any]:
        source = self._source.value
        columns = [c.strip() for c in self._values.value.split(",") if c.strip()]
        data: dict[str, Any] = {"source": source, "format": self._format.value,
                                "records_key": self._records_key.value.strip(),
                                "time_column": self._time.value.strip(),
                                "value_columns": columns}
        if source == "http":
            data["url"] = self._url.value.strip()
        return data

    def _save(self) -> None:
        self._act(lambda: self.feeds.add(self._name.value.strip(), self._definition()),
                  "Saved the feed **{name}**.")

    def _fetch(self) -> None:
        name = self._name.value.strip()
        upload = self._source.value == "upload"
        if upload and not self._file.value:
            self._say("danger", "Choose a file to upload first.")
            return
        if self._act(lambda: self.feeds.add(name, self._definition()), None) is None:
            return  # the definition was refused: its message stays
        done = self._act(lambda: self.feeds.upload(name, self._file.value,
                                                   self._file.filename or "upload")
                         if upload else self.feeds.fetch(name),
                         "Stored snapshot {id} of **{name}** ({rows} rows).")
        if isinstance(done, SnapshotRecord):
            self.selected = name
            self._refresh()

    def _act(self, work: Any, success: str | None) -> Any:
        """Run ``work``; a refusal or failure becomes the page's message (escaped)."""
        try:
            result = work()
        except ValidationError as exc:
            lines = "\n".join(safe.md("- **{field}** = {value} (allowed: {allowed})",
                                      field=e.field, value=safe.short(e.value),
                                      allowed=e.allowed) for e in exc.errors)
            self.param.update(message_kind="danger", message=safe.md(
                "**Not done** — {count} problem(s):", count=len(exc.errors)) + "\n\n" + lines)
            self._refresh()
            return None
        except (FetchError, StorageError) as exc:
            self._say("danger", "**Not done:** {why}", why=exc)
            self._refresh()
            return None
        if success is not None:
            name = getattr(result, "feed", None) or getattr(result, "name", "")
            self._say("success", success, name=name, id=getattr(result, "id", ""),
                      rows=getattr(result, "rows", ""))
        self._refresh()
        return result

    def _say(self, kind: str, template: str, **values: Any) -> None:
        self.param.update(message_kind=kind, message=safe.md(template, **values))

    # --- tables and preview ----------------------------------------------------------------
    def _refresh(self) -> None:
        try:
            infos = self.feeds.list()
            counts = {i.name: len(self.feeds.snapshots(i.name)) for i in infos}
        except StorageError as exc:
            self._say("danger", "Feeds cannot be read: {why}", why=exc)
            return
        self._feeds.value = pd.DataFrame([{
            "name": i.name, "source": i.source, "revision": i.revision,
            "last fetch": f"{i.last_fetch_at:%Y-%m-%d %H:%M:%S}" if i.last_fetch_at else "",
            "last error": i.last_error, "snapshots": counts[i.name]} for i in infos],
            columns=FEED_COLUMNS)
        self._show_selected()

    def _on_pick(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.selected = str(self._feeds.value.iloc[event.new[0]]["name"])
            self._show_selected()

    def _show_selected(self) -> None:
        if not self.selected:
            return
        try:
            snaps = self.feeds.snapshots(self.selected)
            series = self.feeds.series(snaps[0].sha256) if snaps else None
        except StorageError as exc:
            self._say("danger", "Snapshots cannot be read: {why}", why=exc)
            return
        self._snapshots.value = pd.DataFrame([{
            "id": s.id, "fetched": f"{s.fetched_at:%Y-%m-%d %H:%M:%S}",
            "status": s.http_status or "", "rows": s.rows, "bytes": s.bytes,
            "sha256": s.sha256[:12], "source": s.source} for s in snaps],
            columns=SNAPSHOT_COLUMNS)
        self._preview.object = self._curve(series)

    def _curve(self, series: Any) -> hv.Overlay | hv.Curve:
        if series is None:
            return hv.Curve([], "time", "value").opts(responsive=True, height=220)
        column = next(iter(series.columns))
        data = reduce_columns({"time": np.asarray(series.times),
                               "value": np.asarray(series.columns[column])},
                              ["time", "value"])
        return hv.Curve((data["time"], data["value"]), "time", "value").opts(
            responsive=True, height=220, color=SERIES["preview"], line_width=1.5,
            title=f"latest snapshot of {self.selected}: {column}", show_grid=True)

    @param.depends("message", "message_kind")
    def _message(self) -> pn.viewable.Viewable:
        if not self.message:
            return pn.Spacer(height=0)
        return pn.pane.Alert(self.message, alert_type=self.message_kind,
                             css_classes=["nx-feed-message"], sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            self._message,
            pn.Row(self._form, pn.Column(pn.pane.Markdown("### Feeds"), self._feeds,
                                         self._preview, pn.pane.Markdown("### Snapshots"),
                                         self._snapshots, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            sizing_mode="stretch_width", css_classes=["nx-feeds"])
