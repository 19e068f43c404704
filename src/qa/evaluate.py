"""The benchmark: run a question set through the assistant, score retrieval, answers,
citations and refusals, and write a report that can be compared run to run.

Definitions (the same in the code, the report and the README):

* a retrieved passage *covers* an evidence string when its span holds at least half
  of one of the string's occurrences in the document;
* Recall@k: share of answerable items whose evidence is all covered within the top k;
* MRR@10: mean reciprocal rank of the first passage covering any evidence;
* nDCG@10: binary gain for a passage that covers evidence not covered above it, the
  ideal ranking covering one evidence string per position;
* accuracy: share of answerable items answered with an answer that contains one of
  the aliases (case-, accent-, quote-style- and thousands-separator-insensitive);
* citation precision: share of citations (on answerable items) whose span overlaps some
  evidence by at least 20 characters or half of the shorter span;
* citation recall: share of answered answerable items whose every evidence string is
  overlapped so by some citation;
* declined: share of unanswerable items declined; wrongly declined: share of answerable
  items declined.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .evalset import Item
from .text import fold

KS = tuple(range(1, 11))


# ------------------------------------------------------------------ matching (pure)

def normalize_answer(text: str) -> str:
    """Fold case and accents, drop thousands separators, unify dashes, quotes and spaces
    ("doesn't" matches the profile's "doesn’t")."""
    t = fold(text)
    t = re.sub(r"(?<=\d)[,.\u00a0\u202f](?=\d{3}\b)", "", t)
    t = re.sub(r"[\u2010-\u2015\-]", "-", t)
    t = re.sub(r"[\u2018\u2019\u02bc`´]", "'", t)
    t = re.sub(r"[\u201c\u201d«»]", '"', t)
    return re.sub(r"\s+", " ", t)


def contains_alias(answer: str, aliases: Iterable[str]) -> bool:
    a = normalize_answer(answer)
    return any(normalize_answer(x) in a for x in aliases if x.strip())


def occurrences(doc_text: str, needle: str) -> list[tuple[int, int]]:
    out, i = [], doc_text.find(needle)
    while i >= 0:
        out.append((i, i + len(needle)))
        i = doc_text.find(needle, i + 1)
    return out


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def covers(span: tuple[int, int], occ: list[tuple[int, int]]) -> bool:
    """A passage covers evidence when it holds at least half of one occurrence."""
    return any(overlap(span, o) * 2 >= (o[1] - o[0]) for o in occ)


def supports(span: tuple[int, int], occ: list[tuple[int, int]]) -> bool:
    """A citation supports evidence when they overlap by 20 characters or half the shorter span."""
    for o in occ:
        ov = overlap(span, o)
        if ov > 0 and (ov >= 20 or ov * 2 >= min(span[1] - span[0], o[1] - o[0])):
            return True
    return False


def retrieval_scores(retrieved: list[tuple[str, int, int]], evidence_occ: list[dict[str, list]],
                     ks: tuple[int, ...] = KS) -> dict[str, float]:
    """Recall@k, MRR@10 and nDCG@10 for one item. ``evidence_occ`` holds, per evidence
    string, its occurrences per document."""
    def covered_by(i):
        doc, s, e = retrieved[i]
        return {j for j, occ in enumerate(evidence_occ) if covers((s, e), occ.get(doc, []))}

    cov = [covered_by(i) for i in range(min(len(retrieved), max(max(ks), 10)))]
    n = len(evidence_occ)
    out = {}
    for k in ks:
        got = set().union(*cov[:k]) if cov[:k] else set()
        out[f"recall@{k}"] = 1.0 if len(got) == n else 0.0
    first = next((i for i, c in enumerate(cov[:10]) if c), None)
    out["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    seen: set[int] = set()
    dcg = 0.0
    for i, c in enumerate(cov[:10]):
        if c - seen:
            dcg += 1.0 / math.log2(i + 2)
            seen |= c
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(n, 10)))
    out["ndcg@10"] = dcg / idcg if idcg else 0.0
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


# ------------------------------------------------------------------ running

