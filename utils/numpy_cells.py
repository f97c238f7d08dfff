"""NumPy RNN, GRU and LSTM cells that compute exactly what ``torch.nn`` computes, with BPTT.

This is the reference implementation the chapters read and the exercises are checked
against. Every cell follows PyTorch's conventions, so weights copy across in one line:

* shapes: ``T`` steps, ``N`` batch, ``H_in`` input size, ``H`` hidden size; a sequence is
  ``X (T, N, H_in)``, a state ``h (N, H)`` (the LSTM carries ``(h, c)``);
* parameters ``weight_ih (G·H, H_in)``, ``weight_hh (G·H, H)``, ``bias_ih (G·H,)``,
  ``bias_hh (G·H,)`` with the gates stacked r | z | n (GRU, G = 3) or i | f | g | o
  (LSTM, G = 4); the plain RNN has G = 1;
* vectors are rows: ``W x`` in the equations is ``x @ W.T`` in the code.

Each cell has ``step`` (one time step), ``forward`` (a whole sequence) and ``backward``
(backpropagation through time for ``L = sum(H_all * dH)``). ``forward`` computes the input
projections of all steps in one matrix product before the time loop; the loop only does
what truly depends on the previous state.

    >>> import numpy as np
    >>> from utils.numpy_cells import GRUCell
    >>> cell = GRUCell(input_size=3, hidden_size=5, rng=np.random.default_rng(0))
    >>> X = np.random.default_rng(1).normal(size=(7, 2, 3))  # (T, N, H_in)
    >>> H_all, h_T = cell.forward(X)
    >>> H_all.shape, h_T.shape
    ((7, 2, 5), (2, 5))
    >>> grads = cell.backward(X, None, dH=np.ones_like(H_all))  # dL/d(everything)
    >>> sorted(grads)
    ['X', 'bias_hh', 'bias_ih', 'h0', 'weight_hh', 'weight_ih']
"""

from __future__ import annotations

import copy as _copy
import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from utils._shapes import check_shape

__all__ = ["sigmoid", "RNNCell", "GRUCell", "LSTMCell"]

Array = NDArray[np.floating]


