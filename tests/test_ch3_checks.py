"""Chapter 3 checkers: the references match PyTorch's autograd in float64 (the MGU as
``utils.torch_cells.MGUCell`` computes it, PyTorch's GRU as ``torch.nn.GRUCell``), a
learner's copy of each reference earns every point, every known mistake gets its message on
every run (the probes tell each mistake from the right answer and from every other mistake,
whatever the hidden seed), and hand-written wrong answers are diagnosed by the path they get
wrong."""

from __future__ import annotations

import functools
import inspect
import itertools
import textwrap

import numpy as np
import pytest
import torch

import utils.checks as checks
from utils.checks import ch3
from utils.checks.core import close, set_hidden_seed
from utils.torch_cells import MGUCell

# The references live in utils/, so calling them is flagged. To play a learner, re-create
# them from their source in a file outside utils.
_LEARNER_FILE = "/tmp/learner_ch3_answers.py"
_LEARNER: dict = {"np": np, "_sigmoid": ch3._sigmoid}
for _f in (ch3._sigmoid, ch3._mgu_parts, ch3.chung_bias_for_memory, ch3.recurrence_free_norms,
           ch3.mgu_step_jacobian, ch3.mgu_backward_step):
    exec(compile(textwrap.dedent(inspect.getsource(_f)), _LEARNER_FILE, "exec"), _LEARNER)

COMPUTING = [q for q in ch3.QUESTIONS if hasattr(q, "reference")]


def as_learner(fn):
    if isinstance(fn, functools.partial):
        return functools.partial(_LEARNER[fn.func.__name__], *fn.args, **fn.keywords)
    return _LEARNER[fn.__name__]


def verdict(name, fn, level="public"):
    return checks.check(name, fn, level)


