"""The interaction log on a real SQLite file: records, migrations, concurrent writers,
ratings, filters, purge, exports, and the chat's writer when the file cannot be written."""

import csv
import hashlib
import io
import json
import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from qa.answer import Answer, Citation
from qa.config import Settings
from qa.corpus import Chunk
from qa.errors import StoreBusyError, StoreError
from qa.retrieve import Hit
from qa.store import (MIGRATIONS, Filter, Interaction, Recorder, Store, export_text, interaction_from_answer,
                      manifest_hash, migrate, new_id, stamp)

from .conftest import PROFILE

TEXT = PROFILE.read_text(encoding="utf-8")
CONSENT = "The age of consent in Mexico is fifteen years of age"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def consent_answer(question="What is the age of consent in Mexico?", kind="answer") -> Answer:
    a = TEXT.index(CONSENT)
    chunk = Chunk("c1", "mexico.txt", "Legislation", "paragraph", a - 10, a + 148, TEXT[a - 10:a + 148])
    other = Chunk("c2", "mexico.txt", "Penal code", "article", 28713, 29826, TEXT[28713:29826])
    cites = (Citation(1, "mexico.txt", a, a + len(CONSENT), "Legislation", CONSENT, "c1", a - 10, a + 148),)
    answered = kind == "answer"
    return Answer(question, (CONSENT + ". [1]") if answered else "The profile does not say.", answered, "en",
                  cites if answered else (), (Hit(chunk, 0.136, 0), Hit(other, 0.11, 1)), 0.75, "hybrid",
                  question, 42.5, kind)


def record(question="What is the age of consent in Mexico?", when=T0, kind="answer", lang="en",
           conversation="conv1", history_len=0) -> Interaction:
    ans = consent_answer(question, kind)
    ans = Answer(**{**ans.__dict__, "lang": lang})
    return interaction_from_answer(ans, history_len=history_len, conversation_id=conversation,
                                   doc_texts={"mexico.txt": TEXT}, index_hash="abc123", moment=when)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "log.db")


def test_an_answer_is_logged_with_what_staff_need_and_nothing_about_the_person(store):
    it = record(history_len=2)
    store.log(it)
    got = store.get(it.id).interaction
    assert got == it
    assert (got.question, got.history_len, got.lang, got.answered, got.kind, got.mode) == (
        "What is the age of consent in Mexico?", 2, "en", True, "answer", "hybrid")
    assert (got.latency_ms, got.confidence, got.index_hash, got.app_version) == (42.5, 0.75, "abc123", "0.1.0")
    assert got.created_at == "2026-03-01T12:00:00.000000Z"
    c = got.citations[0]
    assert TEXT[c.start:c.end] == CONSENT
    assert c.text_hash == hashlib.sha256(CONSENT.encode()).hexdigest()
    assert [(p.section, p.score) for p in got.passages] == [("Legislation", 0.136), ("Penal code", 0.11)]
    db = sqlite3.connect(store.path)
    columns = {r[1] for r in db.execute("PRAGMA table_info(interactions)")}
    assert columns == {"id", "created_at", "conversation_id", "question", "history_len", "lang", "answer", "answered",
                       "kind", "mode", "latency_ms", "index_hash", "app_version", "confidence", "top_passages"}


def test_ids_are_random_and_the_manifest_hash_ignores_build_time():
    assert len({new_id() for _ in range(1000)}) == 1000
    m = {"corpus_hash": "x", "files": {"a": "1"}, "built_at": "2026-01-01", "build_seconds": 3.2}
    assert manifest_hash(m) == manifest_hash({**m, "built_at": "2027-05-05", "build_seconds": 9.9})
    assert manifest_hash(m) != manifest_hash({**m, "corpus_hash": "y"})


def test_concurrent_writers_from_several_threads_lose_no_rows(tmp_path):
    path = tmp_path / "log.db"
    shared = Store(path)
    errors, ids = [], [[] for _ in range(8)]

    def writer(n):
        s = shared if n % 2 else Store(path)  # one shared store and separate ones, as separate processes would
        try:
            for i in range(40):
                it = record(f"question {n}-{i}", conversation=f"c{n}")
                s.log(it)
                s.rate(it.id, "up" if i % 2 else "down", f"comment {n}-{i}")
                ids[n].append(it.id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert shared.count() == 320
    assert shared.count(Filter(rating="up")) == 160 and shared.count(Filter(rating="down")) == 160
    stored = {e.interaction.id: e for e in shared.search()}
    assert set(stored) == {i for row in ids for i in row}
    assert stored[ids[3][5]].interaction.question == "question 3-5"
    assert stored[ids[3][5]].rating.comment == "comment 3-5"
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM citations").fetchone()[0] == 320


def test_a_file_from_an_older_version_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "log.db"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, upto="m003_ratings") == ["m001_interactions", "m002_citations", "m003_ratings"]
    db.execute("INSERT INTO interactions VALUES ('old1', '2025-01-02T03:04:05.000000Z', 'c', 'Who runs Clic Seguro?', "
               "0, 'en', 'Clic Seguro is run by ... [1]', 1, 'answer', 'bm25', 12.0, 'h0', '0.0.9')")
    db.execute("INSERT INTO ratings VALUES ('old1', -1, 'wrong', '2025-01-02T03:05:00.000000Z')")
    db.close()

    store = Store(path)
    entry = store.get("old1")
    assert store.migrations() == [name for name, _ in MIGRATIONS]
    assert entry.interaction.question == "Who runs Clic Seguro?"
    assert (entry.interaction.confidence, entry.interaction.passages) == (0.0, ())  # columns added by m004
    assert (entry.rating.rating, entry.rating.comment) == (-1, "wrong")
    assert entry.review is None
    store.review("old1", "wrong_answer", "names the wrong agency", "alice")  # a table added by m005
    assert store.get("old1").review.verdict == "wrong_answer"
    assert migrate(sqlite3.connect(path, isolation_level=None)) == []  # nothing left to apply