@dataclass
class Record:
    """One item's outcome, as written to items.jsonl."""
    item: Item
    answered: bool
    answer: str
    citations: list[dict]
    retrieved: list[dict]
    latency_ms: float
    confidence: float
    kind: str
    raw_answer: str  # the answer that would have been given without the decline rule
    raw_citations: list[dict]
    lang: str = "en"  # the language the assistant detected (it picks the threshold)

    def to_dict(self) -> dict:
        return {"id": self.item.id, "answered": self.answered, "answer": self.answer,
                "citations": self.citations, "retrieved": self.retrieved,
                "latency_ms": round(self.latency_ms, 2), "confidence": round(self.confidence, 5),
                "lang": self.item.lang, "category": self.item.category}


Thresholds = float | dict[str, float]


def _thr(thresholds: Thresholds, lang: str) -> float:
    return thresholds.get(lang, thresholds.get("en", 0.0)) if isinstance(thresholds, dict) else thresholds


def run_items(assistant, items: list[Item], mode: str, k: int = 10, threshold: Thresholds | None = None,
              progress: Callable | None = None) -> list[Record]:
    """Ask every item (with its history, as the chat passes it). Declining is applied
    here from each answer's confidence, so one run also yields the threshold curve."""
    if threshold is None:
        threshold = {lang: assistant.settings.threshold(mode, lang) for lang in ("en", "es")}
    from .answer import FRAMING

    records = []
    for item in (progress(items) if progress else items):
        t = time.perf_counter()
        ans = assistant.ask(item.question, list(item.history), mode=mode, k=k, threshold=float("-inf"))
        latency = (time.perf_counter() - t) * 1000
        cites = [{"doc": c.doc, "start": c.start, "end": c.end} for c in ans.citations]
        retrieved = [{"doc": h.chunk.doc, "start": h.chunk.start, "end": h.chunk.end} for h in ans.hits]
        answered = ans.answered and ans.confidence >= _thr(threshold, ans.lang)
        records.append(Record(item, answered, ans.text if answered else FRAMING[ans.lang]["declined"],
                              cites if answered else [], retrieved, latency, ans.confidence, ans.kind,
                              ans.text, cites, ans.lang))
    return records


def _keeps(r: Record, thresholds: Thresholds) -> bool:
    return r.kind == "answer" and r.confidence >= _thr(thresholds, r.lang)


def apply_threshold(records: list[Record], thresholds: Thresholds) -> list[Record]:
    return [replace(r, answered=_keeps(r, thresholds), citations=r.raw_citations if _keeps(r, thresholds) else [])
            for r in records]


# ------------------------------------------------------------------ metrics

def _evidence_occ(item: Item, doc_texts: dict[str, str]) -> list[dict[str, list]]:
    return [{doc: occurrences(text, ev) for doc, text in doc_texts.items()} for ev in item.evidence]


def score_records(records: list[Record], doc_texts: dict[str, str]) -> dict[str, float | int]:
    """Every metric over a group of records."""
    ans = [r for r in records if r.item.answerable]
    una = [r for r in records if not r.item.answerable]
    m: dict[str, float | int] = {"items": len(records), "answerable": len(ans), "unanswerable": len(una)}
    if ans:
        per = []
        correct, prec_hits, prec_total, rec_ok, answered_ans, lengths = 0, 0, 0, 0, 0, []
        for r in ans:
            occ = _evidence_occ(r.item, doc_texts)
            per.append(retrieval_scores([(h["doc"], h["start"], h["end"]) for h in r.retrieved], occ))
            if r.answered:
                answered_ans += 1
                lengths.append(len(r.answer))
                correct += contains_alias(r.answer, r.item.answers)
                for c in r.citations:
                    prec_total += 1
                    prec_hits += any(supports((c["start"], c["end"]), o.get(c["doc"], [])) for o in occ)
                rec_ok += all(any(supports((c["start"], c["end"]), o.get(c["doc"], [])) for c in r.citations)
                              for o in occ)
        for key in per[0]:
            m[key] = sum(p[key] for p in per) / len(per)
        m["accuracy"] = correct / len(ans)
        m["answer_chars_median"] = statistics.median(lengths) if lengths else 0
        m["citation_precision"] = prec_hits / prec_total if prec_total else 0.0
        m["citation_recall"] = rec_ok / answered_ans if answered_ans else 0.0
        m["wrongly_declined"] = 1 - answered_ans / len(ans)
    if una:
        m["declined"] = sum(not r.answered for r in una) / len(una)
    lat = [r.latency_ms for r in records]
    m["latency_p50_ms"] = percentile(lat, 0.5)
    m["latency_p95_ms"] = percentile(lat, 0.95)
    return m


