"""The batch grader: full marks for solutions, zero for untouched notebooks, and a complete,
honest report for every hostile or broken submission, without hanging past the limit.

All submissions are graded in ONE parallel run of ``python -m utils.grade`` (kernels are slow
to start on 2 cores); the tests then read the reports.
"""

from __future__ import annotations

import copy
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from utils.checks import items, questions
from utils.grade import code_cells, grade_one, identify, static_flags
from utils.grading.exercises import solution_code

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
TIMEOUT = 30.0
QS = questions("ch2_exercises")
MAX = {q.name: q.max_points for q in items("ch2_exercises")}  # predictions included
PREDICTED = {q.var_name: q for q in items("ch2_exercises") if q.name.startswith("p")}
FUNCS = {q.func_name: q.name for q in QS}
# the last question that asks for one array (nothing later builds on it)
WRAPPED = [q for q in QS if len(q.output_names) == 1][-1]


def _answered(source: str) -> str:
    """What an answer cell defines: its function's name, or its prediction's variable."""
    return source.split("(")[0][4:] if source.startswith("def ") else source.split(" =")[0]


def _solutions() -> dict[str, str]:
    master = nbformat.read(ROOT / "solutions" / "ch2_exercises.ipynb", as_version=4)
    out = {}
    for cell in master.cells:
        if cell.cell_type == "code" and "def test_" not in cell.source and (
                cell.source.startswith("def ") or cell.source.endswith("# SOLUTION")):
            out[_answered(cell.source)] = solution_code(cell.source)
    return out


def completed() -> nbformat.NotebookNode:
    """The committed student notebook with every answer cell filled in correctly."""
    nb = nbformat.read(ROOT / "exercises" / "ch2_exercises.ipynb", as_version=4)
    sols = _solutions()
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            cell.source = sols[_answered(cell.source)]
    return nb


