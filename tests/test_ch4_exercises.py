"""Chapter 4 exercises: the committed student notebook and page are up to date, stubs are live
and leak nothing, the master's solutions score full marks, the untouched stubs zero, and
``grader.check`` in the student notebook gives the diagnostic."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from utils.checks import Prediction, check, hint_text, items, questions
from utils.grading.exercises import _master_parts, masters, page, page_name, student_notebook

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "ch4_exercises.ipynb"
QS = questions("ch4_exercises")
ITEMS = items("ch4_exercises")  # each prediction before the exercise that reveals it


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    nb = student_notebook(MASTER, tmp_path_factory.mktemp("assign") / "out")
    return nb, page(MASTER, nb, with_solutions=True)


def test_committed_student_notebook_and_page_are_up_to_date(fresh):
    nb, full_page = fresh
    committed = (ROOT / "exercises" / MASTER.name).read_text(encoding="utf-8")
    assert committed == nbformat.writes(nb) + "\n", (
        "exercises/ch4_exercises.ipynb is stale: run `python scripts/exercises.py build`")
    assert (ROOT / "exercises" / page_name(MASTER)).read_text(encoding="utf-8") == full_page
    assert MASTER in masters(ROOT)


def test_install_cell_comes_first_in_the_master():
    nb = nbformat.read(MASTER, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.startswith("# Outside the course repository")
    assert first.metadata["tags"] == ["remove-cell"]


def _answer_cells(nb):
    return [c.source for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]


def test_stubs_are_live_and_hold_no_solution(fresh):
    nb, _ = fresh
    answers = _answer_cells(nb)
    assert len(answers) == len(ITEMS) == 10 and len(QS) == 5
    assert [q.name for q in ITEMS] == ["p4_1", "q4_1", "p4_2", "q4_2", "p4_3", "q4_3", "p4_4",
                                       "q4_4", "p4_5", "q4_5"]
    for src, q in zip(answers, ITEMS):
        if isinstance(q, Prediction):  # the learner's variable, blank
            assert src.strip() == f"{q.var_name} = ...", src
            continue
        func = ast.parse(src).body[0]
        assert isinstance(func, ast.FunctionDef) and func.name == q.func_name
        raises = [n for n in func.body if isinstance(n, ast.Raise)]
        assert raises and f"Exercise 4.{q.name[-1]}: " in ast.unparse(raises[0])
        assert "BEGIN" not in src and "PROMPT" not in src
        for leak in ("np.exp", "np.tanh", "p_o * c_t", "np.concatenate", "(1 - f_t)", "3 * ("):
            assert leak not in src, f"{q.name} leaks {leak!r}"
    for q in ITEMS:  # hints are words, not the answer's code, and come in steps
        text = hint_text(q.hint)
        for leak in ("np.", "@", "return", "[:", "sqrt(", "(1 −", "⊙ c", "f_t(1"):
            assert leak not in text, f"{q.name}'s hint contains {leak!r}"
    assert all(len(q.hint) >= 2 for q in QS)


def _run(source: str) -> dict:
    namespace = {"np": np, "math": math}
    exec(compile(source, "<answer>", "exec"), namespace)  # noqa: S102 (our own master)
    return namespace


def _master_solutions() -> list[str]:
    """The master's answers (functions and predictions), in the notebook's order."""
    return [item["solution"] for item in _master_parts(nbformat.read(MASTER, as_version=4))[1]]


def test_solutions_score_full_marks():
    solutions = _master_solutions()
    assert len(solutions) == len(ITEMS)
    for src, q in zip(solutions, ITEMS):
        if isinstance(q, Prediction):
            answer = _run(src)[q.var_name]
            verdict = check(q.name, answer)
        else:
            verdict = check(q.name, _run(src)[q.func_name], "all")
        assert verdict.status == "correct" and verdict.points == verdict.max_points, (
            verdict.message)


def test_untouched_stubs_score_zero(fresh):
    nb, _ = fresh
    for src, q in zip(_answer_cells(nb), ITEMS):
        value = _run(src)[q.var_name if isinstance(q, Prediction) else q.func_name]
        verdict = check(q.name, value, "public" if isinstance(q, Prediction) else "all")
        assert verdict.status == "not attempted" and verdict.points == 0, verdict.message


def test_every_known_wrong_prediction_gets_its_message():
    for p in (q for q in ITEMS if isinstance(q, Prediction)):
        assert p.mistakes, p.name
        for wrong in p.mistakes:
            verdict = check(p.name, wrong.answer)
            assert verdict.points == 0 and wrong.message in verdict.message
            assert "Why: " in verdict.message


GRADER_CHECK = textwrap.dedent('''
    import numpy as np
    import otter
    grader = otter.Notebook("ch4_exercises.ipynb")

    def peephole_lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                           peephole):
        raise NotImplementedError("Exercise 4.1: one peephole LSTM step (h_t, c_t)")
    print("STUB", repr(grader.check("q4_1")))

    def _step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, peephole, late):
        H = weight_hh.shape[1]
        a = x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh
        s = lambda v: 1 / (1 + np.exp(-v))
        p_i, p_f, p_o = peephole[:H], peephole[H:2*H], peephole[2*H:]
        i, f = s(a[:, :H] + p_i * c_prev), s(a[:, H:2*H] + p_f * c_prev)
        c = f * c_prev + i * np.tanh(a[:, 2*H:3*H])
        o = s(a[:, 3*H:] + p_o * (c if late else c_prev))
        return o * np.tanh(c), c

    def peephole_lstm_step(*args):
        return _step(*args, late=False)
    print("WRONG", repr(grader.check("q4_1")))

    def peephole_lstm_step(*args):
        return _step(*args, late=True)
    print("RIGHT", grader.check("q4_1").grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / "ch4_exercises.ipynb").write_bytes(
        (ROOT / "exercises" / "ch4_exercises.ipynb").read_bytes())
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    stub = out[out.index("STUB"):out.index("WRONG")]
    assert "not attempted yet" in stub and "Traceback" not in stub, stub
    wrong = out[out.index("WRONG"):out.index("RIGHT")]
    assert "the output gate peeks at the old cell c_prev" in wrong, wrong
    assert "RIGHT 1.0" in out, out
