"""Chapter 5 checkers: references agree with utils.variants / torch, the master's solutions
earn every point, untouched stubs none, every known mistake gets its diagnostic, and honest
alternative answers get full marks."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from notebooks import master_solutions  # tests/notebooks.py
from utils import variants as V
from utils.checks import check, questions
from utils.checks import ch5
from utils.params import param_count

ROOT = Path(__file__).resolve().parents[1]
QS = {q.name: q for q in questions("ch5_exercises")}


@pytest.fixture(scope="module")
def solutions() -> dict:
    return master_solutions(ROOT / "solutions" / "ch5_exercises.ipynb")


@pytest.fixture(scope="module")
def learner() -> dict:
    """The references, compiled outside utils (as a learner's code would be), so that their
    mistake flags can stand for learners' wrong answers without tripping the tracer."""
    src = inspect.getsource(ch5)
    body = src.split("# References, with the flags that produce the known mistakes")[1]
    body = body.split("# Probes")[0]
    ns: dict = {}
    exec(compile("import numpy as np\n" + inspect.getsource(ch5._sigmoid) + body,
                 "<learner>", "exec"), ns)
    return ns


# ------------------------------------------------------------------------- references


def test_mgu_reference_is_utils_variants_mgu():
    cell = V.MGU(3, 4, rng=np.random.default_rng(0))
    g = np.random.default_rng(1)
    x, h = g.normal(size=(5, 3)), g.uniform(-1, 1, size=(5, 4))
    got = ch5.mgu_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias)
    np.testing.assert_allclose(got, cell.step(x, h), rtol=0, atol=1e-13)
    with torch.no_grad():
        want = cell.to_torch()(torch.from_numpy(x), torch.from_numpy(h)).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_savings_are_differences_of_param_counts():
    i, h = np.array([1, 2, 10, 64, 7]), np.array([1, 16, 24, 128, 300])
    got = ch5.param_savings(i, h)
    for k in range(len(i)):
        gru = 3 * (h[k] * i[k] + h[k] * h[k] + h[k])  # one bias per gate
        want = [gru - param_count(v, int(i[k]), int(h[k])) for v in ("gru1", "gru2", "gru3")]
        assert got[k].tolist() == want


def test_pair_reproduces_a_mingru_step_and_combine_is_two_steps_and_associative():
    cell = V.MinGRU(3, 4, rng=np.random.default_rng(2))
    g = np.random.default_rng(3)
    x, h = g.normal(size=(5, 3)), g.normal(size=(5, 4))
    a_t, b_t = ch5.mingru_pair(x, cell.weight_ih, cell.bias)
    np.testing.assert_allclose(a_t * h + b_t, cell.step(x, h), rtol=0, atol=1e-13)
    p = [(g.uniform(0, 1, 6), g.normal(size=6)) for _ in range(3)]
    a, b = ch5.combine(*p[0], *p[1])
    np.testing.assert_allclose(a * h[0, 0] + b, p[1][0] * (p[0][0] * h[0, 0] + p[0][1]) + p[1][1])
    left = ch5.combine(*ch5.combine(*p[0], *p[1]), *p[2])
    right = ch5.combine(*p[0], *ch5.combine(*p[1], *p[2]))
    np.testing.assert_allclose(left, right, rtol=1e-13)


@pytest.mark.parametrize("T", [1, 2, 5, 8, 13, 100])
def test_scan_references_equal_the_loop(T):
    g = np.random.default_rng(T)
    a, b = g.uniform(0.1, 0.99, (T, 2, 3)), g.uniform(0.1, 1, (T, 2, 3))
    h0 = g.uniform(0.1, 1, (2, 3))
    loop = V.linear_scan_loop(a, b, h0)
    np.testing.assert_allclose(ch5.parallel_scan(a, b, h0), loop, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ch5.log_scan(np.log(a), np.log(b), np.log(h0)), np.log(loop),
                               rtol=0, atol=1e-11)


# ------------------------------------------------------------------------- the master


