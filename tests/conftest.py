"""Shared fixtures: database URLs for SQLite and the real PostgreSQL, and a private
disk-cache directory per test.

PostgreSQL: ``NEXUS_TEST_PG_URL`` (default the local server, database ``test``). Each
test that asks for it gets a fresh database, dropped afterwards. Without a reachable
server the test is skipped locally and FAILS when ``CI`` is set, so CI cannot go green
without really talking to PostgreSQL.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get(
    "NEXUS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real memo or database."""
    monkeypatch.setenv("NEXUS_CACHE_DIR", str(tmp_path_factory.mktemp("nexus-cache")))
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path_factory.mktemp("nexus-data")))
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{tmp_path}/nexus.db"


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (its URL); dropped afterwards. Unreachable: the
    test is skipped locally and FAILS when CI is set."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"nexus_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if _in_ci():
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(
        hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_pg_url() -> Iterator[str]:
    """One fresh PostgreSQL database for a whole module (e.g. behind a module's server)."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


# --- the tools that compile and execute generated contracts (tests/contracts, tests/ui) ------
# Missing locally: the test is skipped; with CI set it FAILS (./dev installs them).
def _require(check: object, what: str) -> None:
    from nexus_panel.contracts.toolchain import ToolchainError

    try:
        if callable(check):
            check()
        elif not check:
            raise ToolchainError(f"{what} is not installed")
    except ToolchainError as exc:
        if _in_ci():
            pytest.fail(f"{what} is required in CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def solidity_tools() -> None:
    from nexus_panel.contracts.toolchain import node, solc_environment

    _require(node, "node")
    _require(solc_environment, "solc-js")
    _require(importlib.util.find_spec("web3") is not None, "web3 (the contracts extra)")


@pytest.fixture(scope="session")
def rust_tools() -> None:
    from nexus_panel.contracts.toolchain import cargo

    _require(cargo, "cargo")


# --- the live services (Mosquitto on 1883, Redis on 6379) -------------------------------------
# Missing locally: the test is skipped; with CI set it FAILS (.ci/run starts both).
def _require_port(port: int, what: str) -> None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        if _in_ci():
            pytest.fail(f"{what} is required in CI but unreachable on 127.0.0.1:{port}: {exc}")
        pytest.skip(f"no {what} on 127.0.0.1:{port}")


@pytest.fixture
def mqtt_port() -> int:
    """The port of the machine's Mosquitto broker."""
    _require_port(1883, "Mosquitto (MQTT)")
    return 1883


@pytest.fixture
def redis_url() -> str:
    """The machine's Redis (database 0; tests use their own uniquely named keys)."""
    _require_port(6379, "Redis")
    return "redis://127.0.0.1:6379/0"


class RedisStream:
    """A uniquely named stream on the machine's Redis (deleted after the test), and how to
    define a feed reading it."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.name = f"nexus:test:{uuid.uuid4().hex}"

    def define(self, store: Any, feed: str, column: str, **extra: Any) -> Any:
        """Allow the local Redis and add feed ``feed`` (value column ``column``) reading
        this stream to ``store``; returns the FeedStore."""
        from nexus_panel.feeds.store import FeedStore

        feeds = FeedStore(store)
        feeds.allow("127.0.0.1:6379")
        feeds.add(feed, {"source": "redis", "redis_url": "redis://127.0.0.1:6379/0",
                         "stream": self.name, "time_column": "time",
                         "value_columns": [column], **extra})
        return feeds


@pytest.fixture
def redis_stream(redis_url: str) -> Iterator[RedisStream]:
    stream = RedisStream(redis_url)
    yield stream
    stream.client.delete(stream.name)
    stream.client.close()


@pytest.fixture(scope="session")
def nginx() -> str:
    """Debian's nginx (``./dev test`` installs it), for the hosted-topology tests."""
    from nexus_panel.benchmarks.nginx_front import NGINX

    _require(os.access(NGINX, os.X_OK), f"nginx ({NGINX})")
    return NGINX


# --- a real OpenID Connect provider on loopback (npm oidc-provider, tests/oidc/provider.mjs) --
class TestIdP:
    """One running provider: ``issuer`` URL, the client it knows, its accounts."""

    __test__ = False  # not a test class

    def __init__(self, folder: os.PathLike[str], redirect_uris: list[str],
                 accounts: dict[str, dict[str, object]]):
        import json
        import socket
        import subprocess
        from pathlib import Path

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{port}"
        self.client_id, self.client_secret = "nexus-tests", "tests-client-secret-0123456789"
        config = Path(folder) / "idp.json"
        config.write_text(json.dumps({"client_id": self.client_id,
                                      "client_secret": self.client_secret,
                                      "redirect_uris": redirect_uris, "accounts": accounts}))
        script = Path(__file__).parent / "oidc" / "provider.mjs"
        self.log = Path(folder) / "idp.log"
        with self.log.open("w") as log:
            self._process = subprocess.Popen(["node", str(script), str(port), str(config)],
                                             stdout=subprocess.PIPE, stderr=log, text=True)
        line = self._process.stdout.readline() if self._process.stdout else ""
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"the test IdP did not start: {line!r} {self.log.read_text()}")

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()


@pytest.fixture
def start_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """``start_idp(redirect_uris, accounts)`` runs the provider until the test ends
    (needs node and ``npm ci``'s node_modules: skipped locally, FAILS in CI without)."""
    yield from _idp_starter(tmp_path_factory)


@pytest.fixture(scope="module")
def start_module_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """:func:`start_idp` for a module's fixtures (one provider shared by its tests)."""
    yield from _idp_starter(tmp_path_factory)


def _idp_starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    import shutil
    from pathlib import Path

    started: list[TestIdP] = []
    if shutil.which("node") is None or not (
            Path(__file__).parent.parent / "node_modules" / "oidc-provider").is_dir():
        if _in_ci():
            pytest.fail("node and node_modules/oidc-provider are required in CI (./dev setup)")
        pytest.skip("node or node_modules/oidc-provider missing (./dev setup)")

    def start(redirect_uris: list[str], accounts: dict[str, dict[str, object]]) -> TestIdP:
        idp = TestIdP(tmp_path_factory.mktemp("idp"), redirect_uris, accounts)
        started.append(idp)
        return idp

    yield start
    for idp in started:
        idp.stop()
