"""BM25 scoring behind one shape: ``get_scores(terms) -> np.ndarray`` (one score per
passage) and ``idf`` (term -> weight), in two backends that score alike.

``rank-bm25`` (``BM25Okapi``) keeps a term-count dict per passage and, for every query
term, looks the term up in every one of them in Python: fine for one profile, about
linear in the corpus (see ``qa bench --scale``). ``bm25s`` scores eagerly at index
time: a sparse passage x term matrix holds each term's finished BM25 contribution, so a
query sums a few matrix columns (Lù 2024, "BM25S: Orders of magnitude faster lexical
search via eager sparse scoring"). The matrix is built once by ``qa index`` and saved
as ``bm25.npz``.

Both use BM25Okapi's formula, so they rank alike (a test checks it on the shipped
evaluation set): IDF ``log((N - n + 0.5) / (n + 0.5))``, with negative values replaced
by ``epsilon`` x the mean IDF, and the term-frequency part
``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))``; a query term that repeats counts
each time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BACKENDS = ("bm25s", "rank-bm25")
DEFAULT_BACKEND = "bm25s"
K1, B, EPSILON = 1.2, 0.75, 0.25


def okapi_idf(df: np.ndarray, n_docs: int, epsilon: float = EPSILON) -> np.ndarray:
    """BM25Okapi's IDF per term from document frequencies (as in rank-bm25 0.2.2)."""
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * idf.mean() if len(idf) else 0.0
    return np.where(idf < 0, floor, idf)


class RankBM25:
    """rank-bm25's ``BM25Okapi``, rebuilt from the passages' tokens on load."""

    name = "rank-bm25"

    def __init__(self, tokens: list[list[str]], k1: float = K1, b: float = B):
        from rank_bm25 import BM25Okapi

        self.okapi = BM25Okapi(tokens, k1=k1, b=b, epsilon=EPSILON)
        self.idf: dict[str, float] = self.okapi.idf

    def get_scores(self, terms: list[str]) -> np.ndarray:
        return np.asarray(self.okapi.get_scores(terms), dtype=np.float64)


class SparseBM25:
    """Eager BM25: ``matrix[:, t]`` holds term t's contribution to every passage's score
    (compressed sparse columns: ``data``, ``indices`` (passage rows), ``indptr``)."""

    name = "bm25s"

    def __init__(self, vocab: list[str], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 idf: np.ndarray, n_docs: int):
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.data, self.indices, self.indptr = data, indices, indptr
        self.idf: dict[str, float] = dict(zip(vocab, idf.tolist()))
        self._idf_array = idf
        self.n_docs = n_docs

    @classmethod
    def build(cls, tokens: list[list[str]], k1: float = K1, b: float = B) -> "SparseBM25":
        """Build with bm25s, then set each column to BM25Okapi's IDF. bm25s's ATIRE variant
        has BM25Okapi's term-frequency part; its Lucene IDF is positive for every term, so
        rescaling a column by okapi / lucene is exact where Robertson's IDF (zero or
        negative for common terms) would lose the column."""
        import bm25s

        n_docs = len(tokens)
        model = bm25s.BM25(k1=k1, b=b, method="atire", idf_method="lucene", dtype="float64", int_dtype="int64")
        model.index([list(t) for t in tokens], create_empty_token=False, show_progress=False)
        vocab = [""] * len(model.vocab_dict)
        for term, i in model.vocab_dict.items():
            vocab[i] = term
        scores = model.scores
        indptr = np.asarray(scores["indptr"], dtype=np.int64)
        df = np.diff(indptr).astype(np.float64)
        lucene = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        okapi = okapi_idf(df, n_docs)
        data = np.asarray(scores["data"], dtype=np.float64) * np.repeat(okapi / lucene, np.diff(indptr))
        return cls(vocab, data, np.asarray(scores["indices"], dtype=np.int32), indptr, okapi, n_docs)

    def get_scores(self, terms: list[str]) -> np.ndarray:
        cols = [self.vocab[t] for t in terms if t in self.vocab]
        if not cols:
            return np.zeros(self.n_docs)
        # a column per query term, repeats included, summed per passage
        rows = np.concatenate([self.indices[self.indptr[c]:self.indptr[c + 1]] for c in cols])
        vals = np.concatenate([self.data[self.indptr[c]:self.indptr[c + 1]] for c in cols])
        return np.bincount(rows, weights=vals, minlength=self.n_docs)

    def save(self, path: Path) -> None:
        vocab = sorted(self.vocab, key=self.vocab.get)
        with open(path, "wb") as f:  # np.savez adds ".npz" to a name that lacks it
            np.savez(f, vocab=np.array(vocab, dtype=str), data=self.data, indices=self.indices,
                     indptr=self.indptr, idf=self._idf_array, n_docs=np.array(self.n_docs))

    @classmethod
    def load(cls, path: Path) -> "SparseBM25":
        with np.load(path, allow_pickle=False) as z:
            return cls(z["vocab"].tolist(), z["data"], z["indices"], z["indptr"], z["idf"], int(z["n_docs"]))


def top_k(scores: np.ndarray, k: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Positions of the ``k`` best positive scores within ``[lo, hi)``, best first, ties
    in position order: the same as a stable argsort of the whole array, without sorting
    it (``argpartition`` picks the candidates, ties at the cut included)."""
    part = scores[lo:hi]
    if k <= 0 or not len(part):
        return np.zeros(0, dtype=np.int64)
    if k < len(part):
        cut = part[np.argpartition(-part, k - 1)[k - 1]]
        cand = np.flatnonzero(part >= cut)
    else:
        cand = np.arange(len(part))
    order = cand[np.argsort(-part[cand], kind="stable")][:k]
    return order[part[order] > 0] + lo
