"""How ``grader.check`` shows a question not attempted yet: a neutral ``⏳`` note.

Otter prints a failing test as ``❌ Test case failed``, the test's line and the exception; for
a :class:`utils.checks.NotAttemptedYet` that reads like a mistake. :func:`utils.checks.run_check`
gives the otter test file that is running it one of the classes below, whose display shows
the note instead (grade and pass/fail unchanged: the test still earns no points).

The classes are defined here, once, at import time (imported only where otter already runs:
otter takes seconds to import), and they pickle as the otter class they extend
(``__reduce_ex__``): ``otter run`` pickles its results in the notebook's
kernel and loads them in its own process, which then needs nothing from this package.
"""

from __future__ import annotations

import copyreg
import html
from typing import Any

from otter.test_files.exception_test import ExceptionTestFile
from otter.test_files.metadata_test import NotebookMetadataExceptionTestFile

_MARKER = "NotAttemptedYet: "


def neutral_message(message: str) -> str:
    """Otter's failure text for a NotAttemptedYet, reduced to our ``⏳`` note ("" if none)."""
    return message[message.index(_MARKER) + len(_MARKER):].strip() if _MARKER in message else ""


def _neutral_notes(test_file: Any) -> list[str] | None:
    failed = [r for r in test_file.test_case_results if not r.passed]
    out = [neutral_message(r.message or "") for r in failed]
    return out if failed and all(out) else None


def _summary(self: Any, public_only: bool = False) -> str:
    found = _neutral_notes(self)
    return _BASES[type(self)].summary(self, public_only) if found is None else "\n".join(found)


def _repr_html_(self: Any) -> str:
    found = _neutral_notes(self)
    if found is None:
        return _BASES[type(self)]._repr_html_(self)
    return "".join(f"<p style='white-space: pre-wrap;'>{html.escape(n)}</p>" for n in found)


def _reduce_ex(self: Any, protocol: Any) -> Any:
    """Pickled as otter's own class: whoever loads the results needs nothing from here."""
    return copyreg._reconstructor, (_BASES[type(self)], object, None), dict(self.__dict__)


# Single inheritance, no new attributes: the memory layout is otter's, so ``__class__`` can
# be swapped on a running test file.
class NotAttemptedExceptionTestFile(ExceptionTestFile):
    """An :class:`ExceptionTestFile` (tests from files) showing not-attempted neutrally."""

    summary = _summary
    _repr_html_ = _repr_html_
    __reduce_ex__ = _reduce_ex


class NotAttemptedNotebookMetadataExceptionTestFile(NotebookMetadataExceptionTestFile):
    """A :class:`NotebookMetadataExceptionTestFile` showing not-attempted neutrally."""

    summary = _summary
    _repr_html_ = _repr_html_
    __reduce_ex__ = _reduce_ex


# otter's class → ours; a test file of another kind (or already ours) is left as it is
NEUTRAL_CLASSES: dict[type, type] = {
    ExceptionTestFile: NotAttemptedExceptionTestFile,
    NotebookMetadataExceptionTestFile: NotAttemptedNotebookMetadataExceptionTestFile}
_BASES = {ours: theirs for theirs, ours in NEUTRAL_CLASSES.items()}
