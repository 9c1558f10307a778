"""Import / export: download the current scenario and its run (CSV, JSON, Parquet), or
upload a JSON scenario and see it load, or read exactly what is wrong with it.

Downloads are plain links to the HTTP export route (``nexus_panel.pages.export_route``,
handed in by the page as ``download_href``): the browser fetches the file directly,
nothing large crosses the session's websocket, and the link itself encodes the scenario,
so it always matches what the page shows. In a notebook (no server routes) the same
buttons fall back to ``FileDownload`` widgets.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models import ValidationError
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe
from nexus_panel.views.transfer_formats import EXPORT_FORMATS, export_bytes, export_filename

IMPORT_KINDS = {
    "bundle": "a nexus_panel export",
    "scenario": "a nexus_panel scenario file",
    "original": "the original app's export (its results are recomputed, not imported)",
}


class TransferView(Viewer):
    """Download the current run; upload a JSON scenario into the current session."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The page's live scenario.")
    upload = param.Bytes(default=None, label="Upload a scenario (JSON or Parquet)",
                         doc="Our scenario or export JSON, or the original app's export.")
    upload_name = param.String(default="", doc="File name of the last upload.")
    download_href = param.Callable(default=None, allow_None=True, doc=(
        "(scenario, format) -> the URL of the HTTP download; None: download over the "
        "websocket with FileDownload (notebooks, which have no HTTP routes)."))
    message = param.String(default="", doc="Outcome of the last upload, as Markdown "
                           "built with nexus_panel.views.safe.")
    message_kind = param.Selector(default="info", objects=["info", "success", "danger"])

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.session is None:
            self.session = ScenarioSession()

    @param.depends("upload", watch=True)
    def _on_upload(self) -> None:
        if not self.upload:
            return
        from nexus_panel.views.transfer_formats import import_bytes

        label = self.upload_name or "the file"
        try:
            parsed = import_bytes(self.upload, label)
        except ValidationError as exc:
            # reprlib: the rejected value may be the whole 10 MB file's content
            lines = "\n".join(
                safe.md("- **{field}** = {value} (allowed: {allowed})", field=e.field,
                        value=safe.short(e.value), allowed=e.allowed) for e in exc.errors)
            self.param.update(message_kind="danger", message=safe.md(
                "**{label} was not loaded** — {count} problem(s):", label=label,
                count=len(exc.errors)) + "\n\n" + lines)
            return
        self.session.apply(parsed.scenario)
        self.param.update(message_kind="success", message=safe.md(
            "Loaded **{name}** from {label}, {kind}.", name=parsed.scenario.name,
            label=label, kind=IMPORT_KINDS.get(parsed.kind, parsed.kind)))

    @param.depends("message", "message_kind")
    def _message(self) -> pn.viewable.Viewable:
        if not self.message:
            return pn.Spacer(height=0)
        return pn.pane.Alert(self.message, alert_type=self.message_kind,
                             css_classes=["nx-transfer-message"], sizing_mode="stretch_width")

    @param.depends("session.version", "download_href")
    def _downloads(self) -> pn.viewable.Viewable:
        result = self.session.result
        if result is None:
            return pn.pane.Alert(safe.md("The current values cannot run, so there is "
                                         "nothing to export: {why}", why=self.session.error),
                                 alert_type="warning")
        scenario = result.scenario
        rows = len(result.frame)
        summary = pn.pane.Markdown(
            safe.md("**{name}** · {rows} time points · final N = {final}", name=scenario.name,
                    rows=f"{rows:,}", final=f"{result.final_N:,.4f}"),
            css_classes=["nx-export-summary"])
        return pn.Column(summary, pn.Row(*(self._download(result, f) for f in EXPORT_FORMATS)))

    def _download(self, result: Any, fmt: str) -> pn.viewable.Viewable:
        spec = EXPORT_FORMATS[fmt]
        filename = export_filename(result, fmt)
        if self.download_href is not None:
            href = self.download_href(result.scenario, fmt)
            return pn.pane.HTML(
                safe.html('<a class="nx-download-link" href="{href}" download="{filename}" '
                          'data-format="{fmt}">⬇ {label}</a>', href=href, filename=filename,
                          fmt=fmt, label=spec.label),
                css_classes=[f"nx-download-{fmt}"], stylesheets=[_LINK_CSS], margin=(5, 10))
        return pn.widgets.FileDownload(
            callback=lambda: _buffer(export_bytes(result, fmt)), filename=filename,
            label=f"⬇ {spec.label}", color="primary", css_classes=[f"nx-download-{fmt}"])

    def __panel__(self) -> pn.viewable.Viewable:
        upload = pn.widgets.FileInput(accept=".json,.parquet,application/json", multiple=False,
                                      css_classes=["nx-upload"])

        def on_file(*events: param.parameterized.Event) -> None:
            # filename and value arrive in one batch; take the name first so the
            # message names the file it is about.
            self.upload_name = upload.filename or ""
            if self.upload == upload.value:  # the same file again: still report on it
                self.param.trigger("upload")
            else:
                self.upload = upload.value
        upload.param.watch(on_file, ["filename", "value"])
        return pn.Column(
            pn.pane.Markdown("### Export the current scenario and its run"),
            self._downloads,
            pn.pane.Markdown(
                "### Import a scenario\nA JSON file exported here (or a scenario file), or "
                "the original NexusOS app's export `{\"parameters\", \"signal_configs\", "
                "\"results\"}`. It replaces the current scenario; save it on the Scenarios "
                "page to keep it."),
            upload,
            self._message,
            sizing_mode="stretch_width",
        )


def _buffer(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


_LINK_CSS = """
a.nx-download-link {
  display: inline-block; padding: 8px 16px; border-radius: 4px; text-decoration: none;
  background: var(--nx-accent, #0b5c8e); color: #fff;
  font-weight: 600;
}
a.nx-download-link:hover { filter: brightness(1.1); }
"""
