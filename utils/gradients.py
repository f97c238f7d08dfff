r"""How much of the initial state survives T steps: norms of the Jacobian ∂s_T/∂s_0.

Backpropagation through time multiplies one Jacobian per step. For the tanh RNN
:math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`,

.. math::

    \frac{\partial h_T}{\partial h_0} = \prod_{t=T}^{1} \mathrm{diag}(1 - h_t^2)\, W_{hh},

so the norm behaves roughly like :math:`\rho(W_{hh})^T` (times the tanh slopes, all ≤ 1): it
vanishes when the spectral radius :math:`\rho < 1` and can explode when :math:`\rho > 1`.

This module builds cells whose recurrent matrices have a chosen spectral radius
(:func:`recurrent_matrix`, :func:`build_cell`) and measures the Jacobian of the state after
``t`` steps with respect to the initial state, exactly (forward-mode autograd in float64,
one Jacobian-vector product per state coordinate), for every ``t`` of a sequence at once
(:func:`state_jacobians`, :func:`gradient_norms`). The state ``s_t`` is ``h_t`` for the RNN and
the GRU, and ``[h_t; c_t]`` (size ``2H``) for the LSTM: the initial cell state is part of what
the LSTM remembers.

Shapes: ``T`` steps, ``N`` samples (batch), ``H_in`` input size, ``H`` hidden size, ``S`` state
size (``H``, or ``2H`` for the LSTM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.func import jvp, vmap

__all__ = [
    "CELL_KINDS",
    "GradientNorms",
    "LinearRNNCell",
    "build_cell",
    "directions_alive",
    "gradient_norms",
    "recurrent_matrix",
    "rnn_jacobian_analytic",
    "state_jacobians",
    "state_size",
    "step_jacobian",
]

# kind -> number of stacked gates G in weight_hh (G·H, H).
_GATES = {"linear": 1, "rnn": 1, "gru": 3, "lstm": 4}
CELL_KINDS: tuple[str, ...] = tuple(_GATES)


class LinearRNNCell(nn.Module):
    r"""The RNN without its nonlinearity:
    :math:`h_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`.

    Same parameter names and shapes as ``torch.nn.RNNCell``: ``weight_ih (H, H_in)``,
    ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``. Here
    :math:`\partial h_T / \partial h_0 = W_{hh}^T` exactly, the baseline of the eigenvalue
    argument.

    Inputs: ``x (N, H_in)``, ``h (N, H)``. Output: ``h_t (N, H)``.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.zeros(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.zeros(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.zeros(hidden_size))
        self.bias_hh = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh


def _check_kind(kind: str) -> str:
    if kind not in _GATES:
        raise ValueError(f"unknown cell kind {kind!r}; expected one of {', '.join(CELL_KINDS)}")
    return kind


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def state_size(kind: str, hidden_size: int) -> int:
    """Size ``S`` of the recurrent state: ``2H`` for the LSTM (``[h; c]``), else ``H``."""
    return 2 * hidden_size if _check_kind(kind) == "lstm" else hidden_size


def recurrent_matrix(
    hidden_size: int,
    spectral_radius: float,
    *,
    generator: torch.Generator,
    method: str = "orthogonal",
) -> torch.Tensor:
    r"""A random ``(H, H)`` float64 matrix :math:`W` whose spectral radius is ``spectral_radius``.

    - ``"orthogonal"``: :math:`W = \rho Q` with :math:`Q` a random orthogonal matrix (QR of a
      Gaussian matrix, signs fixed so that :math:`Q` is Haar-distributed). Every eigenvalue has
      modulus :math:`\rho`, and :math:`\|W^T\|_2 = \rho^T` exactly.
    - ``"gaussian"``: :math:`W = \rho\, G / \max_i |\lambda_i(G)|` with :math:`G_{ij} \sim
      \mathcal N(0, 1/H)`. Not normal, so :math:`\|W^T\|_2 \approx C \rho^T` only for large
      :math:`T`.

    Args:
        hidden_size: :math:`H`.
        spectral_radius: :math:`\rho \ge 0`, the largest eigenvalue modulus.
        generator: the source of randomness (a seeded ``torch.Generator``).
        method: ``"orthogonal"`` or ``"gaussian"``.

    Returns:
        ``W`` of shape ``(H, H)``, dtype float64.
    """
    h = _check_positive_int("hidden_size", hidden_size)
    if not (math.isfinite(spectral_radius) and spectral_radius >= 0):
        raise ValueError(f"spectral_radius must be finite and >= 0, got {spectral_radius!r}")
    g = torch.randn(h, h, generator=generator, dtype=torch.float64) / math.sqrt(h)
    if method == "orthogonal":
        q, r = torch.linalg.qr(g)
        signs = torch.sign(torch.diagonal(r))
        signs[signs == 0] = 1.0
        return spectral_radius * q * signs  # scales column j by sign(r_jj)
    if method == "gaussian":
        radius = torch.linalg.eigvals(g).abs().max()
        return spectral_radius * g / radius
    raise ValueError(f"unknown method {method!r}; expected 'orthogonal' or 'gaussian'")


def build_cell(
    kind: str,
    input_size: int,
    hidden_size: int,
    *,
    spectral_radius: float,
    generator: torch.Generator,
    gate_bias: float = 0.0,
    method: str = "orthogonal",
) -> nn.Module:
    r"""A float64 cell whose every recurrent block has spectral radius ``spectral_radius``.

    ``kind`` is ``"linear"`` (:class:`LinearRNNCell`), ``"rnn"`` (``torch.nn.RNNCell``, tanh),
    ``"gru"`` (``torch.nn.GRUCell``) or ``"lstm"`` (``torch.nn.LSTMCell``). Each of the ``G``
    stacked ``(H, H)`` blocks of ``weight_hh (G·H, H)`` (gates r|z|n, i|f|g|o) is an independent
    :func:`recurrent_matrix`. ``weight_ih (G·H, H_in)`` is PyTorch's default
    :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`, drawn from ``generator``. Biases are zero, except
    the gate that keeps the old state: ``bias_ih[H:2H] = gate_bias``, which is the LSTM's
    forget gate :math:`f_t` (gates i|f|g|o; Jozefowicz et al. 2015 use 1) and the GRU's update
    gate :math:`z_t` (gates r|z|n; :math:`h_t = (1-z_t) \odot n_t + z_t \odot h_{t-1}`), so
    that the gate starts near :math:`\sigma(b)`.

    Returns:
        The cell (an ``nn.Module`` in float64), called as ``cell(x, h)`` (``cell(x, (h, c))``
        for the LSTM) with ``x (N, H_in)``, ``h, c (N, H)``.
    """
    _check_kind(kind)
    i = _check_positive_int("input_size", input_size)
    h = _check_positive_int("hidden_size", hidden_size)
    if not math.isfinite(gate_bias):
        raise ValueError(f"gate_bias must be finite, got {gate_bias!r}")
    if gate_bias != 0.0 and kind not in ("gru", "lstm"):
        raise ValueError(f"gate_bias applies to the GRU and the LSTM only, got kind={kind!r}")
    cls = {"linear": LinearRNNCell, "rnn": nn.RNNCell, "gru": nn.GRUCell,
           "lstm": nn.LSTMCell}[kind]
    cell = cls(i, h).double()
    gates = _GATES[kind]
    bound = 1.0 / math.sqrt(h)
    with torch.no_grad():
        blocks = [recurrent_matrix(h, spectral_radius, generator=generator, method=method)
                  for _ in range(gates)]
        cell.weight_hh.copy_(torch.cat(blocks, dim=0))  # (G·H, H)
        cell.weight_ih.uniform_(-bound, bound, generator=generator)  # (G·H, H_in)
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        if kind in ("gru", "lstm"):
            cell.bias_ih[h:2 * h] = gate_bias  # z in r|z|n, f in i|f|g|o
    return cell


def _step_fn(cell: nn.Module, x_t: torch.Tensor):
    """The map ``s_{t-1} (N, S) -> s_t (N, S)`` for the input ``x_t (N, H_in)``."""
    if isinstance(cell, nn.LSTMCell):
        h = cell.hidden_size

        def step(s: torch.Tensor) -> torch.Tensor:
            h_t, c_t = cell(x_t, (s[:, :h], s[:, h:]))
            return torch.cat([h_t, c_t], dim=1)

        return step
    return lambda s: cell(x_t, s)


def step_jacobian(
    cell: nn.Module, x_t: torch.Tensor, s_prev: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""One step and its Jacobian :math:`A_t = \partial s_t / \partial s_{t-1}`, in closed form.

    With :math:`a_{\cdot} = W_{i\cdot} x_t + b_{i\cdot} + W_{h\cdot} h_{t-1} + b_{h\cdot}`,
    :math:`\sigma' = \sigma(1-\sigma)` and :math:`\tanh' = 1 - \tanh^2`:

    - linear RNN: :math:`A_t = W_{hh}`.
    - tanh RNN: :math:`A_t = \mathrm{diag}(1 - h_t^2)\, W_{hh}`.
    - GRU, :math:`h_t = (1-z_t) \odot n_t + z_t \odot h_{t-1}` with
      :math:`n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))`:
      :math:`A_t = \mathrm{diag}(z_t) + \mathrm{diag}((h_{t-1} - n_t)\, z_t(1-z_t))\, W_{hz}
      + \mathrm{diag}((1-z_t)(1-n_t^2)) [\mathrm{diag}(r_t) W_{hn} + \mathrm{diag}((W_{hn}
      h_{t-1} + b_{hn})\, r_t(1-r_t)) W_{hr}]`.
    - LSTM, :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t`, :math:`h_t = o_t \odot
      \tanh(c_t)`, state :math:`[h; c]`: :math:`\partial c_t/\partial c_{t-1} =
      \mathrm{diag}(f_t)` (the additive path), :math:`\partial c_t/\partial h_{t-1} =
      \mathrm{diag}(c_{t-1} f_t') W_{hf} + \mathrm{diag}(g_t i_t') W_{hi} +
      \mathrm{diag}(i_t g_t') W_{hg}`, and :math:`\partial h_t/\partial\,\cdot =
      \mathrm{diag}(\tanh(c_t)\, o_t')\, \partial a_o/\partial\,\cdot +
      \mathrm{diag}(o_t \tanh'(c_t))\, \partial c_t/\partial\,\cdot`.

    Args:
        cell: ``LinearRNNCell``, or ``torch.nn.RNNCell`` (tanh), ``GRUCell``, ``LSTMCell``.
        x_t: input of shape ``(N, H_in)``.
        s_prev: state :math:`s_{t-1}` of shape ``(N, S)`` (``[h; c]`` for the LSTM).

    Returns:
        ``(s_t, A_t)`` of shapes ``(N, S)`` and ``(N, S, S)``.
    """
    w_hh = cell.weight_hh  # (G·H, H)
    h = cell.hidden_size
    if isinstance(cell, LinearRNNCell):
        s_t = cell(x_t, s_prev)
        return s_t, w_hh.expand(s_prev.shape[0], h, h)
    if isinstance(cell, nn.RNNCell):
        if cell.nonlinearity != "tanh":
            raise ValueError(f"step_jacobian: expected a tanh RNNCell, got {cell.nonlinearity!r}")
        s_t = cell(x_t, s_prev)  # (N, H)
        return s_t, (1 - s_t**2).unsqueeze(2) * w_hh  # diag(1 - h_t²) W_hh
    gi = x_t @ cell.weight_ih.T + cell.bias_ih  # (N, G·H)
    if isinstance(cell, nn.GRUCell):
        h_prev = s_prev
        gh = h_prev @ w_hh.T + cell.bias_hh  # (N, 3H)
        r_t = torch.sigmoid(gi[:, :h] + gh[:, :h])
        z_t = torch.sigmoid(gi[:, h:2 * h] + gh[:, h:2 * h])
        n_t = torch.tanh(gi[:, 2 * h:] + r_t * gh[:, 2 * h:])
        h_t = (1 - z_t) * n_t + z_t * h_prev
        w_hr, w_hz, w_hn = w_hh[:h], w_hh[h:2 * h], w_hh[2 * h:]
        dn = r_t.unsqueeze(2) * w_hn + (gh[:, 2 * h:] * r_t * (1 - r_t)).unsqueeze(2) * w_hr
        a_t = (torch.diag_embed(z_t)
               + ((h_prev - n_t) * z_t * (1 - z_t)).unsqueeze(2) * w_hz
               + ((1 - z_t) * (1 - n_t**2)).unsqueeze(2) * dn)  # (N, H, H)
        return h_t, a_t
    if isinstance(cell, nn.LSTMCell):
        h_prev, c_prev = s_prev[:, :h], s_prev[:, h:]
        gates = gi + h_prev @ w_hh.T + cell.bias_hh  # (N, 4H), i|f|g|o
        i_t = torch.sigmoid(gates[:, :h])
        f_t = torch.sigmoid(gates[:, h:2 * h])
        g_t = torch.tanh(gates[:, 2 * h:3 * h])
        o_t = torch.sigmoid(gates[:, 3 * h:])
        c_t = f_t * c_prev + i_t * g_t
        tanh_c = torch.tanh(c_t)
        h_t = o_t * tanh_c
        w_hi, w_hf, w_hg, w_ho = w_hh[:h], w_hh[h:2 * h], w_hh[2 * h:3 * h], w_hh[3 * h:]
        dc_dh = ((c_prev * f_t * (1 - f_t)).unsqueeze(2) * w_hf
                 + (g_t * i_t * (1 - i_t)).unsqueeze(2) * w_hi
                 + (i_t * (1 - g_t**2)).unsqueeze(2) * w_hg)  # (N, H, H)
        dc_dc = torch.diag_embed(f_t)  # (N, H, H): the additive cell path
        dh_dc_t = (o_t * (1 - tanh_c**2)).unsqueeze(2)  # ∂h_t/∂c_t, a diagonal
        dh_dh = (tanh_c * o_t * (1 - o_t)).unsqueeze(2) * w_ho + dh_dc_t * dc_dh
        top = torch.cat([dh_dh, dh_dc_t * dc_dc], dim=2)  # ∂h_t/∂[h; c]
        bottom = torch.cat([dc_dh, dc_dc], dim=2)  # ∂c_t/∂[h; c]
        return torch.cat([h_t, c_t], dim=1), torch.cat([top, bottom], dim=1)  # (N, 2H, 2H)
    raise ValueError(f"step_jacobian: unsupported cell {type(cell).__name__}")


def state_jacobians(
    cell: nn.Module, xs: torch.Tensor, state0: torch.Tensor, *, method: str = "analytic"
) -> torch.Tensor:
    r"""All Jacobians :math:`J_t = \partial s_t / \partial s_0` for :math:`t = 0, \dots, T`.

    Forward accumulation: :math:`J_0 = I` and :math:`J_t = A_t J_{t-1}` with
    :math:`A_t = \partial s_t/\partial s_{t-1}`. ``method="analytic"`` uses the closed forms
    of :func:`step_jacobian`; ``method="autograd"`` computes each product :math:`A_t J_{t-1}`
    as ``S`` Jacobian-vector products of the cell's own forward (``torch.func.jvp``), an
    independent computation (slower) that the tests compare with. Both are exact to rounding.
    For the LSTM the state is ``s = [h; c]``.

    Args:
        cell: a cell from :func:`build_cell` (or a ``torch.nn`` tanh RNN, GRU or LSTM cell).
        xs: inputs of shape ``(T, N, H_in)``.
        state0: initial state of shape ``(N, S)``.
        method: ``"analytic"`` or ``"autograd"``.

    Returns:
        ``J`` of shape ``(T + 1, N, S, S)`` with ``J[t, n] = ∂s_t/∂s_0`` for sample ``n``.
    """
    hidden = cell.hidden_size
    size = 2 * hidden if isinstance(cell, nn.LSTMCell) else hidden
    if xs.dim() != 3 or xs.shape[2] != cell.input_size:
        raise ValueError(
            f"state_jacobians: expected xs of shape (T, N, {cell.input_size}) = "
            f"(steps, batch, input_size), got {tuple(xs.shape)}"
        )
    n = xs.shape[1]
    if tuple(state0.shape) != (n, size):
        raise ValueError(
            f"state_jacobians: expected state0 of shape ({n}, {size}) = (batch, state_size), "
            f"got {tuple(state0.shape)}"
        )
    if method not in ("analytic", "autograd"):
        raise ValueError(f"unknown method {method!r}; expected 'analytic' or 'autograd'")
    s = state0
    jac = torch.eye(size, dtype=state0.dtype).expand(n, size, size)  # (N, S, S)
    out = [jac]
    with torch.no_grad():
        for x_t in xs:
            if method == "analytic":
                s, a_t = step_jacobian(cell, x_t, s)
                jac = a_t @ jac
            else:
                step = _step_fn(cell, x_t)
                # Column j of J_t is the JVP of the step along column j of J_{t-1}.
                jac = vmap(lambda v: jvp(step, (s,), (v,))[1], in_dims=2, out_dims=2)(jac)
                s = step(s)
            out.append(jac)
    return torch.stack(out)  # (T + 1, N, S, S)


def rnn_jacobian_analytic(weight_hh: torch.Tensor, hs: torch.Tensor) -> torch.Tensor:
    r"""The tanh RNN's :math:`\partial h_T/\partial h_0 = \prod_{t=T}^{1} \mathrm{diag}(1-h_t^2)
    W_{hh}`, from the hidden states.

    Args:
        weight_hh: :math:`W_{hh}` of shape ``(H, H)``.
        hs: hidden states :math:`h_1, \dots, h_T` of shape ``(T, N, H)``.

    Returns:
        The Jacobians of shape ``(N, H, H)``.
    """
    if weight_hh.dim() != 2 or weight_hh.shape[0] != weight_hh.shape[1]:
        raise ValueError(f"rnn_jacobian_analytic: expected weight_hh of shape (H, H), "
                         f"got {tuple(weight_hh.shape)}")
    h = weight_hh.shape[0]
    if hs.dim() != 3 or hs.shape[2] != h:
        raise ValueError(f"rnn_jacobian_analytic: expected hs of shape (T, N, {h}) = "
                         f"(steps, batch, hidden_size), got {tuple(hs.shape)}")
    jac = torch.eye(h, dtype=hs.dtype).expand(hs.shape[1], h, h)
    for h_t in hs:
        jac = (1 - h_t**2).unsqueeze(2) * (weight_hh @ jac)  # diag(1 - h_t²) W_hh J
    return jac


@dataclass(frozen=True)
class GradientNorms:
    """Norms of :math:`\\partial s_t/\\partial s_0` measured on ``n_samples`` input sequences.

    Attributes:
        kind: ``"linear"``, ``"rnn"``, ``"gru"`` or ``"lstm"``.
        spectral_radius: :math:`\\rho` of every recurrent block.
        gate_bias: bias of the LSTM's forget gate / the GRU's update gate (0 for the RNNs).
        steps: ``t = 0, 1, ..., T``, shape ``(T + 1,)``.
        norms: ``‖∂s_t/∂s_0‖_2`` per sample, shape ``(n_samples, T + 1)``; ``norms[:, 0] = 1``.
    """

    kind: str
    spectral_radius: float
    gate_bias: float
    steps: NDArray[np.int64]
    norms: NDArray[np.float64]

    @property
    def mean(self) -> NDArray[np.float64]:
        """Mean over samples of the norm at each step, shape ``(T + 1,)``."""
        return self.norms.mean(axis=0)

    @property
    def geometric_mean(self) -> NDArray[np.float64]:
        """exp(mean(log norm)) at each step, shape ``(T + 1,)``; 0 if any norm is 0."""
        with np.errstate(divide="ignore"):
            return np.exp(np.log(self.norms).mean(axis=0))

    def rate(self, start: int | None = None) -> float:
        """Average factor per step, :math:`(\\bar n_T / \\bar n_{t_0})^{1/(T-t_0)}`, fitted on
        the geometric mean from ``start`` (default ``T // 2``, past the transient) to ``T``.
        Comparable with the spectral radius: the norm behaves like ``C · rate**t``."""
        g = self.geometric_mean
        end = len(g) - 1
        t0 = end // 2 if start is None else start
        if not 0 <= t0 < end:
            raise ValueError(f"start must be in [0, {end}), got {start!r}")
        if g[t0] == 0 or g[end] == 0:
            return 0.0
        return float(np.exp((np.log(g[end]) - np.log(g[t0])) / (end - t0)))


def gradient_norms(
    kind: str,
    *,
    seq_len: int,
    spectral_radius: float,
    hidden_size: int = 32,
    input_size: int = 8,
    n_samples: int = 8,
    gate_bias: float = 0.0,
    input_std: float = 1.0,
    method: str = "orthogonal",
    seed: int = 0,
) -> GradientNorms:
    r"""Measure :math:`\|\partial s_t/\partial s_0\|_2` for :math:`t = 0..T` on random inputs.

    A cell from :func:`build_cell` (seeded by ``seed``) is run from :math:`s_0 = 0` on
    ``n_samples`` sequences :math:`x_t \sim \mathcal N(0, \sigma^2 I)` (same seed) and the
    spectral norm (largest singular value) of each :func:`state_jacobians` entry is returned.
    The same ``seed`` gives the same inputs to every ``kind``, so cells compare fairly.

    Args:
        kind: ``"linear"``, ``"rnn"``, ``"gru"`` or ``"lstm"``.
        seq_len: :math:`T`, the number of steps.
        spectral_radius: :math:`\rho` of every recurrent block.
        hidden_size: :math:`H`.
        input_size: :math:`H_{in}`.
        n_samples: :math:`N`, the number of input sequences.
        gate_bias: bias of the LSTM's forget gate or the GRU's update gate.
        input_std: :math:`\sigma`, the inputs' standard deviation.
        method: how recurrent blocks are drawn (see :func:`recurrent_matrix`).
        seed: seeds the weights and the inputs.

    Returns:
        A :class:`GradientNorms` with ``norms`` of shape ``(N, T + 1)``.
    """
    t_max = _check_positive_int("seq_len", seq_len)
    n = _check_positive_int("n_samples", n_samples)
    if not (math.isfinite(input_std) and input_std >= 0):
        raise ValueError(f"input_std must be finite and >= 0, got {input_std!r}")
    cell = build_cell(kind, input_size, hidden_size, spectral_radius=spectral_radius,
                      gate_bias=gate_bias, method=method,
                      generator=torch.Generator().manual_seed(seed))
    g_inputs = torch.Generator().manual_seed(seed + 1)
    xs = input_std * torch.randn(t_max, n, input_size, generator=g_inputs,
                                 dtype=torch.float64)  # (T, N, H_in)
    state0 = torch.zeros(n, state_size(kind, hidden_size), dtype=torch.float64)  # (N, S)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny ops: a second thread only adds overhead
    try:
        jac = state_jacobians(cell, xs, state0)  # (T + 1, N, S, S)
        norms = torch.linalg.matrix_norm(jac, ord=2)  # (T + 1, N)
    finally:
        torch.set_num_threads(threads)
    return GradientNorms(kind=kind, spectral_radius=float(spectral_radius),
                         gate_bias=float(gate_bias),
                         steps=np.arange(t_max + 1), norms=norms.T.numpy().copy())


def lstm_path_norms(
    *,
    seq_len: int,
    spectral_radius: float,
    gate_bias: float = 0.0,
    hidden_size: int = 32,
    input_size: int = 8,
    n_samples: int = 8,
    input_std: float = 1.0,
    method: str = "orthogonal",
    seed: int = 0,
) -> dict[str, GradientNorms]:
    r"""The LSTM's gradient split by path: whole state, cell to cell, and the cell path alone.

    Same cell, inputs and seed as ``gradient_norms("lstm", ...)``. Returns three
    :class:`GradientNorms` (``norms`` of shape ``(N, T + 1)``):

    - ``"state"``: :math:`\|\partial s_t/\partial s_0\|_2` with :math:`s = [h; c]`, as
      :func:`gradient_norms` measures it;
    - ``"cell"``: :math:`\|\partial c_t/\partial c_0\|_2`, the cell block of the same Jacobian:
      every path from :math:`c_0` to :math:`c_t`, including those that leave the cell through
      :math:`h_{\tau} = o_{\tau} \odot \tanh(c_{\tau})` and come back through the gates and the
      candidate (:math:`W_{hi}, W_{hf}, W_{hg}`);
    - ``"forget_product"``: :math:`\|\prod_{\tau=1}^{t} \mathrm{diag}(f_{\tau})\|_2 =
      \max_j \prod_{\tau} f_{\tau, j}`, the additive path :math:`c_{\tau-1} \to c_{\tau}` alone,
      with the forget gates the cell actually produced on the way.

    With ``spectral_radius = 0`` the gates do not see :math:`h`, so ``"cell"`` equals
    ``"forget_product"``; with zero inputs as well (``input_std = 0``) every
    :math:`f_t = \sigma(b)` and each curve shrinks by exactly :math:`\sigma(b)` per step.
    """
    t_max = _check_positive_int("seq_len", seq_len)
    n = _check_positive_int("n_samples", n_samples)
    if not (math.isfinite(input_std) and input_std >= 0):
        raise ValueError(f"input_std must be finite and >= 0, got {input_std!r}")
    cell = build_cell("lstm", input_size, hidden_size, spectral_radius=spectral_radius,
                      gate_bias=gate_bias, method=method,
                      generator=torch.Generator().manual_seed(seed))
    g_inputs = torch.Generator().manual_seed(seed + 1)
    xs = input_std * torch.randn(t_max, n, input_size, generator=g_inputs,
                                 dtype=torch.float64)  # (T, N, H_in)
    h = hidden_size
    state0 = torch.zeros(n, 2 * h, dtype=torch.float64)  # (N, 2H)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        jac = state_jacobians(cell, xs, state0)  # (T + 1, N, 2H, 2H)
        state = torch.linalg.matrix_norm(jac, ord=2)  # (T + 1, N)
        cell_block = torch.linalg.matrix_norm(jac[:, :, h:, h:], ord=2)  # (T + 1, N)
        with torch.no_grad():
            h_t = torch.zeros(n, h, dtype=torch.float64)
            c_t = torch.zeros(n, h, dtype=torch.float64)
            product = torch.ones(n, h, dtype=torch.float64)  # ∏ f_τ per unit, (N, H)
            forget = [product.max(dim=1).values]
            for x_t in xs:
                a_f = (x_t @ cell.weight_ih[h:2 * h].T + cell.bias_ih[h:2 * h]
                       + h_t @ cell.weight_hh[h:2 * h].T + cell.bias_hh[h:2 * h])  # (N, H)
                product = product * torch.sigmoid(a_f)
                forget.append(product.max(dim=1).values)  # spectral norm of a diagonal
                h_t, c_t = cell(x_t, (h_t, c_t))
    finally:
        torch.set_num_threads(threads)

    def wrap(norms: torch.Tensor) -> GradientNorms:
        return GradientNorms(kind="lstm", spectral_radius=float(spectral_radius),
                             gate_bias=float(gate_bias), steps=np.arange(t_max + 1),
                             norms=norms.T.numpy().copy())

    return {"state": wrap(state), "cell": wrap(cell_block),
            "forget_product": wrap(torch.stack(forget))}


def directions_alive(
    kind: str,
    input_size: int,
    hidden_size: int,
    seq_len: int,
    *,
    spectral_radius: float,
    seed: int,
    gate_bias: float = 0.0,
    threshold: float = 1e-3,
) -> int:
    r"""How many directions of the initial state still reach step ``seq_len``: the number of
    singular values of :math:`\partial s_T / \partial s_0` above ``threshold``, for one
    standard-normal input sequence (seed ``seed + 1``) through :func:`build_cell` (seed
    ``seed``). A norm sees only the largest singular value; this counts the rest."""
    xs = torch.randn(seq_len, 1, input_size, dtype=torch.float64,
                     generator=torch.Generator().manual_seed(seed + 1))
    cell = build_cell(kind, input_size, hidden_size, spectral_radius=spectral_radius,
                      gate_bias=gate_bias, generator=torch.Generator().manual_seed(seed))
    s0 = torch.zeros(1, state_size(kind, hidden_size), dtype=torch.float64)
    sv = torch.linalg.svdvals(state_jacobians(cell, xs, s0)[-1, 0])
    return int((sv > threshold).sum())