def _mgu_torch(args):
    """An MGUCell with the probe's parameters, and its inputs as float64 tensors."""
    H_in, H = args["x_t"].shape[1], args["h_prev"].shape[1]
    cell = MGUCell(H_in, H, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias"):
            getattr(cell, name).copy_(torch.from_numpy(args[name]))
    return cell, torch.from_numpy(args["x_t"]), torch.from_numpy(args["h_prev"])


def _mgu_args(seed, N=3, H_in=2, H=5, scale=1.5):
    return ch3._mgu_args(np.random.default_rng(seed), N, H_in, H, scale=scale)


# ------------------------------------------------------------------------ references


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mgu_jacobian_reference_matches_autograd_through_mgucell(seed):
    args = _mgu_args(seed)
    cell, x, h = _mgu_torch(args)
    ref = np.stack([torch.autograd.functional.jacobian(
        lambda hh, n=n: cell(x[n:n + 1], hh[None])[0], h[n]).numpy() for n in range(len(x))])
    J = ch3.mgu_step_jacobian(**args)
    assert J.shape == ref.shape and np.abs(J - ref).max() < 1e-13


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mgu_backward_reference_matches_autograd(seed):
    """δh_{t−1} through MGUCell; δa_f and δa_n through the same step written out in torch
    (its pre-activations kept), whose output equals MGUCell's."""
    args = _mgu_args(seed)
    dh = np.random.default_rng(seed + 10).normal(size=args["h_prev"].shape)
    cell, x, h = _mgu_torch(args)
    h = h.clone().requires_grad_()
    (cell(x, h) * torch.from_numpy(dh)).sum().backward()
    H = h.shape[1]
    W_i, W_h, b = (torch.from_numpy(args[k]) for k in ("weight_ih", "weight_hh", "bias"))
    h2 = torch.from_numpy(args["h_prev"])
    a_f = (x @ W_i[:H].T + b[:H] + h2 @ W_h[:H].T).requires_grad_()
    f = torch.sigmoid(a_f)
    a_n = (x @ W_i[H:].T + b[H:] + (f * h2) @ W_h[H:].T)
    a_n.retain_grad()
    h_t = (1 - f) * h2 + f * torch.tanh(a_n)
    assert torch.allclose(h_t, cell(x, h2), atol=1e-15, rtol=0)
    (h_t * torch.from_numpy(dh)).sum().backward()
    # a_f's gradient includes its path through a_n (autograd follows both uses of f)
    ours = ch3.mgu_backward_step(args["x_t"], args["h_prev"], dh, args["weight_ih"],
                                 args["weight_hh"], args["bias"])
    for got, want in zip(ours, (h.grad, a_f.grad, a_n.grad)):
        assert np.abs(got - want.numpy()).max() < 1e-13
    J = ch3.mgu_step_jacobian(**args)
    assert np.abs(ours[0] - np.einsum("ni,nij->nj", dh, J)).max() < 1e-13


@pytest.mark.parametrize("seed", [0, 1])
def test_recurrence_free_norms_match_autograd_through_a_gru_cell(seed):
    rng = np.random.default_rng(seed)
    T, H_in, H = 25, 2, 4
    args = ch3._sequence_args(rng, T, H_in, H, z_bias=2.0, scale=1.5)
    cell = torch.nn.GRUCell(H_in, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_hh.zero_()
        for k in ("weight_ih", "bias_ih", "bias_hh"):
            getattr(cell, k).copy_(torch.from_numpy(args[k]))
    x = torch.from_numpy(args["x"])

    def state_after(h0, steps):
        h = h0[None]
        for s in range(steps):
            h = cell(x[s:s + 1], h)
        return h[0]

    h0 = torch.from_numpy(rng.uniform(-1, 1, H))
    norms = ch3.recurrence_free_norms(**args)
    for t in (1, 7, 25):
        J = torch.autograd.functional.jacobian(lambda h: state_after(h, t), h0).numpy()
        assert np.isclose(np.linalg.norm(J, 2), norms[t - 1], rtol=1e-12, atol=0)


def test_chung_bias_keeps_the_share_asked_for():
    t = np.array([2.0, 10.0, 100.0, 1000.0])
    kept = np.array([0.1, 0.5, 0.5, 0.9])
    b = ch3.chung_bias_for_memory(t, kept)
    z = torch.sigmoid(torch.from_numpy(b)).numpy()  # the share written
    assert np.allclose((1 - z) ** t, kept, rtol=1e-12)
    # the same memory in PyTorch's sign is the bias negated
    z_torch = torch.sigmoid(torch.from_numpy(-b)).numpy()
    assert np.allclose(z_torch**t, kept, rtol=1e-12)


# ------------------------------------------------------------------------ probes


def _same(u, v) -> bool:
    u = list(u) if isinstance(u, tuple) else [u]
    v = list(v) if isinstance(v, tuple) else [v]
    return len(u) == len(v) and all(close(np.asarray(a, float), np.asarray(b, float))
                                    for a, b in zip(u, v))


@pytest.mark.parametrize("q", COMPUTING, ids=lambda q: q.name)
def test_probes_separate_every_known_mistake_on_every_run(q):
    """On the public probes and on the hidden probes of many seeds, the reference and every
    mistake differ pairwise on at least one probe (else a mistake would be taken for the
    right answer, or shown another mistake's message), and every mistake stays finite."""
    fns = [q.reference] + [m.fn for m in q.mistakes]
    try:
        for seed in (None, *range(25)):
            set_hidden_seed(seed)
            for level in ("public", "hidden") if seed is None else ("hidden",):
                probes = q.probes(level)
                with np.errstate(over="raise", divide="raise", invalid="raise"):
                    outs = [[f(**p.args) for p in probes] for f in fns]
                for i, j in itertools.combinations(range(len(fns)), 2):
                    assert not all(_same(a, b) for a, b in zip(outs[i], outs[j])), (
                        level, seed, i, j)
    finally:
        set_hidden_seed(None)


def test_probes_draw_from_probe_rng_and_hidden_probes_follow_the_seed():
    a = ch3._mgu_probes("hidden")[0].args["x_t"]
    set_hidden_seed(123)
    try:
        b = ch3._mgu_probes("hidden")[0].args["x_t"]
    finally:
        set_hidden_seed(None)
    assert not np.array_equal(a, b)
    assert np.array_equal(ch3._mgu_probes("public")[0].args["x_t"],
                          ch3._mgu_probes("public")[0].args["x_t"])


# ------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize("q", COMPUTING, ids=lambda q: q.name)
def test_learner_copy_of_the_reference_earns_every_point(q):
    v = verdict(q.name, as_learner(q.reference), "all")
    assert v.status == "correct" and v.points == v.max_points == 2, v.message


@pytest.mark.parametrize("q", COMPUTING, ids=lambda q: q.name)
def test_calling_the_reference_is_flagged(q):
    v = verdict(q.name, q.reference)
    assert v.status == "flagged" and v.points == 0


@pytest.mark.parametrize("q, k", [(q, k) for q in COMPUTING for k in range(len(q.mistakes))],
                         ids=lambda x: getattr(x, "name", str(x)))
def test_each_known_mistake_gets_its_message(q, k):
    mistake = q.mistakes[k]
    for level in ("public", "hidden"):
        v = verdict(q.name, as_learner(mistake.fn), level)
        assert v.status == "incorrect" and v.points == 0, (level, v.message)
        assert mistake.message in v.message, (level, v.message)


@pytest.mark.parametrize("q", COMPUTING, ids=lambda q: q.name)
def test_the_stub_is_not_attempted(q):
    def stub(*args):
        raise NotImplementedError("Exercise: not yet")
    v = verdict(q.name, stub)
    assert v.status == "not attempted"


def test_questions_are_registered():
    assert checks.ASSIGNMENTS["ch3_exercises"] == "utils.checks.ch3"
    names = [q.name for q in checks.questions("ch3_exercises")]
    assert [n for n in names if n.startswith("q")] == ["q3_1", "q3_2", "q3_4", "q3_5"]


# ------------------------------------------------- honest answers written by hand


def _sig(a):
    return 1 / (1 + np.exp(-a))


def honest_mgu_jacobian(x_t, h_prev, weight_ih, weight_hh, bias):
    """Another correct formulation: one sequence at a time, np.diag, np.split, a print."""
    W_if, W_in = np.split(weight_ih, 2)
    W_hf, W_hn = np.split(weight_hh, 2)
    b_f, b_n = np.split(bias, 2)
    out = []
    for x, h in zip(x_t, h_prev):
        f = _sig(W_if @ x + W_hf @ h + b_f)
        n = np.tanh(W_in @ x + W_hn @ (f * h) + b_n)
        s = f * (1 - f)
        d_fh = np.diag(f) + np.diag(h * s) @ W_hf  # ∂(f ⊙ h)/∂h
        out.append(np.diag(1 - f) + np.diag((n - h) * s) @ W_hf
                   + np.diag(f * (1 - n**2)) @ W_hn @ d_fh)
    print("computed", len(out), "Jacobians")
    return np.array(out)


def test_an_honest_different_formulation_gets_full_marks():
    v = verdict("q3_4", honest_mgu_jacobian, "all")
    assert v.status == "correct" and v.points == 2, v.message


def test_a_wrong_highway_is_isolated_to_the_highway():
    def jac(x_t, h_prev, weight_ih, weight_hh, bias):
        return honest_mgu_jacobian(x_t, h_prev, weight_ih, weight_hh, bias) + 0.01 * np.eye(
            weight_hh.shape[1])
    v = verdict("q3_4", jac)
    assert v.status == "incorrect" and "Problem in the highway term" in v.message, v.message


def test_a_wrong_path_through_f_in_the_candidate_is_found_on_the_last_probe_only():
    def jac(x_t, h_prev, weight_ih, weight_hh, bias):
        H = weight_hh.shape[1]
        args = (x_t, h_prev, weight_ih, weight_hh, bias)
        good = honest_mgu_jacobian(*args)
        W_hf = weight_hh[:H]
        f = _sig(x_t @ weight_ih[:H].T + bias[:H] + h_prev @ W_hf.T)
        return good + 0.3 * (f * (1 - f))[:, :, None] * (W_hf @ weight_hh[H:])  # wrong extra
    v = verdict("q3_4", jac)
    assert v.status == "incorrect" and "Problem in all paths together" in v.message, v.message


def test_a_backward_step_missing_the_reset_role_names_it():
    def back(x_t, h_prev, dh_t, weight_ih, weight_hh, bias):
        H = weight_hh.shape[1]
        f = _sig(x_t @ weight_ih[:H].T + bias[:H] + h_prev @ weight_hh[:H].T)
        n = np.tanh(x_t @ weight_ih[H:].T + bias[H:] + (f * h_prev) @ weight_hh[H:].T)
        da_n = dh_t * f * (1 - n**2)
        g = da_n @ weight_hh[H:]
        da_f = dh_t * (n - h_prev) * f * (1 - f)
        return dh_t * (1 - f) + g * f + da_f @ weight_hh[:H], da_f, da_n
    v = verdict("q3_5", back)
    assert v.status == "incorrect" and "second role" in v.message, v.message


def test_q3_1_with_log1p_and_expm1_is_right():
    def bias(t_span, kept):
        per_step = np.exp(np.log(kept) / t_span)
        return np.log(-np.expm1(np.log(kept) / t_span)) - np.log(per_step)
    v = verdict("q3_1", bias, "all")
    assert v.status == "correct", v.message


# ------------------------------------------------------------------------ predictions


@pytest.mark.parametrize("p", ch3.PREDICTIONS, ids=lambda p: p.name)
def test_each_prediction_accepts_its_answer_and_names_every_known_mistake(p):
    right = verdict(p.name, p.answer)
    assert right.status == "correct" and right.points == p.max_points, right.message
    assert "Why:" in right.message
    for m in p.mistakes:
        v = verdict(p.name, m.answer)
        assert v.status == "incorrect" and v.points == 0, v.message
        assert m.message in v.message and "Why:" in v.message, v.message
    assert verdict(p.name, ...).status == "not attempted"


def test_every_prediction_comes_right_before_the_exercise_it_reveals():
    names = [q.name for q in checks.items("ch3_exercises")]
    for p in ch3.PREDICTIONS:
        assert names.index(p.name) < names.index(p.reveals)


def test_prediction_answers_are_what_the_exercises_compute():
    """p3_1: the bias for a half-life of 100 steps; p3_2: the two units' products; p3_4: the
    MGU's Jacobian with its gate closed; the numbers the explanations quote."""
    b = ch3.chung_bias_for_memory(np.array(100.0), np.array(0.5))
    assert np.isclose(b, -4.97, atol=0.005)
    a_keeps, b_keeps = 0.9**100, (0.99 * 0.81) ** 50
    assert a_keeps > b_keeps and np.isclose(a_keeps, 2.7e-5, rtol=0.02)
    assert np.isclose(b_keeps, 1.6e-5, rtol=0.05)
    args = _mgu_args(3)
    args["bias"][:args["h_prev"].shape[1]] = -40.0  # f_t ≈ 0 for every unit
    J = ch3.mgu_step_jacobian(**args)
    assert np.abs(J - np.eye(J.shape[1])).max() < 1e-12


def test_an_unknown_backward_error_names_the_wrong_output():
    """A δ that is off in a way no known mistake explains: the message names the output
    that is wrong and the ones that are right, and what every probe goes through."""
    def scaled_da_n(x_t, h_prev, dh_t, weight_ih, weight_hh, bias):
        dh_prev, da_f, da_n = _LEARNER["mgu_backward_step"](x_t, h_prev, dh_t, weight_ih,
                                                             weight_hh, bias)
        return dh_prev, da_f, 1.1 * da_n

    v = verdict("q3_5", scaled_da_n)
    assert v.status == "incorrect", v.message
    assert "`da_n` is wrong (`dh_prev`, `da_f` right on every probe)" in v.message, v.message
    assert "tanh' = 1 − n²" in v.message, v.message
