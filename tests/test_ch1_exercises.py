"""Chapter 1 exercises: references against PyTorch/mpmath, every known mistake gets its
message, hand-written wrong answers are diagnosed, the master scores full marks and the
untouched student notebook zero with ``python -m utils.grade``."""

from __future__ import annotations

import functools
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath
import nbformat
import numpy as np
import pytest
import torch

import utils.checks as checks
from utils.checks import ch1

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "ch1_exercises.ipynb"
STUDENT = ROOT / "exercises" / "ch1_exercises.ipynb"


def verdict(name, fn, level="public"):
    return checks.check(name, fn, level)


# ----------------------------------------------------------------- learner-side copies
# The references live in utils/, so calling them is flagged as "calls the reference". To
# play a learner, re-create the same functions from their source in a file outside utils.

_LEARNER_FILE = "/tmp/learner_ch1_answers.py"
_LEARNER: dict = {"np": np}
for _f in (ch1._stable, ch1.sigmoid, ch1.rnn_step, ch1.param_counts,
           ch1.linear_rnn_gradient_norms):
    exec(compile(textwrap.dedent(inspect.getsource(_f)), _LEARNER_FILE, "exec"), _LEARNER)


def as_learner(fn):
    """The learner-file copy of a reference or of a ``functools.partial`` mistake."""
    if isinstance(fn, functools.partial):
        return functools.partial(_LEARNER[fn.func.__name__], *fn.args, **fn.keywords)
    return _LEARNER[fn.__name__]


# ------------------------------------------------------------------------ references


def test_sigmoid_reference_is_exact_against_mpmath():
    a = np.concatenate([np.linspace(-745.0, 745.0, 301), [-720.0, -40.0, 0.0, 40.0, 1000.0,
                                                         -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow
        got = ch1.sigmoid(a)
    mpmath.mp.dps = 50
    exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(float(x))))) for x in a])
    normal = exact > 1e-300  # subnormals: compare with the float64 spacing instead
    np.testing.assert_allclose(got[normal], exact[normal], rtol=1e-14, atol=0)
    assert np.all(np.abs(got[~normal] - exact[~normal]) <= 1e-14 * np.abs(exact[~normal])
                  + 5e-324 * 64)
    assert torch.allclose(torch.from_numpy(got), torch.sigmoid(torch.from_numpy(a)),
                          rtol=1e-14, atol=1e-300)


