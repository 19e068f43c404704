"""Retrievers. Every one answers ``search(query, k, doc=None) -> list[Hit]``; the hybrid
fuses any set of them and keeps each signal's rank and score on the hit. ``doc`` limits
the search to one document of the corpus (its passages are one run of index rows);
without it, a question that names one document's country searches that document."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .bm25 import DEFAULT_BACKEND, RankBM25, top_k
from .config import Settings
from .corpus import Chunk
from .fusion import FUSIONS, keep_firsts
from .index import Index
from .lang import detect_language
from .text import query_tokens

# how deep each signal looks before fusion: fusing only the top k loses passages
# that one signal ranks k+1 and the others rank first
FUSION_DEPTH = 50
# every signal's first passage is kept within the fused top this many: a passage BM25 alone
# ranks first ("reporting node" for "where do I report…") is otherwise lost to passages
# both dense signals rank fairly high
KEEP_FIRST_WITHIN = 4


@dataclass(frozen=True)
class SignalHit:
    rank: int  # 1-based
    score: float


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    position: int  # the chunk's row in the index
    signals: dict[str, SignalHit] = field(default_factory=dict)

    def to_dict(self) -> dict:
        c = self.chunk
        return {"doc": c.doc, "start": c.start, "end": c.end, "section": c.section, "id": c.id,
                "score": round(self.score, 6),
                "signals": {k: {"rank": v.rank, "score": round(v.score, 6)} for k, v in self.signals.items()}}


class BM25Retriever:
    """BM25 over the passages' tokens; ``backend`` is one of ``qa.bm25.BACKENDS``
    (both rank alike; ``bm25s`` is the fast one, see ``qa bench --scale``)."""

    name = "bm25"

    def __init__(self, index: Index, backend: str = DEFAULT_BACKEND):
        self.index = index
        if backend == "bm25s":
            self.bm25 = index.bm25_sparse()
        elif backend == "rank-bm25":
            # rank-bm25 divides by zero on an empty corpus; an index always holds passages
            self.bm25 = RankBM25(index.bm25_tokens)
        else:
            from .bm25 import BACKENDS
            raise ValueError(f"unknown BM25 backend {backend!r}: use one of {', '.join(BACKENDS)}")
        self.backend = backend

    def scores(self, query: str) -> np.ndarray:
        terms = query_tokens(query, detect_language(query))
        if not terms:
            return np.zeros(len(self.index.chunks))
        return self.bm25.get_scores(terms)

    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Hit]:
        lo, hi = self.index.doc_range(doc or self.index.route(query))
        scores = self.scores(query)
        return [Hit(self.index.chunks[i], float(scores[i]), int(i), {self.name: SignalHit(r, float(scores[i]))})
                for r, i in enumerate(top_k(scores, k, lo, hi), start=1)]


class DenseRetriever:
    def __init__(self, index: Index, signal: str):
        self.index = index
        self.name = signal
        self.encoder = index.encoder(signal)
        self.faiss = index.faiss[signal]

    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.search_vector(self.encoder.encode_query(query), k, doc or self.index.route(query))

    def search_vector(self, q: np.ndarray, k: int = 10, doc: str | None = None) -> list[Hit]:
        """The nearest passages to an encoded query (the FAISS part of ``search``)."""
        import faiss

        _one_faiss_thread(faiss)
        lo, hi = self.index.doc_range(doc)
        params = None
        if (lo, hi) != (0, self.faiss.ntotal):
            params = faiss.SearchParameters(sel=faiss.IDSelectorRange(lo, hi))
        scores, ids = self.faiss.search(q[None, :], min(k, hi - lo), params=params)
        return [Hit(self.index.chunks[i], float(s), int(i), {self.name: SignalHit(r, float(s))})
                for r, (s, i) in enumerate(zip(scores[0], ids[0]), start=1) if i >= 0]


_faiss_threads = threading.local()


def _one_faiss_thread(faiss) -> None:
    """One query on one OpenMP thread, set once per calling thread (the setting is the
    thread's own). FAISS's own pool of 2 threads made a flat search over 100,000 passages
    take 40 ms (p50) on 2 busy cores instead of 9 ms (see qa.embed on thread pools)."""
    if not getattr(_faiss_threads, "set", False):
        faiss.omp_set_num_threads(1)
        _faiss_threads.set = True


class HybridRetriever:
    """Fuses the rankings of several retrievers (reciprocal rank fusion by default)."""

    def __init__(self, retrievers: list, fusion: str = "rrf", rrf_k: int = 60,
                 weights: dict[str, dict[str, float]] | None = None, depth: int = FUSION_DEPTH):
        """``weights``: per question language, a weight per signal (missing: 1.0; 0 skips
        the signal). Where every signal of this hybrid weighs 0, all weigh the same."""
        self.retrievers = retrievers
        self.name = "+".join(r.name for r in retrievers)
        self.fuse = FUSIONS[fusion]
        self.rrf_k = rrf_k
        self.weights = weights
        self.depth = depth

    def weights_for(self, query: str) -> dict[str, float]:
        table = (self.weights or {}).get(detect_language(query), {})
        w = {r.name: float(table.get(r.name, 1.0)) for r in self.retrievers}
        return w if any(w.values()) else {name: 1.0 for name in w}

    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Hit]:
        weights = self.weights_for(query)
        per_signal = {r.name: r.search(query, max(k, self.depth), doc) for r in self.retrievers
                      if weights[r.name] > 0}
        if len(per_signal) == 1:
            return next(iter(per_signal.values()))[:k]
        rankings = {name: [(h.position, h.score) for h in hits] for name, hits in per_signal.items()}
        by_pos: dict[int, Hit] = {}
        signals: dict[int, dict[str, SignalHit]] = {}
        for hits in per_signal.values():
            for h in hits:
                by_pos.setdefault(h.position, h)
                signals.setdefault(h.position, {}).update(h.signals)
        fused = keep_firsts(self.fuse(rankings, k=self.rrf_k, weights=weights),
                            [ranking[0][0] for ranking in rankings.values() if ranking], KEEP_FIRST_WITHIN)
        return [Hit(by_pos[pos].chunk, score, pos, signals[pos]) for pos, score in fused[:k]]


class Retrievers:
    """Builds retrievers over one index once and hands them out by mode."""

    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings
        self._single: dict[str, object] = {}
        self._modes: dict[str, object] = {}

    def single(self, signal: str):
        if signal not in self._single:
            if signal == "bm25":
                self._single[signal] = BM25Retriever(self.index)
            elif signal in self.index.faiss:
                self._single[signal] = DenseRetriever(self.index, signal)
            else:
                from .errors import QAError
                raise QAError(f"the index has no {signal} signal (it has {', '.join(self.index.signals)}); "
                              "check QA_MULTILINGUAL_MODEL and run `qa index`")
        return self._single[signal]

    def for_mode(self, mode: str | None = None):
        signals = self.settings.signals(mode)
        if len(signals) == 1:
            return self.single(signals[0])
        if signals not in self._modes:
            self._modes[signals] = HybridRetriever([self.single(s) for s in signals], self.settings.fusion,
                                                   self.settings.rrf_k, self.settings.fusion_weights)
        return self._modes[signals]
