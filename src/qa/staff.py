"""The staff review site at ``/staff``, apart from the public chat and behind a login.

Four parts, top to bottom:

- accounts: names and scrypt-hashed passwords in a JSON file (``qa staff add-user``);
  no account exists until someone adds one, and without one the site is off;
- sessions: an HMAC-signed cookie (HttpOnly, SameSite=Strict) naming the user, its
  expiry and the password it was issued under, so a password change ends old sessions;
- promotion: a reviewed answer becomes an evaluation item (the format of
  :mod:`qa.evalset`), validated against the corpus before it is written;
- the pages and the JSON API, both refusing any request without a valid session.

Every value a user or the profile supplies is escaped before it reaches a page, and
the pages carry no script at all (the Content-Security-Policy forbids it).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .config import Settings
from .corpus import Document, split_sentences
from .errors import EvalSetError, QAError, StaffError, StoreBusyError, StoreError, UnknownAnswerError
from .evalset import CATEGORIES, LANGS, Item, load_set
from .store import (EXPORT_FORMATS, VERDICTS, Entry, Filter, Promotion, Recorder, Store, export_text, now_utc,
                    stamp, text_hash)

STAFF_SET = "staff_set.jsonl"
SESSION_COOKIE = "qa_staff"
SESSION_HOURS = 8
PAGE_SIZE = 50
MIN_PASSWORD_CHARS = 8
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
OFF_MESSAGE = "the staff page is off: add an account with `qa staff add-user NAME`"

# ------------------------------------------------------------------ accounts

# scrypt (RFC 7914) at N=2**15, r=8, p=1: about 32 MiB and a tenth of a second per check.
# The cost is stored with each hash, so raising it later keeps older hashes valid.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=256 * 1024 * 1024, dklen=32)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        params, salt, digest = stored.split("$")
        kind, n, r, p = params.split(":")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=256 * 1024 * 1024, dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_hex(16))


def _read_accounts(path: Path) -> dict[str, dict]:
    """The accounts file's entries by name, checked. A missing file means no accounts."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StaffError(f"cannot read the staff accounts in {path} ({exc.strerror}): check its permissions") from exc
    try:
        users = json.loads(raw)["users"]
        if not all(isinstance(u["password"], str) for u in users.values()):
            raise TypeError("a password entry is not text")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StaffError(f"{path} is not a staff accounts file ({exc}): fix it, or delete it and run "
                         "`qa staff add-user NAME`") from exc
    return users


def load_users(path: Path) -> dict[str, str]:
    """Name -> stored password hash."""
    return {name: u["password"] for name, u in _read_accounts(path).items()}


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_users(path: Path, users: Mapping[str, dict]) -> None:
    _write_private(Path(path), json.dumps({"users": dict(users)}, indent=2, sort_keys=True) + "\n")


def add_user(path: Path, name: str, password: str, replace: bool = False) -> None:
    """Add an account (or, with ``replace``, set a new password for one)."""
    if not USER_NAME.match(name):
        raise StaffError(f"{name!r} is not a usable name: use letters, digits, '.', '_' or '-' (up to 64)")
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters")
    users = _read_accounts(path)
    if name in users and not replace:
        raise StaffError(f"{name} already has an account: pass --replace to set a new password")
    users[name] = {"password": hash_password(password), "created_at": stamp(now_utc())}
    _save_users(path, users)


def remove_user(path: Path, name: str) -> None:
    users = _read_accounts(path)
    if name not in users:
        raise StaffError(f"there is no staff account named {name!r}")
    del users[name]
    _save_users(path, users)


