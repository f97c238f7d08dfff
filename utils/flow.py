r"""Gradient flow over long spans, for many update-gate (or forget-gate) biases at once, and
how much of it the GRU's highway carries.

The step Jacobian of a GRU is :math:`J_t = D(z_t) + (\text{update-gate term}) +
(\text{candidate term})` (:mod:`utils.jacobians`). Keeping only the highway gives the product
:math:`\prod_t D(z_t)`, a diagonal matrix whose spectral norm is
:math:`\max_i \prod_t z_{t,i}`: what would reach :math:`h_0` if the gradient only flowed along
the copies :math:`z_t \odot h_{t-1}`.

:func:`flow_grid` measures :math:`\|\partial s_t / \partial s_0\|_2` for ``t = 0..T`` for a
list of gate biases in one pass: a cell from :func:`utils.gradients.build_cell` gets one more
input, a constant whose weight is 1 into the gate that keeps the state (``z`` in r | z | n,
``f`` in i | f | g | o) and 0 elsewhere; feeding it the value ``b`` adds ``b`` to that gate's
bias, so every bias runs as its own slice of one batch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from utils.gradients import build_cell, state_jacobians, state_size

__all__ = ["Flow", "flow_grid", "state_gradients"]


@dataclass(frozen=True)
class Flow:
    """Norms against the span ``t = 0..T`` for each bias: arrays ``(B, N, T + 1)``.

    ``total[b, n, t]`` is :math:`\\|\\partial s_t/\\partial s_0\\|_2` for bias ``biases[b]`` and
    sequence ``n``; for the GRU ``highway[b, n, t]`` is :math:`\\max_i \\prod_{s \\le t}
    z_{s,i}` and ``z_mean[b]`` the mean update gate (``None`` for other cells).
    """

    kind: str
    spectral_radius: float
    biases: tuple[float, ...]
    total: NDArray[np.float64]
    highway: NDArray[np.float64] | None
    z_mean: NDArray[np.float64] | None

    @property
    def steps(self) -> NDArray[np.int64]:
        return np.arange(self.total.shape[-1])

    def at(self, bias: float) -> int:
        """Index of ``bias`` in ``biases``."""
        return self.biases.index(float(bias))


@functools.cache
def flow_grid(kind: str, spectral_radius: float, biases: tuple[float, ...] = (0.0,), *,
              seq_len: int = 200, hidden_size: int = 16, input_size: int = 8,
              n_samples: int = 4, seed: int = 0) -> Flow:
    """Gradient norms of a ``kind`` cell ("rnn", "gru", "lstm") for every bias in ``biases``.

    The cell is ``build_cell(kind, input_size, hidden_size, spectral_radius=...)`` (every
    recurrent block of spectral radius ``spectral_radius``, seeded by ``seed``), the inputs
    :math:`\\mathcal N(0, 1)` (seed ``seed + 1``), the same for every bias. The RNN has no gate:
    ``biases`` must be ``(0.0,)``. Cached per process.
    """
    biases = tuple(float(b) for b in biases)
    if kind == "rnn" and biases != (0.0,):
        raise ValueError(f"flow_grid: the RNN has no gate bias, got biases={biases}")
    base = build_cell(kind, input_size, hidden_size, spectral_radius=spectral_radius,
                      generator=torch.Generator().manual_seed(seed))
    H, B, N = hidden_size, len(biases), n_samples
    cls = type(base)
    cell = cls(input_size + 1, H).double()  # one more input: the bias offset
    with torch.no_grad():
        for name in ("weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(base, name))
        extra = torch.zeros(base.weight_ih.shape[0], 1, dtype=torch.float64)
        if kind in ("gru", "lstm"):
            extra[H:2 * H] = 1.0  # z in r|z|n, f in i|f|g|o
        cell.weight_ih.copy_(torch.cat([base.weight_ih, extra], dim=1))
    xs = torch.randn(seq_len, N, input_size, generator=torch.Generator().manual_seed(seed + 1),
                     dtype=torch.float64)  # (T, N, H_in)
    offsets = torch.tensor(biases, dtype=torch.float64).repeat_interleave(N)  # (B·N,)
    xs = torch.cat([xs.repeat(1, B, 1), offsets.expand(seq_len, B * N)[..., None]], dim=2)
    s0 = torch.zeros(B * N, state_size(kind, H), dtype=torch.float64)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # many tiny ops: a second thread only adds overhead
    try:
        jac = state_jacobians(cell, xs, s0)  # (T + 1, B·N, S, S)
        total = torch.linalg.matrix_norm(jac, ord=2).T.reshape(B, N, seq_len + 1).numpy()
        highway = z_mean = None
        if isinstance(cell, nn.GRUCell):
            zs, h = [], s0
            with torch.no_grad():
                for x_t in xs:
                    a_z = (x_t @ cell.weight_ih[H:2 * H].T + cell.bias_ih[H:2 * H]
                           + h @ cell.weight_hh[H:2 * H].T + cell.bias_hh[H:2 * H])
                    zs.append(torch.sigmoid(a_z))
                    h = cell(x_t, h)
            z = torch.stack(zs).numpy().reshape(seq_len, B, N, H)
            log_keep = np.concatenate([np.zeros((1, B, N, H)), np.cumsum(np.log(z), axis=0)])
            highway = np.exp(log_keep.max(axis=3)).transpose(1, 2, 0)  # (B, N, T + 1)
            z_mean = z.mean(axis=(0, 2, 3))
    finally:
        torch.set_num_threads(threads)
    return Flow(kind, float(spectral_radius), biases, total.copy(), highway, z_mean)


def state_gradients(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                    loss_fn: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r""":math:`\partial L / \partial h_t` and :math:`z_t` at every step of a GRU model.

    ``model`` is a ``utils.torch_cells.SequenceModel`` around a one-layer ``torch.nn.GRU``
    (read-out from the last state). The sequence is re-run step by step with a
    ``torch.nn.GRUCell`` holding the same weights, keeping every :math:`h_t` in the graph, so
    that the gradient of ``loss_fn(head(h_T), y)`` with respect to each :math:`h_t` is
    available. ``X (T, N, H_in)``. Returns ``(dh (T, N, H), z (T, N, H))``.
    """
    gru = model.cell
    if not isinstance(gru, nn.GRU) or gru.num_layers != 1:
        raise ValueError(f"state_gradients: expected a one-layer torch.nn.GRU, got {gru!r}")
    H = gru.hidden_size
    cell = nn.GRUCell(gru.input_size, H, dtype=X.dtype)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(gru, name + "_l0"))
    h = X.new_zeros(X.shape[1], H)
    hs, zs = [], []
    for x_t in X:
        with torch.no_grad():
            a_z = (x_t @ cell.weight_ih[H:2 * H].T + cell.bias_ih[H:2 * H]
                   + h @ cell.weight_hh[H:2 * H].T + cell.bias_hh[H:2 * H])
            zs.append(torch.sigmoid(a_z))
        h = cell(x_t, h)
        h.retain_grad()
        hs.append(h)
    loss = loss_fn(model.head(h), y)
    loss.backward()
    dh = torch.stack([h_t.grad for h_t in hs]).detach().numpy()
    return dh, torch.stack(zs).numpy()
