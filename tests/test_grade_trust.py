"""Issue 10: the batch grader's answer key is out of the submission's reach, hidden probes are
fresh for every run, and report names are safe.

Most tests grade in-process with ``utils.grade.grade_one`` (one sandboxed kernel each) on a
test-only assignment (``tests/grading_fixture_checks.py``), so they do not depend on any
chapter's question names. Honest answers to chapter 2 are graded in ``tests/test_grade.py``
(batch grader), here (``utils.checks.check``, the in-notebook path) and in
``tests/test_exercises.py`` (``otter run``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grading_fixture_checks as fixture
import utils.checks
from utils.checks import check, questions
from utils.checks.core import set_hidden_seed
from utils.grade import (_course_parts, _course_roots, _inside, _out_names, _sandbox_mode,
                         grade_one, safe_name, static_flags)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30.0
CORRECT = "def affine(x, W, b):\n    return x @ W.T + b\n"
# The first cell of every course notebook (COMMON conventions): must be a no-op when graded.
INSTALL = ('# Outside the course repository? This installs the course package once.\n'
           'try:\n    import utils.report  # noqa: F401\nexcept ImportError:\n'
           '    %pip install -q gru_course-0.1.0-py3-none-any.whl\n')


@pytest.fixture
def fixture_assignment(monkeypatch):
    monkeypatch.setitem(utils.checks.ASSIGNMENTS, fixture.ASSIGNMENT, "grading_fixture_checks")
    yield
    set_hidden_seed(None)


def notebook(path: Path, *cells: str, assignment: str = fixture.ASSIGNMENT) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["gru_course"] = {"assignment": assignment}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------------------
# The answer key is out of reach

def _attack(name: str, expr: str) -> str:
    """A cell that tries ``expr`` and always raises, saying whether it got anything."""
    return (f"import os, sys\ntry:\n    got = {expr}\nexcept BaseException as exc:\n"
            f"    raise RuntimeError(f'REACH {name}: blocked ({{type(exc).__name__}})')\n"
            f"raise RuntimeError('REACH {name}: ' + ('LEAKED ' + repr(got)[:60] if got "
            f"else 'blocked (empty)'))\n")


def _reach_cells(other_submission: Path, out_dir: Path) -> dict[str, str]:
    ch2 = ROOT / "utils" / "checks" / "ch2.py"
    installed = [str(r / "utils" / "checks" / "ch2.py") if (r / "utils").is_dir()
                 else str(r / "checks" / "ch2.py") for r in _course_roots()]
    finder = ("__import__('importlib').import_module(next(m[:-3] for d in sys.path if "
              "os.path.isdir(d) for m in os.listdir(d) if m.startswith('__editable__') and "
              "m.endswith('finder.py'))).install() or __import__('importlib')"
              ".import_module('utils.checks.ch2').QUESTIONS")
    return {
        "read_solutions": f"open({str(ROOT / 'solutions' / 'ch2_exercises.ipynb')!r}).read()",
        # the names of the repository's top-level entries may show (the interpreter's
        # environment can live inside the checkout and must stay), but none holds anything
        "list_repository": (
            f"[e for e in os.listdir({str(ROOT)!r}) if not sys.executable.startswith("
            f"os.path.join({str(ROOT)!r}, e) + os.sep) and (os.listdir(p) if os.path.isdir("
            f"p := os.path.join({str(ROOT)!r}, e)) else open(p, 'rb').read(1))]"),
        "import_module": "__import__('importlib').import_module('utils.checks.ch2').QUESTIONS",
        "import_core": "__import__('importlib').import_module('utils.checks.core').Question",
        "stub_has_no_checkers": "[n for n in dir(__import__('utils.checks').checks) if n in "
                                "('questions', 'get_question', 'ASSIGNMENTS', 'QUESTIONS')]",
        "import_by_path": (
            "[(s := __import__('importlib.util').util.spec_from_file_location('x', p), "
            "m := __import__('importlib.util').util.module_from_spec(s), "
            f"s.loader.exec_module(m), m.QUESTIONS) for p in {[str(ch2), *installed]!r}]"),
        "editable_install": finder,
        "other_submission": f"open({str(other_submission)!r}).read()",
        "reports": f"os.listdir({str(out_dir)!r})",
        # a course root may show up (the interpreter's environment can live inside a
        # checkout), but then nothing of the course can be read there
        "course_path_in_env_argv_helps": (
            "['PYTHONPATH'] * ('PYTHONPATH' in os.environ) + [r for r in "
            + repr([str(r) for r in _course_roots()]) + " if r in repr((dict(os.environ), "
            "sys.argv, sys.path, os.getcwd())) and (os.path.isfile(r + '/utils/checks/ch2.py')"
            " or os.path.isdir(r + '/solutions') and os.listdir(r + '/solutions'))]"),
        "working_directory": "os.listdir('.')",
    }


@pytest.mark.parametrize("seed", [None])
def test_the_submission_cannot_reach_the_answer_key(fixture_assignment, tmp_path, seed):
    subs = tmp_path / "subs"
    other = notebook(subs / "bob.ipynb", CORRECT)
    cells = _reach_cells(other, tmp_path / "reports")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "earlier.txt").write_text("someone's report")
    sub = notebook(subs / "alice.ipynb", INSTALL, "from utils.checks import hint\nhint('qt_1')",
                   *(_attack(n, e) for n, e in cells.items()), CORRECT)
    report = grade_one(sub, timeout=TIMEOUT, memory_mb=2048, hide=(tmp_path / "reports",))
    notes = "\n".join(report.notes)
    assert report.score == 2, notes  # the answer itself still runs and is graded
    # the install cell and the hint cell run in the runtime (cells 1 and 2 of the notebook)
    assert "cell 1 raised" not in notes and "cell 2 raised" not in notes, notes
    # without root the repository stays readable, so its files can be loaded by path
    # (README: trust model); only the import path is clean then
    file_system = {"read_solutions", "list_repository", "import_by_path", "other_submission",
                   "reports", "editable_install", "course_path_in_env_argv_helps"}
    for name in cells:
        if name in file_system and _sandbox_mode() != "full":
            continue  # without root the repository stays readable (README: trust model)
        assert f"REACH {name}: blocked" in notes, notes
    if _sandbox_mode() != "full":
        pytest.skip("not root: file-system hiding and the sandbox user were not tested")


def test_hidden_probes_are_fresh_per_run_so_an_answer_table_is_useless(fixture_assignment,
                                                                       tmp_path):
    """A submission returning answers looked up from an earlier run's probes scores the
    public point (public probes are public) and nothing on the hidden probes of a new run."""
    [q] = questions(fixture.ASSIGNMENT)
    set_hidden_seed(1111)
    earlier = [p.args for lv in ("public", "hidden") for p in q.probes(lv)]
    set_hidden_seed(2222)
    fresh = [p.args for p in q.probes("hidden")]
    assert not any(np.array_equal(a["x"], b["x"]) for a in earlier for b in fresh)

    def key(args):
        return hashlib.sha256(b"".join(args[k].tobytes() for k in ("x", "W", "b"))).hexdigest()
    table = {key(a): fixture.reference(**a).tolist() for a in earlier}
    lookup = notebook(tmp_path / "table.ipynb", (
        "import hashlib\nimport numpy as np\n"
        f"TABLE = {table!r}\n"
        "def affine(x, W, b):\n"
        "    k = hashlib.sha256(b''.join(a.tobytes() for a in (x, W, b))).hexdigest()\n"
        "    return np.array(TABLE[k]) if k in TABLE else np.zeros((len(x), len(W)))\n"))
    set_hidden_seed(1111)  # the run the table was made for: it "works"
    assert grade_one(lookup, timeout=TIMEOUT, memory_mb=2048).score == 2
    set_hidden_seed(2222)  # a new run: fresh hidden probes
    report = grade_one(lookup, timeout=TIMEOUT, memory_mb=2048)
    assert report.score == 1 and report.seed == 2222, report.tests
    assert "hidden probes drawn from seed 2222" in "\n".join(report.notes)


def test_every_cli_run_draws_and_records_its_own_seed(tmp_path):
    sub = ROOT / "exercises" / "ch2_exercises.ipynb"
    seeds = []
    for k, extra in enumerate([[], [], ["--seed", "7"]]):
        out = tmp_path / f"r{k}"
        proc = subprocess.run([sys.executable, "-m", "utils.grade", str(sub), "--out", str(out),
                               "--timeout", str(TIMEOUT), *extra],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        results = json.loads((out / "ch2_exercises" / "results.json").read_text())
        seed = results["extra_data"]["hidden_seed"]
        assert f"hidden probe seed: {seed}" in results["output"]
        assert f"Seed:       {seed}" in (out / "ch2_exercises" / "summary.txt").read_text()
        [row] = csv.DictReader((out / "summary.csv").open())
        assert row["hidden_seed"] == str(seed)
        seeds.append(seed)
    assert seeds[0] != seeds[1] and seeds[2] == 7


# --------------------------------------------------------------------------------------
# Report names

@pytest.mark.parametrize("name, expected", [
    ("summary.csv.ipynb", "submission_summary.csv"), ("...ipynb", "submission"),
    ("..ipynb", "submission"), (".ipynb", "ipynb"), ("a b/../c.ipynb", "c"),
    ("Zoë Ünal (v2).ipynb", "Zoë_Ünal_v2_"), ("x..y.ipynb", "x..y"),
    ("SUMMARY.CSV.ipynb", "submission_SUMMARY.CSV"), ("notebook", "notebook"),
])
def test_report_names_are_sanitised(name, expected):
    assert safe_name(Path(name)) == expected
    assert len(safe_name(Path("é" * 300 + ".ipynb")).encode()) <= 120
    with pytest.raises(ValueError):
        _inside(Path("/tmp/out"), "..")


def test_hostile_file_names_never_write_outside_out(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ["summary.csv.ipynb", "...ipynb", "..ipynb", "a b ü.ipynb", "x..y.ipynb",
             "SUMMARY.CSV.ipynb", "ch2 -- $(touch pwned).ipynb"]
    bad = (ROOT / "tests" / "fixtures" / "submissions" / "ch2_not_json.ipynb").read_bytes()
    for n in names:
        (subs / n).write_bytes(bad)
    good = subs / "ch2 final.ipynb"
    good.write_bytes((ROOT / "exercises" / "ch2_exercises.ipynb").read_bytes())
    out = tmp_path / "out"
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = subprocess.run([sys.executable, "-m", "utils.grade", *(str(subs / n) for n in names),
                           str(good), "--out", str(out), "--assignment", "ch2_exercises",
                           "--timeout", str(TIMEOUT)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["out"])
    assert (out / "summary.csv").is_file()
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    assert len(rows) == len(names) + 1 and len({r["report"] for r in rows}) == len(rows)
    for r in rows:
        assert (out / r["report"] / "results.json").is_file(), r
        assert (out / r["report"]).resolve().parent == out.resolve()
    assert not (tmp_path / "pwned").exists()


# --------------------------------------------------------------------------------------
# Honest answers keep every point: in-notebook path (batch grader: tests/test_grade.py,
# otter run: tests/test_exercises.py)

def test_honest_answers_score_full_marks_with_check():
    from test_grade import HONEST

    namespace: dict = {"np": np}
    for source in HONEST.values():
        exec(compile(source, "<notebook cell>", "exec"), namespace)
    graded = [q for q in questions("ch2_exercises") if q.func_name in HONEST]
    assert graded, "no chapter 2 question matches the honest answers' function names"
    for q in graded:
        verdict = check(q.name, namespace[q.func_name], "all")
        assert verdict.status == "correct", verdict.message
        assert verdict.points == verdict.max_points


def test_static_scan_ignores_strings_comments_keys_and_own_helpers():
    cells = ["import numpy as np\nimport torch",
             "def gru_cell(x):\n    return x\n",
             "def reset_gate(x_t, *p):\n    # unlike torch.nn.GRUCell, by hand\n"
             "    d = {'GRU': 1, 'utils.numpy_cells': 2}\n    print('GRUCell', d)\n"
             "    return gru_cell(x_t)",
             "def update_gate(x_t, *p):\n    return torch.nn.GRUCell(3, 4)(x_t)"]
    flags = static_flags(cells, ["reset_gate", "update_gate"])
    assert flags == {"update_gate": "GRUCell"}, flags


def test_autograder_bundle_has_a_stable_path(tmp_path, monkeypatch):
    """``make autograder`` → ``dist/chN_exercises/autograder.zip`` whatever otter names it
    (otter assign itself is replaced by a stand-in here; the real bundle is exercised in
    tests/test_exercises.py)."""
    import utils.grading.exercises as ex

    (tmp_path / "solutions").mkdir()
    master = tmp_path / "solutions" / "ch2_exercises.ipynb"
    master.write_bytes((ROOT / "solutions" / "ch2_exercises.ipynb").read_bytes())

    def fake_assign(master, out, run_tests):
        (out / "autograder").mkdir(parents=True)
        (out / "autograder" / f"{master.stem}-autograder_2026_12_03T06_00_00.zip").write_bytes(
            b"PK bundle of " + master.stem.encode())

    monkeypatch.setattr(ex, "otter_assign", fake_assign)
    [out] = ex.autograder(tmp_path, tmp_path / "dist")
    stable = tmp_path / "dist" / "ch2_exercises" / "autograder.zip"
    assert out == stable.parent and stable.read_bytes() == b"PK bundle of ch2_exercises"
    ex.autograder(tmp_path, tmp_path / "dist")  # rebuilding replaces it
    assert stable.is_file()


def test_without_namespaces_the_course_is_still_not_importable(fixture_assignment, tmp_path,
                                                               monkeypatch):
    """As a non-root grader sees it: no mounts, no own user; the course still cannot be
    imported, and the report says the repository was readable."""
    import utils.grade as grade

    monkeypatch.setattr(grade, "_sandbox_mode", lambda: "none")
    sub = notebook(tmp_path / "s" / "a.ipynb", INSTALL, _attack("import_module", (
        "__import__('importlib').import_module('utils.checks.ch2').QUESTIONS")), CORRECT)
    report = grade_one(sub, timeout=TIMEOUT, memory_mb=2048)
    notes = "\n".join(report.notes)
    assert report.score == 2 and "REACH import_module: blocked" in notes, notes
    assert "could READ the course repository" in notes and "cell 1 raised" not in notes
    assert grade._sandbox_command(Path("/r"), [Path("/x")])[-4:] == [
        sys.executable, "-I", "-S", "/r/boot.py"]


def test_submissions_in_different_folders_cannot_read_each_other(tmp_path):
    """One CLI run: every job hides the folders of all the run's submissions."""
    if _sandbox_mode() != "full":
        pytest.skip("not root: submissions run as the grader's user and can read each other")
    import shutil
    import tempfile

    untouched = nbformat.read(ROOT / "exercises" / "ch2_exercises.ipynb", as_version=4)
    # world-readable folders (pytest's own are private), so only the sandbox can hide them
    shared = Path(tempfile.mkdtemp(prefix="gru-trust-test-"))
    try:
        shared.chmod(0o755)
        paths = [shared / "a" / "ch2_alice.ipynb", shared / "b" / "ch2_bob.ipynb"]
        for me, other in (paths, paths[::-1]):
            nb = nbformat.from_dict(json.loads(json.dumps(untouched)))
            nb.cells.append(nbformat.v4.new_code_cell(
                _attack("other", f"open({str(other)!r}).read()")))
            me.parent.mkdir(mode=0o755)
            nbformat.write(nb, me)
            me.chmod(0o644)
        out = tmp_path / "out"
        proc = subprocess.run([sys.executable, "-m", "utils.grade", *map(str, paths), "--out",
                               str(out), "--timeout", str(TIMEOUT)], capture_output=True,
                              text=True, timeout=300)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("ch2_alice", "ch2_bob"):
        output = json.loads((out / name / "results.json").read_text())["output"]
        assert "REACH other: blocked" in output, output