def test_rnn_step_reference_matches_torch_rnncell(rng):
    for N, H_in, H in [(1, 1, 1), (3, 4, 5), (2, 7, 3)]:
        cell = torch.nn.RNNCell(H_in, H).double()
        with torch.no_grad():
            for p in cell.parameters():
                p.copy_(torch.from_numpy(rng.uniform(-1, 1, p.shape)))
        x_t, h_prev = rng.normal(size=(N, H_in)), rng.uniform(-1, 1, (N, H))
        params = {k: getattr(cell, k).detach().numpy() for k in
                  ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        expected = cell(torch.from_numpy(x_t), torch.from_numpy(h_prev)).detach().numpy()
        got = ch1.rnn_step(x_t, h_prev, **params)
        assert np.max(np.abs(got - expected)) < 1e-13


def test_param_counts_reference_matches_torch():
    sizes_in, sizes_h = np.array([1, 3, 10, 64]), np.array([1, 4, 20, 7])
    counts = ch1.param_counts(sizes_in, sizes_h)
    assert counts.shape == (4, 3) and counts.dtype.kind == "i"
    for k, (i, h) in enumerate(zip(sizes_in, sizes_h)):
        for j, cls in enumerate((torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM)):
            layer = cls(int(i), int(h))
            assert counts[k, j] == sum(p.numel() for p in layer.parameters())


def test_gradient_norms_reference_matches_autograd(rng):
    H, T = 4, 6
    W = rng.normal(0, 0.6, (H, H))
    b = rng.normal(size=H)
    W_t = torch.from_numpy(W)

    def h_T(h0):
        h = h0
        for _ in range(T):
            h = W_t @ h + torch.from_numpy(b)
        return h

    jac = torch.autograd.functional.jacobian(h_T, torch.zeros(H, dtype=torch.float64))
    got = ch1.linear_rnn_gradient_norms(W, np.arange(T + 1))
    assert got.shape == (T + 1,) and got[0] == pytest.approx(1.0)
    assert got[-1] == pytest.approx(torch.linalg.matrix_norm(jac, ord=2).item(), rel=1e-12)


def test_scaled_orthogonal_probe_gives_rho_to_the_t():
    probe = ch1._gradient_probes("public")[0]
    got = ch1.linear_rnn_gradient_norms(**probe.args)
    np.testing.assert_allclose(got, 0.9 ** np.arange(7), rtol=1e-12)


# ------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize("q", ch1.QUESTIONS, ids=lambda q: q.name)
def test_learner_copy_of_the_reference_earns_every_point(q):
    v = verdict(q.name, as_learner(q.reference), "all")
    assert v.status == "correct" and v.points == v.max_points == 2, v.message


@pytest.mark.parametrize("q", ch1.QUESTIONS, ids=lambda q: q.name)
def test_calling_the_reference_is_flagged(q):
    v = verdict(q.name, q.reference)
    assert v.status == "flagged" and v.points == 0 and "reference implementation" in v.message


@pytest.mark.parametrize("q, k", [(q, k) for q in ch1.QUESTIONS for k in range(len(q.mistakes))],
                         ids=lambda x: getattr(x, "name", str(x)))
def test_each_known_mistake_gets_its_message(q, k):
    mistake = q.mistakes[k]
    for level in ("public", "hidden"):
        v = verdict(q.name, as_learner(mistake.fn), level)
        assert v.status == "incorrect" and v.points == 0, (level, v.message)
        assert mistake.message in v.message, (level, v.message)
        assert f'hint("{q.name}")' in v.message


@pytest.mark.parametrize("q", ch1.QUESTIONS, ids=lambda q: q.name)
def test_the_stub_is_not_attempted(q):
    def stub(*args):
        raise NotImplementedError("Exercise: not yet")
    v = verdict(q.name, stub)
    assert v.status == "not attempted" and "not attempted yet" in v.message


# Hand-written wrong answers, as a learner would type them.


def naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def tanh_sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))


def ratio_sigmoid(a):
    return np.exp(a) / (1 + np.exp(a))


@pytest.mark.parametrize("fn, cause", [(naive_sigmoid, "overflowed to inf"),
                                       (tanh_sigmoid, "cancelled to 0")],
                         ids=["naive", "tanh"])
def test_overflowing_or_cancelling_sigmoids_are_rejected(fn, cause):
    with np.errstate(all="ignore"):
        v = verdict("q1_1", fn)
    assert v.status == "incorrect"
    assert "a tiny number that float64 can hold" in v.message
    assert cause in v.message and "e^a / (1 + e^a)" in v.message


def test_sigmoid_nan_at_plus_1000_is_named():
    with np.errstate(all="ignore"):
        v = verdict("q1_1", ratio_sigmoid)
    assert v.status == "incorrect" and "Got NaN in `sigma`" in v.message


def test_float32_sigmoid_is_a_dtype_error():
    def f32(a):
        out = np.empty_like(a, dtype=np.float32)
        pos = a >= 0
        out[pos] = 1 / (1 + np.exp(-a[pos]))
        e = np.exp(a[~pos])
        out[~pos] = e / (1 + e)
        return out
    v = verdict("q1_1", f32)
    assert "Wrong dtype" in v.message and "float32" in v.message


def test_clipped_sigmoid_is_not_blamed_on_overflow():
    def clipped(a):  # no overflow, but σ(−1000) becomes σ(−500) ≈ 7e−218 instead of 0
        return 1 / (1 + np.exp(-np.clip(a, -500, 500)))
    v = verdict("q1_1", clipped)
    assert v.status == "incorrect" and v.points == 0
    assert "σ(-1000) = 0 in float64" in v.message and "clip" in v.message
    assert "overflowed" not in v.message and "a tiny number that float64 can hold" not in v.message


