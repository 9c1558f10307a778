"""Measure, in a real browser, slider change -> updated N(t) data, and first page load.

Not a test (timings are reported, not asserted). Against a running server::

    nexus-panel serve --port 5006 &
    .venv/bin/python tests/views/latency_probe.py http://127.0.0.1:5006 --steps 5000 --moves 15

Each move presses ArrowRight on the alpha slider's handle (one step of 0.1, sent as a
throttled value like a drag release) and times until the browser's copy of the N(t) data
(the Bokeh source ``nx-source-N``) has changed and the next frame is painted.

``--server-cpu`` instead builds the Simulate page into a Bokeh document in this process
and reports the CPU time of the server's share of one alpha change (run through the memo,
update of KPIs, plots, links), without a browser or a network::

    .venv/bin/python tests/views/latency_probe.py --server-cpu --steps 5000
"""

from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

WAIT_FOR_CHANGE = """
async (before) => {
  const t0 = performance.now();
  const src = () => Bokeh.documents[0].get_model_by_name("nx-source-N");
  while (true) {
    const data = src().data.N;
    const last = data[data.length - 1];
    if (last !== before) {
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    }
    if (performance.now() - t0 > 10000) { return -1; }
    await new Promise((r) => setTimeout(r, 2));
  }
}
"""

LAST_N = """() => { const d = Bokeh.documents[0].get_model_by_name("nx-source-N").data.N;
                    return d[d.length - 1]; }"""


def server_cpu(steps: int, moves: int) -> None:
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from nexus_panel.pages import site

    site.warm_up_pages()
    doc = Document()
    with set_curdoc(doc):
        page = site.Site("simulate", query={"num_steps": [str(steps)]}, loader=None)
        page.template().server_doc(doc)
        params = page.session.scenario.params
        cpu = []
        for i in range(moves):
            start = time.process_time()
            params.alpha = 1.0 + (i % 2) * 0.1 + i * 1e-3  # a new scenario every time
            cpu.append((time.process_time() - start) * 1e3)
    print(f"server CPU per alpha change ({steps} steps, {moves} changes): "
          f"median {statistics.median(cpu):.0f} ms, max {max(cpu):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url", nargs="?")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--server-cpu", action="store_true")
    args = parser.parse_args()
    if args.server_cpu:
        server_cpu(args.steps, args.moves)
        return
    if not args.base_url:
        parser.error("base_url is required unless --server-cpu is given")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(f"{args.base_url}/simulate?num_steps={args.steps}")
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length && "
                               "Bokeh.documents[0].get_model_by_name('nx-source-N')")
        page.locator(".nx-kpi-value").first.wait_for()
        print(f"first load (goto -> N(t) data and KPI cards present): "
              f"{time.perf_counter() - start:.2f} s")
        handle = page.locator(".nx-param-alpha .noUi-handle")
        timings = []
        for i in range(args.moves):
            before = page.evaluate(LAST_N)
            handle.focus()
            # Start watching before the key press; the promise is awaited afterwards.
            page.evaluate(f"() => {{ window.__nxWait = ({WAIT_FOR_CHANGE})({before!r}); }}")
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            timings.append(page.evaluate("() => window.__nxWait"))
        ok = [t for t in timings if t >= 0]
        print(f"slider -> updated N(t) over {len(ok)} moves ({args.steps} steps): "
              f"median {statistics.median(ok):.0f} ms, max {max(ok):.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
