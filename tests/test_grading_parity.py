"""One verdict, three graders: every case of tests/grading_cases.py gets the same points and
the same reason from ``grader.check`` (in the notebook's kernel, with the public and hidden
tests), ``python -m utils.grade`` and ``otter run`` (the autograder bundle, with the
repository's ``utils`` out of reach, as on Gradescope).

The cases are grouped into as few notebooks as possible (one case per question and
notebook): each grader runs a handful of notebooks, not one per case. The hidden probes of
``utils.grade`` are drawn with ``--seed 1``, which is the fixed default seed the other two use
(:func:`utils.checks.core.probe_rng`), so all three call the answers on the same inputs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading_cases import BODY, CASES, SOLUTION, Case
from utils.checks import items
from utils.grading.exercises import _master_parts, otter_assign

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
# the first line of a checker's failure message: "❌ q2_1 (gru_gates): ..." or "⏳ ..."
REASON = re.compile(r"[❌⏳] [qp]\d+_\d+ \(\w+\):[^\n]*")
# Hides the repository's editable install of `utils` in every Python process that inherits
# PYTHONPATH (as tests/test_exercises.py does): otter run sees only the bundle's copy.
HIDE_UTILS = """import sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if "__editable__" not in getattr(f, "__module__", "")]
"""


def _groups(cases=None) -> list[tuple[str, list[Case]]]:
    """The cases as notebooks: (assignment, cases), at most one case per question each."""
    groups: list[tuple[str, list[Case]]] = []
    for case in CASES if cases is None else cases:
        for assignment, members in groups:
            if assignment == case.assignment and case.question not in {
                    c.question for c in members}:
                members.append(case)
                break
        else:
            groups.append((case.assignment, [case]))
    return groups


def _answer(case: Case, solution: str) -> str:
    source = case.source.replace(SOLUTION, solution)
    func = next(q.func_name for q in items(case.assignment) if q.name == case.question)
    lines = source.split("\n")
    if case.body:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"def {func}("))
        lines[at + 1:at + 1] = ["    " + b for b in case.body.rstrip("\n").split("\n")]
    assert BODY not in source
    return "\n".join(lines)


def _notebook(assignment: str, cases: list[Case]) -> nbformat.NotebookNode:
    """The student notebook with the cases' answer cells (other answers: the stubs)."""
    nb = nbformat.read(ROOT / "exercises" / f"{assignment}.ipynb", as_version=4)
    master = nbformat.read(ROOT / "solutions" / f"{assignment}.ipynb", as_version=4)
    solutions = {item["name"]: item["solution"] for item in _master_parts(master)[1]}
    answer_cells = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    by_question = dict(zip([q.name for q in items(assignment)], answer_cells))
    for case in cases:
        if case.source is not None:
            by_question[case.question].source = _answer(case, solutions[case.question])
    return nb


