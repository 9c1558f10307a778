"""The numba kernels: one Euler run of the Nexus equation, and many runs at once.

The arithmetic follows docs/model.md in its exact order of operations (no
fastmath, so no reassociation or FMA contraction): results agree with a plain float64
Python loop of the spec to the last bit on the same machine.

Parameters travel as a float64 vector in ``PARAM_ORDER``; inputs as a (6, n) array in
``INPUT_NAMES`` order. Kernels are compiled lazily and cached on disk (``cache=True``),
and release the GIL so batches run in parallel threads.

The step itself (``_step``) and the ledger's compensated sum (``_book``) are written once
and used by both the single-run kernel and the batch kernel, which advances ``LANES`` runs
in lockstep: their dependency chains (each step waits on the previous N) then overlap in
the CPU, for more throughput (docs/benchmarks.md) and bit-identical results.
"""

from __future__ import annotations

import sys
import zlib
from types import ModuleType

import numba
import numpy as np

from nexus_panel.models import INPUT_NAMES, EngineParams, Inputs
from nexus_panel.models.signals import walk_levels

PARAM_ORDER: tuple[str, ...] = tuple(EngineParams.names())
"""Position of each engine parameter in the vector the kernels read: the declaration
order of :class:`EngineParams`, so a newly declared parameter has its slot at once (and
``tests/engine/test_param_layout.py`` fails until the kernel reads it)."""
PARAM_INDEX: dict[str, int] = {name: i for i, name in enumerate(PARAM_ORDER)}

# The slots the arithmetic reads, by name (numba freezes module-level ints as constants).
ALPHA = PARAM_INDEX["alpha"]
BETA = PARAM_INDEX["beta"]
KAPPA = PARAM_INDEX["kappa"]
ETA = PARAM_INDEX["eta"]
F_FLOOR = PARAM_INDEX["F_floor"]
W_H = PARAM_INDEX["w_H"]
W_M = PARAM_INDEX["w_M"]
W_D = PARAM_INDEX["w_D"]
W_E = PARAM_INDEX["w_E"]
G_C = PARAM_INDEX["gamma_C"]
G_D = PARAM_INDEX["gamma_D"]
G_E = PARAM_INDEX["gamma_E"]
K_P = PARAM_INDEX["K_p"]
K_I = PARAM_INDEX["K_i"]
K_D = PARAM_INDEX["K_d"]
N_TARGET = PARAM_INDEX["N_target"]
PHI_LIMIT = PARAM_INDEX["phi_limit"]
L_E = PARAM_INDEX["lambda_E"]
L_N = PARAM_INDEX["lambda_N"]
L_H = PARAM_INDEX["lambda_H"]
L_M = PARAM_INDEX["lambda_M"]
N_REF = PARAM_INDEX["N_0"]
H_REF = PARAM_INDEX["H_0"]
M_REF = PARAM_INDEX["M_0"]
DT = PARAM_INDEX["delta_t"]
N_INIT = PARAM_INDEX["N_initial"]
# num_steps reaches the kernels as the length of the inputs, not through its slot.

LAYOUT_STAMP = zlib.crc32(",".join((*PARAM_ORDER, *INPUT_NAMES, *map(str, Inputs.domain("E"))))
                          .encode() + walk_levels.__code__.co_code)
"""Fingerprint of PARAM_ORDER, the input rows and E's domain, and of the compiled
``walk_levels``. numba's disk cache is
keyed on a kernel module's own source file, not on the constants and functions it
imports: after a change to EngineParams (or to the walk) a cached kernel would still
read the old slots (or walk the old way). :func:`ensure_fresh_cache` compares this stamp
with the one compiled into a module's cached ``_layout_stamp`` and recompiles on a
mismatch."""


def ensure_fresh_cache(module: ModuleType, compiled_stamp: numba.core.dispatcher.Dispatcher,
                       ) -> None:
    """Drop ``module``'s cached kernels if they were compiled for another PARAM_ORDER.

    ``compiled_stamp`` is that module's own ``njit(cache=True)`` function returning
    ``LAYOUT_STAMP``: loaded from a stale cache it returns the old stamp. Costs one cached
    call per kernel module at import.
    """
    if compiled_stamp() == LAYOUT_STAMP:
        return
    for obj in vars(module).values():
        cache = getattr(obj, "_cache", None)
        if isinstance(obj, numba.core.dispatcher.Dispatcher) and cache is not None:
            cache.flush()
    compiled_stamp.recompile()


