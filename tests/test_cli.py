import json

import pytest
from click.testing import CliRunner

from qa.cli import cli

from .conftest import ROOT


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_every_command_has_help_with_an_example():
    for cmd in ("index", "ask", "serve", "eval", "calibrate"):
        r = run(cmd, "--help")
        assert r.exit_code == 0 and "Example" in r.output, cmd


def test_eval_check_accepts_the_shipped_sets(monkeypatch):
    monkeypatch.chdir(ROOT)
    for split in ("dev", "test"):
        r = run("eval", "--check", f"eval/{split}.jsonl")
        assert r.exit_code == 0 and "valid items" in r.output


def test_eval_check_rejects_a_bad_set_with_line_numbers(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": "a"}\n', encoding="utf-8")
    r = run("eval", "--check", str(p))
    assert r.exit_code == 1
    assert "line 1: missing field 'question'" in r.output


def test_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("QA_MODE", "fuzzy")
    r = run("ask", "hello")
    assert r.exit_code == 1 and "unknown mode 'fuzzy'" in r.output


@pytest.mark.slow
def test_ask_json_has_the_documented_shape(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = run("ask", "How many mobile subscribers does Mexico have?", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) >= {"answered", "answer", "citations", "retrieved", "latency_ms"}
    assert out["answered"] and "104,100,000" in out["answer"]
    c = out["citations"][0]
    assert set(c) >= {"n", "doc", "start", "end", "section", "text"} and c["doc"] == "mexico.txt"
    text = (ROOT / "corpus" / "mexico.txt").read_text(encoding="utf-8")
    assert text[c["start"]:c["end"]] == "Mobile Subscribers\n\n104,100,000"
    assert len(out["retrieved"]) == 10 and {"doc", "start", "end", "section", "score"} <= set(out["retrieved"][0])


@pytest.mark.slow
def test_ask_reports_bad_input_without_a_traceback(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = run("ask", "   ")
    assert r.exit_code == 1 and r.output.strip() == "Error: Please type a question."
    r = run("ask", "-", input=b"\xff\xfe what")
    assert r.exit_code == 1 and "not valid UTF-8" in r.output


@pytest.mark.slow
def test_eval_writes_the_report_and_fails_under_a_floor(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    items = [
        {"id": "a", "question": "What is the age of consent in Mexico?", "lang": "en", "category": "law",
         "answerable": True, "answers": ["fifteen"], "evidence": ["The age of consent in Mexico is fifteen years of age"]},
        {"id": "u", "question": "What is the population of Guatemala?", "lang": "en", "category": "unanswerable",
         "answerable": False, "answers": [], "evidence": []},
    ]
    s = tmp_path / "mine.jsonl"
    s.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    out = tmp_path / "run"
    r = run("eval", "--set", str(s), "--quiet", "--out", str(out), "--fail-under", "accuracy=0.5")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [(x["id"], x["answered"]) for x in rows] == [("a", True), ("u", False)]
    assert len(rows[0]["retrieved"]) == 10 and rows[0]["citations"][0]["doc"] == "mexico.txt"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["runs"][0]["metrics"]["overall"]["accuracy"] == 1.0
    assert {"report.md", "recall_at_k.png", "accuracy_by_group.png", "decline_tradeoff.png"} <= {p.name for p in out.iterdir()}
    r = run("eval", "--set", str(s), "--quiet", "--out", str(out), "--fail-over", "wrongly_declined=-0.1")
    assert r.exit_code == 1 and "mine/hybrid overall wrongly_declined = 0.000 is over its ceiling -0.1" in r.output
