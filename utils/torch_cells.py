"""PyTorch recurrent cells written out step by step, with PyTorch's parameter names.

The core cells (``RNNCell``, ``GRUCell``, ``LSTMCell``) store ``weight_ih (G·H, H_in)``,
``weight_hh (G·H, H)``, ``bias_ih (G·H,)`` and ``bias_hh (G·H,)`` with gates stacked r | z | n
(GRU) and i | f | g | o (LSTM), so ``cell.load_state_dict(torch.nn.GRUCell(I, H).state_dict())``
works. The variants (MGU, Li-GRU, GRU1/2/3, CIFG-LSTM, minGRU) use the same names where they
apply and one ``bias`` per gate, as in their papers. ``Recurrent`` / ``run_sequence`` run any
cell over a sequence; ``SequenceModel`` adds a linear read-out for the training experiments.

Every cell splits its work in two so that sequences run fast: ``input_projection(X)`` does the
``x_t`` part of all ``T`` steps in one matmul, ``step_function()`` returns a closure doing the
``h_{t-1}`` part of one step (one ``addmm``). ``gates(x, state)`` recomputes one step slowly
and returns every gate by name, for the chapters.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "RNNCell",
    "GRUCell",
    "LSTMCell",
    "MGUCell",
    "LiGRUCell",
    "GRU1Cell",
    "GRU2Cell",
    "GRU3Cell",
    "CIFGLSTMCell",
    "MinGRUCell",
    "linear_scan",
    "log_linear_scan",
    "g_positive",
    "log_g_positive",
    "Recurrent",
    "run_sequence",
    "SequenceModel",
    "CELL_KINDS",
    "make_cell",
]

State = Tensor | tuple[Tensor, Tensor]
StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


def _shape(t: Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


class _Cell(nn.Module):
    """Shared machinery: parameter init, shape checks, single step, sequence loop.

    A cell sets ``num_chunks`` (G, the gate blocks of H rows its weights stack) and
    ``parameter_names``; ``__init__`` creates ``weight_ih (G·H, H_in)``, ``weight_hh (G·H, H)``
    and every bias ``(G·H,)`` among them (``_parameter_shapes``), in that order, then draws
    them with ``reset_parameters``.
    """

    num_chunks: int = 1  # G: blocks of H rows in weight_ih
    has_cell_state: bool = False  # LSTM-like cells carry (h, c)
    parameter_names: tuple[str, ...] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        for name, shape in self._parameter_shapes().items():
            setattr(self, name, nn.Parameter(torch.empty(*shape, device=device, dtype=dtype)))
        self.reset_parameters(generator)

    def _parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name → shape, in creation order: G blocks of H rows; columns H_in or H."""
        GH, H_in = self.num_chunks * self.hidden_size, self.input_size
        columns = {"weight_ih": (H_in,), "weight_hh": (self.hidden_size,)}
        return {name: (GH, *columns.get(name, ())) for name in self.parameter_names}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's init: every weight and bias ~ U(−1/√H, 1/√H) (batch norm: γ=1, β=0)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for name, p in self.named_parameters():
            if not name.startswith("bn."):
                nn.init.uniform_(p, -k, k, generator=generator)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

    # --- the two halves of a step (overridden) -------------------------------------------
    def input_projection(self, x: Tensor) -> Tensor:
        """The ``x_t`` part of every gate, ``(..., H_in) -> (..., G·H)``: one matmul.

        ``W_ih x + b_ih``, or ``W_ih x + b`` for the variants with one ``bias`` per gate.
        """
        bias = self.bias_ih if "bias_ih" in self.parameter_names else self.bias
        return F.linear(x, self.weight_ih, bias)

    def step_function(self) -> StepFn:
        """A closure ``(gi_t (N, G·H), state) -> (h_t (N, H), new_state)``."""
        raise NotImplementedError

    def _gates(self, x: Tensor, state: Any) -> dict[str, Tensor]:
        raise NotImplementedError

    # --- checks and states ---------------------------------------------------------------
    def _check_input(self, x: Tensor, what: str = "input") -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"expected {what} to be a torch.Tensor, got {type(x).__name__}")
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"expected {what} of shape (N, H_in={self.input_size}) or "
                f"(H_in={self.input_size},), got {_shape(x)}"
            )

    def _check_state(self, state: Any, batch: tuple[int, ...]) -> None:
        expected = (*batch, self.hidden_size)
        parts: tuple[Any, ...]
        if self.has_cell_state:
            if not (isinstance(state, (tuple, list)) and len(state) == 2):
                raise ValueError(
                    f"expected state to be a tuple (h, c) of shape {expected} each, "
                    f"got {type(state).__name__}"
                )
            parts = (("h", state[0]), ("c", state[1]))
        else:
            parts = (("h", state),)
        for name, s in parts:
            if not isinstance(s, Tensor) or _shape(s) != expected:
                got = _shape(s) if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(f"expected state {name} of shape {expected}, got {got}")

    def initial_state(self, batch: tuple[int, ...], like: Tensor) -> State:
        """Zeros of shape ``(*batch, H)`` (a pair ``(h, c)`` for LSTM-like cells)."""
        h = like.new_zeros(*batch, self.hidden_size)
        return (h, h.clone()) if self.has_cell_state else h

    @staticmethod
    def _map_state(state: Any, fn: Callable[[Tensor], Tensor]) -> Any:
        return tuple(fn(s) for s in state) if isinstance(state, (tuple, list)) else fn(state)

    # --- public API ----------------------------------------------------------------------
    def recurrent_step(self, gi_t: Tensor, state: Any) -> tuple[Tensor, Any]:
        """One step from a precomputed input projection ``gi_t (N, G·H)``."""
        return self.step_function()(gi_t, state)

    def forward(
        self, x: Tensor, state: Any = None, return_gates: bool = False
    ) -> Any:
        """One step. ``x (N, H_in)`` or ``(H_in,)``; ``state`` like ``torch.nn`` cells.

        Returns ``h_t (N, H)`` (``(h_t, c_t)`` for LSTM-like cells), like ``torch.nn``;
        with ``return_gates=True`` returns ``(that, gates)``, ``gates`` a dict of tensors.
        """
        self._check_input(x)
        unbatched = x.dim() == 1
        batch = () if unbatched else (x.shape[0],)
        if state is None:
            state = self.initial_state(batch, x)
        else:
            self._check_state(state, batch)
        if unbatched:
            x = x.unsqueeze(0)
            state = self._map_state(state, lambda s: s.unsqueeze(0))
        if return_gates:
            gates = self._gates(x, state)
            new_state = (gates["h"], gates["c"]) if self.has_cell_state else gates["h"]
        else:
            _, new_state = self.step_function()(self.input_projection(x), state)
        if unbatched:
            new_state = self._map_state(new_state, lambda s: s.squeeze(0))
            if return_gates:
                gates = {k: v.squeeze(0) for k, v in gates.items()}
        return (new_state, gates) if return_gates else new_state

    def gates(self, x: Tensor, state: Any = None) -> dict[str, Tensor]:
        """Every gate of one step by name (plus ``"h"``, and ``"c"`` for LSTM-like cells)."""
        return self.forward(x, state, return_gates=True)[1]

    def forward_sequence(self, X: Tensor, state0: Any = None) -> tuple[Tensor, Any]:
        """Run over ``X (T, N, H_in)`` (or unbatched ``(T, H_in)``); see :func:`run_sequence`.

        Returns ``(H_all (T, N, H), final_state)``.
        """
        X, state0, unbatched = _check_sequence(self, X, state0)
        H_all, state = self._sequence(X, state0)
        if unbatched:
            H_all = H_all.squeeze(1)
            state = self._map_state(state, lambda s: s.squeeze(0))
        return H_all, state

    def _sequence(self, X: Tensor, state0: Any) -> tuple[Tensor, Any]:
        """Unchecked batched loop: one input matmul, then one step closure per ``t``."""
        T, N = X.shape[0], X.shape[1]
        state = self.initial_state((N,), X) if state0 is None else state0
        gi = self.input_projection(X)  # (T, N, G·H)
        step = self.step_function()
        outputs = []
        for gi_t in gi.unbind(0):
            h_t, state = step(gi_t, state)
            outputs.append(h_t)
        if T == 0:
            return X.new_zeros(0, N, self.hidden_size), state
        return torch.stack(outputs), state