def mispredicted(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with every graded prediction set to a wrong option."""
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []) and \
                _answered(cell.source) in PREDICTED:
            q = PREDICTED[_answered(cell.source)]
            cell.source = f"{q.var_name} = {next(o for o in q.options if o != q.answer)!r}"
    return nb


# Honest answers in forms a checker must accept (issue 10): prints, a helper named like a
# reference function, reference names in strings, dict keys and comments, SciPy's expit,
# np.logaddexp, np.einsum. Keyed by the function they define; questions are found by
# function name, so renamed question ids do not matter.
HONEST = {
    "reset_gate": '''from scipy.special import expit


def gru_cell(x, W, b):
    """The learner's own helper, named like a reference function."""
    return x @ W.T + b


def reset_gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    # torch.nn.GRUCell or utils.numpy_cells.GRUCell would do this; here it is by hand
    H = weight_hh.shape[1]
    print("reset_gate: x_t", x_t.shape, "h_prev", h_prev.shape)
    names = {"GRU": "torch.nn.GRUCell", "gru_cell": "utils.numpy_cells"}
    a = gru_cell(x_t, weight_ih[:H], bias_ih[:H]) + gru_cell(h_prev, weight_hh[:H],
                                                             bias_hh[:H])
    print("names I must not use:", names)
    return expit(a)
''',
    "update_gate": '''def update_gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    a = (np.einsum("ni,hi->nh", x_t, weight_ih[H:2 * H]) + bias_ih[H:2 * H]
         + np.einsum("nj,hj->nh", h_prev, weight_hh[H:2 * H]) + bias_hh[H:2 * H])
    print(f"update gate: pre-activation from {a.min():.3f} to {a.max():.3f}")
    return np.exp(-np.logaddexp(0.0, -a))  # σ(a) = 1 / (1 + e^(−a)) without overflow
''',
    "candidate_state": '''def candidate_state(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih,
                    bias_hh):
    H = weight_hh.shape[1]
    W_in, W_hn = weight_ih[2 * H:], weight_hh[2 * H:]
    recurrent = np.einsum("nj,hj->nh", h_prev, W_hn) + bias_hh[2 * H:]
    print("candidate_state (as in torch.nn.GRU):", recurrent.shape)
    return np.tanh(x_t @ W_in.T + bias_ih[2 * H:] + r_t * recurrent)
''',
    "gru_cell_step": '''def gru_cell_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    r_t = reset_gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    z_t = update_gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    n_t = candidate_state(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh)
    print("GRU step done")
    return (1 - z_t) * n_t + z_t * h_prev
''',
    # chapter 2's inversions: helpers and strings named like reference functions
    "update_gate_from_step": '''def gru_cell(a, b):
    """The learner's own helper, named like a reference function."""
    return np.subtract(a, b)


def update_gate_from_step(h_prev, n_t, h_t):
    # torch.nn.GRUCell or utils.numpy_cells.GRUCell made this step; here it is read back
    names = {"GRU": "torch.nn.GRUCell", "gru_cell": "utils.numpy_cells"}
    print("update_gate_from_step:", h_t.shape, "names I must not use:", names)
    return gru_cell(h_t, n_t) / gru_cell(h_prev, n_t)
''',
    "reset_gate_from_candidate": '''def reset_gate_from_candidate(x_t, h_prev, n_t, weight_ih,
                              weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    W_in, W_hn = weight_ih[2 * H:], weight_hh[2 * H:]
    pre = 0.5 * np.log1p(n_t) - 0.5 * np.log1p(-n_t)  # artanh, written out
    inside = np.einsum("nj,hj->nh", h_prev, W_hn) + bias_hh[2 * H:]
    print("candidate (as torch.nn.GRU computes it, reset after W_hn):", inside.shape)
    return (pre - np.einsum("ni,hi->nh", x_t, W_in) - bias_ih[2 * H:]) / inside
''',
}


def honest() -> nbformat.NotebookNode:
    """:func:`completed` with the answers of :data:`HONEST` where the assignment asks for
    those functions."""
    nb = completed()
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            func = cell.source.split("(")[0][4:]
            if func in HONEST:
                cell.source = HONEST[func]
    return nb


def _index(nb, predicate) -> int:
    return next(i for i, c in enumerate(nb.cells) if predicate(c))


def _answer(nb, func: str) -> nbformat.NotebookNode:
    return nb.cells[_index(nb, lambda c: c.source.startswith(f"def {func}("))]


def solution_lines(nb, func: str) -> list[str]:
    """The body lines of ``func``'s answer in ``nb`` (without the ``def`` line)."""
    return _answer(nb, func).source.split("\n")[1:]


def _after_imports(nb, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    i = _index(nb, lambda c: c.cell_type == "code" and c.source.startswith("import numpy"))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
    return nb


def _replace_answer(nb, func: str, body: str) -> nbformat.NotebookNode:
    cell = _answer(nb, func)
    header = cell.source.split("\n")[0]
    cell.source = header + "\n" + body
    return nb


# A last cell that tries to write the right answers straight into the runner's output channel
# (as it could when the job and the checkers were in its working directory), then ends the
# process before the runner does.
FORGE = """
import json, os
try:
    from utils.checks import get_question
    from utils.checks.core import Outcome, _decode_array, encode_outcomes
    job = json.load(open("job.json"))
    with open("progress.jsonl", "a") as f:
        for q in job["questions"]:
            question, levels = get_question(q["name"]), {}
            for level, raw in q["levels"].items():
                outs = []
                for p in raw:
                    ref = question.reference(**{k: _decode_array(v)
                                                for k, v in p["args"].items()})
                    outs.append(Outcome("value", list(ref) if isinstance(ref, tuple) else ref))
                levels[level] = encode_outcomes(outs)
            f.write(json.dumps({"event": "question", "name": q["name"], "levels": levels})
                    + "\\n")
            f.write(json.dumps({"event": "done"}) + "\\n")
except Exception as exc:
    print("forging failed:", exc)
os._exit(0)
"""


def make_submissions(d: Path) -> dict[str, Path]:
    good = completed()
    subs: dict[str, nbformat.NotebookNode] = {"completed": good}

    subs["loop_cell"] = _after_imports(good, "while True:\n    pass")
    subs["loop_unstoppable"] = _after_imports(
        good, "while True:\n    try:\n        while True:\n            pass\n"
              "    except BaseException:\n        pass")
    nb = copy.deepcopy(good)
    subs["loop_in_answer"] = _replace_answer(nb, "update_gate_from_step",
                                             "    while True:\n        pass")
    nb = copy.deepcopy(good)
    imports = nb.cells[_index(nb, lambda c: c.source.startswith("import numpy"))]
    imports.source = "import nonexistent_module_for_grading_test\n" + imports.source
    subs["import_error"] = nb
    subs["sys_exit"] = _after_imports(good, "import sys\nsys.exit(3)")
    subs["os_exit"] = _after_imports(good, "import os\nos._exit(0)")

    nb = copy.deepcopy(good)
    del nb.cells[_index(nb, lambda c: "otter.Notebook(" in c.source)]
    check = nb.cells[_index(nb, lambda c: c.source == 'grader.check("q2_1")')]
    check.source = 'print("edited the grader cell")\ngrader.check("q2_1")\nraise SystemExit'
    del nb.cells[_index(nb, lambda c: c.source == 'grader.check("q2_2")')]
    subs["grader_cells_edited"] = nb

    subs["print_flood"] = _after_imports(
        good, 'print("x" * 10_000_000)\nimport sys\nsys.stderr.write("y" * 1_000_000)\n'
              "for i in range(100_000):\n    print(i)")
    subs["memory_hog"] = _after_imports(good, "hog = np.ones((40_000, 40_000))")
    subs["network"] = _after_imports(
        good, "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=5)")

    # wrong answers that patched NumPy/otter/checkers would otherwise "accept"
    nb = mispredicted(copy.deepcopy(good))
    zeros = "np.zeros((x_t.shape[0], weight_hh.shape[1]))"
    wrong_bodies = {
        "update_gate_from_step": "    return np.zeros_like(h_t)",
        "reset_gate_from_candidate": f"    return {zeros}",
        "reset_closed_vs_first_step": f"    return {zeros}, {zeros}",
        "keras_to_pytorch": "    return tuple(np.zeros_like(p) for p in (kernel.T, "
                            "recurrent_kernel.T, bias[0], bias[1]))",
        "fix_weights": "    return tuple(np.zeros_like(p) for p in "
                       "(weight_ih, weight_hh, bias_ih, bias_hh))",
    }
    assert set(wrong_bodies) == set(FUNCS)
    for func, body in wrong_bodies.items():
        _replace_answer(nb, func, body)
    subs["monkeypatch"] = _after_imports(nb, "\n".join([
        "import numpy.testing, otter, utils.checks, utils.checks.core as core",
        "np.allclose = lambda *a, **k: True",
        "np.isclose = lambda *a, **k: True",
        "np.testing.assert_allclose = lambda *a, **k: None",
        "np.array_equal = lambda *a, **k: True",
        "utils.checks.run_check = lambda *a, **k: None",
        "core.Question.diagnose = lambda self, level, outcomes: core.Verdict(99, 1, 'ok', "
        "'correct')",
        "core.capture = lambda fn, probes: []",
        "core.close = lambda *a: True",
        "otter.Notebook.check = lambda self, *a, **k: None",
        "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})",
    ]))

    nb = copy.deepcopy(good)
    nb = _after_imports(nb, "from utils.checks.ch2 import update_gate_from_step as g")
    _replace_answer(nb, "update_gate_from_step", "    return g(h_prev, n_t, h_t)")
    _replace_answer(nb, "reset_gate_from_candidate", "\n".join([
        "    import importlib",
        "    m = importlib.import_module('utils.' + 'check' + 's.c' + 'h2')",
        "    return getattr(m, 'reset_gate_' + 'from_candidate')(x_t, h_prev, n_t, weight_ih, "
        "weight_hh, bias_ih, bias_hh)"]))
    _replace_answer(nb, "keras_to_pytorch", "\n".join([
        "    from utils.conventions import keras_to_pytorch as convert",
        "    p = convert(kernel, recurrent_kernel, bias)",
        "    return p['weight_ih'], p['weight_hh'], p['bias_ih'], p['bias_hh']"]))
    subs["reference_call"] = nb

    nb = mispredicted(copy.deepcopy(good))
    _replace_answer(nb, "update_gate_from_step", "    return np.full(h_t.shape, np.nan)")
    _replace_answer(nb, "reset_gate_from_candidate", "    H = weight_hh.shape[1]\n    return "
                                                     "np.zeros((H, x_t.shape[0]))")
    _replace_answer(nb, "reset_closed_vs_first_step", "    n = np.zeros((x_t.shape[0], "
                                                      "weight_hh.shape[1]), dtype=np.float32)"
                                                      "\n    return n, n")
    _replace_answer(nb, "keras_to_pytorch", "    weight_ih = kernel")
    _replace_answer(nb, "fix_weights", "    return 'weights'")
    subs["bad_outputs"] = nb

    subs["honest"] = honest()
    nb = copy.deepcopy(good)  # one right array wrapped in a list, where one array is asked for
    lines = solution_lines(nb, WRAPPED.func_name)
    last = max(i for i, line in enumerate(lines) if line.startswith("    return "))
    lines[last] = f"    return [{lines[last][len('    return '):]}]"
    _replace_answer(nb, WRAPPED.func_name, "\n".join(lines))
    subs["wrapped"] = nb

    untouched = nbformat.read(ROOT / "exercises" / "ch2_exercises.ipynb", as_version=4)
    untouched.cells.append(nbformat.v4.new_code_cell(FORGE))
    subs["forged_progress"] = untouched

    paths = {name: d / f"{name}.ipynb" for name in subs}
    for name, nb in subs.items():
        nbformat.write(nb, paths[name])
    paths["solution"] = ROOT / "solutions" / "ch2_exercises.ipynb"
    paths["untouched"] = ROOT / "exercises" / "ch2_exercises.ipynb"
    paths["not_json"] = FIXTURES / "ch2_not_json.ipynb"
    return paths


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    d = tmp_path_factory.mktemp("subs")
    paths = make_submissions(d)
    out = tmp_path_factory.mktemp("reports")
    names = list(paths)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "utils.grade", *map(str, paths.values()),
                           "--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2"],
                          capture_output=True, text=True, timeout=20 * TIMEOUT)
    elapsed = time.monotonic() - t0
    # report directories are named after the submissions' paths: the two ch2_exercises
    # (solutions/, exercises/) clash by file name, so every name keeps its folder too
    stems = {name: f"{paths[name].parent.name}/{paths[name].stem}" for name in names}
    reports = {n: json.loads((out / stems[n] / "results.json").read_text()) for n in names}
    return proc, reports, out, elapsed, stems


def scores(report) -> dict[str, float]:
    return {t["name"]: t["score"] for t in report["tests"]}


def output(report, name) -> str:
    return next(t["output"] for t in report["tests"] if t["name"] == name)


def test_grader_exits_zero_and_reports_every_submission(graded):
    proc, reports, out, elapsed, stems = graded
    assert proc.returncode == 0, proc.stderr
    for name, report in reports.items():
        assert [t["name"] for t in report["tests"]] == list(MAX), name
        for t in report["tests"]:
            assert t["max_score"] == MAX[t["name"]] and 0 <= t["score"] <= t["max_score"], name
            assert t["output"].strip(), f"{name}/{t['name']} has no reason"
        assert report["score"] == sum(t["score"] for t in report["tests"])
        assert (out / stems[name] / "summary.txt").read_text().startswith("Submission:")
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == len(reports)
    assert {r["report"] for r in rows} == set(stems.values())


def test_no_submission_hangs_past_its_limit(graded):
    proc, reports, out, elapsed, stems = graded
    # 16 submissions on 2 jobs; two of them use their whole limit
    assert elapsed < 8 * TIMEOUT, elapsed


@pytest.mark.parametrize("name", ["solution", "completed", "grader_cells_edited", "sys_exit",
                                  "print_flood", "memory_hog", "loop_cell", "honest"])
def test_full_marks(graded, name):
    report = graded[1][name]
    assert scores(report) == MAX, json.dumps(report, indent=1, ensure_ascii=False)


def test_untouched_notebook_scores_zero_as_not_attempted(graded):
    report = graded[1]["untouched"]
    assert report["score"] == 0
    for q in MAX:
        assert "not attempted yet" in output(report, q)


def test_memory_limit_is_applied(graded):
    assert "MemoryError" in graded[1]["memory_hog"]["output"]


def test_no_network_where_the_os_allows(graded):
    from utils.grade import _no_network_prefix

    report = graded[1]["network"]
    assert scores(report) == MAX
    if not _no_network_prefix():
        assert "network isolation unavailable" in report["output"]
        pytest.skip("unshare -n is not permitted here")
    # in a fresh network namespace even loopback is down: "unreachable", not "refused"
    assert "Network is unreachable" in report["output"], report["output"]


def test_loop_cell_is_interrupted_and_noted(graded):
    assert "ran out of time" in graded[1]["loop_cell"]["output"]


def test_unstoppable_loop_is_killed_at_the_limit(graded):
    report = graded[1]["loop_unstoppable"]
    assert report["score"] == 0
    assert report["extra_data"]["status"] == "timeout"
    assert "limit" in report["output"]


def test_loop_in_answer_times_out_that_question_only(graded):
    s = scores(graded[1]["loop_in_answer"])
    assert s["q2_1"] == 0  # every other question is graded on its own
    assert all(s[q] == MAX[q] for q in MAX if q != "q2_1"), s
    assert "did not return in time" in output(graded[1]["loop_in_answer"], "q2_1")


def test_import_error_is_reported(graded):
    report = graded[1]["import_error"]
    assert "ModuleNotFoundError" in report["output"]
    assert scores(report)["q2_2"] == 0 and "NameError" in output(report, "q2_2")
    for q in ("q2_1", "q2_5"):  # need no import: still earned
        assert scores(report)[q] == MAX[q], output(report, q)


def test_os_exit_gets_a_complete_zero_report(graded):
    report = graded[1]["os_exit"]
    assert report["score"] == 0 and report["extra_data"]["status"] == "crashed"
    assert "ended the grading process" in report["output"]


def test_monkeypatching_numpy_otter_or_checkers_earns_nothing(graded):
    report = graded[1]["monkeypatch"]
    assert report["score"] == 0, json.dumps(report, indent=1, ensure_ascii=False)
    assert "Problem in" in output(report, "q2_1")


def test_reference_calls_are_flagged(graded):
    report = graded[1]["reference_call"]
    s = scores(report)
    for q in ("q2_1", "q2_2", "q2_4"):
        assert s[q] == 0 and "reference implementation" in output(report, q), output(report, q)
    assert s["q2_3"] == MAX["q2_3"] and s["q2_5"] == MAX["q2_5"]


def test_nan_shape_dtype_none_and_type_are_diagnosed(graded):
    report = graded[1]["bad_outputs"]
    assert report["score"] == 0
    assert "Got NaN" in output(report, "q2_1")
    assert "Wrong shape" in output(report, "q2_2") and "(transposed?)" in output(report, "q2_2")
    assert "Wrong dtype" in output(report, "q2_3") and "float32" in output(report, "q2_3")
    assert "did you forget a `return`?" in output(report, "q2_4")
    assert "got builtins.str instead" in output(report, "q2_5")


def test_invalid_json_gets_a_complete_zero_report(graded):
    report = graded[1]["not_json"]
    assert report["score"] == 0 and report["extra_data"]["status"] == "invalid notebook"
    assert "not a valid notebook" in output(report, "q2_1")


# --------------------------------------------------------------------------------------
# Fast unit tests of the pieces


def test_identify_uses_metadata_then_contents_then_name(tmp_path):
    assert identify({"metadata": {"otter": {"assignment_name": "ch2_exercises"}},
                     "cells": []}, tmp_path / "x.ipynb", None) == "ch2_exercises"
    nb = {"metadata": {}, "cells": [{"cell_type": "code", "source":
                                     "def update_gate_from_step(a):\n"
                                     "def keras_to_pytorch(a):\ndef fix_weights(a):"}]}
    assert identify(nb, tmp_path / "anything.ipynb", None) == "ch2_exercises"
    assert identify(None, tmp_path / "ch2_alice.ipynb", None) == "ch2_exercises"


def test_otter_boilerplate_cells_are_not_run():
    nb = nbformat.read(ROOT / "exercises" / "ch2_exercises.ipynb", as_version=4)
    cells = code_cells(nb)
    assert not any("grader" in c for c in cells)
    assert sum(c.startswith("def ") for c in cells) == len(QS)
    edited = {"cells": [{"cell_type": "code", "source": 'grader.check("q2_1")\nx = 1'}]}
    assert code_cells(edited) == ['grader.check("q2_1")\nx = 1']  # edited: run it


def test_static_flags_follow_aliases_and_helpers():
    cells = ["import utils.numpy_cells as nc",
             "def helper(x):\n    return nc.sigmoid(x)",
             "def reset_gate(x_t, h_prev, *p):\n    return helper(x_t)",
             "def update_gate(x_t, h_prev, *p):\n    return x_t",
             "def gru_cell_step(x_t, h_prev, *p):\n    import torch\n"
             "    return torch.nn.GRUCell(3, 4)"]
    flags = static_flags(cells, ["reset_gate", "update_gate", "gru_cell_step"])
    assert set(flags) == {"reset_gate", "gru_cell_step"}, flags


def test_cli_usage_errors(tmp_path):
    run = [sys.executable, "-m", "utils.grade"]
    missing = subprocess.run(run + [str(tmp_path / "nope.ipynb"), "--out", str(tmp_path)],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    unwritable = subprocess.run(run + [str(FIXTURES / "ch2_not_json.ipynb"), "--out",
                                       str(blocker / "sub")], capture_output=True, text=True)
    assert unwritable.returncode == 1 and "cannot write reports" in unwritable.stderr


def test_forged_results_written_by_the_notebook_are_ignored(graded):
    report = graded[1]["forged_progress"]
    assert report["score"] == 0, json.dumps(report, indent=1, ensure_ascii=False)
    assert report["extra_data"]["status"] == "crashed"


def test_unidentifiable_notebook_needs_assignment_flag(tmp_path):
    sub = tmp_path / "mystery.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), sub)
    run = [sys.executable, "-m", "utils.grade", str(sub), "--out", str(tmp_path / "r")]
    unknown = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "pass --assignment" in unknown.stderr
    told = subprocess.run(run + ["--assignment", "ch2_exercises", "--timeout", str(TIMEOUT)],
                          capture_output=True, text=True, timeout=120)
    assert told.returncode == 0, told.stderr
    report = json.loads((tmp_path / "r" / "mystery" / "results.json").read_text())
    assert [t["name"] for t in report["tests"]] == list(MAX) and report["score"] == 0
    assert "`update_gate_from_step` is not defined" in output(report, "q2_1")
    assert "not attempted yet" in output(report, "p2_1")


def test_invalid_notebook_with_an_uninformative_name_is_not_an_empty_report(tmp_path):
    """A corrupt ``bob.ipynb`` cannot be identified: the grader says so (exit 1 in the CLI)
    instead of writing a report with no questions; with ``--assignment`` every question is
    listed."""
    bad = tmp_path / "bob.ipynb"
    bad.write_bytes((FIXTURES / "ch2_not_json.ipynb").read_bytes())
    unknown = grade_one(bad, timeout=TIMEOUT, memory_mb=1024)
    assert unknown.status == "unknown assignment" and "pass --assignment" in unknown.notes[0]
    told = grade_one(bad, timeout=TIMEOUT, memory_mb=1024, default_assignment="ch2_exercises")
    assert told.status == "invalid notebook" and [t["name"] for t in told.tests] == list(MAX)
    assert told.score == 0 and all("not a valid notebook" in t["output"] for t in told.tests)


def test_honest_answers_are_not_flagged_or_noted_as_reference_use(graded):
    report = graded[1]["honest"]
    assert HONEST.keys() & FUNCS.keys(), "no chapter 2 question left for the honest answers"
    for func in HONEST.keys() & FUNCS.keys():
        out = output(report, FUNCS[func])
        assert "reference" not in out and "flagged" not in out, out


def test_one_array_wrapped_in_a_list_earns_nothing(graded):
    report = graded[1]["wrapped"]
    s = scores(report)
    out = output(report, WRAPPED.name)
    assert s[WRAPPED.name] == 0, out
    assert f"not `[{WRAPPED.output_names[0]}]`" in out and "sequence of 1 item" in out, out
    assert all(s[q] == MAX[q] for q in MAX if q != WRAPPED.name), s


def test_reports_record_the_runs_seed(graded):
    proc, reports, out, elapsed, stems = graded
    seeds = {r["extra_data"]["hidden_seed"] for r in reports.values()}
    assert len(seeds) == 1 and isinstance(seeds.pop(), int)
