"""Configuration of one process, read in ONE place: environment variables and serve flags.

Why a param class: like Panel's own ``config``, every setting is declared once -- its
type, bounds, default, help text, the environment variable that sets it and the
``nexus-panel serve`` flag that overrides it -- and everything else (the command's
``--help``, validation with a message naming the variable and the allowed range, the
docs) reads the declaration. Code asks :func:`current` for the process's settings;
``nexus-panel serve`` builds them from its flags and installs them with
:func:`configure` before the server starts (workers forked by ``--num-procs`` inherit
them). Nothing passes a setting along by writing ``os.environ``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import param

from nexus_panel.models.checks import check_number
from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import FieldError, ValidationError

log = logging.getLogger(__name__)


def _setting(kind: type[param.Parameter], default: Any, env: str, doc: str,
             *, flag: str | None = None, fallback: bool = False, **options: Any) -> Any:
    """A setting read from ``env`` (and the serve flag ``flag``, if any). ``fallback``:
    a bad value is logged and the default kept instead of refused."""
    return kind(default, doc=doc, metadata={"env": env, "flag": flag, "fallback": fallback},
                **options)


class Settings(param.Parameterized):
    """Limits and locations for this process (see each parameter's doc)."""

    max_steps = _setting(
        param.Integer, 200_000, "NEXUS_MAX_STEPS",
        "Most steps one page run or download may compute for a visitor (bounds what one "
        "link can cost the server; a run longer than this is refused with a message).",
        flag="--max-steps", bounds=(100, 1_000_000))
    small_steps = _setting(
        param.Integer, 20_000, "NEXUS_SMALL_STEPS",
        "Runs of at most this many steps are small: computed at once on the page, and "
        "downloads of them never queue behind long ones.",
        flag="--small-steps", bounds=(100, 1_000_000))
    large_workers = _setting(
        param.Integer, 2, "NEXUS_LARGE_WORKERS",
        "Threads per process computing long runs and long downloads (others queue).",
        flag="--large-workers", bounds=(1, 64))
    small_workers = _setting(
        param.Integer, 4, "NEXUS_SMALL_WORKERS",
        "Threads per process for small downloads (kept apart from the long ones).",
        bounds=(1, 64))
    client_jobs = _setting(
        param.Integer, 4, "NEXUS_CLIENT_JOBS",
        "Long downloads one client address may have running or queued at once; more "
        "are answered 429 (Too Many Requests) with Retry-After.",
        flag="--client-jobs", bounds=(1, 1000))
    queue_limit = _setting(
        param.Integer, 32, "NEXUS_QUEUE_LIMIT",
        "Long jobs that may wait for a thread; beyond this the server answers 503 (busy).",
        bounds=(1, 10_000))

    node_modules = _setting(
        param.String, "", "NEXUS_NODE_MODULES",
        "The node_modules directory holding solc-js (the npm package solc), which compiles "
        "generated Solidity; empty: node_modules/ of the repository (./dev runs npm ci).")

    database_url = _setting(
        param.String, "", "DATABASE_URL",
        "SQLAlchemy URL of the scenario store; empty: the local SQLite file in the data "
        "directory.", flag="--database-url")
    data_dir = _setting(
        param.String, "", "NEXUS_DATA_DIR",
        "Directory of the local SQLite database; empty: the platform's user data directory.")
    cache_dir = _setting(
        param.String, "", "NEXUS_CACHE_DIR",
        "Directory of the disk memo of runs (its memo/ subdirectory); empty: the "
        "platform's user cache directory.")
    cache_size_mb = _setting(
        param.Number, 1024, "NEXUS_CACHE_SIZE_MB",
        "Most megabytes the disk memo keeps (least recently used runs go first). A bad "
        "value falls back to the default with a logged warning: a cache setting must not "
        "stop the app.", bounds=(0, 2**40), inclusive_bounds=(False, True), fallback=True)
    dask_address = _setting(
        param.String, "", "NEXUS_DASK_ADDRESS",
        "Dask scheduler the analyses run their chunks on; empty: threads in-process.")
    acting_user = _setting(
        param.String, "", "NEXUS_USER",
        "Account the CLI's database writes act as (``--as`` overrides it); empty: the "
        "single-user local mode, with every right.")
    cookie_secret = _setting(
        param.String, "", "NEXUS_COOKIE_SECRET",
        "Secret that signs the server's cookies (set one per deployment).",
        flag="--cookie-secret")
    admin_user = _setting(
        param.String, "", "NEXUS_ADMIN_USER",
        "First admin that ``nexus-panel users bootstrap`` adds to a database without any "
        "account (deployments; see deploy/entrypoint.sh).")
    admin_password = _setting(
        param.String, "", "NEXUS_ADMIN_PASSWORD",
        "That first admin's password (or put it in the file NEXUS_ADMIN_PASSWORD_FILE).")
    admin_password_file = _setting(
        param.String, "", "NEXUS_ADMIN_PASSWORD_FILE",
        "File whose first line is the first admin's password (a container secret).")
    oidc_issuer = _setting(
        param.String, "", "NEXUS_OIDC_ISSUER",
        "Issuer URL of the OpenID Connect provider for single sign-on (its discovery "
        "document is read at start); empty: no single sign-on.", flag="--oidc-issuer")
    oidc_client_id = _setting(
        param.String, "", "NEXUS_OIDC_CLIENT_ID",
        "This app's client id at the OpenID Connect provider.")
    oidc_client_secret = _setting(
        param.String, "", "NEXUS_OIDC_CLIENT_SECRET",
        "This app's client secret at the OpenID Connect provider.")
    oidc_roles = _setting(
        param.String, "", "NEXUS_OIDC_ROLES",
        "Claim-to-role mapping for single sign-on: CLAIM_VALUE=ROLE entries separated by "
        "commas, * for everyone, e.g. nexus-admins=admin,nexus-editors=editor,*=viewer.")
    oidc_role_claim = _setting(
        param.String, "groups", "NEXUS_OIDC_ROLE_CLAIM",
        "ID-token claim (a string or a list of strings) that NEXUS_OIDC_ROLES maps.")
    oidc_user_claim = _setting(
        param.String, "preferred_username", "NEXUS_OIDC_USER_CLAIM",
        "ID-token claim that names the account in this app.")
    oidc_scopes = _setting(
        param.String, "openid email profile", "NEXUS_OIDC_SCOPES",
        "Scopes asked of the OpenID Connect provider (space-separated; add the one that "
        "releases the role claim, e.g. groups).")
    oidc_redirect_uri = _setting(
        param.String, "", "NEXUS_OIDC_REDIRECT_URI",
        "The public address of this app's /login, registered at the provider (needed "
        "behind a proxy); empty: derived from each request.")

    @classmethod
    def declared(cls) -> list[str]:
        return field_names(cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: Any) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), then ``overrides`` (flags,
        None meaning "not given"). Bad values raise one ValidationError naming each
        variable or flag, its value and the allowed range."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name in cls.declared():
            p = cls.param[name]
            source, raw = p.metadata["env"], environ.get(p.metadata["env"])
            if overrides.get(name) is not None:
                source, raw = p.metadata["flag"] or name, overrides[name]
            if raw is None or raw == "":
                continue
            value = _parse(p, raw)
            allowed = check_number(p, value) if isinstance(p, param.Number) else None
            if allowed is not None and p.metadata["fallback"]:
                log.warning("%s=%r is not allowed (allowed: %s); using %s", source, raw,
                            allowed, p.default)
            elif allowed is not None:
                errors.append(FieldError(source, raw, allowed))
            else:
                values[name] = value
        if errors:
            raise ValidationError(errors)
        return cls(**values)


