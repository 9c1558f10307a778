"""The numba kernel of a network economy: many agents, one Nexus equation, CSR transfers.

What it computes is written down in docs/network.md; in short, every step k

1. the *aggregate* step is the single-agent engine's own ``_step`` on the aggregate state N
   (so S, the burn B, the PID's Phi and dN/dt are bit for bit the engine's), with the
   issuance scaled by the network-weighted contribution shares ``g`` (exactly 1 when the
   network effect is 0, which leaves the engine's arithmetic untouched);
2. a *counting pass* finds how many agents hold less than ``floor_threshold`` x the mean
   holding (they share the floor injection);
3. an *update pass* gives every agent its share of each flow, pays ``tau * dt`` of its
   holdings to its neighbours in proportion to the edge weights and receives theirs (a
   gather over its CSR row, so every agent writes only its own slot), clamps at zero
   (counted and booked like the engine's clamp) and adds its block's partial sums.

Both passes run over fixed blocks of ``BLOCK`` agents; each block writes its own row of
``partial`` and the rows are summed in block order afterwards, so every total is the same
whatever the number of threads. ``advance_parallel`` runs the blocks with ``prange`` (worth
it from about ``PARALLEL_AGENTS`` agents: below that, two parallel regions a step cost more
than they save on a shared 2-core machine); ``advance_serial`` does the same on the
calling thread.

The kernel advances a run from step k0 to k1 and keeps its whole state in arrays, so the
caller can report progress, take agent snapshots and honour a cancel between calls.
"""

from __future__ import annotations

import sys

import numba
import numpy as np

from nexus_panel.engine.kernel import (
    ALPHA,
    DT,
    ETA,
    F_FLOOR,
    G_C,
    G_D,
    G_E,
    IN_CC,
    IN_CD,
    IN_D,
    IN_E,
    IN_H,
    IN_M,
    KAPPA,
    LAYOUT_STAMP,
    PHI_LIMIT,
    W_D,
    W_E,
    W_H,
    W_M,
    _step,
    clip_e,
    ensure_fresh_cache,
)

BLOCK = 2048
"""Agents per block of the passes (and per row of ``partial``)."""
PARALLEL_AGENTS = 250_000
"""From this many agents on, the passes run on all numba threads. Each step opens two
parallel regions, each ending at a barrier that, on a busy machine, can wait a whole
scheduler time slice for a descheduled thread; below this size that wait outweighs a
pass (measurements: docs/benchmarks.md)."""

# Rows of the per-agent array ``A`` (n columns each).
A_FSH, A_FSM, A_FSD, A_F, A_SC, A_SQ, A_PAYS = range(7)
AGENT_ROWS = 7
"""f*share_H, f*share_M, f*share_D, f (network factor), share_C_cons, share_C_disp,
1.0 if the agent has neighbours (it pays transfers) else 0.0."""

# Entries of the scalar settings vector ``q``.
Q_GH, Q_GM, Q_GD, Q_GE, Q_TAU, Q_USE_G, Q_THETA = range(7)
SETTINGS = 7

# Entries of the state vector ``st``.
ST_N, ST_INTEGRAL, ST_EPREV, ST_SUMX, ST_CUR, ST_CLAMPS, ST_TOPUP, ST_SATURATED = range(8)
STATE = 8

AGG_COLUMNS: tuple[str, ...] = (
    "t", "N", "holdings_sum", "I", "B", "S", "Phi", "e", "dN_dt", "floor_recipients",
    "transferred", "clamped", "top_up",
)
"""Columns of the per-step aggregate table: row k holds the state at t_k and the flows of
step k (the last row only the final state, flows NaN), like the engine's frame."""
(C_T, C_N, C_SUMX, C_I, C_B, C_S, C_PHI, C_E, C_DN, C_FLOOR, C_TRANSFER, C_CLAMPED,
 C_TOPUP) = range(len(AGG_COLUMNS))

# Columns of ``partial``: below-threshold count, new holdings sum, clamp events, top-ups,
# agents at zero, transferred.
P_BELOW, P_SUMX, P_CLAMPS, P_TOPUP, P_ZERO, P_TRANSFER = range(6)
PARTIALS = 6


@numba.njit(cache=True, nogil=True, inline="always")
def _count_block(b, x, thr, partial):
    lo = b * BLOCK
    hi = min(lo + BLOCK, x.shape[0])
    below = 0
    for i in range(lo, hi):
        if x[i] < thr:
            below += 1
    partial[b, P_BELOW] = below


