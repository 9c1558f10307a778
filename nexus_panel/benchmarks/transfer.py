"""Import figures: what checking imported runs by recomputing them costs.

Why: an import now simulates every run of the file again and compares it with the file's
numbers (``storage/verify.py``), so a forged run is refused. These figures show what that
adds: a whole import of a bundle with one 5,000-step run (parse, recompute, compare,
write, on a temporary SQLite file) and, measured in the same run, the check alone. The
issue sets no target.
"""

from __future__ import annotations

import tempfile
from itertools import count
from pathlib import Path

from nexus_panel.benchmarks import Figure, median_seconds, selected
from nexus_panel.models import EngineParams, Inputs, Scenario
from nexus_panel.storage import ScenarioStore, transfer, verify

STEPS = 5_000
IMPORT = "transfer.import_bundle_5k_run"
CHECK = "transfer.recompute_check_5k_run"


def _bundle(store: ScenarioStore) -> dict[str, object]:
    inputs = Inputs.from_dict({"H": {"kind": "random_walk", "seed": 11},
                               "E": {"kind": "sinusoidal", "offset": 0.7, "amplitude": 0.2}})
    store.run(store.save(Scenario(name="bench", inputs=inputs,
                                  params=EngineParams(num_steps=STEPS))))
    return store.export_bundle("bench")


def figures() -> list[Figure]:
    if not (selected(IMPORT) or selected(CHECK)):
        return []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder, \
            ScenarioStore(f"sqlite:///{Path(folder) / 'bench.db'}") as store:
        bundle = _bundle(store)
        result, provenance = transfer.parse_import(bundle).runs[0]
        check = median_seconds(lambda: verify.verified_run(result, provenance, "runs[0]"),
                               repeats=21, quick_repeats=5)
        names = (f"copy{i}" for i in count())
        whole = median_seconds(lambda: store.import_data(bundle, name=next(names)),
                               repeats=11, quick_repeats=3)
    rows = f"{STEPS + 1:,} rows x 16 columns"
    return [f for f in (
        Figure(IMPORT, whole, None, f"SQLite; JSON-ready bundle, one run of {rows}: parse, "
               f"recompute and compare ({check / whole:.0%} of it), save revision + run"),
        Figure(CHECK, check, None, f"simulate the run again and compare {rows} and the "
               "summary with the file's"),
    ) if selected(f.name)]