@pytest.mark.parametrize("name", sorted(QS))
def test_master_solution_earns_every_point(solutions, name):
    v = check(name, solutions[QS[name].func_name], "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


@pytest.mark.parametrize("name", sorted(QS))
def test_untouched_stub_scores_zero_as_not_attempted(name):
    def stub(*args):
        raise NotImplementedError(f"Exercise 5.{name[-1]}: not yet")

    v = check(name, stub, "all")
    assert v.points == 0 and v.status == "not attempted"


def test_student_notebook_stubs_raise_not_implemented():
    nb = nbformat.read(ROOT / "exercises" / "ch5_exercises.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for q in QS.values():
        assert f"def {q.func_name}(" in code
    assert code.count("raise NotImplementedError(\"Exercise 5.") == len(QS)
    first = next(c for c in nb.cells if c.cell_type == "code" and "otter" not in c.source)
    assert "%pip install" in first.source and "import utils.report" in first.source


# ------------------------------------------------------------------------- known mistakes


@pytest.mark.parametrize("name,index", [(q.name, i) for q in questions("ch5_exercises")
                                        for i in range(len(q.mistakes))])
def test_every_known_mistake_gets_its_message(learner, name, index):
    q = QS[name]
    mistake = q.mistakes[index]
    kwargs = dict(mistake.fn.keywords)
    for key, value in kwargs.items():  # functions of the checker module → learner copies
        if callable(value) and getattr(value, "__module__", "") == ch5.__name__:
            kwargs[key] = learner[value.__name__]
    wrong = functools.partial(learner[q.func_name], **kwargs)
    for level in ("public", "hidden"):
        v = check(name, wrong, level)
        assert v.points == 0 and mistake.message in v.message, (level, v.message)


def test_product_form_log_scan_is_told_where_it_overflows():
    def log_scan(log_a, log_b, log_h0):
        A = np.cumprod(np.exp(log_a), axis=0)
        with np.errstate(all="ignore"):
            return np.log(A * (np.exp(log_h0) + np.cumsum(np.exp(log_b) / A, axis=0)))

    v = check("q5_6", log_scan)
    assert v.points == 0 and "inf or nan" in v.message and "T = 3000" in v.message


def test_reversed_scan_and_off_by_one_rounds_get_different_messages():
    def reversed_scan(a, b, h0):
        A, B = a.copy(), b.copy()
        B[0] = A[0] * h0 + B[0]
        d = 1
        while d < len(A):
            B[d:], A[d:] = A[:-d] * B[d:] + B[:-d], A[d:] * A[:-d]
            d *= 2
        return B

    def short_scan(a, b, h0):
        A, B = a.copy(), b.copy()
        B[0] = A[0] * h0 + B[0]
        d = 1
        while 2 * d < len(A):
            B[d:], A[d:] = A[d:] * B[:-d] + B[d:], A[d:] * A[:-d]
            d *= 2
        return B

    v1, v2 = check("q5_5", reversed_scan), check("q5_5", short_scan)
    assert "operator order" in v1.message and "off by one in the rounds" in v2.message


# ------------------------------------------------------------------------- honest answers


def test_honest_alternative_answers_get_full_marks(capsys):
    def mgu_step(x_t, h_prev, weight_ih, weight_hh, bias):
        H = h_prev.shape[1]
        pre_f = np.einsum("nk,hk->nh", x_t, weight_ih[:H]) + h_prev @ weight_hh[:H].T + bias[:H]
        f = 1 / (1 + np.exp(-pre_f))
        print("f", f.shape)
        cand = np.tanh(x_t @ weight_ih[H:].T + (f * h_prev) @ weight_hh[H:].T + bias[H:])
        return h_prev + f * (cand - h_prev)

    def param_savings(input_size, hidden_size):
        rows = []
        for i, h in zip(input_size, hidden_size):
            gru = 3 * (h * i + h * h + h)
            rows.append([gru - (h * i + h * h + h + 2 * (h * h + h)),
                         gru - (h * i + h * h + h + 2 * h * h),
                         gru - (h * i + h * h + h + 2 * h)])
        return np.array(rows)

    def combine(a_first, b_first, a_second, b_second):
        return np.multiply(a_first, a_second), b_second + a_second * b_first

    def parallel_scan(a, b, h0):
        B = b.astype(float).copy()
        A = a.astype(float).copy()
        B[0] = B[0] + A[0] * h0
        shift = 1
        while shift < len(B):
            new_B, new_A = B.copy(), A.copy()
            new_B[shift:] = A[shift:] * B[:-shift] + B[shift:]
            new_A[shift:] = A[shift:] * A[:-shift]
            A, B, shift = new_A, new_B, shift * 2
        return B

    def log_scan(log_a, log_b, log_h0):
        a_star = np.cumsum(log_a, axis=0)
        x = log_b - a_star
        out = np.empty_like(x)
        run = log_h0
        for t in range(len(x)):  # a running log-sum-exp, stable by hand
            m = np.maximum(run, x[t])
            run = m + np.log(np.exp(run - m) + np.exp(x[t] - m))
            out[t] = run
        return a_star + out

    for name, fn in [("q5_1", mgu_step), ("q5_2", param_savings), ("q5_4", combine),
                     ("q5_5", parallel_scan), ("q5_6", log_scan)]:
        v = check(name, fn, "all")
        assert v.status == "correct", v.message


def test_batch_grader_gives_the_master_full_marks_and_the_student_notebook_zero(tmp_path):
    import csv
    import shutil
    import subprocess
    import sys

    shutil.copy(ROOT / "solutions" / "ch5_exercises.ipynb", tmp_path / "ch5_solution.ipynb")
    shutil.copy(ROOT / "exercises" / "ch5_exercises.ipynb", tmp_path / "ch5_untouched.ipynb")
    out = tmp_path / "reports"
    subprocess.run([sys.executable, "-m", "utils.grade", str(tmp_path / "ch5_solution.ipynb"),
                    str(tmp_path / "ch5_untouched.ipynb"), "--out", str(out), "--timeout", "180"],
                   check=True, capture_output=True, cwd=ROOT)
    with open(out / "summary.csv") as f:
        rows = {r["report"]: r for r in csv.DictReader(f)}
    assert rows["ch5_solution"]["score"] == rows["ch5_solution"]["max_score"] == "13"
    assert rows["ch5_untouched"]["score"] == "0"


# ------------------------------------------------------------- rounds, not steps: the depth


def _hillis_steele(a, b, h0):
    A, B = a.copy(), b.copy()
    B[0] = A[0] * h0 + B[0]
    d = 1
    while d < len(A):
        B[d:], A[d:] = A[d:] * B[:-d] + B[d:], A[d:] * A[:-d]
        d *= 2
    return B


def _sklansky(a, b, h0):  # recursive: scan each half, then the right half after the left
    def scan(A, B):
        if len(A) == 1:
            return A, B
        m = len(A) // 2
        (A1, B1), (A2, B2) = scan(A[:m], B[:m]), scan(A[m:], B[m:])
        return (np.concatenate([A1, A2 * A1[-1]]), np.concatenate([B1, A2 * B1[-1] + B2]))

    B = b.copy()
    B[0] = a[0] * h0 + b[0]
    return scan(a, B)[1]


def _blelloch(a, b, h0):  # pairs, the half-length scan, then the even positions
    def scan(A, B):
        if len(A) == 1:
            return A, B
        n = len(A) // 2
        odd = slice(1, 2 * n, 2)
        PA, PB = scan(A[odd] * A[0:2 * n:2], A[odd] * B[0:2 * n:2] + B[odd])
        OA, OB = A.copy(), B.copy()
        OA[odd], OB[odd] = PA, PB
        k = len(A[2::2])
        OA[2::2], OB[2::2] = A[2::2] * PA[:k], A[2::2] * PB[:k] + B[2::2]
        return OA, OB

    B = b.copy()
    B[0] = a[0] * h0 + b[0]
    return scan(a.copy(), B)[1]


def _loop(a, b, h0):
    out, h = np.empty_like(b), h0
    for t in range(len(a)):
        h = a[t] * h + b[t]
        out[t] = h
    return out


def _unrolled(a, b, h0):  # eight positions per line: few lines, the same chain
    out, h, t, T = np.empty_like(b), h0, 0, len(a)
    while t + 8 <= T:
        h = a[t] * h + b[t]; out[t] = h; h = a[t + 1] * h + b[t + 1]; out[t + 1] = h; h = a[t + 2] * h + b[t + 2]; out[t + 2] = h; h = a[t + 3] * h + b[t + 3]; out[t + 3] = h; h = a[t + 4] * h + b[t + 4]; out[t + 4] = h; h = a[t + 5] * h + b[t + 5]; out[t + 5] = h; h = a[t + 6] * h + b[t + 6]; out[t + 6] = h; h = a[t + 7] * h + b[t + 7]; out[t + 7] = h; t += 8  # noqa: E501, E702
    while t < T:
        h = a[t] * h + b[t]
        out[t] = h
        t += 1
    return out


def _threaded(a, b, h0):
    import threading
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("h", _loop(a, b, h0)))
    worker.start()
    worker.join()
    return box["h"]


def _exec_stdlib(a, b, h0):  # the loop compiled under a standard-library file name
    import functools as ft
    space = {"np": np}
    exec(compile("def f(a, b, h0):\n    out, h = np.empty_like(b), h0\n"
                 "    for t in range(len(a)):\n        h = a[t] * h + b[t]\n"
                 "        out[t] = h\n    return out\n", ft.__file__, "exec"), space)
    return space["f"](a, b, h0)


def _accumulate(a, b, h0):  # the same chain, hidden in a library call
    import itertools
    pairs = itertools.accumulate(zip(a, b), lambda p, q: (q[0] * p[0], q[0] * p[1] + q[1]),
                                 initial=(np.ones_like(h0), h0))
    return np.array([bp for _, bp in list(pairs)[1:]])


def _cumulative(a, b, h0):  # the closed form by cumulative products: a chain of T products
    P = np.cumprod(a, axis=0)
    return P * (h0 + np.cumsum(b / P, axis=0))


def _through_lists(a, b, h0):
    al, bl, h, out = a.tolist(), b.tolist(), h0.tolist(), []
    for t in range(len(al)):
        h = [[al[t][n][k] * h[n][k] + bl[t][n][k] for k in range(len(h[n]))]
             for n in range(len(h))]
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("scan", [_hillis_steele, _sklansky, _blelloch])
@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_every_log_depth_scan_scores_full_marks(scan, seed):
    from utils.checks.core import set_hidden_seed
    set_hidden_seed(seed)
    try:
        v = check("q5_5", scan, "all")
    finally:
        set_hidden_seed(None)
    assert v.status == "correct" and v.points == 3, v.message


@pytest.mark.parametrize("scan", [_loop, _unrolled, _threaded, _exec_stdlib, _accumulate,
                                  _through_lists])
def test_a_chain_of_T_steps_scores_zero_in_any_form(scan):
    for level in ("public", "hidden"):
        v = check("q5_5", scan, level)
        assert v.points == 0 and "the states are right" in v.message, (level, v.message)
        long = max(p.args["a"].shape[0] for p in QS["q5_5"].probes(level))
        assert f"for T = {long} some state came out of a chain of" in v.message
        assert "step per position" in v.message


def test_a_cumulative_product_is_a_chain_too():
    v = check("q5_5", _cumulative, "public")
    assert v.points == 0  # its depth, or the overflow of 1 / ∏ a_t, costs the points


@pytest.mark.parametrize("scan, said", [
    (lambda a, b, h0: _hillis_steele(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                     h0), "conversion to float"),
    (lambda a, b, h0: _hillis_steele(a, b, h0).astype(np.float64).view(np.ndarray)
     if False else np.zeros(b.shape), "float64 array"),
])
def test_answers_the_grader_cannot_follow_are_refused_with_a_reason(scan, said):
    v = check("q5_5", scan, "public")
    assert v.points == 0 and said in v.message and "chain of dependent" in v.message, v.message


def test_a_library_solver_is_refused_not_trusted():
    import scipy.linalg

    def banded(a, b, h0):
        T, N, H = a.shape
        out = np.empty_like(b)
        for n in range(N):
            for k in range(H):
                ab = np.zeros((2, T))
                ab[0] = 1.0
                ab[1, :-1] = -a[1:, n, k]
                rhs = b[:, n, k].copy()
                rhs[0] = rhs[0] + a[0, n, k] * h0[n, k]
                out[:, n, k] = scipy.linalg.solve_banded((1, 0), ab, rhs)
        return out

    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 0.9, (9, 2, 3)), rng.normal(size=(9, 2, 3))
    h0 = rng.normal(size=(2, 3))
    np.testing.assert_allclose(banded(a, b, h0), ch5.parallel_scan(a, b, h0), atol=1e-12)
    v = check("q5_5", banded, "public")
    assert v.points == 0 and "Why: the grader runs this question on inputs" in v.message


