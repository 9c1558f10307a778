"""Signals: the six inputs, each with its kind, that kind's parameters and a live preview
(a ``feed`` input previews its pinned snapshot aligned to the run's grid)."""

from __future__ import annotations

from typing import Any

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.kpis import KpiCards
from nexus_panel.views.signal_editor import InputsEditor


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    return pn.Column(KpiCards(session=ctx.session),
                     InputsEditor(session=ctx.session, layout="grid", feeds=_feeds(ctx)),
                     sizing_mode="stretch_width")


def _feeds(ctx: site.PageContext) -> Any | None:
    """A FeedStore on the shared database (the feed kind's snapshots), or None when no
    database can be opened (the editors then offer the generators only)."""
    from nexus_panel.storage import StorageError

    try:
        store = ctx.store()
    except StorageError:
        return None
    if store is None:
        return None
    from nexus_panel.feeds.store import FeedStore

    return FeedStore(store)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("signals")