def test_cancelling_sigmoid_is_not_blamed_on_overflow():
    def one_minus(a):  # σ(a) = 1 − σ(−a) for a < 0: cancels to 0 once σ(−a) rounds to 1
        out = np.empty_like(a)
        pos = a >= 0
        out[pos] = 1 / (1 + np.exp(-a[pos]))
        out[~pos] = 1 - 1 / (1 + np.exp(a[~pos]))
        return out
    v = verdict("q1_1", one_minus)
    assert v.status == "incorrect" and "σ(-40) = 4.248e-18" in v.message
    assert "cancelled to 0" in v.message and "overflowed" not in v.message


def test_where_sigmoid_that_warns_at_1000_is_rejected():
    def where(a):  # right values, but np.exp(1000) overflows in the discarded branch
        return np.where(a >= 0, 1 / (1 + np.exp(-a)), np.exp(a) / (1 + np.exp(a)))
    for level in ("public", "hidden"):
        v = verdict("q1_1", where, level)
        assert v.status == "incorrect" and v.points == 0, v.message
        assert "the values are right, but your function warned" in v.message
        assert "overflow encountered in exp" in v.message and "np.where" in v.message


def test_masked_sigmoid_does_not_warn_and_passes():
    def masked(a):
        out = np.empty_like(a)
        pos = a >= 0
        out[pos] = 1 / (1 + np.exp(-a[pos]))
        e = np.exp(a[~pos])
        out[~pos] = e / (1 + e)
        return out
    assert verdict("q1_1", masked, "all").status == "correct"


def test_a_list_instead_of_an_array_is_named():
    def as_list(weight_hh, steps):
        return [np.linalg.norm(np.linalg.matrix_power(weight_hh, t), 2) for t in steps]
    v = verdict("q1_4", as_list)
    assert v.status == "incorrect" and v.points == 0 and v.max_points == 1
    assert "list or tuple of 7 items" in v.message and "np.array(norms)" in v.message


def test_rnn_step_wrong_bias_is_isolated_to_the_bias_term():
    def doubled_bias(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + 2 * bias_ih + h_prev @ weight_hh.T + bias_hh)
    v = verdict("q1_2", doubled_bias)
    assert "Problem in the bias term" in v.message and "only the biases act" in v.message


def test_rnn_step_missing_bias_hh_by_hand():
    def no_bias_hh(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T)
    assert "bias_hh is missing" in verdict("q1_2", no_bias_hh).message


def test_rnn_step_wrong_recurrent_term_is_isolated():
    def half_recurrent(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + 0.5 * h_prev @ weight_hh.T + bias_hh)
    assert "Problem in the recurrent term W_hh h_prev" in verdict("q1_2", half_recurrent).message


def test_param_counts_by_hand():
    def one_bias(input_size, hidden_size):
        per = hidden_size * input_size + hidden_size**2 + hidden_size
        return per[:, None] * np.array([1, 3, 4])

    def as_floats(input_size, hidden_size):
        per = hidden_size * input_size + hidden_size**2 + 2 * hidden_size
        return (per[:, None] * np.array([1, 3, 4])).astype(np.float64)

    def transposed(input_size, hidden_size):
        per = hidden_size * input_size + hidden_size**2 + 2 * hidden_size
        return per[None, :] * np.array([1, 3, 4])[:, None]  # (3, K)

    assert "PyTorch keeps two (bias_ih and bias_hh)" in verdict("q1_3", one_bias).message
    assert verdict("q1_3", as_floats, "all").status == "correct"
    msg = verdict("q1_3", transposed).message
    assert "Wrong shape" in msg and "(4, 3)" in msg and "(transposed?)" in msg


