"""Chapter 3 checkers: the references match utils (tested against autograd) and PyTorch, a
learner's copy of each reference earns every point, every known mistake gets its message, and
hand-written wrong answers are diagnosed by the term they get wrong."""

from __future__ import annotations

import functools
import inspect
import textwrap

import numpy as np
import pytest
import torch

import utils.checks as checks
from utils.checks import ch3
from utils.jacobians import gru_backward_step, gru_step_jacobian
from utils.timescales import bias_for_half_life, half_life

# The references live in utils/, so calling them is flagged. To play a learner, re-create
# them from their source in a file outside utils.
_LEARNER_FILE = "/tmp/learner_ch3_answers.py"
_LEARNER: dict = {"np": np, "_sigmoid": ch3._sigmoid}
for _f in (ch3._sigmoid, ch3._gru_parts, ch3.half_life, ch3.bias_for_half_life,
           ch3.step_jacobian, ch3.backward_step, ch3.constant_gate_norm, ch3.chrono_bias):
    exec(compile(textwrap.dedent(inspect.getsource(_f)), _LEARNER_FILE, "exec"), _LEARNER)


def as_learner(fn):
    if isinstance(fn, functools.partial):
        return functools.partial(_LEARNER[fn.func.__name__], *fn.args, **fn.keywords)
    return _LEARNER[fn.__name__]


def verdict(name, fn, level="public"):
    return checks.check(name, fn, level)


def _params(rng, H_in, H):
    return {"weight_ih": rng.uniform(-1, 1, (3 * H, H_in)),
            "weight_hh": rng.uniform(-1, 1, (3 * H, H)),
            "bias_ih": rng.uniform(-1, 1, 3 * H), "bias_hh": rng.uniform(-1, 1, 3 * H)}


# ------------------------------------------------------------------------ references


