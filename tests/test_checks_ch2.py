"""Chapter 2 checkers: the reference matches torch.nn.GRUCell, the master's solutions pass,
and every named known mistake (written out below as a learner would) gets its diagnostic."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from utils.checks import NotAttemptedYet, check, get_question, hint, questions, run_check
from utils.checks.ch2 import candidate, chung_to_pytorch, gate, gru_step
from utils.grading.exercises import solution_code

ROOT = Path(__file__).resolve().parents[1]


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The solution functions, executed from the master notebook's answer cells."""
    nb = nbformat.read(ROOT / "solutions" / "ch2_exercises.ipynb", as_version=4)
    ns: dict = {"np": np}
    for cell in nb.cells:
        if cell.cell_type == "code" and "otter_answer_cell" not in cell.metadata.get("tags", []):
            src = solution_code(cell.source)
            if src.lstrip().startswith("def ") and not src.lstrip().startswith("def test_"):
                exec(compile(src, "<solution>", "exec"), ns)
    return ns


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


def test_reference_matches_torch_grucell(torch_cell):
    cell, x, h, params = torch_cell
    with torch.no_grad():
        expected = cell(x, h).numpy()
    np.testing.assert_allclose(gru_step(x.numpy(), h.numpy(), *params), expected,
                               rtol=0, atol=1e-12)


