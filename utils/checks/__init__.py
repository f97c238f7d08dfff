"""Exercise checkers with diagnostic feedback, one module per chapter.

In a notebook::

    from utils.checks import hint
    hint("q2_1")                      # prints the hint for exercise 2.1
    check("q2_1", reset_gate)         # ✅, ⏳ not attempted, or ❌ with what is wrong

The otter tests of ``solutions/chN_exercises.ipynb`` call :func:`run_check`, which raises
``AssertionError`` with the diagnostic so that ``grader.check("q2_1")`` shows it. The batch
grader (``python -m utils.grade``) uses the same :class:`~utils.checks.core.Question` objects,
split across processes (see :mod:`utils.checks.core`).
"""

from __future__ import annotations

import importlib
from typing import Any

from .core import Question, Verdict, capture

__all__ = ["ASSIGNMENTS", "NotAttemptedYet", "check", "get_question", "hint", "questions",
           "run_check"]

# assignment name (otter ``name`` / notebook stem) → checker module
ASSIGNMENTS: dict[str, str] = {"ch1_exercises": "utils.checks.ch1",
                               "ch2_exercises": "utils.checks.ch2",
                               "ch3_exercises": "utils.checks.ch3"}


def questions(assignment: str) -> list[Question]:
    """The questions of ``assignment`` (e.g. ``"ch2_exercises"``), in order."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"Unknown assignment {assignment!r}; expected one of "
                         f"{sorted(ASSIGNMENTS)}")
    return list(importlib.import_module(ASSIGNMENTS[assignment]).QUESTIONS)


def get_question(name: str) -> Question:
    """The question called ``name`` (``"q2_1"``) in any registered assignment."""
    for assignment in ASSIGNMENTS:
        for q in questions(assignment):
            if q.name == name:
                return q
    raise ValueError(f"Unknown question {name!r}: expected a name like 'q2_1'")


def check(name: str, fn: Any, level: str = "public") -> Verdict:
    """Run question ``name`` on the learner's function ``fn`` and return the verdict.

    ``level`` is ``"public"`` (what ``grader.check`` runs), ``"hidden"`` or ``"all"``.
    The :class:`~utils.checks.core.Verdict` (points, max_points, message, status) displays as
    its message in Jupyter.
    """
    q = get_question(name)
    levels = ("public", "hidden") if level == "all" else (level,)
    verdicts = [q.diagnose(lv, capture(fn, q.probes(lv))) for lv in levels]
    failed = [v for v in verdicts if v.status != "correct"]
    points = sum(v.points for v in verdicts)
    max_points = sum(v.max_points for v in verdicts)
    if failed:
        return Verdict(points, max_points, failed[0].message, failed[0].status)
    if len(verdicts) == 1:
        return verdicts[0]
    return Verdict(points, max_points, f"✅ {q.name} ({q.func_name}): correct on all public "
                   "and hidden probes.", "correct")


class NotAttemptedYet(AssertionError):
    """The learner has not written this answer yet (stub untouched, or function undefined).

    Otter prints a failing test as ``❌ Test case failed``, the test's line and
    ``<exception type>: <message>``; this type makes that last line start with
    ``NotAttemptedYet:`` rather than ``AssertionError:``.
    """


def run_check(name: str, fn: Any, level: str = "public") -> None:
    """Like :func:`check`, but raise unless every point is earned: :class:`NotAttemptedYet`
    for an untouched stub, ``AssertionError(message)`` for anything else that is not correct.

    This is what the otter tests call, so the learner reads the diagnostic in
    ``grader.check(...)``'s output.
    """
    verdict = check(name, fn, level)
    if verdict.status == "not attempted":
        raise NotAttemptedYet(verdict.message)
    if verdict.status != "correct":
        raise AssertionError(verdict.message)


def hint(name: str) -> None:
    """Print the hint for question ``name`` (e.g. ``hint("q2_1")``)."""
    q = get_question(name)
    print(f"Hint for {q.title} ({q.name}, function `{q.func_name}`):\n{q.hint}")
