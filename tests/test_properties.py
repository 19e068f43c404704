"""Property-based tests: the tokenizer, the chunker and the answer composer never raise
on arbitrary text, and every span they hand out is the file's own text at that place.

Documents are built from the profile's own lines (so the structure-aware paths run:
statistics, timeline years, penal-code bullets, research entries), lines shaped like
them, and arbitrary Unicode (control characters, NUL, emoji, lone marks, CR/LF)."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from qa.answer import build_answer_text, expand
from qa.assistant import clean_question
from qa.corpus import Document, chunk_document, split_sentences
from qa.errors import InputError
from qa.lang import detect_language
from qa.text import clean, fold, raw_tokens, tokenize

from .conftest import PROFILE

PROFILE_LINES = [ln for ln in PROFILE.read_text(encoding="utf-8").splitlines() if ln.strip()]
SHAPED_LINES = [
    "Population", "121,736,809", "27.6%", "* Statistics provided by someone",
    "2014 - In March, a pilot began. 2015 - It ended.", "  • Article 202bis, Penal Code. Text. -Article 203, Penal Code. More.",
    "• not an article", "Small World (2013)", "A. Author, B. Author", "# A heading", "### Another",
    "[email protected] puma", "[link](http://evil.example/x) text", "![img](http://evil.example/a.png)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "Dr. No. St. Louis e.g. U.S. Inc.",
    "¿Qué es esto? ¡Hola! “Quoted.” (Parenthesis.) [Bracket.", "\u00a0\u202f\u2011\u2013—", "\r", "\x00\x1f\x7f",
]
line = st.one_of(st.sampled_from(PROFILE_LINES), st.sampled_from(SHAPED_LINES), st.text(max_size=120))
documents = st.lists(line, max_size=25).flatmap(
    lambda lines: st.sampled_from(["\n", "\n\n", "\r\n"]).map(lambda sep: sep.join(lines)))


def as_document(text: str) -> Document:
    return Document("mexico.txt", text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


# ------------------------------------------------------------------ tokenizer


@given(st.text(), st.sampled_from(["en", "es"]))
@example("5,000 XO laptops; 5.000 laptops; 5000", "en")
@example("Artículo 202bis \x00 🇲🇽 ¿Cuántos?", "es")
def test_tokenizer_never_raises_and_gives_folded_words(text, lang):
    tokens = tokenize(text, lang)
    for t in tokens + raw_tokens(text):
        assert t and not any(ch.isspace() for ch in t)
    assert detect_language(text) in ("en", "es")
    assert "\n" not in clean(text) and clean(text) == clean(text).strip()


@given(st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúü 0123456789,.¿?"))
def test_case_and_accents_do_not_change_spanish_words(text):
    plain = text.translate(str.maketrans("áéíóúüñ", "aeiouun"))
    assert raw_tokens(text) == raw_tokens(text.upper()) == raw_tokens(plain) == [fold(t) for t in raw_tokens(plain)]


@given(st.integers(min_value=0, max_value=10 ** 12))
def test_thousands_separators_do_not_change_a_number(n):
    assert tokenize(f"{n:,}") == tokenize(f"{n:,}".replace(",", ".")) == tokenize(str(n)) == [str(n)]


@given(st.text(max_size=3000))
@example("\x00\x01 age of consent \x7f")
@example("\u200b\ufeff")
@example("x" * 2001)
def test_clean_question_gives_a_tidy_question_or_a_message(text):
    try:
        q = clean_question(text, 2000)
    except InputError as exc:
        assert str(exc) == "Please type a question." or str(exc).startswith("The question is ")
        return
    assert q == q.strip() and 0 < len(q) <= 2000
    assert not any(ch in q for ch in "\x00\x1f\x7f\u200b\ufeff")


# ------------------------------------------------------------------ chunker


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
@example("Mexico\n\nPopulation\n\n121,736,809\n")
@example("\n\n\n")
@example("• Article 200, Penal Code. One. Article 201, Penal Code. Two.")
def test_every_chunk_and_sentence_is_the_files_text_there(text):
    doc = as_document(text)
    for c in chunk_document(doc):
        assert 0 <= c.start < c.end <= len(text)
        assert c.text == text[c.start:c.end]
        assert c.text == c.text.strip()
        for s in c.sentences:
            assert c.start <= s.start < s.end <= c.end
            if c.kind != "statistic":  # a statistic reads "label: figure", from its two lines
                assert s.text == clean(text[s.start:s.end])


@given(st.text(max_size=400))
def test_sentence_spans_are_in_order_and_inside_the_text(text):
    spans = split_sentences(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))


# ------------------------------------------------------------------ answer composer


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data(), st.sampled_from(["en", "es"]))
def test_composed_answers_cite_the_files_text(text, data, lang):
    doc = as_document(text)
    chunks = [c for c in chunk_document(doc) if c.sentences]
    assume(chunks)
    picked = data.draw(st.lists(st.sampled_from(chunks), min_size=1, max_size=3, unique_by=lambda c: c.id))
    question = data.draw(st.text(max_size=60))
    groups = []
    for c in picked:
        idx = data.draw(st.sets(st.integers(0, len(c.sentences) - 1), min_size=1))
        groups.append((c, expand(c, idx, set(tokenize(question, lang)), set(tokenize(c.title)))))
    answer, citations, marks = build_answer_text(groups, lang)
    assert [c.n for c in citations] == list(range(1, len(groups) + 1))
    for cit, (chunk, idx) in zip(citations, groups):
        assert idx == sorted(set(idx)) and 0 <= idx[0] and idx[-1] < len(chunk.sentences)
        assert 0 <= cit.passage_start <= cit.start < cit.end <= cit.passage_end <= len(text)
        assert text[cit.passage_start:cit.passage_end] == chunk.text
        assert (cit.start, cit.end) == (chunk.sentences[idx[0]].start, chunk.sentences[idx[-1]].end)
        assert f"{cit.text} [{cit.n}]" in answer
        for i in idx:  # every quoted sentence is in the answer as the file has it (whitespace cleaned)
            s = chunk.sentences[i]
            assert s.text in cit.text
            assert chunk.kind == "statistic" or s.text == clean(text[s.start:s.end])
        assert all(cit.passage_start <= a < b <= cit.passage_end for a, b in marks[chunk.id])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_a_cut_quote_is_the_start_of_its_sentence_and_cites_the_files_text_up_to_the_cut(text, data):
    doc = as_document(text)
    chunks = [c for c in chunk_document(doc) if c.sentences and c.kind != "statistic"]  # "label: figure" is no cut
    assume(chunks)
    chunk = data.draw(st.sampled_from(chunks))
    idx = sorted(data.draw(st.sets(st.integers(0, len(chunk.sentences) - 1), min_size=1)))
    words = data.draw(st.sets(st.sampled_from(["which", "and", "the", "of", "a", "x"]), max_size=3))
    answer, (cit,), marks = build_answer_text([(chunk, idx)], "en", lambda clause: any(w in clause for w in words))
    for i, (a, b) in zip(idx, marks[chunk.id]):
        s = chunk.sentences[i]
        assert a == s.start and a < b <= s.end
        quoted = clean(text[a:b])
        assert s.text.startswith(quoted) and quoted in cit.text
        assert b == s.end or cit.text.count(quoted + " …") >= 1  # a cut is marked
    assert cit.end == marks[chunk.id][-1][1]


# ------------------------------------------------------------------ the whole question path


turn = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=200)}),
    st.fixed_dictionaries({"role": st.one_of(st.none(), st.text(max_size=5)),
                           "content": st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=2))}),
    st.text(max_size=5), st.none(), st.integers())
questions = st.one_of(st.text(max_size=300), st.sampled_from(SHAPED_LINES + PROFILE_LINES[:40]),
                      st.binary(max_size=40), st.none(), st.integers())
INPUT_MESSAGES = ("Please type a question.", "The question must be text.",
                  "The question is not valid UTF-8 text; type it again as plain text.")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(questions, st.one_of(st.lists(turn, max_size=6), st.text(max_size=5), st.none(), st.integers()))
@example("And how many students benefited?", [{"role": "user", "content": "x" * 100_000}])
@example("\ud800 age of consent", [])
@example("and then?", [{"role": "user", "content": 5}, {"role": "user", "content": None}, "x"])
def test_any_question_and_history_get_an_answer_or_a_message(tiny_project, question, history):
    """Through the whole path (hash encoders stand in for the models): either one of the
    input messages, or an answer whose citations are the file's text."""
    import json

    from qa.assistant import Assistant
    from qa.index import load_index

    assistant = getattr(tiny_project, "_assistant", None)
    if assistant is None:
        assistant = Assistant(tiny_project, load_index(tiny_project, auto_build=True, progress=False), progress=False)
        object.__setattr__(tiny_project, "_assistant", assistant)
    try:
        a = assistant.ask(question, history)
    except InputError as exc:
        assert str(exc) in INPUT_MESSAGES or str(exc).startswith("The question is "), str(exc)
        return
    assert a.kind in ("answer", "declined", "greeting")
    json.dumps(a.to_dict())
    for c in a.citations:
        text = assistant.index.docs[c.doc].text
        assert 0 <= c.passage_start <= c.start < c.end <= c.passage_end <= len(text)
        # the cited span holds the quote up to its first gap: another sentence left out, or a cut clause
        assert clean(text[c.start:c.end]).startswith(c.text.split(" … ")[0].removesuffix(" …").split(": ")[0])
