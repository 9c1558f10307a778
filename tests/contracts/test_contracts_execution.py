"""What the generators write, compiled and executed for real: the Solidity contract in
py-evm (eth-tester/web3) and the Rust crate with cargo, equal to the fixed-point reference
at every step -- including clamp events, large magnitudes and a range failure at the
same step -- plus the contract's roles, governance bounds and gas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_panel import EngineParams, Inputs, Scenario, Signal
from nexus_panel.contracts.codegen import LANGUAGES
from nexus_panel.contracts.evm import CompiledContract, compile_solidity, deploy, execute
from nexus_panel.contracts.fixedpoint import ONE, parse_fixed, to_fixed
from nexus_panel.contracts.native import build_crate, inputs_csv, read_trajectory, run_binary
from nexus_panel.contracts.reference import fixed_scenario, run, step
from nexus_panel.contracts.verify import verify

SCENARIOS = {
    # Every signal kind, and a name that tries to break out of comments.
    "signals": Scenario(
        name='signals */ "quoted" <b>', params=EngineParams(num_steps=120, K_d=0.3),
        inputs=Inputs(H=Signal(kind="sinusoidal", amplitude=40, frequency=0.2),
                      M=Signal(kind="step", initial=80, final=20, step_at=50),
                      D=Signal(kind="pulse", pulse_width=3, pulse_period=7),
                      E=Signal(kind="random_walk", initial=0.8, volatility=0.3, seed=5),
                      C_cons=Signal(kind="ramp", start=40, end=90))),
    # Burn far beyond issuance: N is clamped at 0 again and again, Phi saturates.
    "clamps": Scenario(name="clamps", params=EngineParams(beta=5.0, num_steps=60),
                       inputs=Inputs(C_cons=Signal(kind="sinusoidal", offset=350,
                                                   amplitude=300, frequency=0.3))),
    # Large magnitudes: the products and quotients that need more than 128 bits.
    "large": Scenario(name="large", params=EngineParams(
        N_initial=5e8, N_target=2e8, N_0=3.0, H_0=1e-6, K_p=0.9, K_i=0.05, phi_limit=1e8,
        num_steps=60), inputs=Inputs(H=Signal(kind="random_walk", initial=5e6,
                                              volatility=1e6))),
}


@pytest.fixture(scope="module")
def compiled(solidity_tools: None) -> dict[str, CompiledContract]:
    out = {}
    for key, scenario in SCENARIOS.items():
        fp, _ = fixed_scenario(scenario)
        out[key] = compile_solidity(LANGUAGES["solidity"](scenario, fp, None))
    return out


@pytest.fixture(scope="module")
def binaries(rust_tools: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for key, scenario in SCENARIOS.items():
        fp, _ = fixed_scenario(scenario)
        code = LANGUAGES["rust"](scenario, fp, None)
        out[key] = build_crate(code, tmp_path_factory.mktemp(f"crate-{key}"))
    return out


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_the_evm_trajectory_equals_the_reference_at_every_step(
        key: str, compiled: dict[str, CompiledContract]) -> None:
    fp, inputs = fixed_scenario(SCENARIOS[key])
    reference = run(fp, inputs)
    chain = execute(compiled[key], inputs, fp.num_steps)
    assert chain.trajectory.failed_at is None and reference.failed_at is None
    assert chain.trajectory.N == reference.N
    assert chain.trajectory.series() == reference.series()
    assert chain.trajectory.clamped == reference.clamped
    assert all(21_000 < gas < 200_000 for gas in chain.gas)
    if key == "clamps":
        assert sum(reference.clamped) >= 5
        assert any(b > i for b, i in zip(reference.B, reference.I, strict=True))


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_the_rust_trajectory_equals_the_reference_at_every_step(
        key: str, binaries: dict[str, Path]) -> None:
    fp, inputs = fixed_scenario(SCENARIOS[key])
    reference = run(fp, inputs)
    native = run_binary(binaries[key], inputs, fp.num_steps, fp.N_initial)
    assert native.failed_at is None
    assert native.N == reference.N
    assert native.series() == reference.series()
    assert native.clamped == reference.clamped


def test_all_three_fail_at_the_step_that_leaves_int128(
        compiled: dict[str, CompiledContract], binaries: dict[str, Path]) -> None:
    fp, inputs = fixed_scenario(SCENARIOS["large"])
    crafted = [list(series) for series in inputs]
    crafted[0][6] = to_fixed(1e15)  # lambda_H * H / H_0 = 2e20 > 1.7e20 at step 6
    reference = run(fp, crafted, 10)
    chain = execute(compiled["large"], crafted, 10).trajectory
    native = run_binary(binaries["large"], crafted, 10, fp.N_initial)
    assert reference.failed_at == chain.failed_at == native.failed_at == 6
    assert chain.series() == native.series() == reference.series()


def _reverts(call: Any, error: str) -> None:
    """``call()`` reverts with the custom error ``error`` (web3 or eth-tester raises)."""
    from eth_tester.exceptions import TransactionFailed
    from web3 import Web3
    from web3.exceptions import ContractLogicError

    selector = bytes(Web3.keccak(text=error)[:4])
    with pytest.raises((ContractLogicError, TransactionFailed)) as info:
        call()
    data = getattr(info.value, "data", None)
    assert (str(data).startswith("0x" + selector.hex()) if data
            else repr(selector)[:-1] in str(info.value)), info.value


def test_roles_and_governance_bounds(compiled: dict[str, CompiledContract]) -> None:
    limit = sys.getrecursionlimit()
    chain = deploy(compiled["signals"])
    assert sys.getrecursionlimit() == limit  # py-evm's import raises it for the process
    contract, oracle, governance = chain.contract, chain.oracle, chain.governance
    fp, inputs = fixed_scenario(SCENARIOS["signals"])
    x = tuple(series[0] for series in inputs)
    _reverts(lambda: contract.functions.step(*x).transact({"from": governance}),
             "NotOracle()")
    _reverts(lambda: contract.functions.setParameter(0, ONE).transact({"from": oracle}),
             "NotGovernance()")
    alpha, n_0 = (list(fp.values).index(name) for name in ("alpha", "N_0"))
    _reverts(lambda: contract.functions.setParameter(alpha, 6 * ONE).transact(
        {"from": governance}), "OutOfBounds(uint8,int128)")
    _reverts(lambda: contract.functions.setParameter(n_0, 0).transact(
        {"from": governance}), "OutOfBounds(uint8,int128)")
    contract.functions.setParameter(alpha, 25 * ONE // 10).transact({"from": governance})
    assert contract.functions.parameters().call()[alpha] == 25 * ONE // 10
    contract.functions.step(*x).transact({"from": oracle})
    changed = {**fp.values, "alpha": 25 * ONE // 10}
    assert contract.functions.N().call() == step(changed, fp.N_initial, 0, 0, x).N
    assert contract.functions.steps().call() == 1


def test_verify_reports_steps_differences_and_gas(
        compiled: dict[str, CompiledContract]) -> None:
    result = verify(SCENARIOS["clamps"], "solidity", steps=20)
    assert result.ok and result.steps == 20 and result.max_abs_diff == 0
    assert len(result.gas) == 20 and 21_000 < result.gas_per_step < 200_000
    assert result.engine_max_rel_diff < 1e-12
    assert result.to_json()["gas_per_step"] == result.gas_per_step


def test_the_crate_passes_its_own_tests_and_its_binary_refuses_bad_input(
        rust_tools: None, tmp_path: Path) -> None:
    scenario = SCENARIOS["clamps"]
    fp, inputs = fixed_scenario(scenario)
    crate = tmp_path / "crate"
    binary = build_crate(LANGUAGES["rust"](scenario, fp, None), crate)
    tested = subprocess.run(["cargo", "test", "--release", "--offline", "--quiet"], cwd=crate,
                            capture_output=True, text=True, timeout=600, check=False,
                            env={"CARGO_TARGET_DIR": str(crate / "target"),
                                 "PATH": os.environ["PATH"]})
    assert tested.returncode == 0, tested.stderr
    assert "2 passed" in tested.stdout
    good = inputs_csv(inputs, 3).decode()
    plain = subprocess.run([binary], input=good, capture_output=True, text=True, timeout=60,
                           check=True).stdout.splitlines()
    assert plain[0] == "step,N,clamped"
    reference = run(fp, inputs, 3)
    assert [parse_fixed(row.split(",")[1]) for row in plain[1:]] == reference.N[1:]
    for text, message in (("H,M\n1,2\n", "header"),
                          (good.replace(",80,", ",8e1,", 1), "inputs row 1"),
                          (good + "1,2,3\n", "inputs row 4: fewer than 6 values")):
        done = subprocess.run([binary], input=text, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 2 and message in done.stderr, done.stderr


NEAR_DECIMALS = st.one_of(
    st.from_regex(r"-?[0-9]{1,22}(\.[0-9]{0,20})?", fullmatch=True),
    st.text(alphabet="0123456789.-+eE ١x", max_size=12))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=NEAR_DECIMALS)
def test_the_binary_reads_exactly_the_decimals_the_reference_reads(
        text: str, binaries: dict[str, Path]) -> None:
    fp, inputs = fixed_scenario(SCENARIOS["clamps"])
    row = [list(series[:1]) for series in inputs]
    rest = inputs_csv(row, 1).decode().splitlines()[1].split(",", 1)[1]
    done = subprocess.run([binaries["clamps"], "--detail"], capture_output=True, text=True,
                          timeout=60,
                          input=f"H,M,D,E,C_cons,C_disp\n{text},{rest}\n", check=False)
    try:
        H = parse_fixed(text)
    except ValueError:
        assert done.returncode == 2 and "inputs row 1" in done.stderr
        return
    row[0] = [H]
    expected = run(fp, row, 1)
    if expected.failed_at is not None:
        assert done.returncode == 1
        return
    assert done.returncode == 0, done.stderr
    assert read_trajectory(done.stdout, fp.N_initial).series() == expected.series()
