"""The preset picker: one button per preset scenario, loading it into the page's session.

Why buttons and not a dropdown: there are four, each with a sentence saying what to look
for, and a click is one action (a dropdown needs a choice and a confirmation). Loading
goes through :meth:`ScenarioSession.apply`, so every editor stays bound, the plots and the
diagram redraw, and the page's address and navigation links carry the preset at once.

Test hooks: each button has CSS class ``nx-preset-<slug>``; the line under them
(``nx-preset-loaded``) names the preset last loaded.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models.presets import PRESETS, Preset
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe


class PresetPicker(Viewer):
    """Buttons that load a preset scenario into ``session`` (replacing every value)."""

    session = param.ClassSelector(class_=ScenarioSession)
    loaded = param.String(default="", doc="Slug of the preset last loaded ('' = none).")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.buttons: dict[str, pn.widgets.Button] = {}
        rows = []
        for preset in PRESETS.values():
            button = pn.widgets.Button(
                label=preset.title, color="primary", variant="outline",
                css_classes=[f"nx-preset-{preset.slug}"], width=200,
                description=preset.description)
            button.on_click(lambda _e, p=preset: self.load(p))
            self.buttons[preset.slug] = button
            rows.append(pn.Row(button, pn.pane.Markdown(safe.text(preset.description),
                                                        margin=(8, 10))))
        self.status = pn.pane.Markdown("", css_classes=["nx-preset-loaded"], margin=(0, 10))
        self._layout = pn.Column(
            pn.pane.Markdown("### Start from a preset\nLoading one replaces every parameter "
                             "and input of the scenario on this page (Back undoes it)."),
            *rows, self.status, sizing_mode="stretch_width")

    def load(self, preset: Preset) -> None:
        self.session.apply(preset.scenario())
        self.loaded = preset.slug
        self.status.object = safe.md("Loaded **{title}**.", title=preset.title)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
