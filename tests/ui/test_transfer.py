"""Import / export page: downloads equal nexus_panel.simulate of the page's scenario;
uploads load, or say exactly what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_address, wait_for_page

from nexus_panel import EngineParams, Inputs, Scenario, Signal, simulate
from nexus_panel.engine import COLUMNS
from nexus_panel.pages.links import scenario_query
from nexus_panel.storage.transfer import read_parquet_result

SCENARIO = Scenario(
    name="export me", params=EngineParams(alpha=1.7, K_p=0.25, num_steps=700),
    inputs=Inputs(H=Signal(kind="sinusoidal", offset=100, amplitude=30, frequency=0.05),
                  E=Signal(kind="random_walk", initial=0.7, volatility=0.01, seed=7)))


def download(page: Page, fmt: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.locator(f".nx-download-{fmt} a").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_downloads_equal_simulate_of_the_same_scenario(page: Page, tmp_path: Path) -> None:
    errors = ConsoleErrors(page)
    page.goto("/transfer" + scenario_query(SCENARIO))
    wait_for_page(page)
    expect(page.locator(".nx-export-summary")).to_contain_text("701 time points")
    expected = simulate(SCENARIO).frame

    csv_path = download(page, "csv", tmp_path)
    assert csv_path.suffix == ".csv"
    frame = pd.read_csv(csv_path)
    assert list(frame.columns) == list(COLUMNS)
    np.testing.assert_array_equal(frame.to_numpy(), expected[list(COLUMNS)].to_numpy())

    parquet = read_parquet_result(download(page, "parquet", tmp_path))
    assert parquet.scenario.content_hash() == SCENARIO.content_hash()
    np.testing.assert_array_equal(parquet.frame.to_numpy(), expected.to_numpy())

    bundle = json.loads(download(page, "json", tmp_path).read_text())
    assert Scenario.from_dict(bundle["scenario"]).content_hash() == SCENARIO.content_hash()
    np.testing.assert_array_equal(np.array(bundle["runs"][0]["data"]["N"]),
                                  expected["N"].to_numpy())
    screenshot(page, "transfer-downloads")
    errors.assert_none()


def upload(page: Page, name: str, document: object) -> None:
    data = json.dumps(document).encode() if not isinstance(document, bytes) else document
    page.locator(".nx-upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/json", "buffer": data}])


def test_upload_original_export_loads_it(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/transfer")
    wait_for_page(page)
    original = {"parameters": {"alpha": 2.5, "num_steps": 300},
                "signal_configs": {"H": {"type": "step", "initial": 100, "final": 180,
                                         "step_at": 100}},
                "results": {"N": [1, 2, 3]}}
    upload(page, "nexus_export.json", original)
    message = page.locator(".nx-transfer-message")
    expect(message).to_contain_text("Loaded")
    expect(message).to_contain_text("nexus_export.json")
    expect(page.locator(".nx-export-summary")).to_contain_text("301 time points")
    loaded = wait_for_address(page, lambda s: s.params.num_steps == 300)
    assert loaded.params.alpha == 2.5 and loaded.inputs.H.final == 180
    screenshot(page, "transfer-upload-ok")
    errors.assert_none()


def test_upload_bad_file_says_what_is_wrong(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/transfer")
    wait_for_page(page)
    page.wait_for_function("() => window.location.search.includes('s=')")
    before = page.url
    upload(page, "broken.json", {"parameters": {"alpha": 9, "K_p": "fast"},
                                 "signal_configs": {"H": {"type": "zigzag"}}})
    message = page.locator(".nx-transfer-message")
    expect(message).to_contain_text("broken.json was not loaded")
    for text in ("parameters.alpha", "9", "[0, 5]", "K_p", "'fast'", "zigzag"):
        expect(message).to_contain_text(text)
    assert page.url == before  # nothing half-applied
    upload(page, "not-json.json", b"{this is not json")
    expect(message).to_contain_text("valid JSON")
    screenshot(page, "transfer-upload-bad")
    errors.assert_none()


def test_export_route_rejects_a_bad_link(page: Page) -> None:
    response = page.goto("/export/csv?alpha=7")
    assert response is not None and response.status == 400
    text = page.locator("body").inner_text()
    assert text.startswith("This download link is not valid")
    assert "alpha = 7 is not allowed (allowed: a finite number in [0, 5])" in text
    screenshot(page, "export-bad-link")


def test_a_long_download_does_not_block_other_requests(server: Any) -> None:
    # The export ran on the event loop: while one user downloaded a long run as CSV,
    # every other request and page session of the process waited (a 10-step download
    # took 10.8 s behind a 1,000,000-step CSV).
    import threading
    import time
    import urllib.request

    finished: dict[str, float] = {}
    streaming = threading.Event()

    def fetch(key: str, query: str) -> None:
        with urllib.request.urlopen(f"{server.url}/export/csv?{query}", timeout=120) as r:
            assert r.status == 200 and len(r.read(1)) == 1
            streaming.set()  # the first bytes are here: the export is under way
            assert len(r.read()) > 0
        finished[key] = time.monotonic()

    big = threading.Thread(target=fetch, args=("big", "num_steps=200000&alpha=1.01"))
    big.start()
    assert streaming.wait(timeout=60), "the long export never started"
    asked = time.monotonic()
    fetch("small", "num_steps=10")
    big.join()
    assert finished["small"] < finished["big"]
    assert finished["small"] - asked < 2.0