# ============================================================================================
# Core cells
# ============================================================================================


class RNNCell(_Cell):
    r"""Elman RNN cell, as ``torch.nn.RNNCell``.

    .. math::
        h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Args:
        input_size: :math:`H_{in}`. hidden_size: :math:`H`.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        generator: optional ``torch.Generator`` for the init U(−1/√H, 1/√H).

    Shapes: ``x (N, H_in)`` or ``(H_in,)``, ``h (N, H)``; ``weight_ih (H, H_in)``,
    ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
    Gates: ``{"a": pre-activation, "h": h_t}``.
    """

    num_chunks = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        *,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, generator=generator, device=device,
                         dtype=dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def step_function(self) -> StepFn:
        W_hh_T, b_hh = self.weight_hh.t(), self.bias_hh
        act = torch.tanh if self.nonlinearity == "tanh" else torch.relu

        def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            h_t = act(torch.addmm(b_hh, h, W_hh_T).add_(gi_t))
            return h_t, h_t

        return step

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        a_t = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        h_t = torch.tanh(a_t) if self.nonlinearity == "tanh" else torch.relu(a_t)
        return {"a": a_t, "h": h_t}


class GRUCell(_Cell):
    r"""Gated recurrent unit cell, as ``torch.nn.GRUCell`` (Cho et al. 2014).

    .. math::
        \begin{array}{ll}
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))
              & \text{reset\_after=True (PyTorch, cuDNN)} \\
        n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})
              & \text{reset\_after=False (Cho 2014 v3, d2l)} \\
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{array}

    :math:`r_t` is the reset gate, :math:`z_t` the update gate (it *keeps* the old state),
    :math:`n_t` the candidate, :math:`\sigma` the logistic sigmoid.

    Args:
        input_size: :math:`H_{in}`. hidden_size: :math:`H`.
        reset_after: where the reset gate acts (see above). Same parameters either way.
        generator: optional ``torch.Generator`` for the init U(−1/√H, 1/√H).

    Shapes: ``x (N, H_in)`` or ``(H_in,)``, ``h (N, H)``; ``weight_ih (3H, H_in)``,
    ``weight_hh (3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``, stacked r | z | n.
    Gates: ``{"r", "z", "n", "h"}``, each ``(N, H)``.

    Example:
        >>> ref = torch.nn.GRUCell(3, 5)
        >>> cell = GRUCell(3, 5); cell.load_state_dict(ref.state_dict())
        <All keys matched successfully>
    """

    num_chunks = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        reset_after: bool = True,
        *,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, generator=generator, device=device,
                         dtype=dtype)
        self.reset_after = bool(reset_after)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, reset_after={self.reset_after}"

    def step_function(self) -> StepFn:
        H = self.hidden_size
        if self.reset_after:
            W_hh_T, b_hh = self.weight_hh.t(), self.bias_hh
            sizes = [2 * H, H]

            def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
                gh = torch.addmm(b_hh, h, W_hh_T)  # (N, 3H)
                gi_rz, gi_n = gi_t.split(sizes, 1)  # (N, 2H), (N, H)
                gh_rz, gh_n = gh.split(sizes, 1)
                r_t, z_t = torch.sigmoid(gi_rz + gh_rz).split(H, 1)  # (N, H) each
                # The product r_t ⊙ gh_n saves gh_n for the backward pass; as a view it would
                # keep all of gh (N, 3H) alive, so it gets its own (N, H) storage.
                gh_n = gh_n.clone()
                n_t = torch.tanh(torch.addcmul(gi_n, r_t, gh_n))
                h_t = torch.lerp(n_t, h, z_t)  # n + z (h - n) = (1 - z) n + z h
                return h_t, h_t

            return step

        W_rz_T, b_rz = self.weight_hh[: 2 * H].t(), self.bias_hh[: 2 * H]
        W_n_T, b_n = self.weight_hh[2 * H :].t(), self.bias_hh[2 * H :]

        def step_before(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            rz = torch.sigmoid(torch.addmm(b_rz, h, W_rz_T).add_(gi_t[:, : 2 * H]))
            r_t, z_t = rz[:, :H], rz[:, H:]
            n_t = torch.tanh(torch.addmm(b_n, r_t * h, W_n_T).add_(gi_t[:, 2 * H :]))
            h_t = torch.lerp(n_t, h, z_t)  # (1 - z) n + z h, saving only n_t, h and z_t
            return h_t, h_t

        return step_before

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        W_ir, W_iz, W_in = self.weight_ih.chunk(3, 0)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3, 0)
        b_ir, b_iz, b_in = self.bias_ih.chunk(3, 0)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3, 0)
        r_t = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z_t = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        if self.reset_after:
            n_t = torch.tanh(x @ W_in.T + b_in + r_t * (h @ W_hn.T + b_hn))
        else:
            n_t = torch.tanh(x @ W_in.T + b_in + (r_t * h) @ W_hn.T + b_hn)
        h_t = (1 - z_t) * n_t + z_t * h
        return {"r": r_t, "z": z_t, "n": n_t, "h": h_t}


