"""Chapter 2 checkers: the references match torch.nn, the master's solutions pass, honest
answers written in other ways pass, every known mistake (written out below as a learner
would) gets its diagnostic, and the graded predictions judge as the measurements say."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from notebooks import master_solutions  # tests/notebooks.py
from utils.checks import (NotAttemptedYet, check, get_question, hint, hint_steps, hint_text,
                          items, questions, run_check)
from utils.checks.ch2 import (
    buggy_gru_step,
    fix_reset_sign,
    gates,
    gru_step,
    keras_to_pytorch,
    reset_closed_vs_first_step,
    reset_gate_from_candidate,
    update_gate_from_step,
)
from utils.checks.core import set_hidden_seed
from utils.conventions import pytorch_to_keras

ROOT = Path(__file__).resolve().parents[1]
QS = questions("ch2_exercises")


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The solution functions, executed from the master notebook's answer cells."""
    return master_solutions(ROOT / "solutions" / "ch2_exercises.ipynb")


@pytest.fixture(scope="module")
def torch_cell():
    g = torch.Generator().manual_seed(0)
    cell = torch.nn.GRUCell(3, 5).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.uniform_(-1, 1, generator=g)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    h = torch.randn(4, 5, generator=g, dtype=torch.float64)
    params = tuple(p.detach().numpy().copy() for p in
                   (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
    return cell, x, h, params


def torch_gates(cell, x, h):
    H = cell.hidden_size
    gi = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih).detach()
    gh = torch.nn.functional.linear(h, cell.weight_hh, cell.bias_hh).detach()
    r = torch.sigmoid(gi[:, :H] + gh[:, :H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    return gi, gh, r, z


# ------------------------------------------------------------------------ the references


def test_reference_step_and_gates_match_torch(torch_cell):
    cell, x, h, params = torch_cell
    with torch.no_grad():
        expected = cell(x, h).numpy()
    np.testing.assert_allclose(gru_step(x.numpy(), h.numpy(), *params), expected, atol=1e-12,
                               rtol=0)
    _, _, r, z = torch_gates(cell, x, h)
    r_t, z_t = gates(x.numpy(), h.numpy(), *params)
    np.testing.assert_allclose(r_t, r.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(z_t, z.numpy(), rtol=0, atol=1e-12)


def test_reference_inversions_recover_torchs_gates(torch_cell):
    """update_gate_from_step reads z back off torch.nn.GRUCell's step, and
    reset_gate_from_candidate recovers r from its candidate, both to float64 precision."""
    cell, x, h, params = torch_cell
    H = 5
    gi, gh, r, z = torch_gates(cell, x, h)
    n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    with torch.no_grad():
        h_t = cell(x, h)
    np.testing.assert_allclose((1 - z) * n + z * h, h_t.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(update_gate_from_step(h.numpy(), n.numpy(), h_t.numpy()),
                               z.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(reset_gate_from_candidate(x.numpy(), h.numpy(), n.numpy(),
                                                         *params), r.numpy(), rtol=0, atol=1e-9)


def test_every_probe_keeps_the_inversions_well_conditioned():
    for level in ("public", "hidden"):
        for p in get_question("q2_1").probes(level):
            assert np.abs(p.args["h_prev"] - p.args["n_t"]).min() >= 0.25
        for p in get_question("q2_2").probes(level):
            H = p.args["weight_hh"].shape[1]
            gated = p.args["h_prev"] @ p.args["weight_hh"][2 * H:].T + p.args["bias_hh"][2 * H:]
            assert np.abs(gated).min() >= 0.15 and np.abs(p.args["n_t"]).max() < 0.999


def test_reference_first_step_and_closed_reset_match_torch(torch_cell):
    """n_first is torch.nn.GRUCell's candidate at h = 0; n_closed is its candidate with the
    reset gate's bias pushed to −1000 (r = 0 exactly), for any h."""
    cell, x, h, params = torch_cell
    H = 5
    gi, gh, r, _ = torch_gates(cell, x, torch.zeros_like(h))
    n_first = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:]).numpy()
    closed = torch.nn.GRUCell(3, 5).double()
    with torch.no_grad():
        closed.load_state_dict(cell.state_dict())
        closed.bias_hh[:H] -= 1000.0
    gi, gh, r0, _ = torch_gates(closed, x, h)
    assert torch.all(r0 == 0)
    n_closed = torch.tanh(gi[:, 2 * H:] + r0 * gh[:, 2 * H:]).numpy()
    got_closed, got_first = reset_closed_vs_first_step(x.numpy(), r.numpy(), *params)
    np.testing.assert_allclose(got_first, n_first, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_closed, n_closed, rtol=0, atol=1e-12)
    assert np.abs(got_first - got_closed).max() > 1e-3  # b_hn ≠ 0: not a first step


def test_reference_keras_conversion_inverts_the_course_converter():
    rng = np.random.default_rng(3)
    H_in, H = 4, 3
    p = {"weight_ih": rng.normal(size=(3 * H, H_in)), "weight_hh": rng.normal(size=(3 * H, H)),
         "bias_ih": rng.normal(size=3 * H), "bias_hh": rng.normal(size=3 * H)}
    back = keras_to_pytorch(**pytorch_to_keras(p, reset_after=True))
    for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), back):
        np.testing.assert_array_equal(value, p[name], err_msg=name)


def test_fixed_weights_reproduce_the_buggy_cell_in_torch(torch_cell):
    cell, x, h, params = torch_cell
    buggy = buggy_gru_step(x.numpy(), h.numpy(), *params)
    fixed = torch.nn.GRUCell(3, 5).double()
    with torch.no_grad():
        for p, v in zip((fixed.weight_ih, fixed.weight_hh, fixed.bias_ih, fixed.bias_hh),
                        fix_reset_sign(*params)):
            p.copy_(torch.from_numpy(v))
        np.testing.assert_allclose(fixed(x, h).numpy(), buggy, rtol=0, atol=1e-12)
        assert np.abs(cell(x, h).numpy() - buggy).max() > 1e-3  # the bug is real


def test_the_notebooks_buggy_cell_is_the_checkers(solutions, torch_cell):
    _, x, h, params = torch_cell
    np.testing.assert_allclose(solutions["buggy_gru_step"](x.numpy(), h.numpy(), *params),
                               buggy_gru_step(x.numpy(), h.numpy(), *params), rtol=0,
                               atol=1e-14)


# ------------------------------------------------------------------------ the question set


def test_question_names_follow_the_chapter():
    assert [q.name for q in QS] == [f"q2_{i}" for i in range(1, 6)]


@pytest.mark.parametrize("name", [q.name for q in QS])
def test_solution_earns_every_point(solutions, name):
    q = get_question(name)
    verdict = check(name, solutions[q.func_name], "all")
    assert verdict.status == "correct", verdict.message
    assert verdict.points == q.max_points
    run_check(name, solutions[q.func_name], "hidden")  # does not raise


@pytest.mark.parametrize("name", [q.name for q in items("ch2_exercises")])
def test_hints_are_words_in_steps_not_code(name):
    steps = hint_steps(get_question(name).hint)
    assert len(steps) >= 2 and all(len(step.split()) > 8 for step in steps), steps
    text = hint_text(get_question(name).hint)
    assert "arctanh" not in text and "/" not in text
    for token in ("@", "np.", "==", "[", "](", ".T", "return", "def ", "copy()", "*", "+"):
        assert token not in text, f"{name}'s hint contains {token!r}: {text}"
    assert not re.search(r"=\s*[A-Za-z_][\w.]*\(", text), text  # no assignment of a call


def test_public_probes_are_fixed_and_hidden_probes_follow_the_run_seed():
    for q in QS:
        a, b = q.probes("public"), q.probes("public")
        for p, r in zip(a, b):
            for k in p.args:
                np.testing.assert_array_equal(p.args[k], r.args[k])
        try:
            set_hidden_seed(1)
            h1 = q.probes("hidden")
            set_hidden_seed(2)
            h2 = q.probes("hidden")
        finally:
            set_hidden_seed(None)
        first = next(iter(h1[0].args))
        assert not np.array_equal(h1[0].args[first], h2[0].args[first]), q.name


# --------------------------------------------------------------------------------------
# Honest answers written differently from the solution: full marks.


def z_by_solving_the_blend_with_prints(h_prev, n_t, h_t):
    def sigmoid(a):  # a helper named like a reference function, unused for the answer
        return 1 / (1 + np.exp(-a))

    print("debugging: shapes", h_prev.shape, n_t.shape, h_t.shape)
    return 1.0 - (h_prev - h_t) / (h_prev - n_t)  # the candidate's share, then its complement


def z_with_divide(h_prev, n_t, h_t):
    return np.divide(np.subtract(h_t, n_t), np.subtract(h_prev, n_t))


def r_by_einsum_and_log(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    pre = 0.5 * np.log((1 + n_t) / (1 - n_t))  # artanh written out
    inside = np.einsum("nj,hj->nh", h_prev, weight_hh[-H:]) + bias_hh[-H:]
    return (pre - np.einsum("nj,hj->nh", x_t, weight_ih[-H:]) - bias_ih[-H:]) / inside


def first_step_via_full_candidate(x_t, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    zero = np.zeros((x_t.shape[0], H))

    def cand(r, h):
        return np.tanh(x_t @ weight_ih[2 * H:].T + bias_ih[2 * H:]
                       + r * (h @ weight_hh[2 * H:].T + bias_hh[2 * H:]))

    return cand(zero, zero), cand(r_t, zero)


def keras_by_index(kernel, recurrent_kernel, bias):
    H = recurrent_kernel.shape[0]
    idx = np.r_[H:2 * H, 0:H, 2 * H:3 * H]  # r | z | n taken from z | r | h
    return (np.ascontiguousarray(kernel[:, idx].T), np.ascontiguousarray(recurrent_kernel[:, idx].T),
            bias[0, idx], bias[1, idx])


def fix_with_sign_vector(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    sign = np.ones(3 * H)
    sign[:H] = -1.0
    return (weight_ih * sign[:, None], weight_hh * sign[:, None], bias_ih * sign,
            bias_hh * sign)


def keras_with_gate_biases_summed(kernel, recurrent_kernel, bias):
    """torch.nn.GRUCell adds the two biases of r and z, so they may sit in bias_ih alone."""
    w_ih, w_hh, b_ih, b_hh = keras_by_index(kernel, recurrent_kernel, bias)
    H = w_hh.shape[1]
    b_ih, b_hh = b_ih.copy(), b_hh.copy()
    b_ih[:2 * H] += b_hh[:2 * H]
    b_hh[:2 * H] = 0.0
    return w_ih, w_hh, b_ih, b_hh


def fix_with_reset_bias_in_bias_ih(weight_ih, weight_hh, bias_ih, bias_hh):
    """The reset gate's summed bias, negated, in bias_ih; its bias_hh rows zero."""
    H = weight_hh.shape[1]
    w_ih, w_hh, b_ih, b_hh = (a.copy() for a in (weight_ih, weight_hh, bias_ih, bias_hh))
    w_ih[:H] *= -1
    w_hh[:H] *= -1
    b_ih[:H] = -(bias_ih[:H] + bias_hh[:H])
    b_hh[:H] = 0.0
    return w_ih, w_hh, b_ih, b_hh


HONEST = [("q2_1", z_by_solving_the_blend_with_prints), ("q2_1", z_with_divide),
          ("q2_2", r_by_einsum_and_log), ("q2_3", first_step_via_full_candidate),
          ("q2_4", keras_by_index), ("q2_4", keras_with_gate_biases_summed),
          ("q2_5", fix_with_sign_vector), ("q2_5", fix_with_reset_bias_in_bias_ih)]


@pytest.mark.parametrize("name, fn", HONEST, ids=[f"{n}-{f.__name__}" for n, f in HONEST])
def test_honest_answers_in_other_forms_earn_full_marks(name, fn):
    verdict = check(name, fn, "all")
    assert verdict.status == "correct" and verdict.points == get_question(name).max_points, (
        verdict.message)


# --------------------------------------------------------------------------------------
# Wrong answers, as a learner would write them.


def z_chung(h_prev, n_t, h_t):
    """Chung et al.'s z: the candidate's share."""
    return (h_t - h_prev) / (n_t - h_prev)


def z_ratio(h_prev, n_t, h_t):
    return h_t / h_prev


def z_upside_down(h_prev, n_t, h_t):
    return (h_prev - n_t) / (h_t - n_t)


def z_stacked(h_prev, n_t, h_t):
    z = (h_t - n_t) / (h_prev - n_t)
    return z, 1 - z


def z_stub(h_prev, n_t, h_t):
    raise NotImplementedError("Exercise 2.1: read the update gate off a step")


def r_bias_outside(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return ((np.arctanh(n_t) - x_t @ weight_ih[2 * H:].T - bias_ih[2 * H:] - bias_hh[2 * H:])
            / (h_prev @ weight_hh[2 * H:].T))


def r_tanh_kept(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return ((n_t - x_t @ weight_ih[2 * H:].T - bias_ih[2 * H:])
            / (h_prev @ weight_hh[2 * H:].T + bias_hh[2 * H:]))


def r_reset_rows(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return ((np.arctanh(n_t) - x_t @ weight_ih[:H].T - bias_ih[:H])
            / (h_prev @ weight_hh[:H].T + bias_hh[:H]))


def first_keeps_b_hn(x_t, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    a = x_t @ weight_ih[2 * H:].T + bias_ih[2 * H:]
    return np.tanh(a + bias_hh[2 * H:]), np.tanh(a + r_t * bias_hh[2 * H:])


def first_unscaled(x_t, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    a = x_t @ weight_ih[2 * H:].T + bias_ih[2 * H:]
    return np.tanh(a), np.tanh(a + bias_hh[2 * H:])


def keras_no_reorder(kernel, recurrent_kernel, bias):
    return kernel.T.copy(), recurrent_kernel.T.copy(), bias[0].copy(), bias[1].copy()


def keras_reshape(kernel, recurrent_kernel, bias):
    H = recurrent_kernel.shape[0]
    idx = np.r_[H:2 * H, 0:H, 2 * H:3 * H]
    k, rk = kernel[:, idx], recurrent_kernel[:, idx]
    return (k.reshape(k.shape[1], k.shape[0]), rk.reshape(rk.shape[1], rk.shape[0]),
            bias[0, idx], bias[1, idx])


def keras_bias_rows_swapped(kernel, recurrent_kernel, bias):
    w_ih, w_hh, b_ih, b_hh = keras_by_index(kernel, recurrent_kernel, bias)
    return w_ih, w_hh, b_hh, b_ih


def fix_weights_only(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    w_ih, w_hh = weight_ih.copy(), weight_hh.copy()
    w_ih[:H] *= -1
    w_hh[:H] *= -1
    return w_ih, w_hh, bias_ih.copy(), bias_hh.copy()


def fix_one_minus(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    out = []
    for p in (weight_ih, weight_hh, bias_ih, bias_hh):
        q = p.copy()
        q[:H] = 1 - q[:H]
        out.append(q)
    return tuple(out)


def fix_in_place(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    for p in (weight_ih, weight_hh, bias_ih, bias_hh):
        p[:H] *= -1
    return weight_ih, weight_hh, bias_ih, bias_hh


def fix_update_rows(weight_ih, weight_hh, bias_ih, bias_hh):
    """Chung et al.'s conversion, which the chapter shows: the wrong gate here."""
    H = weight_hh.shape[1]
    out = []
    for p in (weight_ih, weight_hh, bias_ih, bias_hh):
        q = p.copy()
        q[H:2 * H] = -q[H:2 * H]
        out.append(q)
    return tuple(out)


MISTAKES = [
    ("q2_1", z_chung, "you returned 1 − z_t"),
    ("q2_1", z_chung, "Chung et al.'s z"),
    ("q2_1", z_ratio, "h_t / h_prev is z_t only when the candidate is zero"),
    ("q2_1", z_upside_down, "your ratio is upside down"),
    ("q2_1", z_stacked, "expected one NumPy array `z_t`"),
    ("q2_2", r_bias_outside, "you left b_hn outside the reset gate"),
    ("q2_2", r_tanh_kept, "the tanh is not undone"),
    ("q2_2", r_reset_rows, "you used rows 0:H"),
    ("q2_3", first_keeps_b_hn, "Keeping b_hn is what the reset-before cell does"),
    ("q2_3", first_unscaled, "it is scaled by r_t"),
    ("q2_4", keras_no_reorder, "still in Keras' order z | r | h"),
    ("q2_4", keras_reshape, "you reshaped the matrices"),
    ("q2_4", keras_bias_rows_swapped, "the bias rows are swapped"),
    ("q2_5", fix_weights_only, "the weights are converted but not the biases"),
    ("q2_5", fix_one_minus, "1 − σ(a) = σ(−a)"),
    ("q2_5", fix_in_place, "modified its input(s)"),
    ("q2_5", fix_update_rows, "you changed rows H:2H, the update gate"),
]


@pytest.mark.parametrize("name, fn, expected", MISTAKES,
                         ids=[f"{m[0]}-{m[1].__name__}" for m in MISTAKES])
def test_known_mistake_is_rejected_with_its_diagnostic(name, fn, expected):
    verdict = check(name, fn, "public")
    assert verdict.points == 0 and verdict.status in ("incorrect", "flagged"), verdict.message
    assert expected in verdict.message, f"expected {expected!r} in:\n{verdict.message}"
    assert verdict.message.startswith("❌"), verdict.message
    with pytest.raises(AssertionError, match="❌"):
        run_check(name, fn, "public")


def test_chungs_z_is_caught_on_hidden_probes_too():
    verdict = check("q2_1", z_chung, "hidden")
    assert verdict.points == 0 and "1 − z_t" in verdict.message, verdict.message


def test_untouched_stub_is_not_attempted_not_a_traceback():
    verdict = check("q2_1", z_stub, "all")
    assert verdict.status == "not attempted"
    assert "not attempted yet" in verdict.message and 'hint("q2_1")' in verdict.message
    assert "Traceback" not in verdict.message
    with pytest.raises(NotAttemptedYet, match="not attempted yet"):  # what otter shows
        run_check("q2_1", z_stub, "public")


def test_unknown_mistake_is_isolated_to_a_term():
    def half_b_in(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
        H = weight_hh.shape[1]
        return ((np.arctanh(n_t) - x_t @ weight_ih[2 * H:].T - 0.5 * bias_ih[2 * H:])
                / (h_prev @ weight_hh[2 * H:].T + bias_hh[2 * H:]))

    msg = check("q2_2", half_b_in).message
    assert "Problem in the recurrent term, and also in the combination" in msg, msg
    assert "Expected `r_t`" in msg and "largest difference" in msg, msg
    assert "the products alone" not in msg  # zero biases: that probe is right


def test_exception_in_answer_is_reported_with_the_probe():
    def boom(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh):
        return x_t @ weight_hh.T  # wrong operands: a shape error

    msg = check("q2_2", boom).message
    assert "raised ValueError" in msg and "given" in msg, msg


def test_answer_using_globals_instead_of_arguments_fails(solutions):
    rng = np.random.default_rng(0)
    example = (rng.uniform(-1, 1, (2, 4)), rng.uniform(-0.5, 0.5, (2, 4)),
               rng.uniform(-1, 1, (2, 4)))

    def uses_globals(h_prev, n_t, h_t):
        return solutions["update_gate_from_step"](*example)  # ignores its arguments

    verdict = check("q2_1", uses_globals)
    assert verdict.points == 0 and verdict.message.startswith("❌"), verdict.message


def test_hint_prints_and_failure_says_how(capsys):
    hint("q2_3")
    out = capsys.readouterr().out
    assert "q2_3" in out and "first step" in out
    with pytest.raises(ValueError, match="Unknown question 'q9_9'"):
        hint("q9_9")
    assert 'Run `hint("q2_1")`' in check("q2_1", z_ratio).message


def test_statements_say_which_questions_are_graded_on_their_own():
    nb = nbformat.read(ROOT / "solutions" / "ch2_exercises.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"graded\s+on its own", text)


# Every declared mistake is reachable and named on both levels and every run:
# tests/test_checks_mistakes.py, for every chapter.


# --------------------------------------------------------------------------------------
# Graded predictions: each answer is what the chapter's cell measures.


def test_the_predictions_answers_are_what_the_cell_does(torch_cell):
    cell, x, h, params = torch_cell
    H = 5
    z = np.full((4, H), 0.99)
    n = np.tanh(x.numpy() @ params[0][2 * H:].T)
    h_t = (1 - z) * n + z * h.numpy()
    near = np.abs(h_t - h.numpy()).max() < np.abs(h_t - n).min()
    assert near and check("p2_1", "h_prev").status == "correct"
    gi, gh, r, _ = torch_gates(cell, x, h)
    zero_bracket = torch.zeros_like(gh[:, 2 * H:])
    n_any = [torch.tanh(gi[:, 2 * H:] + rr * zero_bracket) for rr in (0.1, 0.9)]
    assert torch.equal(*n_any) and check("p2_2", "nothing").status == "correct"
    no_b_hn = tuple(p.copy() for p in params)
    no_b_hn[3][2 * H:] = 0.0
    closed, first = reset_closed_vs_first_step(x.numpy(), r.numpy(), *no_b_hn)
    assert np.array_equal(closed, first) and check("p2_3", "exactly zero").status == "correct"
    args = (x.numpy(), h.numpy(), *params)
    r_negated = fix_reset_sign(*params)  # only the reset gate's rows changed
    assert not np.allclose(buggy_gru_step(*args), gru_step(*args))
    np.testing.assert_allclose(buggy_gru_step(*args), gru_step(x.numpy(), h.numpy(),
                                                               *r_negated), rtol=0, atol=1e-12)
    assert check("p2_5", "r_t").status == "correct"


@pytest.mark.parametrize("name, value, named", [
    ("p2_1", "n_t", "Chung et al.'s convention"), ("p2_1", "halfway between them", "0.5"),
    ("p2_2", "its exact value", "dividing by"), ("p2_2", "only its sign", "sign of r_t"),
    ("p2_3", "small but not zero", "equal to the last bit"),
    ("p2_3", "as large as with b_hn drawn at random", "r_t ⊙ b_hn"),
    ("p2_5", "the blend h_t", "PyTorch's own"), ("p2_5", "n_t", "reset-after candidate"),
    ("p2_5", "z_t", "second block")])
def test_every_known_wrong_prediction_gets_its_message_and_the_reasoning(name, value, named):
    v = check(name, value)
    assert (v.status, v.points) == ("incorrect", 0.0) and named in v.message, v.message
    assert "Why:" in v.message


@pytest.mark.parametrize("name", ["p2_1", "p2_2", "p2_3", "p2_5"])
def test_unanswered_and_mistyped_predictions(name):
    assert check(name, ...).status == "not attempted"
    assert check(name, None).status == "not attempted"
    v = check(name, 0.99)
    assert v.status == "incorrect" and "expected one of the strings" in v.message


def test_merging_the_candidates_two_biases_is_still_wrong():
    """Only r and z add their biases: b_hn sits inside the reset product, so moving it into
    bias_ih changes the cell and costs the points."""
    def merged(kernel, recurrent_kernel, bias):
        w_ih, w_hh, b_ih, b_hh = keras_by_index(kernel, recurrent_kernel, bias)
        return w_ih, w_hh, b_ih + b_hh, np.zeros_like(b_hh)

    verdict = check("q2_4", merged, "all")
    assert verdict.status == "incorrect" and verdict.points == 0, verdict.message
