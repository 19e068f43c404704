"""The load script, in a short form: simultaneous conversations against the real app,
all answered without an error. Speed is reported (README, "Concurrent users"), not tested."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

LOAD = [sys.executable, str(ROOT / "scripts" / "load.py")]


@pytest.mark.parametrize("url", ["http://10.0.0.1:7860/", "http://example.com/", "http://0.0.0.0:7860/"])
def test_the_load_script_refuses_anything_but_loopback(url):
    r = subprocess.run([*LOAD, "--url", url, "--conversations", "1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == (f"refusing to load {url}: only loopback addresses "
                                "(127.0.0.1, ::1, localhost) are allowed")


def test_the_load_script_is_bounded():
    r = subprocess.run([*LOAD, "--url", "http://127.0.0.1:9/", "--questions", "5001", "--conversations", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--questions: at most 5000 per level" in r.stderr


@pytest.mark.e2e
def test_simultaneous_conversations_are_all_answered(real_assistant, tmp_path):
    from .live import start_app

    url, server = start_app(real_assistant)
    out = tmp_path / "load.json"
    try:
        r = subprocess.run([*LOAD, "--url", url, "--conversations", "6", "--turns", "3", "--json", str(out)],
                           capture_output=True, text=True, timeout=300)
    finally:
        server.close()
    assert r.returncode == 0, r.stdout + r.stderr
    level = json.loads(out.read_text())["levels"][0]
    assert (level["conversations"], level["questions"], level["errors"]) == (6, 18, 0)
    assert "| 6 | 18 | 0 |" in r.stdout


def test_queue_settings_come_from_the_environment(monkeypatch):
    from qa.config import Settings
    from qa.errors import QAError

    s = Settings.from_env()
    assert (s.concurrency, s.queue_size, s.sessions) == (2, 200, 1000)
    monkeypatch.setenv("QA_CONCURRENCY", "4")
    monkeypatch.setenv("QA_QUEUE_SIZE", "0")
    monkeypatch.setenv("QA_SESSIONS", "50")
    s = Settings.from_env()
    assert (s.concurrency, s.queue_size, s.sessions) == (4, 0, 50)
    monkeypatch.setenv("QA_CONCURRENCY", "0")
    with pytest.raises(QAError, match="QA_CONCURRENCY and QA_SESSIONS must be 1 or more"):
        Settings.from_env()


@pytest.mark.e2e
def test_a_full_queue_turns_new_questions_away_with_a_message(real_assistant):
    """QA_QUEUE_SIZE=1, QA_CONCURRENCY=1: of 20 questions sent at once, one is answered while
    one waits; the rest are refused at once (HTTP 503) instead of waiting."""
    import copy
    import dataclasses
    import threading

    import httpx

    from .live import start_app

    busy = copy.copy(real_assistant)
    busy.settings = dataclasses.replace(real_assistant.settings, queue_size=1, concurrency=1)
    url, server = start_app(busy)
    statuses, barrier = [], threading.Barrier(20)

    def ask():
        barrier.wait()
        r = httpx.post(url + "gradio_api/call/v2/ask", timeout=60,
                       json={"question": "What is the age of consent in Mexico?", "history": []})
        statuses.append((r.status_code, r.json().get("detail", "")))

    try:
        threads = [threading.Thread(target=ask) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.close()
    refused = [d for code, d in statuses if code == 503]
    assert {code for code, _ in statuses} == {200, 503}
    assert refused and all(d.startswith("Queue is full. Max size is 1") for d in refused)
