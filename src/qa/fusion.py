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


def keep_firsts(fused: list[tuple[int, float]], firsts: Sequence[int], within: int) -> list[tuple[int, float]]:
    """Move each item some signal ranks first up to position ``within`` (1-based) when the
    fusion left it lower, in the order given; the others keep their order. A moved item
    takes the score of the item it displaces, so scores stay in descending order."""
    out = list(fused)
    for item in firsts:
        pos = next((i for i, (it, _) in enumerate(out) if it == item), None)
        if pos is None or pos < within:
            continue
        moved = out.pop(pos)
        out.insert(within - 1, (moved[0], out[within - 1][1] if within - 1 < len(out) else moved[1]))
    return out


FUSIONS: dict[str, Callable[..., list[tuple[int, float]]]] = {"rrf": rrf, "wsum": weighted_sum}