@pytest.mark.parametrize("reset", ["after", "before"])
def test_jacobian_and_backward_references_match_utils(reset):
    rng = np.random.default_rng(0)
    p = _params(rng, 3, 4)
    x, h, dh = rng.normal(size=(2, 3)), rng.uniform(-1, 1, (2, 4)), rng.normal(size=(2, 4))
    args = (x, h, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    J = ch3.step_jacobian(*args, reset=reset)
    assert np.abs(J - gru_step_jacobian(p, x, h, reset_after=reset == "after")).max() < 1e-14
    ours = ch3.backward_step(x, h, dh, *args[2:], reset=reset)
    ref = gru_backward_step(p, x, h, dh, reset_after=reset == "after")
    for got, key in zip(ours, ("h_prev", "a_r", "a_z", "a_n")):
        assert np.abs(got - ref[key]).max() < 1e-14


def test_jacobian_reference_matches_torch_autograd():
    rng = np.random.default_rng(1)
    p = _params(rng, 3, 5)
    cell = torch.nn.GRUCell(3, 5, dtype=torch.float64)
    with torch.no_grad():
        for k, v in p.items():
            getattr(cell, k).copy_(torch.from_numpy(v))
    x, h = rng.normal(size=(1, 3)), rng.uniform(-1, 1, (1, 5))
    ref = torch.autograd.functional.jacobian(
        lambda hh: cell(torch.from_numpy(x), hh[None])[0], torch.from_numpy(h[0])).numpy()
    J = ch3.step_jacobian(x, h, *p.values())[0]
    assert np.abs(J - ref).max() < 1e-12


def test_scalar_references_match_utils_timescales():
    z = np.array([0.3, 0.5, 0.9, 0.999])
    assert np.allclose(ch3.half_life(z), half_life(z), rtol=1e-14)
    t = np.array([0.5, 1.0, 7.0, 700.0])
    assert np.allclose(ch3.bias_for_half_life(t), bias_for_half_life(t), rtol=1e-9)
    b = ch3.chrono_bias(np.array(100.0), np.array([0.0, 1.0]))
    assert np.allclose(b, [0.0, np.log(99.0)])


def test_constant_gate_norm_matches_a_measured_jacobian_product():
    """W_hh = 0: the product of T step Jacobians is D(z^T); its spectral norm max z_i^T."""
    rng = np.random.default_rng(2)
    H, T = 5, 30
    p = _params(rng, 1, H)
    p["weight_hh"][:] = 0
    z_target = np.array([0.3, 0.6, 0.9, 0.95, 0.8])
    p["weight_ih"][H:2 * H] = 0
    p["bias_ih"][H:2 * H] = np.log(z_target / (1 - z_target)) - p["bias_hh"][H:2 * H]
    x = rng.normal(size=(T, 1, 1))
    h = np.zeros((1, H))
    prod = np.eye(H)
    for t in range(T):
        prod = gru_step_jacobian(p, x[t], h)[0] @ prod
        h = h  # W_hh = 0: the Jacobian does not depend on h
    measured = np.linalg.norm(prod, 2)
    assert np.isclose(measured, ch3.constant_gate_norm(z_target, np.array([T]))[0], rtol=1e-10)


def test_probes_draw_from_probe_rng_and_hidden_probes_follow_the_seed():
    from utils.checks.core import set_hidden_seed
    a = ch3._jacobian_probes("hidden")[0].args["x_t"]
    set_hidden_seed(123)
    try:
        b = ch3._jacobian_probes("hidden")[0].args["x_t"]
    finally:
        set_hidden_seed(None)
    assert not np.array_equal(a, b)
    assert np.array_equal(ch3._jacobian_probes("public")[0].args["x_t"],
                          ch3._jacobian_probes("public")[0].args["x_t"])


# ------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize("q", ch3.QUESTIONS, ids=lambda q: q.name)
def test_learner_copy_of_the_reference_earns_every_point(q):
    v = verdict(q.name, as_learner(q.reference), "all")
    assert v.status == "correct" and v.points == v.max_points == 2, v.message


@pytest.mark.parametrize("q", ch3.QUESTIONS, ids=lambda q: q.name)
def test_calling_the_reference_is_flagged(q):
    v = verdict(q.name, q.reference)
    assert v.status == "flagged" and v.points == 0


@pytest.mark.parametrize("q, k", [(q, k) for q in ch3.QUESTIONS for k in range(len(q.mistakes))],
                         ids=lambda x: getattr(x, "name", str(x)))
def test_each_known_mistake_gets_its_message(q, k):
    mistake = q.mistakes[k]
    for level in ("public", "hidden"):
        v = verdict(q.name, as_learner(mistake.fn), level)
        assert v.status == "incorrect" and v.points == 0, (level, v.message)
        assert mistake.message in v.message, (level, v.message)


@pytest.mark.parametrize("q", ch3.QUESTIONS, ids=lambda q: q.name)
def test_the_stub_is_not_attempted(q):
    def stub(*args):
        raise NotImplementedError("Exercise: not yet")
    v = verdict(q.name, stub)
    assert v.status == "not attempted"


def test_questions_are_registered_in_order():
    assert checks.ASSIGNMENTS["ch3_exercises"] == "utils.checks.ch3"
    assert [q.name for q in checks.questions("ch3_exercises")] == [
        "q3_1", "q3_2", "q3_3", "q3_4", "q3_5", "q3_6"]


# ------------------------------------------------- honest answers written by hand


def _sig(a):
    return 1 / (1 + np.exp(-a))


def honest_jacobian(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """Another correct formulation: einsum, np.split, a loop over the batch, prints."""
    W_ir, W_iz, W_in = np.split(weight_ih, 3)
    W_hr, W_hz, W_hn = np.split(weight_hh, 3)
    b_ir, b_iz, b_in = np.split(bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(bias_hh, 3)
    out = []
    for x, h in zip(x_t, h_prev):
        r = _sig(W_ir @ x + b_ir + W_hr @ h + b_hr)
        z = _sig(W_iz @ x + b_iz + W_hz @ h + b_hz)
        g = W_hn @ h + b_hn
        n = np.tanh(W_in @ x + b_in + r * g)
        dn = np.diag(r) @ W_hn + np.diag(g * r * (1 - r)) @ W_hr
        J = np.diag(z) + np.einsum("i,ij->ij", (h - n) * z * (1 - z), W_hz) \
            + np.diag((1 - z) * (1 - n**2)) @ dn
        out.append(J)
    print("computed", len(out), "Jacobians")
    return np.array(out)


def test_an_honest_different_formulation_gets_full_marks():
    v = verdict("q3_3", honest_jacobian, "all")
    assert v.status == "correct" and v.points == 2, v.message


def test_a_hand_written_jacobian_missing_the_r_path_names_the_term():
    def jac(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = weight_hh.shape[1]
        a = x_t @ weight_ih.T + bias_ih
        r = _sig(a[:, :H] + h_prev @ weight_hh[:H].T + bias_hh[:H])
        z = _sig(a[:, H:2 * H] + h_prev @ weight_hh[H:2 * H].T + bias_hh[H:2 * H])
        n = np.tanh(a[:, 2 * H:] + r * (h_prev @ weight_hh[2 * H:].T + bias_hh[2 * H:]))
        J = np.stack([np.diag(zz) for zz in z])
        J += ((h_prev - n) * z * (1 - z))[:, :, None] * weight_hh[H:2 * H]
        J += ((1 - z) * (1 - n**2) * r)[:, :, None] * weight_hh[2 * H:]
        return J
    v = verdict("q3_3", jac)
    assert v.status == "incorrect" and "through the reset gate" in v.message, v.message


def test_a_jacobian_with_a_wrong_highway_is_isolated_to_the_highway():
    def jac(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        return honest_jacobian(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) + 0.01 * \
            np.eye(weight_hh.shape[1])
    v = verdict("q3_3", jac)
    assert v.status == "incorrect" and "Problem in the highway term" in v.message, v.message


def test_half_life_with_log2_is_right():
    v = verdict("q3_1", lambda z: -1.0 / np.log2(z), "all")
    assert v.status == "correct", v.message