def _reasons(text: str) -> list[str]:
    """The distinct first lines of the failure messages in ``text``, in order."""
    return list(dict.fromkeys(m.group(0).strip() for m in REASON.finditer(text)
                              if not m.group(0).startswith("✅")))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{(notebook index, question): {grader: (points, reasons)}} for every case."""
    return grade_cases(CASES, tmp_path_factory.mktemp("parity"))


def grade_cases(cases: list[Case], tmp: Path, *, benign: bool = False) -> tuple[list, dict]:
    """``(groups, results)``: the cases as notebooks (:func:`_groups`) and
    {(notebook index, question): {grader: (points, reasons)}}, each grader run once over all
    the notebooks (``otter run`` once per notebook).

    ``benign``: the cases are ordinary learner code (no crash, no monkeypatching), so they may
    share processes: ``grader.check`` runs every case of an assignment in one kernel, one
    after the other, and one Python process calls ``otter run`` (``otter.run.main``) for
    every notebook. That keeps dozens of cases to a few minutes."""
    groups = _groups(cases)
    bundles = {}
    for assignment in dict.fromkeys(a for a, _ in groups):
        out = tmp / "assign" / assignment
        otter_assign(ROOT / "solutions" / f"{assignment}.ipynb", out, run_tests=False)
        [bundle] = (out / "autograder").glob("*.zip")
        tests = tmp / "tests" / assignment
        with zipfile.ZipFile(bundle) as z:
            for name in z.namelist():
                if name.startswith("tests/") and name.endswith(".py"):
                    (tests / Path(name).name).parent.mkdir(parents=True, exist_ok=True)
                    (tests / Path(name).name).write_bytes(z.read(name))
        bundles[assignment] = (bundle, tests)

    subs = []
    for i, (assignment, cases) in enumerate(groups):
        path = tmp / "subs" / f"nb{i}" / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(_notebook(assignment, cases), path)
        subs.append(path)
    results: dict = {}

    # 1. grader.check in the notebook's own kernel, with the public and hidden tests
    from nbclient import NotebookClient
    if benign:
        _check_in_one_kernel_each(groups, bundles, tmp, results)
    for i, ((assignment, cases), path) in enumerate(zip(groups, subs) if not benign else ()):
        nb = nbformat.read(path, as_version=4)
        names = [c.question for c in cases]
        nb.cells.append(nbformat.v4.new_code_cell(
            "import json as _json, otter as _otter\n"
            f"_g = _otter.Notebook(tests_dir={str(bundles[assignment][1])!r})\n"
            "_out = {}\n"
            f"for _q in {names!r}:\n"
            "    _r = _g.check(_q)\n"
            "    _out[_q] = [sum(t.test_case.points for t in _r.test_case_results if t.passed),\n"
            "               '\\n'.join(t.message or '' for t in _r.test_case_results\n"
            "                         if not t.passed)]\n"
            "print('PARITY' + _json.dumps(_out))"))
        NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert "PARITY" in text, nb.cells[-1].outputs
        for q, (points, message) in json.loads(text.split("PARITY", 1)[1]).items():
            results.setdefault((i, q), {})["grader.check"] = (points, _reasons(message))

    # 2. python -m utils.grade, every notebook in one run
    out = tmp / "reports"
    proc = subprocess.run([sys.executable, "-m", "utils.grade", *map(str, subs), "--out",
                           str(out), "--seed", "1", "--jobs", "2", "--timeout", "120"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folders = {row["submission"]: row["report"]
               for row in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    for i, ((assignment, cases), path) in enumerate(zip(groups, subs)):
        report = json.loads((out / folders[str(path)] / "results.json").read_text())
        tests = {t["name"]: t for t in report["tests"]}
        for case in cases:
            t = tests[case.question]
            results[(i, case.question)]["utils.grade"] = (t["score"], _reasons(t["output"]))

    # 3. otter run with the autograder bundle, the repository's utils hidden
    hide = tmp / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_UTILS)
    env = dict(os.environ, PYTHONPATH=str(hide))
    if benign:
        runs = [(str(bundles[a][0]), str(path), str(tmp / "otter" / f"nb{i}"))
                for i, ((a, _), path) in enumerate(zip(groups, subs))]
        for _, _, work in runs:
            Path(work).mkdir(parents=True)
        proc = subprocess.run([sys.executable, "-c", OTTER_LOOP, json.dumps(runs)],
                              cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=300 + 60 * len(runs))
        assert proc.returncode == 0, proc.stderr[-3000:]
    for i, ((assignment, cases), path) in enumerate(zip(groups, subs)):
        work = tmp / "otter" / f"nb{i}"
        if not benign:
            work.mkdir(parents=True)
            proc = subprocess.run([sys.executable, "-m", "otter", "run", "-a",
                                   str(bundles[assignment][0]), str(path), "-o", str(work)],
                                  cwd=work, env=env, capture_output=True, text=True,
                                  timeout=900)
            assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads((work / "results.json").read_text())
        assert "Autograder Failed" not in json.dumps(report), json.dumps(report)[:3000]
        tests = {t["name"]: t for t in report["tests"] if "score" in t}
        for case in cases:
            t = tests[case.question]
            results[(i, case.question)]["otter run"] = (t["score"], _reasons(t["output"]))
    return groups, results


# ``otter run`` for many submissions in one process: what ``python -m otter run -a BUNDLE SUB
# -o OUT`` does, without a new interpreter and otter import for each.
OTTER_LOOP = """
import json, os, sys
from otter.run import main
for bundle, submission, out in json.loads(sys.argv[1]):
    os.chdir(out)
    main(submission, autograder=bundle, output_dir=out, no_logo=True)
