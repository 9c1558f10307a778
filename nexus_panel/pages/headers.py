"""Security headers on every response of ``nexus-panel serve``.

Why: the app is hosted for teams, and escaping every user string
(:mod:`nexus_panel.views.safe`) is the first defence against script injection; these
headers are the second. They are added by a Tornado output transform, so every route
(pages, static files, the download route, /liveness) gets them, including responses
Bokeh and Panel generate themselves.

The Content-Security-Policy is as tight as Panel and Bokeh allow: they put the document's
JSON and its bootstrapping code in inline ``<script>`` elements, compile ``CustomJS``
callbacks (the copy-link button, the address-bar sync) with ``new Function``, and set
inline styles, so scripts need ``'unsafe-inline'`` and ``'unsafe-eval'`` (and ``blob:``:
Panel 1.9 loads es-module-shims on every page, which runs modules from blob URLs; without
it every page logs a CSP violation in the console); everything else
-- scripts, styles, fonts, images, the websocket -- may come only from this origin
(``data:``/``blob:`` images for exported plots), no plugins, no ``<base>`` rewriting,
forms post only here, and no other site may frame the app (clickjacking).
``tests/ui/test_security.py`` loads every page under this policy and fails on any
violation the browser reports.
"""

from __future__ import annotations

from typing import Any

from tornado.httputil import HTTPHeaders
from tornado.web import OutputTransform

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
"""Added to every response that does not set the header itself."""


class SecurityHeaders(OutputTransform):
    """Tornado output transform adding :data:`SECURITY_HEADERS` (and dropping the
    ``Server`` header, which names the software and its version)."""

    def transform_first_chunk(self, status_code: int, headers: HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, HTTPHeaders, bytes]:
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value
        headers.pop("Server", None)
        return status_code, headers, chunk


def install(application: Any) -> None:
    """Add the headers to every response of a Tornado ``application``."""
    application.add_transform(SecurityHeaders)