def test_ratings_round_trip_a_comment_stays_with_its_rating(store):
    it = record()
    store.log(it)
    store.rate(it.id, "down")
    store.rate(it.id, None, "  the answer is about marriage  ")
    r = store.get(it.id).rating
    assert (r.rating, r.comment) == (-1, "the answer is about marriage")
    store.rate(it.id, "up")  # changing the thumb keeps the comment
    r = store.get(it.id).rating
    assert (r.rating, r.comment) == (1, "the answer is about marriage")
    store.rate(it.id, None)  # clicked off
    assert store.get(it.id).rating is None
    with pytest.raises(StoreError, match="rate the answer .* before adding a comment"):
        store.rate(it.id, None, "no thumb")
    with pytest.raises(StoreError, match="no logged answer has id 'nope'"):
        store.rate("nope", "up")
    with pytest.raises(StoreError, match="the limit is 500"):
        store.rate(it.id, "up", "x" * 501)
    with pytest.raises(StoreError, match="unknown verdict 'meh'"):
        store.review(it.id, "meh", "", "alice")


def log_four(store: Store) -> tuple[Interaction, ...]:
    """Four answers on four days: English, Spanish, declined, English; rated and reviewed."""
    a = record("What is the age of consent in Mexico?", T0)
    b = record("¿Dónde denuncio contenido ilegal?", T0 + timedelta(days=1), lang="es")
    c = record("What is the population of Guatemala?", T0 + timedelta(days=2), kind="declined")
    d = record("How many laptops did Sonora get?", T0 + timedelta(days=3))
    for it in (a, b, c, d):
        store.log(it)
    store.rate(a.id, "down", "Too SHORT")
    store.rate(c.id, "down")
    store.rate(d.id, "up")
    store.review(a.id, "wrong_answer", "cites marriage age", "alice")
    return a, b, c, d


def test_filters_select_exactly_the_matching_answers(store):
    a, b, c, d = log_four(store)

    def ids(**kw):
        return [e.interaction.id for e in store.search(Filter(**kw))]

    assert ids() == [d.id, c.id, b.id, a.id]  # newest first
    assert ids(since=date(2026, 3, 2), until=date(2026, 3, 3)) == [c.id, b.id]
    assert ids(rating="down") == [c.id, a.id] and ids(rating="up") == [d.id]
    assert ids(rating="none") == [b.id] and ids(rating="rated") == [d.id, c.id, a.id]
    assert ids(declined=True) == [c.id] and ids(declined=False) == [d.id, b.id, a.id]
    assert ids(lang="es") == [b.id]
    assert ids(unreviewed=True) == [d.id, c.id, b.id]
    assert ids(verdict="wrong_answer") == [a.id]
    assert ids(text="DENUNCIO") == [b.id]  # case and accents ignored
    assert ids(text="too short") == [a.id]  # the user's comment is searched
    assert ids(text="marriage age") == [a.id]  # and the staff note
    assert ids(limit=2, offset=1) == [c.id, b.id]
    assert store.count(Filter(unreviewed=True, rating="down")) == 1
    f = Filter.parse({"since": "2026-03-02", "rating": "up", "declined": "declined", "unreviewed": "1", "q": "x"})
    assert (f.since, f.rating, f.declined, f.unreviewed, f.text) == (date(2026, 3, 2), "up", True, True, "x")
    assert Filter.parse(f.query()) == f
    with pytest.raises(StoreError, match="'yesterday' is not a date: use YYYY-MM-DD"):
        Filter.parse({"since": "yesterday"})


def test_purge_deletes_old_answers_with_their_ratings_and_citations(store):
    old, new = record("old", T0 - timedelta(days=40)), record("new", T0 - timedelta(days=5))
    for it in (old, new):
        store.log(it)
        store.rate(it.id, "up")
    assert store.purge(30, moment=T0) == 1
    assert [e.interaction.question for e in store.search()] == ["new"]
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM citations").fetchone()[0] == 1


