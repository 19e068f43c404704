import json

import pytest

from qa.errors import EvalSetError, QAError
from qa.evalset import load_set
from qa.evaluate import (Record, contains_alias, covers, occurrences, parse_floors, retrieval_scores,
                         score_records, supports)
from qa.evalset import Item

from .conftest import ROOT


def test_alias_match_ignores_case_accents_and_thousands_separators():
    assert contains_alias("Nearly 4500 students", ["4,500"])
    assert contains_alias("La edad es QUINCE", ["quince"])
    assert contains_alias("Programa de Inclusion Digital", ["Inclusión Digital"])
    assert not contains_alias("fifteen years", ["eighteen"])


def test_alias_match_ignores_the_quote_style():
    assert contains_alias("Safer Internet day doesn’t have a formal SID Committee", ["doesn't have"])
    assert contains_alias("the project “Plaza del conocimiento”", ['"Plaza del conocimiento"'])
    assert not contains_alias("Safer Internet day doesn’t have a formal SID Committee", ["does have"])


def test_coverage_needs_half_the_evidence():
    occ = [(100, 140)]
    assert covers((0, 120), occ)  # holds 20 of 40
    assert not covers((0, 119), occ)


def test_citation_support_needs_20_chars_or_half_the_shorter_span():
    assert supports((0, 25), [(5, 500)])  # 20 characters
    assert supports((0, 10), [(4, 12)])  # 6 of the shorter 8
    assert not supports((0, 10), [(8, 100)])


def test_retrieval_scores_exact():
    text = "aaaa EVIDENCE-ONE bbbb EVIDENCE-TWO"
    ev = [{"d": occurrences(text, "EVIDENCE-ONE")}, {"d": occurrences(text, "EVIDENCE-TWO")}]
    ranked = [("d", 0, 4), ("d", 5, 17), ("d", 23, 35)]
    s = retrieval_scores(ranked, ev)
    assert (s["recall@1"], s["recall@2"], s["recall@3"]) == (0.0, 0.0, 1.0)
    assert s["mrr@10"] == 0.5
    assert s["ndcg@10"] == pytest.approx((1 / 1.5849625 + 1 / 2) / (1 + 1 / 1.5849625), rel=1e-6)


def _rec(item, answered, answer, cites, retrieved, conf=1.0):
    return Record(item, answered, answer, cites, retrieved, 10.0, conf, "answer", answer, cites)


def test_score_records_counts_accuracy_citations_and_refusals():
    text = "The age of consent in Mexico is fifteen years of age."
    docs = {"m.txt": text}
    a = Item("a", "age?", "en", "law", True, ("fifteen",), ("The age of consent in Mexico is fifteen",))
    u = Item("u", "Guatemala?", "en", "unanswerable", False)
    recs = [_rec(a, True, "…fifteen… [1]", [{"doc": "m.txt", "start": 0, "end": len(text)}],
                 [{"doc": "m.txt", "start": 0, "end": len(text)}]),
            _rec(u, False, "The profile does not say.", [], [])]
    m = score_records(recs, docs)
    assert (m["accuracy"], m["citation_precision"], m["citation_recall"]) == (1.0, 1.0, 1.0)
    assert (m["declined"], m["wrongly_declined"], m["recall@1"]) == (1.0, 0.0, 1.0)


def test_shipped_sets_are_valid_and_cover_the_profile():
    from qa.corpus import load_corpus
    docs = load_corpus(ROOT / "corpus")
    items = load_set(ROOT / "eval" / "dev.jsonl", docs) + load_set(ROOT / "eval" / "test.jsonl", docs)
    assert len(items) >= 150
    assert sum(i.lang == "es" for i in items) >= 30
    assert sum(not i.answerable for i in items) >= 25
    assert sum(bool(i.history) for i in items) >= 15
    assert sum(len(i.evidence) >= 2 for i in items) >= 8
    assert {i.category for i in items} == {"statistic", "timeline", "program", "organization", "research", "law",
                                            "event", "unanswerable"}


def test_validator_lists_every_bad_line(tmp_path):
    from qa.corpus import load_corpus
    docs = load_corpus(ROOT / "corpus")
    p = tmp_path / "bad.jsonl"
    good = {"id": "x1", "question": "Age of consent?", "lang": "en", "category": "law", "answerable": True,
            "answers": ["fifteen"], "evidence": ["The age of consent in Mexico is fifteen years of age"]}
    lines = [json.dumps(good), "{not json", json.dumps({**good, "id": "x2", "lang": "fr"}),
             json.dumps({**good, "id": "x3", "evidence": ["The age of consent in Mexico is sixteen years"]}),
             json.dumps({**good, "id": "x1"})]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError) as err:
        load_set(p, docs)
    assert [n for n, _ in err.value.problems] == [2, 3, 4, 5]
    msg = str(err.value)
    assert "line 3: lang 'fr' is not one of en, es" in msg
    assert "line 4: evidence 'The age of consent in Mexico is sixteen years' is not verbatim in the corpus" in msg
    assert "line 5: duplicate id 'x1'" in msg


def test_floors_parse_groups():
    assert parse_floors(["recall@5=0.95", "es.accuracy=0.8", "law.recall@5=0.9"]) == [
        ("overall", "recall@5", 0.95), ("lang:es", "accuracy", 0.8), ("category:law", "recall@5", 0.9)]
    with pytest.raises(QAError, match="METRIC=VALUE"):
        parse_floors(["recall=0.9"])