@numba.njit(cache=True, nogil=True, inline="always")
def _update_block(b, x, y, A, indptr, indices, P, f, partial):  # noqa: PLR0917 (numba)
    """Agents of block ``b``: read holdings ``x`` (start of step), write ``y`` (end).

    ``f`` holds the step's scalars: issuance coefficients aH, aM, aD, aE; burn
    coefficients bC, bQ, bE; Phi shared pro rata and per agent; floor per agent
    below / at or above the threshold; the threshold; kappa; dt; tau*dt; and the
    holdings' sum (an agent's Phi is phi * (x / sum): phi / sum or 1 / sum would overflow
    for sums near the smallest floats).
    """
    aH, aM, aD, aE, bC, bQ, bE, phi_k, phi_e, fl_below, fl_other, thr, kappa, dt, pay = (
        f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12],
        f[13], f[14])
    total = f[15]
    lo = b * BLOCK
    hi = min(lo + BLOCK, x.shape[0])
    sumx = 0.0
    clamps = 0
    topup = 0.0
    zero = 0
    moved = 0.0
    for i in range(lo, hi):
        xi = x[i]
        issued = aH * A[A_FSH, i] + aM * A[A_FSM, i] + aD * A[A_FSD, i] + aE * A[A_F, i]
        burned = bC * A[A_SC, i] + bQ * A[A_SQ, i] + bE
        floor = fl_below if xi < thr else fl_other
        dn = issued - burned - kappa * xi + (phi_k * (xi / total) + phi_e) + floor
        received = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            received += P[e] * x[indices[e]]
        out = pay * xi * A[A_PAYS, i]
        moved += out
        nxt = xi + dn * dt - out + pay * received
        if nxt < 0.0:
            clamps += 1
            topup += -nxt
            nxt = 0.0
        if nxt == 0.0:
            zero += 1
        y[i] = nxt
        sumx += nxt
    partial[b, P_SUMX] = sumx
    partial[b, P_CLAMPS] = clamps
    partial[b, P_TOPUP] = topup
    partial[b, P_ZERO] = zero
    partial[b, P_TRANSFER] = moved


@numba.njit(cache=True, nogil=True, inline="always")
def _aggregate_step(p, q, inputs, k, n, st, agg):  # noqa: PLR0917 (numba)
    """Step k of the aggregate (the engine's ``_step``), and the per-agent scalars."""
    H, M, D = inputs[IN_H, k], inputs[IN_M, k], inputs[IN_D, k]
    cc, cd = inputs[IN_CC, k], inputs[IN_CD, k]
    E = clip_e(inputs[IN_E, k])  # clipped as the engine does
    S, I, B, err, integral, raw, phi, dn = _step(p, st[ST_N], st[ST_INTEGRAL], st[ST_EPREV],
                                                 H, M, D, E, cc, cd)
    st[ST_INTEGRAL] = integral
    st[ST_EPREV] = err
    if raw > p[PHI_LIMIT] or raw < -p[PHI_LIMIT]:
        st[ST_SATURATED] += 1
    contrib = (p[W_H] * (H * q[Q_GH]) + p[W_M] * (M * q[Q_GM]) + p[W_D] * (D * q[Q_GD])
               + p[W_E] * (E * q[Q_GE]))
    if q[Q_USE_G] != 0.0:  # network effect: issuance over the network-weighted shares
        issued = max(0.0, p[ALPHA] * S * contrib)
        dn = dn + (issued - I)
        I = issued
    k_i = I / contrib if contrib != 0.0 else 0.0
    load = max(0.0, 1.0 - E)
    burn_base = p[G_C] * cc + p[G_D] * cd + p[G_E] * load
    k_b = B / burn_base if burn_base != 0.0 else 0.0
    agg[k, C_I] = I
    agg[k, C_B] = B
    agg[k, C_S] = S
    agg[k, C_PHI] = phi
    agg[k, C_E] = err
    agg[k, C_DN] = dn
    f = np.empty(16)
    f[0] = k_i * p[W_H] * H
    f[1] = k_i * p[W_M] * M
    f[2] = k_i * p[W_D] * D
    f[3] = k_i * p[W_E] * E / n
    f[4] = k_b * p[G_C] * cc
    f[5] = k_b * p[G_D] * cd
    f[6] = k_b * p[G_E] * load / n
    sumx = st[ST_SUMX]
    if sumx > 0.0:
        f[7] = phi
        f[8] = 0.0
        f[15] = sumx
    else:
        f[7] = 0.0
        f[8] = phi / n
        f[15] = 1.0
    f[11] = q[Q_THETA] * sumx / n
    f[12] = p[KAPPA]
    f[13] = p[DT]
    f[14] = q[Q_TAU] * p[DT]
    return dn, f