def test_reference_gates_match_torch_gates(torch_cell):
    cell, x, h, (w_ih, w_hh, b_ih, b_hh) = torch_cell
    gi = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih).detach().numpy()
    gh = torch.nn.functional.linear(h, cell.weight_hh, cell.bias_hh).detach().numpy()
    H = 5
    r = torch.sigmoid(torch.tensor(gi[:, :H] + gh[:, :H])).numpy()
    z = torch.sigmoid(torch.tensor(gi[:, H:2 * H] + gh[:, H:2 * H])).numpy()
    n = torch.tanh(torch.tensor(gi[:, 2 * H:] + r * gh[:, 2 * H:])).numpy()
    args = (x.numpy(), h.numpy(), w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_allclose(gate(*args, k=0), r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gate(*args, k=1), z, rtol=0, atol=1e-12)
    np.testing.assert_allclose(candidate(x.numpy(), h.numpy(), r, w_ih, w_hh, b_ih, b_hh), n,
                               rtol=0, atol=1e-12)


def test_chung_conversion_gives_the_same_model_in_torch(torch_cell):
    """A Chung-convention cell equals torch.nn.GRUCell with the converted parameters."""
    cell, x, h, params = torch_cell
    xn, hn = x.numpy(), h.numpy()
    chung_h = gru_step(xn, hn, *params, swap_z=True)  # h = z ñ + (1 − z) h_prev
    converted = chung_to_pytorch(*params)
    torch_cell2 = torch.nn.GRUCell(3, 5).double()
    with torch.no_grad():
        for p, v in zip((torch_cell2.weight_ih, torch_cell2.weight_hh, torch_cell2.bias_ih,
                         torch_cell2.bias_hh), converted):
            p.copy_(torch.from_numpy(v))
        np.testing.assert_allclose(torch_cell2(x, h).numpy(), chung_h, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", [q.name for q in questions("ch2_exercises")])
def test_solution_earns_every_point(solutions, name):
    q = get_question(name)
    verdict = check(name, solutions[q.func_name], "all")
    assert verdict.status == "correct", verdict.message
    assert verdict.points == q.max_points
    run_check(name, solutions[q.func_name], "hidden")  # does not raise


def test_question_names_follow_the_chapter():
    assert [q.name for q in questions("ch2_exercises")] == [f"q2_{i}" for i in range(1, 6)]


# --------------------------------------------------------------------------------------
# Wrong answers, as a learner would write them.

def r_tanh(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return np.tanh(x_t @ weight_ih[:H].T + bias_ih[:H] + h_prev @ weight_hh[:H].T + bias_hh[:H])


def r_slice_z(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(H, 2 * H)
    return sig(x_t @ weight_ih[s].T + bias_ih[s] + h_prev @ weight_hh[s].T + bias_hh[s])


def r_no_bias_hh(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return sig(x_t @ weight_ih[:H].T + bias_ih[:H] + h_prev @ weight_hh[:H].T)


def r_no_biases(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return sig(x_t @ weight_ih[:H].T + h_prev @ weight_hh[:H].T)


def r_transposed(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return sig(x_t @ weight_ih[:H] + bias_ih[:H] + h_prev @ weight_hh[:H] + bias_hh[:H])


def r_transposed_hh(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return sig(x_t @ weight_ih[:H].T + bias_ih[:H] + h_prev @ weight_hh[:H] + bias_hh[:H])


def z_slice_r(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    return sig(x_t @ weight_ih[:H].T + bias_ih[:H] + h_prev @ weight_hh[:H].T + bias_hh[:H])


def z_no_bias_ih(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(H, 2 * H)
    return sig(x_t @ weight_ih[s].T + h_prev @ weight_hh[s].T + bias_hh[s])


def n_reset_before(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(2 * H, 3 * H)
    return np.tanh(x_t @ weight_ih[s].T + bias_ih[s] + (r_t * h_prev) @ weight_hh[s].T
                   + bias_hh[s])


def n_bias_outside(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(2 * H, 3 * H)
    return np.tanh(x_t @ weight_ih[s].T + bias_ih[s] + r_t * (h_prev @ weight_hh[s].T)
                   + bias_hh[s])


def n_sigmoid(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(2 * H, 3 * H)
    return sig(x_t @ weight_ih[s].T + bias_ih[s] + r_t * (h_prev @ weight_hh[s].T + bias_hh[s]))


def n_slice_r(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    s = slice(0, H)
    return np.tanh(x_t @ weight_ih[s].T + bias_ih[s] + r_t * (h_prev @ weight_hh[s].T
                                                              + bias_hh[s]))


def _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, order=(0, 1, 2)):
    H = weight_hh.shape[1]
    gi = x_t @ weight_ih.T + bias_ih
    gh = h_prev @ weight_hh.T + bias_hh
    blk = [slice(k * H, (k + 1) * H) for k in order]
    r = sig(gi[:, blk[0]] + gh[:, blk[0]])
    z = sig(gi[:, blk[1]] + gh[:, blk[1]])
    n = np.tanh(gi[:, blk[2]] + r * gh[:, blk[2]])
    return r, z, n


def step_z_swapped(x_t, h_prev, *params):
    r, z, n = _gates(x_t, h_prev, *params)
    return z * n + (1 - z) * h_prev


def step_rz_order(x_t, h_prev, *params):
    r, z, n = _gates(x_t, h_prev, *params, order=(1, 0, 2))
    return (1 - z) * n + z * h_prev


def step_reset_before(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    r, z, _ = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    s = slice(2 * H, 3 * H)
    n = np.tanh(x_t @ weight_ih[s].T + bias_ih[s] + (r * h_prev) @ weight_hh[s].T + bias_hh[s])
    return (1 - z) * n + z * h_prev


def step_act_swapped(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    gi = x_t @ weight_ih.T + bias_ih
    gh = h_prev @ weight_hh.T + bias_hh
    r = np.tanh(gi[:, :H] + gh[:, :H])
    z = np.tanh(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = sig(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h_prev


def _correct_step(x_t, h_prev, *params):
    r, z, n = _gates(x_t, h_prev, *params)
    return (1 - z) * n + z * h_prev


def step_float32(x_t, h_prev, *params):
    return _correct_step(x_t, h_prev, *params).astype(np.float32)


def step_transposed_output(x_t, h_prev, *params):
    return _correct_step(x_t, h_prev, *params).T


def step_nan(x_t, h_prev, *params):
    h = _correct_step(x_t, h_prev, *params)
    h[0, 0] = np.nan
    return h


def step_none(x_t, h_prev, *params):
    h_t = _correct_step(x_t, h_prev, *params)  # noqa: F841 (forgot to return it)


def step_torch(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    cell = torch.nn.GRUCell(weight_ih.shape[1], weight_hh.shape[1]).double()
    with torch.no_grad():
        for p, v in zip(cell.parameters(), (weight_ih, weight_hh, bias_ih, bias_hh)):
            p.copy_(torch.from_numpy(v))
        return cell(torch.from_numpy(x_t), torch.from_numpy(h_prev)).numpy()


def step_numpy_cells(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    import importlib
    mod = importlib.import_module("utils." + "numpy_cells")
    cell = getattr(mod, "GRU" + "Cell")(weight_ih.shape[1], weight_hh.shape[1])
    cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh = (weight_ih, weight_hh,
                                                                  bias_ih, bias_hh)
    return cell.step(x_t, h_prev)


def step_stub(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    raise NotImplementedError("Exercise 2.4: compute one GRU step h_t")


def conv_weights_only(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    w_ih, w_hh = weight_ih.copy(), weight_hh.copy()
    w_ih[H:2 * H] *= -1
    w_hh[H:2 * H] *= -1
    return w_ih, w_hh, bias_ih.copy(), bias_hh.copy()


def conv_one_bias(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    out = [p.copy() for p in (weight_ih, weight_hh, bias_ih)]
    for p in out:
        p[H:2 * H] *= -1
    return (*out, bias_hh.copy())


def conv_wrong_rows(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    out = [p.copy() for p in (weight_ih, weight_hh, bias_ih, bias_hh)]
    for p in out:
        p[:H] *= -1
    return tuple(out)


def conv_in_place(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    for p in (weight_ih, weight_hh, bias_ih, bias_hh):
        p[H:2 * H] *= -1
    return weight_ih, weight_hh, bias_ih, bias_hh


def conv_one_minus(weight_ih, weight_hh, bias_ih, bias_hh):
    H = weight_hh.shape[1]
    out = [p.copy() for p in (weight_ih, weight_hh, bias_ih, bias_hh)]
    for p in out:
        p[H:2 * H] = 1 - p[H:2 * H]
    return tuple(out)


def conv_list_of_three(weight_ih, weight_hh, bias_ih, bias_hh):
    return [weight_ih.copy(), weight_hh.copy(), bias_ih.copy()]


def step_no_bias_hh(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    return _correct_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, np.zeros_like(bias_hh))


def step_with_gates(*args):  # returns (h_t, r_t) where only h_t is asked for
    h_t = _correct_step(*args)
    return h_t, np.zeros_like(h_t)


MISTAKES = [
    ("q2_1", r_tanh, "you applied tanh"),
    ("q2_1", r_slice_z, "rows 1·H:2·H of the stacked parameters, which belong to the update"),
    ("q2_1", r_no_bias_hh, "b_hr (from bias_hh) is missing"),
    ("q2_1", r_no_biases, "both biases are missing"),
    ("q2_1", r_transposed, "transposed weights"),
    ("q2_1", r_transposed_hh, "transposed recurrent weight"),
    ("q2_2", z_slice_r, "rows 0·H:1·H of the stacked parameters, which belong to the reset"),
    ("q2_2", z_no_bias_ih, "b_iz (from bias_ih) is missing"),
    ("q2_3", n_reset_before, "reset gate is applied before the product"),
    ("q2_3", n_bias_outside, "b_hn must be inside the reset product"),
    ("q2_3", n_sigmoid, "you applied the sigmoid; the candidate uses tanh"),
    ("q2_3", n_slice_r, "rows 0·H:1·H (the reset gate's)"),
    ("q2_4", step_z_swapped, "z_t and 1 − z_t are swapped"),
    ("q2_4", step_rz_order, "r and z are swapped"),
    ("q2_4", step_reset_before, "reset gate is applied before the product"),
    ("q2_4", step_act_swapped, "sigmoid and tanh are swapped"),
    ("q2_4", step_no_bias_hh, "bias_hh is missing"),
    ("q2_4", step_float32, "Wrong dtype: expected `h_t` of dtype float64"),
    ("q2_4", step_transposed_output, "(transposed?)"),
    ("q2_4", step_nan, "Got NaN in `h_t`"),
    ("q2_4", step_none, "Got `None`"),
    ("q2_4", step_none, "did you forget a `return`?"),
    ("q2_4", step_with_gates, "expected one NumPy array `h_t`"),
    ("q2_4", step_with_gates, "but got a sequence of 2 items; return a single array"),
    ("q2_4", step_torch, "calls the reference implementation"),
    ("q2_4", step_numpy_cells, "utils/numpy_cells.py"),
    ("q2_5", conv_weights_only, "the weights are converted but not the biases"),
    ("q2_5", conv_one_bias, "bias_hh's z rows are not negated"),
    ("q2_5", conv_wrong_rows, "you negated rows 0:H (the reset gate)"),
    ("q2_5", conv_in_place, "modified its input(s) weight_ih, weight_hh, bias_ih, bias_hh"),
    ("q2_5", conv_one_minus, "1 − W_z"),
    ("q2_5", conv_list_of_three, "expected 4 arrays"),
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


def test_untouched_stub_is_not_attempted_not_a_traceback():
    verdict = check("q2_4", step_stub, "all")
    assert verdict.status == "not attempted"
    assert "not attempted yet" in verdict.message and 'hint("q2_4")' in verdict.message
    assert "Traceback" not in verdict.message
    with pytest.raises(NotAttemptedYet, match="not attempted yet"):  # what otter shows
        run_check("q2_4", step_stub, "public")


def test_unknown_mistake_is_isolated_to_a_term():
    def r_half_bias(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = weight_hh.shape[1]
        return sig(x_t @ weight_ih[:H].T + 0.5 * bias_ih[:H] + h_prev @ weight_hh[:H].T
                   + bias_hh[:H])

    def r_double_hidden(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = weight_hh.shape[1]
        return sig(x_t @ weight_ih[:H].T + bias_ih[:H] + 2 * h_prev @ weight_hh[:H].T
                   + bias_hh[:H])

    msg = check("q2_1", r_half_bias).message
    assert "Problem in the bias term" in msg and "largest difference" in msg, msg
    assert "Expected `r_t` = " in msg and "but got" in msg and "instead" in msg, msg
    msg = check("q2_1", r_double_hidden).message
    assert "Problem in the recurrent term" in msg, msg


def test_exception_in_answer_is_reported_with_the_probe():
    def boom(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return x_t @ weight_hh.T  # wrong operands: a shape error on non-square probes

    msg = check("q2_1", boom).message
    assert "raised ValueError" in msg and "given" in msg, msg


def test_answer_using_globals_instead_of_arguments_fails(solutions):
    rng = np.random.default_rng(0)
    example = (rng.normal(size=(2, 3)), rng.uniform(-1, 1, (2, 4)),
               rng.uniform(-0.5, 0.5, (12, 3)), rng.uniform(-0.5, 0.5, (12, 4)),
               rng.uniform(-0.5, 0.5, 12), rng.uniform(-0.5, 0.5, 12))

    def uses_globals(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return solutions["reset_gate"](*example)  # ignores its arguments

    verdict = check("q2_1", uses_globals)
    assert verdict.points == 0 and verdict.message.startswith("❌"), verdict.message


def test_hint_prints_and_failure_says_how(capsys):
    hint("q2_3")
    out = capsys.readouterr().out
    assert "q2_3" in out and "2*H:3*H" in out
    with pytest.raises(ValueError, match="Unknown question 'q9_9'"):
        hint("q9_9")
    assert 'Run `hint("q2_1")`' in check("q2_1", r_tanh).message


def _outcomes_of(fn, probes):
    """What ``capture`` records, without its tracer (the mistakes live in ``utils``)."""
    from utils.checks.core import Outcome, _to_plain

    outcomes = []
    for probe in probes:
        try:
            outcomes.append(_to_plain(fn(**probe.args)))
        except Exception as exc:
            outcomes.append(Outcome("error", detail=f"{type(exc).__name__}: {exc}"))
    return outcomes


ALL_MISTAKES = [(q.name, i) for q in questions("ch2_exercises") for i in range(len(q.mistakes))]


@pytest.mark.parametrize("name, index", ALL_MISTAKES, ids=[f"{n}-{i}" for n, i in ALL_MISTAKES])
@pytest.mark.parametrize("level", ["public", "hidden"])
def test_every_declared_mistake_is_reachable_and_named(name, index, level):
    """No mistake is shadowed by an earlier one or lost on some level: the implementation of
    each declared mistake gets zero points and that mistake's own message."""
    q = get_question(name)
    mistake = q.mistakes[index]
    verdict = q.diagnose(level, _outcomes_of(mistake.fn, q.probes(level)))
    assert verdict.points == 0 and mistake.message in verdict.message, verdict.message


def test_step_calling_an_unfinished_gate_says_which_exercise_to_finish(solutions):
    """The statement invites gru_cell_step to call the learner's gates; while one of them is
    still the stub, q2_4 names that exercise instead of calling q2_4 itself untouched."""
    def reset_stub(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        raise NotImplementedError("Exercise 2.1: compute the reset gate r_t")

    def step(x_t, h_prev, *params):
        r_t = reset_stub(x_t, h_prev, *params)
        z_t = solutions["update_gate"](x_t, h_prev, *params)
        n_t = solutions["candidate_state"](x_t, h_prev, r_t, *params)
        return (1 - z_t) * n_t + z_t * h_prev

    verdict = check("q2_4", step, "all")
    assert verdict.status == "not attempted" and verdict.points == 0, verdict.message
    assert "not finished yet" in verdict.message, verdict.message
    assert "Exercise 2.1: compute the reset gate r_t" in verdict.message, verdict.message
    assert "not attempted yet" in check("q2_4", step_stub).message
