"""Compile a generated contract with solc-js and execute it in py-evm (eth-tester/web3).

Each execution starts a fresh in-memory chain (eth-tester's py-evm backend, Prague rules,
the EVM version the contract is compiled for), deploys the contract with one test
account as oracle and another as governance, then sends one ``step`` transaction per step
exactly as an oracle would, reading back every ``Stepped`` event and the gas each
transaction used. A step that reverts ends the run there (``failed_at``), like the
reference's range error.

web3 and eth-tester are the ``contracts`` extra; they are imported only when a contract is
executed (importing them takes about a second).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from nexus_panel.contracts.generated import GeneratedCode
from nexus_panel.contracts.reference import Trajectory
from nexus_panel.contracts.toolchain import (
    SOLC_SCRIPT,
    ToolchainError,
    node,
    run_tool,
    solc_environment,
)

EVM_VERSION = "prague"
"""The fork the contract is compiled for: the one eth-tester's py-evm backend runs."""
OPTIMIZER_RUNS = 200
VIA_IR = False
"""The legacy pipeline: compiling through Yul (viaIR) measured 10 % less gas per step and
1.7x the steps per second in py-evm, but 2.2x the compile time, which the 5 s target for
generate + compile cannot afford on a loaded 2-core machine."""
COMPILE_TIMEOUT = 120.0
STEP_GAS_LIMIT = 1_000_000
"""Gas allowed per step transaction (a step uses well under a tenth of it)."""
_STEPPED = ("int128", "int128", "int128", "int128", "int128", "bool")
"""The non-indexed fields of ``Stepped``: N, S, I, B, Phi, clamped."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each step."""


class Cancelled(Exception):
    """Raised when ``cancelled()`` turned true between two steps."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    solc_version: str


@dataclass
class EvmRun:
    """What the chain did: the trajectory from the events and the gas of each step."""

    trajectory: Trajectory
    gas: list[int] = field(default_factory=list)
    deploy_gas: int = 0


def solc_input(code: GeneratedCode) -> dict[str, Any]:
    """solc's standard JSON input for the generated source."""
    return {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in code.files.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "viaIR": VIA_IR,
            "evmVersion": EVM_VERSION,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }


def compile_solidity(code: GeneratedCode, timeout: float = COMPILE_TIMEOUT) -> CompiledContract:
    """Compile with the pinned solc-js; compiler errors are a ToolchainError. The last few
    results are kept in memory, so verifying the same code again does not recompile."""
    return _compile(code.name, json.dumps(solc_input(code), sort_keys=True), timeout)


@functools.lru_cache(maxsize=8)
def _compile(name: str, standard_json: str, timeout: float) -> CompiledContract:
    done = run_tool([node(), str(SOLC_SCRIPT)], what="solc-js", timeout=timeout,
                    stdin=standard_json.encode(), env=solc_environment())
    result = json.loads(done.stdout)
    output = result["output"]
    errors = [e.get("formattedMessage", e.get("message", "")) for e in output.get("errors", [])
              if e.get("severity") == "error"]
    if errors:
        raise ToolchainError("solc-js refused the generated contract: " + " | ".join(errors))
    contract = output["contracts"][f"{name}.sol"][name]
    return CompiledContract(name, contract["abi"], contract["evm"]["bytecode"]["object"],
                            result["version"])


@dataclass
class Deployment:
    """A contract deployed on a fresh py-evm chain, with its two role accounts."""

    w3: Any
    contract: Any
    oracle: str
    governance: str
    gas: int


@contextmanager
def _recursion_limit_kept() -> Iterator[None]:
    """Importing py-evm raises the interpreter's recursion limit for the whole process (its
    py_ecc dependency to 100,000): a server process would then overflow the C stack on a
    deeply nested hostile JSON upload and crash, instead of refusing it with a
    RecursionError. The limit is put back; one-level contract calls do not need it."""
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _web3() -> Any:
    try:
        with _recursion_limit_kept():
            from eth_tester import exceptions  # noqa: F401 (imported under the kept limit)
            from web3 import EthereumTesterProvider, Web3
    except ImportError as exc:
        raise ToolchainError(f"executing contracts needs the contracts extra "
                             f"(pip install -e '.[contracts]'): {exc}") from None
    return Web3(EthereumTesterProvider())


def deploy(compiled: CompiledContract) -> Deployment:
    """Deploy on a fresh chain: test account 0 is the oracle, account 1 governance."""
    w3 = _web3()
    oracle, governance = w3.eth.accounts[:2]
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(oracle, governance).transact({"from": oracle}))
    contract = w3.eth.contract(address=receipt.contractAddress, abi=compiled.abi)
    return Deployment(w3, contract, oracle, governance, receipt.gasUsed)


def execute(compiled: CompiledContract, inputs: list[list[int]], steps: int, *,
            progress: Progress | None = None,
            cancelled: Callable[[], bool] | None = None) -> EvmRun:
    """Deploy on a fresh py-evm chain and send ``steps`` step transactions.

    ``inputs`` are the six fixed-point series (INPUT_NAMES order). Raises
    :class:`Cancelled` if ``cancelled()`` turns true between two steps.
    """
    chain = deploy(compiled)
    from eth_abi import decode
    from eth_tester.exceptions import TransactionFailed
    from web3.exceptions import ContractLogicError

    contract = chain.contract
    run = EvmRun(Trajectory(N=[contract.functions.N().call()]), deploy_gas=chain.gas)
    out = run.trajectory
    topic = chain.w3.keccak(text="Stepped(uint64,int128,int128,int128,int128,int128,bool)")
    send = {"from": chain.oracle, "gas": STEP_GAS_LIMIT}
    for k, x in enumerate(zip(*(row[:steps] for row in inputs), strict=True)):
        if cancelled is not None and cancelled():
            raise Cancelled
        try:
            tx = contract.functions.step(*x).transact(send)
        except (TransactionFailed, ContractLogicError):
            out.failed_at = k
            break
        receipt = chain.w3.eth.get_transaction_receipt(tx)
        if receipt.status != 1:
            out.failed_at = k
            break
        (log,) = [entry for entry in receipt.logs if entry.topics[0] == topic]
        N, S, I, B, Phi, clamped = decode(_STEPPED, bytes(log.data))
        out.N.append(N)
        out.S.append(S)
        out.I.append(I)
        out.B.append(B)
        out.Phi.append(Phi)
        out.clamped.append(clamped)
        run.gas.append(receipt.gasUsed)
        if progress is not None:
            progress(k + 1, steps)
    return run
