"""Account figures, on a temporary SQLite file (never the user's database).

Target (issue 11): one login -- checking a password against its argon2id hash, recording
the login time and its audit event -- under about 250 ms on this machine. The hash alone
is measured too, so a slow database is told apart from a costly hash, and so is a whole
sign-in over HTTP against a real ``nexus-panel serve --auth`` (what a visitor waits).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nexus_panel.benchmarks import Figure, median_seconds, selected
from nexus_panel.storage import ScenarioStore, passwords

LOGIN_TARGET_S = 0.25
SECRET = "a benchmark password"


def figures() -> list[Figure]:
    out: list[Figure] = []
    params = passwords.HASHER
    cost = (f"argon2id m={params.memory_cost // 1024} MiB, t={params.time_cost}, "
            f"p={params.parallelism}")
    if selected("accounts.verify_password"):
        stored = passwords.hash_password(SECRET)
        out.append(Figure("accounts.verify_password",
                          median_seconds(lambda: passwords.verify(stored, SECRET), 7),
                          note=f"the hash alone: {cost}"))
    if selected("accounts.login"):
        with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder, \
                ScenarioStore(f"sqlite:///{Path(folder) / 'bench.db'}") as store:
            store.add_user("bench", "viewer", SECRET)

            def login() -> None:
                if store.authenticate("bench", SECRET) is None:
                    raise RuntimeError("the benchmark login failed")
            seconds = median_seconds(login, 7)
        out.append(Figure("accounts.login", seconds, target=LOGIN_TARGET_S,
                          note=f"verify + last-login time + audit event on SQLite; {cost}"))
    if selected("accounts.http_login"):
        out.append(Figure("accounts.http_login", http_login_seconds(), target=LOGIN_TARGET_S,
                          note="GET /login + POST /login (XSRF, rate-limit count, verify, "
                               "audit, signed cookie) against serve --auth on SQLite"))
    return out


def http_login_seconds() -> float:
    """Median of one full sign-in over HTTP: the form, then the POST answered 302."""
    from nexus_panel.benchmarks.auth_server import ACCOUNTS, auth_server, client, sign_in

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder:
        server = auth_server(Path(folder), extra_args=("--no-warm-up",))
        try:
            name, (_, password) = next(iter(ACCOUNTS.items()))

            def login() -> None:
                with client(server.url) as http:
                    if sign_in(http, name, password).status_code != 302:
                        raise RuntimeError("the benchmark sign-in failed")
            return median_seconds(login, 9)
        finally:
            server.stop()
