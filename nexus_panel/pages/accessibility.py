"""Names and roles that Bokeh's widgets leave out, added in the browser.

Why here and in JavaScript: the slider handles (noUiSlider) and the tab headers are drawn
inside Bokeh's shadow DOM with no accessible name or role, and no Python option sets
them. A screen reader then announces "slider" 27 times on Simulate, and the editors'
tabs are not tabs at all. ``LABEL_JS`` gives every slider handle the name of its slider
(its title without the value: "Issuance gain α"; an editable slider's title sits beside
its number box) and every tab header ``role=tab`` in a ``role=tablist`` with
``aria-selected``, opened by Enter/Space and moved between with the arrow keys.

Values are announced at their precision: noUiSlider writes ``aria-valuetext`` with two
decimals whatever the step (K_i 0.011 was read "0.01"); the handle's text is kept equal
to what the slider shows (its tooltip or title value, formatted to the step's decimals),
again after every move (a MutationObserver, not a timer).

A card's collapse button contains its whole header (title and Reset button), so it had no
usable name; it gets ``aria-label`` "Collapse <title>" / "Expand <title>" and
``aria-expanded``. The side panel's fold button (views/responsive.py) gets its
``aria-expanded`` back after Bokeh re-renders it.

It runs once the page is loaded and again after each click or key press (tabs and cards
render their content lazily), never on a timer.
"""

from __future__ import annotations

import panel as pn

LABEL_JS = r"""
if (window.nxLabels) { return; }
window.nxLabels = true;
// Text of an element and of every shadow tree inside it, buttons left out.
const deepText = (el) => {
  if (el.tagName === "BUTTON" || (el.classList && el.classList.contains("bk-btn-group"))) {
    return "";
  }
  let text = "";
  for (const node of (el.shadowRoot ? el.shadowRoot.childNodes : el.childNodes)) {
    if (node.nodeType === Node.TEXT_NODE) { text += node.textContent; }
    else if (node.nodeType === Node.ELEMENT_NODE && node.tagName !== "STYLE") {
      text += " " + deepText(node);
    }
  }
  return text.replace(/\s+/g, " ").trim();
};
// A slider's title: its own, or (editable sliders) the label beside its number box.
const sliderTitle = (handle) => {
  const own = handle.getRootNode().querySelector(".bk-slider-title");
  if (own && own.textContent.trim()) { return own.textContent; }
  const host = handle.getRootNode().host;
  const row = host && host.getRootNode().querySelector(".bk-Row");
  const label = row && row.shadowRoot && row.shadowRoot.querySelector(".bk-Div");
  return label ? deepText(label) : "";
};
// What the slider shows (tooltip, else the value in its title), as the handle's text.
const announceValue = (handle) => {
  const tip = handle.querySelector(".noUi-tooltip");
  const value = handle.getRootNode().querySelector(".bk-slider-value");
  const shown = ((tip && tip.textContent) || (value && value.textContent) || "").trim();
  if (shown && handle.getAttribute("aria-valuetext") !== shown) {
    handle.setAttribute("aria-valuetext", shown);
  }
};
const nameCardButton = (button) => {
  const header = [...button.children].find((el) => !el.classList.contains("card-button"));
  const title = header ? deepText(header) : "";
  const open = !button.querySelector(".icon-tabler-chevron-right");
  button.setAttribute("aria-expanded", open ? "true" : "false");
  if (title) { button.setAttribute("aria-label", (open ? "Collapse " : "Expand ") + title); }
  const icon = button.querySelector(".card-button");
  if (icon && !icon.nxWatched) {  // the arrow is redrawn on every fold: name it again
    icon.nxWatched = true;
    new MutationObserver(() => nameCardButton(button)).observe(icon, {childList: true});
  }
};
const label = () => {
  const walk = (root) => {
    root.querySelectorAll(".noUi-handle").forEach((handle) => {
      if (!handle.getAttribute("aria-label")) {
        const name = sliderTitle(handle).split(":")[0].trim();
        if (name) { handle.setAttribute("aria-label", name); }
      }
      if (!handle.nxValueWatched) {
        handle.nxValueWatched = true;
        announceValue(handle);
        new MutationObserver(() => announceValue(handle)).observe(
          handle, {attributes: true, attributeFilter: ["aria-valuetext"]});
      }
    });
    root.querySelectorAll("button.card-header").forEach(nameCardButton);
    root.querySelectorAll(".nx-sidebar-toggle").forEach((host) => {
      const button = host.shadowRoot && host.shadowRoot.querySelector("button");
      if (button) {
        button.setAttribute("aria-expanded",
                            host.classList.contains("nx-collapsed") ? "false" : "true");
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
