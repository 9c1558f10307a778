"""Generated files: the provenance header, byte-identical regeneration, hostile scenario
names, and contract bounds taken from the parameter declarations."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_panel import EngineParams, Scenario, ValidationError
from nexus_panel.contracts.codegen import LANGUAGES, generate
from nexus_panel.contracts.fixedpoint import to_fixed
from nexus_panel.contracts.generated import GENERATOR_VERSION
from nexus_panel.contracts.naming import comment_text, contract_name, crate_name
from nexus_panel.contracts.reference import STEP_PARAMS

HOSTILE = ("x */ contract Evil { } /* // line fn main() {} '\"`$ {{}} \\u0041 "
           "<script>alert(1)</script>" + "é" * 100)
"""Every kind of trouble a name may still hold under the model's text rule (one line of
printable characters, at most 200): comment closers, quotes, escapes, HTML, non-ASCII."""


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_file_starts_with_the_provenance_header(language: str) -> None:
    scenario = Scenario(name="baseline", params=EngineParams(alpha=1.5))
    code = generate(scenario, language, revision=4)
    for text in code.files.values():
        head = "\n".join(line for line in text.splitlines()[:8] if "Generated" in line or ":"
                         in line)
        assert '"baseline"' in head
        assert "Revision: 4" in head
        assert f"Content hash: sha256:{scenario.content_hash()}" in head
        assert f"Generator: nexus_panel.contracts {GENERATOR_VERSION}" in head
    assert "Revision: unsaved" in next(iter(generate(scenario, language).files.values()))


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_generating_twice_gives_identical_bytes(language: str, tmp_path: Path) -> None:
    scenario = Scenario(name="twice", params=EngineParams(K_p=0.3))
    first, second = generate(scenario, language, 2), generate(scenario.copy(), language, 2)
    assert first.files == second.files
    assert first.zip_bytes() == second.zip_bytes()
    written = [p.read_bytes() for p in first.write(tmp_path / "a")]
    assert written == [p.read_bytes() for p in second.write(tmp_path / "a")]
    with zipfile.ZipFile(io.BytesIO(first.zip_bytes())) as archive:
        assert {n.split("/", 1)[1]: archive.read(n).decode() for n in archive.namelist()
                } == first.files


@given(st.text(max_size=60))
def test_names_become_safe_identifiers(name: str) -> None:
    assert re.fullmatch(r"Nexus[A-Za-z0-9]{1,43}", contract_name(name))
    assert re.fullmatch(r"nexus_[a-z0-9_]*[a-z0-9]", crate_name(name))
    shown = comment_text(name)
    assert shown.isascii() and shown.isprintable() and "/" not in shown.replace("\\/", "")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_hostile_name_cannot_break_out_of_the_header(language: str) -> None:
    code = generate(Scenario(name=HOSTILE), language)
    assert code.name.startswith("NexusXContractEvilLineFnMainU0041ScriptAlert1"
                                if language == "solidity" else
                                "nexus_x_contract_evil_line_fn_main_u0041_script")
    for text in code.files.values():
        (line,) = [line for line in text.splitlines() if "Scenario:" in line]
        assert line.isascii() and line.isprintable() and len(line) < 1000
        assert "*/" not in line and "Evil { }" in line
        assert "Evil" not in text.replace(line, "").replace(code.name, "")


def test_governance_bounds_are_the_declared_bounds() -> None:
    source = next(iter(generate(Scenario(), "solidity").files.values()))
    for name in STEP_PARAMS:
        lo, hi = EngineParams.param[name].bounds
        guard = (f"if (which == Parameter.{name}) {{\n"
                 f"            if (value < {to_fixed(lo)} || value > {to_fixed(hi)}) "
                 f"revert OutOfBounds(which, value);\n"
                 f"            params.{name} = value;")
        assert guard in source


def test_names_the_model_refuses_are_refused_before_generating() -> None:
    with pytest.raises(ValidationError) as info:
        generate(Scenario(name="two\nlines \u202e"), "rust")
    assert info.value.fields == ["name"]
