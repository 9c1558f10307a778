"""Layout that stays readable from a 1440 px screen down to 800 px and a 1000 px notebook
cell: wrapping rows, a side panel the reader can fold away, visible card arrows.

Why each part:

* **Wrapping rows** (:func:`wrap_row`, :func:`grid_row`): Panel's ``Row`` never wraps,
  so at 800 px a row of filters or buttons ran past the right edge of the page
  (Compare's output buttons, Scenarios' Duplicate/Delete) behind a horizontal
  scrollbar. A wrapping row moves what does not fit to the next line; a child's
  ``min_width`` is where it wraps.
* **Side panel** (:class:`Sidebar`): editors or an analysis form beside the plots leave
  the plots too narrow to read at 800 px or in a notebook cell. Its button folds the
  panel to the button alone and the plots take the width. The panel keeps its place
  while the page scrolls and scrolls on its own (sticky, at most one screen tall), so the
  editors stay at hand beside any plot. The button toggles in the browser (no round trip)
  and says its state to screen readers with ``aria-expanded``, which Bokeh's buttons do
  not have; pages/accessibility.py sets it again after Bokeh re-renders the button.
* **Card arrows**: Panel draws a card's collapse arrow with ``stroke:
  var(--background-text-color)``, a variable the Bootstrap template never defines, so
  the arrow had no stroke at all; :data:`CARD_CSS` draws it in the text colour.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

WRAP_CSS = ":host { flex-wrap: wrap; row-gap: 4px; }"
"""A Row's stylesheet making it wrap (its children become flex items of its host)."""

CARD_CSS = ".card-button > svg { stroke: currentColor; }"
"""A Card's stylesheet drawing its collapse arrow (see the module doc)."""

SIDEBAR_CSS = """
:host { position: sticky; top: 0; align-self: flex-start; max-height: calc(100vh - 96px);
        overflow-y: auto; overflow-x: hidden; }
@media (max-width: 1199px) { :host { max-height: calc(100vh - 170px); } }
"""
"""The side panel keeps its place and scrolls on its own; the template's header is one
line of navigation wide (about 80 px) and up to four lines below 1200 px."""

TOGGLE_JS = """
const open = !content.visible;
content.visible = open;
btn.label = open ? hide : show;
btn.css_classes = ["nx-sidebar-toggle", open ? "nx-expanded" : "nx-collapsed"];
const view = window.Bokeh && Bokeh.index.find_one(btn);
if (view && view.button_el) { view.button_el.setAttribute("aria-expanded", String(open)); }
"""
"""Fold or unfold the panel in the browser; the label is set first, since a new label
re-renders the button element that carries ``aria-expanded``."""

TOGGLE_WIDTH = 150


class WrapRow(pn.Row):
    """A Row whose children move to the next line when they do not fit.

    Panel gives a Row the sum of its children's minimum widths as its own minimum; a
    wrapping row needs only its widest child's, else it would never be narrow enough to
    wrap (six plots of 380 px made a row 2,280 px wide)."""

    def _compute_sizing_mode(self, children: list[Any], props: dict[str, Any]
                             ) -> dict[str, Any]:
        out = super()._compute_sizing_mode(children, props)
        if out.get("min_width"):
            out["min_width"] = max((c.min_width or c.width or 0) for c in children) or None
        return out


def wrap_row(*objects: Any, **params: Any) -> WrapRow:
    """A :class:`WrapRow` as wide as its container."""
    params.setdefault("sizing_mode", "stretch_width")
    return WrapRow(*objects, stylesheets=[WRAP_CSS], **params)


def grid_row(*objects: Any, min_width: int, max_columns: int = 2, **params: Any) -> WrapRow:
    """Equal columns, as many as fit at ``min_width`` each but at most ``max_columns``
    (a plain wrapping row put three plots a row on a wide screen, each narrower than
    two would be)."""
    share = 100 / (max_columns + 1) + 1  # a column wider than this: never one more
    css = (":host { display: grid; grid-template-columns: "
           f"repeat(auto-fill, minmax(max({min_width}px, {share:.0f}%), 1fr)); }}")
    params.setdefault("sizing_mode", "stretch_width")
    return WrapRow(*objects, stylesheets=[css], **params)


class Sidebar(Viewer):
    """``content`` under a button that folds it away (``Hide editors`` / ``Show
    editors``), kept in view while the page beside it scrolls.

    Test hooks: the button's CSS classes ``nx-sidebar-toggle`` and ``nx-expanded`` or
    ``nx-collapsed``; the panel's ``nx-sidebar``.
    """

    content = param.Parameter(doc="What the panel holds (editors, an analysis form).")
    what = param.String(default="editors", doc="What the button names: 'Hide <what>'.")
    expanded = param.Boolean(default=True, doc="Whether the panel starts unfolded.")

    def __init__(self, content: Any = None, **params: Any) -> None:
        super().__init__(content=content, **params)
        hide, show = f"◀ Hide {self.what}", f"▶ Show {self.what}"
        self._body = pn.Column(self.content, visible=self.expanded, margin=0)
        self.toggle = pn.widgets.Button(
            label=hide if self.expanded else show, color="light", width=TOGGLE_WIDTH,
            margin=(0, 5, 5, 5), description=f"Fold the {self.what} away to widen the plots",
            css_classes=["nx-sidebar-toggle",
                         "nx-expanded" if self.expanded else "nx-collapsed"])
        self.toggle.js_on_click(args={"content": self._body, "btn": self.toggle,
                                      "hide": hide, "show": show}, code=TOGGLE_JS)
        self._layout = pn.Column(self.toggle, self._body, margin=(0, 10, 0, 0),
                                 css_classes=["nx-sidebar"], stylesheets=[SIDEBAR_CSS])

    def __panel__(self) -> pn.Column:
        return self._layout