class LSTMCell(_Cell):
    r"""Long short-term memory cell, as ``torch.nn.LSTMCell`` (no peepholes).

    .. math::
        \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t)
        \end{array}

    Shapes: ``x (N, H_in)`` or ``(H_in,)``, state ``(h, c)`` each ``(N, H)``;
    ``weight_ih (4H, H_in)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``,
    stacked i | f | g | o. Gates: ``{"i", "f", "g", "o", "c", "h"}``.
    """

    num_chunks = 4
    has_cell_state = True

    def step_function(self) -> StepFn:
        H, W_hh_T, b_hh = self.hidden_size, self.weight_hh.t(), self.bias_hh
        sizes = [2 * H, H, H]  # i|f, g, o

        def step(gi_t: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Any]:
            h, c = state
            a_if, a_g, a_o = torch.addmm(b_hh, h, W_hh_T).add_(gi_t).split(sizes, 1)
            i_t, f_t = torch.sigmoid(a_if).split(H, 1)  # (N, H) each
            g_t, o_t = torch.tanh(a_g), torch.sigmoid(a_o)
            c_t = torch.addcmul(f_t * c, i_t, g_t)
            h_t = o_t * torch.tanh(c_t)
            return h_t, (h_t, c_t)

        return step

    def _gates(self, x: Tensor, state: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
        h, c = state
        a = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        a_i, a_f, a_g, a_o = a.chunk(4, -1)
        i_t, f_t, g_t, o_t = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
        c_t = f_t * c + i_t * g_t
        h_t = o_t * torch.tanh(c_t)
        return {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t, "h": h_t}


# ============================================================================================
# Variants (one bias per gate, as in the papers)
# ============================================================================================


class MGUCell(_Cell):
    r"""Minimal gated unit: one forget gate :math:`f_t` does the work of both GRU gates.

    .. math::
        \begin{array}{ll}
        f_t = \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) \\
        n_t = \tanh(W_{in} x_t + W_{hn} (f_t \odot h_{t-1}) + b_n) \\
        h_t = (1 - f_t) \odot h_{t-1} + f_t \odot n_t
        \end{array}

    These are the paper's equations (its :math:`W_f [h_{t-1}, x_t]` split into
    :math:`W_{hf}`, :math:`W_{if}`). In this course's GRU convention :math:`f_t` plays the
    reset gate :math:`r_t = f_t` *and* the update gate as :math:`z_t = 1 - f_t` (the paper
    follows Chung et al.'s sign: a large :math:`f_t` takes the candidate). Because one gate
    has both roles, the sign cannot be flipped without changing the model, so the paper's
    form is kept.

    Zhou, Wu, Zhang & Zhou (2016), "Minimal Gated Unit for Recurrent Neural Networks",
    International Journal of Automation and Computing 13(3); arXiv:1603.09420.

    Shapes: ``weight_ih (2H, H_in)``, ``weight_hh (2H, H)``, ``bias (2H,)``, stacked f | n.
    Gates: ``{"f", "n", "h"}``.
    """

    num_chunks = 2
    parameter_names = ("weight_ih", "weight_hh", "bias")

    def step_function(self) -> StepFn:
        H = self.hidden_size
        W_hf_T, W_hn_T = self.weight_hh[:H].t(), self.weight_hh[H:].t()

        def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            f_t = torch.sigmoid(torch.addmm(gi_t[:, :H], h, W_hf_T))
            n_t = torch.tanh(torch.addmm(gi_t[:, H:], f_t * h, W_hn_T))
            h_t = torch.addcmul(h, f_t, n_t - h)  # (1 - f) h + f n
            return h_t, h_t

        return step

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        W_if, W_in = self.weight_ih.chunk(2, 0)
        W_hf, W_hn = self.weight_hh.chunk(2, 0)
        b_f, b_n = self.bias.chunk(2, 0)
        f_t = torch.sigmoid(x @ W_if.T + h @ W_hf.T + b_f)
        n_t = torch.tanh(x @ W_in.T + (f_t * h) @ W_hn.T + b_n)
        h_t = (1 - f_t) * h + f_t * n_t
        return {"f": f_t, "n": n_t, "h": h_t}


class LiGRUCell(_Cell):
    r"""Light GRU: no reset gate, ReLU candidate, batch norm on the input projections.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(\mathrm{BN}(W_{iz} x_t) + W_{hz} h_{t-1}) \\
        n_t = \mathrm{ReLU}(\mathrm{BN}(W_{in} x_t) + W_{hn} h_{t-1}) \\
        h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{array}

    Same convention as the course (:math:`z_t` keeps the old state); the paper writes the
    candidate :math:`\tilde h_t`. There are no biases: batch norm's shift :math:`\beta`
    plays their role. ``self.bn`` is a ``torch.nn.BatchNorm1d(2H)`` over the stacked
    :math:`[W_{iz} x_t; W_{in} x_t]`. In training mode it normalises with the statistics
    of the batch it sees: over all :math:`T \cdot N` rows when a whole sequence goes
    through ``input_projection`` (``Recurrent``, ``forward_sequence``, as in the authors'
    implementation), over the :math:`N` rows for a single ``forward`` step (so ``N > 1``);
    in eval mode it uses the running statistics.

    Ravanelli, Brakel, Omologo & Bengio (2018), "Light Gated Recurrent Units for Speech
    Recognition", IEEE Transactions on Emerging Topics in Computational Intelligence 2(2);
    arXiv:1803.10225.

    Shapes: ``weight_ih (2H, H_in)``, ``weight_hh (2H, H)``, ``bn.weight``, ``bn.bias``
    ``(2H,)``, stacked z | n. Gates: ``{"z", "n", "h"}``.
    """

    num_chunks = 2
    parameter_names = ("weight_ih", "weight_hh")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        momentum: float = 0.1,
        eps: float = 1e-5,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, generator=generator, device=device,
                         dtype=dtype)
        # batch norm's shift β plays the biases' role; γ = 1, β = 0 (reset_parameters skips bn)
        self.bn = nn.BatchNorm1d(2 * hidden_size, eps=eps, momentum=momentum, device=device,
                                 dtype=dtype)

    def input_projection(self, x: Tensor) -> Tensor:
        a = F.linear(x, self.weight_ih)  # (..., 2H)
        return self.batch_norm(a.reshape(-1, a.shape[-1])).reshape(a.shape)

    def batch_norm(self, a: Tensor) -> Tensor:
        r"""What ``self.bn(a)`` computes, written with elementwise ops, ``(M, 2H) -> (M, 2H)``.

        .. math:: \mathrm{BN}(a) = \gamma \odot (a - \mu) / \sqrt{v + \epsilon} + \beta

        Training mode: :math:`\mu, v` are the mean and biased variance over the :math:`M`
        rows, and the running statistics are updated as ``torch.nn.BatchNorm1d`` does
        (momentum, unbiased variance, ``num_batches_tracked``). Eval mode: the running
        statistics. (``torch.nn.BatchNorm1d``'s kernel enters a thread pool even for tiny
        inputs, which is very slow on a busy 2-core machine; these ops do not.)
        """
        bn = self.bn
        if bn.training:
            M = a.shape[0]
            if M < 2:
                raise ValueError(
                    f"LiGRUCell: batch norm in training mode needs more than 1 row per unit, "
                    f"got input of shape {_shape(a)}; use N > 1 or call .eval()"
                )
            mean = a.mean(0)  # (2H,)
            var = a.var(0, unbiased=False)  # (2H,)
            with torch.no_grad():
                bn.num_batches_tracked.add_(1)
                m = bn.momentum
                if m is None:  # cumulative moving average
                    m = 1.0 / float(bn.num_batches_tracked)
                bn.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                bn.running_var.mul_(1 - m).add_(var.detach() * (M / (M - 1)), alpha=m)
        else:
            mean, var = bn.running_mean, bn.running_var
        return (a - mean) * torch.rsqrt(var + bn.eps) * bn.weight + bn.bias

    def step_function(self) -> StepFn:
        H = self.hidden_size
        W_hh_T = self.weight_hh.t()

        def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            a = torch.addmm(gi_t, h, W_hh_T)  # (N, 2H)
            z_t = torch.sigmoid(a[:, :H])
            n_t = torch.relu(a[:, H:])
            h_t = torch.addcmul(n_t, z_t, h - n_t)  # z h + (1 - z) n
            return h_t, h_t

        return step

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        bn_z, bn_n = self.input_projection(x).chunk(2, -1)
        W_hz, W_hn = self.weight_hh.chunk(2, 0)
        z_t = torch.sigmoid(bn_z + h @ W_hz.T)
        n_t = torch.relu(bn_n + h @ W_hn.T)
        h_t = z_t * h + (1 - z_t) * n_t
        return {"z": z_t, "n": n_t, "h": h_t}


