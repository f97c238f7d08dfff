"""Chapter 1 exercises: references against PyTorch, autograd and brute force, every known
mistake gets its message, hand-written right and wrong answers are judged as they should be,
the master scores full marks and the untouched student notebook zero with
``python -m utils.grade``."""

from __future__ import annotations

import functools
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import utils.checks as checks
from utils.checks import ch1
from notebooks import grade_solution_and_untouched  # tests/notebooks.py

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "ch1_exercises.ipynb"
NAMES = ["q1_1", "q1_2", "q1_3", "q1_4", "q1_5"]
ITEMS = ["q1_1", "p1_1", "q1_2", "p1_2", "q1_3", "q1_4", "p1_3", "q1_5"]  # notebook order
STUDENT = ROOT / "exercises" / "ch1_exercises.ipynb"


def verdict(name, fn, level="public"):
    return checks.check(name, fn, level)


# ----------------------------------------------------------------- learner-side copies
# The references live in utils/, so calling them is flagged as "calls the reference". To
# play a learner, re-create the same functions from their source in a file outside utils.

_LEARNER_FILE = "/tmp/learner_ch1_answers.py"
_LEARNER: dict = {"np": np}
for _f in (ch1.cell_path_norms, ch1.steps_to_fraction, ch1.gru_hidden_size, ch1.rnn_step,
           ch1.linear_rnn_gradient_norms):
    exec(compile(textwrap.dedent(inspect.getsource(_f)), _LEARNER_FILE, "exec"), _LEARNER)


def as_learner(fn):
    """The learner-file copy of a reference or of a ``functools.partial`` mistake."""
    if isinstance(fn, functools.partial):
        return functools.partial(_LEARNER[fn.func.__name__], *fn.args, **fn.keywords)
    return _LEARNER[fn.__name__]


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ------------------------------------------------------------------------ references


