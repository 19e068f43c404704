"""Shared fixtures. Fast tests use a deterministic hashing encoder and a tiny corpus;
tests marked slow/e2e use the real models and the real index in index/."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "corpus" / "mexico.txt"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Logs and staff files go to a temporary folder, never the user's."""
    monkeypatch.setenv("QA_HOME", str(tmp_path / "home"))
    for var in ("QA_MODE", "QA_DECLINE_THRESHOLD", "QA_INDEX_DIR", "QA_CORPUS_DIR", "QA_MODEL",
                "QA_MULTILINGUAL_MODEL", "QA_ROOT", "QA_FUSION_WEIGHTS"):
        monkeypatch.delenv(var, raising=False)


class HashEncoder:
    """Deterministic bag-of-words vectors: fast, and similar texts get similar vectors."""

    def __init__(self, name: str, dim: int = 64):
        self.name, self.dim, self.spec = name, dim, f"hash {dim}"

    def _vec(self, text: str) -> np.ndarray:
        from qa.text import tokenize
        v = np.zeros(self.dim, dtype=np.float32)
        for t in tokenize(text, "es"):
            v[int(hashlib.md5(t.encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_passages(self, texts, batch_size=32):
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, text):
        return self._vec(text)


@pytest.fixture
def fake_encoders(monkeypatch):
    """Replace the real models with HashEncoder, and keep the manifest's model record stable."""
    import qa.index

    monkeypatch.setattr(qa.index, "load_encoder", lambda signal, model: HashEncoder(signal))
    monkeypatch.setattr(qa.index, "describe", lambda model: "hash 64")


@pytest.fixture
def tiny_project(tmp_path, fake_encoders):
    """A project folder holding a copy of the profile and an empty index folder."""
    from qa.config import Settings

    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    shutil.copyfile(PROFILE, root / "corpus" / "mexico.txt")
    return Settings(root=root, auto_index=False)


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory):
    """The real assistant over the real index in index/ (built on first use). Its data
    folder (interaction log, staff files) is temporary, never the checkout's data/."""
    from qa.assistant import Assistant
    from qa.config import Settings

    return Assistant(Settings(root=ROOT, data_dir=tmp_path_factory.mktemp("home")), progress=False)
