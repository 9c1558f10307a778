"""The numba kernels: one Euler run of the Nexus equation, and many runs at once.

The arithmetic follows shared/nexus_model.md in its exact order of operations (no
fastmath, so no reassociation or FMA contraction): results agree with a plain float64
Python loop of the spec to the last bit on the same machine.

Parameters travel as a float64 vector in ``PARAM_ORDER``; inputs as a (6, n) array in
``INPUT_NAMES`` order. Kernels are compiled lazily and cached on disk (``cache=True``),
and release the GIL so batches run in parallel threads.
"""

from __future__ import annotations

import numba
import numpy as np

PARAM_ORDER: tuple[str, ...] = (
    "alpha", "beta", "kappa", "eta", "F_floor",
    "w_H", "w_M", "w_D", "w_E",
    "gamma_C", "gamma_D", "gamma_E",
    "K_p", "K_i", "K_d", "N_target", "phi_limit",
    "lambda_E", "lambda_N", "lambda_H", "lambda_M", "N_0", "H_0", "M_0",
    "delta_t", "N_initial", "num_steps",
)
"""Position of each engine parameter in the vector the kernels read."""

(ALPHA, BETA, KAPPA, ETA, F_FLOOR, W_H, W_M, W_D, W_E, G_C, G_D, G_E, K_P, K_I, K_D,
 N_TARGET, PHI_LIMIT, L_E, L_N, L_H, L_M, N_REF, H_REF, M_REF, DT, N_INIT,
 NUM_STEPS) = range(len(PARAM_ORDER))

COLUMNS: tuple[str, ...] = (
    "t", "N", "I", "B", "S", "Phi", "e", "dN_dt",
    "H", "M", "D", "E", "C_cons", "C_disp", "cumulative_I", "cumulative_B",
)
"""Columns of a run's frame, in the order of the kernel's output array."""

SUMMARY_FIELDS: tuple[str, ...] = (
    "final_N", "min_N", "max_N", "mean_issuance", "mean_burn", "issued_minus_burned",
    "ledger_residual", "clamp_events", "clamp_total", "phi_saturated_fraction",
)
"""Summary figures, in the order of the kernel's summary vector."""


@numba.njit(cache=True, nogil=True)
def _run(p, inputs, out, traj, summary):
    """One run. Writes the full frame into ``out`` if it has rows, the N trajectory into
    ``traj`` if it has entries, and always the summary figures into ``summary``."""
    n = inputs.shape[1]
    dt = p[DT]
    N = p[N_INIT]
    write = out.shape[0] > 0
    keep_n = traj.shape[0] > 0
    integral = 0.0
    e_prev = 0.0
    sum_i = 0.0
    sum_b = 0.0
    min_n = N
    max_n = N
    # Neumaier-compensated sum of every change booked to N (flows and clamp top-ups).
    ledger = 0.0
    ledger_c = 0.0
    clamps = 0
    clamp_total = 0.0
    saturated = 0
    limit = p[PHI_LIMIT]
    for k in range(n):
        H = inputs[0, k]
        M = inputs[1, k]
        D = inputs[2, k]
        E = min(max(inputs[3, k], 0.0), 1.0)
        cc = inputs[4, k]
        cd = inputs[5, k]
        S = p[L_E] * E + p[L_N] * N / p[N_REF] + p[L_H] * H / p[H_REF] + p[L_M] * M / p[M_REF]
        S = min(max(S, 0.0), 1.0)
        I = max(0.0, p[ALPHA] * S * (p[W_H] * H + p[W_M] * M + p[W_D] * D + p[W_E] * E))
        load = max(0.0, 1.0 - E)
        B = max(0.0, p[BETA] * (p[G_C] * cc + p[G_D] * cd + p[G_E] * load))
        err = N - p[N_TARGET]
        integral += err * dt
        derivative = (err - e_prev) / dt
        raw = -(p[K_P] * err + p[K_I] * integral + p[K_D] * derivative)
        if raw > limit or raw < -limit:
            saturated += 1
        phi = min(max(raw, -limit), limit)
        e_prev = err
        dn = I - B - p[KAPPA] * N + phi + p[ETA] * p[F_FLOOR]
        if write:
            out[k, 0] = k * dt
            out[k, 1] = N
            out[k, 2] = I
            out[k, 3] = B
            out[k, 4] = S
            out[k, 5] = phi
            out[k, 6] = err
            out[k, 7] = dn
            out[k, 8] = H
            out[k, 9] = M
            out[k, 10] = D
            out[k, 11] = E
            out[k, 12] = cc
            out[k, 13] = cd
            out[k, 14] = sum_i * dt
            out[k, 15] = sum_b * dt
        if keep_n:
            traj[k] = N
        sum_i += I
        sum_b += B
        flow = dn * dt
        nxt = N + flow
        # Neumaier step for the flow
        t = ledger + flow
        if abs(ledger) >= abs(flow):
            ledger_c += (ledger - t) + flow
        else:
            ledger_c += (flow - t) + ledger
        ledger = t
        if nxt < 0.0:
            clamps += 1
            clamp_total += -nxt
            t = ledger - nxt
            if abs(ledger) >= abs(nxt):
                ledger_c += (ledger - t) - nxt
            else:
                ledger_c += (-nxt - t) + ledger
            ledger = t
            nxt = 0.0
        N = nxt
        min_n = min(min_n, N)
        max_n = max(max_n, N)
    if write:
        out[n, 0] = n * dt
        out[n, 1] = N
        for j in range(2, 14):
            out[n, j] = np.nan
        out[n, 14] = sum_i * dt
        out[n, 15] = sum_b * dt
    if keep_n:
        traj[n] = N
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


