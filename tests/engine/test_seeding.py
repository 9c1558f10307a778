"""The vectorised seeding reproduces numpy's SeedSequence spawn tree and PCG64 exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_panel.engine.seeding import int_words, pcg64_states, spawned_seeds


@settings(max_examples=60, deadline=None)
@given(master=st.integers(0, 2**200), first=st.integers(0, 2**32 - 10),
       inputs=st.integers(1, 6))
def test_spawned_seeds_equal_numpy_spawn_tree(master: int, first: int, inputs: int) -> None:
    got = spawned_seeds(master, first, 3, inputs)
    for i in range(3):
        for j in range(inputs):
            node = np.random.SeedSequence(master, spawn_key=(first + i, j))
            assert got[i, j] == int(node.generate_state(1, np.uint64)[0]) >> 1


def test_spawn_key_node_is_the_spawned_child() -> None:
    child = np.random.SeedSequence(7).spawn(5)[3].spawn(2)[1]
    assert spawned_seeds(7, 3, 1, 2)[0, 1] == int(child.generate_state(1, np.uint64)[0]) >> 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=5))
def test_pcg64_states_equal_numpy(seeds: list[int]) -> None:
    states = pcg64_states(np.array(seeds, dtype=np.int64))
    assert states == [np.random.PCG64(s).state for s in seeds]


def test_reseeded_generator_draws_like_default_rng() -> None:
    bits = np.random.PCG64()
    draw = np.random.Generator(bits)
    for seed, state in zip([0, 42, 2**40 + 3], pcg64_states(np.array([0, 42, 2**40 + 3])),
                           strict=True):
        bits.state = state
        assert np.array_equal(draw.standard_normal(100),
                              np.random.default_rng(seed).standard_normal(100))


def test_int_words_and_bad_seeds() -> None:
    assert int_words(0) == [0]
    assert int_words(2**32 + 5) == [5, 1]
    with pytest.raises(ValueError):
        int_words(-1)
    assert spawned_seeds(1, 0, 0, 2).shape == (0, 2)
