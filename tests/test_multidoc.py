"""A corpus of several profiles: citations name the right document, the chat can be
limited to one document, and a rebuild encodes only the documents that changed."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from qa.assistant import Assistant
from qa.config import Settings
from qa.errors import QAError
from qa.index import build_index, load_index
from qa.retrieve import Retrievers
from qa.synth import write_profiles

from .conftest import PROFILE, ROOT, HashEncoder

MEXICO_MOBILE = "104,100,000"


def _statistic(text: str, label: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[lines.index(label) + 1]


@pytest.fixture
def two_profiles(tiny_project):
    """The tiny project's corpus (the Mexico profile, with its metadata) plus one synthetic profile."""
    shutil.copyfile(ROOT / "corpus" / "mexico.meta.json", tiny_project.corpus_dir / "mexico.meta.json")
    (profile,) = write_profiles(PROFILE, tiny_project.corpus_dir, 1, seed=7, forbidden=ROOT / "corpus")
    return tiny_project, profile


def test_each_document_keeps_its_rows_and_metadata(two_profiles):
    settings, synthetic = two_profiles
    idx = build_index(settings, progress=False)
    name = synthetic.path.name
    assert idx.doc_ranges == {"mexico.txt": (0, 96), name: (96, 192)}
    assert {c.doc for c in idx.chunks[96:]} == {name}
    assert idx.docs[name].meta["synthetic"] is True and idx.docs[name].title.startswith(synthetic.name)
    assert idx.docs["mexico.txt"].title == "Mexico: child online safety and ICT in education (country profile)"
    assert idx.manifest["documents"] == {d: idx.docs[d].sha256 for d in (name, "mexico.txt")}


def test_answers_cite_the_document_the_question_names(two_profiles):
    settings, synthetic = two_profiles
    assistant = Assistant(settings, build_index(settings, progress=False), progress=False)
    figure = _statistic(synthetic.path.read_text(encoding="utf-8"), "Mobile Subscribers")
    for country, doc, expected in ((synthetic.name, synthetic.path.name, figure),
                                   ("Mexico", "mexico.txt", MEXICO_MOBILE)):
        a = assistant.ask(f"How many mobile subscribers does {country} have?")
        assert a.answered and expected in a.text, a.text
        assert [c.doc for c in a.citations] == [doc]
        text = assistant.index.docs[doc].text
        assert text[a.citations[0].start:a.citations[0].end] == f"Mobile Subscribers\n\n{expected}"
        assert {h.chunk.doc for h in a.hits} == {doc}


def test_a_question_naming_no_country_searches_every_document(two_profiles):
    settings, synthetic = two_profiles
    idx = build_index(settings, progress=False)
    hits = Retrievers(idx, settings).single("bm25").search("mobile subscribers", 10)
    assert {h.chunk.doc for h in hits} == {"mexico.txt", synthetic.path.name}


@pytest.mark.parametrize("mode", ["bm25", "minilm", "hybrid"])
def test_the_doc_filter_limits_every_retriever(two_profiles, mode):
    settings, synthetic = two_profiles
    r = Retrievers(build_index(settings, progress=False), settings).for_mode(mode)
    # the filter wins over the country the question names
    hits = r.search("How many mobile subscribers does Mexico have?", 20, doc=synthetic.path.name)
    assert len(hits) == (20 if mode != "bm25" else 5)  # BM25 leaves out passages without a query term
    assert {h.chunk.doc for h in hits} == {synthetic.path.name}
    assert hits[0].chunk.title == "Mobile Subscribers"


def test_ask_limited_to_one_document(two_profiles):
    settings, synthetic = two_profiles
    assistant = Assistant(settings, build_index(settings, progress=False), progress=False)
    figure = _statistic(synthetic.path.read_text(encoding="utf-8"), "Mobile Subscribers")
    a = assistant.ask("How many mobile subscribers are there?", doc=synthetic.path.name)
    assert figure in a.text and [c.doc for c in a.citations] == [synthetic.path.name]
    a = assistant.ask("How many mobile subscribers are there?", doc="mexico.txt")
    assert MEXICO_MOBILE in a.text and [c.doc for c in a.citations] == ["mexico.txt"]
    with pytest.raises(QAError, match=r"no document 'peru.txt' in the corpus; it has: mexico.txt, synthetic-"):
        assistant.ask("How many mobile subscribers are there?", doc="peru.txt")


