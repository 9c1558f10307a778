"""The Alerts page in a real browser: the alert log of every live run with the firing
count, a run filter kept in the address, hostile run and rule names shown as text, new
events appearing without a reload, a CSV download whose cells a spreadsheet will not
evaluate, and the link to that run on the Live page."""

from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from pw_helpers import wait_for_page
from test_security import assert_nothing_ran, guarded, hostile_name

from nexus_panel.live.producer import Producer
from nexus_panel.models import Scenario, Signal
from nexus_panel.storage.live_runs import LiveStore

TIMEOUT = 30_000


def _produce(live: LiveStore, name: str, rules: list[dict[str, Any]],
             frequency: float = 0.01) -> None:
    """A short live run produced here, to the end: its alert events are in the log
    (``frequency``: of the health index H, a sinusoid 80..120)."""
    sc = Scenario(name="ui alerts")
    sc.params.num_steps = 600
    sc.inputs.C_cons = Signal(kind="random_walk", initial=60, volatility=2.0, seed=7)
    sc.inputs.H = Signal(kind="sinusoidal", offset=100, amplitude=20, frequency=frequency)
    live.create(name, sc.to_dict(), rules, steps_per_second=5000, max_steps=600,
                checkpoint_every=100, state={})
    assert Producer(live, name).run() == "finished"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _rows(page: Page) -> list[str]:
    return page.locator(".nx-alert-log .tabulator-row").all_inner_texts()


def test_the_alert_log_of_every_run(page: Page, server_store: Any, tmp_path: Path) -> None:
    dialogs = guarded(page)
    live = LiveStore(server_store)
    tag = uuid.uuid4().hex[:6]
    hostile = hostile_name()
    formula = f"=HYPERLINK(\"http://evil.example/{tag}\") N high"
    # N rises from 1,000 to about 1,259, then falls to about 880.
    _produce(live, hostile, [
        {"metric": "N", "above": 1000.0, "clear": 990.0, "min_steps": 3,
         "severity": "warning", "title": formula},
        {"metric": "N", "below": 900.0, "clear": 910.0, "min_steps": 5,
         "severity": "critical", "title": f"N low {tag}"}])  # still firing at the end
    page.goto("/alerts")
    wait_for_page(page)
    table = page.locator(".nx-alert-log")
    expect(table).to_contain_text(f"N low {tag}", timeout=TIMEOUT)
    expect(table).to_contain_text(formula)  # as text, not a formula, not HTML
    assert int(page.get_by_test_id("kpi-critical-now").inner_text()) >= 1

    # Filter to the hostile run: its five events only; the address keeps the filter.
    page.locator(".nx-alert-run select").select_option(hostile)
    expect(page.locator(".nx-alert-log .tabulator-row")).to_have_count(5, timeout=TIMEOUT)
    assert all(hostile in row for row in _rows(page))
    expect(page).to_have_url(re.compile(r"[?&]run="), timeout=TIMEOUT)
    link = page.locator(".nx-alert-live-link a")
    expect(link).to_contain_text(hostile)
    assert page.get_by_test_id("kpi-firing-now").inner_text() == "1"
    assert_nothing_ran(page, dialogs)

    # Firing only, then the CSV of what is shown.
    page.locator(".nx-alert-firing-only input").check()
    expect(page.locator(".nx-alert-log .tabulator-row")).to_have_count(1, timeout=TIMEOUT)
    with page.expect_download() as info:
        page.locator(".nx-alert-download a, .nx-alert-download button").first.click()
    target = tmp_path / "alerts.csv"
    info.value.save_as(target)
    rows = _csv_rows(target)
    assert [(r["run"], r["rule"], r["state"]) for r in rows] == [
        (hostile, f"N low {tag}", "firing")]
    page.locator(".nx-alert-firing-only input").uncheck()
    expect(page.locator(".nx-alert-log .tabulator-row")).to_have_count(5, timeout=TIMEOUT)
    with page.expect_download() as info:
        page.locator(".nx-alert-download a, .nx-alert-download button").first.click()
    info.value.save_as(target)
    rules = {r["rule"] for r in _csv_rows(target)}
    assert "'" + formula in rules  # a spreadsheet shows it, does not evaluate it

    # The link opens the Live page following that run.
    link.click()
    wait_for_page(page)
    expect(page.locator(".nx-live-status-line")).to_contain_text(hostile, timeout=TIMEOUT)
    assert_nothing_ran(page, dialogs)