def test_the_statements_tolerance_1e_10_is_the_checks():
    v = check("q5_5", lambda a, b, h0: _hillis_steele(a, b, h0) + 1e-9 * b, "public")
    assert v.points == 0 and "must agree to 1e-10" in v.message, v.message
    v = check("q5_5", lambda a, b, h0: _hillis_steele(a, b, h0) + 1e-13 * b, "public")
    assert v.status == "correct", v.message


def test_the_depth_bound_lies_between_a_scan_and_a_chain():
    for T in (256, 257, 1024, 1500):
        rounds = int(np.ceil(np.log2(T)))
        assert 4 * rounds + 2 < ch5.max_scan_depth(T) < 4 * np.sqrt(T)


def test_the_scan_check_is_fast():
    import time
    for scan in (_hillis_steele, _loop):
        for level in ("public", "hidden"):
            start = time.perf_counter()
            check("q5_5", scan, level)
            per_probe = (time.perf_counter() - start) / len(QS["q5_5"].probes(level))
            assert per_probe < 1.0, (scan.__name__, level, per_probe)


def test_a_verbose_scan_with_helpers_and_prints_keeps_full_marks(capsys):
    def combine(a_first, b_first, a_second, b_second):
        a = a_second * a_first
        b = a_second * b_first + b_second
        return a, b

    def parallel_scan(a, b, h0):
        A, B = a.copy(), b.copy()
        B[0] = A[0] * h0 + B[0]
        d, rounds = 1, 0
        while d < len(A):
            print("round", rounds, "distance", d)
            new_A, new_B = combine(A[:-d], B[:-d], A[d:], B[d:])
            A = np.concatenate([A[:d], new_A])
            B = np.concatenate([B[:d], new_B])
            rounds, d = rounds + 1, 2 * d
        return B

    assert check("q5_5", parallel_scan, "all").status == "correct"


