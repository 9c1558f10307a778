"""Keep every page's stylesheets on this server, never on Panel's CDN.

Why: Panel writes its stylesheet URLs for the CDN (``cdn.holoviz.org``) and rewrites them
to the server's own ``static/extensions/panel/`` only where a document says so
(``doc._template_variables["dist_url"]``), which Panel sets when it renders the page's
HTML -- after the page was built. Some ``ImportedStyleSheet`` models are shared between
documents (Panel's class-level design cache), so building a page in a document without
that variable rewrote stylesheets that other, already open pages were showing back to the
CDN: their browsers then fetched (or, under our Content-Security-Policy, refused) CSS from
a third-party host. Pinning the variable before a page is built makes every rewrite point
at this server. The value is the one Panel itself would set for a server-mode page.
"""

from __future__ import annotations

from typing import Any


def local_dist_url() -> str:
    """Where this server serves Panel's static files, relative to the current page."""
    from panel.io.resources import LOCAL_DIST
    from panel.io.state import state

    return f"{state.rel_path}/{LOCAL_DIST}" if state.rel_path else LOCAL_DIST


def serve_locally(doc: Any) -> None:
    """Make Panel resolve ``doc``'s stylesheets against this server from now on."""
    doc._template_variables["dist_url"] = local_dist_url()
