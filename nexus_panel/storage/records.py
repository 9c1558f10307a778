"""What the storage layer hands out: frozen dataclasses, never ORM objects.

Views and the CLI get plain values that stay valid after the database session is gone,
cannot lazily hit the database from a template, and cannot be mutated into a half-saved
state. Each record carries what a page needs to show it without a second query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nexus_panel.models import Scenario


@dataclass(frozen=True)
class ScenarioInfo:
    """One scenario as listed: its identity and its latest revision's parameters."""

    id: int
    name: str
    description: str
    owner: str
    created_at: datetime
    updated_at: datetime
    deleted: bool
    revision: int
    """Number of the latest revision."""
    content_hash: str
    params: dict[str, float | int] = field(repr=False)
    visibility: str = "team"
    """``team`` (every account may read it) or ``private`` (its owner and admins)."""


@dataclass(frozen=True)
class RevisionRecord:
    """One immutable revision. ``created`` is False when a save found nothing to change
    and returned the existing latest revision instead of writing a new one."""

    id: int
    scenario_id: int
    scenario_name: str
    number: int
    message: str
    author: str
    created_at: datetime
    content_hash: str
    description: str
    params: dict[str, float | int] = field(repr=False)
    inputs: dict[str, dict[str, Any]] = field(repr=False)
    created: bool = True

    @property
    def label(self) -> str:
        """``name@number``, the form ``diff`` and the CLI accept."""
        return f"{self.scenario_name}@{self.number}"

    def scenario(self) -> Scenario:
        """The scenario exactly as saved in this revision."""
        return Scenario.from_dict({"name": self.scenario_name, "description": self.description,
                                   "params": self.params, "inputs": self.inputs})


@dataclass(frozen=True)
class RunRecord:
    """A stored run's provenance and summary (the time series: ``ScenarioStore.load_run``)."""

    id: int
    scenario_id: int
    scenario_name: str
    revision_id: int
    revision: int
    created_at: datetime
    started_at: datetime | None
    duration_s: float | None
    engine_version: str
    numpy_version: str
    numba_version: str
    package_version: str
    content_hash: str
    seeds: dict[str, int]
    num_steps: int
    size_bytes: int
    """Size of the stored time series (``SimulationResult.to_bytes``)."""
    summary: dict[str, float] = field(repr=False)


@dataclass(frozen=True)
class ScenarioDiff:
    """What changed from ``a`` to ``b``: ``{field: (value in a, value in b)}``.

    ``inputs`` maps an input name to its two signal dicts; ``meta`` holds name and
    description changes."""

    a: str
    b: str
    params: dict[str, tuple[Any, Any]]
    inputs: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    meta: dict[str, tuple[str, str]]

    @property
    def empty(self) -> bool:
        return not (self.params or self.inputs or self.meta)

    def lines(self) -> list[str]:
        """Human-readable, one change per line (``alpha: 1 → 1.5``)."""
        out = [f"{k}: {old!r} → {new!r}" for k, (old, new) in self.meta.items()]
        out += [f"{k}: {old:g} → {new:g}" for k, (old, new) in self.params.items()]
        for name, (old, new) in self.inputs.items():
            out.append(f"input {name}: {_signal_text(old)} → {_signal_text(new)}")
        return out


def _signal_text(spec: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v}"
                     for k, v in spec.items() if k != "kind")
    return f"{spec.get('kind')}({rest})"


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    object: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditCheck:
    """Outcome of verifying the audit chain and the stored revisions. ``broken_id`` is the
    first event whose link does not hold (None when the chain is intact);
    ``bad_revisions`` names every revision whose values no longer match its content hash
    (or whose hash differs from the one the audit trail recorded)."""

    checked: int
    broken_id: int | None = None
    reason: str = ""
    revisions_checked: int = 0
    bad_revisions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.bad_revisions

    def __str__(self) -> str:
        if self.broken_id is None:
            chain = f"audit chain intact: {self.checked} events verified"
        else:
            chain = f"audit chain broken at event {self.broken_id}: {self.reason}"
        if not self.bad_revisions:
            return f"{chain}; revisions intact: {self.revisions_checked} checked"
        return "\n".join([f"{chain}; {len(self.bad_revisions)} of {self.revisions_checked} "
                          "revisions tampered with:", *self.bad_revisions])


@dataclass(frozen=True)
class UserRecord:
    """One account as listed (never its password hash)."""

    name: str
    display_name: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    sessions_after: datetime | None = None
    """Sign-ins from before this moment are ended (set by a password reset)."""

    def to_dict(self) -> dict[str, object]:
        """The listing form of ``nexus-panel users list --json``."""
        return {"name": self.name, "role": self.role, "disabled": self.disabled}


@dataclass(frozen=True)
class SignIn:
    """The answer to one web sign-in attempt (``ScenarioStore.sign_in``)."""

    user: UserRecord | None
    """The account when the password was right and the account enabled, else None."""
    retry_after: int = 0
    """> 0: refused by the rate limit without checking the password; seconds to wait."""
    refused: str = ""
    """Not empty: the request itself was refused (what was wrong with it)."""
