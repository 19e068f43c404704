"""Speed and size: ``qa bench``.

Per-stage timing of a question (query encoding per model, BM25, FAISS, fusion, answer
composition), warm, over the shipped evaluation set, with the end-to-end time as a
ratio to the bare query encoding of the same models measured in the same run (the
floor: a question cannot be answered faster than its query is encoded). Then cold start
(process start to first answer), index build time and peak memory, each in a fresh
process.

``--scale`` builds synthetic corpora (``qa.synth``) of the given numbers of passages
and reports build time, index size on disk, memory, and query p50/p95 per retriever,
with both BM25 backends and FAISS flat vs HNSW (with the recall HNSW costs). Encoding
100,000 passages with the real models takes hours on 2 cores, so real encoding is
timed on a sample, the total is estimated from that rate, and the other vectors are
noisy copies of the sample's (unit vectors at cosine about 0.9 to one real vector).
What FAISS, BM25 and fusion cost does not depend on what the vectors hold; how much
recall an approximate index loses does, and uniform random vectors (no neighbours to
find) would make that figure meaningless.

Timings are figures to read, not pass/fail checks; the machine's load average is
printed beside them, since other work on the same cores shows up in every number.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import Settings
from .evaluate import percentile

SAMPLE = 256  # passages per model really encoded at each scale point
STAGES = ("encode minilm", "encode e5", "bm25", "faiss minilm", "faiss e5", "fusion", "compose", "other")


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# ------------------------------------------------------------------ stage timing

class StageClock:
    """Exclusive time per stage: a wrapped call's time, less the wrapped calls inside it
    (a dense search's own time excludes the query encoding it triggers)."""

    def __init__(self):
        self.times: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []

    def wrap(self, fn, stage: str):
        def timed(*args, **kwargs):
            frame = [0.0]
            self._stack.append(frame)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t
                self._stack.pop()
                self.times[stage] += (elapsed - frame[0]) * 1000
                if self._stack:
                    self._stack[-1][0] += elapsed
        return timed

    def take(self) -> dict[str, float]:
        out, self.times = dict(self.times), defaultdict(float)
        return out


@dataclass
class StageRun:
    mode: str
    rows: list[dict] = field(default_factory=list)  # per question: stage -> ms, "e2e", "floor"

    def column(self, key: str) -> list[float]:
        return [r[key] for r in self.rows if key in r]

    def ratio(self) -> float:
        e2e, floor = self.column("e2e"), self.column("floor")
        return percentile(e2e, 0.5) / percentile(floor, 0.5) if floor else float("nan")

    def table(self) -> list[list[str]]:
        out = [["stage", "n", "p50 ms", "p95 ms", "mean ms", "share"]]
        e2e_mean = float(np.mean(self.column("e2e"))) if self.rows else 0.0
        for key in STAGES + ("e2e", "floor"):
            vals = self.column(key)
            if not vals:
                continue
            name = {"e2e": "end to end", "floor": "floor: bare query encoding"}.get(key, key)
            share = f"{np.sum(vals) / len(self.rows) / e2e_mean:.0%}" if key not in ("e2e", "floor") and e2e_mean else ""
            out.append([name, str(len(vals)), f"{percentile(vals, 0.5):.2f}", f"{percentile(vals, 0.95):.2f}",
                        f"{np.mean(vals):.2f}", share])
        return out


def _instrument(assistant, mode: str, clock: StageClock):
    """Wrap, on these instances only, the calls whose time makes a stage; return the
    bare model calls (unwrapped) for the floor, and an undo function."""
    retr = assistant.retrievers
    undo = []

    def patch(obj, attr, stage):
        original = getattr(obj, attr)
        setattr(obj, attr, clock.wrap(original, stage))
        undo.append(lambda: delattr(obj, attr) if attr in vars(obj) else None)
        return original

    bare = {}
    for signal in assistant.settings.signals(mode):
        r = retr.single(signal)
        if signal == "bm25":
            patch(r, "search", "bm25")
            continue
        if hasattr(r.encoder, "_queries"):  # the model call itself, below the query cache
            model_call = patch(r.encoder, "_queries", f"encode {signal}")
            bare[signal] = lambda q, f=model_call: f([q])
        else:
            bare[signal] = patch(r.encoder, "encode_query", f"encode {signal}")
        patch(r, "search", f"faiss {signal}")
    hybrid = retr.for_mode(mode)
    if hasattr(hybrid, "fuse"):
        patch(hybrid, "search", "fusion")
    patch(assistant, "_compose", "compose")
    return bare, lambda: [u() for u in reversed(undo)]


def run_stages(assistant, items: list, mode: str = "hybrid", repeat: int = 1, warmup: int = 10,
               progress=None) -> StageRun:
    """Ask every item (with its history) ``repeat`` times, warm, query caches cleared before
    each ask; after each, time the bare encoding of the same query by the same models."""
    retr = assistant.retrievers
    retr.for_mode(mode)
    encoders = {s: retr.single(s).encoder for s in assistant.settings.signals(mode) if s != "bm25"}
    for item in items[:warmup]:
        assistant.ask(item.question, list(item.history), mode=mode, threshold=float("-inf"))
    clock = StageClock()
    bare, undo = _instrument(assistant, mode, clock)
    run = StageRun(mode)
    try:
        seq = [it for _ in range(repeat) for it in items]
        for item in (progress(seq) if progress else seq):
            for enc in encoders.values():
                getattr(enc, "clear_cache", lambda: None)()
            clock.take()
            t = time.perf_counter()
            answer = assistant.ask(item.question, list(item.history), mode=mode, threshold=float("-inf"))
            row = {"e2e": (time.perf_counter() - t) * 1000, **clock.take()}
            row["other"] = max(0.0, row["e2e"] - sum(v for k, v in row.items() if k in STAGES))
            used = [s for s in bare if f"encode {s}" in row]
            if used:
                floor = 0.0
                for s in used:
                    t = time.perf_counter()
                    bare[s](answer.query)
                    floor += (time.perf_counter() - t) * 1000
                row["floor"] = floor
            run.rows.append(row)
    finally:
        undo()
    return run


# ------------------------------------------------------------------ fresh processes

_COLD = """
import json, resource, sys, time
t0 = time.perf_counter()
from qa.assistant import Assistant
from qa.config import Settings
t1 = time.perf_counter()
a = Assistant(Settings.from_env(), progress=False)
t2 = time.perf_counter()
ans = a.ask(sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_answer_s": t3 - t2, "answered": ans.answered,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_BUILD = """
import json, resource, sys, time
from pathlib import Path
from qa.config import Settings
from qa.index import build_index
s = Settings.from_env(index_dir=Path(sys.argv[1]))
t = time.perf_counter(); idx = build_index(s, progress=False, reuse=False); full = time.perf_counter() - t
t = time.perf_counter(); build_index(s, progress=False); again = time.perf_counter() - t
print(json.dumps({"build_s": full, "rebuild_unchanged_s": again, "chunks": len(idx.chunks),
                  "sentences": idx.manifest["counts"]["sentences"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str, env: dict | None = None) -> tuple[dict, float]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def cold_start(question: str) -> dict:
    """Process start to first answer, in a fresh interpreter over the existing index."""
    out, wall = _child(_COLD, question)
    return {**out, "process_to_answer_s": wall}


def build_time() -> dict:
    """A full build with the real models into a temporary folder, then a rebuild with
    nothing changed (everything reused), in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        out, _ = _child(_BUILD, tmp)
    return out


# ------------------------------------------------------------------ scale curve

class FillEncoder:
    """Passage vectors for the scale curve: noisy copies of real sample vectors, unit
    length, cosine about ``1 / sqrt(1 + sigma^2 dim)`` (0.9) to the copied vector. The
    manifest records the real model's spec, so queries are encoded by the real model."""

    def __init__(self, name: str, spec: str, sample: np.ndarray, cos: float = 0.9, seed: int = 0):
        self.name, self.spec, self.dim = name, spec, sample.shape[1]
        self.sample = sample
        self.sigma = float(np.sqrt((1 / cos ** 2 - 1) / self.dim))
        self.rng = np.random.default_rng(seed)

    def encode_passages(self, texts, batch_size=32):
        pick = np.array([zlib.crc32(t.encode()) % len(self.sample) for t in texts], dtype=np.int64)
        v = self.sample[pick] + self.sigma * self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _timed(fn, queries) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _dir_size(path: Path, names=None) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and (names is None or p.name in names))


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def scale_build(passages: int, workdir: Path, sample: int = SAMPLE, log=lambda *_: None) -> dict:
    """Write a synthetic corpus of about ``passages`` passages into ``workdir`` and build its
    index (real encoding timed on a sample, fill vectors for the rest); then change one
    profile and rebuild. Run in a fresh process: its peak memory is the build's."""
    from .corpus import chunk_document, load_corpus, load_document
    from .embed import describe, load_encoder
    from .index import build_index, dense_models, passage_text, sentence_text
    from .synth import write_profiles

    root = Path(__file__).resolve().parents[2]
    settings = Settings.from_env(root=workdir, corpus_dir=workdir / "corpus", index_dir=workdir / "index")
    template = Settings.from_env().corpus_dir / "mexico.txt"
    per_profile = len(chunk_document(load_document(template, template.parent)))
    count = max(1, -(-passages // per_profile))
    t = time.perf_counter()
    write_profiles(template, settings.corpus_dir, count, forbidden=root / "corpus")
    out = {"passages_asked": passages, "profiles": count, "generate_s": time.perf_counter() - t}
    log(f"{passages}: {count} profiles written")

    # real encoding of a sample of passages and of sentences: their rates estimate the full encoding time
    docs = load_corpus(settings.corpus_dir)
    sample_chunks = [c for d in docs[:max(1, -(-sample // per_profile))] for c in chunk_document(d)][:sample]
    sample_sentences = [sentence_text(c, i) for c in sample_chunks for i in range(len(c.sentences))][:sample]
    fills, encode_rate = {}, {}
    for signal, model in dense_models(settings).items():
        enc = load_encoder(signal, model)
        t = time.perf_counter()
        vecs = enc.encode_passages([passage_text(c) for c in sample_chunks])
        t1 = time.perf_counter()
        enc.encode_passages(sample_sentences)
        encode_rate[signal] = {"passages": len(sample_chunks) / (t1 - t),
                               "sentences": len(sample_sentences) / (time.perf_counter() - t1)}
        fills[signal] = FillEncoder(signal, describe(model), vecs)
    out["encode_per_s"] = encode_rate
    log(f"{passages}: sample encoded")

    t = time.perf_counter()
    index = build_index(settings, progress=False, encoders=fills, reuse=False)
    out["build_s"] = time.perf_counter() - t
    n, n_sent = len(index.chunks), index.manifest["counts"]["sentences"]
    out["passages"], out["sentences"] = n, n_sent
    out["encode_est_s"] = sum(n / r["passages"] + n_sent / r["sentences"] for r in encode_rate.values())
    idir = settings.index_dir
    out["disk_mb"] = {"total": _dir_size(idir) / 2 ** 20,
                      "bm25": _dir_size(idir, {"bm25.json", "bm25.npz"}) / 2 ** 20,
                      "faiss": _dir_size(idir, {f"{s}.faiss" for s in fills}) / 2 ** 20,
                      "sentence vectors": _dir_size(idir, {f"{s}.sent.npy" for s in fills}) / 2 ** 20,
                      "chunks": _dir_size(idir, {"chunks.json"}) / 2 ** 20}
    log(f"{passages}: index built")
    del index

    # one changed profile: what a rebuild costs when the rest is reused (fill vectors again)
    first = sorted(settings.corpus_dir.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nAn added paragraph about a new program.\n",
                     encoding="utf-8")
    t = time.perf_counter()
    index = build_index(settings, progress=False, encoders=fills)
    out["rebuild_one_changed_s"] = time.perf_counter() - t
    out["rebuild_encoded_passages"] = index.manifest["reused"]["encoded_passages"]
    out["build_peak_rss_mb"] = rss_mb("VmHWM")
    return out


def scale_serve(workdir: Path, questions: list[str], hnsw_m: int = 32, ef_search=(64, 128, 256),
                log=lambda *_: None) -> dict:
    """Load the index built by ``scale_build`` as the chat would (fresh process), time the
    retrievers and the assistant, then rank-bm25 and FAISS HNSW beside them."""
    import faiss

    from .assistant import Assistant
    from .retrieve import BM25Retriever

    settings = Settings.from_env(root=workdir, corpus_dir=workdir / "corpus", index_dir=workdir / "index")
    out = {}
    t = time.perf_counter()
    assistant = Assistant(settings, progress=False)
    retr = assistant.retrievers
    hybrid = retr.for_mode("hybrid")
    dense = {s: retr.single(s) for s in assistant.index.faiss}
    out["load_s"] = time.perf_counter() - t
    out["loaded_rss_mb"] = rss_mb()
    log(f"{workdir.name}: assistant loaded")

    # queries are really encoded, once, into the encoders' caches: the timings below are retrieval only
    qvecs = {s: np.vstack([r.encoder.encode_query(q) for q in questions]) for s, r in dense.items()}
    res = {}
    bm25 = retr.single("bm25")
    res["bm25 (bm25s)"] = _timed(lambda q: bm25.search(q, 50), questions)
    signal = next(iter(dense))
    res[f"faiss flat ({signal})"] = _timed(lambda v: dense[signal].search_vector(v, 50), qvecs[signal])
    res["hybrid retrieval (bm25s + 2 dense + fusion)"] = _timed(lambda q: hybrid.search(q, 10), questions)
    res["ask, encodings cached"] = _timed(lambda q: assistant.ask(q, threshold=float("-inf")), questions)
    out["serving_peak_rss_mb"] = rss_mb("VmHWM")

    t = time.perf_counter()
    rank = BM25Retriever(assistant.index, backend="rank-bm25")
    out["rank_bm25_load_s"] = time.perf_counter() - t
    res["bm25 (rank-bm25)"] = _timed(lambda q: rank.search(q, 50), questions)
    rank = None  # free it before the next measurement
    flat = assistant.index.faiss[signal]
    exact = flat.search(qvecs[signal], 10)[1]
    t = time.perf_counter()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building uses every core; searching, one (as served)
    hnsw = faiss.IndexHNSWFlat(flat.d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(flat.reconstruct_n(0, flat.ntotal))
    faiss.omp_set_num_threads(1)
    out["hnsw_build_s"] = time.perf_counter() - t
    out["hnsw_recall@10"] = {}
    for ef in ef_search:
        hnsw.hnsw.efSearch = ef
        res[f"faiss hnsw ef={ef} ({signal})"] = _timed(lambda v: hnsw.search(v[None, :], 50), qvecs[signal])
        approx = hnsw.search(qvecs[signal], 10)[1]
        out["hnsw_recall@10"][str(ef)] = float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)]))
    out["query_ms"] = {k: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95)} for k, v in res.items()}
    return out


def _run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "qa.bench", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"qa.bench {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scale_point(passages: int, workdir: Path, questions: list[str], sample: int = SAMPLE) -> dict:
    """One size: the build in one fresh process, serving in another (so each peak memory
    and the load time are that step's own)."""
    qfile = workdir / "questions.json"
    workdir.mkdir(parents=True, exist_ok=True)
    qfile.write_text(json.dumps(questions), encoding="utf-8")
    point = _run_child("scale-build", str(passages), str(workdir), str(sample))
    point.update(_run_child("scale-serve", str(workdir), str(qfile)))
    return point


def _table_order(name: str) -> tuple[int, int]:
    """BM25 backends side by side, FAISS flat beside HNSW (in efSearch order), hybrid, ask."""
    kind = next((i for i, p in enumerate(("bm25", "faiss flat", "faiss hnsw", "hybrid")) if name.startswith(p)), 4)
    ef = re.search(r"ef=(\d+)", name)
    return kind, int(ef.group(1)) if ef else 0


def run_scale(sizes: list[int], questions: list[str], keep: Path | None = None, log=print) -> list[dict]:
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"qa-scale-{n}-") as tmp:
            t = time.perf_counter()
            point = scale_point(n, Path(keep) / str(n) if keep else Path(tmp), questions)
            point["wall_s"] = time.perf_counter() - t
            log(f"scale {n}: done in {point['wall_s']:.0f}s")
            results.append(point)
    return results


def scale_tables(points: list[dict]) -> tuple[list[list[str]], list[list[str]]]:
    """(size table, query table) for the terminal and the README."""
    size = [["passages", "profiles", "build s (fill vectors)", "encode s (est.)", "1 changed: rebuild s",
             "disk MB", "of it sentence vectors", "build peak MB", "load s", "serving peak MB"]]
    for p in points:
        size.append([f"{p['passages']:,}", f"{p['profiles']:,}", f"{p['build_s']:.1f}", f"{p['encode_est_s']:,.0f}",
                     f"{p['rebuild_one_changed_s']:.1f}", f"{p['disk_mb']['total']:.0f}",
                     f"{p['disk_mb']['sentence vectors']:.0f}", f"{p['build_peak_rss_mb']:.0f}", f"{p['load_s']:.1f}",
                     f"{p['serving_peak_rss_mb']:.0f}"])
    names = sorted(points[0]["query_ms"], key=_table_order) if points else []
    query = [["retriever (p50 / p95 ms)", *[f"{p['passages']:,}" for p in points]]]
    for name in names:
        query.append([name, *[f"{p['query_ms'][name]['p50']:.2f} / {p['query_ms'][name]['p95']:.2f}" for p in points]])
    for ef in points[0]["hnsw_recall@10"] if points else []:
        query.append([f"hnsw ef={ef} recall@10 vs flat", *[f"{p['hnsw_recall@10'][ef]:.3f}" for p in points]])
    return size, query


def plot_scale(points: list[dict], path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [p["passages"] for p in points]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name in sorted(points[0]["query_ms"], key=_table_order):
        ax1.plot(xs, [p["query_ms"][name]["p50"] for p in points], marker="o", label=name)
    ax1.set_xscale("log"), ax1.set_yscale("log"), ax1.set_xlabel("passages"), ax1.set_ylabel("query p50 (ms)")
    ax1.set_title("Query time per retriever (encoding excluded)"), ax1.grid(alpha=.3), ax1.legend(fontsize=6)
    ax2.plot(xs, [p["disk_mb"]["total"] for p in points], marker="o", label="index on disk (MB)")
    ax2.plot(xs, [p["serving_peak_rss_mb"] for p in points], marker="o", label="serving peak memory (MB)")
    ax2.plot(xs, [p["build_s"] + p["encode_est_s"] for p in points], marker="o", label="build s, with est. encoding")
    ax2.set_xscale("log"), ax2.set_yscale("log"), ax2.set_xlabel("passages"), ax2.grid(alpha=.3), ax2.legend(fontsize=7)
    ax2.set_title("Size, memory and build time")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":  # the child processes of scale_point
    _log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if len(sys.argv) == 5 and sys.argv[1] == "scale-build":
        print(json.dumps(scale_build(int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), log=_log)))
    elif len(sys.argv) == 4 and sys.argv[1] == "scale-serve":
        qs = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
        print(json.dumps(scale_serve(Path(sys.argv[2]), qs, log=_log)))
    else:
        sys.exit("usage: python -m qa.bench scale-build PASSAGES WORKDIR SAMPLE | scale-serve WORKDIR QUESTIONS.json")
