"""The interaction log: every answer the chat gives, the users' ratings, the staff's
verdicts and the benchmark items promoted from them, in one SQLite file
(``data_dir/log.db``; ``QA_HOME`` moves the folder).

The schema is a list of small named migrations applied in order on first use and
recorded in ``_migrations`` (the pattern of simonw/llm's ``migrations.py``): a file
written by an older version gets the newer steps and keeps its rows.

What is stored is what staff need to judge an answer and nothing about the person:
no IP address, no browser details. Each cited span keeps a hash of the profile text it
pointed at, so a later corpus change shows up as a mismatch instead of a wrong quote.

:class:`Store` raises :class:`~qa.errors.StoreError`; a write that may succeed later
(database locked, file read-only, disk full) raises :class:`~qa.errors.StoreBusyError`.
:class:`Recorder` is what the chat uses: it never raises, keeps failed writes in order
and retries them, and says what happened.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import queue
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from . import __version__
from .errors import StoreBusyError, StoreError, UnknownAnswerError
from .text import fold

LOG_FILE = "log.db"
RATINGS = {"up": 1, "down": -1}
RATING_FILTERS = ("any", "up", "down", "rated", "none")
VERDICTS = {
    "correct": "correct",
    "wrong_answer": "wrong answer",
    "wrong_citation": "wrong citation",
    "should_have_declined": "should have declined",
    "should_have_answered": "should have answered",
}
MAX_COMMENT_CHARS = 500
MAX_NOTE_CHARS = 2000
TOP_PASSAGES = 5  # retrieved passages kept per answer (their scores and spans)
EXPORT_FORMATS = ("csv", "jsonl")

# SQLite result codes a later attempt can get past (https://sqlite.org/rescode.html):
# BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
_BUSY = frozenset({5, 6})  # another connection holds the file
_RETRYABLE = _BUSY | {8, 10, 13, 14}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in SQL."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """A random id: unguessable, so knowing one answer's id says nothing about another's."""
    return secrets.token_hex(8)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_hash(manifest: Mapping) -> str:
    """Which index answered: the manifest without its build time, so rebuilding the same
    corpus with the same models gives the same hash."""
    kept = {k: v for k, v in manifest.items() if k not in ("built_at", "build_seconds")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class LoggedCitation:
    n: int
    doc: str
    start: int
    end: int
    passage_start: int
    passage_end: int
    section: str
    text_hash: str  # sha256 of the profile's text at [start:end] when the answer was given


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as logged: where it is and how it scored."""
    doc: str
    start: int
    end: int
    section: str
    score: float


@dataclass(frozen=True)
class Interaction:
    id: str
    created_at: str
    conversation_id: str
    question: str
    history_len: int
    lang: str
    answer: str
    answered: bool
    kind: str  # answer | declined | greeting
    mode: str
    confidence: float
    latency_ms: float
    index_hash: str
    app_version: str
    citations: tuple[LoggedCitation, ...] = ()
    passages: tuple[Passage, ...] = ()  # the top retrieved passages with their scores


@dataclass(frozen=True)
class Rating:
    rating: int  # +1 thumbs up, -1 thumbs down
    comment: str
    rated_at: str


@dataclass(frozen=True)
class Review:
    verdict: str
    note: str
    reviewer: str
    reviewed_at: str


@dataclass(frozen=True)
class Promotion:
    item_id: str
    set_path: str
    promoted_by: str
    promoted_at: str


@dataclass(frozen=True)
class Entry:
    """One logged answer with what users and staff said about it."""
    interaction: Interaction
    rating: Rating | None = None
    review: Review | None = None
    promotions: tuple[Promotion, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self.interaction)
        d["rating"] = None if self.rating is None else ("up" if self.rating.rating > 0 else "down")
        d["comment"] = self.rating.comment if self.rating else ""
        d["rated_at"] = self.rating.rated_at if self.rating else ""
        d["verdict"] = self.review.verdict if self.review else ""
        d["note"] = self.review.note if self.review else ""
        d["reviewer"] = self.review.reviewer if self.review else ""
        d["reviewed_at"] = self.review.reviewed_at if self.review else ""
        d["promoted_as"] = [p.item_id for p in self.promotions]
        return d


