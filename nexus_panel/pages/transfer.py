"""Import / export: download the current scenario and run (CSV, JSON, Parquet); upload a
JSON scenario (ours or the original app's export)."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.transfer import TransferView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    from nexus_panel.pages.export_route import export_href

    return TransferView(session=ctx.session, download_href=export_href)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("transfer")
