"""Debian's nginx running deploy/nginx.conf in front of a ``nexus-panel serve`` on loopback.

Why the deployed file itself: the hosted topology (nginx, then ``--num-procs`` app
processes, then PostgreSQL) is tested as it is deployed, so the test reads
deploy/nginx.conf and changes only the addresses -- the upstream ``app:5006`` (a compose
host name) becomes the test server's loopback port and ``listen 80`` a free loopback
port -- and wraps it in the few top-level lines a distribution's nginx.conf would give
(pid file, temp directories and logs in a private folder). Every limit, header and
websocket rule under test is the deployed one.

This module defines no ``figures()``, so ``nexus-panel bench`` does not pick it up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from nexus_panel.benchmarks.ui_server import ROOT, Server, free_port

NGINX = os.environ.get("NEXUS_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
"""Debian's nginx (``NEXUS_NGINX`` overrides the path, like ``NEXUS_CHROMIUM``)."""
DEPLOYED_CONF = ROOT / "deploy" / "nginx.conf"
UPSTREAM_LINE = "server app:5006;"
LISTEN_LINE = "listen 80;"

WRAPPER = """\
{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/site.conf;
}}
"""


def site_conf(upstream_port: int, listen_port: int) -> str:
    """deploy/nginx.conf with only its two addresses moved to loopback ports."""
    text = DEPLOYED_CONF.read_text(encoding="utf-8")
    for line in (UPSTREAM_LINE, LISTEN_LINE):
        if text.count(line) != 1:
            raise RuntimeError(f"deploy/nginx.conf no longer has exactly one {line!r}; "
                               "update nexus_panel/benchmarks/nginx_front.py with it")
    return (text.replace(UPSTREAM_LINE, f"server 127.0.0.1:{upstream_port};")
                .replace(LISTEN_LINE, f"listen 127.0.0.1:{listen_port};"))


class NginxFront:
    """``nginx -g 'daemon off;'`` with the deployed site config; ``url`` is its address."""

    def __init__(self, folder: Path, upstream_port: int, port: int | None = None) -> None:
        """``port``: where nginx listens (default a free one); known before the app starts
        when the app must name it (``--allow-websocket-origin``)."""
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        # As root, nginx's workers drop to an unprivileged user that must reach the
        # private folder's temp directories; running them as root is simplest here.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "site.conf").write_text(site_conf(upstream_port, self.port))
        (folder / "nginx.conf").write_text(WRAPPER.format(folder=folder, user=user))
        check = subprocess.run([NGINX, "-t", "-p", str(folder), "-c",
                                str(folder / "nginx.conf")], capture_output=True, text=True,
                               check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t refused the config:\n{check.stderr}")
        self.proc = subprocess.Popen([NGINX, "-p", str(folder), "-c",
                                      str(folder / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until nginx answers (any HTTP status: the app may answer 302 or 502)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()}")
            try:
                urllib.request.urlopen(f"{self.url}/liveness", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx not answering after {timeout}s: {self.error_log()}")

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def hosted(workdir: Path, database_url: str, cookie_secret: str,
           num_procs: int = 2) -> tuple[Server, NginxFront]:
    """The deployed topology on loopback: ``serve --auth --num-procs N`` on
    ``database_url`` (accounts already in it), nginx with deploy/nginx.conf in front.
    Both are live when this returns; stop the server and nginx when done."""
    front_port = app_port = free_port()
    while app_port == front_port:
        app_port = free_port()
    server = Server(workdir, port=app_port, extra_args=(
        "--auth", "--num-procs", str(num_procs), "--use-xheaders",
        "--allow-websocket-origin", f"127.0.0.1:{front_port}",
        "--cookie-secret", cookie_secret, "--database-url", database_url))
    try:
        server.wait_ready()
        front = NginxFront(workdir / "nginx", server.port, port=front_port)
    except BaseException:
        server.stop()
        raise
    try:
        front.wait_ready()
    except BaseException:
        front.stop()
        server.stop()
        raise
    return server, front