@numba.njit(cache=True, nogil=True)
def run_one(p, inputs, out, summary):
    """Full frame of one run into ``out`` ((n+1, 16), any memory order) and its summary."""
    _run(p, inputs, out, np.empty(0), summary)


@numba.njit(cache=True, nogil=True)
def run_many(params, inputs, summaries, trajectories):
    """Runs ``params[r]`` for every row r. ``inputs`` is (1, 6, n) to share one input set,
    or (R, 6, n) for per-run inputs. ``trajectories`` is (R, n+1) to keep N(t) of every
    run, or (0, 0) for summaries only (constant memory whatever R is)."""
    empty = np.empty((0, 16))
    shared = inputs.shape[0] == 1
    keep = trajectories.shape[0] > 0
    none = np.empty(0)
    for r in range(params.shape[0]):
        run_inputs = inputs[0] if shared else inputs[r]
        if keep:
            _run(params[r], run_inputs, empty, trajectories[r], summaries[r])
        else:
            _run(params[r], run_inputs, empty, none, summaries[r])


@numba.njit(cache=True, nogil=True)
def run_many_rows(params, shared, rows, values, walk, walk_initial,  # noqa: PLR0917
                  walk_volatility, summaries, trajectories):  # numba: arrays positional
    """Like :func:`run_many`, with some input rows replaced per run.

    ``shared`` is the (6, n) input set common to every run; for each run r, row
    ``rows[j]`` is replaced by ``values[r, j]`` when ``walk[j]`` is false, or by the random
    walk max(0, walk_initial[j] + cumsum(walk_volatility[j] * values[r, j])) when it is
    true (``values`` then holds standard normal draws). The walk is summed in the same
    order as ``Signal.generate`` (numpy's sequential cumsum), so a run equals the
    standalone simulation of the same signal to the last bit. Only a (6, n) scratch copy
    is held, never (R, 6, n).
    """
    empty = np.empty((0, 16))
    none = np.empty(0)
    keep = trajectories.shape[0] > 0
    scratch = shared.copy()
    n = shared.shape[1]
    for r in range(params.shape[0]):
        for j in range(rows.shape[0]):
            row = rows[j]
            if walk[j]:
                acc = 0.0
                vol = walk_volatility[j]
                init = walk_initial[j]
                for k in range(n):
                    acc += 0.0 + vol * values[r, j, k]
                    scratch[row, k] = max(init + acc, 0.0)
            else:
                for k in range(n):
                    scratch[row, k] = values[r, j, k]
        if keep:
            _run(params[r], scratch, empty, trajectories[r], summaries[r])
        else:
            _run(params[r], scratch, empty, none, summaries[r])
