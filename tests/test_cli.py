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
