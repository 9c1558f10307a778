"""numpy's SeedSequence and PCG64 seeding, vectorised, for batches of seeded runs.

A seeded batch gives run r's random input j the integer seed

    seed[r, j] = SeedSequence(master, spawn_key=(r, j)).generate_state(1, uint64)[0] >> 1

(the (r, j) node of ``SeedSequence(master).spawn(R)[r].spawn(J)[j]``) and draws from
``default_rng(seed[r, j])``, exactly like ``Signal(seed=seed[r, j])`` does alone. Doing
that with numpy objects (two SeedSequences, a PCG64, a Generator per run) dominated a
seeded batch (docs/benchmarks.md). Here the same hashing runs in one numba
loop over all runs, and the PCG64 state is computed directly, so a batch only sets the
state of one reusable generator per run and lets numpy fill the normal draws.

Every function is checked against numpy itself in tests/engine/test_seeding.py: if a
future numpy changed its seeding, those tests fail rather than results drifting silently.
"""

from __future__ import annotations

import numba
import numpy as np

POOL_SIZE = 4
INIT_A = 0x43B0D7E5
MULT_A = 0x931E8875
INIT_B = 0x8B51F9DD
MULT_B = 0x58F38DED
MIX_MULT_L = 0xCA01F9DD
MIX_MULT_R = 0x4973F715
XSHIFT = 16
MASK32 = 0xFFFFFFFF
PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
MASK128 = (1 << 128) - 1


def int_words(value: int) -> list[int]:
    """An integer as numpy's SeedSequence reads it: little-endian 32-bit words."""
    if value < 0:
        raise ValueError("seeds must be non-negative")
    words = [value & MASK32]
    value >>= 32
    while value:
        words.append(value & MASK32)
        value >>= 32
    return words


# All arithmetic below is on int64 holding 32-bit words: products wrap modulo 2**64 and
# are masked to 32 bits, which keeps exactly numpy's uint32 results while staying in one
# integer type (numba would otherwise promote uint64 mixed with int64 to float64).


@numba.njit(cache=True, nogil=True)
def _hashmix(value, hash_const):
    value = (value ^ hash_const[0]) & MASK32
    hash_const[0] = (hash_const[0] * MULT_A) & MASK32
    value = (value * hash_const[0]) & MASK32
    return value ^ (value >> XSHIFT)


@numba.njit(cache=True, nogil=True)
def _mix(x, y):
    result = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
    return result ^ (result >> XSHIFT)


@numba.njit(cache=True, nogil=True)
def _pool(entropy):
    """SeedSequence.mix_entropy: the 4-word pool from the assembled entropy words."""
    mixer = np.zeros(POOL_SIZE, dtype=np.int64)
    hash_const = np.array([INIT_A], dtype=np.int64)
    for i in range(POOL_SIZE):
        word = entropy[i] if i < entropy.shape[0] else np.int64(0)
        mixer[i] = _hashmix(word, hash_const)
    for i_src in range(POOL_SIZE):
        for i_dst in range(POOL_SIZE):
            if i_src != i_dst:
                mixer[i_dst] = _mix(mixer[i_dst], _hashmix(mixer[i_src], hash_const))
    for i_src in range(POOL_SIZE, entropy.shape[0]):
        for i_dst in range(POOL_SIZE):
            mixer[i_dst] = _mix(mixer[i_dst], _hashmix(entropy[i_src], hash_const))
    return mixer


@numba.njit(cache=True, nogil=True)
def _state32(pool, out):
    """SeedSequence.generate_state(len(out), uint32) into ``out``."""
    hash_const = np.int64(INIT_B)
    for i in range(out.shape[0]):
        value = (pool[i % POOL_SIZE] ^ hash_const) & MASK32
        hash_const = (hash_const * MULT_B) & MASK32
        value = (value * hash_const) & MASK32
        out[i] = value ^ (value >> XSHIFT)


@numba.njit(cache=True, nogil=True)
def _spawned_seeds(master_words, first_run, out):
    """out[i, j] = SeedSequence(master, spawn_key=(first_run + i, j)) uint64 state >> 1."""
    # With a spawn key the master's words are padded to the pool size (numpy does so).
    n_master = max(master_words.shape[0], POOL_SIZE)
    entropy = np.zeros(n_master + 2, dtype=np.int64)
    entropy[:master_words.shape[0]] = master_words
    words = np.zeros(2, dtype=np.int64)
    for i in range(out.shape[0]):
        entropy[n_master] = first_run + i
        for j in range(out.shape[1]):
            entropy[n_master + 1] = j
            _state32(_pool(entropy), words)
            out[i, j] = (words[1] << 31) | (words[0] >> 1)  # the uint64 (hi:lo) >> 1


@numba.njit(cache=True, nogil=True)
def _pcg64_words(seeds, out):
    """out[i] = SeedSequence(seeds[i]).generate_state(8, uint32), what PCG64 seeds from."""
    entropy = np.zeros(2, dtype=np.int64)
    for i in range(seeds.shape[0]):
        entropy[0] = seeds[i] & MASK32
        entropy[1] = seeds[i] >> 32  # a zero high word hashes like numpy's absent one
        _state32(_pool(entropy), out[i])


def spawned_seeds(master_seed: int, first_run: int, runs: int, n_inputs: int) -> np.ndarray:
    """(runs, n_inputs) int64 seeds of runs first_run.. (see the module docstring)."""
    out = np.empty((runs, n_inputs), dtype=np.int64)
    if runs and n_inputs:
        if first_run + runs > 2**32:
            raise ValueError("at most 2**32 runs per batch")
        _spawned_seeds(np.array(int_words(master_seed), dtype=np.int64), first_run, out)
    return out


def pcg64_states(seeds: np.ndarray) -> list[dict[str, object]]:
    """``PCG64(seed).state`` for each seed, as the dicts numpy's bit generator accepts."""
    words = np.empty((len(seeds), 8), dtype=np.int64)
    _pcg64_words(np.ascontiguousarray(seeds, dtype=np.int64), words)
    states = []
    for w in words.tolist():
        # uint64 words k = w[2k] | w[2k+1] << 32; PCG64 takes (hi, lo) = (word0, word1)
        initstate = (w[0] | w[1] << 32) << 64 | (w[2] | w[3] << 32)
        inc = (((w[4] | w[5] << 32) << 64 | (w[6] | w[7] << 32)) << 1 | 1) & MASK128
        state = inc  # srandom: state = 0; step; state += initstate; step
        state = ((state + initstate) * PCG_MULT + inc) & MASK128
        states.append({"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                       "has_uint32": 0, "uinteger": 0})
    return states
