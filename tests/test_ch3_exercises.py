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

from utils.checks import ch3
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
    assert len(answers) == len(ch3.QUESTIONS)
    for src, q in zip(answers, ch3.QUESTIONS):
        assert src.startswith(f"def {q.func_name}(")
        assert f'raise NotImplementedError("Exercise 3.{q.name[-1]}' in src
        assert "# BEGIN SOLUTION" not in src and "np.log(z / (1.0 - z))" not in src
        assert "(da_n * r_t) @ W_hn" not in src and "np.log(T - 1.0)" not in src
    checks_cells = [c.source for c in student.cells if c.source.startswith("grader.check(")]
    assert checks_cells == [f'grader.check("{q.name}")' for q in ch3.QUESTIONS]
    assert not any('"hidden")' in c.source or "hidden: true" in c.source for c in code)


def test_hints_carry_no_code():
    for q in ch3.QUESTIONS:
        for token in ("np.", "@", "**", "log(", "[:", "σ(b) ="):
            assert token not in q.hint, (q.name, token)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_solution_and_untouched(MASTER, STUDENT, "ch3_exercises",
                                        tmp_path_factory.mktemp("reports"),
                                        tmp_path_factory.mktemp("subs"), timeout=180)


def test_batch_grader_gives_the_solution_full_marks(graded):
    proc, reports = graded
    assert proc.returncode == 0, proc.stderr
    report = reports["solution"]
    assert [t["name"] for t in report["tests"]] == [q.name for q in ch3.QUESTIONS]
    assert all(t["score"] == t["max_score"] == 2 for t in report["tests"]), report


def test_batch_grader_gives_the_untouched_notebook_zero(graded):
    report = graded[1]["untouched"]
    assert report["score"] == 0
    for t in report["tests"]:
        assert "not attempted yet" in t["output"], t


GRADER_CHECK = textwrap.dedent('''
    import numpy as np
    import otter
    grader = otter.Notebook("ch3_exercises.ipynb")

    def half_life(z):
        raise NotImplementedError("Exercise 3.1: the half-life from z")
    print("STUB", repr(grader.check("q3_1")))

    def half_life(z):
        return 1 / (1 - z)
    print("WRONG", repr(grader.check("q3_1")))

    def half_life(z):
        return np.log(0.5) / np.log(z)
    print("RIGHT", grader.check("q3_1").grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / STUDENT.name).write_bytes(STUDENT.read_bytes())
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "not attempted yet" in out[out.index("STUB"):out.index("WRONG")]
    wrong = out[out.index("WRONG"):out.index("RIGHT")]
    assert "characteristic time" in wrong and 'hint("q3_1")' in wrong
    assert "RIGHT 1.0" in out
