"""Every chapter (1-6): every known mistake, of every exercise and every prediction, gets the same
points (0) and the same named message from ``grader.check``, ``python -m utils.grade`` and
``otter run``, and the master's answers full marks.

The machinery is tests/test_grading_parity.py's (one notebook per round of cases, at most one
case per question in each; every chapter's notebooks graded by one ``utils.grade`` run); only
the table of cases is built here, from the checker modules. A mistake's answer cell is learner
code: the reference's source and the module-level helpers it uses (outside ``utils``, so not
reference use), called with the mistake's flags.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import textwrap
import types

import numpy as np
import pytest

import test_grading_parity as parity  # tests/test_grading_parity.py
from grading_cases import SOLUTION, Case
from utils.checks import ASSIGNMENTS, Prediction, items

pytestmark = pytest.mark.slow
CHAPTERS = [a for a in ASSIGNMENTS if a in {f"ch{n}_exercises" for n in range(1, 7)}]


def _names(fn: types.FunctionType) -> set[str]:
    """The names ``fn``'s source reads, its defaults and nested functions included."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _value(v) -> str:
    """Python source for a keyword value of a mistake (NumPy functions by name)."""
    if isinstance(v, (np.ufunc, types.FunctionType, types.BuiltinFunctionType)) \
            and getattr(np, v.__name__, None) is v:
        return f"np.{v.__name__}"
    if isinstance(v, tuple):
        return "(" + "".join(f"{_value(x)}, " for x in v) + ")"
    assert repr(v) == repr(eval(repr(v), {"np": np})), v  # noqa: S307 (our own constants)
    return repr(v)


def _closure(fn: types.FunctionType) -> str:
    """The source of ``fn``'s module-level helpers, constants and imports it needs, in an
    order that defines each before use, without ``fn`` itself."""
    module = inspect.getmodule(fn)
    seen: dict[str, str] = {}
    imports: dict[str, str] = {}

    def visit(f: types.FunctionType) -> None:
        for name in sorted(_names(f)):
            if name in seen or name in imports or not hasattr(module, name):
                continue
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                imports[name] = (f"import {obj.__name__}" if obj.__name__ == name
                                 else f"import {obj.__name__} as {name}")
            elif isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__:
                seen[name] = ""
                visit(obj)
                seen[name] = textwrap.dedent(inspect.getsource(obj))
            elif isinstance(obj, (int, float, str, tuple, dict, frozenset)):
                seen[name] = f"{name} = {obj!r}"
    visit(fn)
    seen.pop(fn.__name__, None)
    return "\n".join(imports.values()) + "\n\n" + "\n\n".join(seen.values())


def _mistake_source(q, fn: functools.partial) -> str:
    """An answer cell that computes the known mistake ``fn`` as a learner's own code. The
    helpers live inside a factory function, so that none of their names (some are other
    questions' answers) leaks into the notebook's globals."""
    impl = f"_known_{q.name}"
    ref = textwrap.dedent(inspect.getsource(fn.func)).replace(
        f"def {fn.func.__name__}(", f"def {impl}(", 1)
    args = [p for p in inspect.signature(fn.func).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD]
    names = ", ".join(p.name for p in args)
    keywords = ", ".join(f"{k}={_value(v)}" for k, v in fn.keywords.items())
    inner = (f"import numpy as np\nimport functools\n{_closure(fn.func)}\n\n{ref}\n"
             f"{fn.func.__name__} = {impl}  # the reference may call itself by name\n"
             f"return {impl}\n")
    factory = f"def _factory_{q.name}():\n{textwrap.indent(inner, '    ')}"
    return (f"import numpy as np\n\n\n{factory}\n\n"
            f"{impl} = _factory_{q.name}()\n\n\n"
            f"def {q.func_name}({names}):\n"
            f"    return {impl}({names}{', ' if keywords else ''}{keywords})\n")


def _cases(assignment: str) -> list[Case]:
    cases = []
    for q in items(assignment):
        cases.append(Case(f"{q.name} right", assignment, q.name, SOLUTION, q.max_points,
                          None))
        for k, m in enumerate(q.mistakes):
            if isinstance(q, Prediction):
                source = f"{q.var_name} = {m.answer!r}\n"
                reason = m.message  # on the first line, after "you predicted ..."
            else:
                source = _mistake_source(q, m.fn)
                reason = f"❌ {q.name} ({q.func_name}): {m.message}"
            # the graders' reasons are first lines (a message may run over several)
            reason = reason.split("\n")[0]
            cases.append(Case(f"{q.name} mistake {k}", assignment, q.name, source, 0, reason))
    return cases


CASES = {a: _cases(a) for a in CHAPTERS}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every chapter's cases, graded together (one ``utils.grade`` run for all)."""
    every = [c for cases in CASES.values() for c in cases]
    return parity.grade_cases(every, tmp_path_factory.mktemp("mistake_parity"), benign=True)


@pytest.mark.parametrize("case", [c for cases in CASES.values() for c in cases],
                         ids=lambda c: f"{c.assignment[:3]}:{c.name}")
def test_three_graders_give_the_same_points_and_named_message(graded, case):
    parity.assert_same_verdict(*graded, case)


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_every_mistake_cell_computes_its_mistake(assignment):
    """The answer cells are the mistakes themselves (cheap, not slow: no grader runs)."""
    for q in items(assignment):
        if isinstance(q, Prediction):
            continue
        probe = q.probes("public")[-1]
        for m in q.mistakes:
            ns: dict = {}
            exec(compile(_mistake_source(q, m.fn), f"<{q.name}>", "exec"), ns)  # noqa: S102
            try:
                want = m.fn(**probe.args)
            except Exception as exc:  # a mistake that fails on this probe fails alike
                with pytest.raises(type(exc)):
                    ns[q.func_name](**probe.args)
                continue
            got = ns[q.func_name](**probe.args)
            for g, w in zip(*(x if isinstance(x, (tuple, list)) else (x,)
                              for x in (got, want))):
                np.testing.assert_allclose(np.asarray(g, dtype=float),
                                           np.asarray(w, dtype=float), rtol=0, atol=0)
