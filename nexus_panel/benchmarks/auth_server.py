"""A real ``nexus-panel serve --auth`` with seeded accounts, and an HTTP sign-in client.

Shared by the sign-in tests (tests/web, tests/ui) and the login round-trip benchmark, so
both go through the real CLI, Bokeh's auth hooks, XSRF and the database rate limit.
This module defines no ``figures()``: ``nexus-panel bench`` does not pick it up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nexus_panel.benchmarks.ui_server import Server

COOKIE_SECRET = "test-cookie-secret-0123456789-abcdef"
"""36 bytes: over the 32 the server requires."""
ACCOUNTS: dict[str, tuple[str, str]] = {
    "ada": ("admin", "ada-admin-password-1"),
    "ed": ("editor", "ed-editor-password-1"),
    "vi": ("viewer", "vi-viewer-password-1"),
}
"""name -> (role, password) seeded into every auth server's database."""


def seed_accounts(url: str, accounts: dict[str, tuple[str, str]] | None = None) -> None:
    """Add the accounts (as the local user, who may add the first admin)."""
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(url) as store:
        for name, (role, password) in (accounts or ACCOUNTS).items():
            store.add_user(name, role, password)


def sqlite_url(workdir: Path) -> str:
    """The database a Server in ``workdir`` uses when no DATABASE_URL is given."""
    return f"sqlite:///{workdir / 'data' / 'nexus.db'}"


def auth_server(workdir: Path, database_url: str | None = None,
                extra_args: tuple[str, ...] = ()) -> Server:
    """Seed the accounts, then start ``serve --auth`` (trusting X-Forwarded-For, so a
    test can act from several client addresses) and wait until it is live."""
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    seed_accounts(database_url or sqlite_url(workdir))
    env = {"NEXUS_COOKIE_SECRET": COOKIE_SECRET}
    if database_url:
        env["DATABASE_URL"] = database_url
    server = Server(workdir, extra_args=("--auth", "--use-xheaders", *extra_args), env=env)
    server.wait_ready()
    return server


def client(base_url: str, address: str = "127.0.0.1") -> Any:
    """An httpx client that keeps cookies, follows no redirects and appears to come
    from ``address`` (the server trusts X-Forwarded-For in these tests)."""
    import httpx

    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=60,
                        headers={"X-Forwarded-For": address})


def sign_in(http: Any, name: str, password: str, next_url: str = "/") -> Any:
    """GET the form (for its XSRF cookie), POST it; the response (302 when it worked)."""
    http.get("/login")
    return http.post("/login", data={"username": name, "password": password,
                                     "next": next_url, "_xsrf": http.cookies.get("_xsrf")})