class Accounts:
    """The accounts file, re-read when it changes (so `qa staff add-user` needs no restart)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple | None = None
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()

    def users(self) -> dict[str, str]:
        try:
            st = self.path.stat()
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key != self._seen:
                self._users = load_users(self.path) if key else {}
                self._seen = key
            return self._users

    def check(self, name: str, password: str) -> bool:
        stored = self.users().get(name)
        ok = verify_password(password, stored or _dummy_hash())
        return ok and stored is not None

    def fingerprint(self, name: str) -> str | None:
        """Changes when the password does; None when the account is gone."""
        stored = self.users().get(name)
        return None if stored is None else hashlib.sha256(stored.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class Session:
    user: str
    expires: int
    nonce: str


class Sessions:
    """Signed session cookies: ``user:expires:nonce:signature``. The key is made at start-up,
    so restarting the server ends every session; logging out revokes the one nonce."""

    def __init__(self, secret: bytes | None = None, lifetime: int = SESSION_HOURS * 3600):
        self.secret = secret or secrets.token_bytes(32)
        self.lifetime = lifetime
        self._revoked: dict[str, int] = {}
        self._lock = threading.Lock()

    def _sign(self, *parts: str) -> str:
        return hmac.new(self.secret, ":".join(parts).encode(), hashlib.sha256).hexdigest()

    def issue(self, user: str, fingerprint: str, now: float | None = None) -> str:
        expires = str(int((now or time.time()) + self.lifetime))
        nonce = secrets.token_hex(12)
        return f"{user}:{expires}:{nonce}:{self._sign(user, expires, nonce, fingerprint)}"

    def read(self, cookie: str | None, fingerprint_of: Callable[[str], str | None],
             now: float | None = None) -> Session | None:
        """The session a cookie proves, or None (absent, forged, expired, revoked, account changed)."""
        try:
            user, expires, nonce, sig = (cookie or "").split(":")
            expires_at = int(expires)
        except ValueError:
            return None
        fp = fingerprint_of(user) if USER_NAME.match(user) else None
        if fp is None or not hmac.compare_digest(sig, self._sign(user, expires, nonce, fp)):
            return None
        if expires_at < (now or time.time()):
            return None
        with self._lock:
            if nonce in self._revoked:
                return None
        return Session(user, expires_at, nonce)

    def revoke(self, session: Session) -> None:
        with self._lock:
            now = time.time()
            self._revoked = {n: e for n, e in self._revoked.items() if e >= now}
            self._revoked[session.nonce] = session.expires

    def csrf(self, session: Session) -> str:
        """A per-session token that state-changing requests must echo back."""
        return self._sign("csrf", session.nonce)[:32]


# ------------------------------------------------------------------ promotion

# The evaluation category a cited passage's kind suggests; staff can pick another.
KIND_CATEGORY = {"statistic": "statistic", "timeline": "timeline", "organization": "organization",
                 "research": "research", "article": "law", "paragraph": "program"}
MAX_EVIDENCE_CHARS = 200  # the evaluation-set limit (qa.evalset)


@dataclass(frozen=True)
class Draft:
    """What staff enter to promote an answer: the correct short answers and the profile text
    that supports them, or ``answerable=False``."""
    answerable: bool
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    category: str = ""
    item_id: str = ""


def history_of(entry: Entry, earlier: Sequence[Entry]) -> list[dict]:
    """The turns the assistant was given, rebuilt from the conversation's earlier logged
    answers (the chat passes each question and answer as two turns)."""
    turns = []
    for e in earlier:
        turns += [{"role": "user", "content": e.interaction.question},
                  {"role": "assistant", "content": e.interaction.answer}]
    n = entry.interaction.history_len
    return turns[-n:] if n else []


def item_for(entry: Entry, draft: Draft, history: list[dict]) -> dict:
    """The evaluation item (a JSON object of the set format) for a promoted answer. Pure."""
    it = entry.interaction
    answerable = draft.answerable
    obj = {
        "id": draft.item_id.strip() or f"staff-{it.id}",
        "question": it.question,
        "lang": it.lang if it.lang in LANGS else "en",
        "category": (draft.category or "program") if answerable else "unanswerable",
        "answerable": answerable,
        "answers": [a.strip() for a in draft.answers if a.strip()] if answerable else [],
        "evidence": [e for e in draft.evidence if e.strip()] if answerable else [],
    }
    if history:
        obj["history"] = history
    obj.update({"source": "staff", "interaction": it.id, "verdict": entry.review.verdict if entry.review else ""})
    return obj


_set_lock = threading.Lock()


def append_item(set_path: Path, obj: dict, docs: list[Document]) -> Item:
    """Add one item to a set file after validating the whole resulting set exactly as
    `qa eval --check` does; the file is replaced atomically, so it is never half written."""
    set_path = Path(set_path)
    with _set_lock:
        try:
            old = set_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            old = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise StaffError(f"cannot read {set_path} ({exc}): fix or move it, then promote again") from exc
        if old and not old.endswith("\n"):
            old += "\n"
        new = old + json.dumps(obj, ensure_ascii=False) + "\n"
        set_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=set_path.parent, prefix=f".{set_path.name}.", suffix=".jsonl")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(new)
            try:
                items = load_set(Path(tmp), docs)
            except EvalSetError as exc:
                raise EvalSetError(str(set_path), exc.problems) from None
            os.replace(tmp, set_path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return items[-1]


def promote(store: Store, interaction_id: str, draft: Draft, set_path: Path, docs: list[Document],
            reviewer: str) -> Item:
    """Append a reviewed answer to a staff evaluation set and record that it was promoted."""
    entry = store.get(interaction_id)
    if entry.review is None:
        raise StaffError("record a verdict on this answer before promoting it")
    obj = item_for(entry, draft, history_of(entry, store.conversation(entry)))
    done = [p.item_id for p in entry.promotions if Path(p.set_path) == Path(set_path)]
    if done:
        raise StaffError(f"this answer is already in {set_path} as item {done[0]}")
    item = append_item(set_path, obj, docs)
    store.add_promotion(interaction_id, Promotion(item.id, str(set_path), reviewer, stamp(now_utc())))
    return item


# ------------------------------------------------------------------ passages shown to staff


@dataclass(frozen=True)
class Span:
    """A sentence of a passage that staff can tick as evidence (cut to the set's limit)."""
    doc: str
    start: int
    end: int
    cut: bool  # the sentence is longer; this is its first part
    cited: bool

    @property
    def key(self) -> str:
        return f"{self.doc}:{self.start}:{self.end}"


@dataclass(frozen=True)
class PassageView:
    doc: str
    start: int
    end: int
    section: str
    marks: tuple[tuple[int, int], ...]  # cited spans inside the passage
    cited: bool
    changed: bool  # the profile no longer holds the cited text at these offsets
    missing: bool  # the document is gone from the corpus
    spans: tuple[Span, ...]


def _cut(text: str, start: int, end: int) -> int:
    """End of the longest prefix of text[start:end] within the evidence limit, at a word break."""
    if end - start <= MAX_EVIDENCE_CHARS:
        return end
    limit = start + MAX_EVIDENCE_CHARS
    brk = text.rfind(" ", start, limit + 1)
    return (brk if brk > start + 20 else limit)


def passages_for(entry: Entry, docs: Mapping[str, Document]) -> list[PassageView]:
    """The cited passages (cited spans marked, changes flagged), then the other top
    retrieved passages; each with its sentences as evidence candidates."""
    it = entry.interaction
    out, seen = [], set()
    groups: dict[tuple[str, int, int], list] = {}
    for c in it.citations:
        groups.setdefault((c.doc, c.passage_start, c.passage_end), []).append(c)
    candidates = list(groups.items()) + [((p.doc, p.start, p.end), []) for p in it.passages]
    sections = {(p.doc, p.start, p.end): p.section for p in it.passages}
    for (doc, ps, pe), cites in candidates:
        if (doc, ps, pe) in seen:
            continue
        seen.add((doc, ps, pe))
        d = docs.get(doc)
        section = cites[0].section if cites else sections.get((doc, ps, pe), "")
        marks = tuple((c.start, c.end) for c in cites)
        if d is None:
            out.append(PassageView(doc, ps, pe, section, marks, bool(cites), bool(cites), True, ()))
            continue
        changed = any(text_hash(d.text[c.start:c.end]) != c.text_hash for c in cites)
        spans = tuple(Span(doc, a, _cut(d.text, a, b), b - a > MAX_EVIDENCE_CHARS,
                           any(a < e and s < b for s, e in marks))
                      for a, b in split_sentences(d.text[ps:pe], ps))
        out.append(PassageView(doc, ps, pe, section, marks, bool(cites), changed, False, spans))
    return out


def default_category(entry: Entry, views: Sequence[PassageView], kinds: Mapping[tuple[str, int, int], str]) -> str:
    """The category the promote form starts with: unanswerable when the assistant rightly
    declined or should have, else what the first passage's kind suggests."""
    verdict = entry.review.verdict if entry.review else ""
    if verdict == "should_have_declined" or (entry.interaction.kind == "declined" and verdict != "should_have_answered"):
        return "unanswerable"
    for v in views:
        kind = kinds.get((v.doc, v.start, v.end))
        if kind in KIND_CATEGORY:
            return KIND_CATEGORY[kind]
    return "program"


# ------------------------------------------------------------------ pages

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1rem 3rem; color: #222; }
header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #ddd; }
header form { display: inline; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 0.35rem 0.4rem; text-align: left; vertical-align: top; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.6rem 1rem; align-items: end; margin: 1rem 0; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.passage { border-left: 3px solid #999; padding: 0.3rem 0.7rem; margin: 0.7rem 0; }
.passage.cited { border-color: #c90; }
mark { background: #fff2a8; }
.warn { color: #a40; font-weight: 600; }
.ok { color: #070; font-weight: 600; }
.problems { color: #a00; }
.muted { color: #777; font-size: 0.85rem; }
fieldset { margin: 1rem 0; border: 1px solid #ddd; }
textarea { width: 100%; }
"""
HEADERS = {
    # no script, no frames, no outside resources: an injected tag can do nothing
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
e = html.escape


def page(title: str, body: str, user: str = "", csrf: str = "") -> str:
    logout = (f"<span>{e(user)} · <form method='post' action='/staff/logout'>"
              f"<input type='hidden' name='csrf' value='{e(csrf)}'><button>Log out</button></form></span>"
              if user else "")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<style>{STYLE}</style></head><body><header><h1><a href='/staff'>Staff review</a></h1>{logout}"
            f"</header>{body}</body></html>")


def login_page(message: str = "", name: str = "") -> str:
    msg = f"<p class='problems'>{e(message)}</p>" if message else ""
    return page("Staff login", f"""{msg}<form method="post" action="/staff/login">
<p><label>Name <input name="name" value="{e(name)}" autocomplete="username" required></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button>Log in</button></p></form>""")


def off_page() -> str:
    return page("Staff review is off", f"<p>{e(OFF_MESSAGE[0].upper() + OFF_MESSAGE[1:])}, then reload this page.</p>"
                "<pre>.venv/bin/qa staff add-user alice</pre>")


def _options(choices: Sequence[tuple[str, str]], current: str) -> str:
    return "".join(f"<option value='{e(v)}'{' selected' if v == current else ''}>{e(label)}</option>"
                   for v, label in choices)


def _rating(entry: Entry) -> str:
    if entry.rating is None:
        return ""
    thumb = "👍 up" if entry.rating.rating > 0 else "👎 down"  # words too: not every font has the emoji
    return thumb + (f" <span class='muted'>{e(entry.rating.comment[:80])}</span>" if entry.rating.comment else "")


def list_page(entries: Sequence[Entry], total: int, f: Filter, user: str, csrf: str, pending: int = 0) -> str:
    q = f.query()
    declined = {True: "declined", False: "answered", None: ""}[f.declined]
    form = f"""<form class="filters" method="get" action="/staff">
<label>From <input type="date" name="since" value="{e(f.since.isoformat() if f.since else '')}"></label>
<label>To <input type="date" name="until" value="{e(f.until.isoformat() if f.until else '')}"></label>
<label>Rating <select name="rating">{_options([("", "any"), ("up", "👍 up"), ("down", "👎 down"), ("rated", "rated"),
                                                ("none", "not rated")], "" if f.rating == "any" else f.rating)}</select></label>
<label>Outcome <select name="declined">{_options([("", "any"), ("declined", "declined"), ("answered", "not declined")],
                                                 declined)}</select></label>
<label>Language <select name="lang">{_options([("", "any"), ("en", "English"), ("es", "Spanish")], f.lang)}</select></label>
<label>Verdict <select name="verdict">{_options([("", "any")] + list(VERDICTS.items()), f.verdict)}</select></label>
<label>Text <input type="search" name="q" value="{e(f.text)}" placeholder="question, answer, comment"></label>
<label><span><input type="checkbox" name="unreviewed" value="1"{' checked' if f.unreviewed else ''}> not yet reviewed</span></label>
<button>Filter</button></form>"""
    exports = " · ".join(f"<a href='/staff/api/export?{e(urlencode({**q, 'format': fmt}))}'>{fmt.upper()}</a>"
                         for fmt in EXPORT_FORMATS)
    rows = []
    for en in entries:
        it = en.interaction
        outcome = {"answer": "answered", "declined": "declined"}.get(it.kind, it.kind)
        verdict = VERDICTS.get(en.review.verdict, en.review.verdict) if en.review else ""
        promoted = " · in benchmark" if en.promotions else ""
        rows.append(f"<tr><td class='muted'>{e(it.created_at[:16].replace('T', ' '))}</td><td>{e(it.lang)}</td>"
                    f"<td><a href='/staff/i/{e(it.id)}'>{e(it.question[:160])}</a></td><td>{e(outcome)}</td>"
                    f"<td>{_rating(en)}</td><td>{e(verdict)}{e(promoted)}</td></tr>")
    more = ""
    if f.limit is not None and f.offset + len(entries) < total:
        more = f"<p><a href='/staff?{e(urlencode({**q, 'offset': f.offset + f.limit}))}'>Older answers →</a></p>"
    warn = (f"<p class='warn'>{pending} log write(s) are waiting: the log file cannot be written right now.</p>"
            if pending else "")
    table = ("<table><tr><th>When (UTC)</th><th>Lang</th><th>Question</th><th>Outcome</th><th>Rating</th>"
             f"<th>Verdict</th></tr>{''.join(rows)}</table>" if rows else "<p>No logged answers match.</p>")
    return page("Staff review", f"{warn}{form}<p>{total} answer(s) match · export {exports}</p>{table}{more}",
                user, csrf)


def _passage_html(text: str, start: int, end: int, marks) -> str:
    from .app import passage_html  # the chat's own highlighter: the same escaping everywhere

    return passage_html(text, start, end, list(marks))


def detail_page(entry: Entry, earlier: Sequence[Entry], views: Sequence[PassageView],
                docs: Mapping[str, Document], category: str, user: str, csrf: str, set_path: Path,
                message: str = "", problems: Sequence[str] = (), form: Mapping | None = None) -> str:
    it = entry.interaction
    form = form or {}
    parts = []
    if message:
        parts.append(f"<p class='ok'>{e(message)}</p>")
    if problems:
        parts.append("<ul class='problems'>" + "".join(f"<li>{e(p)}</li>" for p in problems) + "</ul>")
    outcome = {"answer": "answered", "declined": "declined"}.get(it.kind, it.kind)
    parts.append(f"<h2>Question</h2><p class='pre'>{e(it.question)}</p>")
    if earlier:
        turns = "".join(f"<li><a href='/staff/i/{e(x.interaction.id)}'>{e(x.interaction.question[:160])}</a></li>"
                        for x in earlier)
        parts.append(f"<p class='muted'>Earlier in this conversation (the assistant was given the last "
                     f"{it.history_len} turn(s)):</p><ol>{turns}</ol>")
    parts.append(f"<h2>Answer ({e(outcome)})</h2><p class='pre'>{e(it.answer)}</p>")
    parts.append(f"<p class='muted'>{e(it.created_at)} · language {e(it.lang)} · mode {e(it.mode)} · confidence "
                 f"{it.confidence:.3f} · {it.latency_ms:.0f} ms · index {e(it.index_hash)} · qa {e(it.app_version)} · "
                 f"conversation {e(it.conversation_id)}</p>")
    if entry.rating:
        parts.append(f"<p>User rating: {_rating(entry)}</p>")
    parts.append("<h2>Passages</h2>")
    for n, v in enumerate(views):
        head = f"{'cited' if v.cited else 'retrieved'} · {e(v.section)} <span class='muted'>({e(v.doc)}, {v.start}–{v.end})</span>"
        if v.missing:
            parts.append(f"<div class='passage'><p>{head}</p><p class='warn'>{e(v.doc)} is no longer in the corpus.</p></div>")
            continue
        warn = ("<p class='warn'>The profile has changed since this answer: the cited offsets now hold different "
                "text.</p>" if v.changed else "")
        text = docs[v.doc].text
        parts.append(f"<div class='passage{' cited' if v.cited else ''}' id='p{n}'><p>{head}</p>{warn}"
                     f"<div class='pre'>{_passage_html(text, v.start, v.end, v.marks)}</div></div>")

    verdict_now = form.get("verdict") or (entry.review.verdict if entry.review else "")
    note_now = form.get("note") if "note" in form else (entry.review.note if entry.review else "")
    radios = "".join(f"<label><input type='radio' name='verdict' value='{e(k)}'{' checked' if k == verdict_now else ''}"
                     f" required> {e(label)}</label><br>" for k, label in VERDICTS.items())
    reviewed = (f"<p class='muted'>Last verdict by {e(entry.review.reviewer)} at {e(entry.review.reviewed_at)}</p>"
                if entry.review else "")
    parts.append(f"""<form method="post" action="/staff/i/{e(it.id)}/review"><fieldset><legend>Verdict</legend>{reviewed}
<input type="hidden" name="csrf" value="{e(csrf)}">{radios}
<label>Note<br><textarea name="note" rows="2" maxlength="2000">{e(note_now or '')}</textarea></label>
<p><button>Save verdict</button></p></fieldset></form>""")
    parts.append(_promote_form(entry, views, docs, category, csrf, set_path, form))
    return page(f"Answer {it.id}", "".join(parts), user, csrf)


def _promote_form(entry: Entry, views: Sequence[PassageView], docs: Mapping[str, Document], category: str,
                  csrf: str, set_path: Path, form: Mapping) -> str:
    it = entry.interaction
    if entry.promotions:
        done = "".join(f"<li>item <b>{e(p.item_id)}</b> in {e(p.set_path)} by {e(p.promoted_by)}</li>"
                       for p in entry.promotions)
        return (f"<fieldset><legend>Benchmark</legend><p>Promoted:</p><ul>{done}</ul>"
                f"<p>Run it: <code>qa eval --set {e(str(set_path))}</code></p></fieldset>")
    if entry.review is None:
        return ("<fieldset><legend>Benchmark</legend><p>Save a verdict first; then this answer can become an "
                "evaluation item.</p></fieldset>")
    picked = set(form.getlist("span")) if hasattr(form, "getlist") else None
    boxes = []
    for v in views:
        if not v.spans:
            continue
        rows = []
        for s in v.spans:
            checked = (s.key in picked) if picked is not None else s.cited
            cut = " <span class='muted'>(first part of a longer sentence)</span>" if s.cut else ""
            rows.append(f"<label><input type='checkbox' name='span' value='{e(s.key)}'{' checked' if checked else ''}>"
                        f" {e(docs[s.doc].text[s.start:s.end])}</label>{cut}<br>")
        boxes.append(f"<p class='muted'>{'cited' if v.cited else 'retrieved'} · {e(v.section)}</p>{''.join(rows)}")
    answerable = form.get("answerable", "no" if category == "unanswerable" else "yes")
    cat = form.get("category") or (category if category != "unanswerable" else "program")
    return f"""<form method="post" action="/staff/i/{e(it.id)}/promote"><fieldset><legend>Promote to benchmark</legend>
<input type="hidden" name="csrf" value="{e(csrf)}">
<p><label><input type="radio" name="answerable" value="yes"{' checked' if answerable == 'yes' else ''}> The profile answers it</label>
<label><input type="radio" name="answerable" value="no"{' checked' if answerable == 'no' else ''}> Unanswerable from the profile</label></p>
<p><label>Correct short answer(s), one per line<br><textarea name="answers" rows="2">{e(form.get('answers', ''))}</textarea></label></p>
<p><label>Category <select name="category">{_options([(c, c) for c in CATEGORIES if c != 'unanswerable'], cat)}</select></label></p>
<p>Supporting text (tick 1 to 3 sentences):</p>{''.join(boxes) or '<p class="muted">No passages.</p>'}
<p><label>Other supporting text, copied verbatim from the profile, one per line (20–200 characters)<br>
<textarea name="evidence" rows="2">{e(form.get('evidence', ''))}</textarea></label></p>
<p><label>Item id <input name="item_id" value="{e(form.get('item_id', '') or f'staff-{it.id}')}"></label>
<span class="muted">appended to {e(str(set_path))}</span></p>
<p><button>Save as evaluation item</button></p></fieldset></form>"""


# ------------------------------------------------------------------ the site


class Refused(Exception):
    """Ends a request early with this response (a refusal or a bad request)."""

    def __init__(self, response: Response):
        self.response = response


def status_of(exc: QAError) -> int:
    """The HTTP status for a library error on a staff write."""
    if isinstance(exc, UnknownAnswerError):
        return 404
    if isinstance(exc, StoreBusyError):
        return 503  # locked or read-only: try again later
    if isinstance(exc, (StoreError, EvalSetError)):
        return 422  # the request itself is wrong (unknown verdict, note too long, invalid item)
    return 409  # not now: no verdict yet, already promoted


def _lines(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").splitlines() if x.strip())


class StaffSite:
    """The routes under /staff. ``docs``: the corpus the answers cite (by relative path)."""

    def __init__(self, settings: Settings, store: Store, docs: Mapping[str, Document],
                 kinds: Mapping[tuple[str, int, int], str] | None = None, recorder: Recorder | None = None,
                 sessions: Sessions | None = None):
        self.settings = settings
        self.store = store
        self.docs = dict(docs)
        self.kinds = dict(kinds or {})  # (doc, start, end) of a passage -> its chunk kind
        self.recorder = recorder
        self.accounts = Accounts(settings.staff_users_path)
        self.sessions = sessions or Sessions()
        self.set_path = Path(settings.data_dir) / STAFF_SET

    def enabled(self) -> bool:
        return bool(self.accounts.users())

    # ---------------------------------------------------------------- plumbing

    def router(self) -> APIRouter:
        r = APIRouter()

        def html_resp(body: str, status: int = 200, **kw) -> HTMLResponse:
            return HTMLResponse(body, status_code=status, headers=HEADERS, **kw)

        def json_resp(data, status: int = 200) -> JSONResponse:
            return JSONResponse(data, status_code=status, headers=HEADERS)

        def require_accounts(api: bool) -> None:
            """Refuse with 503 while no account exists (or the accounts file is unreadable)."""
            try:
                enabled = self.enabled()
            except QAError as exc:
                raise Refused(json_resp({"error": str(exc)}, 503) if api else html_resp(page("Staff", f"<p>{e(str(exc))}</p>"), 503))
            if not enabled:
                raise Refused(json_resp({"error": OFF_MESSAGE}, 503) if api else html_resp(off_page(), 503))

        def guard(request: Request, api: bool, write: bool = False, token: str | None = None) -> Session:
            """The session behind a request, or a refusal: 503 when no account exists, 401
            without a valid session, 403 when a write lacks this session's token."""
            require_accounts(api)
            s = self.sessions.read(request.cookies.get(SESSION_COOKIE), self.accounts.fingerprint)
            if s is None:
                raise Refused(json_resp({"error": "log in first: POST /staff/login with name and password"}, 401)
                              if api else html_resp(login_page(), 401))
            if write:
                if token is None:
                    token = request.headers.get("x-csrf-token", "")
                if not hmac.compare_digest(token or "", self.sessions.csrf(s)):
                    raise Refused(json_resp({"error": "missing or wrong X-CSRF-Token (GET /staff/api/session)"}, 403)
                                  if api else html_resp(page("Staff", "<p>This form has expired: go back, reload "
                                                                      "and try again.</p>"), 403))
            return s

        def refusing(fn):
            @functools.wraps(fn)
            async def wrapper(*args, **kwargs):
                try:
                    return await fn(*args, **kwargs)
                except Refused as exc:
                    return exc.response
            return wrapper

        # ------------------------------------------------------------ login

        @r.get("/staff/login")
        @refusing
        async def login_form(request: Request):
            require_accounts(api=False)
            return html_resp(login_page())

        @r.post("/staff/login")
        @refusing
        async def login(request: Request):
            form = await request.form()
            name, password = str(form.get("name", "")), str(form.get("password", ""))
            require_accounts(api=False)
            if not self.accounts.check(name, password):
                return html_resp(login_page("Wrong name or password.", name), 401)
            cookie = self.sessions.issue(name, self.accounts.fingerprint(name))
            resp = RedirectResponse("/staff", status_code=303, headers=HEADERS)
            resp.set_cookie(SESSION_COOKIE, cookie, max_age=self.sessions.lifetime, path="/staff", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
            return resp

        @r.post("/staff/logout")
        @refusing
        async def logout(request: Request):
            form = await request.form()
            s = guard(request, api=False, write=True, token=str(form.get("csrf", "")))
            self.sessions.revoke(s)
            resp = RedirectResponse("/staff/login", status_code=303, headers=HEADERS)
            resp.delete_cookie(SESSION_COOKIE, path="/staff")
            return resp

        # ------------------------------------------------------------ pages

        @r.get("/staff")
        @refusing
        async def home(request: Request):
            s = guard(request, api=False)
            try:
                f = Filter.parse(request.query_params, limit=PAGE_SIZE)
            except StoreError as exc:
                return html_resp(page("Staff review", f"<p class='problems'>{e(str(exc))}</p>",
                                      s.user, self.sessions.csrf(s)), 400)
            try:
                entries, total = self.store.search(f), self.store.count(f)
            except StoreError as exc:
                return html_resp(page("Staff review", f"<p class='problems'>{e(str(exc))}</p>",
                                      s.user, self.sessions.csrf(s)), 503)
            pending = self.recorder.pending if self.recorder else 0
            return html_resp(list_page(entries, total, f, s.user, self.sessions.csrf(s), pending))

        @r.get("/staff/i/{interaction_id}")
        @refusing
        async def detail(request: Request, interaction_id: str):
            s = guard(request, api=False)
            saved = request.query_params.get("saved", "")
            return self._detail(s, interaction_id, html_resp, message="Verdict saved." if saved else "")

        @r.post("/staff/i/{interaction_id}/review")
        @refusing
        async def review_form(request: Request, interaction_id: str):
            form = await request.form()
            s = guard(request, api=False, write=True, token=str(form.get("csrf", "")))
            try:
                self.store.review(interaction_id, str(form.get("verdict", "")), str(form.get("note", "")), s.user)
            except StoreError as exc:
                return self._detail(s, interaction_id, html_resp, problems=[str(exc)], form=form, status=status_of(exc))
            return RedirectResponse(f"/staff/i/{interaction_id}?saved=1", status_code=303, headers=HEADERS)

        @r.post("/staff/i/{interaction_id}/promote")
        @refusing
        async def promote_form(request: Request, interaction_id: str):
            form = await request.form()
            s = guard(request, api=False, write=True, token=str(form.get("csrf", "")))
            try:
                evidence = [self._span_text(k) for k in form.getlist("span")] + list(_lines(str(form.get("evidence", ""))))
                draft = Draft(form.get("answerable") == "yes", _lines(str(form.get("answers", ""))), tuple(evidence),
                              str(form.get("category", "")), str(form.get("item_id", "")))
                item = promote(self.store, interaction_id, draft, self.set_path, list(self.docs.values()), s.user)
            except EvalSetError as exc:
                return self._detail(s, interaction_id, html_resp, form=form, status=422,
                                    problems=[f"line {n}: {why}" if n else why for n, why in exc.problems])
            except QAError as exc:
                return self._detail(s, interaction_id, html_resp, problems=[str(exc)], form=form, status=status_of(exc))
            return self._detail(s, interaction_id, html_resp,
                                message=f"Saved as item {item.id} in {self.set_path}. "
                                        f"Run it: qa eval --set {self.set_path}")

        # ------------------------------------------------------------ JSON API

        @r.get("/staff/api/session")
        @refusing
        async def api_session(request: Request):
            s = guard(request, api=True)
            return json_resp({"user": s.user, "csrf": self.sessions.csrf(s), "expires": s.expires})

        @r.get("/staff/api/interactions")
        @refusing
        async def api_list(request: Request):
            guard(request, api=True)
            try:
                limit = min(int(request.query_params.get("limit") or 100), 1000)
                f = Filter.parse(request.query_params, limit=limit)
                return json_resp({"total": self.store.count(f), "offset": f.offset,
                                  "items": [x.to_dict() for x in self.store.search(f)]})
            except (StoreError, ValueError) as exc:
                return json_resp({"error": str(exc)}, 400)

        @r.get("/staff/api/interactions/{interaction_id}")
        @refusing
        async def api_get(request: Request, interaction_id: str):
            guard(request, api=True)
            try:
                entry = self.store.get(interaction_id)
            except StoreError as exc:
                return json_resp({"error": str(exc)}, status_of(exc))
            views = passages_for(entry, self.docs)
            d = entry.to_dict()
            d["passages_now"] = [{"doc": v.doc, "start": v.start, "end": v.end, "section": v.section, "cited": v.cited,
                                  "changed": v.changed, "missing": v.missing,
                                  "text": "" if v.missing else self.docs[v.doc].text[v.start:v.end]} for v in views]
            d["history"] = history_of(entry, self.store.conversation(entry))
            return json_resp(d)

        @r.post("/staff/api/interactions/{interaction_id}/review")
        @refusing
        async def api_review(request: Request, interaction_id: str):
            s = guard(request, api=True, write=True)
            body = await self._json(request)
            try:
                rv = self.store.review(interaction_id, str(body.get("verdict", "")), str(body.get("note", "")), s.user)
            except QAError as exc:
                return json_resp({"error": str(exc)}, status_of(exc))
            return json_resp({"verdict": rv.verdict, "note": rv.note, "reviewer": rv.reviewer,
                              "reviewed_at": rv.reviewed_at})

        @r.post("/staff/api/interactions/{interaction_id}/promote")
        @refusing
        async def api_promote(request: Request, interaction_id: str):
            s = guard(request, api=True, write=True)
            body = await self._json(request)
            try:
                draft = Draft(bool(body.get("answerable", True)), tuple(map(str, body.get("answers", []))),
                              tuple(map(str, body.get("evidence", []))), str(body.get("category", "")),
                              str(body.get("id", "")))
                item = promote(self.store, interaction_id, draft, self.set_path, list(self.docs.values()), s.user)
            except EvalSetError as exc:
                return json_resp({"error": "the item is not valid", "problems": [
                    {"line": n, "problem": why} for n, why in exc.problems]}, 422)
            except QAError as exc:
                return json_resp({"error": str(exc)}, status_of(exc))
            return json_resp({"item": item.to_dict(), "set": str(self.set_path)})

        @r.get("/staff/api/export")
        @refusing
        async def api_export(request: Request):
            guard(request, api=True)
            fmt = request.query_params.get("format", "csv")
            try:
                text = export_text(self.store.search(Filter.parse(request.query_params)), fmt)
            except StoreError as exc:
                return json_resp({"error": str(exc)}, 400)
            media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
            name = f"qa-log-{stamp(now_utc())[:10]}.{fmt}"
            return Response(text, media_type=media,
                            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

        return r

    # ---------------------------------------------------------------- helpers

    @staticmethod
    async def _json(request: Request) -> dict:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise Refused(JSONResponse({"error": "send a JSON body (Content-Type: application/json)"}, 415,
                                       headers=HEADERS))
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Refused(JSONResponse({"error": "the body must be a JSON object"}, 400, headers=HEADERS))
        return body

    def _span_text(self, key: str) -> str:
        """The profile text a ticked evidence box names (``doc:start:end``)."""
        doc, _, rest = key.rpartition(":")
        doc, _, start = doc.rpartition(":")
        d = self.docs.get(doc)
        try:
            a, b = int(start), int(rest)
        except ValueError:
            a = b = -1
        if d is None or not 0 <= a < b <= len(d.text):
            raise StaffError(f"the ticked passage {key!r} is not in the corpus: reload the page")
        return d.text[a:b]

    def _detail(self, s: Session, interaction_id: str, respond, message: str = "", problems=(), form=None,
                status: int = 200):
        csrf = self.sessions.csrf(s)
        try:
            entry = self.store.get(interaction_id)
            earlier = self.store.conversation(entry)
        except StoreError as exc:
            return respond(page("Staff review", f"<p class='problems'>{e(str(exc))}</p>", s.user, csrf), status_of(exc))
        views = passages_for(entry, self.docs)
        category = default_category(entry, views, self.kinds)
        return respond(detail_page(entry, earlier, views, self.docs, category, s.user, csrf, self.set_path, message,
                                   problems, form), status)


def create_app(site: StaffSite) -> FastAPI:
    """A FastAPI app serving only the staff site (the chat server includes the same routes)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(site.router())
    return app
