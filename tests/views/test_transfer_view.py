"""Import / export view: downloads hold the session's run; uploads load or explain."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from rendering import text

from nexus_panel import EngineParams, Scenario, simulate
from nexus_panel.session import ScenarioSession
from nexus_panel.views.transfer import TransferView
from nexus_panel.views.transfer_formats import export_bytes, import_bytes


def test_each_export_reads_back_as_the_same_run() -> None:
    result = simulate(Scenario(name="e", params=EngineParams(alpha=1.3, num_steps=250)))
    frame = pd.read_csv(io.BytesIO(export_bytes(result, "csv")))
    np.testing.assert_array_equal(frame.to_numpy(), result.frame.to_numpy())
    parquet = pd.read_parquet(io.BytesIO(export_bytes(result, "parquet")))
    np.testing.assert_array_equal(parquet.to_numpy(), result.frame.to_numpy())
    parsed = import_bytes(export_bytes(result, "json"))
    assert parsed.kind == "bundle"
    assert parsed.scenario.content_hash() == result.content_hash
    np.testing.assert_array_equal(parsed.runs[0][0].frame.to_numpy(), result.frame.to_numpy())


def test_upload_of_the_original_export_loads_into_the_session() -> None:
    session = ScenarioSession()
    view = TransferView(session=session)
    view.upload_name = "old.json"
    view.upload = json.dumps({"parameters": {"alpha": 2.5},
                              "signal_configs": {"H": {"type": "ramp", "start": 10,
                                                       "end": 20}},
                              "results": {}}).encode()
    assert view.message_kind == "success"
    assert "old.json" in text(view.message) and "original app" in text(view.message)
    assert session.scenario.params.alpha == 2.5
    assert session.scenario.inputs.H.kind == "ramp"
    assert session.result.scenario.params.alpha == 2.5


def test_bad_upload_lists_every_problem_and_changes_nothing() -> None:
    session = ScenarioSession()
    view = TransferView(session=session)
    view.upload_name = "bad.json"
    view.upload = json.dumps({"params": {"alpha": -1, "kappa": "x"}}).encode()
    assert view.message_kind == "danger"
    message = text(view.message)
    assert "bad.json was not loaded" in message and "2 problem(s)" in message
    assert "params.alpha" in message and "params.kappa" in message
    assert session.scenario.params.alpha == 1.0
    view.upload = b"\xff\xfe not json"
    assert "valid JSON" in text(view.message)


def test_downloads_render_as_links_to_the_export_route() -> None:
    from nexus_panel.pages.export_route import export_href

    view = TransferView(session=ScenarioSession(), download_href=export_href)
    links = view._downloads()[1]
    hrefs = [pane.object for pane in links]
    assert all('href="./export/' in h for h in hrefs)
    assert [h.split('data-format="')[1][:3] for h in hrefs] == ["csv", "jso", "par"]


def test_outside_a_server_downloads_fall_back_to_file_download() -> None:
    import panel as pn

    view = TransferView(session=ScenarioSession())  # no server session: a notebook
    buttons = view._downloads()[1]
    assert all(isinstance(b, pn.widgets.FileDownload) for b in buttons)
    assert [b.filename.rsplit(".", 1)[1] for b in buttons] == ["csv", "json", "parquet"]
    data = buttons[0].callback().getvalue()
    assert data.startswith(b"t,N,I,B,S,Phi")


def test_upload_with_a_huge_bad_value_gets_a_short_message() -> None:
    # a 10 MB upload used to put its whole content into the page's alert
    view = TransferView(session=ScenarioSession())
    view.upload_name = "big.json"
    view.upload = json.dumps({"x": "a" * 10_000_000}).encode()
    assert view.message_kind == "danger"
    message = text(view.message)
    assert "big.json was not loaded" in message
    assert "x = 'aaaaaaaaaaaa" in message
    assert "...aaaa" in message and "aaaa' (allowed: not a scenario key" in message
    assert len(view.message) < 1500
