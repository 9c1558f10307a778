"""Generate the Solidity contract of a scenario.

The step arithmetic is written once in ``templates/contract.sol.in`` (the same operations,
in the same order, as :func:`nexus_panel.contracts.reference.step`); everything that
comes from the model is generated here from the declarations: the parameter struct and
enum (:data:`STEP_PARAMS`), the constructor's values (the scenario's), and the
governance bounds (each parameter's declared ``bounds``).
"""

from __future__ import annotations

import param

from nexus_panel.contracts.fixedpoint import to_fixed
from nexus_panel.contracts.generated import GeneratedCode, header_lines, param_lines, template
from nexus_panel.contracts.naming import contract_name
from nexus_panel.contracts.reference import STEP_PARAMS, FixedParams
from nexus_panel.models import EngineParams, Scenario

PRAGMA = "^0.8.4"
"""Custom errors need 0.8.4; compiled and tested with the solc-js pinned in package.json."""
_INDENT = " " * 8


def bound_checks(name: str) -> list[str]:
    """Solidity conditions that are true when ``value`` is OUTSIDE ``name``'s bounds."""
    p: param.Number = EngineParams.param[name]
    lo, hi = p.bounds
    inc_lo, inc_hi = p.inclusive_bounds
    out = []
    if lo is not None:
        out.append(f"value {'<' if inc_lo else '<='} {to_fixed(lo)}")
    if hi is not None:
        out.append(f"value {'>' if inc_hi else '>='} {to_fixed(hi)}")
    return out


def _setter(name: str, first: bool) -> str:
    checks = " || ".join(bound_checks(name)) or "false"
    keyword = "if" if first else "} else if"
    return (f"{_INDENT}{keyword} (which == Parameter.{name}) {{\n"
            f"{_INDENT}    if ({checks}) revert OutOfBounds(which, value);\n"
            f"{_INDENT}    params.{name} = value;")


def generate_solidity(scenario: Scenario, fp: FixedParams, revision: int | None = None
                      ) -> GeneratedCode:
    """The contract for ``scenario`` whose fixed-point form is ``fp``
    (from :func:`nexus_panel.contracts.reference.fixed_params`)."""
    name = contract_name(scenario.name)
    struct = param_lines(fp, _INDENT + "int128 {name};")
    values = param_lines(fp, _INDENT + "params.{name} = {raw}; // {text}")
    setters = "\n".join(_setter(n, i == 0) for i, n in enumerate(STEP_PARAMS))
    source = template("contract.sol.in").substitute(
        header=header_lines(scenario, revision, "//"),
        contract=name,
        struct_fields=struct,
        enum_members=", ".join(STEP_PARAMS),
        constructor_values=values,
        n_initial=fp.N_initial,
        setters=f"{setters}\n{_INDENT}}}",
        pragma=PRAGMA,
    )
    return GeneratedCode("solidity", name, {f"{name}.sol": source})