@numba.njit(cache=True)
def _layout_stamp():
    return LAYOUT_STAMP


INPUT_INDEX: dict[str, int] = {name: i for i, name in enumerate(INPUT_NAMES)}
"""Row of each input in the (6, n) inputs array: the declaration order of ``Inputs``."""
IN_H = INPUT_INDEX["H"]
IN_M = INPUT_INDEX["M"]
IN_D = INPUT_INDEX["D"]
IN_E = INPUT_INDEX["E"]
IN_CC = INPUT_INDEX["C_cons"]
IN_CD = INPUT_INDEX["C_disp"]
E_LOW, E_HIGH = Inputs.domain("E")
"""E's domain, declared on the input; every kernel clips E to it (:func:`clip_e`)."""

STEP_COLUMNS: tuple[str, ...] = ("t", "N", "I", "B", "S", "Phi", "e", "dN_dt")
COLUMNS: tuple[str, ...] = (*STEP_COLUMNS, *INPUT_NAMES, "cumulative_I", "cumulative_B")
"""Columns of a run's frame, in the order of the kernel's output array."""
N_COLUMNS = len(COLUMNS)
C_INPUTS = len(STEP_COLUMNS)
"""Column of the first input; input i is column ``C_INPUTS + i``."""
C_CUM_I = COLUMNS.index("cumulative_I")
C_CUM_B = COLUMNS.index("cumulative_B")

SUMMARY_FIELDS: tuple[str, ...] = (
    "final_N", "min_N", "max_N", "mean_issuance", "mean_burn", "issued_minus_burned",
    "ledger_residual", "clamp_events", "clamp_total", "phi_saturated_fraction",
)
"""Summary figures, in the order of the kernel's summary vector."""


LANES = 4
"""Runs a batch kernel advances together (4 measured fastest on x86-64)."""


# inline="always": numba inlines these into each kernel's loop before LLVM sees it; as
# calls they cost a third of the batch speed and hide the lanes from the scheduler.
@numba.njit(cache=True, nogil=True, inline="always")
def _step(p, N, integral, e_prev, H, M, D, E, cc, cd):  # noqa: PLR0917 (numba: positional)
    """Step k of the spec from state N (E already clipped to [0, 1]). Returns S, I, B, the
    error e, the updated PID integral, the unclipped and clipped Phi, and dN/dt."""
    dt = p[DT]
    S = p[L_E] * E + p[L_N] * N / p[N_REF] + p[L_H] * H / p[H_REF] + p[L_M] * M / p[M_REF]
    S = min(max(S, 0.0), 1.0)
    I = max(0.0, p[ALPHA] * S * (p[W_H] * H + p[W_M] * M + p[W_D] * D + p[W_E] * E))
    load = max(0.0, 1.0 - E)
    B = max(0.0, p[BETA] * (p[G_C] * cc + p[G_D] * cd + p[G_E] * load))
    err = N - p[N_TARGET]
    integral += err * dt
    derivative = (err - e_prev) / dt
    raw = -(p[K_P] * err + p[K_I] * integral + p[K_D] * derivative)
    limit = p[PHI_LIMIT]
    phi = min(max(raw, -limit), limit)
    dn = I - B - p[KAPPA] * N + phi + p[ETA] * p[F_FLOOR]
    return S, I, B, err, integral, raw, phi, dn


