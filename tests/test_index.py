import json

import pytest

from qa.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from qa.index import build_index, load_index
from qa.retrieve import BM25Retriever, DenseRetriever, HybridRetriever, Retrievers


def test_build_writes_a_self_describing_index(tiny_project):
    idx = build_index(tiny_project, progress=False)
    m = json.loads((tiny_project.index_dir / "manifest.json").read_text())
    assert m["counts"]["chunks"] == len(idx.chunks) > 90
    assert set(m["dense"]) == {"minilm", "e5"} and m["dense"]["e5"]["dim"] == 64
    assert m["documents"] == {"mexico.txt": idx.docs["mexico.txt"].sha256}
    assert {"chunks.json", "bm25.json", "minilm.faiss", "e5.sent.npy"} <= set(m["files"])
    assert not list(tiny_project.index_dir.glob(".build-*"))


def test_missing_index_names_the_command(tiny_project):
    with pytest.raises(IndexMissingError, match="run `qa index`"):
        load_index(tiny_project)


def test_missing_index_is_built_when_auto(tiny_project):
    idx = load_index(tiny_project, auto_build=True, progress=False)
    assert idx.manifest["counts"]["chunks"] == len(idx.chunks)


def test_edited_corpus_makes_the_index_stale(tiny_project):
    build_index(tiny_project, progress=False)
    path = tiny_project.corpus_dir / "mexico.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    with pytest.raises(IndexStaleError, match=r"corpus changed .*changed: mexico.txt.*Run `qa index`"):
        load_index(tiny_project)
    idx = load_index(tiny_project, auto_build=True, progress=False)
    assert idx.chunks[-1].text == "A new paragraph."


def test_truncated_file_is_detected_and_rebuilt(tiny_project):
    build_index(tiny_project, progress=False)
    f = tiny_project.index_dir / "e5.faiss"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="e5.faiss does not match its recorded checksum.*qa index --force"):
        load_index(tiny_project)
    assert len(load_index(tiny_project, auto_build=True, progress=False).faiss["e5"].reconstruct(0)) == 64


def test_garbage_manifest_is_reported(tiny_project):
    build_index(tiny_project, progress=False)
    (tiny_project.index_dir / "manifest.json").write_text("{oops")
    with pytest.raises(IndexCorruptError, match="manifest.json is unreadable"):
        load_index(tiny_project)


def test_a_build_that_dies_leaves_the_old_index_loadable(tiny_project, monkeypatch):
    build_index(tiny_project, progress=False)
    import faiss

    def boom(*a, **k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):
        m.setattr(faiss, "write_index", boom)
        build_index(tiny_project, progress=False)
    assert load_index(tiny_project).manifest["counts"]["chunks"] > 90
    assert not list(tiny_project.index_dir.glob(".build-*"))


def test_every_retriever_has_one_shape(tiny_project):
    idx = build_index(tiny_project, progress=False)
    r = Retrievers(idx, tiny_project)
    for retriever in (r.single("bm25"), r.single("minilm"), r.for_mode("hybrid")):
        hits = retriever.search("What is the age of consent in Mexico?", 5)
        assert len(hits) == 5
        assert hits[0].chunk.text.startswith("The age of consent in Mexico is fifteen")
    assert isinstance(r.single("bm25"), BM25Retriever) and isinstance(r.single("e5"), DenseRetriever)
    fused = r.for_mode("hybrid")
    assert isinstance(fused, HybridRetriever)
    top = fused.search("age of consent", 3)[0]
    assert set(top.signals) == {"bm25", "minilm", "e5"} and top.signals["bm25"].rank == 1


def test_bm25_finds_figures_written_either_way(tiny_project):
    idx = build_index(tiny_project, progress=False)
    bm25 = Retrievers(idx, tiny_project).single("bm25")
    assert bm25.search("5.000 XO laptops", 1)[0].chunk.text.startswith("2012 - The State of Sonora")
    assert bm25.search("Article 202bis", 1)[0].chunk.title == "Article 202bis, Penal Code"
    assert bm25.search("", 3) == []
