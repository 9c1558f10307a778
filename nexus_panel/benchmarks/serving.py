"""What one visitor can cost a served process, measured on a real ``nexus-panel serve``.

Started here as a subprocess (free port, temporary SQLite and disk cache) with
``--max-steps 1000000``, ``--use-xheaders`` (each simulated client sends its own
``X-Forwarded-For``, as nginx would) and a short session expiry. Figures (targets from
issue 8):

* ``serving.memory_per_session`` -- resident memory per open Simulate session (GETs
  create server sessions; ``/status`` counts them), in MiB.
* ``serving.memory_after_closing`` -- memory left after those sessions expired, over the
  baseline before them (a leak shows here), in MiB.
* ``serving.export_1m_peak_memory`` -- peak growth of the server's resident memory while
  it sends a 1,000,000-step JSON export with five random-walk inputs (target ≤ 300 MiB);
  ``serving.export_1m_json`` is how long that download took.
* ``serving.small_export_under_load`` -- a 10-step CSV export while eight 1,000,000-step
  CSV exports from eight clients run or wait (target ≤ 1 s), median of several;
  ``serving.page_under_load`` -- the Simulate page's HTML meanwhile.

Needs no browser; takes about a minute (``--only serving`` to run it alone).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from nexus_panel.benchmarks import Figure, quick, selected
from nexus_panel.models import Inputs, Scenario, Signal
from nexus_panel.pages.links import scenario_query

EXPORT_STEPS = 1_000_000


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 600) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _status(base: str) -> dict[str, Any]:
    return json.loads(_get(f"{base}/status?gc=1"))


def _wait_sessions(base: str, count: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        now = _status(base)
        if now["sessions"] == count or time.monotonic() > deadline:
            return now
        time.sleep(0.25)


def long_scenario(steps: int = EXPORT_STEPS) -> Scenario:
    scenario = Scenario(name="long")
    scenario.params.num_steps = steps
    for name in Inputs.levels():
        setattr(scenario.inputs, name, Signal(kind="random_walk", volatility=2.0))
    return scenario


class _Sampler:
    """Peak resident memory of a process, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def figures() -> list[Figure]:
    if not selected("serving."):
        return []
    from nexus_panel.benchmarks.ui_server import Server

    with tempfile.TemporaryDirectory(prefix="nexus-bench-serve-") as tmp:
        server = Server(Path(tmp), extra_args=(
            "--max-steps", str(EXPORT_STEPS), "--use-xheaders", "--session-expiry", "20000"))
        try:
            server.wait_ready()
            return _measure(server.url, server.proc.pid)
        finally:
            server.stop()


def _measure(base: str, pid: int) -> list[Figure]:
    out: list[Figure] = []
    sessions = 4 if quick() else 10
    _get(f"{base}/simulate")
    start = _wait_sessions(base, 0)
    threads = [threading.Thread(target=_get, args=(f"{base}/simulate",))
               for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opened = _status(base)
    after = _wait_sessions(base, 0)
    per = (opened["rss_bytes"] - start["rss_bytes"]) / max(opened["sessions"], 1) / 2**20
    out.append(Figure("serving.memory_per_session", per, unit="MiB",
                      note=f"{opened['sessions']} Simulate sessions open at once"))
    out.append(Figure("serving.memory_after_closing",
                      (after["rss_bytes"] - start["rss_bytes"]) / 2**20, unit="MiB",
                      note=f"after they expired ({after['sessions']} still alive)"))

    query = scenario_query(long_scenario(100_000 if quick() else EXPORT_STEPS))
    baseline = _status(base)["rss_bytes"]
    sampler = _Sampler(pid)
    began = time.perf_counter()
    size = len(_get(f"{base}/export/json{query}"))
    took = time.perf_counter() - began
    peak = sampler.stop()
    out.append(Figure("serving.export_1m_peak_memory", (peak - baseline) / 2**20,
                      target=300.0, unit="MiB",
                      note=f"{size / 1e6:.0f} MB of JSON streamed; peak over the idle server"))
    out.append(Figure("serving.export_1m_json", took, note="the same download, end to end"))

    big = [threading.Thread(target=_get, args=(f"{base}/export/csv{query}",),
                            kwargs={"headers": {"X-Forwarded-For": f"10.0.0.{i + 1}"}})
           for i in range(8)]
    for t in big:
        t.start()
    deadline = time.monotonic() + 30
    while _status(base)["large_jobs"] < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    small_query = scenario_query(long_scenario(10))
    small: list[float] = []
    pages: list[float] = []
    for _ in range(3 if quick() else 7):
        began = time.perf_counter()
        _get(f"{base}/export/csv{small_query}")
        small.append(time.perf_counter() - began)
        began = time.perf_counter()
        _get(f"{base}/simulate")
        pages.append(time.perf_counter() - began)
    busy = _status(base)["large_jobs"]
    for t in big:
        t.join()
    out.append(Figure("serving.small_export_under_load", statistics.median(small),
                      target=1.0, note=f"median of {len(small)}, with {busy} of 8 long "
                      "exports still running or queued at the end"))
    out.append(Figure("serving.page_under_load", statistics.median(pages),
                      note="the Simulate page's HTML, same conditions"))
    return out
