"""The corpus: documents as stored, and structure-aware chunks with character spans.

The stored files are never changed. Every chunk and sentence carries ``start``/``end``
offsets into its document's text (Python string offsets), so ``doc.text[start:end]``
is exactly what a citation points at. Cleaning (whitespace, artifacts, link syntax)
happens only in the text that is indexed or displayed.

Country profiles have no headings, but they have recognisable parts, found line by line:

* statistics: a label line followed by a figure line ("Population" / "121,736,809");
* year-led timeline paragraphs ("2014 - In March, ..."), split where a year starts mid-line;
* entries: a short name line followed by a description (organizations);
* research entries: "Title (2013)" / authors / summary;
* penal-code bullets ("• Article 200, Penal Code. ..."), one chunk per article even
  where the source runs two articles together in one bullet;
* plain paragraphs, whose section follows from where they stand.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .text import clean

CHUNKER_VERSION = 4
DOC_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # display text: cleaned, never reworded


@dataclass(frozen=True)
class Chunk:
    id: str
    doc: str
    section: str
    kind: str
    start: int
    end: int
    text: str  # the stored file's text at [start:end]
    title: str = ""  # entry name, article label or statistic label
    context: str = ""  # e.g. the year a non-dated timeline paragraph falls under
    sentences: tuple[Sentence, ...] = ()

    @property
    def index_text(self) -> str:
        """What retrievers see: section and context first, then the cleaned passage."""
        head = " ".join(p for p in (self.section, self.context) if p)
        return f"{head}. {clean(self.text)}" if head else clean(self.text)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("id", "doc", "section", "kind", "start", "end", "title", "context")}
        d["sentences"] = [[s.start, s.end, s.text] for s in self.sentences]
        return d

    @classmethod
    def from_dict(cls, d: dict, doc_text: str) -> "Chunk":
        return cls(
            id=d["id"], doc=d["doc"], section=d["section"], kind=d["kind"],
            start=d["start"], end=d["end"], text=doc_text[d["start"]:d["end"]],
            title=d["title"], context=d["context"],
            sentences=tuple(Sentence(a, b, t) for a, b, t in d["sentences"]),
        )


@dataclass(frozen=True)
class Document:
    doc: str  # path relative to the corpus folder, with forward slashes
    text: str
    sha256: str
    title: str = ""
    source: str = ""
    lang: str = "en"
    meta: dict = field(default_factory=dict, compare=False)


def load_document(path: Path, corpus_dir: Path) -> Document:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and run `qa index`") from exc
    meta_path = path.with_name(path.stem + ".meta.json")
    meta: dict = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorpusError(f"{meta_path} is not valid JSON: {exc}") from exc
    first_line = text.strip().splitlines()[0].strip() if text.strip() else path.stem
    return Document(
        doc=path.relative_to(corpus_dir).as_posix(),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        title=meta.get("title", first_line),
        source=meta.get("source", ""),
        lang=meta.get("language", meta.get("lang", "en")),
        meta=meta,
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; put the profile there or set QA_CORPUS_DIR")
    files = sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix in DOC_SUFFIXES and not p.name.startswith("."))
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no .txt or .md document")
    return files


def load_corpus(corpus_dir: Path) -> list[Document]:
    return [load_document(p, corpus_dir) for p in corpus_files(corpus_dir)]


# ---------------------------------------------------------------- lines and kinds

@dataclass
class _Line:
    start: int
    end: int
    text: str


_FIGURE = re.compile(r"^[\d.,%\s\u2011\u2010-]*\d[\d.,%\s]*$")
_YEAR_LED = re.compile(r"^\d{4} - ")
_YEAR_MIDLINE = re.compile(r"(?<=[.!?] )\d{4} - (?=[A-Z])")
_RESEARCH_TITLE = re.compile(r"\((?:19|20)\d{2}\)\.?$")
_ARTICLE = re.compile(r"(?:(?<=^)|(?<=[.!?] ))-?(Article \d+\w*, Penal Code)\.")
_BULLET = re.compile(r"^[•●▪◦]\s*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def _lines(text: str) -> list[_Line]:
    out = []
    for m in re.finditer(r"[^\n]+", text):
        raw = m.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        lead = len(raw) - len(raw.lstrip())
        start = m.start() + lead
        out.append(_Line(start, start + len(stripped), stripped))
    return out


def _is_heading(line: _Line) -> bool:
    t = line.text
    return len(t) <= 160 and not t.endswith((".", ":", ";", ",")) and not _FIGURE.match(t) and not _BULLET.match(t)


def _is_body(line: _Line) -> bool:
    return len(line.text) >= 80 or line.text.endswith(".")


# ---------------------------------------------------------------- sentences

_ABBREV = re.compile(r"(?:\b[A-Z]|\bU\.S|\bInc|\bDr|\bMr|\bMrs|\bMs|\bSt|\bNo|\bvs|\be\.g|\bi\.e|\bJr|\bCo)\.$")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“(\[]?[A-Z0-9¿¡-])")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans in ``text`` (each line is split on its own), shifted by ``offset``."""
    spans = []
    for line in _lines(text):
        start = line.start
        for m in _BOUNDARY.finditer(text, line.start, line.end):
            piece = text[start:m.start()]
            if _ABBREV.search(piece.rstrip("\"”’)")):
                continue
            if piece.strip():
                spans.append((start, m.start()))
            start = m.end()
        if text[start:line.end].strip():
            spans.append((start, line.end))
    out = []
    for a, b in spans:
        # drop bullet marks and a leading dash, keep the span on the words
        seg = text[a:b]
        lead = len(seg) - len(_BULLET.sub("", seg).lstrip("-* "))
        out.append((offset + a + lead, offset + b))
    return [(a, b) for a, b in out if b > a]


