"""Alert webhooks against a loopback receiver: retried after a 500, HMAC-signed, refused
when the host is not on the allowlist."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nexus_panel.live.producer import Producer
from nexus_panel.live.webhook import WebhookSender, signature
from nexus_panel.models import Scenario
from nexus_panel.storage import ScenarioStore
from nexus_panel.storage.live_runs import LiveStore

SECRET = "webhook test secret"


class Receiver(ThreadingHTTPServer):
    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.failures = failures
        self.received: list[tuple[bytes, str]] = []
        self.attempts = 0


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.attempts += 1
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_response(500)
        else:
            self.server.received.append((body, self.headers.get("X-Nexus-Signature", "")))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_events_are_retried_signed_and_allowlisted(receiver: Receiver,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_TEST_HOOK_SECRET", SECRET)
    port = receiver.server_address[1]
    url = f"http://127.0.0.1:{port}/hook"
    sender = WebhookSender("plant", url, "NEXUS_TEST_HOOK_SECRET",
                           lambda: frozenset({("127.0.0.1", port)}))
    sender.send({"rule": "N below 900", "state": "pending", "step": 1, "value": 1.0,
                 "severity": "warning"})  # not news: not sent
    sender.send({"rule": "N below 900", "state": "firing", "step": 7, "value": 899.5,
                 "severity": "warning"})
    sender.close()
    assert receiver.attempts == 3 and sender.delivered == 1  # 500, 500, then 204
    body, signed = receiver.received[0]
    assert signed == signature(SECRET, body)
    assert json.loads(body) == {"run": "plant", "rule": "N below 900", "state": "firing",
                                "step": 7, "value": 899.5, "severity": "warning"}
    refused = WebhookSender("plant", url, "", frozenset)
    refused.send({"rule": "r", "state": "firing", "step": 1, "value": 1.0,
                  "severity": "info"})
    refused.close()
    assert refused.failed == 1 and "allowlist" in refused.last_error
    assert receiver.attempts == 3  # nothing was sent to a host not on the allowlist


def test_a_live_run_posts_its_alerts(receiver: Receiver, sqlite_url: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from nexus_panel.feeds.store import FeedStore

    monkeypatch.setenv("NEXUS_TEST_HOOK_SECRET", SECRET)
    receiver.failures = 0
    port = receiver.server_address[1]
    sc = Scenario.from_dict({"name": "hooked", "params": {"num_steps": 300},
                             "inputs": {"C_cons": {"kind": "step", "initial": 60,
                                                   "final": 90, "step_at": 100}}})
    with ScenarioStore(sqlite_url) as store:
        FeedStore(store).allow(f"127.0.0.1:{port}")
        live = LiveStore(store)
        live.create("hooked", sc.to_dict(),
                    [{"metric": "N", "below": 995, "clear": 998, "min_steps": 2,
                      "severity": "critical"}],
                    steps_per_second=1000, max_steps=300, checkpoint_every=50, state={},
                    webhook={"url": f"http://127.0.0.1:{port}/hook",
                             "secret_env": "NEXUS_TEST_HOOK_SECRET"})
        assert Producer(live, "hooked").run() == "finished"
        stored = [e for e in live.alerts("hooked") if e["state"] in ("firing", "resolved")]
    posted = [json.loads(body) for body, _ in receiver.received]
    assert stored and [(p["state"], p["step"]) for p in posted] == \
        [(e["state"], e["step"]) for e in stored]
    assert all(signed == signature(SECRET, body) for body, signed in receiver.received)
