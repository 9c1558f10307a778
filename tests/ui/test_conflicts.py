"""Two people edit one saved scenario: the second save does not silently undo the first.

Both open revision 1 of the same scenario in their own browser context and change a
different parameter. The first save becomes revision 2. The second saver is shown a
conflict naming who saved and what changed, nothing is written, and each way out works:
load the latest, save theirs as the next revision anyway, or save theirs separately.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect
from pw_helpers import wait_for_page
from test_scenarios import click, fill
from test_simulate import scenario_in

from nexus_panel import Scenario


@pytest.fixture
def two_editors(browser: Browser, base_url: str, server_store: Any,
                browser_context_args: dict[str, Any]) -> Iterator[tuple[Page, Page, str]]:
    name = f"shared-{uuid.uuid4().hex[:6]}"
    scenario = Scenario(name=name)
    scenario.params.alpha = 1.2
    server_store.save(scenario, message="start")
    args = {k: v for k, v in browser_context_args.items() if k != "base_url"}
    contexts = [browser.new_context(base_url=base_url, **args) for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        pages[0].goto(f"/scenarios?scenario={quote(name)}&beta=1.5")   # Ann raises beta
        pages[1].goto(f"/scenarios?scenario={quote(name)}&alpha=2")    # Bob raises alpha
        for page in pages:
            wait_for_page(page)
            # both started from revision 1 (the page writes it into the address bar)
            expect(page).to_have_url(re.compile(r"[?&]base=1(&|$)"))
        fill(pages[0], ".nx-save-message", "Ann: more burn")
        click(pages[0], ".nx-save")
        expect(pages[0].locator(".nx-scenarios-message")).to_contain_text(
            f"Saved '{name}' as revision 2")
        fill(pages[1], ".nx-save-message", "Bob: more issuance")
        click(pages[1], ".nx-save")
        conflict = pages[1].locator(".nx-conflict-message")
        expect(conflict).to_contain_text(f"'{name}' was saved as revision 2 by local")
        expect(conflict).to_contain_text("beta: 1 → 1.5")
        assert [r.number for r in server_store.revisions(name)] == [1, 2]  # nothing written
        yield pages[0], pages[1], name
    finally:
        for context in contexts:
            context.close()


def test_the_second_saver_can_load_the_latest(two_editors: tuple[Page, Page, str],
                                              server_store: Any) -> None:
    _, bob, name = two_editors
    click(bob, ".nx-conflict-reload")
    expect(bob.locator(".nx-scenarios-message")).to_contain_text(
        f"Loaded '{name}' revision 2; your changes were dropped")
    bob.wait_for_function("() => window.location.search.includes('base=2')")
    values = scenario_in(bob.url).params
    assert (values.alpha, values.beta) == (1.2, 1.5)
    assert len(server_store.revisions(name)) == 2


def test_the_second_saver_can_save_anyway_or_separately(two_editors: tuple[Page, Page, str],
                                                        server_store: Any) -> None:
    _, bob, name = two_editors
    click(bob, ".nx-conflict-new")
    expect(bob.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name} (mine)' as revision 1")
    mine = server_store.load(f"{name} (mine)")
    assert (mine.params.alpha, mine.params.beta) == (2.0, 1.0)

    # back under the shared name, on top of Ann's revision: explicitly chosen
    fill(bob, ".nx-save-name", name)
    fill(bob, ".nx-save-message", "Bob: more issuance")
    click(bob, ".nx-save")
    expect(bob.locator(".nx-conflict-message")).to_contain_text(f"'{name}' already exists")
    click(bob, ".nx-conflict-overwrite")
    expect(bob.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name}' as revision 3")
    assert [r.message for r in server_store.revisions(name)] == [
        "start", "Ann: more burn", "Bob: more issuance"]
    assert server_store.load(name).params.alpha == 2.0
