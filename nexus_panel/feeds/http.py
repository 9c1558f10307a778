"""The HTTP(S) source: httpx to the vetted address only, bounded in time, size, retries
and redirects.

* every URL, the first and each redirect's, passes ``ssrf.vet`` (allowlist, address
  rules) and the request goes to the address vetted there, with the name in the Host
  header and the TLS SNI (certificates are checked against the name);
* connect/read timeouts (``timeout_s``); the body is streamed and abandoned past
  ``max_bytes``; redirects are followed by hand, at most :data:`MAX_REDIRECTS`;
* 5xx answers, timeouts and dropped connections are retried with exponential backoff and
  jitter (tenacity), at most :data:`ATTEMPTS` times; 4xx is final;
* ``If-None-Match``/``If-Modified-Since`` from the latest snapshot: a 304 reuses it;
* the content type must suit the format; proxies from the environment are ignored (a
  proxy would connect to the name itself, not the vetted address);
* the API key is read from the environment variable the feed names, sent only to the
  feed URL's own origin (never to a redirect elsewhere), and never stored or logged.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urljoin

import httpx
import tenacity

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.sources import FetchContext, Fetched, Source
from nexus_panel.feeds.ssrf import Target, vet
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.settings import named_secret

MAX_REDIRECTS = 5
ATTEMPTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CONTENT_TYPES = {
    "json": ("application/json", "text/json"),
    "csv": ("text/csv", "application/csv", "text/plain"),
}


class _Retry(Exception):
    """A failure worth another attempt (5xx, timeout, dropped connection)."""


class HttpSource(Source):
    kind = "http"
    fields: ClassVar[tuple[str, ...]] = ("url", "format", "records_key", "api_key_env",
                                         "api_key_header", "timeout_s", "max_bytes")

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        return fetch_http(definition, context)


def api_key_headers(definition: FeedDefinition) -> dict[str, str]:
    """The API key header, from the environment variable the feed names (if any)."""
    if not definition.api_key_env:
        return {}
    key = named_secret(definition.api_key_env)
    if not key:
        raise ValidationError([FieldError("api_key_env", definition.api_key_env,
                                          "the name of a set, non-empty environment "
                                          "variable")])
    header = definition.api_key_header
    return {header: f"Bearer {key}" if header.lower() == "authorization" else key}


def fetch_http(definition: FeedDefinition, context: FetchContext) -> Fetched:
    timeout = httpx.Timeout(definition.timeout_s)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(_Retry),
        stop=tenacity.stop_after_attempt(ATTEMPTS),
        wait=tenacity.wait_exponential_jitter(multiplier=0.2, max=3.0, jitter=0.2),
        reraise=True)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        try:
            return retrying(_fetch_once, client, definition, context)
        except _Retry as exc:
            raise FetchError("url", f"{exc} (after {ATTEMPTS} attempts)") from None


def _fetch_once(client: httpx.Client, definition: FeedDefinition,
                context: FetchContext) -> Fetched:
    first = vet(definition.url, context.allowlist, context.resolve)
    target = first
    for _hop in range(MAX_REDIRECTS + 1):
        headers = {"Host": target.host_header, "Accept": CONTENT_TYPES[definition.format][0]}
        if target.origin == first.origin:
            headers.update(api_key_headers(definition))
        if context.etag:
            headers["If-None-Match"] = context.etag
        if context.last_modified:
            headers["If-Modified-Since"] = context.last_modified
        request = client.build_request("GET", address_url(target), headers=headers,
                                       extensions=({"sni_hostname": target.host}
                                                   if target.scheme == "https" else {}))
        try:
            response = client.send(request, stream=True)
            try:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchError("url", f"HTTP {response.status_code} without a "
                                         "Location")
                    target = vet(urljoin(target.url, location), context.allowlist,
                                 context.resolve)
                    continue
                return _answer(response, target, definition)
            finally:
                response.close()  # also abandons a body cut off at the cap
        except httpx.TimeoutException:
            raise _Retry(f"{target.url} timed out after {definition.timeout_s:g} s") from None
        except httpx.TransportError as exc:
            raise _Retry(f"{target.url}: {type(exc).__name__}: {exc}") from None
    raise FetchError("url", f"more than {MAX_REDIRECTS} redirects from {definition.url}")


def address_url(target: Target) -> httpx.URL:
    """The target's URL with the vetted address in place of the name."""
    return httpx.URL(target.url).copy_with(host=target.address)


def _answer(response: httpx.Response, target: Target, definition: FeedDefinition) -> Fetched:
    status = response.status_code
    if status == 304:
        return Fetched(source=f"GET {target.url}", http_status=304, not_modified=True)
    if status >= 500:
        raise _Retry(f"{target.url} answered HTTP {status}")
    if status != 200:
        raise FetchError("url", f"{target.url} answered HTTP {status}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    wanted = CONTENT_TYPES[definition.format]
    if kind not in wanted and not (definition.format == "json" and kind.endswith("+json")):
        raise FetchError("format", f"{target.url} sent content type {kind or '(none)'!r}; a "
                         f"{definition.format} feed accepts " + ", ".join(wanted))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > definition.max_bytes:
        raise FetchError("max_bytes", f"{target.url} sends {int(declared):,} bytes, more than "
                         f"the cap {definition.max_bytes:,}")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > definition.max_bytes:
            raise FetchError("max_bytes", f"{target.url} sent more than the cap "
                             f"{definition.max_bytes:,} bytes (stopped reading)")
        chunks.append(chunk)
    return Fetched(source=f"GET {target.url}", payload=b"".join(chunks), http_status=status,
                   etag=response.headers.get("etag"),
                   last_modified=response.headers.get("last-modified"))
