"""Finding and running the external tools: node with solc-js, and cargo.

Why one module: the page, the CLI, the tests and the benchmarks must agree on where the
tools are and fail alike when one is missing, with a :class:`ToolchainError` that says
how to get it. Every run has a timeout, so a stuck compiler cannot hold a server thread.

solc-js is the npm package ``solc`` pinned in the repository's package.json and installed
into ``node_modules/`` by ``./dev setup`` (``npm ci``). ``NEXUS_NODE_MODULES`` points at
another ``node_modules`` directory (e.g. for an installed, not editable, nexus_panel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SOLC_SCRIPT = Path(__file__).with_name("solc_compile.js")
OUTPUT_LIMIT = 2000
"""At most this many characters of a tool's error output appear in a message."""


class ToolchainError(RuntimeError):
    """A tool is missing, failed or timed out; the message says which and why."""


def node_modules() -> Path:
    """Where solc-js is: the ``node_modules`` setting, else the repository's."""
    from nexus_panel.settings import current

    configured = current().node_modules
    return Path(configured) if configured else REPO_ROOT / "node_modules"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        raise ToolchainError("node is not installed (Debian: apt-get install nodejs npm); "
                             "it runs solc-js to compile the generated Solidity")
    return found


def solc_environment() -> dict[str, str]:
    """The environment for ``node solc_compile.js``: NODE_PATH finds the pinned solc."""
    modules = node_modules()
    if not (modules / "solc" / "package.json").is_file():
        raise ToolchainError(f"solc-js is not installed in {modules}: run `npm ci` in the "
                             f"repository root (./dev setup does), or set NEXUS_NODE_MODULES")
    return {**os.environ, "NODE_PATH": str(modules)}


def cargo() -> str:
    found = shutil.which("cargo") or shutil.which(str(Path.home() / ".cargo" / "bin" / "cargo"))
    if found is None:
        raise ToolchainError("cargo is not installed (Debian: apt-get install cargo); it "
                             "builds the generated Rust crate")
    return found


def run_tool(command: list[str], *, what: str, timeout: float, stdin: bytes | None = None,
             cwd: Path | None = None, env: dict[str, str] | None = None,
             ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
    """Run ``command``; an exit code not in ``ok_codes`` or a timeout is a ToolchainError
    naming ``what``."""
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, env=env,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise ToolchainError(f"{what} could not start: {exc.strerror or exc}") from None
    if done.returncode not in ok_codes:
        detail = done.stderr.decode("utf-8", "replace").strip()[-OUTPUT_LIMIT:]
        raise ToolchainError(f"{what} failed (exit code {done.returncode}): {detail}")
    return done
