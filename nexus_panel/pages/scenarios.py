"""Scenarios: save, search, load, history with diffs, delete/restore, duplicate.

The pages that need scenario storage (this one and Compare) open it through
:func:`store_or_alert`: a database that is missing or unreachable gives a page with a
one-line explanation, never a blank page or a traceback."""

from __future__ import annotations

from typing import Any

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views import safe
from nexus_panel.views.scenarios import ScenariosView


def store_or_alert(ctx: site.PageContext) -> tuple[Any | None, pn.viewable.Viewable | None]:
    """The shared ScenarioStore, or None and an alert saying why it cannot be used."""
    from nexus_panel.storage import StorageError

    try:
        store = ctx.store()
    except StorageError as exc:
        return None, pn.pane.Alert(safe.md("Scenario storage cannot be opened: {why}", why=exc),
                                   alert_type="danger", css_classes=["nx-storage-alert"])
    if store is None:
        return None, pn.pane.Alert("Scenario storage is not available on this server.",
                                   alert_type="warning", css_classes=["nx-storage-alert"])
    return store, None


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return ScenariosView(session=ctx.session, store=store, identity=ctx.identity)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("scenarios")
