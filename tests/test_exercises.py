"""Generated exercises: the committed student notebook and page are up to date, stubs are
live, hidden tests stay hidden, the student site has no solutions, and ``grader.check`` in the
student notebook gives the diagnostic feedback."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from utils.checks import ASSIGNMENTS, get_question, items, questions
from utils.grading.exercises import masters, page, page_name, student_mode, student_notebook

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "ch2_exercises.ipynb"
QS = questions("ch2_exercises")
ITEMS = items("ch2_exercises")  # questions and predictions, in the notebook's order


@pytest.fixture(scope="module")
def assigned(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("assign") / "out"


@pytest.fixture(scope="module")
def fresh(assigned):
    """One ``otter assign`` run: the student notebook and both page variants."""
    nb = student_notebook(MASTER, assigned)
    return nb, page(MASTER, nb, with_solutions=True), page(MASTER, nb, with_solutions=False)


def test_committed_student_notebook_and_page_are_up_to_date(fresh):
    nb, full_page, _ = fresh
    committed = (ROOT / "exercises" / MASTER.name).read_text(encoding="utf-8")
    assert committed == nbformat.writes(nb) + "\n", (
        "exercises/ch2_exercises.ipynb is stale: run `python scripts/exercises.py build`")
    committed_page = (ROOT / "exercises" / page_name(MASTER)).read_text(encoding="utf-8")
    assert committed_page == full_page, (
        "exercises/ch2.md is stale: run `python scripts/exercises.py build`")


def test_public_tests_are_packaged_and_the_init_cell_points_at_them(fresh, tmp_path,
                                                                   monkeypatch):
    """Otter cannot read the notebook's tests on Colab: the same tests ship in the package
    (utils/otter_tests/<assignment>/), and the init cell points otter at them."""
    from utils.grading.exercises import INIT_CELL, TESTS_DIR, public_tests
    from utils.otter_tests import otter_args, tests_dir

    nb, _, _ = fresh
    files = public_tests(nb)
    assert sorted(files) == sorted(f"{q.name}.py" for q in ITEMS)
    folder = ROOT / TESTS_DIR / MASTER.stem
    assert Path(tests_dir(MASTER.stem)).resolve() == folder.resolve()
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.py")}
    assert committed == files, "utils/otter_tests is stale: run `python scripts/exercises.py build`"
    for name, src in files.items():
        assert nb.metadata["otter"]["tests"][name[:-3]].rstrip() in src
    inits = [c for c in nb.cells if "otter.Notebook(" in c.source]
    assert [c.source for c in inits] == [INIT_CELL.format(notebook=MASTER.name)]
    assert nb.cells.index(inits[0]) == 1 and inits[0].metadata["editable"] is False
    monkeypatch.chdir(tmp_path)
    assert otter_args(MASTER.name)["nb_path"] is None  # no notebook file here (as on Colab)
    (tmp_path / MASTER.name).write_text("{}")
    assert otter_args(MASTER.name) == {"nb_path": MASTER.name, "tests_dir": tests_dir(MASTER.stem)}


def test_every_master_is_registered():
    assert MASTER in masters(ROOT)


def test_stubs_are_live_and_hold_no_solution(fresh):
    nb, _, _ = fresh
    answers = [c.source for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(ITEMS)
    predicted = {q.name: src for src, q in zip(answers, ITEMS) if q.name.startswith("p")}
    assert predicted and all(src == f"{get_question(n).var_name} = ..."
                             for n, src in predicted.items()), predicted
    answers = [src for src, q in zip(answers, ITEMS) if q.name.startswith("q")]
    for i, (src, q) in enumerate(zip(answers, QS), start=1):
        tree = ast.parse(src)
        func = tree.body[0]
        assert isinstance(func, ast.FunctionDef) and func.name == q.func_name
        raises = [n for n in func.body if isinstance(n, ast.Raise)]
        assert raises, f"{q.name}: no live raise"
        assert f"NotImplementedError('Exercise 2.{i}: " in ast.unparse(raises[0])
        after = func.body[func.body.index(raises[0]) + 1:]
        assert any(isinstance(n, ast.Constant) and n.value is Ellipsis
                   for stmt in after for n in ast.walk(stmt)), f"{q.name}: no `...` blanks"
        assert "BEGIN" not in src and "END" not in src and "PROMPT" not in src
        assert "np.exp" not in src and "np.tanh" not in src and "arctanh" not in src, (
            f"{q.name} leaks the solution")


def test_check_cells_and_hidden_tests(fresh):
    nb, _, _ = fresh
    checks = [c.source for c in nb.cells if c.source.startswith("grader.check(")]
    assert checks == [f'grader.check("{q.name}")' for q in ITEMS]
    tests = nb.metadata["otter"]["tests"]
    assert sorted(tests) == sorted(q.name for q in ITEMS)
    assert nb.metadata["otter"]["OK_FORMAT"] is False
    for name, src in tests.items():
        assert "hidden=True" not in src and '"hidden"' not in src, f"{name} leaks hidden tests"
        assert f'"{name}"' in src or f"'{name}'" in src
    master = nbformat.read(MASTER, as_version=4)
    hidden = [c for c in master.cells if c.cell_type == "code" and "hidden: true" in c.source]
    assert len(hidden) == len(QS)
    assert nb.metadata["gru_course"]["assignment"] == "ch2_exercises"


def test_page_shows_solution_collapsed_and_student_site_hides_it(fresh):
    _, full_page, student_page = fresh
    for q in QS:
        assert f"def {q.func_name}(" in full_page and f"def {q.func_name}(" in student_page
    assert full_page.count(":::{dropdown} Solution") == len(QS)
    assert full_page.count(":::{dropdown} Answer and why") == len(ITEMS) - len(QS)
    assert full_page.count(":::{dropdown} Hint") == len(ITEMS)
    assert full_page.count("Step 2. ") == len(ITEMS)  # every hint in steps
    assert "r_t = (pre - outside) / gated" in full_page
    assert 'predicted_near = "h_prev"' in full_page and "# SOLUTION" not in full_page
    assert "dropdown} Solution" not in student_page and "Answer and why" not in student_page
    assert "r_t = (pre - outside) / gated" not in student_page
    assert 'predicted_near = "h_prev"' not in student_page
    assert "Solutions are not published" in student_page


@pytest.mark.parametrize("env, flag, expected", [(None, False, False), ("1", False, True),
                                                 ("0", False, False), (None, True, True)])
def test_student_site_switch(monkeypatch, env, flag, expected):
    """``GRU_COURSE_STUDENT_SITE=1 python scripts/exercises.py build`` (or ``--student``)."""
    if env is None:
        monkeypatch.delenv("GRU_COURSE_STUDENT_SITE", raising=False)
    else:
        monkeypatch.setenv("GRU_COURSE_STUDENT_SITE", env)
    assert student_mode(flag) is expected


def test_student_site_build_is_flagged_and_undone_by_a_plain_build(fresh, tmp_path, monkeypatch,
                                                                  capsys):
    """``build --student`` rewrites the pages without solutions and says how to undo it;
    ``check`` names the student variant; a plain ``build`` restores the committed pages.
    Run on a copy of the repository layout (otter assign replaced by its result)."""
    import utils.grading.exercises as ex

    nb, full_page, _ = fresh
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / MASTER.name).write_bytes(MASTER.read_bytes())
    monkeypatch.setattr(ex, "ROOT", tmp_path)
    monkeypatch.setattr(ex, "student_notebook", lambda master, out=None: nb)
    monkeypatch.delenv("GRU_COURSE_STUDENT_SITE", raising=False)
    page_path = tmp_path / "exercises" / page_name(MASTER)

    assert ex.main(["build", "--student"]) == 0
    assert "NO solutions" in capsys.readouterr().err
    assert "dropdown} Solution" not in page_path.read_text(encoding="utf-8")
    assert ex.check(tmp_path) == [f"exercises/{page_name(MASTER)} "
                                  "(the student variant, without solutions)"]
    assert ex.main(["check"]) == 1
    assert "student variant" in capsys.readouterr().err

    assert ex.main(["build"]) == 0
    assert "NO solutions" not in capsys.readouterr().err
    assert page_path.read_text(encoding="utf-8") == full_page
    assert ex.check(tmp_path) == [] and ex.main(["check"]) == 0


def test_the_index_lists_every_exercise_and_prediction_as_the_notebooks_title_them():
    """exercises/index.md's table is generated from the masters' headings (``build``), in
    the order of the graded items, and ``check`` finds it stale as soon as one changes."""
    import utils.grading.exercises as ex

    index = (ROOT / "exercises" / "index.md").read_text(encoding="utf-8")
    assert ex.with_index(index, ex.index_table()) == index, (
        "exercises/index.md is stale: run `python scripts/exercises.py build`")
    table = index.split(ex.INDEX_BEGIN)[1].split(ex.INDEX_END)[0]
    for assignment in ASSIGNMENTS:
        row = next(line for line in table.splitlines() if f"`{assignment}.ipynb`" in line)
        titles = ex.headings(ROOT / "solutions" / f"{assignment}.ipynb")
        graded = items(assignment)
        assert sorted(titles) == sorted(q.name for q in graded), assignment
        at = [row.index(ex._short(titles[q.name])) for q in graded]
        # each column (exercises, then graded answers) lists its items in notebook order
        for column in (False, True):
            where = [a for a, q in zip(at, graded) if ex.is_prediction(q) == column]
            assert where == sorted(where), (assignment, "order")
        for q in graded:  # "Exercise 2.1", "Prediction 1.1": the check's number is the page's
            assert titles[q.name].split(":")[0] == q.title.split(":")[0], (q.name, titles)
    changed = table.replace("1.1 ", "1.1 renamed ", 1)
    assert ex.with_index(index.replace(table, changed), ex.index_table()) == index


def test_check_flags_stale_or_extra_packaged_tests(fresh, tmp_path, monkeypatch):
    """``build`` writes the packaged tests (and drops those of removed questions); ``check``
    names a stale or extra one. On a copy of the repository layout (otter assign replaced
    by its result)."""
    import utils.grading.exercises as ex

    nb, _, _ = fresh
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / MASTER.name).write_bytes(MASTER.read_bytes())
    monkeypatch.setattr(ex, "student_notebook", lambda master, out=None: nb)
    folder = tmp_path / ex.TESTS_DIR / MASTER.stem
    folder.mkdir(parents=True)
    (folder / "q2_99.py").write_text("# a removed question\n")
    ex.build(tmp_path, tmp_path / "exercises", with_solutions=True)
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(
        f"{q.name}.py" for q in items(MASTER.stem))
    assert ex.check(tmp_path) == []
    (folder / "q2_1.py").write_text("# edited\n")
    (folder / "q2_99.py").write_text("# a removed question\n")
    rel = f"utils/otter_tests/{MASTER.stem}"
    assert ex.check(tmp_path) == [f"{rel}/q2_1.py", f"{rel}/q2_99.py (no such question)"]


# After the student notebook's own init cell (INIT), in the notebook's folder as in Jupyter.
GRADER_CHECK = textwrap.dedent('''
    import numpy as np
    INIT

    def update_gate_from_step(h_prev, n_t, h_t):
        raise NotImplementedError("Exercise 2.1: read the update gate off a step")
    print("STUB", repr(grader.check("q2_1")))

    def update_gate_from_step(h_prev, n_t, h_t):
        return (h_t - h_prev) / (n_t - h_prev)
    print("WRONG", repr(grader.check("q2_1")))

    predicted_near = ...
    print("UNPREDICTED", repr(grader.check("p2_1")))
    predicted_near = "n_t"
    print("MISPREDICTED", repr(grader.check("p2_1")))
    predicted_near = "h_prev"
    print("PREDICTED", grader.check("p2_1").grade)

    def update_gate_from_step(h_prev, n_t, h_t):
        return (h_t - n_t) / (h_prev - n_t)
    result = grader.check("q2_1")
    print("RIGHT", result.grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / "ch2_exercises.ipynb").write_bytes((ROOT / "exercises" /
                                                    "ch2_exercises.ipynb").read_bytes())
    nb = nbformat.read(ROOT / "exercises" / "ch2_exercises.ipynb", as_version=4)
    init = next(c.source for c in nb.cells if "otter.Notebook(" in c.source)
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK.replace("INIT", init)],
                          cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    stub = out[out.index("STUB"):out.index("WRONG")]
    assert "⏳ q2_1 (update_gate_from_step): not attempted yet" in stub, stub  # neutral
    assert "Traceback" not in stub and "AssertionError" not in stub, stub
    wrong = out[out.index("WRONG"):out.index("UNPREDICTED")]
    assert "you returned 1 − z_t" in wrong and 'hint("q2_1")' in wrong
    unpredicted = out[out.index("UNPREDICTED"):out.index("MISPREDICTED")]
    assert "⏳ p2_1 (predicted_near): not attempted yet" in unpredicted, unpredicted
    assert "Traceback" not in unpredicted, unpredicted
    mispredicted = out[out.index("MISPREDICTED"):out.index("PREDICTED 1.0")]
    assert "Chung et al.'s convention" in mispredicted and "Why:" in mispredicted
    assert "PREDICTED 1.0" in out and "RIGHT 1.0" in out


# Hides the repository's editable install of `utils` (setuptools' `__editable__` finder) in
# every Python process that inherits PYTHONPATH, the notebook kernel included, as on a
# Gradescope image that has never seen this repository.
HIDE_UTILS = """import sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if "__editable__" not in getattr(f, "__module__", "")]
"""


def test_otter_autograder_bundle_is_self_sufficient(fresh, assigned, tmp_path):
    """The bundle ``otter assign`` builds (for ``otter run`` and Gradescope) ships the
    checkers and gives the completed notebook every point with the repository's ``utils``
    out of reach (the untouched notebook scoring zero is checked through ``utils.grade``;
    one ``otter run`` keeps this test short). The answers are the honest variants of
    ``test_grade.HONEST`` (prints, a helper named ``gru_cell``, reference names in strings and
    comments, expit/logaddexp/einsum): otter gives them every point too."""
    import zipfile

    from test_grade import MAX, honest

    [bundle] = (assigned / "autograder").glob("*.zip")
    names = set(zipfile.ZipFile(bundle).namelist())
    for rel in ("utils/__init__.py", "utils/checks/__init__.py", "utils/checks/core.py",
                "utils/checks/ch2.py"):
        assert f"files/{rel}" in names, sorted(names)
    assert not any("__pycache__" in n for n in names), sorted(names)
    # Gradescope's image installs what an honest answer may use (the trust model): NumPy,
    # SciPy and PyTorch's CPU build, so that otter run there agrees with grader.check
    env_yml = zipfile.ZipFile(bundle).read("environment.yml").decode()
    for requirement in ("numpy>=1.26,<3", "scipy>=1.11", "torch>=2.2",
                        "--extra-index-url https://download.pytorch.org/whl/cpu"):
        assert f"- {requirement}\n" in env_yml, env_yml

    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_UTILS)
    env = dict(os.environ, PYTHONPATH=str(hide))
    work = tmp_path / "work"
    work.mkdir()
    probe = subprocess.run([sys.executable, "-c", "import importlib.util as u; "
                            "print(u.find_spec('utils') is None)"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "True", "the repository's utils is still importable"

    sub = work / MASTER.name
    nbformat.write(honest(), sub)
    proc = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(bundle), str(sub),
                           "-o", str(work)], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((work / "results.json").read_text())
    total = sum(t.get("score", 0) for t in results["tests"])  # "Public Tests" has no score
    assert total == sum(MAX.values()), json.dumps(results, indent=1)


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_untouched_student_notebook_runs_top_to_bottom(assignment, tmp_path):
    """Run All on the untouched student notebook raises nothing (no cell calls a stub at top
    level), and every ``grader.check`` cell then says "not attempted yet"."""
    from nbclient import NotebookClient

    path = tmp_path / f"{assignment}.ipynb"
    path.write_bytes((ROOT / "exercises" / f"{assignment}.ipynb").read_bytes())
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, allow_errors=False, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = {c.source.strip(): c for c in nb.cells
              if c.cell_type == "code" and c.source.strip().startswith("grader.check(")}
    assert len(checks) == len(items(assignment)), sorted(checks)
    for source, cell in checks.items():
        shown = json.dumps([o.get("data", o.get("text", "")) for o in cell.outputs],
                           ensure_ascii=False)
        assert "not attempted yet" in shown and "Traceback" not in shown, (source, shown)