def sigmoid(x: ArrayLike) -> Array:
    """σ(x) = 1 / (1 + e^{−x}), elementwise, without overflow, accurate even where σ(x) is tiny.

    The formula as written is accurate to a few ulps (``exp``, the sum and the quotient each
    round once) as long as ``e^{−x}`` is finite, that is for ``x > −709`` in float64
    (``x > −88`` in float32): the usual case, and the fast path. Otherwise, with
    ``e = e^{−|x|}`` (always in ``(0, 1]``) we use ``σ(x) = 1 / (1 + e)`` for ``x ≥ 0`` and
    ``σ(x) = e / (1 + e)`` for ``x < 0``, just as accurate but about three times slower.

    Shape: any; float inputs keep their dtype, integers become float64.

        >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
        >>> bool(sigmoid(np.array(-740.0)) == np.exp(-740.0) > 0)  # tiny, but not flushed to 0
        True
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":  # integers, booleans → float64
        x = x.astype(np.float64)
    if x.size == 0 or x.min() > -math.log(np.finfo(x.dtype).max):  # e^{−x} is finite
        return 1 / (1 + np.exp(-x))
    e = np.exp(-np.abs(x))  # e^{−|x|} ∈ (0, 1]: never overflows
    s = 1 / (1 + e)  # σ(|x|)
    return np.where(x >= 0, s, e * s)  # σ(−|x|) = e^{−|x|} σ(|x|)


class _Cell:
    """What the three cells share: init, parameters, PyTorch interop and input checks.

    Attributes: ``input_size`` (H_in), ``hidden_size`` (H), ``dtype``, the parameters
    ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (plain arrays: assign or update
    them freely), and the class attributes ``gate_count`` (G) and ``gate_names`` (the keys
    of the dict that ``return_gates=True`` gives).

    A subclass sets ``gate_count`` (G), ``gate_names`` and ``_torch_names``, and writes
    ``_recurrence`` (one step, given the input projection ``W_ih x_t + b_ih``) and
    ``backward``. (The variants of ``utils.variants`` build on this class too, with their
    own parameter layouts.)
    """

    gate_count: ClassVar[int]
    gate_names: ClassVar[tuple[str, ...]]
    _torch_names: ClassVar[tuple[str, str]]  # (cell class, sequence class) in torch.nn

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        rng = self._set_sizes(input_size, hidden_size, rng, dtype)
        G, H, H_in = self.gate_count, self.hidden_size, self.input_size
        # PyTorch's init: every parameter ~ U(−1/√H, 1/√H), drawn in this order.
        k = 1 / np.sqrt(H)
        self.weight_ih = rng.uniform(-k, k, size=(G * H, H_in)).astype(self.dtype)
        self.weight_hh = rng.uniform(-k, k, size=(G * H, H)).astype(self.dtype)
        self.bias_ih = rng.uniform(-k, k, size=G * H).astype(self.dtype)
        self.bias_hh = rng.uniform(-k, k, size=G * H).astype(self.dtype)

    def _set_sizes(self, input_size: int, hidden_size: int, rng: np.random.Generator | None,
                   dtype: DTypeLike) -> np.random.Generator:
        """Check and store ``input_size``, ``hidden_size`` and ``dtype``; return the generator."""
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: expected {arg} to be a positive int, got {value!r}")
        self.dtype = np.dtype(dtype)
        if not np.issubdtype(self.dtype, np.floating):
            raise ValueError(f"{name}: expected a floating dtype, got {self.dtype}")
        if rng is None:
            rng = np.random.default_rng()
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"{name}: expected rng to be a np.random.Generator or None, "
                f"got {type(rng).__name__}"
            )
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        return rng

    # ---------------------------------------------------------------- parameters

    def parameters(self) -> dict[str, Array]:
        """The live parameter arrays by PyTorch name (updating them in place updates the cell).

            >>> cell = RNNCell(2, 3, rng=np.random.default_rng(0))
            >>> {name: p.shape for name, p in cell.parameters().items()}
            {'weight_ih': (3, 2), 'weight_hh': (3, 3), 'bias_ih': (3,), 'bias_hh': (3,)}
        """
        return {"weight_ih": self.weight_ih, "weight_hh": self.weight_hh,
                "bias_ih": self.bias_ih, "bias_hh": self.bias_hh}

    def copy(self) -> _Cell:
        """An independent copy (parameters are copied, not shared)."""
        return _copy.deepcopy(self)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size}{self._extra_repr()}, dtype={self.dtype.name})")

    def _extra_repr(self) -> str:
        return ""

    def _check_parameters(self, where: str) -> None:
        G, H, H_in = self.gate_count, self.hidden_size, self.input_size
        for name, shape, labels in (
            ("weight_ih", (G * H, H_in), ("G·H", "input_size")),
            ("weight_hh", (G * H, H), ("G·H", "hidden_size")),
            ("bias_ih", (G * H,), ("G·H",)),
            ("bias_hh", (G * H,), ("G·H",)),
        ):
            check_shape(getattr(self, name), shape, name=f"parameter {name}", labels=labels,
                        where=where)

    # ---------------------------------------------------------------- PyTorch interop

    @classmethod
    def from_torch(cls, module: Any, *, dtype: DTypeLike = np.float64) -> _Cell:
        """A cell with the weights of ``module`` (copied, cast to ``dtype``).

        ``module`` is the matching ``torch.nn`` cell (``torch.nn.GRUCell`` for ``GRUCell``)
        or a one-layer, unidirectional sequence module with biases (``torch.nn.GRU``);
        anything else raises ``ValueError``. ``batch_first`` does not change the weights,
        so it is accepted; the NumPy ``forward`` always takes ``(T, N, H_in)``.
        """
        import torch  # imported here so that reading or using the NumPy cells needs no torch

        cell_type, seq_type = (getattr(torch.nn, n) for n in cls._torch_names)
        where = f"{cls.__name__}.from_torch"
        if isinstance(module, cell_type):
            suffix = ""
            if module.bias_ih is None:
                raise ValueError(f"{where}: expected a module with biases, got bias=False")
        elif isinstance(module, seq_type):
            suffix = "_l0"
            problems = [
                f"num_layers={module.num_layers} (expected 1)" if module.num_layers != 1 else "",
                "bidirectional=True" if module.bidirectional else "",
                "bias=False" if not module.bias else "",
                f"proj_size={module.proj_size} (expected 0)" if module.proj_size else "",
            ]
            problems = [p for p in problems if p]
            if problems:
                raise ValueError(
                    f"{where}: expected a one-layer, unidirectional {seq_type.__name__} with "
                    f"biases and no projection, got {', '.join(problems)}"
                )
        else:
            raise ValueError(
                f"{where}: expected torch.nn.{cell_type.__name__} or torch.nn."
                f"{seq_type.__name__}, got {type(module).__module__}.{type(module).__name__}"
            )
        if getattr(module, "nonlinearity", "tanh") != "tanh":
            raise ValueError(
                f"{where}: expected nonlinearity='tanh', got nonlinearity="
                f"{module.nonlinearity!r} (only the tanh RNN is implemented)"
            )
        cell = cls(module.input_size, module.hidden_size, rng=np.random.default_rng(0),
                   dtype=dtype)
        for name in cell.parameters():
            weight = getattr(module, name + suffix).detach().cpu().to(torch.float64)
            setattr(cell, name, weight.numpy().astype(cell.dtype))  # a copy, never a view
        return cell

    def to_torch(self, *, sequence: bool = False) -> Any:
        """The matching ``torch.nn`` cell (or one-layer sequence module), with these weights.

        The module's dtype is this cell's dtype (float64 → ``torch.float64``).
        """
        import torch

        self._check_parameters(f"{type(self).__name__}.to_torch")
        cell_name, seq_name = self._torch_names
        torch_dtype = torch.from_numpy(np.zeros(0, dtype=self.dtype)).dtype
        if sequence:
            module = getattr(torch.nn, seq_name)(self.input_size, self.hidden_size,
                                                 dtype=torch_dtype)
        else:
            module = getattr(torch.nn, cell_name)(self.input_size, self.hidden_size,
                                                  dtype=torch_dtype)
        suffix = "_l0" if sequence else ""
        with torch.no_grad():
            for name, value in self.parameters().items():
                getattr(module, name + suffix).copy_(torch.from_numpy(value))
        return module

    # ---------------------------------------------------------------- input checks

    def _check_state(self, state: Any, name: str, where: str,
                     dims: dict[str, tuple[int, str]]) -> Any:
        """``state`` as an array ``h (N, H)``, or as ``(h, c)`` for the LSTM; None → zeros."""
        H = self.hidden_size
        if state is None:
            N = dims["N"][0]  # the batch size of x (or X), checked first
            return np.zeros((N, H), dtype=self.dtype)
        if isinstance(state, (tuple, list)):
            raise ValueError(
                f"{where}: expected {name} to be an array h of shape (N, {H}) = "
                f"(batch, hidden_size), got a {type(state).__name__} of length {len(state)} "
                "(only the LSTM cells carry a pair (h, c))"
            )
        return check_shape(state, ("N", H), name=name, labels=("batch", "hidden_size"),
                           where=where, dims=dims, dtype=self.dtype)

    def _check_step_args(self, x: ArrayLike, state: Any, where: str) -> tuple[Array, Any]:
        self._check_parameters(where)
        dims: dict[str, tuple[int, str]] = {}
        x = check_shape(x, ("N", self.input_size), name="x", labels=("batch", "input_size"),
                        where=where, dims=dims, dtype=self.dtype)
        return x, self._check_state(state, "state", where, dims)

    def _check_sequence_args(self, X: ArrayLike, state0: Any, where: str,
                             dH: ArrayLike | None = None) -> tuple[Array, Any, Array | None]:
        self._check_parameters(where)
        dims: dict[str, tuple[int, str]] = {}
        X = check_shape(X, ("T", "N", self.input_size), name="X",
                        labels=("steps", "batch", "input_size"), where=where, dims=dims,
                        dtype=self.dtype)
        state0 = self._check_state(state0, "state0", where, dims)
        if dH is not None:
            dH = check_shape(dH, ("T", "N", self.hidden_size), name="dH",
                             labels=("steps", "batch", "hidden_size"), where=where, dims=dims,
                             dtype=self.dtype)
        return X, state0, dH

    # ---------------------------------------------------------------- step and forward

    def _recurrence(self, xw_t: Array, state: Any) -> tuple[Any, dict[str, Array]]:
        """One step from the input projection ``xw_t = x_t @ W_ih.T + b_ih`` ``(N, G·H)``."""
        raise NotImplementedError

    @staticmethod
    def _hidden(state: Any) -> Array:
        return state

    def step(self, x: ArrayLike, state: Any = None, *, return_gates: bool = False) -> Any:
        """One time step: ``x (N, H_in)`` and the state → the new state.

        The state is ``h (N, H)`` (``(h, c)`` for the LSTM; ``None`` means zeros). With
        ``return_gates=True`` the result is ``(new_state, gates)``, ``gates`` a dict of
        ``(N, H)`` arrays (see ``gate_names``).
        """
        where = f"{type(self).__name__}.step"
        x, state = self._check_step_args(x, state, where)
        xw_t = x @ self.weight_ih.T + self.bias_ih  # (N, G·H)
        new_state, gates = self._recurrence(xw_t, state)
        return (new_state, gates) if return_gates else new_state

    def forward(self, X: ArrayLike, state0: Any = None, *, return_gates: bool = False) -> Any:
        """A whole sequence: ``X (T, N, H_in)`` → ``(H_all (T, N, H), final_state)``.

        ``state0`` is ``h0 (N, H)`` (``(h0, c0)`` for the LSTM) and defaults to zeros. With
        ``return_gates=True`` a third item is added: a dict of ``(T, N, H)`` arrays, the
        gates of every step stacked along the first axis.
        """
        X, state0, _ = self._check_sequence_args(X, state0, f"{type(self).__name__}.forward")
        H_all, final_state, gates = self._run(X, state0, keep_gates=return_gates)
        return (H_all, final_state, gates) if return_gates else (H_all, final_state)

    def _run(self, X: Array, state0: Any,
             keep_gates: bool = True) -> tuple[Array, Any, dict[str, Array]]:
        T, N, _ = X.shape
        # All input projections at once, as one (T·N, H_in) @ (H_in, G·H) matrix product
        # (a 2-D product runs about twice as fast in NumPy as the batched 3-D one).
        XW = X.reshape(T * N, self.input_size) @ self.weight_ih.T + self.bias_ih  # (T·N, G·H)
        XW = XW.reshape(T, N, self.gate_count * self.hidden_size)  # (T, N, G·H)
        H_all = np.empty((T, N, self.hidden_size), dtype=self.dtype)  # (T, N, H)
        gates = {g: np.empty_like(H_all) for g in self.gate_names} if keep_gates else {}
        state = state0
        for t in range(T):
            state, gates_t = self._recurrence(XW[t], state)
            H_all[t] = self._hidden(state)
            for g in gates:  # each (T, N, H), filled only when the caller asked for them
                gates[g][t] = gates_t[g]
        return H_all, state, gates

    # ---------------------------------------------------------------- backward helpers

    def backward(self, X: ArrayLike, state0: Any, dH: ArrayLike) -> dict[str, Array]:
        """BPTT for ``L = sum(H_all * dH)``: the gradient of ``L`` for every input.

        ``X (T, N, H_in)``, ``state0`` as in ``forward`` (``None`` → zeros), ``dH (T, N, H)``.
        Returns ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (shaped like the
        parameters), ``X (T, N, H_in)`` and ``h0 (N, H)`` (and ``c0 (N, H)`` for the LSTM).
        """
        raise NotImplementedError

    def _input_gradients(self, X: Array, dXW: Array) -> dict[str, Array]:
        """Gradients through ``XW = X @ W_ih.T + b_ih``, given ``dXW = dL/dXW (T, N, G·H)``."""
        return {
            "weight_ih": np.tensordot(dXW, X, axes=([0, 1], [0, 1])),  # (G·H, H_in)
            "bias_ih": dXW.sum(axis=(0, 1)),  # (G·H,)
            "X": dXW @ self.weight_ih,  # (T, N, H_in)
        }


class RNNCell(_Cell):
    """Elman RNN with tanh, as ``torch.nn.RNNCell`` / ``torch.nn.RNN``:

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)

    where ``x_t (N, H_in)`` is the input at step ``t``, ``h_t (N, H)`` the hidden state
    (``h_0`` given, zeros by default), ``W_ih (H, H_in)``, ``W_hh (H, H)``, ``b_ih``,
    ``b_hh (H,)``. G = 1; there are no gates, so ``return_gates=True`` gives an empty dict.

    Args:
        input_size: ``H_in``. hidden_size: ``H``.
        rng: draws the initial parameters, each ~ U(−1/√H, 1/√H) like PyTorch.
        dtype: of the parameters and of every computation (float64 by default).

        >>> cell = RNNCell(3, 4, rng=np.random.default_rng(0))
        >>> cell.step(np.ones((2, 3)), np.zeros((2, 4))).shape  # (N, H)
        (2, 4)
    """

    gate_count = 1
    gate_names = ()
    _torch_names = ("RNNCell", "RNN")

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        h_t = np.tanh(xw_t + h_prev @ self.weight_hh.T + self.bias_hh)  # (N, H)
        return h_t, {}

    def backward(self, X: ArrayLike, state0: Any, dH: ArrayLike) -> dict[str, Array]:
        """BPTT for ``L = Σ_t sum(h_t ⊙ dH_t)``, from ``t = T`` down to 1 (``δ`` = ``dL/d·``):

            δh_t = dH_t + δa_{t+1} W_hh        (δa_{T+1} = 0)
            δa_t = δh_t ⊙ (1 − h_t²)           a_t: the argument of tanh
            dL/dW_ih = Σ_t δa_tᵀ x_t     dL/dW_hh = Σ_t δa_tᵀ h_{t−1}
            dL/db_ih = dL/db_hh = Σ_t δa_t     dL/dx_t = δa_t W_ih     dL/dh_0 = δa_1 W_hh

        ``X (T, N, H_in)``, ``state0`` ``h0 (N, H)`` or ``None`` (zeros), ``dH (T, N, H)``.
        Returns a dict: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (shaped like
        the parameters), ``X (T, N, H_in)``, ``h0 (N, H)``.
        """
        X, h0, dH = self._check_sequence_args(X, state0, "RNNCell.backward", dH)
        H_all, _, _ = self._run(X, h0)  # (T, N, H)
        H_prev = np.concatenate([h0[None], H_all])[:-1]  # h_{t−1} for every t: (T, N, H)
        dA = np.empty_like(H_all)  # dL/da_t, a_t the argument of tanh: (T, N, H)
        dh = np.zeros_like(h0)  # dL/dh_t through the steps after t: (N, H)
        for t in reversed(range(len(X))):
            dh = dh + dH[t]
            dA[t] = dh * (1 - H_all[t] ** 2)
            dh = dA[t] @ self.weight_hh  # (N, H)
        return {
            **self._input_gradients(X, dA),
            "weight_hh": np.tensordot(dA, H_prev, axes=([0, 1], [0, 1])),  # (H, H)
            "bias_hh": dA.sum(axis=(0, 1)),  # (H,)
            "h0": dh,
        }


class GRUCell(_Cell):
    """Gated recurrent unit, as ``torch.nn.GRUCell`` / ``torch.nn.GRU`` by default:

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)            reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)            update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))  candidate (reset_after=True)
        n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)  candidate (reset_after=False)
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

    where σ is the logistic sigmoid, ⊙ the elementwise product, ``x_t (N, H_in)`` the
    input at step ``t``, ``h_t (N, H)`` the hidden state (``h_0`` zeros by default), and
    ``r_t, z_t, n_t (N, H)``. The parameters stack the three gates, r | z | n:
    ``weight_ih = [W_ir; W_iz; W_in] (3H, H_in)``, ``weight_hh = [W_hr; W_hz; W_hn] (3H, H)``,
    ``bias_ih = [b_ir; b_iz; b_in] (3H,)``, ``bias_hh = [b_hr; b_hz; b_hn] (3H,)``.

    ``reset_after=True`` is PyTorch's and cuDNN's (Keras ``reset_after=True``): the reset
    gate scales ``W_hn h_{t−1} + b_hn``. ``reset_after=False`` is Cho et al. 2014 (v3), d2l
    and Keras ``reset_after=False``: it resets ``h_{t−1}`` before the product with ``W_hn``,
    so the step needs a second product with ``W_hh`` after ``r_t`` is known.

    Args:
        input_size: ``H_in``. hidden_size: ``H``.
        rng: draws the initial parameters, each ~ U(−1/√H, 1/√H) like PyTorch.
        dtype: of the parameters and of every computation (float64 by default).
        reset_after: where the reset gate acts (see above).

        >>> cell = GRUCell(3, 4, rng=np.random.default_rng(0))
        >>> h, gates = cell.step(np.ones((2, 3)), np.zeros((2, 4)), return_gates=True)
        >>> h.shape, sorted(gates)
        ((2, 4), ['n', 'r', 'z'])
        >>> bool(np.allclose(h, (1 - gates["z"]) * gates["n"]))  # h_{t−1} = 0 here
        True
    """

    gate_count = 3
    gate_names = ("r", "z", "n")
    _torch_names = ("GRUCell", "GRU")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
        reset_after: bool = True,
    ) -> None:
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)
        self.reset_after = bool(reset_after)

    def _extra_repr(self) -> str:
        return f", reset_after={self.reset_after}"

    def to_torch(self, *, sequence: bool = False) -> Any:
        if not self.reset_after:
            raise ValueError("GRUCell.to_torch: torch.nn has no GRU with reset_after=False")
        return super().to_torch(sequence=sequence)

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        H = self.hidden_size
        x_r, x_z, x_n = xw_t[:, :H], xw_t[:, H:2 * H], xw_t[:, 2 * H:]  # W_i· x_t + b_i·
        W_hn, b_hn = self.weight_hh[2 * H:], self.bias_hh[2 * H:]  # (H, H), (H,)
        if self.reset_after:
            hw = h_prev @ self.weight_hh.T + self.bias_hh  # (N, 3H)
            h_r, h_z, h_n = hw[:, :H], hw[:, H:2 * H], hw[:, 2 * H:]  # W_h· h_{t−1} + b_h·
            r_t = sigmoid(x_r + h_r)
            z_t = sigmoid(x_z + h_z)
            n_t = np.tanh(x_n + r_t * h_n)
        else:
            hw = h_prev @ self.weight_hh[:2 * H].T + self.bias_hh[:2 * H]  # (N, 2H)
            h_r, h_z = hw[:, :H], hw[:, H:]  # each (N, H)
            r_t = sigmoid(x_r + h_r)
            z_t = sigmoid(x_z + h_z)
            n_t = np.tanh(x_n + (r_t * h_prev) @ W_hn.T + b_hn)
        h_t = (1 - z_t) * n_t + z_t * h_prev  # (N, H)
        return h_t, {"r": r_t, "z": z_t, "n": n_t}

    def backward(self, X: ArrayLike, state0: Any, dH: ArrayLike) -> dict[str, Array]:
        """BPTT for ``L = Σ_t sum(h_t ⊙ dH_t)``, from ``t = T`` down to 1 (``δ`` = ``dL/d·``,
        ``a_r, a_z, a_n`` the arguments of σ, σ, tanh):

            δh_t  = dH_t + (the gradient that flows back from step t + 1)
            δa_n  = δh_t ⊙ (1 − z_t) ⊙ (1 − n_t²)
            δa_z  = δh_t ⊙ (h_{t−1} − n_t) ⊙ z_t (1 − z_t)
            δa_r  = δa_n ⊙ (W_hn h_{t−1} + b_hn) ⊙ r_t (1 − r_t)      reset_after=True
            δa_r  = (δa_n W_hn) ⊙ h_{t−1} ⊙ r_t (1 − r_t)            reset_after=False
            δh_{t−1} = δh_t ⊙ z_t + [δa_r, δa_z, δa_n ⊙ r_t] W_hh    reset_after=True
            δh_{t−1} = δh_t ⊙ z_t + [δa_r, δa_z] [W_hr; W_hz] + (δa_n W_hn) ⊙ r_t   (False)

        and the parameter gradients sum ``δa`` times the input of each product over ``t``
        (for ``W_hn`` with ``reset_after=False`` that input is ``r_t ⊙ h_{t−1}``).

        ``X (T, N, H_in)``, ``state0`` ``h0 (N, H)`` or ``None`` (zeros), ``dH (T, N, H)``.
        Returns a dict: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (shaped like
        the parameters), ``X (T, N, H_in)``, ``h0 (N, H)``.
        """
        X, h0, dH = self._check_sequence_args(X, state0, "GRUCell.backward", dH)
        H = self.hidden_size
        H_all, _, gates = self._run(X, h0)
        r, z, n = gates["r"], gates["z"], gates["n"]  # each (T, N, H)
        H_prev = np.concatenate([h0[None], H_all])[:-1]  # h_{t−1} for every t: (T, N, H)
        W_hn, b_hn = self.weight_hh[2 * H:], self.bias_hh[2 * H:]  # (H, H), (H,)
        if self.reset_after:
            H_n = H_prev @ W_hn.T + b_hn  # W_hn h_{t−1} + b_hn for every t: (T, N, H)
        # Gradients of L w.r.t. the pre-activations: dXW for XW = X W_ih^T + b_ih and dHW for
        # the recurrent terms that meet W_hh: (W_h· h_{t−1} + b_h·) for r and z, and for n
        # (W_hn h_{t−1} + b_hn) if reset_after else (W_hn (r_t ⊙ h_{t−1}) + b_hn).
        dXW = np.empty((*H_all.shape[:2], 3 * H), dtype=self.dtype)  # (T, N, 3H)
        dHW = np.empty_like(dXW)  # (T, N, 3H)
        dh = np.zeros_like(h0)  # dL/dh_t through the steps after t: (N, H)
        for t in reversed(range(len(X))):
            dh = dh + dH[t]
            dn = dh * (1 - z[t])  # h_t = (1 − z) n + z h_{t−1}
            dz = dh * (H_prev[t] - n[t])
            da_n = dn * (1 - n[t] ** 2)  # through tanh
            if self.reset_after:  # n_t = tanh(x_n + r_t ⊙ (W_hn h_{t−1} + b_hn))
                dr = da_n * H_n[t]
                dhw_n = da_n * r[t]  # dL/d(W_hn h_{t−1} + b_hn)
            else:  # n_t = tanh(x_n + W_hn (r_t ⊙ h_{t−1}) + b_hn)
                d_rh = da_n @ W_hn  # dL/d(r_t ⊙ h_{t−1}): (N, H)
                dr = d_rh * H_prev[t]
                dhw_n = da_n  # dL/d(W_hn (r_t ⊙ h_{t−1}) + b_hn)
            da_r = dr * r[t] * (1 - r[t])  # through σ
            da_z = dz * z[t] * (1 - z[t])
            dXW[t] = np.concatenate([da_r, da_z, da_n], axis=1)
            dHW[t] = np.concatenate([da_r, da_z, dhw_n], axis=1)
            # h_{t−1} reaches L through z_t ⊙ h_{t−1} and through every product with W_hh.
            if self.reset_after:
                dh = dh * z[t] + dHW[t] @ self.weight_hh
            else:
                dh = dh * z[t] + dHW[t, :, :2 * H] @ self.weight_hh[:2 * H] + d_rh * r[t]
        if self.reset_after:
            dW_hh = np.tensordot(dHW, H_prev, axes=([0, 1], [0, 1]))  # (3H, H)
        else:
            dW_hh = np.concatenate([
                np.tensordot(dHW[..., :2 * H], H_prev, axes=([0, 1], [0, 1])),  # (2H, H)
                np.tensordot(dHW[..., 2 * H:], r * H_prev, axes=([0, 1], [0, 1])),  # (H, H)
            ])
        return {
            **self._input_gradients(X, dXW),
            "weight_hh": dW_hh,
            "bias_hh": dHW.sum(axis=(0, 1)),  # (3H,)
            "h0": dh,
        }


class LSTMCell(_Cell):
    """Long short-term memory, as ``torch.nn.LSTMCell`` / ``torch.nn.LSTM``:

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)     input gate
        f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)     forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)  candidate
        o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)     output gate
        c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    where ``x_t (N, H_in)`` is the input at step ``t`` and the state is the pair
    ``(h_t, c_t)``, both ``(N, H)`` (zeros at ``t = 0`` by default). The parameters stack the
    gates i | f | g | o: ``weight_ih (4H, H_in)``, ``weight_hh (4H, H)``, ``bias_ih``,
    ``bias_hh (4H,)``. ``return_gates=True`` gives ``i, f, g, o`` and the cell state ``c``.

    Args:
        input_size: ``H_in``. hidden_size: ``H``.
        rng: draws the initial parameters, each ~ U(−1/√H, 1/√H) like PyTorch.
        dtype: of the parameters and of every computation (float64 by default).

        >>> cell = LSTMCell(3, 4, rng=np.random.default_rng(0))
        >>> h, c = cell.step(np.ones((2, 3)), (np.zeros((2, 4)), np.zeros((2, 4))))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """

    gate_count = 4
    gate_names = ("i", "f", "g", "o", "c")
    _torch_names = ("LSTMCell", "LSTM")

    def _check_state(self, state: Any, name: str, where: str,
                     dims: dict[str, tuple[int, str]]) -> tuple[Array, Array]:
        # _Cell._check_state checks one array; it is named rather than reached by super()
        # so that utils.variants.CIFGLSTM, which also carries (h, c), can reuse this method.
        if state is None:
            return (_Cell._check_state(self, None, name, where, dims),
                    _Cell._check_state(self, None, name, where, dims))
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            got = (f"a {type(state).__name__} of length {len(state)}"
                   if isinstance(state, (tuple, list)) else type(state).__name__)
            raise ValueError(
                f"{where}: expected {name} to be a pair (h, c) of arrays of shape "
                f"(N, {self.hidden_size}) = (batch, hidden_size), got {got}"
            )
        h, c = state
        return (_Cell._check_state(self, h, f"{name}[0] (h)", where, dims),
                _Cell._check_state(self, c, f"{name}[1] (c)", where, dims))

    @staticmethod
    def _hidden(state: tuple[Array, Array]) -> Array:
        return state[0]

    def _recurrence(self, xw_t: Array, state: tuple[Array, Array]
                    ) -> tuple[tuple[Array, Array], dict[str, Array]]:
        h_prev, c_prev = state  # each (N, H)
        a_i, a_f, a_g, a_o = np.split(xw_t + h_prev @ self.weight_hh.T + self.bias_hh, 4, axis=1)
        i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)  # (N, H)
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * np.tanh(c_t)
        return (h_t, c_t), {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t}

    def backward(self, X: ArrayLike, state0: Any, dH: ArrayLike) -> dict[str, Array]:
        """BPTT for ``L = Σ_t sum(h_t ⊙ dH_t)``, from ``t = T`` down to 1 (``δ`` = ``dL/d·``,
        ``a_i, a_f, a_g, a_o`` the arguments of σ, σ, tanh, σ):

            δh_t = dH_t + δa_{t+1} W_hh                         (δa_{T+1} = 0)
            δc_t = δc_{t+1} ⊙ f_{t+1} + δh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
            δa_i = δc_t ⊙ g_t ⊙ i_t (1 − i_t)     δa_f = δc_t ⊙ c_{t−1} ⊙ f_t (1 − f_t)
            δa_g = δc_t ⊙ i_t ⊙ (1 − g_t²)        δa_o = δh_t ⊙ tanh(c_t) ⊙ o_t (1 − o_t)
            dL/dh_0 = δa_1 W_hh                   dL/dc_0 = δc_1 ⊙ f_1

        ``X (T, N, H_in)``, ``state0`` ``(h0, c0)``, each ``(N, H)``, or ``None`` (zeros),
        ``dH (T, N, H)``. Returns a dict: ``weight_ih``, ``weight_hh``, ``bias_ih``,
        ``bias_hh`` (shaped like the parameters), ``X (T, N, H_in)``, ``h0``, ``c0 (N, H)``.
        """
        X, (h0, c0), dH = self._check_sequence_args(X, state0, "LSTMCell.backward", dH)
        H_all, _, gates = self._run(X, (h0, c0))
        i, f, g, o, C = (gates[k] for k in ("i", "f", "g", "o", "c"))  # each (T, N, H)
        H_prev = np.concatenate([h0[None], H_all])[:-1]  # h_{t−1} for every t: (T, N, H)
        C_prev = np.concatenate([c0[None], C])[:-1]  # c_{t−1} for every t: (T, N, H)
        tanh_C = np.tanh(C)  # (T, N, H)
        dA = np.empty((*H_all.shape[:2], 4 * self.hidden_size), dtype=self.dtype)  # (T, N, 4H)
        dh = np.zeros_like(h0)  # dL/dh_t through the steps after t: (N, H)
        dc = np.zeros_like(c0)  # dL/dc_t through the steps after t: (N, H)
        for t in reversed(range(len(X))):
            dh = dh + dH[t]
            do = dh * tanh_C[t]  # h_t = o_t tanh(c_t)
            dc = dc + dh * o[t] * (1 - tanh_C[t] ** 2)
            di, df, dg = dc * g[t], dc * C_prev[t], dc * i[t]  # c_t = f c_{t−1} + i g
            dA[t] = np.concatenate([
                di * i[t] * (1 - i[t]),  # through σ
                df * f[t] * (1 - f[t]),
                dg * (1 - g[t] ** 2),  # through tanh
                do * o[t] * (1 - o[t]),
            ], axis=1)
            dc = dc * f[t]
            dh = dA[t] @ self.weight_hh  # (N, H)
        return {
            **self._input_gradients(X, dA),
            "weight_hh": np.tensordot(dA, H_prev, axes=([0, 1], [0, 1])),  # (4H, H)
            "bias_hh": dA.sum(axis=(0, 1)),  # (4H,)
            "h0": dh,
            "c0": dc,
        }