def test_exports_csv_and_jsonl(store):
    it = record("=HYPERLINK(\"http://evil\") what?")
    store.log(it)
    store.rate(it.id, "down", "@wrong")
    store.review(it.id, "wrong_citation", "", "alice")
    entries = store.search()
    rows = list(csv.DictReader(io.StringIO(export_text(entries, "csv"))))
    assert len(rows) == 1
    row = rows[0]
    # user text cannot become a spreadsheet formula
    assert row["question"] == "'=HYPERLINK(\"http://evil\") what?" and row["comment"] == "'@wrong"
    assert (row["id"], row["rating"], row["verdict"], row["lang"], row["answered"]) == (
        it.id, "down", "wrong_citation", "en", "True")
    cites = json.loads(row["citations"])
    assert [(c["doc"], c["start"], c["end"]) for c in cites] == [(c.doc, c.start, c.end) for c in it.citations]
    lines = export_text(entries, "jsonl").splitlines()
    obj = json.loads(lines[0])
    assert len(lines) == 1 and obj["question"] == it.question and obj["comment"] == "@wrong"
    assert obj["citations"][0]["text_hash"] == it.citations[0].text_hash
    with pytest.raises(StoreError, match="unknown export format 'xml'"):
        export_text(entries, "xml")


def test_logging_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_LOG", "0")
    monkeypatch.setenv("QA_LOG_RETENTION_DAYS", "30")
    s = Settings.from_env()
    assert (s.log_enabled, s.log_retention_days) == (False, 30)
    assert s.data_dir == tmp_path / "home"
    assert Recorder.from_settings(s) is None
    monkeypatch.setenv("QA_LOG", "1")
    rec = Recorder.from_settings(Settings.from_env())
    assert rec.store.path == tmp_path / "home" / "log.db" and rec.retention_days == 30
    rec.close()


def test_the_retention_setting_purges_old_answers(store):
    store.log(record("old", now_minus(days=10)))
    store.log(record("recent", now_minus(days=1)))
    rec = Recorder(store, retention_days=7)
    rec.flush()
    rec.close()
    assert [e.interaction.question for e in store.search()] == ["recent"]


def now_minus(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


# ------------------------------------------------------------------ failures the chat must survive


class Lock:
    """Another program holding the write lock on the log."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("BEGIN EXCLUSIVE")

    def release(self):
        self.db.execute("COMMIT")
        self.db.close()


def test_a_locked_log_keeps_writes_in_order_and_saves_them_when_it_frees(tmp_path):
    store = Store(tmp_path / "log.db", timeout=0.1)
    store.migrations()  # create the file
    reports = []
    rec = Recorder(store, retry_pause=0.05, max_pause=0.1, report=reports.append)
    lock = Lock(store.path)
    it = record()
    rec.log(it)
    outcome = rec.rate(it.id, "down", "wrong year")
    assert outcome.status == "queued" and "kept" in outcome.message
    assert rec.pending == 2
    assert reports[0].startswith(f"cannot log an answer in {store.path} (database is locked)")
    lock.release()
    assert rec.flush(5)
    entry = store.get(it.id)
    assert (entry.rating.rating, entry.rating.comment) == (-1, "wrong year")  # the rating followed its answer
    assert any("writable again" in r for r in reports)
    assert rec.close() == 0


def test_a_read_only_log_never_drops_a_write(tmp_path, monkeypatch):
    store = Store(tmp_path / "log.db", timeout=0.1)
    store.migrations()
    real_open = Store._open

    def read_only(self):
        db = real_open(self)
        db.execute("PRAGMA query_only = 1")  # SQLite then refuses writes as SQLITE_READONLY
        return db

    monkeypatch.setattr(Store, "_open", read_only)
    with pytest.raises(StoreBusyError, match=f"make {tmp_path} writable"):
        store.log(record())
    reports = []
    rec = Recorder(store, retry_pause=0.05, max_pause=0.1, report=reports.append)
    it = record()
    rec.log(it)
    assert rec.rate(it.id, "up").status == "queued"
    assert rec.flush(0.3) is False and rec.pending == 2
    monkeypatch.setattr(Store, "_open", real_open)  # the disk is writable again
    assert rec.flush(5)
    assert store.get(it.id).rating.rating == 1
    rec.close()


def test_closing_with_writes_that_still_fail_reports_them(tmp_path):
    store = Store(tmp_path / "log.db", timeout=0.05)
    store.migrations()
    reports = []
    rec = Recorder(store, retry_pause=0.05, max_pause=0.1, report=reports.append)
    lock = Lock(store.path)
    rec.log(record())
    assert rec.close(timeout=0.3) == 1
    assert reports[-1] == f"1 log write(s) could not be saved to {store.path}: check that {tmp_path} is writable"
    lock.release()


def test_a_rating_for_an_unknown_answer_is_refused_not_queued(tmp_path):
    rec = Recorder(Store(tmp_path / "log.db"), report=lambda m: None)
    outcome = rec.rate("0123456789abcdef", "up")
    assert outcome.status == "refused" and "no logged answer has id '0123456789abcdef'" in outcome.message
    assert rec.pending == 0
    rec.close()


def test_stamps_sort_as_time():
    a, b = stamp(T0), stamp(T0 + timedelta(microseconds=1))
    assert a < b and a == "2026-03-01T12:00:00.000000Z"