def test_cell_path_reference_is_the_norm_of_the_product_of_diagonals(rng):
    f = sigmoid(rng.normal(1.0, 1.5, (6, 4)))
    got = ch1.cell_path_norms(f)
    product = np.eye(4)
    expected = [1.0]
    for f_t in f:
        product = np.diag(f_t) @ product
        expected.append(np.linalg.norm(product, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_cell_path_reference_matches_the_chapter_measurement():
    """W_hh = 0 and no input: utils.gradients measures exactly σ(b)^t on the cell path."""
    from utils.gradients import lstm_path_norms

    paths = lstm_path_norms(seq_len=12, spectral_radius=0.0, gate_bias=1.5, input_std=0.0,
                            hidden_size=3, input_size=2, n_samples=1)
    got = ch1.cell_path_norms(np.full((12, 3), sigmoid(1.5)))
    np.testing.assert_allclose(got, paths["cell"].norms[0], rtol=1e-12)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_steps_to_fraction_reference_against_brute_force(level):
    for probe in ch1._fraction_probes(level):
        got = ch1.steps_to_fraction(**probe.args)
        assert got.dtype.kind == "i"
        for b, fraction, t in zip(probe.args["forget_bias"], probe.args["fraction"], got):
            s, k = sigmoid(b), 0
            while s**k >= fraction:
                k += 1
            assert t == k, (b, fraction)


def test_steps_to_fraction_public_example():
    assert ch1.steps_to_fraction(np.array([0.0]), np.array([0.3]))[0] == 2


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_gru_hidden_size_reference_against_torch_counts(level):
    from utils import param_count
    from utils.demos.ch1 import equal_budget_hidden_size

    probe = ch1._budget_probes(level)[0]
    got = ch1.gru_hidden_size(**probe.args)
    assert got.dtype.kind == "i"
    for h_in, h, h_gru in zip(probe.args["input_size"], probe.args["hidden_size"], got):
        lstm = param_count("lstm", int(h_in), int(h))
        assert h_gru == equal_budget_hidden_size("gru", lstm, int(h_in))
    for h_in, h in [(3, 5), (64, 64)]:  # and param_count is torch's own count
        lstm = sum(p.numel() for p in torch.nn.LSTM(h_in, h).parameters())
        h_gru = int(ch1.gru_hidden_size(np.array([h_in]), np.array([h]))[0])
        assert sum(p.numel() for p in torch.nn.GRU(h_in, h_gru).parameters()) <= lstm
        assert sum(p.numel() for p in torch.nn.GRU(h_in, h_gru + 1).parameters()) > lstm


def test_gru_hidden_size_lies_between_the_two_shortcuts():
    h_in = np.array([1, 10, 100, 1000, 10000])
    h = np.full(5, 100)
    got = ch1.gru_hidden_size(h_in, h)
    assert np.all(got >= np.floor(np.sqrt(4 / 3) * h) - 2) and np.all(got <= 4 * h // 3)


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


def test_probes_come_from_probe_rng_and_hidden_ones_change_with_the_seed():
    from utils.checks import core

    public = [p.args for p in ch1._gate_probes("public")]
    assert all(np.array_equal(a["f"], b["f"]) for a, b in
               zip(public, [p.args for p in ch1._gate_probes("public")]))
    core.set_hidden_seed(1)
    try:
        one = ch1._budget_probes("hidden")[0].args["hidden_size"]
        core.set_hidden_seed(2)
        two = ch1._budget_probes("hidden")[0].args["hidden_size"]
    finally:
        core.set_hidden_seed(None)
    assert not np.array_equal(one, two)


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


@pytest.mark.parametrize("q", ch1.QUESTIONS + ch1.PREDICTIONS, ids=lambda q: q.name)
def test_hints_are_words_in_steps_not_code(q):
    steps = checks.hint_steps(q.hint)
    assert len(steps) >= 2 and all(len(step) > 40 for step in steps), q.name
    for token in ("np.", "@", "==", "return", "def ", "[:", "**", "import", "floor", "log1p",
                  "matrix_power", "cumprod"):
        assert token not in checks.hint_text(q.hint), (q.name, token)


# Hand-written answers, as a learner would type them: other right forms, and wrong ones.


def test_cell_path_by_hand():
    def with_matrices(f):  # right: the definition, built literally
        product, out = np.eye(f.shape[1]), [1.0]
        for f_t in f:
            product = np.diag(f_t) @ product
            out.append(np.linalg.norm(product, 2))
        return np.array(out)

    def with_logs(f):  # right: sums of logarithms, printing on the way
        logs = np.vstack([np.zeros((1, f.shape[1])), np.cumsum(np.log(f), axis=0)])
        print("log-products", logs.shape)
        return np.exp(logs.max(axis=1))

    def final_only(f):  # wrong: one number
        return np.cumprod(f, axis=0)[-1].max()

    def per_unit(f):  # wrong: the products themselves, (T, H)
        return np.cumprod(f, axis=0)

    assert verdict("q1_1", with_matrices, "all").status == "correct"
    assert verdict("q1_1", with_logs, "all").status == "correct"
    msg = verdict("q1_1", final_only).message
    assert msg.startswith("❌") and ("shape" in msg or "NumPy array" in msg)
    assert "Wrong shape" in verdict("q1_1", per_unit).message


def test_steps_to_fraction_by_hand():
    def loop(forget_bias, fraction):  # right: count the steps
        out = []
        for b, fr in zip(forget_bias, fraction):
            s, t = 1 / (1 + np.exp(-b)), 0
            while s**t >= fr:
                t += 1
            out.append(t)
        return np.array(out)

    def floor_log(forget_bias, fraction):  # right: log of the sigmoid, first integer past
        return np.floor(np.log(fraction) / np.log(1 / (1 + np.exp(-forget_bias)))).astype(int) + 1

    def naive_ceil(forget_bias, fraction):  # wrong at exact ties: rounds the solution up
        return np.ceil(np.log(fraction) / np.log(1 / (1 + np.exp(-forget_bias)))).astype(int)

    def as_floats(forget_bias, fraction):  # right values, but floats where integers are asked
        return np.floor(np.log(fraction) / -np.log1p(np.exp(-forget_bias))) + 1

    def half_life_only(forget_bias, fraction):  # wrong: ignores the fraction
        return np.floor(np.log(0.5) / -np.log1p(np.exp(-forget_bias))).astype(int) + 1

    for fn in (loop, floor_log):
        assert verdict("q1_2", fn, "all").status == "correct", fn.__name__
    for level in ("public", "hidden"):
        v = verdict("q1_2", naive_ceil, level)
        assert v.points == 0 and "rounded the real solution up" in v.message, v.message
        v = verdict("q1_2", as_floats, level)
        assert v.points == 0 and "Wrong dtype" in v.message and "integer" in v.message
        assert "float64" in v.message, v.message
    v = verdict("q1_2", half_life_only)
    assert v.status == "incorrect" and "Expected `steps`" in v.message


def test_gru_hidden_size_by_hand():
    def search(input_size, hidden_size):  # right: grow H' while it fits
        out = []
        for h_in, h in zip(input_size, hidden_size):
            budget, k = 4 * (h * h_in + h * h + 2 * h), 1
            while 3 * ((k + 1) * h_in + (k + 1) ** 2 + 2 * (k + 1)) <= budget:
                k += 1
            out.append(k)
        return np.array(out)

    def four_thirds(input_size, hidden_size):
        return np.floor(4 / 3 * hidden_size).astype(int)

    assert verdict("q1_3", search, "all").status == "correct"
    assert "you scaled H by 4/3" in verdict("q1_3", four_thirds).message


def test_rnn_step_by_hand():
    def buggy(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # the exercise's code
        a = x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh + bias_ih
        return np.tanh(a)

    def half_fixed(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        a = x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_ih
        return np.tanh(a)

    def einsum(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # right, another form
        return np.tanh(np.einsum("nk,hk->nh", x_t, weight_ih) + bias_ih
                       + np.einsum("nk,hk->nh", h_prev, weight_hh) + bias_hh)

    def doubled_bias(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + 2 * bias_ih + h_prev @ weight_hh.T + bias_hh)

    assert "both of its bugs are still there" in verdict("q1_4", buggy).message
    assert "bias_ih is still added twice" in verdict("q1_4", half_fixed).message
    assert verdict("q1_4", einsum, "all").status == "correct"
    msg = verdict("q1_4", doubled_bias).message
    assert "Problem in the bias term" in msg and "only the biases act" in msg


def test_a_list_instead_of_an_array_is_named():
    def as_list(weight_hh, steps):
        return [np.linalg.norm(np.linalg.matrix_power(weight_hh, t), 2) for t in steps]
    v = verdict("q1_5", as_list)
    assert v.status == "incorrect" and v.points == 0 and v.max_points == 1
    assert "list or tuple of 7 items" in v.message and "np.array(norms)" in v.message


def test_gradient_norms_by_hand():
    def frobenius(weight_hh, steps):
        return np.array([np.linalg.norm(np.linalg.matrix_power(weight_hh, t)) for t in steps])

    def radius(weight_hh, steps):
        rho = np.max(np.abs(np.linalg.eigvals(weight_hh)))
        return rho ** steps.astype(float)

    def last_only(weight_hh, steps):
        return np.array([np.linalg.norm(np.linalg.matrix_power(weight_hh, steps[-1]), 2)])

    def loop(weight_hh, steps):  # a different correct answer: repeated products
        out = []
        for target in steps:
            M = np.eye(len(weight_hh))
            for _ in range(target):
                M = weight_hh @ M
            out.append(np.linalg.svd(M, compute_uv=False)[0])
        return np.array(out)

    assert "Frobenius norm" in verdict("q1_5", frobenius).message
    assert "ρ(W)^t, the eigenvalue estimate" in verdict("q1_5", radius).message
    msg = verdict("q1_5", last_only).message
    assert "Wrong shape" in msg and "(7,)" in msg
    assert verdict("q1_5", loop, "all").status == "correct"


def test_questions_are_registered_in_order():
    assert checks.ASSIGNMENTS["ch1_exercises"] == "utils.checks.ch1"
    assert [q.name for q in checks.questions("ch1_exercises")] == NAMES
    assert [q.name for q in checks.items("ch1_exercises")] == ITEMS
    assert checks.get_question("q1_3").max_points == 2
    assert checks.get_question("p1_1").max_points == 1


# ------------------------------------------------------- graded predictions


def test_the_predictions_answers_are_what_the_exercises_measure():
    """Each prediction's answer is what its exercise's reference computes (no typed number)."""
    b, fraction = 1.0, 0.01
    sigma = 1 / (1 + np.exp(-b))
    steps = next(t for t in range(1, 1000) if sigma ** t < fraction)  # brute force
    assert checks.check("p1_1", steps).status == "correct"
    assert checks.check("p1_1", steps + 2).status == "incorrect"
    lstm = sum(p.numel() for p in torch.nn.LSTM(256, 256).parameters())
    best = max(h for h in range(1, 600)
               if sum(p.numel() for p in torch.nn.GRU(256, h).parameters()) <= lstm)
    assert checks.check("p1_2", best).status == "correct"
    W = np.array([[0.5, 1.0], [0.0, 0.5]])
    norms = [np.linalg.norm(np.linalg.matrix_power(W, t), 2) for t in range(0, 12)]
    assert norms[1] > norms[0] and norms[-1] < norms[0]  # grows at first, then shrinks
    assert checks.check("p1_3", "grows at first, then shrinks").status == "correct"


@pytest.mark.parametrize("name, value, named", [
    ("p1_1", 4, "time constant"), ("p1_1", 3.7, "time constant"), ("p1_1", 100, "1 / t"),
    ("p1_2", 341, "4/3 H holds only"), ("p1_2", 296, "√(4/3) H holds only"),
    ("p1_2", 256, "at equal hidden size"),
    ("p1_3", "shrinks from the first step", "not normal"),
    ("p1_3", "keeps growing", "eigenvalues 0.5 win")])
def test_every_known_wrong_prediction_gets_its_message_and_the_reasoning(name, value, named):
    v = checks.check(name, value)
    assert (v.status, v.points) == ("incorrect", 0.0) and named in v.message, v.message
    assert "Why:" in v.message and "the answer is" in v.message


@pytest.mark.parametrize("name", ["p1_1", "p1_2", "p1_3"])
def test_an_unanswered_or_mistyped_prediction(name):
    q = checks.get_question(name)
    assert checks.check(name, ...).status == "not attempted"
    v = checks.check(name, {"answer": 1})
    assert v.status == "incorrect" and f"expected {q.form()}" in v.message


# ------------------------------------------------------- notebooks and the batch grader


def test_master_and_student_notebooks():
    master = nbformat.read(MASTER, as_version=4)
    assert master.metadata["gru_course"]["assignment"] == "ch1_exercises"
    student = nbformat.read(STUDENT, as_version=4)
    answers = [c.source for c in student.cells
               if "otter_answer_cell" in c.metadata.get("tags", [])]
    graded = checks.items("ch1_exercises")
    assert len(answers) == len(graded)
    for src, q in zip(answers, graded):
        if q.name.startswith("p"):
            assert src == f"{q.var_name} = ..."
            continue
        assert src.startswith(f"def {q.func_name}(")
        assert f'raise NotImplementedError("Exercise 1.{q.name[-1]}' in src
        assert "# BEGIN SOLUTION" not in src and "np.linalg.norm(jacobian, 2)" not in src
    checks_cells = [c.source for c in student.cells if c.source.startswith("grader.check(")]
    assert checks_cells == [f'grader.check("{q.name}")' for q in graded]
    assert not any('"hidden")' in c.source or "hidden: true" in c.source
                   for c in student.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_solution_and_untouched(MASTER, STUDENT, "ch1_exercises",
                                        tmp_path_factory.mktemp("reports"),
                                        tmp_path_factory.mktemp("subs"), timeout=120)


def test_batch_grader_gives_the_solution_full_marks(graded):
    proc, reports = graded
    assert proc.returncode == 0, proc.stderr
    report = reports["solution"]
    assert [t["name"] for t in report["tests"]] == ITEMS
    assert all(t["score"] == t["max_score"] == (2 if t["name"] in NAMES else 1)
               for t in report["tests"]), report
    assert "Why:" in next(t["output"] for t in report["tests"] if t["name"] == "p1_3")


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
        raise NotImplementedError("Exercise 1.4: the corrected tanh-RNN step")
    print("STUB", repr(grader.check("q1_4")))

    def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T)
    print("WRONG", repr(grader.check("q1_4")))

    def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh)
    print("RIGHT", grader.check("q1_4").grade)
''')


def test_grader_check_in_the_student_notebook_gives_the_diagnostic(tmp_path):
    (tmp_path / STUDENT.name).write_bytes(STUDENT.read_bytes())
    proc = subprocess.run([sys.executable, "-c", GRADER_CHECK], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "not attempted yet" in out[out.index("STUB"):out.index("WRONG")]
    wrong = out[out.index("WRONG"):out.index("RIGHT")]
    assert "bias_hh is missing" in wrong and 'hint("q1_4")' in wrong
    assert "RIGHT 1.0" in out
