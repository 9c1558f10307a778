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

import os
import threading
from collections.abc import Mapping
from typing import Any

import param

from nexus_panel.models.checks import check_number
from nexus_panel.models.errors import FieldError, ValidationError


def _setting(kind: type[param.Parameter], default: Any, env: str, doc: str,
             flag: str | None = None, **options: Any) -> Any:
    return kind(default, doc=doc, metadata={"env": env, "flag": flag}, **options)


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

    @classmethod
    def declared(cls) -> list[str]:
        return [n for n in cls.param if n != "name"]

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
            if allowed is not None:
                errors.append(FieldError(source, raw, allowed))
            else:
                values[name] = value
        if errors:
            raise ValidationError(errors)
        return cls(**values)


def _parse(p: param.Parameter, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return int(raw) if isinstance(p, param.Integer) else float(raw)
    except ValueError:
        return raw


_LOCK = threading.Lock()
_CURRENT: list[Settings] = []


def current() -> Settings:
    """This process's settings (from the environment on first use)."""
    with _LOCK:
        if not _CURRENT:
            _CURRENT.append(Settings.from_env())
        return _CURRENT[0]


def configure(settings: Settings) -> None:
    """Make ``settings`` this process's settings (``nexus-panel serve``, tests)."""
    with _LOCK:
        _CURRENT[:] = [settings]