class _GateVariantCell(_Cell):
    r"""Dey & Salem's GRU1/GRU2/GRU3: the gates lose their input (and bias) terms.

    .. math::
        \begin{array}{lll}
        \text{GRU1:} & r_t = \sigma(W_{hr} h_{t-1} + b_r), &
                       z_t = \sigma(W_{hz} h_{t-1} + b_z) \\
        \text{GRU2:} & r_t = \sigma(W_{hr} h_{t-1}), & z_t = \sigma(W_{hz} h_{t-1}) \\
        \text{GRU3:} & r_t = \sigma(b_r), & z_t = \sigma(b_z) \\
        \text{all:}  & n_t = \tanh(W_{in} x_t + W_{hn} (r_t \odot h_{t-1}) + b_n) \\
                     & h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{array}

    The candidate is the full one with the reset before the matmul (as in the paper). The
    paper follows Chung et al.'s sign, :math:`h_t = (1 - z_t) h_{t-1} + z_t \tilde h_t`;
    with this course's sign the model is the same after
    :math:`(W_{hz}, b_z) \to (-W_{hz}, -b_z)`.

    Dey & Salem (2017), "Gate-Variants of Gated Recurrent Unit (GRU) Neural Networks",
    IEEE 60th International Midwest Symposium on Circuits and Systems (MWSCAS);
    arXiv:1701.05923.

    Shapes: ``weight_ih (H, H_in)`` (candidate only); ``weight_hh`` ``(3H, H)`` stacked
    r | z | n for GRU1/GRU2, ``(H, H)`` for GRU3; ``bias`` ``(3H,)`` stacked r | z | n for
    GRU1/GRU3, ``(H,)`` (candidate only) for GRU2. Gates: ``{"r", "z", "n", "h"}``.
    """

    num_chunks = 1
    variant: int = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # GRU1/2/3Cell write one line of their own; the equations above follow it
        cls.__doc__ = f"{cls.__doc__}\n\n{_GateVariantCell.__doc__}"

    def _parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (H, H_in),
                "weight_hh": (H if self.variant == 3 else 3 * H, H),
                "bias": (H if self.variant == 2 else 3 * H,)}

    def input_projection(self, x: Tensor) -> Tensor:
        b_n = self.bias[-self.hidden_size :]
        return F.linear(x, self.weight_ih, b_n)  # (..., H): W_in x + b_n

    def _rz_pre(self, h: Tensor) -> Tensor:
        """Pre-activation of [r | z], ``(N, 2H)``."""
        H = self.hidden_size
        if self.variant == 1:
            return torch.addmm(self.bias[: 2 * H], h, self.weight_hh[: 2 * H].t())
        if self.variant == 2:
            return h @ self.weight_hh[: 2 * H].t()
        return self.bias[: 2 * H].expand(h.shape[0], 2 * H)

    def step_function(self) -> StepFn:
        H = self.hidden_size
        W_hn_T = self.weight_hh[-H:].t()
        rz_pre = self._rz_pre

        def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            rz = torch.sigmoid(rz_pre(h))
            r_t, z_t = rz[:, :H], rz[:, H:]
            n_t = torch.tanh(torch.addmm(gi_t, r_t * h, W_hn_T))
            h_t = torch.addcmul(n_t, z_t, h - n_t)  # z h + (1 - z) n
            return h_t, h_t

        return step

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        H = self.hidden_size
        W_hn, b_n = self.weight_hh[-H:], self.bias[-H:]
        if self.variant == 3:
            r_t = torch.sigmoid(self.bias[:H]).expand_as(h)
            z_t = torch.sigmoid(self.bias[H : 2 * H]).expand_as(h)
        else:
            W_hr, W_hz = self.weight_hh[:H], self.weight_hh[H : 2 * H]
            b_r, b_z = (self.bias[:H], self.bias[H : 2 * H]) if self.variant == 1 else (0, 0)
            r_t = torch.sigmoid(h @ W_hr.T + b_r)
            z_t = torch.sigmoid(h @ W_hz.T + b_z)
        n_t = torch.tanh(x @ self.weight_ih.T + (r_t * h) @ W_hn.T + b_n)
        h_t = z_t * h + (1 - z_t) * n_t
        return {"r": r_t, "z": z_t, "n": n_t, "h": h_t}


