"""Widgets generated from parameter declarations, the one way every editor makes them.

Why one factory: a slider's range, step, label, help text and throttling must come from
the model's declaration (``softbounds`` for the slider, ``bounds`` for what may be typed,
``doc`` for the help tooltip), never from a second hand-written list. Where there is room
(the Parameters page) numbers get an *editable* slider so a value beyond the slider's
convenience range (but inside the hard bounds) can still be typed. Sliders update their
parameter only on release (``value_throttled``), so dragging costs one run, not fifty.

Every widget carries the CSS class ``nx-param-<name>`` (``nx-<prefix>-<name>`` when a
prefix is given) so browser tests and styles can find it.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from nexus_panel.models.checked import assignment_error
from nexus_panel.views.number_widgets import (
    CheckedEditableFloatSlider,
    CheckedEditableIntSlider,
    CleanFloatSlider,
    number_format,
)


def widget_class(p: param.Parameter, editable: bool = False) -> type[pn.widgets.Widget]:
    """The widget type for a declaration: sliders for bounded numbers (editable on request:
    a number box beside the slider, to type values beyond the slider's range)."""
    if isinstance(p, param.Selector):
        return pn.widgets.Select
    if isinstance(p, param.String):
        return pn.widgets.TextInput
    if isinstance(p, param.Integer):
        if p.allow_None or p.get_soft_bounds()[1] is None:
            return pn.widgets.IntInput
        return CheckedEditableIntSlider if editable else pn.widgets.IntSlider
    if isinstance(p, param.Number):
        return CheckedEditableFloatSlider if editable else CleanFloatSlider
    raise TypeError(f"no widget for parameter {p.name!r} of type {type(p).__name__}")


def param_widget(p: param.Parameter, css_prefix: str = "param", editable: bool = False,
                 help_icon: bool = True, **options: Any) -> pn.viewable.Viewable:
    """A widget bound two-way to the instance parameter ``p``; its doc becomes the widget's
    description or, for widgets without one (sliders), a help icon beside it."""
    cls = widget_class(p, editable)
    kwargs: dict[str, Any] = {
        "css_classes": [f"nx-{css_prefix}-{p.name}", "nx-param-widget"],
        "sizing_mode": "stretch_width",
        **options,
    }
    if "value_throttled" in cls.param:
        kwargs.setdefault("throttled", True)
    if isinstance(p, param.Number) and "format" in cls.param:
        kwargs.setdefault("format", number_format(p.step))  # the step's precision
    if cls in (CheckedEditableFloatSlider, CheckedEditableIntSlider):
        kwargs.setdefault("check", lambda value: assignment_error(p, value))
    has_description = "description" in cls.param
    if has_description and p.doc:
        kwargs.setdefault("description", p.doc)
    widget = cls.from_param(p, **kwargs)
    if has_description or not p.doc or not help_icon:
        return widget
    icon = pn.widgets.TooltipIcon(value=p.doc, width=18, margin=(12, 0, 0, 0),
                                  css_classes=["nx-help"])
    return pn.Row(widget, icon, sizing_mode="stretch_width", margin=0)
