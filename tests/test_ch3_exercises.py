"""Chapter 3 exercise notebooks: the generated student notebook is current, its stubs are
live and hold no solution, the master scores full marks and the untouched notebook zero with
``python -m utils.grade``, and ``grader.check`` gives the diagnostic in the notebook."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from utils.checks import Prediction, ch3, hint_text, items
from notebooks import grade_solution_and_untouched  # tests/notebooks.py

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "ch3_exercises.ipynb"
STUDENT = ROOT / "exercises" / "ch3_exercises.ipynb"
INSTALL = "# Outside the course repository (Colab, a JupyterHub, a downloaded notebook)?"


def test_student_notebook_and_page_are_up_to_date():
    proc = subprocess.run([sys.executable, "scripts/exercises.py", "check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_master_and_student_notebooks():
    master = nbformat.read(MASTER, as_version=4)
    assert master.metadata["gru_course"]["assignment"] == "ch3_exercises"
    student = nbformat.read(STUDENT, as_version=4)
    code = [c for c in student.cells if c.cell_type == "code"]
    assert any(c.source.startswith(INSTALL) for c in code[:2])
    answers = [c.source for c in student.cells
               if "otter_answer_cell" in c.metadata.get("tags", [])]
    graded = items("ch3_exercises")
    assert [q.name for q in graded] == ["p3_1", "q3_1", "p3_2", "q3_2", "q3_3", "p3_4", "q3_4",
                                        "p3_5", "q3_5"]
    assert len(answers) == len(graded)
    for src, q in zip(answers, graded):
        if isinstance(q, Prediction):  # a variable left for the learner to set
            assert src.strip() == f"{q.var_name} = ...", src
            continue
        assert src.startswith(f"def {q.func_name}(")
        assert f'raise NotImplementedError("Exercise 3.{q.name[-1]}' in src
        assert "# BEGIN SOLUTION" not in src and "np.cumprod" not in src
        assert "d_fh * h_prev" not in src and "np.einsum" not in src
    checks_cells = [c.source for c in student.cells if c.source.startswith("grader.check(")]
    assert checks_cells == [f'grader.check("{q.name}")' for q in graded]
    assert not any('"hidden")' in c.source or "hidden: true" in c.source for c in code)


def test_hints_carry_no_code():
    for q in items("ch3_exercises"):
        text = hint_text(q.hint)
        for token in ("np.", "@", "**", "log(", "[:", "σ(b) =", "cumprod", "einsum"):
            assert token not in text, (q.name, token)
    steps = [q for q in ch3.QUESTIONS if not isinstance(q.hint, str) and len(q.hint) > 1]
    assert len(steps) == len(ch3.QUESTIONS)  # every computing exercise's hint comes in steps


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_solution_and_untouched(MASTER, STUDENT, "ch3_exercises",
                                        tmp_path_factory.mktemp("reports"),
                                        tmp_path_factory.mktemp("subs"), timeout=180)


def test_batch_grader_gives_the_solution_full_marks(graded):
    proc, reports = graded
    assert proc.returncode == 0, proc.stderr
    report = reports["solution"]
    graded_items = items("ch3_exercises")
    assert [t["name"] for t in report["tests"]] == [q.name for q in graded_items]
    for t, q in zip(report["tests"], graded_items):
        assert t["score"] == t["max_score"] == q.max_points, (t, q.name)
    assert report["score"] == sum(q.max_points for q in graded_items) == 14


def test_batch_grader_gives_the_untouched_notebook_zero(graded):
    report = graded[1]["untouched"]
    assert report["score"] == 0
    for t in report["tests"]:
        assert "not attempted yet" in t["output"], t


GRADER_CHECK = textwrap.dedent('''
    import numpy as np
    import otter
    grader = otter.Notebook("ch3_exercises.ipynb")

    def chung_bias_for_memory(t_span, kept):
        raise NotImplementedError("Exercise 3.1: the bias in Chung et al.'s sign")
    print("STUB", repr(grader.check("q3_1")))

    def chung_bias_for_memory(t_span, kept):
        k = kept ** (1 / t_span)
        return np.log(k / (1 - k))
    print("WRONG", repr(grader.check("q3_1")))

    def chung_bias_for_memory(t_span, kept):
        k = kept ** (1 / t_span)
        return np.log((1 - k) / k)
    print("RIGHT", grader.check("q3_1").grade)

    predicted_chung_bias = ...
    print("PSTUB", repr(grader.check("p3_1")))
    predicted_chung_bias = "+5"
    print("PWRONG", repr(grader.check("p3_1")))
    buggy_line = "C"
    print("DIAG", grader.check("q3_3").grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / STUDENT.name).write_bytes(STUDENT.read_bytes())
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "not attempted yet" in out[out.index("STUB"):out.index("WRONG")]
    wrong = out[out.index("WRONG"):out.index("RIGHT")]
    assert "PyTorch's sign" in wrong and 'hint("q3_1")' in wrong
    assert "RIGHT 1.0" in out
    assert "not attempted yet" in out[out.index("PSTUB"):out.index("PWRONG")]
    pwrong = out[out.index("PWRONG"):out.index("DIAG")]
    assert "That is the bias in PyTorch's sign" in pwrong and "Why:" in pwrong
    assert "DIAG 1.0" in out


def test_the_colleague_code_has_exactly_the_planted_bug():
    """Exercise 3.3's colleague code, taken from the master: wrong only in `da_r` (line C),
    and right once that line multiplies by W_hn h_{t-1} + b_hn."""
    import nbformat as nbf
    import numpy as np

    from utils.jacobians import gru_backward_step

    nb = nbf.read(MASTER, as_version=4)
    src = next(c.source for c in nb.cells if c.source.startswith("def colleague_backward_step"))
    fixed = src.replace("da_n * n_t * r_t", "da_n * hn * r_t")
    assert fixed != src
    rng = np.random.default_rng(0)
    H = 4
    p = {"weight_ih": rng.uniform(-1, 1, (3 * H, 3)), "weight_hh": rng.uniform(-1, 1, (3 * H, H)),
         "bias_ih": rng.uniform(-1, 1, 3 * H), "bias_hh": rng.uniform(-1, 1, 3 * H)}
    x, h, dh = rng.normal(size=(2, 3)), rng.uniform(-1, 1, (2, H)), rng.normal(size=(2, H))
    ref = gru_backward_step(p, x, h, dh)
    want = [ref[k] for k in ("h_prev", "a_r", "a_z", "a_n")]
    for code, wrong in ((src, {0, 1}), (fixed, set())):
        ns = {"np": np}
        exec(code, ns)
        got = ns["colleague_backward_step"](x, h, dh, *p.values())
        assert {i for i in range(4) if not np.allclose(got[i], want[i], atol=1e-12)} == wrong
