"""Users: the accounts, for admins only (others get a page saying so).

The check here only decides what is shown: every change goes through the store, which
refuses non-admins whatever the page offers."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.pages.scenarios import store_or_alert
from nexus_panel.views import safe
from nexus_panel.views.users import UsersView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    if ctx.identity.role != "admin":
        return pn.pane.Alert(safe.md(
            "**Admins only.** {name} is signed in as {role}: the accounts are managed by "
            "an admin.", name=ctx.identity.name, role=ctx.identity.role),
            alert_type="warning", css_classes=["nx-admins-only"])
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return UsersView(store=store)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("users")
