"""Contracts: the scenario's generated Solidity contract or Rust crate, its zip, and a
Verify button that compiles and executes it against the fixed-point reference."""

from __future__ import annotations

import logging

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.contracts import ContractsView

log = logging.getLogger(__name__)


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    try:
        store = ctx.store()
    except Exception as exc:  # storage down: the page still serves the current scenario
        log.warning("contracts page without saved scenarios: %s", exc)
        store = None
    return ContractsView(session=ctx.session, store=store)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("contracts")
