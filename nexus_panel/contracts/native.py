"""Build a generated Rust crate with cargo and run its binary over a scenario's inputs.

The crate is written into a directory of the caller's (normally a temporary one) and built
there in release mode, offline (it has no dependencies); the binary reads the inputs as
CSV on stdin and writes the trajectory as CSV on stdout, all numbers exact decimals with
18 decimals, which are read back here into fixed-point integers.
"""

from __future__ import annotations

import os
from pathlib import Path

from nexus_panel.contracts.fixedpoint import DECIMALS, format_fixed, parse_fixed
from nexus_panel.contracts.generated import GeneratedCode
from nexus_panel.contracts.reference import Trajectory
from nexus_panel.contracts.toolchain import ToolchainError, cargo, run_tool
from nexus_panel.models import INPUT_NAMES

BUILD_TIMEOUT = 600.0
RUN_TIMEOUT = 300.0
DETAIL_HEADER = "step,N,S,I,B,Phi,clamped"
"""The header of the binary's ``--detail`` output, which verification reads (without
``--detail`` it writes ``step,N,clamped``: the trajectory alone, a quarter of the bytes)."""
EXIT_RANGE = 1
"""The binary's exit status when a step left the i128 range."""


def build_crate(code: GeneratedCode, directory: Path) -> Path:
    """Write the crate into ``directory``, build it, return the binary's path."""
    code.write(directory)
    env = {**os.environ, "CARGO_TARGET_DIR": str(directory / "target")}
    run_tool([cargo(), "build", "--release", "--offline", "--quiet", "--manifest-path",
              str(directory / "Cargo.toml")], what="cargo build", timeout=BUILD_TIMEOUT,
             env=env)
    binary = directory / "target" / "release" / code.name
    if not binary.is_file():
        raise ToolchainError(f"cargo build left no binary at {binary}")
    return binary


def _short(raw: int) -> str:
    """Exact decimal text without trailing zeros (``100``, ``0.8``): smaller files."""
    text = format_fixed(raw).rstrip("0")
    return text[:-1] if text.endswith(".") else text


def inputs_csv(inputs: list[list[int]], steps: int) -> bytes:
    """The six fixed-point series as the binary's inputs CSV."""
    columns = []
    for series in inputs:
        part = series[:steps]
        text = {value: _short(value) for value in set(part)}  # constants: formatted once
        columns.append([text[value] for value in part])
    lines = [",".join(INPUT_NAMES)]
    lines += [",".join(row) for row in zip(*columns, strict=True)]
    return ("\n".join(lines) + "\n").encode("ascii")


def _value(text: str) -> int:
    # The binary always writes all 18 decimals: dropping the point gives the integer.
    if len(text) > DECIMALS + 1 and text[-DECIMALS - 1] == ".":
        return int(text[:-DECIMALS - 1] + text[-DECIMALS:])
    return parse_fixed(text)


def read_trajectory(text: str, N_initial: int) -> Trajectory:
    """The binary's ``--detail`` output CSV as a Trajectory starting from ``N_initial``."""
    lines = text.splitlines()
    if not lines or lines[0] != DETAIL_HEADER:
        raise ToolchainError(f"the Rust binary wrote an unexpected header: {lines[:1]!r}")
    out = Trajectory(N=[N_initial])
    for k, line in enumerate(lines[1:]):
        fields = line.split(",")
        if len(fields) != 7 or fields[0] != str(k) or fields[6] not in ("0", "1"):
            raise ToolchainError(f"the Rust binary wrote an unexpected row {k}: {line[:200]!r}")
        N, S, I, B, Phi = map(_value, fields[1:6])
        out.N.append(N)
        out.S.append(S)
        out.I.append(I)
        out.B.append(B)
        out.Phi.append(Phi)
        out.clamped.append(fields[6] == "1")
    return out


def run_binary(binary: Path, inputs: list[list[int]], steps: int, N_initial: int
               ) -> Trajectory:
    """Run ``steps`` steps; a range failure is recorded as ``failed_at``."""
    done = run_tool([str(binary), "--detail"], what=f"the Rust binary {binary.name}",
                    timeout=RUN_TIMEOUT, stdin=inputs_csv(inputs, steps),
                    ok_codes=(0, EXIT_RANGE))
    out = read_trajectory(done.stdout.decode("ascii"), N_initial)
    if done.returncode == EXIT_RANGE:
        out.failed_at = out.steps
    return out
