"""Naming saved scenarios and revisions for pickers, and loading what a name points at.

Compare lets a user point at "scenario X" (its latest revision) or "scenario X at
revision N"; this module gives each such reference one label (``X`` or ``X @ rN``), so
pickers and tests agree on what a choice means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexus_panel.models import Scenario


@dataclass(frozen=True)
class ScenarioRef:
    """A saved scenario (``revision=None``: its latest revision) or one revision of it."""

    name: str
    revision: int | None = None

    @property
    def label(self) -> str:
        return self.name if self.revision is None else f"{self.name} @ r{self.revision}"


def list_refs(store: Any, with_revisions: bool = True) -> list[ScenarioRef]:
    """Every saved scenario, each followed by its older revisions (newest first)."""
    if store is None:
        return []
    refs: list[ScenarioRef] = []
    for record in store.list():
        refs.append(ScenarioRef(record.name))
        if with_revisions:
            numbers = sorted((r.number for r in store.revisions(record.name)), reverse=True)
            refs += [ScenarioRef(record.name, n) for n in numbers[1:]]
    return refs


def load_ref(store: Any, ref: ScenarioRef) -> Scenario:
    return store.load(ref.name, revision=ref.revision)
