"""The engine-parameter editor: every coefficient, grouped, generated from the declarations.

Groups, their order and titles come from ``EngineParams.by_group()`` / ``GROUPS``; each
widget's label (with its symbol), range, step and help text from the parameter itself. A
new parameter declared on EngineParams appears here with no change to this file.
Each group has its own "Reset" and the editor a "Reset all parameters". With
``detailed=True`` (the Parameters page) every widget also shows its help text, the range
that may be typed and the default, and the groups are laid out in a grid.
"""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models import GROUPS, EngineParams
from nexus_panel.models.checks import describe_bounds
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe
from nexus_panel.views.responsive import CARD_CSS
from nexus_panel.views.widgets import param_widget

SMALL_BUTTON = ":host .bk-btn { padding: 2px 8px; font-size: 13px; }"


def caption(name: str) -> str:
    """Help line of an engine parameter: its doc, what may be entered and its default."""
    p = EngineParams.param[name]
    return (f"{p.doc} `{name}` · allowed: {describe_bounds(p)} · "
            f"default {p.default:g}")


class ParameterEditor(Viewer):
    """Cards of parameter widgets, one per group, bound to ``session.scenario.params``."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The session being edited.")
    groups = param.List(default=None, allow_None=True,
                        doc="Group keys to show (default: all, in display order).")
    collapsed = param.List(default=[], doc="Group keys whose card starts collapsed.")
    detailed = param.Boolean(default=False, doc="Show help, range and default under each "
                             "widget, groups in a grid.")

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self._layout = self._build()

    def _group_card(self, key: str, names: list[str]) -> pn.Card:
        engine = self.session.scenario.params
        reset = pn.widgets.Button(label="↺ Reset", color="light",
                                  css_classes=[f"nx-reset-{key}"], width=90,
                                  margin=(2, 5), stylesheets=[SMALL_BUTTON],
                                  description=f"Reset {GROUPS[key].lower()} to defaults")
        reset.on_click(lambda _event: self.session.reset_params(names))
        widgets: list[pn.viewable.Viewable] = []
        for n in names:
            widgets.append(param_widget(engine.param[n], editable=self.detailed,
                                        help_icon=not self.detailed))
            if self.detailed:
                widgets.append(pn.pane.Markdown(caption(n), css_classes=["nx-param-help"],
                                                margin=(-6, 10, 6, 10),
                                                styles={"font-size": "12px",
                                                        "color": "#5b6470"}))
        header = pn.Row(
            pn.pane.HTML(safe.html("<b>{title}</b>", title=GROUPS[key]), margin=(6, 5),
                         styles={"font-size": "15px"}),
            pn.layout.HSpacer(), reset, margin=0, sizing_mode="stretch_width")
        return pn.Card(
            *widgets, header=header, collapsed=key in self.collapsed,
            css_classes=["nx-group", f"nx-group-{key}"], sizing_mode="stretch_width",
            margin=(4, 0), stylesheets=[CARD_CSS],
        )

    def _build(self) -> pn.Column:
        reset_all = pn.widgets.Button(label="↺ Reset all parameters",
                                      color="light", css_classes=["nx-reset-all"],
                                      sizing_mode="stretch_width")
        reset_all.on_click(lambda _event: self.session.reset_params())
        shown = self.groups or list(GROUPS)
        cards = [self._group_card(key, names)
                 for key, names in EngineParams.by_group().items() if key in shown and names]
        body: pn.viewable.Viewable = (
            pn.GridBox(*cards, ncols=3, sizing_mode="stretch_width") if self.detailed
            else pn.Column(*cards, sizing_mode="stretch_width", margin=0))
        return pn.Column(reset_all, body, sizing_mode="stretch_width",
                         css_classes=["nx-param-editor"])

    def __panel__(self) -> pn.Column:
        return self._layout