def grouped_metrics(records: list[Record], doc_texts: dict[str, str]) -> dict[str, dict]:
    """Overall, by language and by category."""
    out = {"overall": score_records(records, doc_texts)}
    for key in sorted({r.item.lang for r in records}):
        out[f"lang:{key}"] = score_records([r for r in records if r.item.lang == key], doc_texts)
    for key in sorted({r.item.category for r in records}):
        out[f"category:{key}"] = score_records([r for r in records if r.item.category == key], doc_texts)
    return out


def _decline_rates(records: list[Record], thr: Thresholds) -> dict:
    ans = [r for r in records if r.item.answerable]
    una = [r for r in records if not r.item.answerable]

    def declined(r):
        return not _keeps(r, thr)

    return {"threshold": thr,
            "declined": sum(map(declined, una)) / len(una) if una else 0.0,
            "wrongly_declined": sum(map(declined, ans)) / len(ans) if ans else 0.0}


def threshold_curve(records: list[Record]) -> list[dict]:
    """Declined-unanswerable vs wrongly-declined-answerable at every threshold that
    changes a decision (midpoints between neighbouring confidences)."""
    confs = sorted({r.confidence for r in records if r.kind == "answer"})
    if not confs:
        return []
    cuts = [confs[0] - 1e-6] + [(a + b) / 2 for a, b in zip(confs, confs[1:])] + [confs[-1] + 1e-6]
    return [_decline_rates(records, t) for t in cuts]


def choose_threshold(records: list[Record], answerable_cost: float = 3.0) -> dict:
    """The threshold that best trades declining unanswerable items against wrongly
    declining answerable ones; refusing a question the profile answers costs
    ``answerable_cost`` times more. Ties go to the lowest threshold (fewer refusals)."""
    best = None
    for p in threshold_curve(records):
        gain = p["declined"] - answerable_cost * p["wrongly_declined"]
        if best is None or gain > best[0] + 1e-12:
            best = (gain, p)
    return best[1] if best else {"threshold": 0.0, "declined": 0.0, "wrongly_declined": 0.0}


# ------------------------------------------------------------------ benchmark runs and reports

TABLE_METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "accuracy", "answer_chars_median",
                 "citation_precision", "citation_recall", "declined", "wrongly_declined",
                 "latency_p50_ms", "latency_p95_ms")
LOWER_IS_BETTER = frozenset({"answer_chars_median", "wrongly_declined", "latency_p50_ms", "latency_p95_ms"})
SHORT = {"recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
         "accuracy": "acc", "answer_chars_median": "len", "citation_precision": "cit.P", "citation_recall": "cit.R",
         "declined": "decl", "wrongly_declined": "wr.decl", "latency_p50_ms": "p50 ms", "latency_p95_ms": "p95 ms"}


@dataclass
class Run:
    set_name: str
    mode: str
    threshold: Thresholds
    records: list[Record]
    metrics: dict[str, dict]


def fmt(metric: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric.startswith("latency") or metric == "answer_chars_median":
        return f"{value:.0f}" if metric == "answer_chars_median" else f"{value:.1f}"
    return f"{value:.3f}"


def table(runs: list[Run], group: str = "overall", metrics=TABLE_METRICS) -> list[list[str]]:
    rows = [["set", "mode", *[SHORT[m] for m in metrics]]]
    for r in runs:
        g = r.metrics.get(group)
        if g is None:
            continue
        rows.append([r.set_name, r.mode, *[fmt(m, g.get(m)) for m in metrics]])
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in rows)


