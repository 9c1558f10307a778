"""The parameter and signal tables of docs/model.md, built from the declarations (the
test checks the document still says what the code declares)."""

from __future__ import annotations

import param

from nexus_panel.models import GROUPS, KINDS, EngineParams, Inputs, Signal


def _num(value: float | None) -> str:
    return "∞" if value is None else f"{value:g}"


def _range(p: param.Number, bounds: tuple[float | None, float | None] | None) -> str:
    if bounds is None:
        return "–"
    low, high = bounds
    opening = "(" if bounds is p.bounds and not p.inclusive_bounds[0] else "["
    return f"{opening}{_num(low)}, {_num(high)}]"


def parameter_rows() -> list[str]:
    rows = []
    for group, names in EngineParams.by_group().items():
        for n in names:
            p = EngineParams.param[n]
            rows.append(f"| `{n}` | {p.metadata['symbol']} | {GROUPS[group]} | "
                        f"{_num(p.default)} | {_range(p, p.bounds)} | "
                        f"{_range(p, p.softbounds or p.bounds)}, step {_num(p.step)} | "
                        f"{p.doc} |")
    return rows


def input_rows() -> list[str]:
    rows = []
    for n in Inputs.names():
        low, high = Inputs.domain(n)
        domain = f"[{_num(low)}, {_num(high)}]" if high is not None else f"≥ {_num(low)}"
        rows.append(f"| `{n}` | {Inputs.param[n].label} | "
                    f"{_num(Inputs.param[n].default.value)} | {domain} |")
    return rows


def kind_rows() -> list[str]:
    def default(n: str) -> str:
        value = Signal.param[n].default
        return "empty: num_steps // 2" if value is None else _num(value)

    return [f"| `{k}` | " + ", ".join(f"`{n}` ({default(n)})" for n in Signal.kind_params(k))
            + " |" for k in KINDS]


if __name__ == "__main__":  # print the tables, to paste into docs/model.md
    print("\n".join(parameter_rows()), "\n")
    print("\n".join(input_rows()), "\n")
    print("\n".join(kind_rows()))