def _sentences(doc_text: str, start: int, end: int) -> tuple[Sentence, ...]:
    return tuple(
        Sentence(a, b, clean(doc_text[a:b])) for a, b in split_sentences(doc_text[start:end], start)
    )


# ---------------------------------------------------------------- chunking

@dataclass
class _Unit:
    kind: str
    start: int
    end: int
    title: str = ""
    year: str = ""
    whole_sentence: bool = False  # a statistic reads as one unit


def _units(lines: list[_Line], text: str) -> list[_Unit]:
    units: list[_Unit] = []
    i = 0
    n = len(lines)
    heading_section = ""
    while i < n:
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < n else None
        md = _MD_HEADING.match(ln.text)
        if md:
            heading_section = md.group(1).strip()
            units.append(_Unit("heading", ln.start, ln.end, title=heading_section))
            i += 1
            continue
        # statistic: short label then a figure
        if nxt is not None and _FIGURE.match(nxt.text) and _is_heading(ln) and len(ln.text) <= 60:
            units.append(_Unit("statistic", ln.start, nxt.end, title=clean(ln.text), whole_sentence=True))
            i += 2
            continue
        if ln.text.startswith("* ") or ln.text.startswith("*Statistics"):
            units.append(_Unit("note", ln.start, ln.end))
            i += 1
            continue
        if _BULLET.match(ln.text):
            body_start = ln.start + len(_BULLET.match(ln.text).group(0))
            units.extend(_article_units(text, body_start, ln.end))
            i += 1
            continue
        if _YEAR_LED.match(ln.text) or _YEAR_MIDLINE.search(ln.text):
            units.extend(_timeline_units(text, ln))
            i += 1
            continue
        if _RESEARCH_TITLE.search(ln.text) and nxt is not None and i + 2 < n and len(nxt.text) <= 200 \
                and not _RESEARCH_TITLE.search(lines[i + 2].text):
            summary = lines[i + 2]
            units.append(_Unit("research", ln.start, summary.end, title=clean(ln.text)))
            i += 3
            continue
        if _is_heading(ln) and nxt is not None and _is_body(nxt) and not _YEAR_LED.match(nxt.text) \
                and not _BULLET.match(nxt.text) and not _RESEARCH_TITLE.search(nxt.text):
            units.append(_Unit("entry", ln.start, nxt.end, title=clean(ln.text)))
            i += 2
            continue
        units.append(_Unit("paragraph", ln.start, ln.end))
        i += 1
    return units


