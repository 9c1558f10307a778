"""``nexus-panel serve``: the multi-page web app on one port.

Serves every page of nexus_panel.pages.registry at ``/<slug>`` and the home page (Simulate)
at ``/`` (the URL layout is documented in nexus_panel.pages.site). Defaults suit one user on
one machine: 127.0.0.1:5006, the local SQLite database and the local disk memo. The numba
kernels are compiled (or loaded from their on-disk cache) and the home page is built once
before the port opens, so the first visitor waits neither for the JIT nor for lazy
imports. Production flags are documented in deploy/README.md.

Safe by default: on a loopback address without ``--auth`` it is the single-user local mode
(the header says so). ``--auth``, or any other address, requires signing in with an
account (``nexus_panel.web.sign_in``) and refuses to start without accounts or without a
cookie secret of at least 32 bytes; then XSRF protection is on, websocket origins are
explicit and every HTTP route checks the signed session. With ``--oidc-issuer`` (or
NEXUS_OIDC_ISSUER) sign-in is single sign-on through that OpenID Connect provider
(``nexus_panel.web.oidc_sign_in``), whose users become accounts at their first sign-in.

The same pages can be served by Panel's own CLI (each page file is a servable script)::

    panel serve nexus_panel/pages/simulate.py nexus_panel/pages/parameters.py \\
        nexus_panel/pages/signals.py --index simulate
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

from nexus_panel.commands.errors import CommandError

DEFAULT_PORT = 5006
DEFAULT_ADDRESS = "127.0.0.1"
MIN_SECRET_BYTES = 32


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="serve the web app",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free port)")
    p.add_argument("--address", default=DEFAULT_ADDRESS,
                   help=f"address to listen on (default {DEFAULT_ADDRESS}; 0.0.0.0 for all)")
    p.add_argument("--num-procs", type=int, default=1, metavar="N",
                   help="worker processes (0: one per CPU); each holds its own sessions")
    p.add_argument("--num-threads", type=int, default=None, metavar="N",
                   help="threads per process for session callbacks (default: none)")
    p.add_argument("--liveness", action="store_true",
                   help="answer health checks at /liveness")
    p.add_argument("--allow-websocket-origin", action="append", default=None,
                   metavar="HOST[:PORT]",
                   help="host allowed to open the websocket (repeatable); needed behind a "
                        "proxy or on a public address")
    p.add_argument("--prefix", default=None,
                   help="URL path prefix when served below a path of a proxy, e.g. /nexus")
    p.add_argument("--use-xheaders", action="store_true",
                   help="trust X-Forwarded-* headers from a reverse proxy (nginx)")
    p.add_argument("--dev", action="store_true",
                   help="development mode: reload on code changes, show the browser")
    p.add_argument("--session-expiry", type=int, default=None, metavar="MS",
                   help="free a closed page's session after this many milliseconds "
                        "(default Bokeh's 15000, checked every 17000)")
    p.add_argument("--no-live", action="store_true",
                   help="do not produce live runs in this server (by default every server "
                        "process takes over live runs whose producer is gone)")
    p.add_argument("--auth", action="store_true",
                   help="require signing in with an account (always on for a non-loopback "
                        "--address); needs accounts and a --cookie-secret of 32+ bytes")
    p.add_argument("--no-warm-up", action="store_true",
                   help="skip compiling the kernels and pre-building the home page")
    add_setting_flags(p)
    p.set_defaults(func=run)


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per Settings parameter that declares one (help, type from the declaration)."""
    import param

    from nexus_panel.settings import Settings

    for name in Settings.declared():
        declared = Settings.param[name]
        flag = declared.metadata["flag"]
        if flag is None:
            continue
        number = isinstance(declared, param.Number)
        otherwise = f"{declared.default:,}" if number else "empty"
        parser.add_argument(flag, dest=name, default=None, metavar="N" if number else "VALUE",
                            help=f"{declared.doc} (default ${declared.metadata['env']}, "
                                 f"else {otherwise})")


