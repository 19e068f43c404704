"""Rank fusion: pure functions over per-signal rankings.

Each ranking is a list of (item, score) best first. Fusion returns (item, fused score)
best first; ties keep the order of first appearance so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

Ranking = Sequence[tuple[int, float]]


def rrf(rankings: Mapping[str, Ranking], k: int = 60, weights: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): sum of w / (k + rank)."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, (item, _score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def weighted_sum(rankings: Mapping[str, Ranking], k: int = 60, weights: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
    """Min-max normalized score fusion; an item missing from a ranking scores 0 there."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        if not ranking:
            continue
        w = 1.0 if weights is None else weights.get(name, 1.0)
        scores = [s for _, s in ranking]
        lo, hi = min(scores), max(scores)
        span = hi - lo or 1.0
        for item, score in ranking:
            fused[item] = fused.get(item, 0.0) + w * (score - lo) / span
    return sorted(fused.items(), key=lambda kv: -kv[1])


FUSIONS: dict[str, Callable[..., list[tuple[int, float]]]] = {"rrf": rrf, "wsum": weighted_sum}
