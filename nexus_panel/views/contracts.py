"""Contracts: read a scenario's generated Solidity contract or Rust crate, download it as a
zip, and verify it by compiling and executing it against the fixed-point reference.

The code follows the chosen scenario (the page's current one, or a saved scenario or
revision) and language at once. Verify runs in a worker thread (compiling takes seconds,
py-evm executes some 40-60 steps a second) with a progress bar and Cancel; the thread
hands progress and the result to the session's event loop (Bokeh next-tick callbacks), so
widgets change only there and no callback holds the document while the work runs. A
server runs one verification at a time (:data:`VERIFY_SLOTS`), each capped in length
(``verify.STEP_CAPS``), so one visitor cannot make the server compile and execute
without bound.

Every scenario name and error text shown goes through :mod:`nexus_panel.views.safe`: they
come from links, files and the database.
"""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.contracts.codegen import LANGUAGES, generate
from nexus_panel.contracts.evm import Cancelled
from nexus_panel.contracts.generated import GENERATOR_VERSION, GeneratedCode
from nexus_panel.contracts.verify import STEP_CAPS, Verification, verify
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe
from nexus_panel.views.palettes import CATEGORICAL, TONES
from nexus_panel.views.plots import CANVAS
from nexus_panel.views.scenarios_refs import ScenarioRef, list_refs

CURRENT = "(current scenario)"
"""Choice label of the page's own, possibly unsaved, scenario (the one in the link)."""
LANGUAGE_LABELS = {"solidity": "Solidity", "rust": "Rust"}
EDITOR_MODES = {".sol": "c_cpp", ".rs": "rust", ".toml": "toml"}
"""Ace has no Solidity mode; C++'s highlights its types, comments and strings (and, unlike
JavaScript's, runs no syntax checker that would flag every Solidity line)."""
PROGRESS_EVERY_S = 0.2
PLOT_POINTS = 4000
"""Long trajectories are thinned to about this many points per curve for the browser."""
VERIFY_SLOTS = threading.BoundedSemaphore(1)
"""Verifications running at once in this server process."""
_RUNNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nexus-contract-verify")