def interaction_from_answer(answer, *, history_len: int, conversation_id: str, doc_texts: Mapping[str, str],
                            index_hash: str, moment: datetime | None = None,
                            interaction_id: str | None = None) -> Interaction:
    """The log record of an :class:`~qa.answer.Answer` (pure: no I/O)."""
    cites = tuple(
        LoggedCitation(c.n, c.doc, c.start, c.end, c.passage_start, c.passage_end, c.section,
                       text_hash(doc_texts[c.doc][c.start:c.end]) if c.doc in doc_texts else "")
        for c in answer.citations)
    passages = tuple(Passage(h.chunk.doc, h.chunk.start, h.chunk.end, h.chunk.section, round(float(h.score), 6))
                     for h in answer.hits[:TOP_PASSAGES])
    return Interaction(
        id=interaction_id or new_id(), created_at=stamp(moment or now_utc()), conversation_id=conversation_id,
        question=answer.question, history_len=history_len, lang=answer.lang, answer=answer.text,
        answered=bool(answer.answered), kind=answer.kind, mode=answer.mode,
        confidence=round(float(answer.confidence), 4), latency_ms=round(float(answer.latency_ms), 2),
        index_hash=index_hash, app_version=__version__, citations=cites, passages=passages)


# ------------------------------------------------------------------ migrations

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]):
    """Register a schema step. Steps run in the order they are defined, each once per file."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_interactions(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE interactions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        question TEXT NOT NULL,
        history_len INTEGER NOT NULL,
        lang TEXT NOT NULL,
        answer TEXT NOT NULL,
        answered INTEGER NOT NULL,
        kind TEXT NOT NULL,
        mode TEXT NOT NULL,
        latency_ms REAL NOT NULL,
        index_hash TEXT NOT NULL,
        app_version TEXT NOT NULL)""")


@migration
def m002_citations(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE citations (
        interaction_id TEXT NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        doc TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        passage_start INTEGER NOT NULL,
        passage_end INTEGER NOT NULL,
        section TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        PRIMARY KEY (interaction_id, n))""")


@migration
def m003_ratings(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE ratings (
        interaction_id TEXT PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
        rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
        comment TEXT NOT NULL DEFAULT '',
        rated_at TEXT NOT NULL)""")


@migration
def m004_scores(db: sqlite3.Connection) -> None:
    # the answer's confidence and its top retrieved passages, for judging declines
    db.execute("ALTER TABLE interactions ADD COLUMN confidence REAL NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE interactions ADD COLUMN top_passages TEXT NOT NULL DEFAULT '[]'")


@migration
def m005_reviews(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE reviews (
        interaction_id TEXT PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
        verdict TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL)""")


@migration
def m006_time_indexes(db: sqlite3.Connection) -> None:
    # date-range filters, purges and conversation order all read by time
    db.execute("CREATE INDEX interactions_created ON interactions(created_at)")
    db.execute("CREATE INDEX interactions_conversation ON interactions(conversation_id, created_at)")


@migration
def m007_promotions(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE promotions (
        item_id TEXT NOT NULL,
        set_path TEXT NOT NULL,
        interaction_id TEXT NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
        promoted_by TEXT NOT NULL,
        promoted_at TEXT NOT NULL,
        PRIMARY KEY (set_path, item_id))""")


