r"""The GRU's step Jacobian :math:`\partial h_t / \partial h_{t-1}`, term by term, in NumPy.

PyTorch's GRU (gates stacked r | z | n; ``a_r, a_z, a_n`` the pre-activations):

.. math::

    r_t = \sigma(a_r), \quad z_t = \sigma(a_z), \quad n_t = \tanh(a_n), \quad
    h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t .

``h_{t-1}`` reaches ``h_t`` along three paths, so the Jacobian is a sum of three terms
(``D(v)`` is the diagonal matrix with ``v`` on its diagonal, ``σ' = σ(1 − σ)``):

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} =
    \underbrace{D(z_t)}_{\text{highway}}
    + \underbrace{D\big((h_{t-1} - n_t) \odot z_t (1 - z_t)\big) W_{hz}}_{\text{update gate}}
    + \underbrace{D\big((1 - z_t) \odot (1 - n_t^2)\big)\, \frac{\partial a_n}{\partial h_{t-1}}}
      _{\text{candidate}}

with, for the reset **after** the product (PyTorch, ``a_n = W_in x + b_in + r ⊙ (W_hn h +
b_hn)``),

.. math:: \frac{\partial a_n}{\partial h_{t-1}} = D(r_t) W_{hn}
          + D\big((W_{hn} h_{t-1} + b_{hn}) \odot r_t (1 - r_t)\big) W_{hr},

and for the reset **before** the product (Cho et al. 2014 v3, ``a_n = W_in x + b_in +
W_hn (r ⊙ h) + b_hn``),

.. math:: \frac{\partial a_n}{\partial h_{t-1}} = W_{hn} D(r_t)
          + W_{hn} D\big(h_{t-1} \odot r_t (1 - r_t)\big) W_{hr}.

The tanh RNN's step Jacobian, for comparison, is :math:`D(1 - h_t^2)\, W_{hh}`.

:func:`gru_backward_step` is the same Jacobian used the other way round (a row vector
``δh_t`` times it): one step of backpropagation through time.

Shapes: batch ``N``, input size ``H_in``, hidden size ``H``; ``x_t (N, H_in)``,
``h_prev (N, H)``; parameters in PyTorch's layout ``weight_ih (3H, H_in)``, ``weight_hh
(3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``. A Jacobian is ``(N, H, H)`` with
``J[n, i, j] = ∂h_t[n, i] / ∂h_prev[n, j]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from utils.numpy_cells import sigmoid

__all__ = ["TERMS", "gru_gates", "gru_step_jacobian", "gru_backward_step",
           "rnn_step_jacobian", "jacobian_product"]

Array = NDArray[np.float64]
TERMS: tuple[str, ...] = ("highway", "update", "candidate")


def _params(params: Any, where: str) -> tuple[Array, Array, Array, Array, int, int]:
    """``(weight_ih, weight_hh, bias_ih, bias_hh, H_in, H)`` from a mapping or a NumPy cell."""
    if hasattr(params, "parameters") and not isinstance(params, Mapping):
        params = params.parameters()
    try:
        w_ih, w_hh, b_ih, b_hh = (np.asarray(params[k], dtype=np.float64) for k in
                                  ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where}: expected GRU parameters weight_ih, weight_hh, bias_ih, "
                         f"bias_hh (a mapping or a utils.numpy_cells.GRUCell), got {exc}"
                         ) from None
    if w_hh.ndim != 2 or w_hh.shape[0] != 3 * w_hh.shape[1]:
        raise ValueError(f"{where}: expected weight_hh of shape (3H, H), got {w_hh.shape}")
    H = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != 3 * H:
        raise ValueError(f"{where}: expected weight_ih of shape ({3 * H}, H_in), got "
                         f"{w_ih.shape}")
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b.shape != (3 * H,):
            raise ValueError(f"{where}: expected {name} of shape ({3 * H},), got {b.shape}")
    return w_ih, w_hh, b_ih, b_hh, w_ih.shape[1], H


def _inputs(x_t: ArrayLike, h_prev: ArrayLike, H_in: int, H: int, where: str
            ) -> tuple[Array, Array]:
    x_t = np.asarray(x_t, dtype=np.float64)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    if x_t.ndim != 2 or x_t.shape[1] != H_in:
        raise ValueError(f"{where}: expected x_t of shape (N, {H_in}) = (batch, input_size), "
                         f"got {x_t.shape}")
    if h_prev.shape != (x_t.shape[0], H):
        raise ValueError(f"{where}: expected h_prev of shape ({x_t.shape[0]}, {H}) = "
                         f"(batch, hidden_size), got {h_prev.shape}")
    return x_t, h_prev


def gru_gates(params: Any, x_t: ArrayLike, h_prev: ArrayLike, *, reset_after: bool = True
              ) -> dict[str, Array]:
    """One GRU step with every intermediate: ``r, z, n, h`` and ``hn`` (each ``(N, H)``).

    ``hn`` is ``W_hn h_prev + b_hn`` (reset after) or ``W_hn (r ⊙ h_prev) + b_hn`` (before).
    """
    w_ih, w_hh, b_ih, b_hh, H_in, H = _params(params, "gru_gates")
    x_t, h_prev = _inputs(x_t, h_prev, H_in, H, "gru_gates")
    gi = x_t @ w_ih.T + b_ih  # (N, 3H)
    gh = h_prev @ w_hh[:2 * H].T + b_hh[:2 * H]  # (N, 2H): r and z parts
    r_t = sigmoid(gi[:, :H] + gh[:, :H])
    z_t = sigmoid(gi[:, H:2 * H] + gh[:, H:])
    W_hn, b_hn = w_hh[2 * H:], b_hh[2 * H:]
    if reset_after:
        hn = h_prev @ W_hn.T + b_hn  # (N, H)
        n_t = np.tanh(gi[:, 2 * H:] + r_t * hn)
    else:
        hn = (r_t * h_prev) @ W_hn.T + b_hn
        n_t = np.tanh(gi[:, 2 * H:] + hn)
    h_t = z_t * h_prev + (1 - z_t) * n_t
    return {"r": r_t, "z": z_t, "n": n_t, "h": h_t, "hn": hn}


def gru_step_jacobian(params: Any, x_t: ArrayLike, h_prev: ArrayLike, *,
                      reset_after: bool = True, terms: bool = False
                      ) -> Array | dict[str, Array]:
    r""":math:`\partial h_t / \partial h_{t-1}` of one GRU step, ``(N, H, H)``.

    Args:
        params: ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``, ``bias_ih``, ``bias_hh
            (3H,)`` (a mapping, or a ``utils.numpy_cells.GRUCell``).
        x_t: ``(N, H_in)``. h_prev: ``(N, H)``.
        reset_after: PyTorch's placement (True) or Cho et al. v3's (False).
        terms: return ``{"highway", "update", "candidate", "total"}`` (the three terms of the
            module docstring and their sum) instead of the sum alone.
    """
    w_ih, w_hh, b_ih, b_hh, H_in, H = _params(params, "gru_step_jacobian")
    g = gru_gates(params, x_t, h_prev, reset_after=reset_after)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    r_t, z_t, n_t = g["r"], g["z"], g["n"]
    W_hr, W_hz, W_hn = w_hh[:H], w_hh[H:2 * H], w_hh[2 * H:]
    dr = r_t * (1 - r_t)  # σ'(a_r), (N, H)
    if reset_after:  # ∂a_n/∂h = D(r) W_hn + D(hn ⊙ σ'(a_r)) W_hr
        da_n = r_t[:, :, None] * W_hn + (g["hn"] * dr)[:, :, None] * W_hr  # (N, H, H)
    else:  # ∂a_n/∂h = W_hn D(r) + W_hn D(h ⊙ σ'(a_r)) W_hr
        da_n = W_hn * r_t[:, None, :] + (W_hn * (h_prev * dr)[:, None, :]) @ W_hr
    highway = np.einsum("ni,ij->nij", z_t, np.eye(H))  # D(z_t)
    update = ((h_prev - n_t) * z_t * (1 - z_t))[:, :, None] * W_hz
    candidate = ((1 - z_t) * (1 - n_t**2))[:, :, None] * da_n
    total = highway + update + candidate
    if terms:
        return {"highway": highway, "update": update, "candidate": candidate, "total": total}
    return total


def rnn_step_jacobian(weight_hh: ArrayLike, h_t: ArrayLike) -> Array:
    r"""The tanh RNN's :math:`\partial h_t / \partial h_{t-1} = D(1 - h_t^2) W_{hh}`.

    ``weight_hh (H, H)``, ``h_t (N, H)`` (the state *after* the step) → ``(N, H, H)``.
    """
    W = np.asarray(weight_hh, dtype=np.float64)
    h_t = np.asarray(h_t, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"rnn_step_jacobian: expected weight_hh of shape (H, H), got {W.shape}")
    if h_t.ndim != 2 or h_t.shape[1] != W.shape[0]:
        raise ValueError(f"rnn_step_jacobian: expected h_t of shape (N, {W.shape[0]}), got "
                         f"{h_t.shape}")
    return (1 - h_t**2)[:, :, None] * W


def jacobian_product(jacobians: ArrayLike) -> Array:
    r""":math:`\partial h_T / \partial h_0 = J_T J_{T-1} \cdots J_1` from ``(T, N, H, H)``
    step Jacobians (``J[t]`` is step ``t + 1``'s) → ``(N, H, H)``."""
    J = np.asarray(jacobians, dtype=np.float64)
    if J.ndim != 4 or J.shape[2] != J.shape[3]:
        raise ValueError(f"jacobian_product: expected (T, N, H, H), got {J.shape}")
    out = np.broadcast_to(np.eye(J.shape[2]), J.shape[1:]).copy()
    for J_t in J:
        out = J_t @ out
    return out


def gru_backward_step(params: Any, x_t: ArrayLike, h_prev: ArrayLike, dh_t: ArrayLike, *,
                      reset_after: bool = True) -> dict[str, Array]:
    r"""One step of BPTT: given :math:`\delta h_t = \partial L / \partial h_t` ``(N, H)``,
    the gradients with respect to ``h_prev`` and to the three pre-activations.

    .. math::

        \delta a_n &= \delta h_t \odot (1 - z_t) \odot (1 - n_t^2), \qquad
        \delta a_z = \delta h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
        \delta a_r &= \delta a_n \odot (W_{hn} h_{t-1} + b_{hn}) \odot r_t (1 - r_t)
            \quad\text{(reset after)}, \\
        \delta h_{t-1} &= \delta h_t \odot z_t + \delta a_z W_{hz} + \delta a_r W_{hr}
            + (\delta a_n \odot r_t) W_{hn} \quad\text{(reset after)},

    that is :math:`\delta h_{t-1} = \delta h_t\, \partial h_t / \partial h_{t-1}`.
    Returns ``{"h_prev", "a_r", "a_z", "a_n"}``, each ``(N, H)``.
    """
    w_ih, w_hh, b_ih, b_hh, H_in, H = _params(params, "gru_backward_step")
    g = gru_gates(params, x_t, h_prev, reset_after=reset_after)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    dh_t = np.asarray(dh_t, dtype=np.float64)
    if dh_t.shape != h_prev.shape:
        raise ValueError(f"gru_backward_step: expected dh_t of shape {h_prev.shape} (like "
                         f"h_prev), got {dh_t.shape}")
    r_t, z_t, n_t = g["r"], g["z"], g["n"]
    W_hr, W_hz, W_hn = w_hh[:H], w_hh[H:2 * H], w_hh[2 * H:]
    da_n = dh_t * (1 - z_t) * (1 - n_t**2)
    da_z = dh_t * (h_prev - n_t) * z_t * (1 - z_t)
    if reset_after:
        da_r = da_n * g["hn"] * r_t * (1 - r_t)
        dh_prev = dh_t * z_t + da_z @ W_hz + da_r @ W_hr + (da_n * r_t) @ W_hn
    else:
        d_rh = da_n @ W_hn  # ∂L/∂(r ⊙ h_prev)
        da_r = d_rh * h_prev * r_t * (1 - r_t)
        dh_prev = dh_t * z_t + da_z @ W_hz + da_r @ W_hr + d_rh * r_t
    return {"h_prev": dh_prev, "a_r": da_r, "a_z": da_z, "a_n": da_n}
