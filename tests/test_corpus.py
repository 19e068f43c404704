import hashlib

import pytest

from qa.corpus import chunk_document, load_corpus, load_document, split_sentences
from qa.errors import CorpusError
from qa.text import clean

from .conftest import PROFILE, ROOT

SEED = ROOT.parent / "shared" / "seeds" / "000_e6798cf4db9af4a4.txt"


@pytest.fixture(scope="module")
def doc():
    return load_document(PROFILE, PROFILE.parent)


@pytest.fixture(scope="module")
def chunks(doc):
    return chunk_document(doc)


def by_text(chunks, start_of_text):
    return next(c for c in chunks if c.text.startswith(start_of_text))


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is not beside this checkout")
def test_profile_is_stored_byte_for_byte():
    assert PROFILE.read_bytes() == SEED.read_bytes()


def test_document_metadata(doc):
    assert doc.doc == "mexico.txt"
    assert doc.title == "Mexico: child online safety and ICT in education (country profile)"
    assert doc.sha256 == hashlib.sha256(PROFILE.read_bytes()).hexdigest()


def test_every_chunk_and_sentence_is_a_span_of_the_file(doc, chunks):
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        for s in c.sentences:
            assert c.start <= s.start < s.end <= c.end
            if c.kind != "statistic" or c.title == "":
                assert s.text == clean(doc.text[s.start:s.end])  # shown text is the file's, cleaned


def test_statistics_label_and_figure_are_one_unit(chunks):
    c = by_text(chunks, "Population\n")
    assert (c.section, c.kind, c.text, c.title) == ("Statistics", "statistic", "Population\n\n121,736,809", "Population")
    assert [s.text for s in c.sentences] == ["Population: 121,736,809"]
    mobile = by_text(chunks, "Mobile Subscribers")
    assert mobile.text == "Mobile Subscribers\n\n104,100,000"


def test_organization_entry_keeps_name_and_description(doc, chunks):
    c = by_text(chunks, "Internet Security Alliance (ASI)\n")
    assert c.section == "Organizations" and c.kind == "organization"
    assert c.title == "Internet Security Alliance (ASI)"
    assert c.text.endswith("allowing users to report selected illegal content online.")
    assert [s.text for s in c.sentences][0] == "Internet Security Alliance (ASI)"


def test_article_bullets_are_split_one_article_per_chunk(doc, chunks):
    articles = [c.title for c in chunks if c.kind == "article"]
    assert articles == [f"Article {n}, Penal Code" for n in (
        "200", "201", "202", "202bis", "203", "203bis", "204", "259bis", "260", "261", "262", "265", "266",
        "266", "266bis")]
    a204 = next(c for c in chunks if c.title == "Article 204, Penal Code")
    assert doc.text[a204.start:a204.end].startswith("Article 204, Penal Code. This section defines the crime of procuring")
    assert a204.text.endswith("1,000 and 2,500 days’ minimum salary.")
    a261 = next(c for c in chunks if c.title == "Article 261, Penal Code")
    assert doc.text[a261.start - 1] == "-"  # "-Article 261" ran on inside the Article 260 bullet


def test_research_entry_is_title_authors_summary(chunks):
    c = by_text(chunks, "Protecting Children from Cybercrime (2015)")
    assert c.section == "Research" and c.kind == "research"
    assert [s.text for s in c.sentences][:2] == [
        "Protecting Children from Cybercrime (2015)",
        "Simone dos Santos Lemos Fernandes, Legal Consultant, Global Forum on Law Justice and Development (GFLJD), "
        "Legal Vice Presidency, World Bank"]


def test_timeline_splits_year_inside_a_paragraph_and_carries_the_year(chunks):
    aulas = by_text(chunks, "2010 - The Aulas Fundación Telefónica")
    assert aulas.kind == "timeline" and aulas.section == "Timeline"
    students = by_text(chunks, "Nearly 4,500 students")
    assert students.context == "2014"
    assert students.index_text.startswith("Timeline 2014. Nearly 4,500 students")


def test_sections_follow_the_profile_order(chunks):
    order = []
    for c in chunks:
        if not order or order[-1] != c.section:
            order.append(c.section)
    assert order == ["Statistics", "Overview", "Timeline", "Organizations", "Research", "Legislation",
                     "Penal code", "Events"]


def test_index_text_is_clean_but_file_is_not(doc, chunks):
    c = by_text(chunks, "2009 - EducaTIC UNAM")
    assert "[email" in c.text and "[email" not in c.index_text


def test_chunk_ids_are_stable_and_unique(doc, chunks):
    assert len({c.id for c in chunks}) == len(chunks)
    assert [c.id for c in chunk_document(doc)] == [c.id for c in chunks]


def test_sentence_splitter_keeps_initials_and_abbreviations():
    text = "Luis H. Gutierrez R and Luis F. Gamboa N. wrote it. The U.S. Department of Justice agreed."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Luis H. Gutierrez R and Luis F. Gamboa N. wrote it.", "The U.S. Department of Justice agreed."]


def test_missing_or_empty_corpus_says_what_to_do(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "c").mkdir()
    with pytest.raises(CorpusError, match="no .txt or .md document"):
        load_corpus(tmp_path / "c")
    (tmp_path / "c" / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpus(tmp_path / "c")