def migrate(db: sqlite3.Connection, upto: str | None = None) -> list[str]:
    """Apply the steps this file lacks, in order, in one transaction; return their names.
    ``upto`` stops after that step (to build an older file in tests)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in db.execute("SELECT name FROM _migrations")}
        applied = []
        for name, fn in MIGRATIONS:
            if name not in done:
                fn(db)
                db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, stamp(now_utc())))
                applied.append(name)
            if name == upto:
                break
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return applied


# ------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filter:
    """Which entries to list or export. Dates are inclusive, in UTC."""
    since: date | None = None
    until: date | None = None
    rating: str = "any"  # one of RATING_FILTERS
    declined: bool | None = None  # True: declined only; False: everything else
    lang: str = ""
    unreviewed: bool = False
    verdict: str = ""
    text: str = ""  # in the question, answer, comment or note; case and accents ignored
    limit: int | None = None
    offset: int = 0

    def __post_init__(self):
        if self.rating not in RATING_FILTERS:
            raise StoreError(f"unknown rating filter {self.rating!r}: use one of {', '.join(RATING_FILTERS)}")
        if self.verdict and self.verdict not in VERDICTS:
            raise StoreError(f"unknown verdict {self.verdict!r}: use one of {', '.join(VERDICTS)}")

    @classmethod
    def parse(cls, q: Mapping[str, str], limit: int | None = None) -> "Filter":
        """From query-string values as a form sends them (empty means 'any')."""
        def day(key):
            raw = (q.get(key) or "").strip()
            try:
                return date.fromisoformat(raw) if raw else None
            except ValueError as exc:
                raise StoreError(f"{key} {raw!r} is not a date: use YYYY-MM-DD") from exc

        declined = {"declined": True, "answered": False}.get(q.get("declined") or "")
        try:
            offset = max(0, int(q.get("offset") or 0))
        except ValueError as exc:
            raise StoreError("offset must be a whole number") from exc
        return cls(since=day("since"), until=day("until"), rating=q.get("rating") or "any", declined=declined,
                   lang=(q.get("lang") or "").strip(), unreviewed=(q.get("unreviewed") or "") in ("1", "on", "true"),
                   verdict=q.get("verdict") or "", text=(q.get("q") or "").strip(), limit=limit, offset=offset)

    def query(self) -> dict[str, str]:
        """The inverse of :meth:`parse`: the non-default fields as query-string values."""
        out = {"since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else "",
               "rating": "" if self.rating == "any" else self.rating,
               "declined": {True: "declined", False: "answered", None: ""}[self.declined],
               "lang": self.lang, "unreviewed": "1" if self.unreviewed else "", "verdict": self.verdict,
               "q": self.text}
        return {k: v for k, v in out.items() if v}


def where_clause(f: Filter) -> tuple[str, list]:
    """SQL conditions for a filter, over ``interactions i`` left-joined to ``ratings r`` and ``reviews v``."""
    cond, args = [], []
    if f.since:
        cond.append("i.created_at >= ?")
        args.append(f.since.isoformat())
    if f.until:
        cond.append("i.created_at < ?")
        args.append((f.until + timedelta(days=1)).isoformat())
    if f.rating in RATINGS:
        cond.append("r.rating = ?")
        args.append(RATINGS[f.rating])
    elif f.rating == "none":
        cond.append("r.rating IS NULL")
    elif f.rating == "rated":
        cond.append("r.rating IS NOT NULL")
    if f.declined is True:
        cond.append("i.kind = 'declined'")
    elif f.declined is False:
        cond.append("i.kind != 'declined'")
    if f.lang:
        cond.append("i.lang = ?")
        args.append(f.lang)
    if f.unreviewed:
        cond.append("v.verdict IS NULL")
    if f.verdict:
        cond.append("v.verdict = ?")
        args.append(f.verdict)
    if f.text:
        cond.append("instr(qa_fold(i.question || ' ' || i.answer || ' ' || coalesce(r.comment, '') || ' ' "
                    "|| coalesce(v.note, '')), ?) > 0")
        args.append(fold(f.text))
    return (" WHERE " + " AND ".join(cond)) if cond else "", args


# ------------------------------------------------------------------ the store


def _classify(exc: Exception, path: Path, doing: str) -> StoreError:
    """A library error with the cause and what to do, retryable or not."""
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"cannot {doing}: {exc}")
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, OSError) or (code is not None and code & 0xFF in _RETRYABLE):
        why = str(getattr(exc, "strerror", None) or exc)
        busy = "another program is writing to it; try again in a moment"
        hint = {5: busy, 6: busy, 8: f"make {path.parent} writable", 13: "free some disk space"}.get(
            (code or 0) & 0xFF, f"check that {path.parent} is writable")
        return StoreBusyError(f"cannot {doing} in {path} ({why}): {hint}")
    return StoreError(f"cannot {doing} in {path}: {exc}")


class Store:
    """The SQLite log. Safe to share between threads: each call opens its own connection,
    and writes take the write lock up front (``BEGIN IMMEDIATE``) so concurrent writers
    wait their turn (up to ``timeout`` seconds) instead of failing halfway."""

    def __init__(self, path: Path | str, timeout: float = 10.0):
        self.path = Path(path)
        self.timeout = timeout
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, **kwargs) -> "Store":
        return cls(Path(settings.data_dir) / LOG_FILE, **kwargs)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        # with WAL, NORMAL never corrupts the file; a power cut may lose the last answers logged
        db.execute("PRAGMA synchronous = NORMAL")
        db.create_function("qa_fold", 1, fold, deterministic=True)
        return db

    @contextmanager
    def _db(self, doing: str, write: bool = False):
        try:
            if not self._ready:
                self._prepare()
            db = self._open()
        except (sqlite3.Error, OSError) as exc:
            raise _classify(exc, self.path, doing) from exc
        try:
            if write:
                db.execute("BEGIN IMMEDIATE")
            yield db
            if write:
                db.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise _classify(exc, self.path, doing) from exc
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _use_wal(self, db: sqlite3.Connection) -> None:
        """Switch the file to WAL once. SQLite answers "locked" at once, without waiting,
        when another connection opens the file meanwhile: wait for it here, up to ``timeout``."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in _BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _prepare(self) -> None:
        with self._ready_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._open()
            try:
                # WAL: readers (the staff page, exports) never block the chat's writes
                self._use_wal(db)
                migrate(db)
            finally:
                db.close()
            self._ready = True

    def migrations(self) -> list[str]:
        with self._db("read the schema") as db:
            return [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]

    # -------------------------------------------------------------- writes

    def log(self, it: Interaction) -> str:
        """Store one answer with its citations; return its id."""
        with self._db("log an answer", write=True) as db:
            db.execute(
                "INSERT INTO interactions (id, created_at, conversation_id, question, history_len, lang, answer, "
                "answered, kind, mode, latency_ms, index_hash, app_version, confidence, top_passages) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (it.id, it.created_at, it.conversation_id, it.question, it.history_len, it.lang, it.answer,
                 int(it.answered), it.kind, it.mode, it.latency_ms, it.index_hash, it.app_version, it.confidence,
                 json.dumps([asdict(p) for p in it.passages], ensure_ascii=False)))
            db.executemany(
                'INSERT INTO citations (interaction_id, n, doc, start, "end", passage_start, passage_end, section, '
                "text_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(it.id, c.n, c.doc, c.start, c.end, c.passage_start, c.passage_end, c.section, c.text_hash)
                 for c in it.citations])
        return it.id

    def rate(self, interaction_id: str, rating: str | None, comment: str | None = None,
             moment: datetime | None = None) -> None:
        """Set (``"up"``/``"down"``), clear (``None``) or comment on a user's rating of an answer.
        A comment alone keeps the rating; a new rating keeps the comment."""
        if rating is not None and rating not in RATINGS:
            raise StoreError(f"unknown rating {rating!r}: use up or down")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise StoreError(f"the comment is {len(comment)} characters; the limit is {MAX_COMMENT_CHARS}")
        with self._db("save a rating", write=True) as db:
            self._require(db, interaction_id)
            if rating is None and comment is None:
                db.execute("DELETE FROM ratings WHERE interaction_id = ?", (interaction_id,))
                return
            if rating is None:
                cur = db.execute("UPDATE ratings SET comment = ? WHERE interaction_id = ?",
                                 (comment.strip(), interaction_id))
                if cur.rowcount == 0:
                    raise StoreError("rate the answer (thumbs up or down) before adding a comment")
                return
            db.execute(
                "INSERT INTO ratings (interaction_id, rating, comment, rated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (interaction_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at"
                + (", comment = excluded.comment" if comment is not None else ""),
                (interaction_id, RATINGS[rating], (comment or "").strip(), stamp(moment or now_utc())))

    def review(self, interaction_id: str, verdict: str, note: str, reviewer: str,
               moment: datetime | None = None) -> Review:
        """Record (or replace) the staff verdict on an answer."""
        if verdict not in VERDICTS:
            raise StoreError(f"unknown verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
        if len(note) > MAX_NOTE_CHARS:
            raise StoreError(f"the note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}")
        r = Review(verdict, note.strip(), reviewer, stamp(moment or now_utc()))
        with self._db("save a verdict", write=True) as db:
            self._require(db, interaction_id)
            db.execute("INSERT INTO reviews (interaction_id, verdict, note, reviewer, reviewed_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (interaction_id) DO UPDATE SET verdict = excluded.verdict, note = excluded.note, "
                       "reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at",
                       (interaction_id, r.verdict, r.note, r.reviewer, r.reviewed_at))
        return r

    def add_promotion(self, interaction_id: str, p: Promotion) -> None:
        with self._db("record a promotion", write=True) as db:
            self._require(db, interaction_id)
            db.execute("INSERT INTO promotions (item_id, set_path, interaction_id, promoted_by, promoted_at) "
                       "VALUES (?, ?, ?, ?, ?)", (p.item_id, p.set_path, interaction_id, p.promoted_by, p.promoted_at))

    def purge(self, older_than_days: int, moment: datetime | None = None) -> int:
        """Delete answers (with their citations, ratings, verdicts) older than N days; return how many."""
        if older_than_days < 0:
            raise StoreError("--older-than must be 0 or more days")
        cutoff = stamp((moment or now_utc()) - timedelta(days=older_than_days))
        with self._db("purge old answers", write=True) as db:
            return db.execute("DELETE FROM interactions WHERE created_at < ?", (cutoff,)).rowcount

    @staticmethod
    def _require(db: sqlite3.Connection, interaction_id: str) -> None:
        if db.execute("SELECT 1 FROM interactions WHERE id = ?", (interaction_id,)).fetchone() is None:
            raise UnknownAnswerError(f"no logged answer has id {interaction_id!r} (it may have been purged)")

    # -------------------------------------------------------------- reads

    _SELECT = ("SELECT i.*, r.rating, r.comment, r.rated_at, v.verdict, v.note, v.reviewer, v.reviewed_at "
               "FROM interactions i LEFT JOIN ratings r ON r.interaction_id = i.id "
               "LEFT JOIN reviews v ON v.interaction_id = i.id")

    def search(self, f: Filter = Filter()) -> list[Entry]:
        """Entries matching the filter, newest first."""
        where, args = where_clause(f)
        page = ""
        if f.limit is not None:
            page = " LIMIT ? OFFSET ?"
            args = [*args, f.limit, f.offset]
        with self._db("read the log") as db:
            rows = db.execute(f"{self._SELECT}{where} ORDER BY i.created_at DESC, i.id{page}", args).fetchall()
            return self._entries(db, rows)

    def count(self, f: Filter = Filter()) -> int:
        where, args = where_clause(f)
        with self._db("read the log") as db:
            return db.execute("SELECT count(*) FROM interactions i LEFT JOIN ratings r ON r.interaction_id = i.id "
                              f"LEFT JOIN reviews v ON v.interaction_id = i.id{where}", args).fetchone()[0]

    def get(self, interaction_id: str) -> Entry:
        with self._db("read the log") as db:
            rows = db.execute(f"{self._SELECT} WHERE i.id = ?", (interaction_id,)).fetchall()
            if not rows:
                raise UnknownAnswerError(f"no logged answer has id {interaction_id!r} (it may have been purged)")
            return self._entries(db, rows)[0]

    def conversation(self, entry: Entry) -> list[Entry]:
        """The answers given earlier in the same conversation, oldest first."""
        it = entry.interaction
        with self._db("read the log") as db:
            rows = db.execute(f"{self._SELECT} WHERE i.conversation_id = ? AND i.created_at < ? "
                              "ORDER BY i.created_at", (it.conversation_id, it.created_at)).fetchall()
            return self._entries(db, rows)

    @staticmethod
    def _entries(db: sqlite3.Connection, rows) -> list[Entry]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        cites: dict[str, list[LoggedCitation]] = {}
        for c in db.execute(f'SELECT * FROM citations WHERE interaction_id IN ({marks}) ORDER BY n', ids):
            cites.setdefault(c["interaction_id"], []).append(LoggedCitation(
                c["n"], c["doc"], c["start"], c["end"], c["passage_start"], c["passage_end"], c["section"],
                c["text_hash"]))
        promos: dict[str, list[Promotion]] = {}
        for p in db.execute(f"SELECT * FROM promotions WHERE interaction_id IN ({marks}) ORDER BY promoted_at", ids):
            promos.setdefault(p["interaction_id"], []).append(
                Promotion(p["item_id"], p["set_path"], p["promoted_by"], p["promoted_at"]))
        out = []
        for r in rows:
            it = Interaction(
                r["id"], r["created_at"], r["conversation_id"], r["question"], r["history_len"], r["lang"],
                r["answer"], bool(r["answered"]), r["kind"], r["mode"], r["confidence"], r["latency_ms"],
                r["index_hash"], r["app_version"], tuple(cites.get(r["id"], ())),
                tuple(Passage(**p) for p in json.loads(r["top_passages"])))
            rating = Rating(r["rating"], r["comment"], r["rated_at"]) if r["rating"] is not None else None
            review = Review(r["verdict"], r["note"], r["reviewer"], r["reviewed_at"]) if r["verdict"] else None
            out.append(Entry(it, rating, review, tuple(promos.get(r["id"], ()))))
        return out


# ------------------------------------------------------------------ exports

EXPORT_COLUMNS = ("id", "created_at", "conversation_id", "question", "history_len", "lang", "answered", "kind",
                  "answer", "mode", "confidence", "latency_ms", "index_hash", "app_version", "rating", "comment",
                  "rated_at", "verdict", "note", "reviewer", "reviewed_at", "citations", "passages", "promoted_as")
_FREE_TEXT = ("question", "answer", "comment", "note")


def _cell(value) -> str:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def _no_formula(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ as a formula; user text never should
    (OWASP 'CSV injection'). A leading apostrophe makes it text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_text(entries: Iterable[Entry], fmt: str) -> str:
    """Entries as CSV (one row each, citations and passages as JSON text) or JSONL."""
    if fmt not in EXPORT_FORMATS:
        raise StoreError(f"unknown export format {fmt!r}: use {' or '.join(EXPORT_FORMATS)}")
    dicts = [e.to_dict() for e in entries]
    if fmt == "jsonl":
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    for d in dicts:
        w.writerow([_no_formula(_cell(d[k])) if k in _FREE_TEXT else _cell(d[k]) for k in EXPORT_COLUMNS])
    return buf.getvalue()


# ------------------------------------------------------------------ the chat's writer


@dataclass
class Outcome:
    """What happened to a write: ``saved``, ``queued`` (kept, retried in the background)
    or ``refused`` (will never succeed as it is, e.g. an unknown id)."""
    status: str
    message: str = ""

    @property
    def saved(self) -> bool:
        return self.status == "saved"


@dataclass
class _Write:
    name: str
    call: Callable[[], object]
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None


class Recorder:
    """The chat's way to write to the log without ever failing a chat turn.

    Writes go, in order, to one background thread. A write that fails for a reason that
    can pass (locked, read-only, disk full) stays at the head of the queue and is retried
    with growing pauses; everything behind it waits, so a rating is never stored before
    its answer. Each failure and each recovery is reported on standard error; callers
    that wait (ratings) are told the write is kept. Nothing is dropped: at close, writes
    that still cannot be stored are listed on standard error.
    """

    def __init__(self, store: Store, retention_days: int = 0, retry_pause: float = 0.5, max_pause: float = 30.0,
                 report: Callable[[str], None] | None = None):
        self.store = store
        self.retention_days = retention_days
        self.retry_pause, self.max_pause = retry_pause, max_pause
        self.report = report or (lambda msg: print(f"qa: {msg}", file=sys.stderr, flush=True))
        self._queue: queue.Queue[_Write | None] = queue.Queue()
        self._waiting = 0  # writes accepted and not yet stored
        self._lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()  # set when close() has waited long enough
        self._stuck = threading.Event()  # set while the write at the head of the queue keeps failing
        self._last_purge: float | None = None
        self._thread = threading.Thread(target=self._run, name="qa-log-writer", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings, **kwargs) -> "Recorder | None":
        """The recorder the settings ask for, or None when logging is off (``QA_LOG=0``)."""
        if not settings.log_enabled:
            return None
        return cls(Store.from_settings(settings, timeout=2.0), retention_days=settings.log_retention_days, **kwargs)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._waiting

    def submit(self, name: str, call: Callable[[], object]) -> _Write:
        w = _Write(name, call)
        with self._lock:
            if self._closed:
                raise StoreError("the log is closed")
            self._waiting += 1
        self._queue.put(w)
        return w

    def log(self, interaction: Interaction) -> _Write:
        """Queue an answer for the log; returns at once (the chat never waits for the disk)."""
        return self.submit("answer", lambda: self.store.log(interaction))

    def rate(self, interaction_id: str, rating: str | None, comment: str | None = None,
             wait: float = 3.0) -> Outcome:
        """Queue a rating and wait up to ``wait`` seconds to say whether it is stored or kept."""
        w = self.submit("rating", lambda: self.store.rate(interaction_id, rating, comment))
        end = time.monotonic() + wait
        while not w.done.wait(0.02):
            if self._stuck.is_set() or time.monotonic() > end:  # behind a failing write: no point waiting
                return Outcome("queued", "the log is busy; your rating is kept and will be saved shortly")
        return w.outcome

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted write is stored; False if some are still waiting."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.pending == 0:
                return True
            time.sleep(0.02)
        return self.pending == 0

    def close(self, timeout: float = 5.0) -> int:
        """Stop after storing what can be stored; return (and report) how many writes could not be."""
        with self._lock:
            if self._closed:
                return self._waiting
            self._closed = True
        self.flush(timeout)
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout=1.0)
        left = self.pending
        if left:
            self.report(f"{left} log write(s) could not be saved to {self.store.path}: "
                        f"check that {self.store.path.parent} is writable")
        return left

    def _run(self) -> None:
        self._maybe_purge()  # retention applies from start-up, then hourly
        while True:
            try:
                w = self._queue.get(timeout=60.0)
            except queue.Empty:
                self._maybe_purge()
                continue
            if w is None or self._stop.is_set():
                return
            self._write(w)
            self._maybe_purge()

    def _write(self, w: _Write) -> None:
        pause, failed = self.retry_pause, False
        while True:
            try:
                w.call()
                w.outcome = Outcome("saved")
            except StoreBusyError as exc:
                if not failed:
                    self.report(f"{exc}; {self.pending} write(s) kept in memory and retried")
                    w.outcome = Outcome("queued", f"the log cannot be written right now; your {w.name} "
                                                  "is kept and will be saved when it can")
                    w.done.set()  # the caller is told it is kept; the write itself goes on
                    self._stuck.set()
                    failed = True
                if self._stop.wait(pause):
                    return  # closing: close() reports what is left
                pause = min(pause * 2, self.max_pause)
                continue
            except StoreError as exc:
                self.report(f"a {w.name} was not logged: {exc}")
                w.outcome = Outcome("refused", str(exc))
            except Exception as exc:  # a bug must not stop the writer thread
                self.report(f"a {w.name} was not logged: unexpected {type(exc).__name__}: {exc}")
                w.outcome = Outcome("refused", f"the {w.name} could not be saved")
            with self._lock:
                self._waiting -= 1
            self._stuck.clear()
            if failed and w.outcome.saved:
                self.report(f"the log at {self.store.path} is writable again; kept writes are being saved")
            w.done.set()
            return

    def _maybe_purge(self) -> None:
        if self.retention_days <= 0 or (self._last_purge is not None
                                        and time.monotonic() - self._last_purge < 3600):
            return
        self._last_purge = time.monotonic()
        try:
            n = self.store.purge(self.retention_days)
            if n:
                self.report(f"deleted {n} logged answer(s) older than {self.retention_days} days")
        except StoreError as exc:
            self.report(f"the retention purge did not run: {exc}")
