"""Chapter 3: every known mistake, of every exercise and every prediction, gets the same
points (0) and the same named message from ``grader.check``, ``python -m utils.grade`` and
``otter run``, and the master's answers full marks.

The machinery is tests/test_grading_parity.py's (one notebook per round of cases, at most one
case per question in each); only the table of cases is chapter 3's. A mistake's answer cell
is learner code: the reference's source (outside ``utils``, so not reference use) called
with the mistake's flags.
"""

from __future__ import annotations

import functools
import inspect
import json
import textwrap

import pytest

import test_grading_parity as parity  # tests/test_grading_parity.py
from grading_cases import SOLUTION, Case
from utils.checks import Prediction, ch3, items

pytestmark = pytest.mark.slow

_HELPERS = "\n\n".join(textwrap.dedent(inspect.getsource(f))
                       for f in (ch3._sigmoid, ch3._mgu_parts))


def _mistake_source(q, fn: functools.partial) -> str:
    """An answer cell that computes the known mistake ``fn`` as a learner's own code."""
    impl = f"_known_{q.name}"
    ref = textwrap.dedent(inspect.getsource(fn.func)).replace(
        f"def {fn.func.__name__}(", f"def {impl}(", 1)
    args = [p for p in inspect.signature(fn.func).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD]
    names = ", ".join(p.name for p in args)
    return (f"import numpy as np\n\n{_HELPERS}\n\n{ref}\n\n"
            f"def {q.func_name}({names}):\n"
            f"    return {impl}({names}, **{fn.keywords!r})\n")


def _cases() -> list[Case]:
    cases = []
    for q in items("ch3_exercises"):
        cases.append(Case(f"{q.name} right", "ch3_exercises", q.name, SOLUTION, q.max_points,
                          None))
        for k, m in enumerate(q.mistakes):
            if isinstance(q, Prediction):
                source = f"{q.var_name} = {m.answer!r}\n"
                reason = m.message  # on the first line, after "you predicted ..."
            else:
                source = _mistake_source(q, m.fn)
                reason = f"❌ {q.name} ({q.func_name}): {m.message}"
            cases.append(Case(f"{q.name} mistake {k}", "ch3_exercises", q.name, source, 0,
                              reason))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parity, "CASES", CASES)
        yield parity.graded._get_wrapped_function()(tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_three_graders_give_the_same_points_and_named_message(graded, case):
    groups, results = graded
    i = next(i for i, (_, cases) in enumerate(groups) if case in cases)
    got = results[(i, case.question)]
    print(case.name, json.dumps(got, ensure_ascii=False))
    assert set(got) == {"grader.check", "utils.grade", "otter run"}, got
    for grader, (points, reasons) in got.items():
        assert points == case.points, (grader, got)
        if case.reason is None:
            assert reasons == [], (grader, got)
        else:
            assert reasons and case.reason in reasons[0], (grader, got)
    assert len({tuple(r) for _, r in got.values()}) == 1, got  # word for word alike
