"""The two BM25 backends rank alike; the fast one reads its matrix from the index."""

import numpy as np
import pytest

from qa.bm25 import RankBM25, SparseBM25, okapi_idf, top_k
from qa.dialog import resolve
from qa.evalset import load_set
from qa.index import build_index
from qa.retrieve import BM25Retriever

from .conftest import ROOT


@pytest.fixture
def index(tiny_project):
    return build_index(tiny_project, progress=False)


def shipped_queries(index):
    docs = list(index.docs.values())
    items = [it for split in ("dev", "test") for it in load_set(ROOT / "eval" / f"{split}.jsonl", docs)]
    return [resolve(it.question, list(it.history)) for it in items]


def test_backends_rank_the_shipped_set_alike(index):
    fast, slow = BM25Retriever(index, "bm25s"), BM25Retriever(index, "rank-bm25")
    queries = shipped_queries(index)
    assert len(queries) == 2916
    for q in queries:
        a, b = fast.search(q, 50), slow.search(q, 50)
        assert [h.position for h in a] == [h.position for h in b], q
        assert np.allclose([h.score for h in a], [h.score for h in b], rtol=1e-12, atol=0)
    assert fast.bm25.idf == pytest.approx(slow.bm25.idf, rel=1e-12)


def test_the_matrix_is_built_at_index_time(index):
    assert "bm25.npz" in index.manifest["files"]
    saved = SparseBM25.load(index.settings.index_dir / "bm25.npz")
    rebuilt = SparseBM25.build(index.bm25_tokens)
    terms = ["consent", "mexico", "2014", "202bis", "nosuchterm", "consent"]
    assert np.array_equal(saved.get_scores(terms), rebuilt.get_scores(terms))
    assert np.array_equal(saved.get_scores([]), np.zeros(len(index.chunks)))


def test_common_terms_get_the_epsilon_floor_like_rank_bm25():
    tokens = [["a", "b"], ["a", "c"], ["a", "d", "d"]]
    fast, slow = SparseBM25.build(tokens), RankBM25(tokens)
    assert fast.idf["a"] == pytest.approx(slow.idf["a"])  # the floor is negative here, as in rank-bm25
    assert np.allclose(fast.get_scores(["a", "d"]), slow.get_scores(["a", "d"]))
    assert okapi_idf(np.array([3.0, 1.0]), 3)[0] == pytest.approx(0.25 * np.mean(
        [np.log(0.5 / 3.5), np.log(2.5 / 1.5)]))


def test_unknown_backend_names_the_choices(index):
    with pytest.raises(ValueError, match="unknown BM25 backend 'lucene': use one of bm25s, rank-bm25"):
        BM25Retriever(index, "lucene")


@pytest.mark.parametrize("seed", range(20))
def test_top_k_is_a_stable_argsort_without_the_sort(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=200).astype(float)  # many ties, many zeros
    for k in (1, 5, 50, 300):
        for lo, hi in ((0, 200), (30, 90)):
            order = np.argsort(-scores[lo:hi], kind="stable")[:k] + lo
            assert list(top_k(scores, k, lo, hi)) == [i for i in order if scores[i] > 0]
