"""utils.checks.ch4: references against torch (float64) and autograd, every known mistake caught
and named, honest answers (other formulations, Python ints, any bias split) get full marks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.checks import ch4, check, questions

QS = {q.name: q for q in questions("ch4_exercises")}
NAMES = ["q4_1", "q4_2", "q4_3", "q4_4", "q4_5"]


def test_registered():
    assert [n for n in QS if n.startswith("q")] == NAMES


def _torch_peephole_step(a: dict, c_prev: torch.Tensor | None = None):
    """The peephole LSTM written with torch operations on float64 tensors (its c_prev may be
    a tensor that requires grad)."""
    t = {k: torch.from_numpy(v) for k, v in a.items()}
    c = t["c_prev"] if c_prev is None else c_prev
    H = t["weight_hh"].shape[1]
    pre = t["x_t"] @ t["weight_ih"].T + t["h_prev"] @ t["weight_hh"].T + t["bias_ih"] \
        + t["bias_hh"]
    p_i, p_f, p_o = t["peephole"].split(H)
    i = torch.sigmoid(pre[:, :H] + p_i * c)
    f = torch.sigmoid(pre[:, H:2 * H] + p_f * c)
    g = torch.tanh(pre[:, 2 * H:3 * H])
    c_t = f * c + i * g
    o = torch.sigmoid(pre[:, 3 * H:] + p_o * c_t)
    return o * torch.tanh(c_t), c_t


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_peephole_reference_is_torch_lstm_cell_without_peepholes(level):
    for probe in QS["q4_1"].probes(level):
        a = dict(probe.args, peephole=np.zeros_like(probe.args["peephole"]))
        H, H_in = a["weight_hh"].shape[1], a["weight_ih"].shape[1]
        cell = torch.nn.LSTMCell(H_in, H, dtype=torch.float64)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(torch.from_numpy(a[name]))
            h, c = cell(torch.from_numpy(a["x_t"]),
                        (torch.from_numpy(a["h_prev"]), torch.from_numpy(a["c_prev"])))
        h_ref, c_ref = ch4.peephole_lstm_step(**a)
        np.testing.assert_allclose(h_ref, h.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(c_ref, c.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_peephole_reference_is_the_torch_formula(level):
    for probe in QS["q4_1"].probes(level):
        h, c = _torch_peephole_step(probe.args)
        h_ref, c_ref = ch4.peephole_lstm_step(**probe.args)
        np.testing.assert_allclose(h_ref, h.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(c_ref, c.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_jacobian_reference_is_autograd(level):
    for probe in QS["q4_4"].probes(level):
        a = probe.args
        c_prev = torch.from_numpy(a["c_prev"]).clone().requires_grad_(True)
        full = torch.autograd.functional.jacobian(
            lambda c: _torch_peephole_step(a, c)[1], c_prev)  # (N, H, N, H)
        N, H = a["c_prev"].shape
        diag = torch.stack([torch.stack([full[n, j, n, j] for j in range(H)])
                            for n in range(N)])
        off = full.clone()
        for n in range(N):
            for j in range(H):
                off[n, j, n, j] = 0
        assert off.abs().max().item() == 0  # diagonal peepholes: c_t[j] reads c_prev[j] only
        np.testing.assert_allclose(ch4.peephole_cell_jacobian(**a), diag.numpy(),
                                   rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_backward_reference_is_autograd(level):
    for probe in QS["q4_5"].probes(level):
        a = {k: v for k, v in probe.args.items() if k not in ("dh_t", "dc_t")}
        c_prev = torch.from_numpy(a["c_prev"]).clone().requires_grad_(True)
        h_t, c_t = _torch_peephole_step(a, c_prev)
        loss = (h_t * torch.from_numpy(probe.args["dh_t"])).sum() \
            + (c_t * torch.from_numpy(probe.args["dc_t"])).sum()
        loss.backward()
        np.testing.assert_allclose(ch4.peephole_grad_c_prev(**probe.args),
                                   c_prev.grad.numpy(), rtol=1e-12, atol=1e-13)


def _onnx_lstm_step(W, R, B, P, x, h, c):
    """ONNX's LSTM equations (operator LSTM, one direction, default activations) in NumPy."""
    W, R, B, P = W[0], R[0], B[0], P[0]
    H = R.shape[1]
    pre = x @ W.T + h @ R.T + B[:4 * H] + B[4 * H:]  # (N, 4H), blocks i | o | f | c
    a_i, a_o, a_f, a_c = (pre[:, k * H:(k + 1) * H] for k in range(4))
    p_i, p_o, p_f = (P[k * H:(k + 1) * H] for k in range(3))
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f = s(a_i + p_i * c), s(a_f + p_f * c)
    c_t = f * c + i * np.tanh(a_c)
    o = s(a_o + p_o * c_t)
    return o * np.tanh(c_t), c_t


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_onnx_conversion_runs_the_same_step(level):
    rng = np.random.default_rng(0)
    for probe in QS["q4_2"].probes(level):
        a = probe.args
        H, H_in = a["R"].shape[2], a["W"].shape[2]
        x, h, c = rng.normal(size=(3, H_in)), rng.normal(size=(3, H)), rng.normal(size=(3, H))
        w_ih, w_hh, b_sum, b_zero, peep = ch4.onnx_to_torch(**a)
        ours = ch4.peephole_lstm_step(x, h, c, w_ih, w_hh, b_sum, b_zero, peep)
        theirs = _onnx_lstm_step(a["W"], a["R"], a["B"], a["P"], x, h, c)
        for u, v in zip(ours, theirs):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_tf1_reference_runs_as_torch_lstm_cell(level):
    """TF1's BasicLSTMCell equations (forget_bias = 1) on the converted kernel and bias give
    torch.nn.LSTMCell's h_t and c_t; the unconverted forget bias does not."""
    rng = np.random.default_rng(1)
    for probe in QS["q4_3"].probes(level):
        a = probe.args
        H, H_in = a["weight_hh"].shape[1], a["weight_ih"].shape[1]
        cell = torch.nn.LSTMCell(H_in, H, dtype=torch.float64)
        with torch.no_grad():
            for name in a:
                getattr(cell, name).copy_(torch.from_numpy(a[name]))
        x, h, c = rng.normal(size=(3, H_in)), rng.normal(size=(3, H)), rng.normal(size=(3, H))
        with torch.no_grad():
            h_t, c_t = (v.numpy() for v in cell(torch.from_numpy(x),
                                                 (torch.from_numpy(h), torch.from_numpy(c))))
        kernel, bias = ch4.torch_to_tf1(**a)
        assert kernel.shape == (H_in + H, 4 * H) and bias.shape == (4 * H,)
        for got, want in zip(ch4.tf1_lstm_step(x, h, c, kernel, bias), (h_t, c_t)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
        unshifted = ch4.torch_to_tf1(**a, forget="none")
        assert not np.allclose(ch4.tf1_lstm_step(x, h, c, *unshifted)[1], c_t)


# Every known mistake is told apart from the reference and named on every run:
# tests/test_checks_mistakes.py, for every chapter.


def test_stub_is_not_attempted():
    def stub(*args):
        raise NotImplementedError("Exercise 4.1: one peephole LSTM step")

    assert check("q4_1", stub).status == "not attempted"


# ---------------------------------------------------------------------- honest answers


def honest_peephole(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, peephole):
    print("computing a step")  # prints are fine
    H = weight_hh.shape[1]
    a = np.einsum("nk,gk->ng", x_t, weight_ih) + np.einsum("nk,gk->ng", h_prev, weight_hh)
    a_i, a_f, a_g, a_o = np.split(a + bias_ih + bias_hh, 4, axis=1)
    p_i, p_f, p_o = np.split(peephole, 3)
    sigma = lambda v: 0.5 * (1 + np.tanh(v / 2))  # noqa: E731 (another exact form of σ)
    c_t = sigma(a_f + p_f * c_prev) * c_prev + sigma(a_i + p_i * c_prev) * np.tanh(a_g)
    assert c_t.shape[1] == H
    return sigma(a_o + p_o * c_t) * np.tanh(c_t), c_t


def honest_onnx_split_bias(W, R, B, P):
    H = R.shape[-1]
    order = [0, 2, 3, 1]  # PyTorch's i, f, g, o are ONNX's blocks 0, 2, 3, 1

    def move(M):
        return np.concatenate([M[k * H:(k + 1) * H] for k in order])

    Wb, Rb = B[0, :4 * H], B[0, 4 * H:]
    peephole = np.concatenate([P[0, :H], P[0, 2 * H:], P[0, H:2 * H]])
    return move(W[0]), move(R[0]), move(Wb), move(Rb), peephole  # any split of the bias


def honest_onnx_reshape(W, R, B, P):
    H = R.shape[-1]
    perm = [0, 2, 3, 1]
    w = W[0].reshape(4, H, -1)[perm].reshape(4 * H, -1)
    r = R[0].reshape(4, H, H)[perm].reshape(4 * H, H)
    b = B[0].reshape(2, 4, H)[:, perm].sum(axis=0).reshape(-1)
    p = P[0].reshape(3, H)[[0, 2, 1]].reshape(-1)
    return w, r, np.zeros(4 * H), b, p


def honest_tf1_by_index(weight_ih, weight_hh, bias_ih, bias_hh):
    """Another honest form: index arrays instead of blocks, the shift on a copy."""
    H = weight_hh.shape[1]
    rows = np.r_[0:H, 2 * H:3 * H, H:2 * H, 3 * H:4 * H]  # i, g, f, o
    kernel = np.hstack([weight_ih, weight_hh])[rows].T
    bias = (bias_ih + bias_hh)[rows] - np.r_[np.zeros(2 * H), np.ones(H), np.zeros(H)]
    return kernel, bias


def honest_tf1_torch(weight_ih, weight_hh, bias_ih, bias_hh):
    """Built with torch tensors, returned as NumPy."""
    w = torch.cat([torch.from_numpy(weight_ih), torch.from_numpy(weight_hh)], dim=1)
    b = torch.from_numpy(bias_ih + bias_hh)
    i, f, g, o = w.chunk(4)
    bi, bf, bg, bo = b.chunk(4)
    return (torch.cat([i, g, f, o]).T.numpy(), torch.cat([bi, bg, bf - 1, bo]).numpy())


def honest_jacobian_autodiff_free(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                                  peephole):
    a_i, a_f, a_g, _ = np.split(x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh, 4,
                                axis=1)
    p_i, p_f, _ = np.split(peephole, 3)
    i = 1 / (1 + np.exp(-(a_i + p_i * c_prev)))
    f = 1 / (1 + np.exp(-(a_f + p_f * c_prev)))
    return f + c_prev * f * (1 - f) * p_f + np.tanh(a_g) * i * (1 - i) * p_i


def honest_backward_with_torch(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                               peephole, dh_t, dc_t):
    """Autograd is an honest way to check a derivation, and an honest answer too."""
    a = dict(x_t=x_t, h_prev=h_prev, c_prev=c_prev, weight_ih=weight_ih, weight_hh=weight_hh,
             bias_ih=bias_ih, bias_hh=bias_hh, peephole=peephole)
    c = torch.tensor(c_prev, dtype=torch.float64, requires_grad=True)
    h_t, c_t = _torch_peephole_step(a, c)
    ((h_t * torch.from_numpy(dh_t)).sum() + (c_t * torch.from_numpy(dc_t)).sum()).backward()
    return c.grad.numpy()


@pytest.mark.parametrize("name, fn", [
    ("q4_5", honest_backward_with_torch),
    ("q4_1", honest_peephole), ("q4_2", honest_onnx_split_bias), ("q4_2", honest_onnx_reshape),
    ("q4_3", honest_tf1_by_index), ("q4_3", honest_tf1_torch),
    ("q4_4", honest_jacobian_autodiff_free)])
def test_honest_answers_get_full_marks(name, fn):
    verdict = check(name, fn, "all")
    assert verdict.status == "correct", verdict.message
    assert verdict.points == verdict.max_points