def render_markdown(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def parse_floors(specs: Iterable[str]) -> list[tuple[str, str, float]]:
    """``[GROUP.]METRIC=VALUE`` (GROUP: a language such as ``es`` or a category) ->
    (group key, metric, value)."""
    from .errors import QAError

    out = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            v = float(value)
        except ValueError:
            v = None
        group, _, metric = name.rpartition(".")
        if not sep or v is None or metric not in TABLE_METRICS:
            raise QAError(f"cannot read floor {spec!r}: write METRIC=VALUE or GROUP.METRIC=VALUE, "
                          f"with METRIC one of {', '.join(TABLE_METRICS)}")
        key = "overall" if not group else (f"lang:{group}" if group in ("en", "es") else f"category:{group}")
        out.append((key, metric, v))
    return out


def check_floors(runs: list[Run], floors: list[tuple[str, str, float]], under: bool = True) -> list[str]:
    """Failures: a metric under its floor (``under``) or over its ceiling."""
    failures = []
    for r in runs:
        for key, metric, value in floors:
            got = r.metrics.get(key, {}).get(metric)
            if got is None:
                continue
            if (under and got < value) or (not under and got > value):
                word = "under its floor" if under else "over its ceiling"
                failures.append(f"{r.set_name}/{r.mode} {key} {metric} = {fmt(metric, got)} is {word} {value}")
    return failures


def _fmt_thr(thr: Thresholds) -> str:
    if isinstance(thr, dict):
        return ", ".join(f"{lang} {v:.4f}" for lang, v in sorted(thr.items()))
    return f"{thr:.4f}"


def write_report(out: Path, runs: list[Run], calibration: dict | None, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for r in runs:
        with (out / f"items.{r.set_name}.{r.mode}.jsonl").open("w", encoding="utf-8") as f:
            for rec in r.records:
                f.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
    if len(runs) == 1:
        (out / "items.jsonl").write_text((out / f"items.{runs[0].set_name}.{runs[0].mode}.jsonl").read_text(
            encoding="utf-8"), encoding="utf-8")
    metrics = {"meta": meta, "runs": [{"set": r.set_name, "mode": r.mode, "threshold": r.threshold,
                                       "metrics": r.metrics} for r in runs]}
    if calibration:
        metrics["calibration"] = calibration
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    plots = _plots(out, runs)
    lines = ["# Benchmark report", "",
             f"qa {meta.get('qa_version')} · {meta.get('date')} · index built from corpus {meta.get('corpus_hash', '')[:12]} · k={meta.get('k')}",
             "", "Definitions: see `qa eval --help` and the README (Benchmark).", "", "## Overall", "",
             render_markdown(table(runs)), ""]
    for lang in ("en", "es"):
        lines += [f"## Language: {lang}", "", render_markdown(table(runs, f"lang:{lang}")), ""]
    cats = sorted({k.split(":", 1)[1] for r in runs for k in r.metrics if k.startswith("category:")})
    lines += ["## By category (accuracy / Recall@5 / declined)", ""]
    header = ["set", "mode", *cats]
    rows = [header]
    for r in runs:
        row = [r.set_name, r.mode]
        for c in cats:
            g = r.metrics.get(f"category:{c}", {})
            row.append(fmt("declined", g.get("declined")) if c == "unanswerable"
                       else f"{fmt('accuracy', g.get('accuracy'))} / {fmt('recall@5', g.get('recall@5'))}")
        rows.append(row)
    lines += [render_markdown(rows), ""]
    if calibration:
        lines += ["## Decline threshold", "",
                  f"Chosen on `{calibration.get('set')}`: " + ", ".join(
                      f"{m} = {_fmt_thr(v['threshold'])} (declined {v['declined']:.3f}, wrongly declined {v['wrongly_declined']:.3f})"
                      for m, v in calibration.get("modes", {}).items()), ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")


def _plots(out: Path, runs: list[Run]) -> list[Path]:
    """One panel per evaluation set, one colour per mode (the same colour in every plot)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the report stays useful without pictures
        return []
    sets = list(dict.fromkeys(r.set_name for r in runs))
    modes = list(dict.fromkeys(r.mode for r in runs))
    colour = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(modes)}

    def panels(width_per_panel: float = 5.0):
        fig, axes = plt.subplots(1, len(sets), figsize=(width_per_panel * len(sets), 4), squeeze=False, sharey=True)
        return fig, dict(zip(sets, axes[0]))

    def finish(fig, name: str, title: str) -> Path:
        handles, labels = next(iter(fig.axes)).get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(modes), 7), fontsize=8, frameon=False)
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        return out / name

    paths = []
    ks = list(range(1, 11))
    fig, ax = panels()
    for r in runs:
        if "recall@1" in r.metrics["overall"]:
            ax[r.set_name].plot(ks, [r.metrics["overall"][f"recall@{k}"] for k in ks], marker="o", ms=3,
                                color=colour[r.mode], label=r.mode)
    for name, a in ax.items():
        a.set_title(name), a.set_xlabel("k"), a.set_ylim(0, 1.02), a.grid(alpha=.3)
    ax[sets[0]].set_ylabel("Recall@k")
    paths.append(finish(fig, "recall_at_k.png", "Recall@k: all evidence of a question within the top k passages"))

    groups = sorted({k for r in runs for k in r.metrics if k.startswith(("lang:", "category:"))
                     and k != "category:unanswerable"}, key=lambda g: (not g.startswith("lang:"), g))
    fig, ax = panels(max(5.0, len(groups) * 0.8))
    width = 0.8 / max(1, len(modes))
    for r in runs:
        j = modes.index(r.mode)
        ys = [r.metrics.get(g, {}).get("accuracy", 0) for g in groups]
        ax[r.set_name].bar([i + j * width for i in range(len(groups))], ys, width, color=colour[r.mode], label=r.mode)
    for name, a in ax.items():
        a.set_xticks([i + 0.4 - width / 2 for i in range(len(groups))])
        a.set_xticklabels([g.split(":", 1)[1] for g in groups], rotation=30, ha="right")
        a.set_title(name), a.set_ylim(0, 1.02), a.grid(axis="y", alpha=.3)
    ax[sets[0]].set_ylabel("answer accuracy")
    paths.append(finish(fig, "accuracy_by_group.png", "Accuracy by language and category"))

    fig, ax = panels()
    for r in runs:
        curve = threshold_curve(r.records)
        if curve:
            ax[r.set_name].plot([p["wrongly_declined"] for p in curve], [p["declined"] for p in curve],
                                color=colour[r.mode], label=r.mode)
            chosen = _decline_rates(r.records, r.threshold)
            ax[r.set_name].scatter([chosen["wrongly_declined"]], [chosen["declined"]], marker="x", color=colour[r.mode])
    for name, a in ax.items():
        a.set_title(name), a.set_xlabel("answerable questions wrongly declined"), a.grid(alpha=.3)
    ax[sets[0]].set_ylabel("unanswerable questions declined")
    paths.append(finish(fig, "decline_tradeoff.png", "Decline threshold trade-off (x: the threshold in use)"))
    return paths


def default_sets(root: Path) -> list[Path]:
    return [p for p in (root / "eval" / "dev.jsonl", root / "eval" / "test.jsonl") if p.exists()]


def _bar(desc: str, enabled: bool):
    if not enabled:
        return None
    import sys

    from tqdm import tqdm
    return lambda it: tqdm(it, desc=desc, unit="q", file=sys.stderr, leave=False)


def benchmark(assistant, sets: dict[str, list[Item]], modes: list[str], k: int = 10,
              progress: bool = True) -> list[Run]:
    doc_texts = {d: doc.text for d, doc in assistant.index.docs.items()}
    runs = []
    for name, items in sets.items():
        for mode in modes:
            thr = {lang: assistant.settings.threshold(mode, lang) for lang in ("en", "es")}
            for signal in assistant.index.faiss:  # each mode pays for its own query encoding
                assistant.index.encoder(signal).clear_cache()
            records = run_items(assistant, items, mode, k, thr, _bar(f"{name}/{mode}", progress))
            runs.append(Run(name, mode, thr, records, grouped_metrics(records, doc_texts)))
    return runs


def calibrate(assistant, items: list[Item], modes: list[str], set_name: str = "dev",
              answerable_cost: float = 3.0, progress: bool = True, per_language: bool = False) -> dict:
    """Choose each mode's decline threshold on ``items`` and return what to store.
    ``per_language`` chooses one per question language instead of one for all; on the
    shipped dev split both do the same on held-out halves, so one is the default."""
    out = {"set": set_name, "answerable_cost": answerable_cost, "modes": {}, "thresholds": {}}
    for mode in modes:
        for signal in assistant.index.faiss:
            assistant.index.encoder(signal).clear_cache()
        records = run_items(assistant, items, mode, threshold=float("-inf"),
                            progress=_bar(f"calibrate {mode}", progress))
        if per_language:
            chosen: Thresholds = {lang: choose_threshold([r for r in records if r.lang == lang],
                                                         answerable_cost)["threshold"]
                                  for lang in sorted({r.lang for r in records})}
        else:
            chosen = choose_threshold(records, answerable_cost)["threshold"]
        out["thresholds"][mode] = chosen
        out["modes"][mode] = _decline_rates(records, chosen)
    return out


def save_calibration(path: Path, calibration: dict) -> None:
    old = {}
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
    merged = {**old, **{k: v for k, v in calibration.items() if k not in ("modes", "thresholds")}}
    merged["modes"] = {**old.get("modes", {}), **calibration["modes"]}
    merged["thresholds"] = {**old.get("thresholds", {}), **calibration["thresholds"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
