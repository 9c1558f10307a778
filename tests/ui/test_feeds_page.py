"""Feeds page in the browser: upload a CSV, fetch it, see the snapshot listed and the
preview drawn; the feed is in the server's database, its snapshot intact."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_page

from nexus_panel.feeds.store import FeedStore


def test_upload_fetch_and_preview(page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    page.goto("/feeds")
    wait_for_page(page)
    page.locator(".nx-feed-name input").fill("ui_levels")
    page.locator(".nx-feed-source select").select_option(label="Uploaded file")
    page.locator(".nx-feed-values input").fill("level")
    page.locator(".nx-feed-file input[type=file]").set_input_files(files=[{
        "name": "levels.csv", "mimeType": "text/csv",
        "buffer": b"time,level\n0,1\n1,3\n2,2\n3,5\n"}])
    page.locator(".nx-feed-fetch button").click()
    expect(page.locator(".nx-feed-message")).to_contain_text(
        "Stored snapshot", timeout=60_000)
    expect(page.locator(".nx-feeds-table")).to_contain_text("ui_levels")
    expect(page.locator(".nx-feed-snapshots")).to_contain_text("upload levels.csv")
    snap = FeedStore(server_store).latest("ui_levels")
    assert snap is not None and snap.rows == 4
    assert list(FeedStore(server_store).series(snap.sha256).columns["level"]) == [1, 3, 2, 5]
    screenshot(page, "feeds-upload")
    errors.assert_none()


def test_signals_editor_pins_a_feed_and_runs_it(page: Page, server_store: Any) -> None:
    feeds = FeedStore(server_store)
    feeds.add("ui_hum", {"source": "upload", "value_columns": ["h"]})
    snap = feeds.upload("ui_hum", b"time,h\n0,120\n50,140\n100000,160\n")
    errors = ConsoleErrors(page)
    page.goto("/signals")
    wait_for_page(page)
    page.locator(".nx-signal-H-kind select").select_option("feed")
    page.locator(".nx-signal-H-column input").fill("h")
    page.locator(".nx-signal-H-column input").press("Enter")
    page.locator(".nx-signal-H-feed input").fill("ui_hum")
    page.locator(".nx-signal-H-feed input").press("Enter")
    expect(page.locator(".nx-signal-H-feed-status")).to_contain_text(
        f"Snapshot {snap.id} (3 rows", timeout=60_000)
    screenshot(page, "signals-feed")
    errors.assert_none()