def test_the_batch_grader_measures_the_depth_in_its_sandbox(tmp_path):
    """The traced inputs work where utils.grade runs the submission (the sandbox's copy of
    the checker core): a recursive scan earns q5_5, a loop in a thread and a SciPy solver
    do not."""
    import csv
    import subprocess
    import sys

    answers = {
        "sklansky": inspect.getsource(_sklansky).replace("_sklansky", "parallel_scan"),
        "thread": "import threading\n\n" + inspect.getsource(_loop) + "\n\n"
                  + inspect.getsource(_threaded).replace("_threaded", "parallel_scan"),
        "scipy": "import scipy.linalg\n\n\ndef parallel_scan(a, b, h0):\n"
                 "    T, N, H = a.shape\n    out = np.empty_like(b)\n"
                 "    for n in range(N):\n        for k in range(H):\n"
                 "            ab = np.zeros((2, T))\n            ab[0] = 1.0\n"
                 "            ab[1, :-1] = -a[1:, n, k]\n            rhs = b[:, n, k].copy()\n"
                 "            rhs[0] = rhs[0] + a[0, n, k] * h0[n, k]\n"
                 "            out[:, n, k] = scipy.linalg.solve_banded((1, 0), ab, rhs)\n"
                 "    return out\n"}
    paths = []
    for name, code in answers.items():
        nb = nbformat.read(ROOT / "exercises" / "ch5_exercises.ipynb", as_version=4)
        [cell] = [c for c in nb.cells if c.cell_type == "code"
                  and c.source.startswith("def parallel_scan")]
        cell.source = code
        (tmp_path / name).mkdir()
        nbformat.write(nb, tmp_path / name / "ch5_exercises.ipynb")
        paths.append(str(tmp_path / name / "ch5_exercises.ipynb"))
    out = tmp_path / "reports"
    subprocess.run([sys.executable, "-m", "utils.grade", *paths, "--out", str(out),
                    "--timeout", "180"], check=True, capture_output=True, cwd=ROOT)
    with open(out / "summary.csv") as f:
        scores = {Path(r["submission"]).parent.name: r["q5_5"] for r in csv.DictReader(f)}
    assert scores == {"sklansky": "3", "thread": "0", "scipy": "0"}, scores
