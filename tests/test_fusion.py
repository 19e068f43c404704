import pytest

from qa.fusion import keep_firsts, rrf, weighted_sum


def test_rrf_sums_reciprocal_ranks():
    fused = rrf({"a": [(1, 9.0), (2, 5.0)], "b": [(2, 0.9), (3, 0.8)]}, k=60)
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][1] == pytest.approx(1 / 61)


def test_rrf_weights_scale_a_signal_and_zero_removes_it():
    fused = rrf({"a": [(1, 1.0)], "b": [(2, 1.0)]}, k=10, weights={"a": 0.5, "b": 1.0})
    assert fused == [(2, pytest.approx(1 / 11)), (1, pytest.approx(0.5 / 11))]


def test_weighted_sum_normalizes_each_signal():
    fused = weighted_sum({"a": [(1, 10.0), (2, 0.0)], "b": [(2, 1.0), (1, 0.75), (3, 0.5)]})
    assert fused == [(1, pytest.approx(1.5)), (2, pytest.approx(1.0)), (3, pytest.approx(0.0))]


def test_ties_keep_first_appearance_order():
    assert [i for i, _ in rrf({"a": [(5, 1.0)], "b": [(7, 1.0)]})] == [5, 7]


def test_a_passage_one_signal_ranks_first_is_kept_near_the_top():
    fused = [(1, .9), (2, .8), (3, .7), (4, .6), (5, .5), (6, .4)]
    assert keep_firsts(fused, [6, 1], 4) == [(1, .9), (2, .8), (3, .7), (6, .6), (4, .6), (5, .5)]
    assert keep_firsts(fused, [3], 4) == fused  # already within
    assert keep_firsts(fused, [99], 4) == fused  # not fused at all: nothing to move
