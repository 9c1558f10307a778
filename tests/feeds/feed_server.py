"""A real HTTP server on 127.0.0.1 for the feed tests (a thread; http.server).

Routes: ``/good.csv`` and ``/good.json`` (with an ETag; a matching If-None-Match gets
304), ``/flaky`` (500 for the first ``fail_first`` requests, then the CSV), ``/slow``
(answers after ``slow_s``), ``/huge`` (``huge_bytes`` of CSV, chunked, no length),
``/bad.json`` (broken JSON), ``/html`` (a wrong content type), ``/auth`` (needs the
bearer key), ``/redirect?to=URL`` (302 there). ``rows`` is served live: tests change it
to show a stored snapshot is independent of the source.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.rows: list[tuple[float, float]] = [(float(t), 50.0 + t) for t in range(100)]
        self.fail_first = 2
        self.slow_s = 3.0
        self.huge_bytes = 5 * 2**20
        self.key = "s3cret-key"
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def csv(self) -> bytes:
        return ("time,value\n" + "".join(f"{t!r},{v!r}\n" for t, v in self.rows)).encode()

    def etag(self) -> str:
        return f'"{abs(hash(tuple(self.rows)))}"'


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, *_args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, kind: str = "text/csv",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        with self.server.lock:
            self.server.requests.append({"path": url.path, "headers": dict(self.headers)})
            count = sum(r["path"] == url.path for r in self.server.requests)
        route = getattr(self, "_" + url.path.strip("/").replace(".", "_"), None)
        if route is None:
            self._send(404, b"no such route", "text/plain")
            return
        route(parse_qs(url.query), count)

    def _good_csv(self, _query: dict[str, list[str]], _count: int) -> None:
        etag = self.server.etag()
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, self.server.csv(), "text/csv; charset=utf-8", {"ETag": etag})

    def _good_json(self, _query: dict[str, list[str]], _count: int) -> None:
        body = json.dumps({"data": {"items": [{"t": t, "price": v}
                                              for t, v in self.server.rows]}}).encode()
        self._send(200, body, "application/json")

    def _flaky(self, _query: dict[str, list[str]], count: int) -> None:
        if count <= self.server.fail_first:
            self._send(500, b"try again", "text/plain")
        else:
            self._send(200, self.server.csv())

    def _slow(self, _query: dict[str, list[str]], _count: int) -> None:
        time.sleep(self.server.slow_s)
        self._send(200, self.server.csv())

    def _huge(self, _query: dict[str, list[str]], _count: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        line = b"1,1\n" * 16_384
        sent = 0
        try:
            self.wfile.write(b"%x\r\ntime,value\n\r\n" % len(b"time,value\n"))
            while sent < self.server.huge_bytes:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                sent += len(line)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its cap: what the test wants

    def _bad_json(self, _query: dict[str, list[str]], _count: int) -> None:
        self._send(200, b'{"data": [1, 2,', "application/json")

    def _html(self, _query: dict[str, list[str]], _count: int) -> None:
        self._send(200, b"<html></html>", "text/html")

    def _auth(self, _query: dict[str, list[str]], _count: int) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.server.key}":
            self._send(401, b"no", "text/plain")
        else:
            self._send(200, self.server.csv())

    def _redirect(self, query: dict[str, list[str]], _count: int) -> None:
        self.send_response(302)
        self.send_header("Location", query["to"][0])
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def running() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
