"""The index folder: chunks, BM25 tokens, FAISS indexes and sentence vectors, with a
manifest that says what they were built from.

Layout of ``index/``::

    manifest.json        package version, corpus hash, chunker, tokenizer, models, dims, file hashes
    chunks.json          chunks and their sentences (spans into the corpus files)
    bm25.json            BM25 tokens per chunk (rank-bm25 is rebuilt from them on load)
    bm25.npz             the eager BM25 score matrix (see qa.bm25), built from the tokens
    <signal>.faiss       inner-product index over normalized chunk vectors
    <signal>.sent.npy    normalized sentence vectors, for picking answer sentences

Writes are atomic: files go to a temporary folder first and the manifest is moved in
last, so a build that dies half-way leaves either the old index or none that loads.

A rebuild encodes only what changed: a document whose sha256 (and chunker) is the one
the manifest recorded keeps its chunks, tokens and vectors from the previous index
(vectors only where the model is the same), so adding one profile to a corpus of
hundreds encodes one profile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .config import Settings
from .bm25 import SparseBM25
from .corpus import CHUNKER_VERSION, Chunk, Document, chunk_document, corpus_hash, load_corpus
from .embed import Encoder, describe, load_encoder
from .errors import IndexCorruptError, IndexMissingError, IndexStaleError, QAError
from .text import TOKENIZER_VERSION, raw_tokens, tokenize

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def dense_models(settings: Settings) -> dict[str, str]:
    """Signal name -> model setting for every dense signal the index carries."""
    models = {"minilm": settings.model}
    if settings.multilingual_model:
        models["e5"] = settings.multilingual_model
    return models


def passage_text(chunk: Chunk) -> str:
    return chunk.index_text


def sentence_text(chunk: Chunk, i: int) -> str:
    """A sentence with its entry's name, so 'Is a partnership between…' knows what 'it' is."""
    s = chunk.sentences[i].text
    if chunk.title and not s.startswith(chunk.title[:20]):
        return f"{chunk.title}: {s}"
    return s


@dataclass
class Index:
    settings: Settings
    manifest: dict
    docs: dict[str, Document]
    chunks: list[Chunk]
    bm25_tokens: list[list[str]]
    faiss: dict = field(default_factory=dict)  # signal -> faiss.Index
    sent_vectors: dict = field(default_factory=dict)  # signal -> (n_sentences, dim)
    sent_owner: np.ndarray | None = None  # sentence row -> chunk position
    sent_first: np.ndarray | None = None  # chunk position -> its first sentence row
    doc_ranges: dict = field(default_factory=dict)  # document -> (first, last + 1) chunk position
    _bm25: SparseBM25 | None = None

    def __post_init__(self):
        if not self.doc_ranges:
            self.doc_ranges = _doc_ranges(self.chunks)
        # the country each document is about (its .meta.json "country"), as folded words
        self._names = [(f" {' '.join(raw_tokens(d.meta['country']))} ", name) for name, d in self.docs.items()
                       if isinstance(d.meta.get("country"), str) and raw_tokens(d.meta["country"])]

    @property
    def signals(self) -> tuple[str, ...]:
        return ("bm25",) + tuple(self.faiss)

    def doc_range(self, doc: str | None = None) -> tuple[int, int]:
        """The chunk positions of ``doc`` (all positions for None)."""
        if not doc:
            return 0, len(self.chunks)
        try:
            return self.doc_ranges[doc]
        except KeyError:
            raise QAError(f"no document {doc!r} in the corpus; it has: {', '.join(sorted(self.doc_ranges))}") from None

    def route(self, query: str) -> str | None:
        """The one document whose country the query names, when the corpus holds several
        ("the population of Veridia" is about Veridia's profile: a statistic's passage
        does not repeat the country's name); None when it names none or more than one."""
        if len(self.doc_ranges) < 2 or not self._names:
            return None
        words = f" {' '.join(raw_tokens(query))} "
        named = {doc for name, doc in self._names if name in words}
        return named.pop() if len(named) == 1 else None

    def bm25_sparse(self) -> SparseBM25:
        """The eager BM25 matrix: read from bm25.npz, or built from the tokens."""
        if self._bm25 is None:
            path = self.settings.index_dir / "bm25.npz"
            self._bm25 = SparseBM25.load(path) if "bm25.npz" in self.manifest.get("files", {}) \
                else SparseBM25.build(self.bm25_tokens)
        return self._bm25

    def encoder(self, signal: str) -> Encoder:
        return load_encoder(signal, self.manifest["dense"][signal]["model"])

    def sentence_rows(self, chunk_pos: int) -> range:
        first = int(self.sent_first[chunk_pos])
        return range(first, first + len(self.chunks[chunk_pos].sentences))