@numba.njit(cache=True, nogil=True, inline="always")
def _book(total, comp, x):
    """Neumaier-compensated ``total + x``; returns the new (total, compensation)."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


@numba.njit(cache=True, nogil=True, inline="always")
def clip_e(x):
    """E clipped to its domain before any use in a step (docs/model.md)."""
    return min(max(x, E_LOW), E_HIGH)


@numba.njit(cache=True, nogil=True)
def _summarise(summary, p, n, N, min_n, max_n, sum_i, sum_b, ledger,  # noqa: PLR0917
               ledger_c, clamps, clamp_total, saturated):
    dt = p[DT]
    summary[0] = N
    summary[1] = min_n
    summary[2] = max_n
    summary[3] = sum_i / n
    summary[4] = sum_b / n
    summary[5] = sum_i * dt - sum_b * dt
    summary[6] = (N - p[N_INIT]) - (ledger + ledger_c)
    summary[7] = clamps
    summary[8] = clamp_total
    summary[9] = saturated / n


STATE_FIELDS: tuple[str, ...] = (
    "N", "integral", "e_prev", "sum_i", "sum_b", "min_n", "max_n", "ledger", "ledger_c",
    "clamps", "clamp_total", "saturated", "step",
)
"""What a run carries from one span of steps to the next (:func:`advance`)."""
(S_N, S_INTEGRAL, S_EPREV, S_SUM_I, S_SUM_B, S_MIN, S_MAX, S_LEDGER, S_LEDGER_C, S_CLAMPS,
 S_CLAMP_TOTAL, S_SATURATED, S_STEP) = range(len(STATE_FIELDS))
STATE_SIZE = len(STATE_FIELDS)


@numba.njit(cache=True, nogil=True)
def start_state(p, state):
    """The state of a run before its first step (N = N_initial, controller at rest)."""
    state[:] = 0.0
    state[S_N] = p[N_INIT]
    state[S_MIN] = p[N_INIT]
    state[S_MAX] = p[N_INIT]


@numba.njit(cache=True, nogil=True)
def advance(p, inputs, state, out, traj):
    """Steps ``state[S_STEP]`` .. + m - 1 of a run, m = ``inputs.shape[1]`` (the inputs of
    exactly those steps). Row j of ``out`` (if it has rows) gets step ``k0 + j``'s frame
    row, ``traj[j]`` (if it has entries) the state N at that step. The state is read at
    the start and written back at the end, so a run split into spans computes exactly
    what one call over the whole run computes."""
    m = inputs.shape[1]
    dt = p[DT]
    k0 = int(state[S_STEP])
    N = state[S_N]
    integral = state[S_INTEGRAL]
    e_prev = state[S_EPREV]
    sum_i = state[S_SUM_I]
    sum_b = state[S_SUM_B]
    min_n = state[S_MIN]
    max_n = state[S_MAX]
    # Compensated sum of every change booked to N (flows and clamp top-ups).
    ledger = state[S_LEDGER]
    ledger_c = state[S_LEDGER_C]
    clamps = state[S_CLAMPS]
    clamp_total = state[S_CLAMP_TOTAL]
    saturated = state[S_SATURATED]
    write = out.shape[0] > 0
    keep_n = traj.shape[0] > 0
    limit = p[PHI_LIMIT]
    for j in range(m):
        H = inputs[IN_H, j]
        M = inputs[IN_M, j]
        D = inputs[IN_D, j]
        E = clip_e(inputs[IN_E, j])
        cc = inputs[IN_CC, j]
        cd = inputs[IN_CD, j]
        S, I, B, err, integral, raw, phi, dn = _step(p, N, integral, e_prev, H, M, D, E,
                                                     cc, cd)
        if raw > limit or raw < -limit:
            saturated += 1.0
        e_prev = err
        if write:
            out[j, 0] = (k0 + j) * dt
            out[j, 1] = N
            out[j, 2] = I
            out[j, 3] = B
            out[j, 4] = S
            out[j, 5] = phi
            out[j, 6] = err
            out[j, 7] = dn
            out[j, C_INPUTS + IN_H] = H
            out[j, C_INPUTS + IN_M] = M
            out[j, C_INPUTS + IN_D] = D
            out[j, C_INPUTS + IN_E] = E
            out[j, C_INPUTS + IN_CC] = cc
            out[j, C_INPUTS + IN_CD] = cd
            out[j, C_CUM_I] = sum_i * dt
            out[j, C_CUM_B] = sum_b * dt
        if keep_n:
            traj[j] = N
        sum_i += I
        sum_b += B
        flow = dn * dt
        nxt = N + flow
        ledger, ledger_c = _book(ledger, ledger_c, flow)
        if nxt < 0.0:
            clamps += 1.0
            clamp_total += -nxt
            ledger, ledger_c = _book(ledger, ledger_c, -nxt)
            nxt = 0.0
        N = nxt
        min_n = min(min_n, N)
        max_n = max(max_n, N)
    state[S_N] = N
    state[S_INTEGRAL] = integral
    state[S_EPREV] = e_prev
    state[S_SUM_I] = sum_i
    state[S_SUM_B] = sum_b
    state[S_MIN] = min_n
    state[S_MAX] = max_n
    state[S_LEDGER] = ledger
    state[S_LEDGER_C] = ledger_c
    state[S_CLAMPS] = clamps
    state[S_CLAMP_TOTAL] = clamp_total
    state[S_SATURATED] = saturated
    state[S_STEP] = k0 + m


@numba.njit(cache=True, nogil=True)
def finish(p, state, last_row, summary):
    """After the last step: the frame's final row (time n*dt, the final state, no flows;
    written if ``last_row`` has entries) and the summary figures."""
    n = int(state[S_STEP])
    dt = p[DT]
    if last_row.shape[0] > 0:
        last_row[0] = n * dt
        last_row[1] = state[S_N]
        for j in range(2, C_CUM_I):  # no step starts at the last time point
            last_row[j] = np.nan
        last_row[C_CUM_I] = state[S_SUM_I] * dt
        last_row[C_CUM_B] = state[S_SUM_B] * dt
    _summarise(summary, p, n, state[S_N], state[S_MIN], state[S_MAX], state[S_SUM_I],
               state[S_SUM_B], state[S_LEDGER], state[S_LEDGER_C], int(state[S_CLAMPS]),
               state[S_CLAMP_TOTAL], int(state[S_SATURATED]))


@numba.njit(cache=True, nogil=True)
def _run(p, inputs, out, traj, summary):
    """One run. Writes the full frame into ``out`` if it has rows, the N trajectory into
    ``traj`` if it has entries, and always the summary figures into ``summary``."""
    n = inputs.shape[1]
    state = np.empty(STATE_SIZE)
    start_state(p, state)
    write = out.shape[0] > 0
    keep_n = traj.shape[0] > 0
    advance(p, inputs, state, out[:n] if write else out, traj[:n] if keep_n else traj)
    if keep_n:
        traj[n] = state[S_N]
    finish(p, state, out[n] if write else np.empty(0), summary)


@numba.njit(cache=True, nogil=True)
def _run_lanes(params, inputs, traj, summaries):
    """``LANES`` runs in lockstep: run j has ``params[j]`` and ``inputs[j]`` ((LANES, 6, n))
    or ``inputs[0]`` ((1, 6, n), shared); its N(t) goes to ``traj[j]`` if ``traj`` has
    rows. Same arithmetic as :func:`_run` (summary and trajectory only, no frame)."""
    n = inputs.shape[2]
    shared = inputs.shape[0] == 1
    keep_n = traj.shape[0] > 0
    N = np.empty(LANES)
    min_n = np.empty(LANES)
    max_n = np.empty(LANES)
    integral = np.zeros(LANES)
    e_prev = np.zeros(LANES)
    sum_i = np.zeros(LANES)
    sum_b = np.zeros(LANES)
    ledger = np.zeros(LANES)
    ledger_c = np.zeros(LANES)
    clamps = np.zeros(LANES, dtype=np.int64)
    clamp_total = np.zeros(LANES)
    saturated = np.zeros(LANES, dtype=np.int64)
    for j in range(LANES):
        N[j] = params[j, N_INIT]
        min_n[j] = N[j]
        max_n[j] = N[j]
    for k in range(n):
        for j in range(LANES):
            r = 0 if shared else j
            p = params[j]
            E = clip_e(inputs[r, IN_E, k])
            _S, I, B, err, integral[j], raw, _phi, dn = _step(
                p, N[j], integral[j], e_prev[j], inputs[r, IN_H, k], inputs[r, IN_M, k],
                inputs[r, IN_D, k], E, inputs[r, IN_CC, k], inputs[r, IN_CD, k])
            limit = p[PHI_LIMIT]
            if raw > limit or raw < -limit:
                saturated[j] += 1
            e_prev[j] = err
            if keep_n:
                traj[j, k] = N[j]
            sum_i[j] += I
            sum_b[j] += B
            flow = dn * p[DT]
            nxt = N[j] + flow
            ledger[j], ledger_c[j] = _book(ledger[j], ledger_c[j], flow)
            if nxt < 0.0:
                clamps[j] += 1
                clamp_total[j] += -nxt
                ledger[j], ledger_c[j] = _book(ledger[j], ledger_c[j], -nxt)
                nxt = 0.0
            N[j] = nxt
            min_n[j] = min(min_n[j], nxt)
            max_n[j] = max(max_n[j], nxt)
    for j in range(LANES):
        if keep_n:
            traj[j, n] = N[j]
        _summarise(summaries[j], params[j], n, N[j], min_n[j], max_n[j], sum_i[j], sum_b[j],
                   ledger[j], ledger_c[j], clamps[j], clamp_total[j], saturated[j])


@numba.njit(cache=True, nogil=True)
def run_one(p, inputs, out, summary):
    """Full frame of one run into ``out`` ((n+1, 16), any memory order) and its summary."""
    _run(p, inputs, out, np.empty(0), summary)


@numba.njit(cache=True, nogil=True)
def run_many(params, inputs, summaries, trajectories):
    """Runs ``params[r]`` for every row r. ``inputs`` is (1, 6, n) to share one input set,
    or (R, 6, n) for per-run inputs. ``trajectories`` is (R, n+1) to keep N(t) of every
    run, or (0, 0) for summaries only (constant memory whatever R is)."""
    shared = inputs.shape[0] == 1
    keep = trajectories.shape[0] > 0
    full = params.shape[0] - params.shape[0] % LANES
    for g in range(0, full, LANES):
        lane_inputs = inputs[0:1] if shared else inputs[g:g + LANES]
        _run_lanes(params[g:g + LANES], lane_inputs, trajectories[g:g + LANES],
                   summaries[g:g + LANES])
    empty = np.empty((0, N_COLUMNS))
    none = np.empty(0)
    for r in range(full, params.shape[0]):  # the last few, one at a time
        run_inputs = inputs[0] if shared else inputs[r]
        if keep:
            _run(params[r], run_inputs, empty, trajectories[r], summaries[r])
        else:
            _run(params[r], run_inputs, empty, none, summaries[r])


_walk_levels = numba.njit(walk_levels, cache=True, nogil=True)
"""The models' random walk (``Signal.generate`` uses it too), compiled as it stands."""


