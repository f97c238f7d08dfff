"""utils.jacobians and utils.timescales against PyTorch autograd in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.jacobians import (
    gru_backward_step,
    gru_gates,
    gru_step_jacobian,
    jacobian_product,
    rnn_step_jacobian,
)
from utils.numpy_cells import GRUCell
from utils.timescales import (
    bias_for_half_life,
    chrono_bias,
    chrono_init_,
    half_life,
    leaky_impulse_response,
    z_for_half_life,
)


def _torch_step(p, reset_after):
    """h_t(h_prev) for one sample, written in plain torch (independent of utils)."""
    w_ih, w_hh, b_ih, b_hh = (torch.from_numpy(p[k]) for k in
                              ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    H = w_hh.shape[1]

    def step(x, h):
        gi = w_ih @ x + b_ih
        r = torch.sigmoid(gi[:H] + w_hh[:H] @ h + b_hh[:H])
        z = torch.sigmoid(gi[H:2 * H] + w_hh[H:2 * H] @ h + b_hh[H:2 * H])
        if reset_after:
            n = torch.tanh(gi[2 * H:] + r * (w_hh[2 * H:] @ h + b_hh[2 * H:]))
        else:
            n = torch.tanh(gi[2 * H:] + w_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
        return (1 - z) * n + z * h

    return step


def _case(N, H_in, H, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    cell = GRUCell(H_in, H, rng=rng)
    p = {k: v * scale for k, v in cell.parameters().items()}
    return p, rng.normal(size=(N, H_in)), rng.uniform(-1, 1, size=(N, H))


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("N,H_in,H,scale", [(1, 1, 1, 1.0), (3, 2, 5, 1.0), (2, 7, 4, 3.0),
                                            (4, 3, 9, 0.5)])
def test_step_jacobian_matches_autograd(reset_after, N, H_in, H, scale):
    p, x, h = _case(N, H_in, H, seed=N * 100 + H, scale=scale)
    J = gru_step_jacobian(p, x, h, reset_after=reset_after)
    assert J.shape == (N, H, H)
    step = _torch_step(p, reset_after)
    for n in range(N):
        ref = torch.autograd.functional.jacobian(
            lambda hh: step(torch.from_numpy(x[n]), hh), torch.from_numpy(h[n])).numpy()
        assert np.abs(J[n] - ref).max() <= 1e-12


@pytest.mark.parametrize("reset_after", [True, False])
def test_terms_sum_to_the_jacobian_and_isolate(reset_after):
    p, x, h = _case(3, 2, 4, seed=5)
    t = gru_step_jacobian(p, x, h, reset_after=reset_after, terms=True)
    assert np.allclose(t["highway"] + t["update"] + t["candidate"], t["total"], atol=1e-15)
    z = gru_gates(p, x, h, reset_after=reset_after)["z"]
    assert np.allclose(np.diagonal(t["highway"], axis1=1, axis2=2), z)
    # W_hz = 0 removes the update-gate term; W_hn = W_hr = 0 removes the candidate term
    q = {k: v.copy() for k, v in p.items()}
    q["weight_hh"][4:8] = 0
    assert np.abs(gru_step_jacobian(q, x, h, reset_after=reset_after, terms=True)["update"]
                  ).max() == 0
    q = {k: v.copy() for k, v in p.items()}
    q["weight_hh"][0:4] = 0
    q["weight_hh"][8:] = 0
    assert np.abs(gru_step_jacobian(q, x, h, reset_after=reset_after, terms=True)["candidate"]
                  ).max() == 0


def test_z_to_one_gives_identity():
    p, x, h = _case(2, 3, 4, seed=1)
    p["bias_ih"][4:8] = 40.0
    J = gru_step_jacobian(p, x, h)
    assert np.abs(J - np.eye(4)).max() < 1e-15


@pytest.mark.parametrize("reset_after", [True, False])
def test_backward_step_matches_autograd_and_the_jacobian(reset_after):
    p, x, h = _case(3, 2, 5, seed=11)
    dh = np.random.default_rng(3).normal(size=(3, 5))
    out = gru_backward_step(p, x, h, dh, reset_after=reset_after)
    J = gru_step_jacobian(p, x, h, reset_after=reset_after)
    assert np.abs(out["h_prev"] - np.einsum("ni,nij->nj", dh, J)).max() < 1e-13
    # pre-activation gradients via the whole-sequence BPTT of the NumPy cell (T = 1)
    cell = GRUCell(2, 5, reset_after=reset_after)
    for k, v in p.items():
        setattr(cell, k, v.copy())
    g = cell.backward(x[None], h, dh[None])
    H = 5
    assert np.abs(g["bias_ih"][:H] - out["a_r"].sum(0)).max() < 1e-13
    assert np.abs(g["bias_ih"][H:2 * H] - out["a_z"].sum(0)).max() < 1e-13
    assert np.abs(g["bias_ih"][2 * H:] - out["a_n"].sum(0)).max() < 1e-13
    assert np.abs(g["h0"] - out["h_prev"]).max() < 1e-13


def test_rnn_jacobian_and_product():
    rng = np.random.default_rng(0)
    cell = torch.nn.RNNCell(3, 4, dtype=torch.float64)
    x, h = torch.from_numpy(rng.normal(size=3)), torch.from_numpy(rng.normal(size=4))
    ref = torch.autograd.functional.jacobian(lambda hh: cell(x, hh), h).numpy()
    h_t = cell(x, h).detach().numpy()[None]
    J = rnn_step_jacobian(cell.weight_hh.detach().numpy(), h_t)[0]
    assert np.abs(J - ref).max() < 1e-14
    Js = rng.normal(size=(3, 2, 4, 4))
    assert np.allclose(jacobian_product(Js), Js[2] @ Js[1] @ Js[0])
    with pytest.raises(ValueError, match=r"\(H, H\)"):
        rnn_step_jacobian(np.zeros((3, 4)), h_t)


def test_shape_errors_name_expected_shapes():
    p, x, h = _case(2, 3, 4, seed=0)
    with pytest.raises(ValueError, match=r"x_t of shape \(N, 3\)"):
        gru_step_jacobian(p, x[:, :2], h)
    with pytest.raises(ValueError, match=r"h_prev of shape \(2, 4\)"):
        gru_step_jacobian(p, x, h[:1])
    with pytest.raises(ValueError, match="weight_hh"):
        gru_step_jacobian({**p, "weight_hh": p["weight_hh"][:5]}, x, h)


def test_half_life_formula_and_inverse():
    z = np.array([0.5, 0.9, 0.99, 0.999])
    t = half_life(z)
    assert np.allclose(z ** t, 0.5)
    assert np.allclose(z_for_half_life(t), z)
    assert np.allclose(1 / (1 + np.exp(-bias_for_half_life(t))), z)
    assert half_life(1.0) == np.inf
    with pytest.raises(ValueError):
        half_life(0.0)
    assert np.allclose(leaky_impulse_response(z, 3)[3], z**3)


def test_half_life_matches_a_gru_impulse_response():
    """A real GRUCell with W_hz = 0 and a fixed z: the response to a pulse decays as z^t."""
    H, T = 4, 60
    t_half = np.array([2.0, 5.0, 10.0, 20.0])
    cell = torch.nn.GRUCell(1, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_hh.zero_()
        cell.weight_ih[H:2 * H].zero_()
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        cell.bias_ih[H:2 * H] = torch.from_numpy(bias_for_half_life(t_half))
        cell.weight_ih[2 * H:] = 1.0
    x = torch.zeros(T + 1, 1, 1, dtype=torch.float64)
    x[0] = 3.0
    h = torch.zeros(1, H, dtype=torch.float64)
    hs = []
    with torch.no_grad():
        for x_t in x:
            h = cell(x_t, h)
            hs.append(h[0].numpy().copy())
    hs = np.array(hs)  # after the pulse n = 0, so h_t = z^t h_0
    measured = np.array([np.interp(0.5, (hs[:, i] / hs[0, i])[::-1],
                                   np.arange(T + 1)[::-1].astype(float)) for i in range(H)])
    assert np.allclose(hs[1:] / hs[:-1], z_for_half_life(t_half), atol=1e-12)
    assert np.allclose(measured, t_half, atol=0.2)  # interpolated between integer steps


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_chrono_init_mapping(kind):
    H, t_max = 500, 100.0
    m = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](2, H, dtype=torch.float64)
    chrono_init_(m, t_max, generator=torch.Generator().manual_seed(0))
    b = (m.bias_ih_l0 + m.bias_hh_l0).detach().numpy()
    b_keep = b[H:2 * H]
    assert b_keep.min() >= 0 and b_keep.max() <= np.log(t_max - 1)
    T = 1 + np.exp(b_keep)  # characteristic time 1/(1 − σ(b)) = 1 + e^b
    assert np.allclose(1 / (1 - 1 / (1 + np.exp(-b_keep))), T)
    assert 2 <= T.min() and T.max() <= t_max and abs(T.mean() - (2 + t_max) / 2) < 5
    if kind == "lstm":
        assert np.allclose(b[:H], -b_keep)
    b2 = chrono_bias(t_max, 3, generator=torch.Generator().manual_seed(0))
    assert b2.dtype == torch.float64 and b2.shape == (3,)
    with pytest.raises(ValueError):
        chrono_bias(2.0, 3, generator=torch.Generator())
