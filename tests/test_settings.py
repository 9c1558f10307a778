"""Configuration is read in one place (nexus_panel.settings) and passed down: no module
reads an environment variable of its own or hands a flag along through ``os.environ``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nexus_panel import settings
from nexus_panel.engine import memo
from nexus_panel.storage import database

PACKAGE = Path(settings.__file__).parent
READS = re.compile(r"os\.environ\.get\(|os\.environ\[|os\.getenv\(|os\.environ\.setdefault\(")


def test_no_module_but_settings_reads_the_environment() -> None:
    """Benchmarks (developer tools run by hand) are left out."""
    offenders = [f"{path.relative_to(PACKAGE)}:{n}"
                 for path in PACKAGE.rglob("*.py")
                 if path.name != "settings.py" and "benchmarks" not in path.parts
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if READS.search(line)]
    assert offenders == []


def test_every_nexus_variable_the_code_names_is_declared() -> None:
    named = {m for path in PACKAGE.rglob("*.py") if "benchmarks" not in path.parts
             for m in re.findall(r"\bNEXUS_[A-Z_]+\b", path.read_text(encoding="utf-8"))}
    assert named <= set(settings.ENV_VARIABLES)
    assert "DATABASE_URL" in settings.ENV_VARIABLES


def test_configured_settings_reach_the_store_and_memo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/configured.db"
    settings.configure(settings.Settings(database_url=url, cache_dir=str(tmp_path / "c"),
                                         cache_size_mb=2))
    try:
        assert str(database.resolve_url()) == url
        assert memo.memo_dir() == tmp_path / "c" / "memo"
        assert memo.size_limit_bytes() == 2 * 2**20
    finally:
        settings.configure(None)


def test_an_environment_change_after_import_is_seen(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "one"))
    assert database.data_dir() == tmp_path / "one"
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "two"))
    assert database.data_dir() == tmp_path / "two"


def test_a_bad_cache_size_falls_back_but_a_bad_limit_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_CACHE_SIZE_MB", "-5")
    assert settings.current().cache_size_mb == 1024
    monkeypatch.setenv("NEXUS_MAX_STEPS", "5")
    with pytest.raises(settings.ValidationError) as caught:
        settings.current()
    assert caught.value.fields == ["NEXUS_MAX_STEPS"]
