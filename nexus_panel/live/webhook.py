"""Alert webhooks: each alert that fires or resolves is POSTed to a URL, signed.

The body is JSON (``run``, ``rule``, ``state``, ``step``, ``value``, ``severity``, ``at``);
the header ``X-Nexus-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes
with the secret held in the environment variable the run names (``secret_env``; the
secret itself is never stored), so the receiver can check that the message came from
this app and was not altered.

The URL goes through the data feeds' rules (``feeds.ssrf.vet``): on the admin's
allowlist, http(s) only, resolved once and connected to the vetted address, no
redirects followed. Failures (5xx, timeouts, dropped connections) are retried with
exponential back-off and jitter (tenacity); deliveries run on their own thread, in order,
so a slow receiver never slows the live run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx
import tenacity

from nexus_panel.feeds.http import address_url
from nexus_panel.feeds.ssrf import Target, vet
from nexus_panel.models import FieldError, ValidationError

log = logging.getLogger(__name__)

ATTEMPTS = 5
TIMEOUT_S = 5.0
NOTIFIED = ("firing", "resolved")
"""The alert events that are sent (pending and dismissed ones are not news)."""


class _Retry(Exception):
    pass


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_webhook(config: Any) -> dict[str, str] | None:
    """A live run's ``webhook`` setting, checked (None: no webhook)."""
    if config is None:
        return None
    if not isinstance(config, dict) or set(config) - {"url", "secret_env"} or \
            not isinstance(config.get("url"), str) or \
            not isinstance(config.get("secret_env", ""), str):
        raise ValidationError([FieldError("webhook", config, 'an object {"url": ..., '
                                          '"secret_env": NAME_OF_AN_ENV_VARIABLE}')])
    return {"url": config["url"], "secret_env": config.get("secret_env", "")}


class WebhookSender:
    """Deliver alert events to one URL, in order, on a background thread."""

    def __init__(self, run: str, url: str, secret_env: str,
                 allowlist: Callable[[], frozenset[tuple[str, int]]]) -> None:
        self.run, self.url, self.secret_env = run, url, secret_env
        self._allowlist = allowlist
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.delivered = 0
        self.failed = 0
        self.last_error = ""
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"nexus-webhook-{run[:40]}")
        self._thread.start()

    def send(self, event: dict[str, Any]) -> None:
        if event.get("state") in NOTIFIED:
            self._queue.put({"run": self.run, **event})

    def close(self, timeout: float = 30.0) -> None:
        """Deliver what is queued (up to ``timeout``), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        with httpx.Client(timeout=TIMEOUT_S, follow_redirects=False, trust_env=False) as client:
            while (event := self._queue.get()) is not None:
                try:
                    self._deliver(client, event)
                    self.delivered += 1
                except Exception as exc:  # logged and counted: alerts keep coming
                    self.failed += 1
                    self.last_error = str(exc)
                    log.warning("live run %r: webhook to %s failed: %s", self.run, self.url,
                                exc)

    def _deliver(self, client: httpx.Client, event: dict[str, Any]) -> None:
        from nexus_panel.settings import named_secret

        body = json.dumps(event, sort_keys=True, allow_nan=False).encode()
        headers = {"Content-Type": "application/json"}
        secret = named_secret(self.secret_env) if self.secret_env else None
        if self.secret_env and secret is None:
            raise ValueError(f"secret_env: the variable {self.secret_env} is not set")
        if secret is not None:
            headers["X-Nexus-Signature"] = signature(secret, body)
        target = vet(self.url, self._allowlist())
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retry),
            stop=tenacity.stop_after_attempt(ATTEMPTS),
            wait=tenacity.wait_exponential_jitter(multiplier=0.2, max=3.0, jitter=0.2),
            reraise=True)
        retrying(_post, client, target, body, headers)


def _post(client: httpx.Client, target: Target, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = client.post(address_url(target), content=body,
                               headers={**headers, "Host": target.host_header},
                               extensions=({"sni_hostname": target.host}
                                           if target.scheme == "https" else {}))
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise _Retry(f"{target.url}: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 500:
        raise _Retry(f"{target.url} answered HTTP {response.status_code}")
    if not 200 <= response.status_code < 300:
        raise ValueError(f"{target.url} answered HTTP {response.status_code}")