NEUTRAL_CHECK = '''
import numpy as np
import otter
grader = otter.Notebook("ch2_exercises.ipynb")

def {func}(*args):
    raise NotImplementedError("not written yet")
stub = grader.check("{name}")
print("STUB", repr(stub), stub._repr_html_(), "grade", stub.grade)
'''


def test_not_attempted_reads_as_a_neutral_note_in_grader_check(tmp_path):
    """otter would print a raised NotAttemptedYet as "❌ Test case failed … NotAttemptedYet:";
    ``run_check`` makes otter's result show just the ⏳ note, still with no points."""
    q = questions("ch2_exercises")[0]
    (tmp_path / "ch2_exercises.ipynb").write_bytes((ROOT / "exercises" /
                                                    "ch2_exercises.ipynb").read_bytes())
    proc = subprocess.run([sys.executable, "-c", NEUTRAL_CHECK.format(func=q.func_name,
                                                                      name=q.name)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    stub = proc.stdout[proc.stdout.index("STUB"):]
    assert f"⏳ {q.name} ({q.func_name}): not attempted yet" in stub, stub
    for failure_look in ("❌", "Test case failed", "NotAttemptedYet", "Traceback",
                         "AssertionError", "Error at line", "color: red"):
        assert failure_look not in stub, stub
    assert stub.rstrip().endswith("grade 0.0"), stub  # still no points


@pytest.mark.parametrize("assignment", sorted(utils.checks.ASSIGNMENTS))
def test_every_master_solution_scores_full_marks_on_many_hidden_seeds(assignment):
    """Hidden probes are random per grading run: the solutions must be right for any seed
    (a known mistake coinciding with the reference on some draw must not cost a point)."""
    from utils.grading.exercises import solution_code

    master = ROOT / "solutions" / f"{assignment}.ipynb"
    if not master.exists():
        pytest.skip(f"no master for {assignment}")
    namespace: dict = {}
    for cell in nbformat.read(master, as_version=4).cells:
        src = cell.source
        if cell.cell_type != "code" or "otter" in src or "def test_" in src:
            continue
        if src.startswith(("import ", "from ")) or "# BEGIN SOLUTION" in src:
            exec(compile(solution_code(src), f"<{master.name}>", "exec"), namespace)
    try:
        for seed in range(8):
            set_hidden_seed(seed)
            for q in questions(assignment):
                verdict = check(q.name, namespace[q.func_name], "hidden")
                assert verdict.status == "correct", (seed, verdict.message)
    finally:
        set_hidden_seed(None)


def test_a_sandbox_that_cannot_start_is_a_grader_error(fixture_assignment, tmp_path,
                                                       monkeypatch):
    """A sandbox without NumPy (the runner cannot start, no submitted code runs) is the
    grader's failure, reported as such, and the command exits non-zero; a submission that
    crashes the process itself is a report (tests/test_grade.py, os._exit)."""
    import utils.grade as grade

    stdlib = tuple(p for p in grade._import_path() if "site-packages" not in p)
    monkeypatch.setattr(grade, "_import_path", lambda: stdlib)
    sub = notebook(tmp_path / "s" / "a.ipynb", CORRECT)
    report = grade_one(sub, timeout=TIMEOUT, memory_mb=2048)
    assert report.status == "grader error", report.notes
    assert "the sandbox did not start" in report.notes[0] and "numpy" in report.notes[0]
    assert report.score == 0 and all("not the submission's fault" in t["output"]
                                     for t in report.tests), report.tests
    assert grade.main([str(sub), "--out", str(tmp_path / "out"), "--timeout", "30"]) == 1


def test_an_installed_course_hides_itself_never_site_packages(tmp_path):
    """In site-packages (a regular or --user install) only the package and its metadata are
    the course; in a checkout, the whole checkout."""
    site = tmp_path / "lib" / "site-packages"
    for d in ("utils/checks", "gru_course-1.0.dist-info", "numpy", "torch"):
        (site / d).mkdir(parents=True)
    assert _course_parts(site / "utils") == {site / "utils", site / "gru_course-1.0.dist-info"}
    clone = tmp_path / "clone"
    (clone / "utils").mkdir(parents=True)
    (clone / "pyproject.toml").write_text("")
    assert _course_parts(clone / "utils") == {clone}


def test_report_folders_are_named_after_the_submissions_paths(tmp_path):
    subs = [tmp_path / "submissions" / n / "ch3_exercises.ipynb" for n in ("alice", "bob")]
    assert _out_names([*subs, tmp_path / "submissions" / "carol" / "ch2_exercises.ipynb"]) == [
        "alice/ch3_exercises", "bob/ch3_exercises", "carol/ch2_exercises"]
    assert _out_names([tmp_path / "a.ipynb", tmp_path / "b.ipynb"]) == ["a", "b"]
    # paths that differ only in characters made safe: numbered, never the whole path
    assert _out_names([tmp_path / "x y" / "a.ipynb", tmp_path / "x_y" / "a.ipynb"]) == [
        "a", "a-2"]
    with pytest.raises(ValueError):
        _inside(tmp_path, "alice/../../etc")


def test_not_attempted_results_pickle_as_otters_own_class():
    """otter run pickles grader.check's results in the kernel and loads them in its own
    process: nothing of the course may be needed there."""
    import pickle

    from otter.test_files.exception_test import ExceptionTestFile

    from utils.checks._otter_display import NEUTRAL_CLASSES

    test_file = ExceptionTestFile("q2_1", "q2_1.py", [])
    test_file.__class__ = NEUTRAL_CLASSES[ExceptionTestFile]
    data = pickle.dumps(test_file)
    assert b"utils" not in data and type(pickle.loads(data)) is ExceptionTestFile


def test_notes_cite_cells_as_the_notebook_shows_them():
    """A report's "cell N" is the cell's position among all the notebook's cells (markdown
    included, counted from 1 as the notebook lists them), with the heading it sits under;
    otter's init and check cells are skipped but still counted."""
    from utils.grade import labelled_code_cells

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Chapter 9 exercises"),
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell('# Initialize Otter\nimport otter\n'
                                  'grader = otter.Notebook("ch9_exercises.ipynb")'),
        nbformat.v4.new_markdown_cell("Some prose.\n\n## Exercise 9.1: a gate\n\nWrite it."),
        nbformat.v4.new_code_cell("def gate(x):\n    return x"),
        nbformat.v4.new_code_cell('grader.check("q9_1")')])
    assert labelled_code_cells(nb) == [
        ("import numpy as np", 'cell 2, under "Chapter 9 exercises"'),
        ("def gate(x):\n    return x", 'cell 5, under "Exercise 9.1: a gate"')]
