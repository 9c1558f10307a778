"""Number widgets that show the precision of their step, store clean decimals and say why
a typed number was refused.

Why each part:

* **Precision:** a slider formats its value with two decimals by default, so K_i (step
  0.001) read "0.01" for 0.011. The format now has as many decimals as the step, on the
  slider and in its number box alike (``0,0.000``), thousands separated everywhere.
* **Clean decimals:** the browser computes slider values as ``start + k * step`` in
  binary floating point (0.011000000000000001), and that value went into the model, the
  content hash and every share link. Values from the browser are rounded to 12
  significant digits, which removes the binary noise and keeps every typed digit.
* **Refusals:** the number box beside an editable slider clamped (or reverted) a value
  outside the parameter's bounds without a word. The box now accepts any number and
  the widget shows the same ValidationError text an assignment in Python raises
  (``alpha = 99 (allowed: a finite number in [0, 5])``), keeping the previous value.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import panel as pn
from panel.links import Callback

from nexus_panel.views import safe

SIGNIFICANT_DIGITS = 12
"""Digits kept of a value from the browser: far above any step, far below float noise."""


def step_decimals(step: float | None) -> int:
    """Decimals a step needs: 0.001 -> 3, 0.1 -> 1, 10 -> 0 (None: 2)."""
    if step is None:
        return 2
    exponent = Decimal(repr(float(step))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def number_format(step: float | None) -> str:
    """The numbro format showing ``step``'s precision: ``0,0.000`` for 0.001."""
    decimals = step_decimals(step)
    return "0,0" + ("." + "0" * decimals if decimals else "")


def clean(value: Any) -> Any:
    """``0.011000000000000001`` -> ``0.011``; other values unchanged."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return value


class _CleanValues:
    """Mixin: values arriving from the browser are rounded by :func:`clean`."""

    def _process_property_change(self, msg: dict[str, Any]) -> dict[str, Any]:
        msg = super()._process_property_change(msg)  # type: ignore[misc]
        return {k: clean(v) if k in ("value", "value_throttled") else v
                for k, v in msg.items()}


class CleanFloatSlider(_CleanValues, pn.widgets.FloatSlider):
    """FloatSlider storing clean decimals."""


class CleanFloatInput(_CleanValues, pn.widgets.FloatInput):
    """FloatInput storing clean decimals."""


WIDEN_JS = """
const v = cb_obj.value;
if (v == null || v < lo || v > hi) return;
if (v < slider.start) slider.start = v;
else if (v > slider.end) slider.end = v;
"""

Check = Callable[[Any], Exception | None]
"""Returns the error assigning a value would raise (None: allowed)."""


class _CheckedEditable:
    """Mixin for editable sliders: the number box takes any number; one outside what the
    parameter allows is refused with ``check``'s message under the widget."""

    def _init_check(self, check: Check | None) -> None:
        self._check = check
        self._refusal = pn.pane.HTML("", visible=False, css_classes=["nx-input-error"],
                                     sizing_mode="stretch_width", margin=(0, 0, 4, 0),
                                     styles={"color": "#b3261e", "font-size": "12px"})
        self._composite.append(self._refusal)  # type: ignore[attr-defined]
        if check is not None:
            self._widen_slider_only_within_bounds()
        self._open_box()
        # After the widget's own bounds update (registered first, so it runs first).
        self.param.watch(self._open_box,  # type: ignore[attr-defined]
                         ["start", "end", "fixed_start", "fixed_end"])

    def _widen_slider_only_within_bounds(self) -> None:
        """Panel's box widens the slider to any typed value in the browser; a refused one
        would leave the slider stretched to it (0 … 99 for alpha). Replace that callback
        by one that widens only up to the parameter's bounds."""
        box = self._value_edit  # type: ignore[attr-defined]
        Callback.registry.pop(box, None)  # the one callback Panel's __init__ added
        lo, hi = self.fixed_start, self.fixed_end  # type: ignore[attr-defined]
        box.jscallback(args={"slider": self._slider,  # type: ignore[attr-defined]
                             "lo": -1e308 if lo is None else lo,
                             "hi": 1e308 if hi is None else hi}, value=WIDEN_JS)

    def _open_box(self, *_: Any) -> None:
        # Bounds on the box make the browser clamp a typed value silently; the check
        # below refuses it with a message instead.
        if getattr(self, "_check", None) is not None:
            self._value_edit.param.update(start=None, end=None)  # type: ignore[attr-defined]

    def _sync_value(self, event: Any) -> None:
        check = getattr(self, "_check", None)
        if (check is not None and event.obj is self._value_edit  # type: ignore[attr-defined]
                and event.new is not None):
            if event.name == "value" and event.new == self.value:  # type: ignore[attr-defined]
                return  # the box shows the kept value again (after a refusal): no news
            error = check(event.new)
            if error is not None:
                self._refusal.param.update(object=safe.html_text(error), visible=True)
                self._value_edit.value = self.value  # type: ignore[attr-defined]
                return
            if self._refusal.visible:
                self._refusal.param.update(object="", visible=False)
        super()._sync_value(event)  # type: ignore[misc]


class CheckedEditableFloatSlider(_CheckedEditable, pn.widgets.EditableFloatSlider):
    """EditableFloatSlider with clean decimals and refusals that say why."""

    _slider_widget = CleanFloatSlider
    _input_widget = CleanFloatInput

    def __init__(self, check: Check | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._init_check(check)


class CheckedEditableIntSlider(_CheckedEditable, pn.widgets.EditableIntSlider):
    """EditableIntSlider with refusals that say why."""

    def __init__(self, check: Check | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._init_check(check)