def _parse(p: param.Parameter, raw: Any) -> Any:
    if not isinstance(raw, str) or not isinstance(p, param.Number):
        return raw
    try:
        return int(raw) if isinstance(p, param.Integer) else float(raw)
    except ValueError:
        return raw


_LOCK = threading.Lock()
_CONFIGURED: list[Settings] = []
_FROM_ENV: dict[tuple[str | None, ...], Settings] = {}
ENV_VARIABLES: tuple[str, ...] = tuple(Settings.param[n].metadata["env"]
                                       for n in Settings.declared())


def current() -> Settings:
    """This process's settings: those :func:`configure` installed, else the environment's.

    Read from the environment, they are rebuilt only when one of their variables changed
    (a notebook or a test may set one after import), so a call costs a few dict lookups.
    """
    with _LOCK:
        if _CONFIGURED:
            return _CONFIGURED[0]
        key = tuple(os.environ.get(v) for v in ENV_VARIABLES)
        if key not in _FROM_ENV:
            _FROM_ENV.clear()
            _FROM_ENV[key] = Settings.from_env()
        return _FROM_ENV[key]


def configure(settings: Settings | None) -> None:
    """Make ``settings`` this process's settings (``nexus-panel serve``, tests); None goes
    back to reading the environment."""
    with _LOCK:
        _CONFIGURED[:] = [] if settings is None else [settings]


def named_secret(variable: str) -> str | None:
    """The value of the environment variable a data feed names for its secret (an API
    key, a database URL), or None when unset or empty.

    Why here: every environment read goes through this module. These variables are not
    settings -- each feed names its own -- and their values are never stored, exported or
    logged; the feed keeps only the variable's name."""
    return os.environ.get(variable) or None