@numba.njit(cache=True, nogil=True, inline="always")
def _floor_shares(p, n, f, below):
    floor = p[ETA] * p[F_FLOOR]
    if below > 0:
        f[9] = floor / below
        f[10] = 0.0
    else:  # nobody below the threshold: everyone gets an equal share
        f[9] = 0.0
        f[10] = floor / n


@numba.njit(cache=True, nogil=True, inline="always")
def _book(st, agg, k, n, partial, dn, dt, below):  # noqa: PLR0917 (numba)
    """Sum the block partials in block order and move the aggregate ledger N."""
    sumx = 0.0
    clamps = 0.0
    topup = 0.0
    zero = 0.0
    moved = 0.0
    for b in range(partial.shape[0]):
        sumx += partial[b, P_SUMX]
        clamps += partial[b, P_CLAMPS]
        topup += partial[b, P_TOPUP]
        zero += partial[b, P_ZERO]
        moved += partial[b, P_TRANSFER]
    nxt = st[ST_N] + dn * dt
    if zero == n and clamps > 0:
        # Every holding is zero: so is the aggregate, and the top-up booked is what the
        # single-agent ledger books (equal to the agents' top-ups up to rounding).
        topup = -nxt if nxt < 0.0 else 0.0
        nxt = 0.0
    else:
        nxt += topup
    agg[k, C_FLOOR] = below if below > 0 else n
    agg[k, C_TRANSFER] = moved
    agg[k, C_CLAMPED] = clamps
    agg[k, C_TOPUP] = topup
    st[ST_CLAMPS] += clamps
    st[ST_TOPUP] += topup
    st[ST_N] = nxt
    st[ST_SUMX] = sumx
    st[ST_CUR] = 1.0 - st[ST_CUR]


@numba.njit(cache=True, nogil=True, inline="always")
def _begin_step(p, q, inputs, k, X2, st, agg):  # noqa: PLR0917 (numba)
    """Record the state at t_k and run the aggregate step; the step's buffers and scalars."""
    cur = int(st[ST_CUR])
    agg[k, C_T] = k * p[DT]
    agg[k, C_N] = st[ST_N]
    agg[k, C_SUMX] = st[ST_SUMX]
    dn, f = _aggregate_step(p, q, inputs, k, X2.shape[1], st, agg)
    return X2[cur], X2[1 - cur], dn, f


@numba.njit(cache=True, nogil=True, inline="always")
def _count_blocks(x, thr, partial):
    for b in range(partial.shape[0]):
        _count_block(b, x, thr, partial)


@numba.njit(cache=True, nogil=True, inline="always")
def _update_blocks(x, y, A, indptr, indices, P, f, partial):  # noqa: PLR0917 (numba)
    for b in range(partial.shape[0]):
        _update_block(b, x, y, A, indptr, indices, P, f, partial)


@numba.njit(cache=True, nogil=True, inline="always")
def _settle_floor(p, n, f, partial):
    """The count of agents below the threshold (block order) and their floor shares."""
    below = 0.0
    for b in range(partial.shape[0]):
        below += partial[b, P_BELOW]
    _floor_shares(p, n, f, below)
    return below


@numba.njit(cache=True, nogil=True)
def advance_serial(p, q, inputs, k0, k1, A, indptr, indices, P, X2, st, agg,  # noqa: PLR0917
                   partial):
    """Steps k0 .. k1-1 on the calling thread (see the module doc for the arrays)."""
    n = X2.shape[1]
    for k in range(k0, k1):
        x, y, dn, f = _begin_step(p, q, inputs, k, X2, st, agg)
        _count_blocks(x, f[11], partial)
        below = _settle_floor(p, n, f, partial)
        _update_blocks(x, y, A, indptr, indices, P, f, partial)
        _book(st, agg, k, n, partial, dn, p[DT], below)


@numba.njit(cache=True, nogil=True, parallel=True)
def advance_parallel(p, q, inputs, k0, k1, A, indptr, indices, P, X2, st,  # noqa: PLR0917
                     agg, partial):
    """:func:`advance_serial` with the blocks of each pass spread over numba's threads."""
    n = X2.shape[1]
    blocks = partial.shape[0]
    for k in range(k0, k1):
        x, y, dn, f = _begin_step(p, q, inputs, k, X2, st, agg)
        for b in numba.prange(blocks):
            _count_block(b, x, f[11], partial)
        below = _settle_floor(p, n, f, partial)
        for b in numba.prange(blocks):
            _update_block(b, x, y, A, indptr, indices, P, f, partial)
        _book(st, agg, k, n, partial, dn, p[DT], below)


@numba.njit(cache=True)
def _layout_stamp():
    return LAYOUT_STAMP


ensure_fresh_cache(sys.modules[__name__], _layout_stamp)  # see engine/kernel.py