def test_gradient_norms_by_hand():
    def frobenius(weight_hh, steps):
        return np.array([np.linalg.norm(np.linalg.matrix_power(weight_hh, t)) for t in steps])

    def radius(weight_hh, steps):
        rho = np.max(np.abs(np.linalg.eigvals(weight_hh)))
        return rho ** steps.astype(float)

    def last_only(weight_hh, steps):
        return np.array([np.linalg.norm(np.linalg.matrix_power(weight_hh, steps[-1]), 2)])

    def loop(weight_hh, steps):  # a different correct answer: repeated products
        out, M, t = [], np.eye(len(weight_hh)), 0
        for target in steps:
            M = np.linalg.matrix_power(weight_hh, target) if target < t else M
            t = min(t, target)
            while t < target:
                M, t = weight_hh @ M, t + 1
            out.append(np.linalg.norm(M, 2))
        return np.array(out)

    assert "Frobenius norm" in verdict("q1_4", frobenius).message
    assert "ρ(W)^t, the eigenvalue estimate" in verdict("q1_4", radius).message
    msg = verdict("q1_4", last_only).message
    assert "Wrong shape" in msg and "(7,)" in msg
    assert verdict("q1_4", loop, "all").status == "correct"


def test_questions_are_registered_in_order():
    assert checks.ASSIGNMENTS["ch1_exercises"] == "utils.checks.ch1"
    assert [q.name for q in checks.questions("ch1_exercises")] == ["q1_1", "q1_2", "q1_3",
                                                                   "q1_4"]
    assert checks.get_question("q1_3").max_points == 2


# ------------------------------------------------------- notebooks and the batch grader


def test_master_and_student_notebooks():
    master = nbformat.read(MASTER, as_version=4)
    assert master.metadata["gru_course"]["assignment"] == "ch1_exercises"
    student = nbformat.read(STUDENT, as_version=4)
    answers = [c.source for c in student.cells
               if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(ch1.QUESTIONS)
    for src, q in zip(answers, ch1.QUESTIONS):
        assert src.startswith(f"def {q.func_name}(")
        assert f'raise NotImplementedError("Exercise 1.{q.name[-1]}' in src
        assert "# BEGIN SOLUTION" not in src and "np.linalg.norm(M, 2))" not in src
    checks_cells = [c.source for c in student.cells if c.source.startswith("grader.check(")]
    assert checks_cells == [f'grader.check("{q.name}")' for q in ch1.QUESTIONS]
    assert not any('"hidden")' in c.source or "hidden: true" in c.source
                   for c in student.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    subs = tmp_path_factory.mktemp("subs")
    paths = {"solution": subs / "solution" / "ch1_exercises.ipynb",
             "untouched": subs / "untouched" / "ch1_exercises.ipynb"}
    for name, src in (("solution", MASTER), ("untouched", STUDENT)):
        paths[name].parent.mkdir()
        paths[name].write_bytes(src.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "utils.grade", *map(str, paths.values()),
                           "--out", str(out), "--timeout", "120", "--jobs", "2"],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    reports = {}
    for report_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        data = json.loads((report_dir / "results.json").read_text())
        reports[Path(data.get("extra_data", {}).get("submission", "")).parent.name] = data
    return proc, reports


def test_batch_grader_gives_the_solution_full_marks(graded):
    proc, reports = graded
    assert proc.returncode == 0, proc.stderr
    report = reports["solution"]
    assert [t["name"] for t in report["tests"]] == ["q1_1", "q1_2", "q1_3", "q1_4"]
    assert all(t["score"] == t["max_score"] == 2 for t in report["tests"]), report


def test_batch_grader_gives_the_untouched_notebook_zero(graded):
    report = graded[1]["untouched"]
    assert report["score"] == 0
    for t in report["tests"]:
        assert "not attempted yet" in t["output"], t


GRADER_CHECK = textwrap.dedent('''
    import numpy as np
    import otter
    grader = otter.Notebook("ch1_exercises.ipynb")

    def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        raise NotImplementedError("Exercise 1.2: compute one tanh-RNN step h_t")
    print("STUB", repr(grader.check("q1_2")))

    def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T)
    print("WRONG", repr(grader.check("q1_2")))

    def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh)
    print("RIGHT", grader.check("q1_2").grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / STUDENT.name).write_bytes(STUDENT.read_bytes())
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "not attempted yet" in out[out.index("STUB"):out.index("WRONG")]
    wrong = out[out.index("WRONG"):out.index("RIGHT")]
    assert "bias_hh is missing" in wrong and 'hint("q1_2")' in wrong
    assert "RIGHT 1.0" in out