def _thin(values: np.ndarray, reduce: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(step indices, values) with at most about PLOT_POINTS points: every k-th point, or
    ``reduce`` (e.g. np.max) over each block of k, so a single spike is not lost."""
    steps = np.arange(len(values))
    k = max(1, len(values) // PLOT_POINTS)
    if k == 1:
        return steps, values
    cut = len(values) - len(values) % k
    if reduce is None:
        return steps[::k], values[::k]
    return steps[:cut:k], reduce(values[:cut].reshape(-1, k), axis=1)


def verification_plots(result: Verification) -> hv.Layout:
    """N executed vs the float engine, their difference, and gas per step (Solidity)."""
    where = "EVM" if result.language == "solidity" else "Rust"
    common = min(len(result.N_executed), len(result.N_engine))
    opts = {"responsive": True, "height": 240, "show_grid": True, "tools": ["hover"],
            "backend_opts": CANVAS}
    n_plot = hv.Overlay([
        hv.Curve(_thin(result.N_engine[:common]), "step", "N", label="float engine").opts(
            color=CATEGORICAL[0], line_width=3, alpha=0.5),
        hv.Curve(_thin(result.N_executed[:common]), "step", "N", label=where).opts(
            color=TONES["highlight"], line_dash="dashed"),
    ]).opts(title=f"N after each step: {where} and the float engine",
            legend_position="top_left", **opts)
    gap = np.abs(result.N_executed[:common] - result.N_engine[:common])
    plots = [n_plot, hv.Curve(_thin(gap, np.max), "step", "|ΔN|").opts(
        title=f"|N {where} − N engine|", color=CATEGORICAL[4], **opts)]
    if result.gas:
        plots.append(hv.Curve((np.arange(len(result.gas)), result.gas), "step", "gas").opts(
            title="Gas used by each step transaction", color=CATEGORICAL[2], **opts))
    return hv.Layout(plots).cols(1).opts(shared_axes=False)


class ContractsView(Viewer):
    """Generated code of a scenario: read it, download it, verify it."""

    session = param.ClassSelector(class_=ScenarioSession, default=None, allow_None=True,
                                  doc="The page's live scenario, offered as a choice.")
    store = param.Parameter(default=None, doc="A ScenarioStore (or None): saved choices.")
    choice = param.Selector(default=CURRENT, objects=[CURRENT], label="Scenario",
                            doc="The current scenario, or a saved scenario or revision.")
    language = param.Selector(default="solidity", objects=list(LANGUAGES), label="Language",
                              doc="Solidity contract or std-only Rust crate.")
    file = param.Selector(default=None, objects=[], label="File",
                          doc="Which generated file the editor shows.")
    refresh = param.Event(label="Refresh list", doc="Re-read the saved scenarios.")
    verify = param.Event(label="Verify", doc="Compile, execute and compare with the "
                                             "fixed-point reference and the float engine.")
    cancel = param.Event(label="Cancel", doc="Stop the running verification.")
    error = param.String(default="", doc="Why the chosen scenario has no code ('' if it has).")
    running = param.Boolean(default=False)
    progress = param.Integer(default=0, bounds=(0, 100))
    status = param.String(default="")
    result = param.Parameter(default=None, doc="The latest Verification.")
    version = param.Integer(default=0, doc="Bumped whenever the generated code changes.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._refs: dict[str, ScenarioRef] = {}
        self._code: GeneratedCode | None = None
        self._scenario: Scenario | None = None
        self._revision: int | None = None
        self._stop = threading.Event()
        self._doc: Any = None
        self._editor = pn.widgets.CodeEditor(
            value="", readonly=True, language="c_cpp", theme="chrome", height=520,
            sizing_mode="stretch_width", css_classes=["nx-contract-editor"])
        self._download = pn.widgets.FileDownload(
            callback=self._zip, filename="contract.zip", label="⬇ Download zip",
            color="primary", css_classes=["nx-contract-download"], disabled=True, align="end")
        if self.session is not None:
            self.session.param.watch(self._on_session, "version")
        self._on_refresh()

    # --- the chosen scenario and its code -------------------------------------------------
    @param.depends("refresh", watch=True)
    def _on_refresh(self) -> None:
        try:
            refs = list_refs(self.store)
        except Exception as exc:  # storage down: the current scenario still works
            refs = []
            self.status = f"Saved scenarios cannot be listed: {exc}"
        self._refs = {ref.label: ref for ref in refs}
        self.param.choice.objects = [CURRENT, *self._refs]
        if self.choice not in self.param.choice.objects:
            self.choice = CURRENT
        self._regenerate()

    def _on_session(self, _event: Any) -> None:
        if self.choice == CURRENT:
            self._regenerate()

    def select(self, label: str) -> None:
        """Choose a scenario by label (``(current scenario)``, ``name``, ``name @ rN``)."""
        if label not in self.param.choice.objects:
            raise ValueError(f"not a choice: {label}")
        self.choice = label

    def _chosen(self) -> tuple[Scenario, int | None]:
        if self.choice == CURRENT:
            if self.session is None:
                return Scenario(), None
            return self.session.snapshot(), None
        ref = self._refs[self.choice]
        scenario = self.store.load(ref.name, revision=ref.revision)
        number = ref.revision or max(r.number for r in self.store.revisions(ref.name))
        return scenario, number

    @param.depends("choice", "language", watch=True)
    def _regenerate(self) -> None:
        try:
            scenario, revision = self._chosen()
            code = generate(scenario, self.language, revision)
        except ValidationError as exc:
            self._show_code(None, None, None, f"No code for these values: {exc}")
            return
        except Exception as exc:  # a saved scenario deleted meanwhile, storage down
            self._show_code(None, None, None, f"Cannot open {self.choice}: {exc}")
            return
        self._show_code(code, scenario, revision, "")

    def _show_code(self, code: GeneratedCode | None, scenario: Scenario | None,
                   revision: int | None, error: str) -> None:
        self._code, self._scenario, self._revision = code, scenario, revision
        files = list(code.files) if code is not None else []
        keep = self.file if self.file in files else (files[0] if files else None)
        self.param.file.objects = files
        with param.parameterized.discard_events(self):
            self.file = keep
        self._download.disabled = code is None
        if code is not None:
            self._download.filename = code.zip_filename
        self.param.update(error=error, version=self.version + 1)
        self._on_file()

    @param.depends("file", watch=True)
    def _on_file(self) -> None:
        if self._code is None or self.file is None:
            self._editor.value = ""
            return
        suffix = "." + self.file.rsplit(".", 1)[-1]
        self._editor.param.update(value=self._code.files[self.file],
                                  language=EDITOR_MODES.get(suffix, "text"),
                                  filename=self.file)

    def _zip(self) -> io.BytesIO:
        return io.BytesIO(self._code.zip_bytes() if self._code is not None else b"")

    @property
    def code(self) -> GeneratedCode | None:
        return self._code

    # --- verification ----------------------------------------------------------------------
    @param.depends("verify", watch=True)
    def _on_verify(self) -> None:
        if self.running or self._code is None or self._scenario is None:
            return
        if not VERIFY_SLOTS.acquire(blocking=False):
            self.status = ("Another verification is running on this server; try again when "
                           "it has finished.")
            return
        self._stop.clear()
        self._doc = pn.state.curdoc
        scenario, code, revision = self._scenario, self._code, self._revision
        self.param.update(running=True, progress=0, result=None,
                          status=f"Compiling {code.name} and executing it…")
        future = _RUNNER.submit(self._verify_in_thread, scenario, code, revision)
        future.add_done_callback(lambda done: self._on_event_loop(self._finish, done))

    def _on_event_loop(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` where widgets may change: on the session's event loop
        when served (Bokeh's next-tick callbacks are thread-safe), else right away."""
        doc = self._doc
        if doc is None or doc.session_context is None:
            callback(*args)
        else:
            doc.add_next_tick_callback(partial(callback, *args))

    def _verify_in_thread(self, scenario: Scenario, code: GeneratedCode,
                          revision: int | None) -> Verification:
        shown = [0.0]

        def progress(done: int, total: int) -> None:  # at most ~5 updates a second
            now = time.monotonic()
            if now - shown[0] >= PROGRESS_EVERY_S or done == total:
                shown[0] = now
                self._on_event_loop(setattr, self, "progress", int(100 * done / total))

        try:
            return verify(scenario, code.language, revision=revision, code=code,
                          progress=progress, cancelled=self._stop.is_set)
        finally:
            VERIFY_SLOTS.release()

    def _finish(self, future: Future[Verification]) -> None:
        try:
            result = future.result()
        except Cancelled:
            self.param.update(running=False, status="Cancelled.")
            return
        except Exception as exc:  # a tool missing or failing, bad values: shown, not raised
            self.param.update(running=False, status=f"Verification failed: {exc}")
            return
        verdict = "equal at every step" if result.ok else "DIFFERENT from the reference"
        self.param.update(result=result, running=False, progress=100,
                          status=f"Verified {result.steps:,} steps: {verdict}.")

    def run_now(self) -> Verification:
        """Verify synchronously and show the result (notebooks, tests)."""
        if self._code is None or self._scenario is None:
            raise ValueError(self.error or "no code to verify")
        if not VERIFY_SLOTS.acquire(blocking=False):
            raise RuntimeError("another verification is running")
        self._stop.clear()
        future: Future[Verification] = Future()
        try:
            future.set_result(self._verify_in_thread(self._scenario, self._code,
                                                     self._revision))
        except Exception as exc:
            future.set_exception(exc)
        self._finish(future)
        return self.result

    @param.depends("cancel", watch=True)
    def _on_cancel(self) -> None:
        self._stop.set()

    # --- rendering -------------------------------------------------------------------------
    @param.depends("version")
    def _header(self) -> pn.viewable.Viewable:
        if self.error:
            return pn.pane.Alert(safe.text(self.error), alert_type="danger",
                                 css_classes=["nx-contract-error"], sizing_mode="stretch_width")
        code, scenario = self._code, self._scenario
        assert code is not None and scenario is not None
        cap = STEP_CAPS[code.language]
        return pn.pane.HTML(safe.html(
            "<b>{code}</b> from <i>{scenario}</i> ({revision}, content hash {digest}…, "
            "generator {version}); {files} file(s). Verify executes the first {steps} "
            "steps (at most {cap}).",
            code=code.name, scenario=scenario.name, digest=scenario.content_hash()[:12],
            revision="unsaved" if self._revision is None else f"revision {self._revision}",
            version=GENERATOR_VERSION, files=len(code.files), cap=f"{cap:,}",
            steps=f"{min(cap, scenario.params.num_steps):,}"),
            css_classes=["nx-contract-header"], sizing_mode="stretch_width")

    @param.depends("status", "running", "progress")
    def _status(self) -> pn.viewable.Viewable:
        parts: list[Any] = []
        if self.running:
            parts.append(pn.indicators.Progress(value=self.progress, max=100, width=300,
                                                css_classes=["nx-contract-progress"]))
        if self.status:
            parts.append(pn.pane.HTML(safe.html_text(self.status),
                                      css_classes=["nx-contract-status"]))
        return pn.Row(*parts) if parts else pn.Spacer(height=0)

    @param.depends("result")
    def _result(self) -> pn.viewable.Viewable:
        result = self.result
        if result is None:
            return pn.Spacer(height=0)
        summary = safe.html(
            '<div class="nx-contract-summary" data-ok="{ok}" data-max-abs-diff="{diff}" '
            'data-gas-per-step="{gas}">', ok=str(result.ok).lower(), diff=result.max_abs_diff,
            gas="" if result.gas_per_step is None else f"{result.gas_per_step:.0f}")
        lines = "<br>".join(safe.html_text(line) for line in result.summary_lines())
        return pn.Column(
            pn.pane.HTML(summary + lines + "</div>", css_classes=["nx-contract-result"],
                         sizing_mode="stretch_width"),
            pn.pane.HoloViews(verification_plots(result), sizing_mode="stretch_width",
                              css_classes=["nx-contract-plots"]),
            sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        controls = pn.Row(
            pn.widgets.Select.from_param(self.param.choice, width=260,
                                         css_classes=["nx-contract-choice"]),
            pn.widgets.RadioButtonGroup.from_param(
                self.param.language, options={v: k for k, v in LANGUAGE_LABELS.items()},
                css_classes=["nx-contract-language"], button_type="primary",
                button_style="outline", align="end"),
            pn.widgets.Select.from_param(self.param.file, width=180,
                                         css_classes=["nx-contract-file"]),
            pn.widgets.Button.from_param(self.param.refresh, color="light", align="end"),
            self._download,
            pn.widgets.Button.from_param(self.param.verify, color="success", align="end",
                                         css_classes=["nx-contract-verify"]),
            pn.widgets.Button.from_param(self.param.cancel, color="warning", align="end",
                                         css_classes=["nx-contract-cancel"]),
        )
        return pn.Column(controls, self._header, self._editor, self._status, self._result,
                         sizing_mode="stretch_width")
