"""Text from users, links, files and the database, made safe to show on a page.

Why one module: the app is hosted for teams, so a scenario name, description, revision
message, author, uploaded file name or a value echoed in an error message is hostile
text. Panel's Markdown and Alert panes render Markdown *and* raw HTML, HTML panes render
HTML, and notifications (Notyf) insert their message as HTML: any of them shows a name
like ``<img src=x onerror=...>`` by running it. Every view builds such text through the
helpers below, and ``tests/views/test_safe_text.py`` fails when a pane or notification in
``nexus_panel.views``/``nexus_panel.pages`` is given a formatted string that did not come
from here, so a new page cannot forget it.

* :func:`text` -- one value for Markdown (panes, alerts): HTML-escaped, and every Markdown
  punctuation character written as a numeric character reference, so the value can neither
  open a tag nor start emphasis, a link, a heading or a list; newlines become spaces.
* :func:`block` -- like :func:`text`, keeping line breaks (descriptions, messages).
* :func:`html_text` -- one value for HTML panes and attributes.
* :func:`md` -- a Markdown template whose ``{fields}`` are filled with :func:`text`.
* :func:`html` -- an HTML template whose ``{fields}`` are filled with :func:`html_text`.
* :func:`notify` -- a toast whose ``{fields}`` are filled with :func:`html_text`.

Bokeh's ``MultiChoice`` is not used for user text: Choices.js renders its labels as HTML
and decodes them again from the DOM, so no escaping makes it safe (Compare uses a native
multi-select; the guard test keeps ``MultiChoice`` to fixed, app-made options).
"""

from __future__ import annotations

import html as _html
import reprlib
from typing import Any

_MARKDOWN_PUNCTUATION = "\\`*_{}[]()#+-.!|~:<>&\"'=$^@%"
_TABLE = {ord(c): f"&#{ord(c)};" for c in _MARKDOWN_PUNCTUATION}
_SHORT = reprlib.Repr()
_SHORT.maxstring = 80
_SHORT.maxother = 80


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def text(value: Any) -> str:
    """``value`` as inert Markdown text on one line."""
    return " ".join(_as_text(value).translate(_TABLE).split())


def block(value: Any) -> str:
    """``value`` as inert Markdown text, line breaks kept (two spaces + newline)."""
    lines = _as_text(value).splitlines()
    return "  \n".join(" ".join(line.translate(_TABLE).split()) for line in lines)


def html_text(value: Any) -> str:
    """``value`` escaped for HTML text and quoted attribute values."""
    return _html.escape(_as_text(value), quote=True)


def short(value: Any) -> str:
    """A bounded ``repr`` of a value echoed back in a message (still to be escaped)."""
    return _SHORT.repr(value)


def md(template: str, /, **values: Any) -> str:
    """``template`` (trusted Markdown written in this code base) with each ``{name}``
    replaced by :func:`text` of ``values[name]``."""
    return template.format(**{k: text(v) for k, v in values.items()})


def html(template: str, /, **values: Any) -> str:
    """``template`` (trusted HTML written in this code base) with each ``{name}`` replaced
    by :func:`html_text` of ``values[name]``."""
    return template.format(**{k: html_text(v) for k, v in values.items()})


def notify(kind: str, template: str, /, *, duration: int = 8000, **values: Any) -> None:
    """Show a toast (``kind``: error, warning, info, success) when the page is served with
    notifications; ``{name}`` fields are filled with :func:`html_text`."""
    import panel as pn

    notifications = pn.state.notifications
    if notifications is None:
        return
    message = template.format(**{k: html_text(v) for k, v in values.items()})
    getattr(notifications, kind)(message, duration=duration)
