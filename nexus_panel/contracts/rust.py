"""Generate the std-only Rust crate of a scenario.

The crate (``Cargo.toml``, ``src/lib.rs``, ``src/main.rs``) has no dependencies (crates.io
is not needed, nor reachable here). The library's ``step`` is the fixed-point reference
in i128 (templates/lib.rs.in: the operations of
:func:`nexus_panel.contracts.reference.step`, in the same order); the binary reads an
inputs CSV and writes the trajectory. Parameter fields and values are generated from
:data:`STEP_PARAMS` and the scenario.
"""

from __future__ import annotations

from nexus_panel.contracts.generated import GeneratedCode, header_lines, param_lines, template
from nexus_panel.contracts.naming import crate_name
from nexus_panel.contracts.reference import FixedParams
from nexus_panel.models import Scenario

_INDENT = " " * 4
DIV5_MAGIC = -(-(2**152) // 5**18)
"""ceil(2**152 / 5**18): x // 5**18 == (x * DIV5_MAGIC) >> 152 for every x < 2**110
(Granlund and Montgomery), which the crate uses to divide by 10**18 quickly."""


def generate_rust(scenario: Scenario, fp: FixedParams, revision: int | None = None
                  ) -> GeneratedCode:
    """The crate for ``scenario`` whose fixed-point form is ``fp``
    (from :func:`nexus_panel.contracts.reference.fixed_params`)."""
    name = crate_name(scenario.name)
    lib = template("lib.rs.in").substitute(
        crate=name, header=header_lines(scenario, revision, "//"),
        struct_fields=param_lines(fp, _INDENT + "pub {name}: i128,"),
        param_values=param_lines(fp, _INDENT + "{name}: {raw}, // {text}"),
        n_initial=fp.N_initial, num_steps=fp.num_steps, div5_magic=DIV5_MAGIC)
    return GeneratedCode("rust", name, {
        "Cargo.toml": template("Cargo.toml.in").substitute(
            crate=name, header=header_lines(scenario, revision, "#")),
        "src/lib.rs": lib,
        "src/main.rs": template("main.rs.in").substitute(
            crate=name, header=header_lines(scenario, revision, "//")),
    })
