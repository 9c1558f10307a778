"""Names and roles that Bokeh's widgets leave out, added in the browser.

Why here and in JavaScript: the slider handles (noUiSlider) and the tab headers are drawn
inside Bokeh's shadow DOM with no accessible name or role, and no Python option sets
them. A screen reader then announces "slider" 27 times on Simulate, and the editors'
tabs are not tabs at all. ``LABEL_JS`` gives every slider handle the name of its slider
(its title without the value: "Issuance gain α") and every tab header ``role=tab`` in a
``role=tablist`` with ``aria-selected``, opened by Enter/Space and moved between with the
arrow keys. It runs once the page is loaded and again after
each click or key press (tabs and cards render their content lazily), never on a timer.
"""

from __future__ import annotations

import panel as pn

LABEL_JS = """
if (window.nxLabels) { return; }
window.nxLabels = true;
const label = () => {
  const walk = (root) => {
    root.querySelectorAll(".noUi-handle:not([aria-label])").forEach((handle) => {
      const title = handle.getRootNode().querySelector(".bk-slider-title");
      if (title) {
        handle.setAttribute("aria-label", title.textContent.split(":")[0].trim());
      }
    });
    root.querySelectorAll(".bk-tab").forEach((tab) => {
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", tab.classList.contains("bk-active") ? "true" : "false");
      if (tab.parentElement) { tab.parentElement.setAttribute("role", "tablist"); }
    });
    root.querySelectorAll("*").forEach((el) => { if (el.shadowRoot) { walk(el.shadowRoot); } });
  };
  walk(document);
};
// Bokeh's tab headers take focus (tabindex 0) but react to clicks only: Enter or Space
// opens the focused tab, the arrow keys move to the neighbouring one.
document.addEventListener("keydown", (event) => {
  const tab = event.composedPath()[0];
  if (!tab || !tab.classList || !tab.classList.contains("bk-tab")) { return; }
  let target = null;
  if (event.key === "Enter" || event.key === " ") { target = tab; }
  if (event.key === "ArrowRight") { target = tab.nextElementSibling; }
  if (event.key === "ArrowLeft") { target = tab.previousElementSibling; }
  if (target && target.classList.contains("bk-tab")) {
    event.preventDefault();
    target.click();
    target.focus();
  }
}, true);
const soon = () => { for (const ms of [50, 500, 1500]) { setTimeout(label, ms); } };
document.addEventListener("click", soon, true);
document.addEventListener("keyup", soon, true);
soon();
"""


def labeller() -> pn.widgets.TextInput:
    """A hidden widget whose first value (set once the page has loaded, see
    ``Site._on_load``) starts ``LABEL_JS``."""
    widget = pn.widgets.TextInput(value="", visible=False, css_classes=["nx-a11y"])
    widget.jscallback(value=LABEL_JS)
    return widget
