"""Exercise checkers with diagnostic feedback, one module per chapter.

In a notebook::

    from utils.checks import hint
    hint("q2_1")                      # prints the first hint step; call again for the next
    check("q2_1", reset_gate)         # ✅, ⏳ not attempted, or ❌ with what is wrong
    check("p2_1", predicted_share)    # a graded prediction: ✅/❌ with the reasoning

The otter tests of ``solutions/chN_exercises.ipynb`` call :func:`run_check`, which raises
``AssertionError`` with the diagnostic so that ``grader.check("q2_1")`` shows it. The batch
grader (``python -m utils.grade``) uses the same :class:`~utils.checks.core.Question` objects,
split across processes (see :mod:`utils.checks.core`).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from .core import Question, Verdict, capture, capture_value
from .predictions import Prediction, WrongAnswer, hint_steps, hint_text

__all__ = ["ASSIGNMENTS", "NotAttemptedYet", "Prediction", "Question", "WrongAnswer", "check",
           "get_question", "hint", "hint_steps", "hint_text", "items", "predictions",
           "questions", "run_check"]

# assignment name (otter ``name`` / notebook stem) → checker module
ASSIGNMENTS: dict[str, str] = {f"ch{n}_exercises": f"utils.checks.ch{n}" for n in range(1, 7)}


def _module(assignment: str) -> Any:
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"Unknown assignment {assignment!r}; expected one of "
                         f"{sorted(ASSIGNMENTS)}")
    return importlib.import_module(ASSIGNMENTS[assignment])


def questions(assignment: str) -> list[Question]:
    """The function questions of ``assignment`` (e.g. ``"ch2_exercises"``), in order: the
    module's ``QUESTIONS``. Predictions are apart (:func:`predictions`, :func:`items`)."""
    return list(_module(assignment).QUESTIONS)


def predictions(assignment: str) -> list[Prediction]:
    """The graded predictions of ``assignment``: the module's ``PREDICTIONS`` (may be none)."""
    return list(getattr(_module(assignment), "PREDICTIONS", ()))


def items(assignment: str) -> list[Question | Prediction]:
    """Everything graded in ``assignment``, in the notebook's order: each question, preceded
    by the predictions it reveals (``Prediction.reveals``); predictions that reveal no
    question come last. This is the order of the answer cells, the checks and the reports."""
    qs, ps = questions(assignment), predictions(assignment)
    names = {q.name for q in qs}
    unknown = [p.name for p in ps if p.reveals and p.reveals not in names]
    if unknown:
        raise ValueError(f"{assignment}: {unknown} reveal questions that do not exist")
    out: list[Question | Prediction] = []
    for q in qs:
        out += [p for p in ps if p.reveals == q.name]
        out.append(q)
    return out + [p for p in ps if not p.reveals]


def get_question(name: str) -> Question | Prediction:
    """The question or prediction called ``name`` (``"q2_1"``, ``"p2_1"``) in any assignment."""
    for assignment in ASSIGNMENTS:
        for q in items(assignment):
            if q.name == name:
                return q
    raise ValueError(f"Unknown question {name!r}: expected a name like 'q2_1' or 'p2_1'")


def check(name: str, fn: Any, level: str = "public") -> Verdict:
    """Run question ``name`` on the learner's function ``fn`` (for a prediction: the value
    the learner predicted) and return the verdict.

    ``level`` is ``"public"`` (what ``grader.check`` runs), ``"hidden"`` or ``"all"`` (a
    prediction has only ``"public"``). The :class:`~utils.checks.core.Verdict` (points,
    max_points, message, status) displays as its message in Jupyter.
    """
    q = get_question(name)
    if isinstance(q, Prediction):
        return q.diagnose("public", [capture_value(fn)])
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

    Raised so that the test earns no points. Otter would print it like a failure
    (``❌ Test case failed``, the test's line, ``NotAttemptedYet: …``); :func:`run_check` makes
    otter's result object display it as a neutral ``⏳`` note instead (see
    :func:`_show_as_not_attempted`).
    """


def _show_as_not_attempted() -> None:
    """Let the otter test file running this check display "not attempted" neutrally: find it
    on the stack (``TestFile.run``) and give it its neutral class
    (:data:`utils.checks._otter_display.NEUTRAL_CLASSES`).
    Outside otter, or with an otter whose internals differ, nothing changes."""
    if "otter" not in sys.modules:  # not run by otter (importing it takes seconds)
        return
    try:
        from otter.test_files.abstract_test import TestFile
    except Exception:
        return
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, TestFile) and frame.f_code.co_name == "run":
            from ._otter_display import NEUTRAL_CLASSES
            neutral = NEUTRAL_CLASSES.get(type(owner))
            if neutral is not None:  # already neutral, or a test-file kind we do not know
                owner.__class__ = neutral
            return
        frame = frame.f_back


def run_check(name: str, fn: Any, level: str = "public") -> None:
    """Like :func:`check`, but raise unless every point is earned: :class:`NotAttemptedYet`
    for an untouched stub, ``AssertionError(message)`` for anything else that is not correct.

    This is what the otter tests call, so the learner reads the diagnostic in
    ``grader.check(...)``'s output.
    """
    verdict = check(name, fn, level)
    if verdict.status == "not attempted":
        _show_as_not_attempted()
        raise NotAttemptedYet(verdict.message)
    if verdict.status != "correct":
        raise AssertionError(verdict.message)


# how many hint steps each question has shown in this kernel
_HINTS_SHOWN: dict[str, int] = {}


def hint(name: str, step: int | None = None) -> None:
    """Print the next hint step for question ``name`` (e.g. ``hint("q2_1")``): the first call
    says which idea to use, each further call says more; the last step repeats, saying it is
    the last. ``step`` (1, 2, ...) shows that step again."""
    q = get_question(name)
    steps = hint_steps(q.hint)
    if step is None:
        k = min(_HINTS_SHOWN.get(name, 0), len(steps) - 1)
        _HINTS_SHOWN[name] = k + 1
    else:
        k = min(max(int(step), 1), len(steps)) - 1
    what = (f"variable `{q.func_name}`" if isinstance(q, Prediction)
            else f"function `{q.func_name}`")
    head = f"Hint for {q.title} ({q.name}, {what})"
    if len(steps) > 1:
        head += f", step {k + 1} of {len(steps)}"
    if len(steps) == 1 or k == len(steps) - 1:
        tail = ("\n(This is the last hint; the solution is on the exercise page.)"
                if len(steps) > 1 else "")
    else:
        tail = f'\n(Still stuck? Run `hint("{name}")` again for the next step.)'
    print(f"{head}:\n{steps[k]}{tail}")