def test_cli_ask_takes_a_document(two_profiles, monkeypatch):
    from qa.cli import cli

    settings, synthetic = two_profiles
    build_index(settings, progress=False)
    monkeypatch.setenv("QA_ROOT", str(settings.root))
    r = CliRunner().invoke(cli, ["ask", "How many mobile subscribers are there?", "--json",
                                 "--doc", synthetic.path.name], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert {c["doc"] for c in json.loads(r.stdout)["citations"]} == {synthetic.path.name}
    r = CliRunner().invoke(cli, ["ask", "How many mobile subscribers are there?", "--doc", "peru.txt"])
    assert r.exit_code == 1 and "no document 'peru.txt' in the corpus" in r.output


class CountingEncoder(HashEncoder):
    encoded: list[str] = []

    def encode_passages(self, texts, batch_size=32):
        CountingEncoder.encoded.extend(texts)
        return super().encode_passages(texts, batch_size)


def test_a_rebuild_encodes_only_what_changed(tiny_project, monkeypatch):
    import qa.index

    monkeypatch.setattr(qa.index, "load_encoder", lambda signal, model: CountingEncoder(signal))
    CountingEncoder.encoded = []
    first = build_index(tiny_project, progress=False)
    assert first.manifest["reused"] == {"documents": 0, "encoded_passages": {"minilm": 96, "e5": 96}}
    (profile,) = write_profiles(PROFILE, tiny_project.corpus_dir, 1, seed=3)
    CountingEncoder.encoded = []
    second = build_index(tiny_project, progress=False)
    assert second.manifest["reused"] == {"documents": 1, "encoded_passages": {"minilm": 96, "e5": 96}}
    new_doc = {c.doc for c in second.chunks if c.id not in {x.id for x in first.chunks}}
    assert new_doc == {profile.path.name}
    # passages and sentences of the new profile only, for each of the two models
    assert len(CountingEncoder.encoded) == 2 * (96 + 296)
    # reused rows are the very vectors of the first build
    lo, hi = second.doc_ranges["mexico.txt"]
    assert np.array_equal(second.faiss["e5"].reconstruct_n(lo, hi - lo), first.faiss["e5"].reconstruct_n(0, 96))
    assert np.array_equal(second.sent_vectors["minilm"][:296], first.sent_vectors["minilm"])

    path = tiny_project.corpus_dir / "mexico.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    CountingEncoder.encoded = []
    third = load_index(tiny_project, auto_build=True, progress=False)  # stale, so rebuilt
    assert third.manifest["reused"]["documents"] == 1 and "A new paragraph." in CountingEncoder.encoded
    assert not any(profile.name in t for t in CountingEncoder.encoded)
    CountingEncoder.encoded = []
    build_index(tiny_project, progress=False)
    assert CountingEncoder.encoded == []


def test_a_rebuild_with_another_model_encodes_that_model_again(tiny_project, monkeypatch):
    import qa.index

    build_index(tiny_project, progress=False)

    class Retrained(HashEncoder):
        def __init__(self, name):
            super().__init__(name)
            self.spec = "hash 64, retrained"

    monkeypatch.setattr(qa.index, "load_encoder", lambda signal, model: Retrained(signal))
    monkeypatch.setattr(qa.index, "describe", lambda model: "hash 64, retrained")
    idx = build_index(tiny_project, progress=False)
    assert idx.manifest["reused"] == {"documents": 1, "encoded_passages": {"minilm": 96, "e5": 96}}


def test_synthetic_profiles_are_never_written_into_the_corpus(tmp_path):
    with pytest.raises(QAError, match="not written into"):
        write_profiles(PROFILE, ROOT / "corpus" / "more", 1, forbidden=ROOT / "corpus")
    assert not (ROOT / "corpus" / "more").exists()


def test_the_web_page_offers_the_documents_when_there_are_several(two_profiles, tiny_project):
    from qa.app import build_app

    settings, synthetic = two_profiles
    assistant = Assistant(settings, build_index(settings, progress=False), progress=False)
    config = build_app(assistant).config
    (menu,) = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-doc"]
    assert menu["props"]["visible"] is True
    assert [tuple(x) for x in menu["props"]["choices"]] == [
        ("All documents", ""), ("Mexico: child online safety and ICT in education (country profile)", "mexico.txt"),
        (assistant.index.docs[synthetic.path.name].title, synthetic.path.name)]


@pytest.mark.slow
def test_real_models_cite_the_right_profile(tmp_path):
    """Two profiles, the real models; the real index's vectors are reused for Mexico."""
    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    shutil.copyfile(PROFILE, root / "corpus" / "mexico.txt")
    shutil.copyfile(ROOT / "corpus" / "mexico.meta.json", root / "corpus" / "mexico.meta.json")
    real = load_index(Settings(root=ROOT), auto_build=True, progress=False)
    shutil.copytree(real.settings.index_dir, root / "index")
    (profile,) = write_profiles(PROFILE, root / "corpus", 1, seed=11)
    settings = Settings(root=root, data_dir=tmp_path / "home")
    idx = build_index(settings, progress=False)
    assert idx.manifest["reused"]["documents"] == 1
    assistant = Assistant(settings, idx, progress=False)
    text = profile.path.read_text(encoding="utf-8")
    for question, doc, fact in (
            (f"How many Facebook users are there in {profile.name}?", profile.path.name,
             _statistic(text, "Facebook Users")),
            ("How many Facebook users are there in Mexico?", "mexico.txt", "60,000,000"),
            (f"¿Cuántos usuarios de Facebook hay en {profile.name}?", profile.path.name,
             _statistic(text, "Facebook Users"))):
        a = assistant.ask(question)
        assert a.answered and fact in a.text, (question, a.text)
        assert {c.doc for c in a.citations} == {doc}
    a = assistant.ask("What is the age of consent?", doc=profile.path.name)
    assert a.answered and {c.doc for c in a.citations} == {profile.path.name}
    assert f"The age of consent in {profile.name} is fifteen" in a.text


def test_edited_metadata_makes_the_index_stale_and_reencodes_that_document(two_profiles, monkeypatch):
    import qa.index
    from qa.errors import IndexStaleError

    settings, synthetic = two_profiles
    monkeypatch.setattr(qa.index, "load_encoder", lambda signal, model: CountingEncoder(signal))
    build_index(settings, progress=False)
    meta = settings.corpus_dir / "mexico.meta.json"
    meta.write_text(meta.read_text(encoding="utf-8").replace('"country": "Mexico"', '"country": "México"'),
                    encoding="utf-8")
    with pytest.raises(IndexStaleError, match=r"the metadata of mexico.txt changed since it was built"):
        load_index(settings)
    CountingEncoder.encoded = []
    idx = load_index(settings, auto_build=True, progress=False)
    assert idx.manifest["reused"] == {"documents": 1, "encoded_passages": {"minilm": 96, "e5": 96}}
    assert "Statistics México. Population 121,736,809" in CountingEncoder.encoded