def test_new_events_appear_without_a_reload(page: Page, server_store: Any) -> None:
    live = LiveStore(server_store)
    page.goto("/alerts")
    wait_for_page(page)
    expect(page.locator(".nx-alert-summary")).to_be_visible(timeout=TIMEOUT)
    title = f"fresh {uuid.uuid4().hex[:6]}"
    _produce(live, f"ui-alerts-{uuid.uuid4().hex[:6]}", [
        {"metric": "N", "above": 1200.0, "clear": 1150.0, "min_steps": 2,
         "severity": "info", "title": title}])
    expect(page.locator(".nx-alert-log")).to_contain_text(title, timeout=TIMEOUT)


def test_an_unknown_run_in_the_link_says_so(page: Page) -> None:
    page.goto("/alerts?run=no-such-run")
    wait_for_page(page)
    expect(page.get_by_text("There is no live run named 'no-such-run'")).to_be_visible(
        timeout=TIMEOUT)  # shown, not only in the page's text
    expect(page.locator(".nx-alert-summary")).to_be_visible()  # and every run's log
    page.goto("/live?run=no-such-run")
    wait_for_page(page)
    expect(page.get_by_text("There is no live run named 'no-such-run'")).to_be_visible(
        timeout=TIMEOUT)


def test_a_refresh_keeps_the_page_the_reader_is_on(page: Page, server_store: Any) -> None:
    live = LiveStore(server_store)
    # H swings 80..120 with a 20-step period: a rule above 110 (clear 105) fires and
    # resolves once per period, 60 events in 600 steps: three table pages (25 rows each).
    flappy = [{"metric": "H", "above": 110.0, "clear": 105.0, "min_steps": 1,
               "severity": "info", "title": f"H swings {uuid.uuid4().hex[:6]}"}]
    name = f"ui-pages-{uuid.uuid4().hex[:6]}"
    _produce(live, name, flappy, frequency=0.5)
    page.goto("/alerts")
    wait_for_page(page)
    current = page.locator(".nx-alert-log .tabulator-page.active")
    expect(current).to_have_text("1", timeout=TIMEOUT)
    page.locator(".nx-alert-log .tabulator-page[data-page='3']").click()
    expect(current).to_have_text("3", timeout=TIMEOUT)
    count = page.get_by_test_id("kpi-events-shown")
    before = count.inner_text()
    title = f"fresh {uuid.uuid4().hex[:6]}"
    _produce(live, f"ui-pages-{uuid.uuid4().hex[:6]}", [
        {"metric": "N", "above": 1200.0, "clear": 1150.0, "min_steps": 2,
         "severity": "info", "title": title}])
    expect(count).not_to_have_text(before, timeout=TIMEOUT)  # the refresh brought them
    expect(current).to_have_text("3")  # and the reader is still on page 3
    page.locator(".nx-alert-log .tabulator-page[data-page='first']").click()
    expect(page.locator(".nx-alert-log")).to_contain_text(title, timeout=TIMEOUT)
    # a filter change is a new question: back to the first page
    page.locator(".nx-alert-log .tabulator-page[data-page='2']").click()
    expect(current).to_have_text("2", timeout=TIMEOUT)
    page.locator(".nx-alert-run select").select_option(name)
    expect(current).to_have_text("1", timeout=TIMEOUT)
