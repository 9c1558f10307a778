"""The site shell: one template, one navigation, share links that always hold the scenario.

URL layout (``nexus-panel serve``; ``panel serve`` of the page files gives the same)::

    /                       the home page (Simulate)
    /simulate               Simulate: editors beside KPI cards and the linked plots
    /parameters             Parameters: every engine parameter, grouped, with resets
    /signals                Signals: the six inputs, kind + parameters + live preview
    /<slug>                 every other page in nexus_panel.pages.registry.PAGES
    /liveness               health check (only with --liveness)

Query parameters (any page; see nexus_panel.pages.links for the encoding)::

    ?s=<token>              the complete scenario (always written back by the page)
    &base=N                 the stored revision those values started from (written back)
    ?scenario=NAME&rev=N    open revision N (default latest) of a stored scenario
    ?alpha=2.5              hand-written override of one engine parameter

Each page is a separate Bokeh session; the scenario travels between pages in the ``s=``
of the navigation links, which are rewritten after every change. After every change the
page also writes its own address, ``?s=<token of the current scenario>``, so the address
bar always describes the scenario: the first change of a gesture that follows a quiet
second (key presses, clicks, wheel turns) pushes a new history entry, the rest of that
gesture rewrites it (``HISTORY_JS``; measured on the user's input, not on when the server
answers), so Back undoes the last gesture (the
page reopens from the previous entry's address) instead of leaving the app.

A link that cannot be fully applied opens the page anyway, with an alert at the top
naming every bad key and value (CSS class ``nx-link-alert``); nothing is dropped silently.

``&theme=dark`` (any page) shows the dark theme; the header's toggle (``.nx-theme-toggle``)
reopens the page in the other one, and every link the page writes keeps the choice.

Test hooks: navigation links ``a.nx-nav-link[data-page=<slug>]`` (the current one also
``.nx-nav-active`` and ``aria-current="page"``) inside ``.nx-nav-group[data-group=<group>]``
(the registry's groups; below ``NAV_NARROW_PX`` each is a menu, its ``.nx-nav-menu``
button; the current page's group also ``.nx-nav-group-active``); the copy button
``.nx-copy-link`` (the last copied URL is also put in
``document.body.dataset.nxCopiedLink``); the link alert ``.nx-link-alert``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import panel as pn
from bokeh.models import CustomJS

from nexus_panel.models import Scenario
from nexus_panel.pages import accessibility
from nexus_panel.pages.links import LinkReading, Loader, encode_scenario, read_link
from nexus_panel.pages.registry import HOME, available_pages, page_entry, page_module
from nexus_panel.pages.sign_in_watch import SignInWatch
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe
from nexus_panel.views.notices import notify_errors
from nexus_panel.web.identity import LOCAL, Identity, current_identity, sign_in_required

log = logging.getLogger(__name__)

SITE_TITLE = "Nexus"
ACCENT = "#0b5c8e"

NAV_NARROW_PX = 1400
"""Below this window width each navigation group folds into a menu (its name, and the
current page's title in its own group): the header stays one line instead of three to
six. (The browser tests run at 1,400 px: they see every link.)"""
NAV_CSS = f"""
.nx-nav {{ display: flex; gap: 2px 6px; align-items: center; flex-wrap: wrap;
          height: 100%; }}
.nx-nav-group {{ display: flex; gap: 4px; align-items: center; flex-wrap: wrap;
                position: relative; }}
.nx-nav-group + .nx-nav-group {{ border-left: 1px solid rgba(255,255,255,.3);
                                padding-left: 6px; }}
.nx-nav-links {{ display: contents; }}
.nx-nav-menu {{ display: none; }}
.nx-nav-link {{ color: #fff; text-decoration: none; padding: 5px 9px; border-radius: 4px;
               font-size: 14px; opacity: .85; white-space: nowrap; }}
.nx-nav-link:hover, .nx-nav-link:focus {{ background: rgba(255,255,255,.15); opacity: 1; }}
.nx-nav-active {{ background: rgba(255,255,255,.22); opacity: 1; font-weight: 600;
                 box-shadow: inset 0 -3px 0 #fff; }}
@media (max-width: {NAV_NARROW_PX - 1}px) {{
  .nx-nav-group + .nx-nav-group {{ border-left: none; padding-left: 0; }}
  .nx-nav-menu {{ display: inline-block; color: #fff; background: none; border: none;
                 font: inherit; font-size: 14px; padding: 5px 9px; border-radius: 4px;
                 cursor: pointer; white-space: nowrap; opacity: .85; }}
  .nx-nav-menu:hover {{ background: rgba(255,255,255,.15); opacity: 1; }}
  .nx-nav-group-active > .nx-nav-menu {{ background: rgba(255,255,255,.22); opacity: 1;
                                         font-weight: 600; box-shadow: inset 0 -3px 0 #fff; }}
  .nx-nav-links {{ display: none; position: absolute; top: 100%; left: 0; z-index: 2000;
                  flex-direction: column; align-items: stretch; gap: 2px; padding: 6px;
                  background: {ACCENT}; border-radius: 0 0 6px 6px; min-width: 170px;
                  box-shadow: 0 6px 16px rgba(0,0,0,.3); }}
  .nx-nav-group:hover > .nx-nav-links,
  .nx-nav-group:focus-within > .nx-nav-links {{ display: flex; }}
  .nx-nav-links .nx-nav-active {{ box-shadow: inset 3px 0 0 #fff; }}
}}
"""

COPY_JS = """
const url = window.location.href;
const label = btn.label;
const done = (text) => {
  document.body.dataset.nxCopiedLink = url;
  btn.label = text;
  setTimeout(() => { btn.label = label; }, 1600);
};
const fallback = () => {
  const area = document.createElement("textarea");
  area.value = url;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  area.remove();
  done(ok ? "Link copied ✓" : "Copy failed: use the address bar");
};
if (navigator.clipboard && window.isSecureContext) {
  navigator.clipboard.writeText(url).then(() => done("Link copied ✓"), fallback);
} else {
  fallback();
}
"""

HISTORY_QUIET_MS = 1000
"""A change made after this long without changes starts a new browser-history entry;
changes closer together (a slider drag, typing) rewrite that entry, so one Back undoes one
gesture and a drag does not flood the history."""

HISTORY_SETUP_JS = """
// Once per page, as soon as the browser has built it (no server round trip): Back and
// Forward reopen the page from the entry's address, and gestures are counted. Gestures,
// not the server's replies, decide what one history entry is: a key press, click or
// wheel after a quiet spell starts a new gesture; the addresses written for it (however
// late the server answers) share one entry.
if (!window.nxHistory) {
  const h = window.nxHistory = {ready: false, gesture: 0, lastInput: 0, written: -1};
  const input = () => {
    const t = Date.now();
    if (t - h.lastInput > quiet) { h.gesture += 1; }
    h.lastInput = t;
  };
  for (const kind of ["keydown", "pointerdown", "wheel"]) {
    document.addEventListener(kind, input, {capture: true, passive: true});
  }
  window.addEventListener("popstate", () => window.location.reload());
}
"""

HISTORY_JS = HISTORY_SETUP_JS + """
const url = cb_obj.value;
const h = window.nxHistory;
if (!url) { return; }
if (!h.ready) {
  // The first address of this page (the one it was opened with, made canonical):
  // rewrite it in place. Back/Forward between entries reopens the page from its
  // address, so the session shows exactly the scenario that entry holds.
  window.history.replaceState(window.history.state, "", url);
  h.ready = true;
  h.written = h.gesture;
  return;
}
if (new URL(url, window.location.href).search !== window.location.search) {
  if (h.gesture !== h.written) {
    window.history.pushState(null, "", url);
    h.written = h.gesture;
  } else {
    window.history.replaceState(window.history.state, "", url);
  }
}
"""

THEME_JS = """
// Light/dark needs a new page (Panel themes are chosen when the page is built): reopen
// this address with the other theme; the address already holds the current scenario.
const url = new URL(window.location.href);
if (dark) { url.searchParams.delete("theme"); } else { url.searchParams.set("theme", "dark"); }
window.location.assign(url.toString());
"""

pn.config.notifications = True


# --- storage (optional: pages work without it) ----------------------------------------------
_STORE_LOCK = threading.Lock()
_STORE: dict[str, Any] = {}


def base_store() -> Any | None:
    """The process-wide ScenarioStore in local mode (DATABASE_URL or local SQLite), or
    None if storage is not available in this installation. Its engine (one connection
    pool per process) is shared by every user's store (:func:`shared_store`)."""
    with _STORE_LOCK:
        if "store" not in _STORE:
            try:
                from nexus_panel.storage import ScenarioStore
            except ImportError as exc:
                log.warning("scenario storage unavailable: %s", exc)
                _STORE["store"] = None
            else:
                _STORE["store"] = ScenarioStore(url=None)
        return _STORE["store"]


def shared_store(identity: Identity | None = None) -> Any | None:
    """The store acting as ``identity`` (None: the current session's), cached per user
    name; every write it makes is checked against that user's role by the store itself.

    Without a signed-in identity (sign-in required, no valid session) this raises
    PermissionDenied: nothing may be read or written anonymously."""
    who = identity or current_identity()
    if who is None:
        from nexus_panel.storage import PermissionDenied

        raise PermissionDenied("sign in first: this server needs an account")
    base = base_store()
    if base is None:
        return None
    key = "" if who.local else who.name
    with _STORE_LOCK:
        stores = _STORE.setdefault("users", {})
        if key not in stores:
            stores[key] = base.acting_as(None if who.local else who.name)
        return stores[key]


def release_connections() -> None:
    """Close the pooled database connections (before the server forks its workers: a
    connection must not be shared by processes; each opens its own on first use)."""
    with _STORE_LOCK:
        store = _STORE.get("store")
    if store is not None:
        store.engine.dispose()


def store_loader(store: Any) -> Loader:
    """``read_link``'s loader for ``?scenario=NAME&rev=N`` reading ``store``."""
    def load(name: str, rev: int | None) -> tuple[Scenario, int]:
        # The number first, then exactly that revision: a save in between cannot make
        # the page claim a revision it does not show.
        number = rev if rev is not None else store.get(name).revision
        return store.load(name, revision=number), number

    return load


def stored_loader(identity: Identity | None = None) -> Loader | None:
    """``read_link``'s loader for ``identity``'s store (None without storage)."""
    try:
        store = shared_store(identity)
    except Exception as exc:  # a database that cannot open must not blank the page
        log.warning("scenario storage failed to open: %s", exc)
        return None
    return None if store is None else store_loader(store)


# --- pages ------------------------------------------------------------------------------------
@dataclass
class PageContext:
    """What a page's ``build(ctx)`` gets: the page's session and where it came from."""

    session: ScenarioSession
    slug: str
    link: LinkReading = field(default_factory=lambda: LinkReading(Scenario()))
    url_args: dict[str, str] = field(default_factory=dict)
    """Extra ``key=value`` pairs the page keeps in its address after ``s=``."""
    on_url_args: Callable[[], None] = field(default=lambda: None, repr=False)

    identity: Identity = LOCAL
    """Who the page acts as (``nexus_panel.web.identity``)."""

    def store(self) -> Any | None:
        return shared_store(self.identity)

    def set_url_arg(self, key: str, value: str | None) -> None:
        """Keep ``key=value`` in the page's address (None removes it), e.g. the page's
        ``analysis=<id>``; the address is rewritten at once."""
        if value is None:
            self.url_args.pop(key, None)
        else:
            self.url_args[key] = value
        self.on_url_args()


def scenario_args(token: str, base_revision: int | None, theme: str = "default") -> str:
    """``s=<token>`` and, when known, ``&base=<revision>`` (and ``&theme=dark`` when the
    visitor chose it): what every address carries."""
    return (f"s={token}" + (f"&base={base_revision}" if base_revision is not None else "")
            + (f"&theme={theme}" if theme != "default" else ""))


def page_href(slug: str, args: str) -> str:
    """Relative link to ``slug`` carrying the scenario (works behind a path prefix)."""
    return f"./{slug}?{args}"


def nav_html(current: str, args: str, identity: Identity = LOCAL) -> str:
    """The navigation: the pages the user may open, in their groups (registry order).
    A wide window shows every link; a narrow one shows each group as a menu that opens
    on hover, tap or keyboard focus (CSS only: no server round trip to open it)."""
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for entry in available_pages():
        if entry.admin_only and identity.role != "admin":
            continue
        active = entry.slug == current
        if active:
            titles[entry.group] = entry.title
        groups.setdefault(entry.group, []).append(
            f'<a class="nx-nav-link{" nx-nav-active" if active else ""}" '
            f'data-page="{entry.slug}"{" aria-current=page" if active else ""} '
            f'href="{safe.html_text(page_href(entry.slug, args))}">'
            f'{safe.html_text(entry.title)}</a>')
    parts = []
    for group, links in groups.items():
        here = group in titles
        label = f"{group}: {titles[group]}" if here else group
        parts.append(
            f'<div class="nx-nav-group{" nx-nav-group-active" if here else ""}" '
            f'data-group="{safe.html_text(group)}">'
            f'<button type="button" class="nx-nav-menu" aria-haspopup="true">'
            f'{safe.html_text(label)} ▾</button>'
            f'<div class="nx-nav-links">{"".join(links)}</div></div>')
    return (f'<style>{NAV_CSS}</style><nav class="nx-nav" aria-label="Pages">'
            + "".join(parts) + "</nav>")


def identity_html(identity: Identity) -> str:
    """The header's "NAME (role)" (or "local mode") and, when signed in, the sign-out
    link; the name is escaped like every user string."""
    label = (f'<span class="nx-identity" style="color:#fff;white-space:nowrap">'
             f'{safe.html_text(identity.label)}</span>')
    if identity.local:
        return label
    return (label + ' <a class="nx-logout" href="./logout" style="color:#fff;'
            'margin-left:8px">Sign out</a>')


def problems_markdown(problems: list[str]) -> str:
    head = ("**This link could not be applied as written.** "
            "The page shows the values below instead of the ones named here:")
    return head + "\n\n" + "\n".join("- " + safe.text(p) for p in problems)


def request_query() -> dict[str, Any]:
    """The query parameters of the request that opened this session ({} in a notebook)."""
    args = pn.state.session_args
    return dict(args) if args else {}


class Site:
    """One served page: template, navigation, link alert, copy button and URL sync."""

    def __init__(self, slug: str, query: dict[str, Any] | None = None,
                 loader: Loader | None = None, identity: Identity | None = None) -> None:
        self.entry = page_entry(slug)
        self.identity = identity or current_identity()
        if self.identity is None:
            # Bokeh lets no unsigned request open a session; a session whose sign-in
            # expired or whose account was disabled meanwhile gets nothing.
            from nexus_panel.storage import PermissionDenied

            raise PermissionDenied("your sign-in has expired or the account is disabled: "
                                   "sign in again")
        self.link = read_link(request_query() if query is None else query,
                              loader if loader is not None
                              else stored_loader(self.identity))
        self.session = ScenarioSession(self.link.scenario,
                                       base_revision=self.link.base_revision)
        notify_errors(self.session)
        self.context = PageContext(session=self.session, slug=slug, link=self.link,
                                   on_url_args=self._on_version, identity=self.identity)
        self.who = pn.pane.HTML(identity_html(self.identity), margin=(12, 10),
                                css_classes=["nx-identity-pane"])
        self.nav = pn.pane.HTML("", css_classes=["nx-nav-pane"],  # CSS inline: see nav_html
                                sizing_mode="stretch_width", margin=0)
        self.alert = pn.pane.Alert(
            problems_markdown(self.link.problems) if self.link.problems else "",
            alert_type="danger", visible=bool(self.link.problems),
            css_classes=["nx-link-alert"], sizing_mode="stretch_width")
        self.copy_button = pn.widgets.Button(
            label="Copy link", color="light", css_classes=["nx-copy-link"],
            width=130, margin=(12, 10), description="Copy a link to exactly this scenario")
        self.copy_button.js_on_click(args={"btn": self.copy_button}, code=COPY_JS)
        dark = self.link.theme == "dark"
        self.theme_button = pn.widgets.Button(
            label="☀ Light" if dark else "☾ Dark", color="light", width=90,
            margin=(12, 10, 12, 0), css_classes=["nx-theme-toggle"],
            description="Switch to the light theme" if dark else "Switch to the dark theme")
        self.theme_button.js_on_click(args={"dark": dark}, code=THEME_JS)
        self.url_sink = pn.widgets.TextInput(value="", visible=False,
                                             css_classes=["nx-url-sink"])
        self.url_sink.jscallback(value=HISTORY_JS, args={"quiet": HISTORY_QUIET_MS})
        self.sign_in_watch = SignInWatch() if sign_in_required() else None
        """Only with sign-in: in local mode there is no sign-in to end."""
        self.labels = accessibility.labeller()
        self.body = page_module(slug).build(self.context)
        self._on_version()
        self.session.param.watch(self._on_version, ["version", "base_revision"])

    @property
    def token(self) -> str:
        return encode_scenario(self.session.scenario)

    def _on_version(self, _event: Any = None) -> None:
        args = scenario_args(self.token, self.session.base_revision, self.link.theme)
        self.nav.object = nav_html(self.entry.slug, args, self.identity)
        self.url_sink.value = f"?{args}" + "".join(
            f"&{urlencode({k: v})}" for k, v in self.context.url_args.items())

    def _on_load(self) -> None:
        # The first value was set before the browser existed: send it again so the
        # address bar is rewritten right after load, not only after the first change.
        self.url_sink.value = ""
        self._on_version()
        self.labels.value = "on"

    def template(self) -> pn.template.BootstrapTemplate:
        tmpl = pn.template.BootstrapTemplate(
            title=SITE_TITLE,
            header=[self.nav, self.copy_button, self.theme_button, self.who],
            theme=self.link.theme,
            main=[pn.Column(self.alert, self.body, self.url_sink, self.labels,
                            *([self.sign_in_watch.sink] if self.sign_in_watch else []),
                            sizing_mode="stretch_width")],
            header_background=ACCENT, main_max_width="1800px",
        )
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self._on_load)
            if self.sign_in_watch is not None:
                self.sign_in_watch.start()
            # Back must reopen the page even before the first address is written.
            pn.state.curdoc.js_on_event("document_ready", CustomJS(
                code=HISTORY_SETUP_JS, args={"quiet": HISTORY_QUIET_MS}))
        return tmpl


def denied_page(message: str) -> pn.template.BootstrapTemplate:
    """A page saying why nothing can be shown (an expired sign-in), never a traceback."""
    text = pn.pane.HTML(safe.html('<p class="nx-denied">{message} '
                                  '<a href="./login">Sign in</a></p>', message=message))
    return pn.template.BootstrapTemplate(title=SITE_TITLE, main=[text],
                                         header_background=ACCENT)


def build_page(slug: str) -> pn.template.BootstrapTemplate:
    """The complete page ``slug`` for the current server session."""
    return Site(slug).template()


def render_page(slug: str) -> None:
    """Build page ``slug`` into the current server document.

    The Bokeh document is frozen while the page is built, so its model graph is
    recomputed once instead of once per root and plot (measured: 18 recomputations,
    about a third of the page's server time, otherwise).
    """
    from nexus_panel.pages import cleanup, stylesheets
    from nexus_panel.storage import PermissionDenied

    doc = pn.state.curdoc
    stylesheets.serve_locally(doc)
    with cleanup.track(doc):
        try:
            template = build_page(slug)
        except PermissionDenied as exc:
            template = denied_page(str(exc))
        with doc.models.freeze():
            template.server_doc(doc)
    doc.title = f"{SITE_TITLE} · {page_entry(slug).title}"  # the browser tab names the page


WARM_IMPORTS: tuple[str, ...] = ("optuna", "optuna.storages", "datashader", "SALib")
"""Libraries pages import lazily that keep import-time state (optuna keeps the traceback
of each optional import it tried, with every frame that led to it)."""


def warm_up_pages() -> None:
    """Compile the kernels and build every page once into throwaway documents, so the
    first visitor of any page pays for neither the JIT nor the lazy imports of a first
    render. (A library imported during a visitor's page build can also keep that page
    alive: optuna stores the traceback of an optional import it tried, which holds the
    frames, and so the session, that triggered it.)"""
    from nexus_panel.engine import warm_up

    warm_up()
    for module in WARM_IMPORTS:  # imported here, so their import-time state holds no page
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    # Each page is built in its own function: the import tracebacks above keep this frame
    # alive, so it must not hold a document in its locals.
    for entry in available_pages():
        _build_and_release(entry.slug)


def _build_and_release(slug: str) -> None:
    """Build page ``slug`` into a throwaway document and free everything it registered."""
    from bokeh.document import Document
    from panel.io.document import _cleanup_doc
    from panel.io.state import set_curdoc

    from nexus_panel.pages import cleanup, stylesheets

    doc = Document()
    stylesheets.serve_locally(doc)
    with set_curdoc(doc), cleanup.track(doc):
        Site(slug, query={}, loader=None, identity=LOCAL).template().server_doc(doc)
    # Panel registers what a document shows in process-wide tables; a throwaway
    # document is never "destroyed" by a session ending, so release it here.
    _cleanup_doc(doc, destroy=True)
    cleanup.forget(getattr(doc, cleanup.TRACKED))


def routes() -> dict[str, Callable[[], None]]:
    """URL path -> page factory for every available page, plus ``/`` for the home page."""
    out: dict[str, Callable[[], None]] = {"/": lambda: render_page(HOME)}
    for entry in available_pages():
        out[f"/{entry.slug}"] = lambda slug=entry.slug: render_page(slug)
    return out


def titles() -> dict[str, str]:
    out = {"/": f"{SITE_TITLE} · {page_entry(HOME).title}"}
    out.update({f"/{e.slug}": f"{SITE_TITLE} · {e.title}" for e in available_pages()})
    return out


def serve_page_script(slug: str) -> None:
    """Used by a page file run by ``panel serve <file>``: build that page into the
    session's document."""
    render_page(slug)
