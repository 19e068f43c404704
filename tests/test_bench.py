"""qa bench: what it measures and how it reports it (figures are printed, never asserted)."""

import math
import time

import numpy as np
import pytest
from click.testing import CliRunner

from qa.assistant import Assistant
from unittest.mock import ANY

from qa.bench import STAGES, FillEncoder, StageClock, plot_scale, run_stages, scale_tables
from qa.corpus import chunk_document, load_document
from qa.evalset import load_set
from qa.index import build_index
from qa.synth import synthesize, write_profiles

from .conftest import PROFILE, ROOT


def test_stage_clock_keeps_inner_calls_out_of_the_outer_stage():
    clock = StageClock()
    inner = clock.wrap(lambda: time.sleep(0.02), "inner")
    outer = clock.wrap(lambda: (inner(), time.sleep(0.01)), "outer")
    outer()
    times = clock.take()
    assert set(times) == {"inner", "outer"}
    assert times["outer"] < times["inner"]  # 10 ms of its own against 20 ms inside
    assert clock.take() == {}


def test_run_stages_times_every_stage_and_restores_the_assistant(tiny_project):
    assistant = Assistant(tiny_project, build_index(tiny_project, progress=False), progress=False)
    items = load_set(ROOT / "eval" / "dev.jsonl", list(assistant.index.docs.values()))[:12]
    before = assistant.ask(items[0].question).text
    run = run_stages(assistant, items, "hybrid", repeat=2, warmup=2)
    assert len(run.rows) == 24
    names = [row[0] for row in run.table()[1:]]
    assert names == [s for s in STAGES if run.column(s)] + ["end to end", "floor: bare query encoding"]
    assert {"encode e5", "bm25", "faiss e5", "fusion", "compose"} <= set(names)
    assert all(r["e2e"] >= r["compose"] for r in run.rows)
    assert math.isfinite(run.ratio()) and run.ratio() > 0
    assert "_compose" not in vars(assistant) and "search" not in vars(assistant.retrievers.single("bm25"))
    assert assistant.ask(items[0].question).text == before


def test_bench_command_prints_the_stage_table_and_the_ratio(tiny_project, monkeypatch, tmp_path):
    from qa.cli import cli

    build_index(tiny_project, progress=False)
    monkeypatch.setenv("QA_ROOT", str(tiny_project.root))
    qs = tmp_path / "qs.jsonl"
    qs.write_text((ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["bench", "--set", str(qs), "--no-cold", "--quiet", "--out", str(tmp_path / "b")],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "stage" in r.output and "floor: bare query encoding" in r.output
    assert "end to end / floor (p50): " in r.output and "(1 questions, mode hybrid)" in r.output
    assert (tmp_path / "b" / "bench.json").exists() and (tmp_path / "b" / "bench.md").exists()


def test_synthetic_profiles_chunk_like_the_real_one(tmp_path):
    real = chunk_document(load_document(PROFILE, PROFILE.parent))
    profiles = write_profiles(PROFILE, tmp_path / "c", 3, seed=1)
    assert len({p.name for p in profiles}) == 3
    for p in profiles:
        doc = load_document(p.path, p.path.parent)
        chunks = chunk_document(doc)
        assert [(c.kind, c.section) for c in chunks] == [(c.kind, c.section) for c in real]
        assert "Mexic" not in doc.text and p.name in doc.text
        assert doc.meta["synthetic"] is True and "not a description of any real country" in doc.meta["source"]
        assert "104,100,000" not in doc.text and "Article 202bis, Penal Code" in doc.text
    name, text = synthesize(PROFILE.read_text(encoding="utf-8"), 1)
    assert (name, text) == synthesize(PROFILE.read_text(encoding="utf-8"), 1)  # seeded


def test_fill_vectors_are_unit_copies_near_the_sample():
    sample = np.eye(4, 384, dtype=np.float32)
    enc = FillEncoder("minilm", "spec", sample, cos=0.9)
    v = enc.encode_passages([f"passage {i}" for i in range(200)])
    assert v.shape == (200, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert 0.85 < float(np.median((v @ sample.T).max(axis=1))) < 0.95


POINT = {"passages": 1056, "profiles": 11, "build_s": 2.0, "encode_est_s": 70.0, "rebuild_one_changed_s": 0.5,
         "load_s": 1.0, "disk_mb": {"total": 5.0, "sentence vectors": 3.0}, "build_peak_rss_mb": 900.0,
         "serving_peak_rss_mb": 700.0,
         "query_ms": {"bm25 (bm25s)": {"p50": 0.1, "p95": 0.2}, "bm25 (rank-bm25)": {"p50": 1.0, "p95": 2.0}},
         "hnsw_recall@10": {"64": 0.99}}


def test_scale_tables_and_plot(tmp_path):
    size, query = scale_tables([POINT, {**POINT, "passages": 10560}])
    assert size[0][0] == "passages" and size[1][:2] == ["1,056", "11"] and size[2][0] == "10,560"
    assert query[1] == ["bm25 (bm25s)", "0.10 / 0.20", "0.10 / 0.20"]
    assert query[-1] == ["hnsw ef=64 recall@10 vs flat", "0.990", "0.990"]
    assert plot_scale([POINT, {**POINT, "passages": 10560}], tmp_path / "scale.png").stat().st_size > 10_000


def test_scale_rejects_a_bad_list(monkeypatch):
    from qa.cli import cli

    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(cli, ["bench", "--scale", "1000,lots"])
    assert r.exit_code == 1 and "--scale takes numbers of passages" in r.output


@pytest.mark.slow
def test_scale_point_smoke(tmp_path, monkeypatch):
    """The smallest scale point end to end (real models on the sample, fill vectors)."""
    from qa.bench import scale_point

    monkeypatch.chdir(ROOT)
    p = scale_point(200, tmp_path / "w", ["What is the age of consent?", "¿Cuántos usuarios de Facebook hay?"],
                    sample=16)
    assert p["profiles"] == 3 and p["passages"] == 288
    assert scale_tables([p])[1][1:4] == [["bm25 (bm25s)", ANY], ["bm25 (rank-bm25)", ANY], ["faiss flat (minilm)", ANY]]
    assert "ask, encodings cached" in p["query_ms"] and 0 <= p["hnsw_recall@10"]["64"] <= 1
    assert p["rebuild_encoded_passages"] == {"minilm": 97, "e5": 97}  # the changed profile only


def test_bench_help_has_examples():
    from qa.cli import cli

    r = CliRunner().invoke(cli, ["bench", "--help"])
    assert r.exit_code == 0 and "qa bench --scale 1000,10000,100000" in r.output