@numba.njit(cache=True, nogil=True)
def _fill_rows(scratch, rows, values, walk, walk_initial, walk_volatility):  # noqa: PLR0917
    """Replace ``scratch[rows[j]]`` by ``values[j]`` or by the walk built from it."""
    for j in range(rows.shape[0]):
        if walk[j]:
            levels, _carried = _walk_levels(walk_initial[j], 0.0 + walk_volatility[j] * values[j])
            scratch[rows[j]] = levels
        else:
            scratch[rows[j]] = values[j]


@numba.njit(cache=True, nogil=True)
def run_many_rows(params, shared, rows, values, walk, walk_initial,  # noqa: PLR0917
                  walk_volatility, summaries, trajectories):  # numba: arrays positional
    """Like :func:`run_many`, with some input rows replaced per run.

    ``shared`` is the (6, n) input set common to every run; for each run r, row
    ``rows[j]`` is replaced by ``values[r, j]`` when ``walk[j]`` is false, or by the random
    walk max(0, walk_initial[j] + cumsum(walk_volatility[j] * values[r, j])) when it is
    true (``values`` then holds standard normal draws, and ``0.0 + vol * z`` is numpy's
    ``normal(0, vol)``). The walk is summed in the same order as ``Signal.generate``
    (numpy's sequential cumsum), so a run equals the standalone simulation of the same
    signal to the last bit. Only ``LANES`` (6, n) scratch copies are held, never (R, 6, n).
    """
    keep = trajectories.shape[0] > 0
    scratch = np.empty((LANES, shared.shape[0], shared.shape[1]))
    for j in range(LANES):
        scratch[j] = shared
    full = params.shape[0] - params.shape[0] % LANES
    for g in range(0, full, LANES):
        for j in range(LANES):
            _fill_rows(scratch[j], rows, values[g + j], walk, walk_initial, walk_volatility)
        _run_lanes(params[g:g + LANES], scratch, trajectories[g:g + LANES],
                   summaries[g:g + LANES])
    empty = np.empty((0, N_COLUMNS))
    none = np.empty(0)
    for r in range(full, params.shape[0]):  # the last few, one at a time
        _fill_rows(scratch[0], rows, values[r], walk, walk_initial, walk_volatility)
        if keep:
            _run(params[r], scratch[0], empty, trajectories[r], summaries[r])
        else:
            _run(params[r], scratch[0], empty, none, summaries[r])


ensure_fresh_cache(sys.modules[__name__], _layout_stamp)
