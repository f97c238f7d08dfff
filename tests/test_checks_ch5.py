"""utils.checks.ch5: the references against torch, loops and brute force; every known mistake
named; honest alternatives (another scan schedule, other formulations) earn every point; a
chain of T steps does not earn the scan's, in any form, in the notebook or the batch grader."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from notebooks import master_solutions  # tests/notebooks.py
from utils.checks import Prediction, ch5, check, get_question, items, questions
from utils.checks.core import set_hidden_seed

ROOT = Path(__file__).resolve().parents[1]
QS = {q.name: q for q in questions("ch5_exercises")}
ITEMS = items("ch5_exercises")


def test_registered_in_the_notebooks_order():
    assert [q.name for q in ITEMS] == ["p5_1", "q5_1", "p5_2", "q5_2", "p5_3", "q5_3", "p5_4",
                                        "q5_4", "p5_5", "q5_5"]


# ------------------------------------------------------------------------- references


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_minlstm_pair_is_the_papers_step_in_torch(level):
    for probe in QS["q5_1"].probes(level):
        a = {k: torch.from_numpy(v) for k, v in probe.args.items()}
        pre = a["x_t"] @ a["weight_ih"].T + a["bias"]
        f, i, h_tilde = pre.chunk(3, dim=1)
        f, i = torch.sigmoid(f), torch.sigmoid(i)
        h_prev = torch.randn(f.shape, dtype=torch.float64)
        h_t = f / (f + i) * h_prev + i / (f + i) * h_tilde  # Feng et al. (2024), minLSTM
        a_t, b_t = ch5.minlstm_pair(**probe.args)
        np.testing.assert_allclose(a_t * h_prev.numpy() + b_t, h_t.numpy(), rtol=1e-12,
                                   atol=1e-13)


def test_maxplus_combine_is_two_steps_and_associative():
    rng = np.random.default_rng(0)
    p = [(rng.normal(size=5), rng.normal(size=5)) for _ in range(3)]
    h = rng.normal(size=5)

    def step(pair, h):
        return np.maximum(pair[0] + h, pair[1])

    a, b = ch5.maxplus_combine(*p[0], *p[1])
    np.testing.assert_allclose(step((a, b), h), step(p[1], step(p[0], h)), atol=1e-14)
    left = ch5.maxplus_combine(*ch5.maxplus_combine(*p[0], *p[1]), *p[2])
    right = ch5.maxplus_combine(*p[0], *ch5.maxplus_combine(*p[1], *p[2]))
    np.testing.assert_allclose(left, right, atol=1e-14)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_matrix_scan_equals_the_loop_and_torch(level):
    for probe in QS["q5_3"].probes(level):
        a, b, h0 = (probe.args[k] for k in ("a", "b", "h0"))
        np.testing.assert_allclose(ch5.matrix_scan(a, b, h0), ch5.matrix_loop(a, b, h0),
                                   rtol=1e-11, atol=1e-12)
        h = torch.from_numpy(h0)
        for t in range(a.shape[0]):  # torch's batched matrix-vector product
            h = torch.einsum("nij,nj->ni", torch.from_numpy(a[t]), h) + torch.from_numpy(b[t])
        np.testing.assert_allclose(ch5.matrix_scan(a, b, h0)[-1], h.numpy(), rtol=1e-11,
                                   atol=1e-12)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_linear_scan_backward_is_autograd(level):
    for probe in QS["q5_5"].probes(level):
        a, b, h0, g = (torch.from_numpy(probe.args[k]).clone().requires_grad_(k != "grad_h")
                       for k in ("a", "b", "h0", "grad_h"))
        h, loss = h0, 0.0
        for t in range(a.shape[0]):
            h = a[t] * h + b[t]
            loss = loss + (g[t] * h).sum()
        loss.backward()
        for ours, theirs in zip(ch5.linear_scan_backward(**probe.args), (a, b, h0)):
            np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------- the mistakes


# Every known mistake (and wrong prediction) is rejected with its own message on every run:
# tests/test_checks_mistakes.py, for every chapter.


# ------------------------------------------------------------------- master and stubs


@pytest.fixture(scope="module")
def solutions() -> dict:
    return master_solutions(ROOT / "solutions" / "ch5_exercises.ipynb")


@pytest.mark.parametrize("name", sorted(QS))
def test_master_solution_earns_every_point(solutions, name):
    v = check(name, solutions[QS[name].func_name], "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


def test_untouched_stubs_score_zero_as_not_attempted():
    nb = nbformat.read(ROOT / "exercises" / "ch5_exercises.ipynb", as_version=4)
    answers = [c.source for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(ITEMS)
    for src, q in zip(answers, ITEMS):
        ns: dict = {"np": np}
        exec(compile(src, "<stub>", "exec"), ns)  # noqa: S102 (our own stub)
        if isinstance(q, Prediction):
            v = check(q.name, ns[q.var_name])
        else:
            v = check(q.name, ns[q.func_name], "all")
            assert "raise NotImplementedError" in src and f"Exercise 5.{q.name[-1]}:" in src
        assert v.status == "not attempted" and v.points == 0, v.message


# ---------------------------------------------------------------------- honest answers


def honest_minlstm(x_t, weight_ih, bias):
    f_pre, i_pre, h_tilde = np.split(x_t @ weight_ih.T + bias, 3, axis=1)
    # f / (f + i) = σ(log σ(f_pre) − log σ(i_pre)), in another exact form
    z = 1 / (1 + (1 + np.exp(-f_pre)) / (1 + np.exp(-i_pre)))
    return z, (1 - z) * h_tilde


def honest_maxplus(a_first, b_first, a_second, b_second):
    return a_second + a_first, np.where(a_second + b_first > b_second, a_second + b_first,
                                        b_second)


def _hillis_steele(a, b, h0):
    A, B = a.copy(), b.copy()
    B[0] = (A[0] @ h0[..., None])[..., 0] + B[0]
    d = 1
    while d < len(A):
        B[d:], A[d:] = (A[d:] @ B[:-d][..., None])[..., 0] + B[d:], A[d:] @ A[:-d]
        d *= 2
    return B


def _sklansky(a, b, h0):  # recursive: scan each half, then the right half after the left
    def scan(A, B):
        if len(A) == 1:
            return A, B
        m = len(A) // 2
        (A1, B1), (A2, B2) = scan(A[:m], B[:m]), scan(A[m:], B[m:])
        return (np.concatenate([A1, A2 @ A1[-1]]),
                np.concatenate([B1, (A2 @ B1[-1][..., None])[..., 0] + B2]))

    B = b.copy()
    B[0] = np.einsum("nij,nj->ni", a[0], h0) + b[0]
    return scan(a, B)[1]


def _loop(a, b, h0):
    out, h = np.empty_like(b), h0
    for t in range(len(a)):
        h = (a[t] @ h[..., None])[..., 0] + b[t]
        out[t] = h
    return out


def _threaded(a, b, h0):
    import threading
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("h", _loop(a, b, h0)))
    worker.start()
    worker.join()
    return box["h"]


def _through_lists(a, b, h0):
    al, bl, h, out = a.tolist(), b.tolist(), h0.tolist(), []
    for t in range(len(al)):
        h = [[sum(al[t][n][i][j] * h[n][j] for j in range(len(h[n]))) + bl[t][n][i]
              for i in range(len(h[n]))] for n in range(len(h))]
        out.append(h)
    return np.array(out)


def _elementwise_scan(a, b, h0):
    A, B = a.copy(), b.copy()
    B[0] = A[0] * h0 + B[0]
    d = 1
    while d < len(A):
        B[d:], A[d:] = A[d:] * B[:-d] + B[d:], A[d:] * A[:-d]
        d *= 2
    return B


def honest_backward_as_a_scan(a, b, h0, grad_h):
    """The walk back written as a scan of the reversed sequence, and the states by a scan."""
    h = _elementwise_scan(a, b, h0)
    h_before = np.concatenate([h0[None], h[:-1]])
    # delta_t = grad_h[t] + a_{t+1} delta_{t+1}: a forward recurrence on the reversed arrays
    a_next = np.concatenate([a[1:], np.zeros_like(a[:1])])[::-1]
    delta = _elementwise_scan(a_next, grad_h[::-1].copy(), np.zeros_like(h0))[::-1]
    return [delta * h_before, delta, a[0] * delta[0]]  # a list is fine too


@pytest.mark.parametrize("name, fn", [("q5_1", honest_minlstm), ("q5_2", honest_maxplus),
                                      ("q5_5", honest_backward_as_a_scan)])
def test_honest_alternatives_earn_every_point(name, fn):
    v = check(name, fn, "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


@pytest.mark.parametrize("scan", [_hillis_steele, _sklansky])
@pytest.mark.parametrize("seed", [None, 1, 2])
def test_every_log_depth_scan_scores_full_marks(scan, seed):
    set_hidden_seed(seed)
    try:
        v = check("q5_3", scan, "all")
    finally:
        set_hidden_seed(None)
    assert v.status == "correct" and v.points == 3, v.message


@pytest.mark.parametrize("scan", [_loop, _threaded, _through_lists])
def test_a_chain_of_T_steps_scores_zero_in_any_form(scan):
    for level in ("public", "hidden"):
        v = check("q5_3", scan, level)
        assert v.points == 0 and "the states are right" in v.message, (level, v.message)
        long = max(p.args["a"].shape[0] for p in QS["q5_3"].probes(level))
        assert f"for T = {long} some state came out of a chain of" in v.message


def test_the_statements_tolerance_1e_10_is_the_checks():
    v = check("q5_3", lambda a, b, h0: _hillis_steele(a, b, h0) + 1e-9 * b, "public")
    assert v.points == 0 and "must agree to 1e-10" in v.message, v.message


def test_the_scan_check_is_fast():
    import time
    for scan in (_hillis_steele, _loop):
        for level in ("public", "hidden"):
            start = time.perf_counter()
            check("q5_3", scan, level)
            per_probe = (time.perf_counter() - start) / len(QS["q5_3"].probes(level))
            assert per_probe < 2.0, (scan.__name__, level, per_probe)


def test_the_batch_grader_scores_the_master_and_measures_the_depth(tmp_path):
    """utils.grade in its sandbox: the master earns every point, the untouched notebook 0, a
    recursive scan earns q5_3 and a loop in a thread does not."""
    import csv
    import shutil
    import subprocess
    import sys

    answers = {
        "sklansky": inspect.getsource(_sklansky).replace("_sklansky", "matrix_scan"),
        "thread": inspect.getsource(_loop) + "\n\n"
                  + inspect.getsource(_threaded).replace("_threaded", "matrix_scan"),
    }
    paths = []
    for name, code in answers.items():
        nb = nbformat.read(ROOT / "exercises" / "ch5_exercises.ipynb", as_version=4)
        [cell] = [c for c in nb.cells if c.cell_type == "code"
                  and c.source.startswith("def matrix_scan")]
        cell.source = code
        (tmp_path / name).mkdir()
        nbformat.write(nb, tmp_path / name / "ch5_exercises.ipynb")
        paths.append(str(tmp_path / name / "ch5_exercises.ipynb"))
    for name, src in (("master", ROOT / "solutions"), ("untouched", ROOT / "exercises")):
        (tmp_path / name).mkdir()
        shutil.copy(src / "ch5_exercises.ipynb", tmp_path / name / "ch5_exercises.ipynb")
        paths.append(str(tmp_path / name / "ch5_exercises.ipynb"))
    out = tmp_path / "reports"
    subprocess.run([sys.executable, "-m", "utils.grade", *paths, "--out", str(out),
                    "--timeout", "180"], check=True, capture_output=True, cwd=ROOT)
    with open(out / "summary.csv") as f:
        rows = {Path(r["submission"]).parent.name: r for r in csv.DictReader(f)}
    assert {k: rows[k]["q5_3"] for k in answers} == {"sklansky": "3", "thread": "0"}
    assert rows["master"]["score"] == rows["master"]["max_score"] == "17", rows["master"]
    assert rows["untouched"]["score"] == "0"


# -------------------------------------------------------------------- 5.4 in log space


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_log_pair_is_torchs_log_of_the_pair(level):
    F = torch.nn.functional
    for probe in QS["q5_4"].probes(level):
        a = {k: torch.from_numpy(v) for k, v in probe.args.items()}
        k_f, k_i, h_tilde = (a["x_t"] @ a["weight_ih"].T + a["bias"]).chunk(3, dim=1)
        log_f, log_i = F.logsigmoid(k_f), F.logsigmoid(k_i)
        log_total = torch.logaddexp(log_f, log_i)
        log_g = torch.where(h_tilde >= 0, torch.log(h_tilde.clamp(min=0) + 0.5),
                            F.logsigmoid(h_tilde.clamp(max=0)))
        la, lb = ch5.log_minlstm_pair(**probe.args)
        np.testing.assert_allclose(la, (log_f - log_total).numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lb, (log_i - log_total + log_g).numpy(), rtol=1e-12,
                                   atol=1e-12)
        if probe.name in ("moderate", "batch of one"):  # where the direct form is finite
            a_t, b_t = ch5.minlstm_pair(**probe.args)
            g = np.where(h_tilde.numpy() >= 0, h_tilde.numpy() + 0.5,
                         1 / (1 + np.exp(-h_tilde.numpy())))
            np.testing.assert_allclose(np.exp(la), a_t, rtol=1e-12)
            np.testing.assert_allclose(np.exp(lb), b_t / h_tilde.numpy() * g, rtol=1e-10)


def test_the_direct_log_of_the_pair_is_told_where_it_underflows():
    def direct(x_t, weight_ih, bias):
        f_pre, i_pre, h_tilde = np.split(x_t @ weight_ih.T + bias, 3, axis=1)
        f, i = 1 / (1 + np.exp(-f_pre)), 1 / (1 + np.exp(-i_pre))
        g = np.where(h_tilde >= 0, h_tilde + 0.5, 1 / (1 + np.exp(-h_tilde)))
        return np.log(f / (f + i)), np.log(i / (f + i) * g)

    v = check("q5_4", direct, "public")
    assert v.points == 0 and "contains inf or nan" in v.message and "softplus" in v.message, (
        v.message)


def test_a_stable_log_pair_in_another_form_earns_every_point():
    def stable(x_t, weight_ih, bias):
        H = weight_ih.shape[0] // 3
        pre = x_t @ weight_ih.T + bias
        k_f, k_i, c = pre[:, :H], pre[:, H:2 * H], pre[:, 2 * H:]
        log_f = np.minimum(k_f, 0) - np.log1p(np.exp(-np.abs(k_f)))
        log_i = np.minimum(k_i, 0) - np.log1p(np.exp(-np.abs(k_i)))
        m = np.maximum(log_f, log_i)
        log_total = m + np.log(np.exp(log_f - m) + np.exp(log_i - m))
        log_g = np.where(c >= 0, np.log(np.abs(c) + 0.5),
                         np.minimum(c, 0) - np.log1p(np.exp(-np.abs(c))))
        return log_f - log_total, log_i - log_total + log_g

    v = check("q5_4", stable, "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


def test_p5_4_the_direct_log_is_measured():
    """The direct computation in float64 gives -inf; the log-space reference gives the true
    value, about -800 + log 2."""
    with np.errstate(over="ignore", divide="ignore"):
        f = 1.0 / (1.0 + np.exp(800.0))
        i = 1.0 / (1.0 + np.exp(-0.0))
        direct = float(np.log(f / (f + i)))
    assert direct == -np.inf and get_question("p5_4").answer == "-inf"
    H = 1
    weight_ih, bias = np.zeros((3 * H, 1)), np.array([-800.0, 0.0, 1.0])
    log_a, _ = ch5.log_minlstm_pair(np.zeros((1, 1)), weight_ih, bias)
    assert log_a[0, 0] == pytest.approx(-800 + np.log(2), rel=1e-12)
    assert "about -799.3" in get_question("p5_4").options