# ------------------------------------------------------------------ building

def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _progress(iterable, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, unit="batch", file=sys.stderr, leave=False)


def _encode_all(encoder: Encoder, texts: list[str], desc: str, progress: bool, batch: int = 32) -> np.ndarray:
    parts = [encoder.encode_passages(texts[i:i + batch], batch_size=batch)
             for i in _progress(range(0, len(texts), batch), desc, progress)]
    return np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def meta_hash(doc: Document) -> str:
    """A document's metadata (its .meta.json), as the manifest records it."""
    return hashlib.sha256(json.dumps(doc.meta, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _doc_ranges(chunks: list[Chunk]) -> dict[str, tuple[int, int]]:
    """Each document's run of chunk positions (a corpus is chunked document by document)."""
    out: dict[str, tuple[int, int]] = {}
    for i, c in enumerate(chunks):
        lo, _ = out.get(c.doc, (i, i))
        out[c.doc] = (lo, i + 1)
    return out


@dataclass
class _Previous:
    """What a rebuild may take over from the index it replaces, per document."""
    manifest: dict
    rows: dict[str, tuple[int, int, int, int]]  # doc -> chunk rows, sentence rows
    tokens: list[list[str]] | None
    vectors: dict[str, tuple[np.ndarray, np.ndarray]]  # signal -> (passage, sentence) vectors

    def reusable(self, doc: Document, n_chunks: int, n_sentences: int) -> tuple[int, int, int, int] | None:
        if self.manifest.get("documents", {}).get(doc.doc) != doc.sha256 or doc.doc not in self.rows:
            return None
        if self.manifest.get("metadata", {}).get(doc.doc, meta_hash(doc)) != meta_hash(doc):
            return None  # the metadata reaches the passages (a statistic's country)
        rows = self.rows[doc.doc]
        return rows if (rows[1] - rows[0], rows[3] - rows[2]) == (n_chunks, n_sentences) else None


def _previous(settings: Settings) -> _Previous | None:
    """The index being replaced, if it is intact and chunked the same way; None otherwise
    (then everything is encoded again)."""
    import faiss

    index_dir = settings.index_dir
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION or manifest.get("chunker", {}).get("version") != CHUNKER_VERSION:
            return None
        for name, digest in manifest["files"].items():
            if _sha256_file(index_dir / name) != digest:
                return None
        raw = json.loads((index_dir / "chunks.json").read_text(encoding="utf-8"))
        rows, sent = {}, 0
        for i, c in enumerate(raw):
            lo, _, slo, _ = rows.get(c["doc"], (i, i, sent, sent))
            sent += len(c["sentences"])
            rows[c["doc"]] = (lo, i + 1, slo, sent)
        tokens = None
        if manifest.get("tokenizer", {}).get("version") == TOKENIZER_VERSION:
            tokens = json.loads((index_dir / "bm25.json").read_text(encoding="utf-8"))
        vectors = {}
        for signal, info in manifest.get("dense", {}).items():
            fi = faiss.read_index(str(index_dir / f"{signal}.faiss"))
            vectors[signal] = (fi.reconstruct_n(0, fi.ntotal), np.load(index_dir / f"{signal}.sent.npy"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError):
        return None
    return _Previous(manifest, rows, tokens, vectors)


def build_index(settings: Settings, progress: bool = True, encoders: dict[str, Encoder] | None = None,
                reuse: bool = True) -> "Index":
    """Build ``index/`` from the corpus. ``encoders`` replaces the models for some signals
    (the manifest still names the configured model); ``reuse=False`` encodes everything."""
    import faiss

    started = time.perf_counter()
    docs = load_corpus(settings.corpus_dir)
    per_doc = [chunk_document(d) for d in docs]
    chunks = [c for cs in per_doc for c in cs]
    if not chunks:
        raise QAError(f"no passages found in {settings.corpus_dir}; check that the documents hold text")
    index_dir = settings.index_dir
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(index_dir, exc) from exc
    previous = _previous(settings) if reuse else None
    # per document: its rows in the previous index, when they can be taken over
    plan = [previous.reusable(d, len(cs), sum(len(c.sentences) for c in cs)) if previous else None
            for d, cs in zip(docs, per_doc)]
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    except OSError as exc:
        raise _unwritable(index_dir, exc) from exc
    try:
        files: dict[str, str] = {}

        def write_json(name: str, obj) -> None:
            (tmp / name).write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")

        write_json("chunks.json", [c.to_dict() for c in chunks])
        bm25_tokens: list[list[str]] = []
        for rows, cs in zip(plan, per_doc):
            if rows is not None and previous.tokens is not None:
                bm25_tokens += previous.tokens[rows[0]:rows[1]]
            else:
                bm25_tokens += [tokenize(c.index_text) for c in cs]
        write_json("bm25.json", bm25_tokens)
        SparseBM25.build(bm25_tokens).save(tmp / "bm25.npz")
        dense = {}
        encoded = {}
        sentences = [sentence_text(c, i) for c in chunks for i in range(len(c.sentences))]
        for signal, model in dense_models(settings).items():
            encoder = (encoders or {}).get(signal) or load_encoder(signal, model)
            old = (previous.manifest.get("dense", {}).get(signal, {}) if previous else {})
            same_model = old.get("model") == model and old.get("spec") == encoder.spec and signal in previous.vectors \
                if previous else False
            passages, sents, new_p, new_s = [], [], [], []
            for rows, cs in zip(plan, per_doc):
                if rows is not None and same_model:
                    passages.append(previous.vectors[signal][0][rows[0]:rows[1]])
                    sents.append(previous.vectors[signal][1][rows[2]:rows[3]])
                else:  # encoded below, in one pass over every new document
                    passages.append(len(new_p))
                    sents.append(len(new_s))
                    new_p += [passage_text(c) for c in cs]
                    new_s += [sentence_text(c, i) for c in cs for i in range(len(c.sentences))]
            enc_p = _encode_all(encoder, new_p, f"{signal} passages", progress)
            enc_s = _encode_all(encoder, new_s, f"{signal} sentences", progress)
            encoded[signal] = len(new_p)
            vecs = np.vstack(_fill(passages, enc_p, [len(cs) for cs in per_doc], encoder.dim))
            svecs = np.vstack(_fill(sents, enc_s, [sum(len(c.sentences) for c in cs) for cs in per_doc], encoder.dim))
            index = faiss.IndexFlatIP(encoder.dim)
            index.add(np.ascontiguousarray(vecs, dtype=np.float32))
            faiss.write_index(index, str(tmp / f"{signal}.faiss"))
            np.save(tmp / f"{signal}.sent.npy", np.ascontiguousarray(svecs, dtype=np.float32))
            dense[signal] = {"model": model, "spec": encoder.spec, "dim": encoder.dim,
                             "files": [f"{signal}.faiss", f"{signal}.sent.npy"]}
        for p in tmp.iterdir():
            files[p.name] = _sha256_file(p)
        manifest = {
            "format": FORMAT_VERSION,
            "qa_version": __version__,
            "corpus_hash": corpus_hash(docs),
            "documents": {d.doc: d.sha256 for d in docs},
            "metadata": {d.doc: meta_hash(d) for d in docs},
            "chunker": {"version": CHUNKER_VERSION},
            "tokenizer": {"version": TOKENIZER_VERSION},
            "dense": dense,
            "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sentences)},
            "reused": {"documents": sum(r is not None for r in plan), "encoded_passages": encoded},
            "files": files,
            "build_seconds": round(time.perf_counter() - started, 2),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_json(MANIFEST, manifest)
        # the old manifest goes first, the new one last: in between nothing loads
        (index_dir / MANIFEST).unlink(missing_ok=True)
        for name in files:
            os.replace(tmp / name, index_dir / name)
        os.replace(tmp / MANIFEST, index_dir / MANIFEST)
    except OSError as exc:  # disk full, folder made read-only half-way
        raise _unwritable(index_dir, exc) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_index(settings, auto_build=False)


def _unwritable(index_dir: Path, exc: OSError) -> QAError:
    return QAError(f"cannot write the index in {index_dir} ({exc.strerror or exc}): make that folder writable "
                   "(or set QA_INDEX_DIR to one that is) and run `qa index`")


def _fill(parts: list, encoded: np.ndarray, sizes: list[int], dim: int) -> list[np.ndarray]:
    """Per document, its reused rows, or its slice of the freshly encoded rows (an int part
    is where that document's rows start in ``encoded``)."""
    out = [p if not isinstance(p, int) else encoded[p:p + n] for p, n in zip(parts, sizes)]
    return out or [np.zeros((0, dim), dtype=np.float32)]


# ------------------------------------------------------------------ loading

def check_manifest(settings: Settings, manifest: dict, docs: list[Document]) -> list[str]:
    """What makes an index unfit for the current corpus and settings (empty list: fit)."""
    reasons = []
    if manifest.get("format") != FORMAT_VERSION:
        reasons.append("it was written by another version of qa")
    if manifest.get("corpus_hash") != corpus_hash(docs):
        built = set(manifest.get("documents", {}))
        now = {d.doc: d.sha256 for d in docs}
        changed = sorted(d for d in now if d in built and manifest["documents"][d] != now[d])
        added, removed = sorted(set(now) - built), sorted(built - set(now))
        detail = "; ".join(p for p in (
            f"changed: {', '.join(changed)}" if changed else "",
            f"added: {', '.join(added)}" if added else "",
            f"removed: {', '.join(removed)}" if removed else "") if p)
        reasons.append(f"the corpus changed since it was built ({detail or 'different files'})")
    recorded = manifest.get("metadata", {})  # absent in indexes built before it was recorded
    edited = sorted(d.doc for d in docs if d.doc in recorded and recorded[d.doc] != meta_hash(d))
    if edited:
        reasons.append(f"the metadata of {', '.join(edited)} changed since it was built")
    if manifest.get("chunker", {}).get("version") != CHUNKER_VERSION:
        reasons.append("the chunker changed")
    if manifest.get("tokenizer", {}).get("version") != TOKENIZER_VERSION:
        reasons.append("the tokenizer changed")
    wanted = dense_models(settings)
    built = {s: v.get("model") for s, v in manifest.get("dense", {}).items()}
    for signal, model in wanted.items():
        if built.get(signal) != model:
            reasons.append(f"it has no {signal} vectors for model {describe(model)!r}")
        elif manifest["dense"][signal].get("spec") != describe(model) and model in ("minilm", "e5"):
            reasons.append(f"the {signal} model package changed version")
    return reasons


def load_index(settings: Settings, auto_build: bool | None = None, progress: bool = True) -> Index:
    """Load ``index/``; a missing or stale index is rebuilt when ``auto_build`` (default:
    the ``auto_index`` setting), otherwise a clear error names the command to run."""
    auto_build = settings.auto_index if auto_build is None else auto_build
    index_dir = settings.index_dir
    docs = load_corpus(settings.corpus_dir)

    def rebuild_or_raise(exc: QAError) -> Index:
        if not auto_build:
            raise exc
        if progress:
            print(f"qa: {exc} Rebuilding the index…", file=sys.stderr)
        return build_index(settings, progress=progress)

    manifest_path = index_dir / MANIFEST
    if not manifest_path.exists():
        return rebuild_or_raise(IndexMissingError(
            f"no index in {index_dir}: run `qa index` to build it."))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        return rebuild_or_raise(IndexCorruptError(
            f"{manifest_path} is unreadable ({exc}): run `qa index --force` to rebuild it."))
    reasons = check_manifest(settings, manifest, docs)
    if reasons:
        return rebuild_or_raise(IndexStaleError(
            f"the index in {index_dir} is out of date: {'; '.join(reasons)}. Run `qa index` to rebuild it."))
    try:
        return _read(settings, manifest, docs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError, IndexCorruptError) as exc:
        return rebuild_or_raise(IndexCorruptError(
            f"the index in {index_dir} is damaged ({exc}): run `qa index --force` to rebuild it."))


def _read(settings: Settings, manifest: dict, docs: list[Document]) -> Index:
    import faiss

    index_dir = settings.index_dir
    for name, digest in manifest["files"].items():
        path = index_dir / name
        if not path.exists():
            raise IndexCorruptError(f"{name} is missing")
        if _sha256_file(path) != digest:
            raise IndexCorruptError(f"{name} does not match its recorded checksum")
    by_doc = {d.doc: d for d in docs}
    raw = json.loads((index_dir / "chunks.json").read_text(encoding="utf-8"))
    chunks = [Chunk.from_dict(c, by_doc[c["doc"]].text) for c in raw]
    bm25_tokens = json.loads((index_dir / "bm25.json").read_text(encoding="utf-8"))
    if len(bm25_tokens) != len(chunks):
        raise IndexCorruptError("bm25.json and chunks.json disagree on the number of passages")
    counts = np.array([len(c.sentences) for c in chunks])
    sent_first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sent_owner = np.repeat(np.arange(len(chunks)), counts)
    index = Index(settings, manifest, by_doc, chunks, bm25_tokens,
                  sent_owner=sent_owner, sent_first=sent_first)
    for signal, info in manifest["dense"].items():
        fi = faiss.read_index(str(index_dir / f"{signal}.faiss"))
        sv = np.load(index_dir / f"{signal}.sent.npy")
        if fi.ntotal != len(chunks) or fi.d != info["dim"] or sv.shape != (len(sent_owner), info["dim"]):
            raise IndexCorruptError(f"{signal} vectors do not match the passages")
        index.faiss[signal] = fi
        index.sent_vectors[signal] = sv
    return index
