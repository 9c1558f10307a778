"""The Feeds view: an upload becomes a snapshot with a preview; a refused URL, a bad file
and a hostile name come back as escaped messages; the tables list status and snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rendering import shown, text

from nexus_panel.storage import ScenarioStore
from nexus_panel.views.feeds import FeedsView

CSV = b"time,level\n0,1.5\n1,2.5\n2,4\n"


@pytest.fixture
def view(tmp_path: Path) -> FeedsView:
    return FeedsView(store=ScenarioStore(f"sqlite:///{tmp_path}/n.db"))


def test_an_upload_is_stored_listed_and_previewed(view: FeedsView) -> None:
    view._name.value = "levels"
    view._source.value = "upload"
    view._values.value = "level"
    view._file.filename, view._file.value = "levels.csv", CSV
    view._fetch()
    assert view.message_kind == "success", view.message
    assert "Stored snapshot 1 of levels (3 rows)" in text(view.message)
    assert view._feeds.value.to_dict("records")[0]["snapshots"] == 1
    assert list(view._snapshots.value["rows"]) == [3]
    curve = view._preview.object
    assert list(curve.dimension_values("value")) == [1.5, 2.5, 4.0]


def test_a_refused_url_names_url_and_is_kept_as_the_last_error(view: FeedsView) -> None:
    view._name.value = "meta"
    view._url.value = "http://169.254.169.254/latest/meta-data/"
    view._fetch()
    assert view.message_kind == "danger"
    assert "url = " in text(view.message) and "allowlist" in text(view.message)


def test_a_bad_upload_and_a_hostile_name_are_shown_literally(view: FeedsView) -> None:
    hostile = '<img src=x onerror="window.__nx_xss=1">'
    view._name.value = hostile
    view._source.value = "upload"
    view._file.filename, view._file.value = hostile, CSV.replace(b"level", b"value")
    view._fetch()
    html, shown_text = shown(view.message)
    assert view.message_kind == "success" and "<img" not in html
    assert hostile in shown_text
    view._file.value = b"time,value\n0,abc\n"
    view._fetch()
    html, shown_text = shown(view.message)
    assert view.message_kind == "danger" and "<img" not in html
    assert "a finite number in every row" in shown_text
    assert "a finite number" in view._feeds.value.to_dict("records")[0]["last error"]


def test_the_signal_editor_offers_feeds_pins_the_latest_and_previews_it(
        tmp_path: Path) -> None:
    from bokeh.document import Document
    from bokeh.models import ColumnDataSource

    from nexus_panel.feeds.store import FeedStore
    from nexus_panel.models import EngineParams, Scenario
    from nexus_panel.session import ScenarioSession
    from nexus_panel.views.signal_editor import SignalEditor

    feeds = FeedStore(ScenarioStore(f"sqlite:///{tmp_path}/n.db"))
    feeds.add("levels", {"source": "upload", "value_columns": ["level"]})
    snap = feeds.upload("levels", b"time,level\n0,10\n5,20\n10,30\n")
    session = ScenarioSession(Scenario(params=EngineParams(num_steps=11, delta_t=1.0)))
    editor = SignalEditor(session=session, input_name="H", feeds=feeds)
    assert "feed" in editor._kind.options.values()
    root = editor.__panel__().get_root(Document())
    signal = session.scenario.inputs.H
    signal.param.update(kind="feed", column="level")
    assert "Feed not pinned: name a feed" in text(editor._feed_status.object)
    signal.feed = "levels"
    assert (signal.snapshot, signal.sha256) == (snap.id, snap.sha256)
    assert "Snapshot 1 (3 rows" in text(editor._feed_status.object)
    source = next(s for s in root.select({"type": ColumnDataSource}) if "H" in s.data)
    assert list(np.asarray(source.data["H"])) == [10.0] * 5 + [20.0] * 5 + [30.0]
    assert list(session.result.frame["H"][:11]) == [10.0] * 5 + [20.0] * 5 + [30.0]
    assert "feed" not in SignalEditor(session=ScenarioSession(),
                                      input_name="M")._kind.options.values()
