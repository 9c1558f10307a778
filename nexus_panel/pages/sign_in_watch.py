"""An open page ends when its sign-in ends.

Why: a page's websocket session is opened with the browser's session cookie, and the
server checks the cookie then. Signing out in another tab, an admin disabling the
account, or the sign-in's age limit passing must not leave pages that are already open
working on. So each page checks its cookie again every :data:`CHECK_MS` (cheap: the
revocation and the account are cached per cookie and per user for a few seconds) and,
once it no longer signs in, sends the browser to the sign-in form, which brings it back
to the same address afterwards.
"""

from __future__ import annotations

from typing import Any

import panel as pn

from nexus_panel.storage.errors import StorageError
from nexus_panel.views.periodic import session_timer
from nexus_panel.web import identity

CHECK_MS = 5000
"""How often an open page checks that its sign-in still holds."""
TO_SIGN_IN_JS = """
if (cb_obj.value) {
  const here = window.location.pathname + window.location.search;
  window.location.assign('./login?next=' + encodeURIComponent(here));
}
"""


class SignInWatch:
    """Re-checks the cookies a page session was opened with (see the module doc)."""

    def __init__(self) -> None:
        self._cookies = identity.session_cookies()
        self.sink = pn.widgets.TextInput(value="", visible=False,
                                         css_classes=["nx-sign-in-sink"])
        """Set to a reason when the sign-in ended: its JS sends the browser to /login."""
        self.sink.jscallback(value=TO_SIGN_IN_JS)
        self._timer: Any = None

    def start(self) -> None:
        """Check every CHECK_MS from now on (in a served session; the timer belongs to
        the session and ends with it)."""
        if pn.state.curdoc is not None:
            self._timer = session_timer(self.check, CHECK_MS)

    def check(self) -> bool:
        """Whether the sign-in still holds; if not, stop checking and leave the page.
        The database unreachable: it cannot tell, so the page stays (the store refuses
        writes meanwhile) and the next check asks again."""
        try:
            if identity.identity_from_cookie(*self._cookies, strict=True) is not None:
                return True
        except StorageError:
            return True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.sink.value = "signed out"
        return False

