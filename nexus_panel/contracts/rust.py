"""Generate the std-only Rust crate of a scenario.

The crate (``Cargo.toml``, ``src/lib.rs``, ``src/main.rs``) has no dependencies (crates.io
is not needed, nor reachable here). The library's ``step`` is the fixed-point reference
in i128 (templates/lib.rs.in: the operations of
:func:`nexus_panel.contracts.reference.step`, in the same order); the binary reads an
inputs CSV and writes the trajectory. Parameter fields and values are generated from
:data:`STEP_PARAMS` and the scenario.
"""

from __future__ import annotations

from nexus_panel.contracts.fixedpoint import format_fixed
from nexus_panel.contracts.generated import GeneratedCode, header_lines, template
from nexus_panel.contracts.naming import crate_name
from nexus_panel.contracts.reference import STEP_PARAMS, FixedParams
from nexus_panel.models import Scenario

_INDENT = " " * 4
DIV5_MAGIC = -(-(2**152) // 5**18)
"""ceil(2**152 / 5**18): x // 5**18 == (x * DIV5_MAGIC) >> 152 for every x < 2**110
(Granlund and Montgomery), which the crate uses to divide by 10**18 quickly."""


def rust_int(value: int) -> str:
    """An i128 literal with digit groups, e.g. ``1_000_000_000_000_000_000``."""
    digits = str(abs(value))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if value < 0 else "") + "_".join(groups)


def generate_rust(scenario: Scenario, fp: FixedParams, revision: int | None = None
                  ) -> GeneratedCode:
    """The crate for ``scenario`` whose fixed-point form is ``fp``
    (from :func:`nexus_panel.contracts.reference.fixed_params`)."""
    name = crate_name(scenario.name)
    fields = "\n".join(f"{_INDENT}pub {n}: i128," for n in STEP_PARAMS)
    values = "\n".join(f"{_INDENT}{n}: {rust_int(fp.values[n])}, // {format_fixed(fp.values[n])}"
                       for n in STEP_PARAMS)
    common = {"crate": name}
    return GeneratedCode("rust", name, {
        "Cargo.toml": template("Cargo.toml.in").substitute(
            common, header=header_lines(scenario, revision, "#")),
        "src/lib.rs": template("lib.rs.in").substitute(
            common, header=header_lines(scenario, revision, "//"), struct_fields=fields,
            param_values=values, n_initial=rust_int(fp.N_initial), num_steps=fp.num_steps,
            div5_magic=rust_int(DIV5_MAGIC)),
        "src/main.rs": template("main.rs.in").substitute(
            common, header=header_lines(scenario, revision, "//")),
    })