"""


def _check_in_one_kernel_each(groups: list, bundles: dict, tmp: Path, results: dict) -> None:
    """``grader.check`` of every case of each assignment in one kernel: the student notebook
    runs once, then each case's answer cell runs and its question is checked."""
    from nbclient import NotebookClient

    for assignment in dict.fromkeys(a for a, _ in groups):
        nb = nbformat.read(ROOT / "exercises" / f"{assignment}.ipynb", as_version=4)
        master = nbformat.read(ROOT / "solutions" / f"{assignment}.ipynb", as_version=4)
        solutions = {item["name"]: item["solution"] for item in _master_parts(master)[1]}
        nb.cells.append(nbformat.v4.new_code_cell(
            "import json as _json, otter as _otter\n"
            f"_g = _otter.Notebook(tests_dir={str(bundles[assignment][1])!r})\n"
            "_out = []"))
        keys = []
        for i, (a, cases) in enumerate(groups):
            for case in cases if a == assignment else ():
                if case.source is not None:
                    nb.cells.append(nbformat.v4.new_code_cell(_answer(case,
                                                                      solutions[case.question])))
                nb.cells.append(nbformat.v4.new_code_cell(
                    f"_r = _g.check({case.question!r})\n"
                    "_out.append([sum(t.test_case.points for t in _r.test_case_results\n"
                    "                 if t.passed),\n"
                    "             '\\n'.join(t.message or '' for t in _r.test_case_results\n"
                    "                        if not t.passed)])"))
                keys.append((i, case.question))
        nb.cells.append(nbformat.v4.new_code_cell("print('PARITY' + _json.dumps(_out))"))
        where = tmp / "kernel" / assignment
        where.mkdir(parents=True)
        NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(where)}}).execute()
        text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert "PARITY" in text, nb.cells[-1].outputs
        for key, (points, message) in zip(keys, json.loads(text.split("PARITY", 1)[1])):
            results.setdefault(key, {})["grader.check"] = (points, _reasons(message))


def _ids() -> list[str]:
    return [f"{a}:{c.question}:{c.name}" for a, cases in _groups() for c in cases]


def assert_same_verdict(groups: list, results: dict, case: Case) -> None:
    """The three graders gave ``case`` its points and its reason, word for word alike."""
    i = next(i for i, (_, cases) in enumerate(groups) if case in cases)
    got = results[(i, case.question)]
    print(case.name, json.dumps(got, ensure_ascii=False))  # shown with `pytest -rP`
    assert set(got) == {"grader.check", "utils.grade", "otter run"}, got
    for grader, (points, reasons) in got.items():
        assert points == case.points, (grader, got)
        if case.reason is None:
            assert reasons == [], (grader, got)
        else:
            assert reasons and case.reason in reasons[0], (grader, got)
    assert len({tuple(r) for _, r in got.values()}) == 1, got  # the same messages, word for word


@pytest.mark.parametrize("key", _ids())
def test_three_graders_give_the_same_points_and_reason(graded, key):
    groups, _ = graded
    case = next(c for a, cases in groups for c in cases if f"{a}:{c.question}:{c.name}" == key)
    assert_same_verdict(*graded, case)
