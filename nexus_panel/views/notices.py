"""Toasts for what the session model reports: every failed run raises one.

Why here: the session (nexus_panel.session) only records why values did not run
(``error``); telling the user is a view's job, wired once per page (pages/site.py) or
dashboard (views/dashboard.py).
"""

from __future__ import annotations

from typing import Any

from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe


def notify_errors(session: ScenarioSession) -> None:
    """Show an error toast for every run of ``session`` that fails (bad values, a busy
    server), with the reason as plain text."""
    def on_version(_event: Any) -> None:
        if session.error:
            safe.notify("error", "Not run: {why}", why=session.error)

    session.param.watch(on_version, "version")
    on_version(None)  # the first run happened when the session was made
