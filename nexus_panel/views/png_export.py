"""PNG downloads of the analysis plots: Bokeh's save tool, present and named.

Why the save tool and not a server-side export: Bokeh's ``export_png`` needs a browser
driver (selenium + a headless browser) in the server process, while the browser already
showing the plot can write its canvas to a PNG itself. The toolbar's save button does
exactly that; this module makes sure every analysis plot has one and that the file it
saves is named for what it shows (``nexus-stability-regimes.png``, not ``bokeh_plot.png``).
A layout of several figures (Controller's N and Φ) saves one PNG per figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import holoviews as hv
from bokeh.models import SaveTool

PREFIX = "nexus"


def png_name(*parts: str) -> str:
    """``nexus-<parts>`` in lower case, every run of other characters one ``-`` (the
    save tool adds ``.png``)."""
    words = "-".join([PREFIX, *parts]).lower()
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")


def _save_as(filename: str) -> Callable[[Any, Any], None]:
    def hook(plot: Any, _element: Any) -> None:
        tools = plot.state.tools
        if not any(isinstance(t, SaveTool) for t in tools):
            plot.state.add_tools(SaveTool())
        for tool in plot.state.tools:
            if isinstance(tool, SaveTool):
                tool.filename = filename

    return hook


def savable(obj: Any, *parts: str) -> Any:
    """``obj`` (an element, overlay, layout or DynamicMap) with a save tool on each of its
    plots saving ``png_name(*parts)``.png."""
    hook = _save_as(png_name(*parts))
    named = obj.map(lambda element: element.opts(hooks=[hook], clone=True), hv.Element)
    # A layout's merged toolbar gets a new, unnamed save tool (HoloViews makes it, no hook
    # reaches it): keep each figure's own toolbar, whose save tool is named.
    return named.opts(merge_tools=False) if isinstance(named, hv.Layout) else named
