"""The project's exceptions. Library code raises these; the CLI and the web page
turn them into messages. Each message names the cause and the command that fixes it."""

from __future__ import annotations


class QAError(Exception):
    """Base class for every error the assistant reports to a user."""


class CorpusError(QAError):
    """The corpus folder is missing, empty or holds a file that cannot be read."""


class IndexMissingError(QAError):
    """No usable index in the index folder."""


class IndexStaleError(QAError):
    """The index was built from another corpus, model or chunker."""


class IndexCorruptError(QAError):
    """An index file is truncated or damaged."""


class ModelError(QAError):
    """An embedding model cannot be loaded."""


class InputError(QAError):
    """A question the assistant cannot take as it is (empty, too long, not text)."""


class EvalSetError(QAError):
    """An evaluation set that does not follow the format."""

    def __init__(self, path: str, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  line {n}: {why}" for n, why in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path} is not a valid evaluation set:\n{lines}{more}")


class StoreError(QAError):
    """The interaction log cannot be read or written."""


class StoreBusyError(StoreError):
    """A log write that may succeed later: the database is locked, read-only or the disk is full."""


class StaffError(QAError):
    """A staff account or a staff action that cannot be done as asked."""


class UnknownAnswerError(StoreError):
    """No logged answer has the id asked for (never logged, or purged)."""