def settings_from(args: argparse.Namespace) -> Any:
    """The process settings: environment, then the flags given on the command line."""
    from nexus_panel.settings import Settings

    return Settings.from_env(**{n: getattr(args, n, None) for n in Settings.declared()})


def server_options(args: argparse.Namespace, settings: Any) -> dict[str, Any]:
    """Keyword arguments for ``panel.serve`` from the parsed command line and the
    process settings (the cookie secret)."""
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port} is not allowed (allowed: 0 to 65535)")
    if args.num_procs < 0:
        raise CommandError(f"--num-procs {args.num_procs} is not allowed (allowed: 0 or more)")
    if args.num_procs != 1 and args.dev:
        raise CommandError("--dev (autoreload) works with one process only; drop --num-procs")
    if args.num_threads is not None and args.num_threads < 0:
        raise CommandError(f"--num-threads {args.num_threads} is not allowed (allowed: 0+)")
    from nexus_panel.pages.site import titles

    options: dict[str, Any] = {
        "port": args.port, "address": args.address, "num_procs": args.num_procs,
        "liveness": args.liveness, "title": titles(), "show": args.dev,
        "websocket_origin": args.allow_websocket_origin,
    }
    from nexus_panel.pages.export_route import ROUTES as EXPORT_ROUTES  # /export/<fmt>
    from nexus_panel.pages.status_route import ROUTES as STATUS_ROUTES  # /status

    options["extra_patterns"] = [*EXPORT_ROUTES, *STATUS_ROUTES]
    if args.session_expiry is not None:
        if not 100 <= args.session_expiry <= 3_600_000:
            raise CommandError(f"--session-expiry {args.session_expiry} is not allowed "
                               "(allowed: 100 to 3600000 milliseconds)")
        options["unused_session_lifetime_milliseconds"] = args.session_expiry
        options["check_unused_sessions_milliseconds"] = args.session_expiry
    if settings.cookie_secret:
        options["cookie_secret"] = settings.cookie_secret
    if needs_sign_in(args):
        from nexus_panel.web.sign_in import AccountsAuthProvider

        options["auth_provider"] = AccountsAuthProvider()
        options["xsrf_cookies"] = True
        if not args.allow_websocket_origin and args.port:
            # Explicit, never "any": the address served and its loopback names.
            options["websocket_origin"] = sorted({
                f"{host}:{args.port}" for host in ("localhost", "127.0.0.1", args.address)
                if host not in ("0.0.0.0", "::", "")})
    if args.prefix:
        options["prefix"] = args.prefix
    if args.use_xheaders:
        options["use_xheaders"] = True
    return options