class GRU1Cell(_GateVariantCell):
    """GRU1: gates from ``h_{t-1}`` and a bias only."""

    variant = 1


class GRU2Cell(_GateVariantCell):
    """GRU2: gates from ``h_{t-1}`` only (no bias)."""

    variant = 2


class GRU3Cell(_GateVariantCell):
    """GRU3: gates from a bias only (constant in time)."""

    variant = 3


class CIFGLSTMCell(_Cell):
    r"""LSTM with coupled input and forget gates (CIFG): :math:`f_t = 1 - i_t`.

    .. math::
        \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) \\
        g_t = \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) \\
        o_t = \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) \\
        c_t = (1 - i_t) \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t)
        \end{array}

    Greff et al.'s "vanilla" LSTM has peepholes (:math:`p \odot c` terms in the gates);
    this cell has none, like ``torch.nn.LSTMCell``, and one bias per gate. Like a GRU it has
    a single gate deciding between the old memory and the new content.

    Greff, Srivastava, Koutník, Steunebrink & Schmidhuber (2017), "LSTM: A Search Space
    Odyssey", IEEE Transactions on Neural Networks and Learning Systems 28(10);
    arXiv:1503.04069.

    Shapes: state ``(h, c)``; ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``,
    ``bias (3H,)``, stacked i | g | o. Gates: ``{"i", "f", "g", "o", "c", "h"}``.
    """

    num_chunks = 3
    has_cell_state = True
    parameter_names = ("weight_ih", "weight_hh", "bias")

    def step_function(self) -> StepFn:
        H, W_hh_T = self.hidden_size, self.weight_hh.t()

        def step(gi_t: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Any]:
            h, c = state
            a = torch.addmm(gi_t, h, W_hh_T)  # (N, 3H)
            i_t = torch.sigmoid(a[:, :H])
            g_t = torch.tanh(a[:, H : 2 * H])
            o_t = torch.sigmoid(a[:, 2 * H :])
            c_t = torch.addcmul(c, i_t, g_t - c)  # (1 - i) c + i g
            h_t = o_t * torch.tanh(c_t)
            return h_t, (h_t, c_t)

        return step

    def _gates(self, x: Tensor, state: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
        h, c = state
        a = x @ self.weight_ih.T + h @ self.weight_hh.T + self.bias
        a_i, a_g, a_o = a.chunk(3, -1)
        i_t, g_t, o_t = a_i.sigmoid(), a_g.tanh(), a_o.sigmoid()
        f_t = 1 - i_t
        c_t = f_t * c + i_t * g_t
        h_t = o_t * torch.tanh(c_t)
        return {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t, "h": h_t}


def linear_scan(a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
    r"""All :math:`h_t = a_t \odot h_{t-1} + b_t`, :math:`t = 1..T`, by a parallel scan.

    Hillis–Steele inclusive scan over the pairs :math:`(a_t, b_t)` with the associative
    operator :math:`(a, b) \circ (a', b') = (a' a, a' b + b')` (earlier pair on the left):
    :math:`\lceil \log_2 T \rceil` vectorised rounds instead of :math:`T` sequential steps
    (:math:`O(T \log T)` work). Differentiable (out-of-place ops only).

    Shapes: ``a``, ``b`` ``(T, *batch)``; ``h0`` ``(*batch)``. Returns ``(T, *batch)``.
    """
    if a.shape != b.shape or a.shape[1:] != h0.shape:
        raise ValueError(
            f"expected a, b of shape (T, *batch) and h0 of shape (*batch), got a "
            f"{_shape(a)}, b {_shape(b)}, h0 {_shape(h0)}"
        )
    T = a.shape[0]
    if T == 0:
        return b
    B = torch.cat([(a[0] * h0 + b[0]).unsqueeze(0), b[1:]])  # fold h0 into the first pair
    A = a
    d = 1
    while d < T:
        B = torch.cat([B[:d], torch.addcmul(B[d:], A[d:], B[:-d])])
        A = torch.cat([A[:d], A[d:] * A[:-d]])
        d *= 2
    return B


def log_linear_scan(log_a: Tensor, log_b: Tensor, log_h0: Tensor) -> Tensor:
    r""":math:`\log h_t` for :math:`h_t = a_t h_{t-1} + b_t` (positive :math:`a, b, h_0`)
    in log space (Heinsen 2023): :math:`a^*_t = \sum_{k \le t} \log a_k`,
    :math:`\log h_t = a^*_t + \operatorname{logcumsumexp}(\log h_0, \log b_1 - a^*_1,
    \dots)_t`. Same as ``utils.variants.log_linear_scan``; differentiable.

    Shapes: ``log_a``, ``log_b`` ``(T, *batch)``; ``log_h0`` ``(*batch)``. Returns
    ``(T, *batch)``.
    """
    if log_a.shape != log_b.shape or log_a.shape[1:] != log_h0.shape:
        raise ValueError(
            f"expected log_a, log_b of shape (T, *batch) and log_h0 of shape (*batch), got "
            f"log_a {_shape(log_a)}, log_b {_shape(log_b)}, log_h0 {_shape(log_h0)}"
        )
    a_star = torch.cumsum(log_a, 0)  # (T, *batch)
    terms = torch.cat([log_h0.unsqueeze(0), log_b - a_star])  # (T + 1, *batch)
    return a_star + torch.logcumsumexp(terms, 0)[1:]


def g_positive(x: Tensor) -> Tensor:
    r"""minGRU's positive candidate activation: :math:`x + \frac12` (:math:`x \ge 0`),
    :math:`\sigma(x)` (:math:`x < 0`)."""
    return torch.where(x >= 0, x.clamp(min=0) + 0.5, torch.sigmoid(x.clamp(max=0)))


def log_g_positive(x: Tensor) -> Tensor:
    r""":math:`\log g(x)`: :math:`\log(x + \frac12)` or :math:`-\mathrm{softplus}(-x)`."""
    neg = x.clamp(max=0)
    return torch.where(x >= 0, torch.log(x.clamp(min=0) + 0.5),
                       -torch.logaddexp(torch.zeros_like(neg), -neg))


class MinGRUCell(_Cell):
    r"""minGRU: gates and candidate from :math:`x_t` only, so the recurrence is linear.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(W_{iz} x_t + b_z) \\
        n_t = W_{in} x_t + b_n \\
        h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{array}

    The paper writes :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t` (Chung et
    al.'s sign) with :math:`\tilde h_t = \mathrm{Linear}(x_t)` (no tanh); this course's sign
    is the same model after :math:`(W_{iz}, b_z) \to (-W_{iz}, -b_z)`. Since
    :math:`a_t = z_t` and :math:`b_t = (1 - z_t) \odot n_t` do not depend on :math:`h`, all
    :math:`h_t` follow from a parallel scan (:func:`linear_scan`); ``forward_sequence``
    uses it by default (``method="scan"``) or the plain loop (``method="loop"``). The paper's
    log-space scan with :math:`g(\cdot)` activations is ``positive=True``, ``method="log"``
    (:func:`log_linear_scan`).

    Feng, Tung, Ahmed, Bengio & Hajimirsadeghi (2024), "Were RNNs All We Needed?",
    arXiv:2410.01201.

    Shapes: ``weight_ih (2H, H_in)``, ``bias (2H,)``, stacked z | n. Gates:
    ``{"z", "n", "h"}``.
    """

    num_chunks = 2
    parameter_names = ("weight_ih", "bias")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        method: str = "scan",
        positive: bool = False,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, generator=generator, device=device,
                         dtype=dtype)
        self.positive = bool(positive)
        self.method = self._check_method(method)

    def _check_method(self, method: str) -> str:
        if method not in ("scan", "loop", "log"):
            raise ValueError(f"method must be 'scan' or 'loop', got {method!r} "
                             "(or 'log' with positive=True)")
        if method == "log" and not self.positive:
            raise ValueError("method='log' needs positive=True (candidate g(.) > 0), "
                             "got positive=False")
        return method

    def _candidate(self, a_n: Tensor) -> Tensor:
        return g_positive(a_n) if self.positive else a_n

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, positive={self.positive}"

    def step_function(self) -> StepFn:
        H = self.hidden_size
        candidate = self._candidate

        def step(gi_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
            z_t = torch.sigmoid(gi_t[:, :H])
            n_t = candidate(gi_t[:, H:])
            h_t = torch.addcmul(n_t, z_t, h - n_t)  # z h + (1 - z) n
            return h_t, h_t

        return step

    def forward_sequence(
        self, X: Tensor, state0: Tensor | None = None, method: str | None = None
    ) -> tuple[Tensor, Tensor]:
        """Run over ``X (T, N, H_in)``; ``method`` ``"scan"``, ``"loop"`` or ``"log"``
        (default: ``self.method``). Returns ``(H_all (T, N, H), h_T (N, H))``."""
        if method is not None:
            self._check_method(method)
        saved = self.method
        self.method = saved if method is None else method
        try:
            return super().forward_sequence(X, state0)
        finally:
            self.method = saved

    def _sequence(self, X: Tensor, state0: Tensor | None) -> tuple[Tensor, Tensor]:
        if self.method == "loop":
            return super()._sequence(X, state0)
        H = self.hidden_size
        h0 = X.new_zeros(X.shape[1], H) if state0 is None else state0
        gi = self.input_projection(X)  # (T, N, 2H)
        if self.method == "log":
            if bool((h0 < 0).any()):
                raise ValueError(
                    f"method='log' needs h0 >= 0, got a minimum {h0.min().item():.3g}")
            a_z, zero = gi[..., :H], torch.zeros_like(gi[..., :H])
            log_z = -torch.logaddexp(zero, -a_z)  # log σ(a) (softplus's threshold: inexact)
            log_1mz = -torch.logaddexp(zero, a_z)  # log (1 − σ(a))
            H_all = torch.exp(log_linear_scan(log_z, log_1mz + log_g_positive(gi[..., H:]),
                                              torch.log(h0)))
            return H_all, (H_all[-1] if X.shape[0] > 0 else h0)
        z = torch.sigmoid(gi[..., :H])
        n = self._candidate(gi[..., H:])
        H_all = linear_scan(z, (1 - z) * n, h0)
        h_T = H_all[-1] if X.shape[0] > 0 else h0
        return H_all, h_T

    def _gates(self, x: Tensor, h: Tensor) -> dict[str, Tensor]:
        W_iz, W_in = self.weight_ih.chunk(2, 0)
        b_z, b_n = self.bias.chunk(2, 0)
        z_t = torch.sigmoid(x @ W_iz.T + b_z)
        n_t = self._candidate(x @ W_in.T + b_n)
        h_t = z_t * h + (1 - z_t) * n_t
        return {"z": z_t, "n": n_t, "h": h_t}


# ============================================================================================
# Running a cell over a sequence
# ============================================================================================


def _check_sequence(cell: nn.Module, X: Any, state0: Any) -> tuple[Tensor, Any, bool]:
    """Validate ``X (T, N, H_in)`` or unbatched ``(T, H_in)``; return a batched view."""
    if not isinstance(X, Tensor):
        raise TypeError(f"expected X to be a torch.Tensor, got {type(X).__name__}")
    H_in = cell.input_size
    if X.dim() not in (2, 3) or X.shape[-1] != H_in:
        raise ValueError(
            f"expected X of shape (T, N, H_in={H_in}) or (T, H_in={H_in}), got {_shape(X)}"
        )
    unbatched = X.dim() == 2
    if unbatched:
        X = X.unsqueeze(1)
        if state0 is not None:
            cell._check_state(state0, ())
            state0 = cell._map_state(state0, lambda s: s.unsqueeze(0))
    elif state0 is not None:
        cell._check_state(state0, (X.shape[1],))
    return X, state0, unbatched


def run_sequence(cell: _Cell, X: Tensor, state0: Any = None) -> tuple[Tensor, Any]:
    r"""Run ``cell`` over every step of ``X``, like ``torch.nn.GRU`` / ``LSTM`` / ``RNN``.

    .. math:: \mathrm{state}_t = \mathrm{cell}(x_t, \mathrm{state}_{t-1}),
              \quad t = 1, \dots, T, \qquad \mathrm{state}_0 = 0 \text{ unless given}

    The ``x_t`` part of every step is one matmul over the whole sequence
    (``cell.input_projection(X)``); each step then does one ``addmm`` for the ``h_{t-1}``
    part (``cell.step_function()``). minGRU uses its parallel scan.

    Args:
        cell: any cell of this module.
        X: ``(T, N, H_in)``, or unbatched ``(T, H_in)``.
        state0: ``h_0 (N, H)`` (``(h_0, c_0)`` for LSTM-like cells), default zeros.

    Returns:
        ``(H_all, final_state)``: ``H_all (T, N, H)`` holds every :math:`h_t` (torch's
        ``output``), ``final_state`` is ``h_T (N, H)`` or ``(h_T, c_T)`` (torch's ``h_n``
        without the layer dimension). Unbatched input drops the ``N`` dimension.
    """
    if not isinstance(cell, _Cell):
        raise TypeError(f"expected a cell from utils.torch_cells, got {type(cell).__name__}")
    return cell.forward_sequence(X, state0)


class Recurrent(nn.Module):
    r"""``nn.Module`` wrapper around :func:`run_sequence`: ``Recurrent(cell)(X, state0)``.

    .. math:: h_t = \mathrm{cell}(x_t, h_{t-1}), \quad t = 1, \dots, T

    Shapes: ``X (T, N, H_in)`` (or ``(T, H_in)``), ``state0`` ``(N, H)`` or ``(h0, c0)``;
    returns ``(H_all (T, N, H), final_state)`` like ``torch.nn.GRU`` / ``LSTM`` / ``RNN``
    (without their layer dimension on the final state). Copy weights from
    ``torch.nn.GRU(H_in, H)`` with
    ``rec.cell.load_state_dict({k.removesuffix("_l0"): v for k, v in gru.state_dict().items()})``.
    """

    def __init__(self, cell: _Cell) -> None:
        super().__init__()
        if not isinstance(cell, _Cell):
            raise TypeError(f"expected a cell from utils.torch_cells, got {type(cell).__name__}")
        self.cell = cell
        self.input_size = cell.input_size
        self.hidden_size = cell.hidden_size

    def forward(self, X: Tensor, state0: Any = None) -> tuple[Tensor, Any]:
        return run_sequence(self.cell, X, state0)


# ============================================================================================
# A small sequence model for the training experiments
# ============================================================================================

CELL_KINDS: dict[str, type[nn.Module]] = {
    "rnn": RNNCell,
    "gru": GRUCell,
    "lstm": LSTMCell,
    "mgu": MGUCell,
    "ligru": LiGRUCell,
    "gru1": GRU1Cell,
    "gru2": GRU2Cell,
    "gru3": GRU3Cell,
    "cifg": CIFGLSTMCell,
    "mingru": MinGRUCell,
    "torch-rnn": nn.RNN,
    "torch-gru": nn.GRU,
    "torch-lstm": nn.LSTM,
}


def make_cell(
    kind: str,
    input_size: int,
    hidden_size: int,
    *,
    generator: torch.Generator | None = None,
    **kwargs: Any,
) -> nn.Module:
    """A cell by name (a key of ``CELL_KINDS``); ``"torch-*"`` give one-layer ``torch.nn``
    RNN/GRU/LSTM modules (fused, faster). ``kwargs`` go to the constructor."""
    if kind not in CELL_KINDS:
        raise ValueError(f"unknown cell kind {kind!r}; expected one of {', '.join(CELL_KINDS)}")
    cls = CELL_KINDS[kind]
    if kind.startswith("torch-"):
        module = cls(input_size, hidden_size, **kwargs)
        if generator is not None:
            k = 1.0 / math.sqrt(hidden_size)
            for p in module.parameters():
                nn.init.uniform_(p, -k, k, generator=generator)
        return module
    return cls(input_size, hidden_size, generator=generator, **kwargs)


class SequenceModel(nn.Module):
    r"""A recurrent cell followed by a linear read-out.

    .. math:: H_{all} = \mathrm{Recurrent}(X), \qquad
              Y = W_{out} h_T + b_{out} \ (\text{readout="last"}) \quad\text{or}\quad
              Y_t = W_{out} h_t + b_{out} \ (\text{readout="all"})

    Args:
        cell: a kind from ``CELL_KINDS`` (``"rnn"``, ``"gru"``, ``"lstm"``, ``"torch-gru"``,
            ``"mgu"``, ...), a cell instance from this module, or a ``torch.nn.RNN`` /
            ``GRU`` / ``LSTM`` (unidirectional, not ``batch_first``; ``num_layers`` may be > 1).
        input_size: :math:`H_{in}` (may be omitted when ``cell`` is an instance).
        hidden_size: :math:`H` (may be omitted when ``cell`` is an instance).
        output_size: size of the read-out.
        readout: ``"last"`` (regression from :math:`h_T`, e.g. the adding problem) or
            ``"all"`` (an output at every step, e.g. the copy task).
        generator: optional ``torch.Generator``: every weight and bias (cell and head) is
            drawn from U(−1/√fan_in, 1/√fan_in) with it (PyTorch's default distributions).
        **cell_kwargs: passed to the cell constructor (e.g. ``reset_after=False``).

    Shapes: ``X (T, N, H_in)`` → ``(N, output_size)`` (``"last"``) or
    ``(T, N, output_size)`` (``"all"``).
    """

    def __init__(
        self,
        cell: str | nn.Module = "gru",
        input_size: int | None = None,
        hidden_size: int | None = None,
        output_size: int = 1,
        *,
        readout: str = "last",
        generator: torch.Generator | None = None,
        **cell_kwargs: Any,
    ) -> None:
        super().__init__()
        if readout not in ("last", "all"):
            raise ValueError(f"readout must be 'last' or 'all', got {readout!r}")
        if isinstance(cell, str):
            if input_size is None or hidden_size is None:
                raise ValueError(
                    f"expected input_size and hidden_size with the cell kind {cell!r}, got "
                    f"input_size={input_size!r}, hidden_size={hidden_size!r}"
                )
            self.kind = cell
            self.cell = make_cell(cell, input_size, hidden_size, generator=generator,
                                  **cell_kwargs)
        elif isinstance(cell, (_Cell, nn.RNN, nn.GRU, nn.LSTM)):
            for name, given in (("input_size", input_size), ("hidden_size", hidden_size)):
                if given is not None and given != getattr(cell, name):
                    raise ValueError(
                        f"{name}={given} does not match the cell's {getattr(cell, name)}"
                    )
            if cell_kwargs:
                raise ValueError(
                    f"cell_kwargs {sorted(cell_kwargs)} need a cell kind (a str), got a "
                    f"{type(cell).__name__} instance: configure it when you build it"
                )
            self.kind = type(cell).__name__
            self.cell = cell
        else:
            raise TypeError(f"cell must be a kind name or a cell, got {type(cell).__name__}")
        if isinstance(self.cell, nn.RNNBase):
            m = self.cell
            problems = [text for bad, text in (
                (m.bidirectional, "bidirectional=True"), (m.batch_first, "batch_first=True"),
                (m.proj_size, f"proj_size={m.proj_size}")) if bad]
            if problems:
                raise ValueError(
                    f"expected a unidirectional torch.nn.{type(m).__name__} taking (T, N, H_in) "
                    f"with output size H, got {', '.join(problems)}"
                )
        self.input_size = self.cell.input_size
        self.hidden_size = self.cell.hidden_size
        self.output_size = output_size
        self.readout = readout
        self.head = nn.Linear(self.hidden_size, output_size)
        if generator is not None:
            k = 1.0 / math.sqrt(self.hidden_size)
            for p in self.head.parameters():
                nn.init.uniform_(p, -k, k, generator=generator)

    def hidden_states(self, X: Tensor) -> Tensor:
        """Every :math:`h_t`, ``(T, N, H)``."""
        if isinstance(self.cell, _Cell):
            return run_sequence(self.cell, X)[0]
        if not isinstance(X, Tensor) or X.dim() != 3 or X.shape[-1] != self.input_size:
            got = _shape(X) if isinstance(X, Tensor) else type(X).__name__
            raise ValueError(f"expected X of shape (T, N, H_in={self.input_size}), got {got}")
        return self.cell(X)[0]

    def forward(self, X: Tensor) -> Tensor:
        H_all = self.hidden_states(X)
        if self.readout == "last":
            return self.head(H_all[-1])  # (N, output_size)
        return self.head(H_all)  # (T, N, output_size)
