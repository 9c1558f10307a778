"""The warm-up (``serve`` builds every page once before ``--num-procs`` forks its
workers) must leave no event loop behind: tornado forbids one before the fork, since the
workers would share its epoll and every worker but the first would fail to watch the
port (the "[Errno 17] File exists" restarts). The page build's clean-up hook ran on a
loop it created; it now frees the page's links at once when no loop runs."""

from __future__ import annotations

import asyncio
import threading

from nexus_panel.pages import cleanup, site


def test_building_and_releasing_a_page_creates_no_event_loop() -> None:
    outcome: dict[str, object] = {}

    def build() -> None:  # a thread of its own: the test runner's loop state is not ours
        before = len(cleanup._registry())
        site._build_and_release("parameters")
        outcome["registry_grew_by"] = len(cleanup._registry()) - before
        try:
            outcome["loop"] = asyncio.get_event_loop()
        except RuntimeError:  # none set in this thread: what the fork needs
            outcome["loop"] = None

    thread = threading.Thread(target=build)
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert outcome["loop"] is None
    assert outcome["registry_grew_by"] == 0  # the page's link sources were freed