def is_loopback(address: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def needs_sign_in(args: argparse.Namespace) -> bool:
    """Sign-in is required with ``--auth`` and on every address others can reach: the
    local mode (every visitor an admin) is for one user on one machine only."""
    return bool(args.auth) or not is_loopback(args.address)


def check_safe_defaults(args: argparse.Namespace, settings: Any) -> None:
    """Refuse to serve with sign-in required but impossible: no cookie secret of
    :data:`MIN_SECRET_BYTES` bytes (cookies could be forged) or no account to sign in
    with. One line naming everything missing."""
    if not needs_sign_in(args):
        return
    why = "--auth" if args.auth else f"--address {args.address} (not loopback)"
    missing = []
    if len(settings.cookie_secret.encode()) < MIN_SECRET_BYTES:
        given = len(settings.cookie_secret.encode())
        missing.append(f"a cookie secret of at least {MIN_SECRET_BYTES} bytes "
                       f"(--cookie-secret or NEXUS_COOKIE_SECRET; given: {given} bytes)")
    if not settings.oidc_issuer and not has_accounts():  # (single sign-on adds accounts)
        missing.append("accounts in the database (add the first admin: "
                       "nexus-panel users add NAME --role admin)")
    if missing:
        raise CommandError(f"refusing to serve with {why}: sign-in needs "
                           + " and ".join(missing))


def single_sign_on(args: argparse.Namespace, settings: Any) -> Any:
    """The provider's ``oidc.OidcConfig`` (discovered) when single sign-on is configured,
    else None. Refuses to serve, in one line, with settings that cannot work (each bad
    single-sign-on setting named), sign-in off, or a provider whose discovery document cannot
    be read: better than a server whose every sign-in fails."""
    from nexus_panel.models.errors import ValidationError
    from nexus_panel.web import oidc

    try:
        config = oidc.config_from_settings(settings)
    except ValidationError as exc:
        raise CommandError(f"refusing to serve: single sign-on is misconfigured: {exc}"
                           ) from None
    if config is None:
        return None
    if not needs_sign_in(args):
        raise CommandError("refusing to serve: single sign-on (--oidc-issuer or "
                           "NEXUS_OIDC_ISSUER) needs sign-in: add --auth")
    try:
        return oidc.discover(config)
    except ConnectionError as exc:
        raise CommandError(f"refusing to serve: single sign-on: {exc}") from None


def has_accounts() -> bool:
    """True when an enabled account exists (read with a store of its own, closed at once:
    no connection is left open across the fork of ``--num-procs``)."""
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(url=None) as store:
        return any(not u.disabled for u in store.users())


def check_database_url(url: str) -> None:
    """Refuse, before serving, a database URL that can never work (unparseable, or not
    PostgreSQL/SQLite). An unreachable database is not refused: the app runs without
    storage and says so."""
    from nexus_panel.storage import database

    database.make_engine(database.resolve_url(url)).dispose()


def run(args: argparse.Namespace) -> int:
    from nexus_panel.settings import configure

    settings = settings_from(args)
    options = server_options(args, settings)
    # Installed, not exported: this process (and the workers --num-procs forks) read the
    # database URL and every other setting from here; os.environ is left alone.
    configure(settings)
    if settings.database_url:
        check_database_url(settings.database_url)
    check_safe_defaults(args, settings)
    sso = single_sign_on(args, settings)
    if sso is not None:
        from nexus_panel.web import oidc_sign_in

        options.update(oidc_sign_in.server_options(sso, settings.oidc_redirect_uri))
    if needs_sign_in(args):
        from nexus_panel.web import identity

        identity.require_sign_in(settings.cookie_secret, oidc=sso)
    import panel as pn

    from nexus_panel.pages.site import release_connections, routes, warm_up_pages

    if not args.no_warm_up:
        warm_up_pages()
    release_connections()  # each --num-procs worker opens its own

    pn.config.autoreload = args.dev
    if args.num_threads is not None:
        pn.config.nthreads = args.num_threads

    host = args.address if args.address not in ("0.0.0.0", "") else "localhost"
    print(f"nexus-panel: serving http://{host}:{args.port}{args.prefix or ''}/",
          file=sys.stderr, flush=True)
    from panel.io.server import get_server

    from nexus_panel.pages import headers

    try:
        server = get_server(routes(), start=False, **options)
    except OSError as exc:
        from tornado.process import task_id

        if task_id() is not None:  # a forked worker: the port was bound before the fork,
            raise                  # so this is no listen failure; show the real error
        raise CommandError(f"cannot listen on {args.address}:{args.port}: {exc}") from None
    headers.install(server._tornado)  # (every worker of --num-procs runs this after fork)
    from nexus_panel.web import websocket_race

    websocket_race.install()
    if not args.no_live:
        start_live_supervisor()
    server.start()
    server.io_loop.start()
    return 0


def start_live_supervisor() -> None:
    """Produce live runs in this process (one producer per run across every process; see
    nexus_panel.live.supervisor). Without storage there are no live runs to produce."""
    from nexus_panel.live.supervisor import Supervisor
    from nexus_panel.pages.site import base_store
    from nexus_panel.storage.live_runs import LiveStore

    def live() -> LiveStore | None:
        # The process's own local-mode store: producing is the server's work, not a
        # user's (who may start, pause or stop a run is checked when they do it).
        store = base_store()
        return None if store is None else LiveStore(store)

    Supervisor(live).start()
