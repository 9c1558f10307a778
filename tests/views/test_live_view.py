"""The Live view's drawing path, without a browser: the producer's many small blocks are
drawn as one update per drain, a gap is filled from the stored history before newer
blocks are shown, and the plots keep a bounded window. The values drawn are the batch
run's, exactly (a real database, real Bokeh data sources)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from nexus_panel.engine import simulate
from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.models import Scenario, Signal
from nexus_panel.storage import ScenarioStore
from nexus_panel.storage.live_runs import LiveStore
from nexus_panel.views.live import PLOTTED, WINDOW, LiveView


def _scenario(steps: int) -> Scenario:
    sc = Scenario(name="live view")
    sc.params.num_steps = steps
    sc.inputs.C_cons = Signal(kind="random_walk", initial=60, volatility=2.0, seed=3)
    return sc


def _rows(sc: Scenario) -> np.ndarray:
    return simulate(sc).frame[list(COLUMNS)].to_numpy()[:-1]  # a row per step


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveStore]:
    with ScenarioStore(f"sqlite:///{tmp_path / 'live.db'}") as store:
        yield LiveStore(store)


def _view(live: LiveStore, sc: Scenario, name: str) -> tuple[LiveView, list[int]]:
    """A view following run ``name`` whose plots are plain Bokeh sources; the list
    counts the draws."""
    live.create(name, sc.to_dict(), [], steps_per_second=1000,
                max_steps=sc.params.num_steps, checkpoint_every=100, state={})
    view = LiveView(live=live, scenario=sc)
    assert view.run_name == name  # the newest active run is opened
    view._drawn = {c: (ColumnDataSource({"t": [], c: []}), figure()) for c in PLOTTED}
    draws: list[int] = []
    draw = view._draw
    view._draw = lambda fresh: (draws.append(len(fresh)), draw(fresh))  # type: ignore[method-assign]
    return view, draws


def _drawn(view: LiveView, column: str) -> tuple[np.ndarray, np.ndarray]:
    data = view._drawn[column][0].data
    return np.asarray(data["t"]), np.asarray(data[column])


def test_a_drain_draws_the_ticks_blocks_as_one_update(live: LiveStore) -> None:
    sc = _scenario(600)
    rows = _rows(sc)
    view, draws = _view(live, sc, "blocks")
    for k in range(300):  # what 300 producer ticks of one step hand over
        view._on_hub(k, rows[k:k + 1], rows[k, 1])
    view._tick()
    assert draws == [300] and view.step == 300
    for column in PLOTTED:
        t, values = _drawn(view, column)
        assert np.array_equal(t, rows[:300, COLUMNS.index("t")])
        assert np.array_equal(values, rows[:300, COLUMNS.index(column)])
    view._on_hub(250, rows[250:320], rows[319, 1])  # overlapping: only the new steps
    view._next_drain = 0.0
    view._tick()
    assert draws == [300, 20] and len(_drawn(view, "N")[0]) == 320
    view.close()


def test_a_gap_is_filled_from_the_stored_history_first(live: LiveStore) -> None:
    sc = _scenario(600)
    rows = _rows(sc)
    view, draws = _view(live, sc, "gap")
    view._on_hub(200, rows[200:300], rows[299, 1])  # the steps before 200 are not here yet
    view._tick()
    assert draws == [] and view.step == 0  # nothing shown out of order
    info = live.claim("gap", "test-producer", 6.0)
    assert info is not None
    live.checkpoint(info.id, "test-producer", 0, rows[:250], state={}, events=[],
                    lease_s=6.0)
    view._last_fill = view._next_drain = 0.0
    view._tick()
    assert view.step == 300
    t, n = _drawn(view, "N")
    assert np.array_equal(t, rows[:300, COLUMNS.index("t")])
    assert np.array_equal(n, rows[:300, COLUMNS.index("N")])
    view.close()


def test_the_plots_keep_the_last_window_of_steps(live: LiveStore) -> None:
    steps = WINDOW + 1_500
    sc = _scenario(steps)
    rows = _rows(sc)
    view, _ = _view(live, sc, "window")
    for first in range(0, steps, 700):
        view._on_hub(first, rows[first:first + 700], 0.0)
        view._next_drain = 0.0
        view._tick()
    assert view.step == steps
    t, n = _drawn(view, "N")
    assert len(t) == WINDOW
    assert np.array_equal(n, rows[-WINDOW:, COLUMNS.index("N")])
    x_range = view._drawn["N"][1].x_range
    assert (x_range.start, x_range.end) == (t[0], t[-1])
    y_range = view._drawn["N"][1].y_range
    assert y_range.start < n.min() and y_range.end > max(n.max(), sc.params.N_target)
    view.close()


def test_steps_that_arrive_before_the_plots_are_drawn_are_not_lost(
        live: LiveStore) -> None:
    """A page's first render happens after the run was opened: the steps received in
    between go into the Buffer the plots are first drawn from (they once made a gap)."""
    sc = _scenario(600)
    rows = _rows(sc)
    live.create("early", sc.to_dict(), [], steps_per_second=1000, max_steps=600,
                checkpoint_every=100, state={})
    view = LiveView(live=live, scenario=sc)
    for first in range(0, 300, 50):
        view._on_hub(first, rows[first:first + 50], 0.0)
        view._next_drain = 0.0
        view._tick()
    assert view.step == 300
    held = view.buffer.data
    assert np.array_equal(held["t"].to_numpy(), rows[:300, COLUMNS.index("t")])
    assert np.array_equal(held["B"].to_numpy(), rows[:300, COLUMNS.index("B")])
    view.close()