def _timeline_units(text: str, ln: _Line) -> list[_Unit]:
    cuts = [ln.start] + [ln.start + m.start() for m in _YEAR_MIDLINE.finditer(ln.text)]
    cuts = sorted(set(cuts)) + [ln.end]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        seg = text[a:b].rstrip()
        y = _YEAR_LED.match(seg)
        out.append(_Unit("timeline" if y else "paragraph", a, a + len(seg), year=seg[:4] if y else ""))
    return out


def _article_units(text: str, start: int, end: int) -> list[_Unit]:
    body = text[start:end]
    marks = list(_ARTICLE.finditer(body))
    if not marks:
        return [_Unit("bullet", start, end)]
    out = []
    if marks[0].start() > 0 and body[: marks[0].start()].strip():
        out.append(_Unit("bullet", start, start + marks[0].start()))
    for m, nxt in zip(marks, marks[1:] + [None]):
        a = start + m.start(1)
        b = start + (nxt.start() if nxt else len(body))
        seg = text[a:b].rstrip()
        out.append(_Unit("article", a, a + len(seg), title=m.group(1)))
    return out


_SECTION_OF_KIND = {
    "statistic": "Statistics",
    "note": "Statistics",
    "entry": "Organizations",
    "research": "Research",
    "article": "Penal code",
    "bullet": "Penal code",
}


def _sections(units: list[_Unit]) -> list[str]:
    """Name each unit's part of the profile from its kind and its place among the others."""
    def first(kinds):
        return next((i for i, u in enumerate(units) if u.kind in kinds), None)

    def last(kinds):
        return next((i for i in range(len(units) - 1, -1, -1) if units[i].kind in kinds), None)

    first_timeline = first({"timeline"})
    first_entry = first({"entry", "research"})
    last_research = last({"research", "entry"})
    first_article = first({"article", "bullet"})
    last_article = last({"article", "bullet"})
    names = []
    heading = ""
    for i, u in enumerate(units):
        if u.kind == "heading":
            heading = u.title
            names.append(heading)
            continue
        if heading:
            names.append(heading)
        elif u.kind in _SECTION_OF_KIND:
            names.append(_SECTION_OF_KIND[u.kind])
        elif last_article is not None and i > last_article:
            names.append("Events")
        elif first_article is not None and last_research is not None and last_research < i < first_article:
            names.append("Legislation")
        elif first_entry is not None and last_research is not None and first_entry < i < last_research:
            names.append("Research")
        elif first_timeline is not None and i >= first_timeline:
            names.append("Timeline")
        else:
            names.append("Overview")
    return names


def chunk_document(doc: Document) -> list[Chunk]:
    text = doc.text
    units = _units(_lines(text), text)
    sections = _sections(units)
    chunks: list[Chunk] = []
    year = ""
    place = doc.meta.get("country", "")
    for u, section in zip(units, sections):
        if u.kind == "heading":
            continue
        if u.kind == "paragraph" and u is units[0] and len(text[u.start:u.end]) <= 60:
            place = place or clean(text[u.start:u.end])
            continue  # the document's title line ("Mexico") is metadata, not a passage
        if u.kind == "timeline":
            year = u.year
        if u.kind in ("statistic", "note"):
            context = place  # "Internet Users 49.3%" is about the country the profile is of
        else:
            context = year if (u.kind == "paragraph" and section == "Timeline" and year) else ""
        raw = text[u.start:u.end]
        if u.whole_sentence:
            label, figure = clean(raw.splitlines()[0]), clean(raw.splitlines()[-1])
            sentences = (Sentence(u.start, u.end, f"{label}: {figure}"),)
        else:
            sentences = _sentences(text, u.start, u.end)
        digest = hashlib.sha1(f"{doc.doc}\0{raw}".encode()).hexdigest()[:12]
        chunks.append(Chunk(
            id=digest, doc=doc.doc, section=section,
            kind={"entry": "organization", "note": "statistic", "bullet": "article"}.get(u.kind, u.kind),
            start=u.start, end=u.end, text=raw, title=u.title, context=context, sentences=sentences,
        ))
    return chunks


def chunk_corpus(docs: list[Document]) -> list[Chunk]:
    return [c for d in docs for c in chunk_document(d)]


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc):
        h.update(f"{d.doc}\0{d.sha256}\n".encode())
    return h.hexdigest()
