"""GRU variants in NumPy: MGU, Li-GRU, GRU1/2/3, CIFG-LSTM and minGRU (loop and parallel scan).

Each class computes exactly what the module of the same name in ``utils.torch_cells`` computes
(``MGU`` ↔ ``MGUCell``, ...), with the same parameter names and layout, so weights copy across
with ``from_torch`` / ``to_torch``. The API is the one of ``utils.numpy_cells``:

* ``step(x (N, H_in), state=None, *, return_gates=False)`` → new state (``h (N, H)``, or
  ``(h, c)`` for the CIFG-LSTM), plus a dict of gates with ``return_gates=True``;
* ``forward(X (T, N, H_in), state0=None, *, return_gates=False)`` →
  ``(H_all (T, N, H), final_state)``, plus the gates of every step stacked ``(T, N, H)``.

The equations, the papers and how their sign conventions map to the course's are in each
class's docstring (and in the matching ``utils.torch_cells`` module). Only ``MinGRU`` has a
``backward`` here: its gradient is a second linear scan, run backwards in time.

    >>> import numpy as np
    >>> cell = MinGRU(3, 5, rng=np.random.default_rng(0))
    >>> X = np.random.default_rng(1).normal(size=(7, 2, 3))
    >>> H_loop, _ = cell.forward(X, method="loop")
    >>> H_scan, _ = cell.forward(X, method="scan")
    >>> bool(np.allclose(H_loop, H_scan))
    True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from utils._shapes import check_shape
from utils.numpy_cells import LSTMCell, _Cell, sigmoid

__all__ = [
    "MGU",
    "LiGRU",
    "GRU1",
    "GRU2",
    "GRU3",
    "CIFGLSTM",
    "MinGRU",
    "linear_scan",
    "linear_scan_loop",
    "linear_scan_rounds",
    "scan_schedule",
    "product_scan",
    "log_linear_scan",
    "g_positive",
    "log_g_positive",
    "gate_inputs",
    "VARIANTS",
]

Array = NDArray[np.floating]


# ============================================================================================
# The linear recurrence h_t = a_t ⊙ h_{t−1} + b_t, sequentially and by a parallel scan
# ============================================================================================


def _check_scan_args(a: ArrayLike, b: ArrayLike, h0: ArrayLike, where: str):
    a, b, h0 = np.asarray(a), np.asarray(b), np.asarray(h0)
    if a.ndim < 1 or a.shape != b.shape or a.shape[1:] != h0.shape:
        raise ValueError(
            f"{where}: expected a and b of shape (T, *batch) and h0 of shape (*batch), got "
            f"a {a.shape}, b {b.shape}, h0 {h0.shape}"
        )
    return a, b, h0


def linear_scan_loop(a: ArrayLike, b: ArrayLike, h0: ArrayLike) -> Array:
    r"""All :math:`h_t = a_t \odot h_{t-1} + b_t` for :math:`t = 1..T`, one step at a time.

    Shapes: ``a``, ``b`` ``(T, *batch)``; ``h0`` ``(*batch)``. Returns ``(T, *batch)``.
    """
    a, b, h0 = _check_scan_args(a, b, h0, "linear_scan_loop")
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b, h0))
    h = h0
    for t in range(a.shape[0]):
        h = a[t] * h + b[t]
        out[t] = h
    return out


def linear_scan(a: ArrayLike, b: ArrayLike, h0: ArrayLike) -> Array:
    r"""All :math:`h_t = a_t \odot h_{t-1} + b_t`, :math:`t = 1..T`, by a parallel scan.

    Composing two steps gives a step of the same form:
    :math:`h_t = a_t (a_{t-1} h_{t-2} + b_{t-1}) + b_t = (a_t a_{t-1}) h_{t-2} +
    (a_t b_{t-1} + b_t)`, so the pairs :math:`(a, b)` combine with the associative operator
    :math:`(a, b) \circ (a', b') = (a' a,\ a' b + b')` (earlier pair on the left). After
    folding :math:`h_0` into the first pair (:math:`b_1 \leftarrow a_1 h_0 + b_1`), the
    Hillis–Steele inclusive scan does :math:`\lceil \log_2 T \rceil` rounds; in round
    :math:`d = 1, 2, 4, \dots` every position :math:`t > d` combines with position
    :math:`t - d`. Each round is one vectorised NumPy operation over all :math:`t` (on
    parallel hardware: depth :math:`O(\log T)`, work :math:`O(T \log T)`).

    Shapes: ``a``, ``b`` ``(T, *batch)``; ``h0`` ``(*batch)``. Returns ``(T, *batch)``,
    equal to :func:`linear_scan_loop` up to rounding.
    """
    a, b, h0 = _check_scan_args(a, b, h0, "linear_scan")
    T = a.shape[0]
    A = np.array(a, dtype=np.result_type(a, b, h0))
    B = np.array(b, dtype=A.dtype)
    if T == 0:
        return B
    B[0] = A[0] * h0 + B[0]
    d = 1
    while d < T:
        # right-hand sides are evaluated before the in-place writes, so positions t - d
        # are read from the previous round
        B[d:] = A[d:] * B[:-d] + B[d:]
        A[d:] = A[d:] * A[:-d]
        d *= 2
    return B


def scan_schedule(T: int) -> list[tuple[int, np.ndarray]]:
    r"""Which positions combine in each round of :func:`linear_scan` (Hillis–Steele).

    Returns one ``(d, targets)`` per round, :math:`d = 1, 2, 4, \dots < T`
    (:math:`\lceil \log_2 T \rceil` rounds): in that round every position ``t`` in
    ``targets`` (0-based, ``t >= d``) combines with position ``t - d``. Positions below ``d``
    already hold their final value.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise ValueError(f"scan_schedule: expected T a non-negative int, got {T!r}")
    rounds, d = [], 1
    while d < T:
        rounds.append((d, np.arange(d, T)))
        d *= 2
    return rounds


def linear_scan_rounds(a: ArrayLike, b: ArrayLike, h0: ArrayLike) -> list[Array]:
    r"""The ``B`` array of :func:`linear_scan` after folding in :math:`h_0` and after each round.

    Item ``k`` (``k = 0 .. ⌈log₂ T⌉``) holds, at position ``t``, the state :math:`h_t`
    computed from the last :math:`\min(t + 1, 2^k)` pairs only (plus :math:`h_0` when
    those reach back to the start); the last item equals :func:`linear_scan_loop`.
    """
    a, b, h0 = _check_scan_args(a, b, h0, "linear_scan_rounds")
    A = np.array(a, dtype=np.result_type(a, b, h0))
    B = np.array(b, dtype=A.dtype)
    if len(A) == 0:
        return [B]
    B[0] = A[0] * h0 + B[0]
    history = [B.copy()]
    for d, _ in scan_schedule(len(A)):
        B[d:] = A[d:] * B[:-d] + B[d:]
        A[d:] = A[d:] * A[:-d]
        history.append(B.copy())
    return history


def product_scan(a: ArrayLike, b: ArrayLike, h0: ArrayLike) -> Array:
    r"""All :math:`h_t = a_t h_{t-1} + b_t` by the closed form with two prefix operations.

    Unrolling the recurrence gives :math:`h_t = A_t \big(h_0 + \sum_{k \le t} b_k / A_k\big)`
    with :math:`A_t = \prod_{k \le t} a_k`: a cumulative product and a cumulative sum,
    both parallel prefix operations (Heinsen 2023, before taking logarithms). Exact in
    real arithmetic, but in floating point :math:`A_t` underflows to 0 once the product
    of the gates falls below the smallest float (about :math:`10^{-308}` in float64), and
    :math:`b_k / A_k` then overflows: the result becomes ``nan`` or ``inf``
    (see :func:`log_linear_scan`). Requires every :math:`a_t \ne 0`.

    Shapes: ``a``, ``b`` ``(T, *batch)``; ``h0`` ``(*batch)``. Returns ``(T, *batch)``.
    """
    a, b, h0 = _check_scan_args(a, b, h0, "product_scan")
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        A = np.cumprod(a, axis=0)  # (T, *batch)
        return A * (h0 + np.cumsum(b / A, axis=0))


def log_linear_scan(log_a: ArrayLike, log_b: ArrayLike, log_h0: ArrayLike) -> Array:
    r""":math:`\log h_t` for :math:`h_t = a_t h_{t-1} + b_t` with positive :math:`a, b, h_0`,
    computed in log space (Heinsen 2023).

    .. math::
        a^*_t = \sum_{k \le t} \log a_k, \qquad
        \log h_t = a^*_t + \log\Big(h_0 + \sum_{k \le t} e^{\log b_k - a^*_k}\Big)
                 = a^*_t + \operatorname{logcumsumexp}\big(\log h_0,\
                   \log b_1 - a^*_1, \dots\big)_t

    Two prefix operations (a cumulative sum and a cumulative log-sum-exp), each parallel;
    no product of gates is ever formed, so nothing underflows. Returns ``log h``; take
    ``np.exp`` for the states.

    Shapes: ``log_a``, ``log_b`` ``(T, *batch)``; ``log_h0`` ``(*batch)``. Returns
    ``(T, *batch)``.
    """
    log_a, log_b, log_h0 = _check_scan_args(log_a, log_b, log_h0, "log_linear_scan")
    a_star = np.cumsum(log_a, axis=0)  # (T, *batch)
    terms = np.concatenate([log_h0[None], log_b - a_star])  # (T + 1, *batch)
    return a_star + np.logaddexp.accumulate(terms, axis=0)[1:]


def g_positive(x: ArrayLike) -> Array:
    r"""minGRU's positive activation for the log-space candidate (Feng et al. 2024, App. B):
    :math:`g(x) = x + \tfrac12` for :math:`x \ge 0`, :math:`\sigma(x)` for :math:`x < 0`
    (continuous, positive, increasing)."""
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    return np.where(x >= 0, np.maximum(x, 0) + 0.5, sigmoid(np.minimum(x, 0)))


def log_g_positive(x: ArrayLike) -> Array:
    r""":math:`\log g(x)` without forming :math:`g(x)`: :math:`\log(x + \tfrac12)` for
    :math:`x \ge 0`, :math:`-\mathrm{softplus}(-x)` for :math:`x < 0`."""
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    neg = np.minimum(x, 0)
    return np.where(x >= 0, np.log(np.maximum(x, 0) + 0.5), -np.logaddexp(0, -neg))


# ============================================================================================
# Shared machinery
# ============================================================================================


class _Variant(_Cell):
    """What the variants add to ``utils.numpy_cells._Cell``: their own parameter layouts.

    From ``_Cell`` they take the checks of the sizes, dtype and ``rng``, ``copy``,
    ``repr`` and the input checks (``_check_step_args``, ``_check_sequence_args``). A
    subclass sets ``gate_names``, ``_torch_class`` (the class name in ``utils.torch_cells``),
    ``_param_shapes`` and writes ``_input_projection`` and ``_recurrence``.
    """

    gate_names: ClassVar[tuple[str, ...]]
    _torch_class: ClassVar[str]
    has_cell_state: ClassVar[bool] = False

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        rng = self._set_sizes(input_size, hidden_size, rng, dtype)
        k = 1 / np.sqrt(self.hidden_size)  # PyTorch's init: U(−1/√H, 1/√H)
        for pname, shape in self._param_shapes().items():
            setattr(self, pname, rng.uniform(-k, k, size=shape).astype(self.dtype))

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    # ---------------------------------------------------------------- parameters

    def parameters(self) -> dict[str, Array]:
        """The live parameter arrays by name (the names of the ``utils.torch_cells`` module)."""
        return {name: getattr(self, name) for name in self._param_shapes()}

    def _arrays(self) -> dict[str, str]:
        """NumPy attribute → key in the torch module's ``state_dict`` (parameters, buffers)."""
        return {name: name for name in self._param_shapes()}

    def _check_parameters(self, where: str) -> None:
        H = self.hidden_size
        for name, shape in self._param_shapes().items():
            # every first axis stacks k blocks of H rows; the second is H_in or H
            k = shape[0] // H
            labels = ("H" if k == 1 else f"{k}·H",
                      "input_size" if name == "weight_ih" else "hidden_size")
            check_shape(getattr(self, name), shape, name=f"parameter {name}",
                        labels=labels[: len(shape)], where=where)

    # ---------------------------------------------------------------- PyTorch interop

    @classmethod
    def from_torch(cls, module: Any, *, dtype: DTypeLike = np.float64) -> _Variant:
        """A NumPy cell with the weights (and batch-norm buffers) of the matching
        ``utils.torch_cells`` module, copied and cast to ``dtype``."""
        from utils import torch_cells

        expected = getattr(torch_cells, cls._torch_class)
        if not isinstance(module, expected):
            raise ValueError(
                f"{cls.__name__}.from_torch: expected utils.torch_cells.{expected.__name__}, "
                f"got {type(module).__module__}.{type(module).__name__}"
            )
        cell = cls(module.input_size, module.hidden_size, rng=np.random.default_rng(0),
                   dtype=dtype)
        state = module.state_dict()
        for attr, key in cell._arrays().items():
            setattr(cell, attr, np.array(state[key].detach().cpu().numpy(), dtype=cell.dtype))
        for attr, value in cell._torch_options(module).items():
            setattr(cell, attr, value)
        return cell

    def _torch_options(self, module: Any) -> dict[str, Any]:
        """Constructor options to carry over from a torch module (none by default)."""
        return {}

    def to_torch(self) -> Any:  # type: ignore[override]  # no sequence module to choose
        """The matching ``utils.torch_cells`` module with these weights, in this dtype."""
        import torch

        from utils import torch_cells

        self._check_parameters(f"{type(self).__name__}.to_torch")
        torch_dtype = torch.from_numpy(np.zeros(0, dtype=self.dtype)).dtype
        module = getattr(torch_cells, self._torch_class)(
            self.input_size, self.hidden_size, dtype=torch_dtype, **self._torch_options(None)
        )
        state = {key: torch.from_numpy(np.array(getattr(self, attr)))
                 for attr, key in self._arrays().items()}
        module.load_state_dict(state, strict=False)
        return module

    # ---------------------------------------------------------------- step and forward

    def _input_projection(self, X: Array, **options: Any) -> Array:
        """The ``x_t`` part of every gate, ``(..., H_in) -> (..., G·H)``."""
        raise NotImplementedError

    def _recurrence(self, xw_t: Array, state: Any) -> tuple[Any, dict[str, Array]]:
        raise NotImplementedError

    def step(self, x: ArrayLike, state: Any = None, *, return_gates: bool = False) -> Any:
        """One time step: ``x (N, H_in)`` and the state (``None``: zeros) → the new state.

        With ``return_gates=True`` returns ``(new_state, gates)`` (``gates``: dict of
        ``(N, H)`` arrays, names in ``gate_names``).
        """
        return self._step(x, state, return_gates)

    def forward(self, X: ArrayLike, state0: Any = None, *, return_gates: bool = False) -> Any:
        """A sequence: ``X (T, N, H_in)`` → ``(H_all (T, N, H), final_state)``.

        The input projections of all steps are one matrix product before the loop. With
        ``return_gates=True`` a third item holds every gate stacked ``(T, N, H)``.
        """
        return self._forward(X, state0, return_gates)

    def _step(self, x: ArrayLike, state: Any, return_gates: bool, **options: Any) -> Any:
        """``step``, with ``options`` for ``_input_projection`` (LiGRU's ``training``)."""
        x, state = self._check_step_args(x, state, f"{type(self).__name__}.step")
        new_state, gates = self._recurrence(self._input_projection(x, **options), state)
        return (new_state, gates) if return_gates else new_state

    def _forward(self, X: ArrayLike, state0: Any, return_gates: bool, **options: Any) -> Any:
        """``forward``, with ``options`` for ``_input_projection`` (LiGRU's ``training``)."""
        X, state0, _ = self._check_sequence_args(X, state0, f"{type(self).__name__}.forward")
        H_all, state, gates = self._run(self._input_projection(X, **options), state0)
        return (H_all, state, gates) if return_gates else (H_all, state)

    def _run(self, XW: Array, state0: Any) -> tuple[Array, Any, dict[str, Array]]:
        T, N = XW.shape[:2]
        H_all = np.empty((T, N, self.hidden_size), dtype=self.dtype)  # (T, N, H)
        gates = {g: np.empty_like(H_all) for g in self.gate_names}
        state = state0
        for t in range(T):
            state, gates_t = self._recurrence(XW[t], state)
            H_all[t] = self._hidden(state)
            for g, value in gates_t.items():
                gates[g][t] = value
        return H_all, state, gates


# ============================================================================================
# The variants (equations: see the matching classes of utils.torch_cells)
# ============================================================================================


class MGU(_Variant):
    r"""Minimal gated unit (NumPy). Torch twin: ``utils.torch_cells.MGUCell``.

    .. math::
        \begin{array}{ll}
        f_t = \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) \\
        n_t = \tanh(W_{in} x_t + W_{hn} (f_t \odot h_{t-1}) + b_n) \\
        h_t = (1 - f_t) \odot h_{t-1} + f_t \odot n_t
        \end{array}

    The paper's equations (Chung et al.'s sign): in the course's convention :math:`f_t` is
    the reset gate :math:`r_t = f_t` and the update gate :math:`z_t = 1 - f_t` at once.

    Zhou, Wu, Zhang & Zhou (2016), "Minimal Gated Unit for Recurrent Neural Networks",
    International Journal of Automation and Computing 13(3); arXiv:1603.09420.

    Parameters: ``weight_ih (2H, H_in)``, ``weight_hh (2H, H)``, ``bias (2H,)``, stacked f | n.
    """

    gate_names = ("f", "n")
    _torch_class = "MGUCell"

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (2 * H, H_in), "weight_hh": (2 * H, H), "bias": (2 * H,)}

    def _input_projection(self, X: Array, **options: Any) -> Array:
        return X @ self.weight_ih.T + self.bias  # (..., 2H)

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        H = self.hidden_size
        W_hf, W_hn = self.weight_hh[:H], self.weight_hh[H:]
        f_t = sigmoid(xw_t[:, :H] + h_prev @ W_hf.T)  # (N, H)
        n_t = np.tanh(xw_t[:, H:] + (f_t * h_prev) @ W_hn.T)  # (N, H)
        h_t = (1 - f_t) * h_prev + f_t * n_t
        return h_t, {"f": f_t, "n": n_t}


class LiGRU(_Variant):
    r"""Light GRU (NumPy). Torch twin: ``utils.torch_cells.LiGRUCell``.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(\mathrm{BN}(W_{iz} x_t) + W_{hz} h_{t-1}) \\
        n_t = \mathrm{ReLU}(\mathrm{BN}(W_{in} x_t) + W_{hn} h_{t-1}) \\
        h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{array}

    :math:`\mathrm{BN}(a) = \gamma \odot (a - \mu) / \sqrt{v + \epsilon} + \beta`, per unit
    of the stacked ``(2H,)`` projection. Which :math:`\mu, v`: ``training=False`` (default)
    uses the running statistics ``bn_running_mean``, ``bn_running_var`` (like the torch
    module in eval mode); ``training=True`` uses the statistics of the batch (mean and
    *biased* variance over all :math:`T \cdot N` rows in ``forward``, over the :math:`N`
    rows in ``step``), like the torch module in training mode, but does **not** update the
    running statistics.

    Ravanelli, Brakel, Omologo & Bengio (2018), "Light Gated Recurrent Units for Speech
    Recognition", IEEE TETCI 2(2); arXiv:1803.10225.

    Parameters: ``weight_ih (2H, H_in)``, ``weight_hh (2H, H)``, ``bn_weight`` (γ),
    ``bn_bias`` (β) ``(2H,)``, stacked z | n; buffers ``bn_running_mean``, ``bn_running_var``.
    ``batch_norm=False`` removes the normalisation (:math:`\mathrm{BN}(a) = a`): not the
    paper's model, the ablation that shows why it needs BN.
    """

    gate_names = ("z", "n")
    _torch_class = "LiGRUCell"
    eps: float = 1e-5

    def __init__(self, input_size: int, hidden_size: int, *,
                 rng: np.random.Generator | None = None, dtype: DTypeLike = np.float64,
                 batch_norm: bool = True) -> None:
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)
        # batch_norm=False drops BN altogether (no γ, β, statistics): the projection is the
        # raw W_i· x_t, to show what the normalisation protects the ReLU candidate from
        self.batch_norm = bool(batch_norm)
        H2 = 2 * self.hidden_size
        self.bn_weight = np.ones(H2, dtype=self.dtype)
        self.bn_bias = np.zeros(H2, dtype=self.dtype)
        self.bn_running_mean = np.zeros(H2, dtype=self.dtype)
        self.bn_running_var = np.ones(H2, dtype=self.dtype)

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (2 * H, H_in), "weight_hh": (2 * H, H),
                "bn_weight": (2 * H,), "bn_bias": (2 * H,)}

    def _arrays(self) -> dict[str, str]:
        return {"weight_ih": "weight_ih", "weight_hh": "weight_hh", "bn_weight": "bn.weight",
                "bn_bias": "bn.bias", "bn_running_mean": "bn.running_mean",
                "bn_running_var": "bn.running_var"}

    def _torch_options(self, module: Any) -> dict[str, Any]:
        # batch norm's epsilon: read from the torch module, or passed on to it
        if module is None and not self.batch_norm:
            raise ValueError("LiGRU.to_torch: expected a LiGRU with batch_norm=True (the torch "
                             "LiGRUCell always normalises), got batch_norm=False")
        return {"eps": float(module.bn.eps)} if module is not None else {"eps": self.eps}

    def _input_projection(self, X: Array, training: bool = False, **options: Any) -> Array:
        a = X @ self.weight_ih.T  # (..., 2H)
        if not self.batch_norm:
            return a
        if training:
            rows = a.reshape(-1, a.shape[-1])  # (T·N, 2H) or (N, 2H)
            mean, var = rows.mean(axis=0), rows.var(axis=0)  # biased variance
        else:
            mean, var = self.bn_running_mean, self.bn_running_var
        return self.bn_weight * (a - mean) / np.sqrt(var + self.eps) + self.bn_bias

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        H = self.hidden_size
        a = xw_t + h_prev @ self.weight_hh.T  # (N, 2H)
        z_t = sigmoid(a[:, :H])
        n_t = np.maximum(a[:, H:], 0)
        h_t = z_t * h_prev + (1 - z_t) * n_t
        return h_t, {"z": z_t, "n": n_t}

    def step(self, x: ArrayLike, state: Any = None, *, return_gates: bool = False,
             training: bool = False) -> Any:
        """One step; ``training`` chooses the batch-norm statistics (see the class doc)."""
        return self._step(x, state, return_gates, training=training)

    def forward(self, X: ArrayLike, state0: Any = None, *, return_gates: bool = False,
                training: bool = False) -> Any:
        """A sequence; ``training`` chooses the batch-norm statistics (see the class doc)."""
        return self._forward(X, state0, return_gates, training=training)


class _GateVariant(_Variant):
    r"""Dey & Salem's gate variants (NumPy); see ``GRU1``, ``GRU2``, ``GRU3``.

    .. math::
        \begin{array}{lll}
        \text{GRU1:} & r_t = \sigma(W_{hr} h_{t-1} + b_r), &
                       z_t = \sigma(W_{hz} h_{t-1} + b_z) \\
        \text{GRU2:} & r_t = \sigma(W_{hr} h_{t-1}), & z_t = \sigma(W_{hz} h_{t-1}) \\
        \text{GRU3:} & r_t = \sigma(b_r), & z_t = \sigma(b_z) \\
        \text{all:}  & n_t = \tanh(W_{in} x_t + W_{hn} (r_t \odot h_{t-1}) + b_n) \\
                     & h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{array}

    The paper uses Chung et al.'s sign :math:`h_t = (1 - z_t) h_{t-1} + z_t \tilde h_t`;
    the course's sign is the same model after :math:`(W_{hz}, b_z) \to (-W_{hz}, -b_z)`.

    Dey & Salem (2017), "Gate-Variants of Gated Recurrent Unit (GRU) Neural Networks",
    IEEE MWSCAS 2017; arXiv:1701.05923.

    Parameters: ``weight_ih (H, H_in)``; ``weight_hh`` ``(3H, H)`` r | z | n (GRU1, GRU2) or
    ``(H, H)`` (GRU3); ``bias`` ``(3H,)`` r | z | n (GRU1, GRU3) or ``(H,)`` (GRU2).
    """

    gate_names = ("r", "z", "n")
    variant: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # GRU1/2/3 write one line of their own; the equations above follow it
        cls.__doc__ = f"{cls.__doc__}\n\n{_GateVariant.__doc__}"

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (H, H_in),
                "weight_hh": (H if self.variant == 3 else 3 * H, H),
                "bias": (H if self.variant == 2 else 3 * H,)}

    def _input_projection(self, X: Array, **options: Any) -> Array:
        return X @ self.weight_ih.T + self.bias[-self.hidden_size:]  # (..., H)

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        H = self.hidden_size
        if self.variant == 1:
            rz_pre = h_prev @ self.weight_hh[: 2 * H].T + self.bias[: 2 * H]
        elif self.variant == 2:
            rz_pre = h_prev @ self.weight_hh[: 2 * H].T
        else:
            rz_pre = np.broadcast_to(self.bias[: 2 * H], (h_prev.shape[0], 2 * H))
        rz = sigmoid(rz_pre)  # (N, 2H)
        r_t, z_t = rz[:, :H], rz[:, H:]
        n_t = np.tanh(xw_t + (r_t * h_prev) @ self.weight_hh[-H:].T)
        h_t = z_t * h_prev + (1 - z_t) * n_t
        return h_t, {"r": r_t, "z": z_t, "n": n_t}


class GRU1(_GateVariant):
    """GRU1: gates from ``h_{t-1}`` and a bias. Torch twin: ``GRU1Cell``."""

    variant = 1
    _torch_class = "GRU1Cell"


class GRU2(_GateVariant):
    """GRU2: gates from ``h_{t-1}`` only. Torch twin: ``GRU2Cell``."""

    variant = 2
    _torch_class = "GRU2Cell"


class GRU3(_GateVariant):
    """GRU3: gates from a bias only. Torch twin: ``GRU3Cell``."""

    variant = 3
    _torch_class = "GRU3Cell"


class CIFGLSTM(_Variant):
    r"""LSTM with coupled input and forget gates (NumPy). Torch twin: ``CIFGLSTMCell``.

    .. math::
        \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) \\
        g_t = \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) \\
        o_t = \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) \\
        c_t = (1 - i_t) \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t)
        \end{array}

    No peepholes (Greff et al.'s vanilla LSTM has them), one bias per gate.

    Greff, Srivastava, Koutník, Steunebrink & Schmidhuber (2017), "LSTM: A Search Space
    Odyssey", IEEE TNNLS 28(10); arXiv:1503.04069.

    State ``(h, c)``. Parameters: ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``,
    ``bias (3H,)``, stacked i | g | o.
    """

    gate_names = ("i", "f", "g", "o", "c")
    _torch_class = "CIFGLSTMCell"
    has_cell_state = True
    # the state is a pair (h, c), checked and read as LSTMCell's
    _check_state = LSTMCell._check_state
    _hidden = staticmethod(LSTMCell._hidden)

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (3 * H, H_in), "weight_hh": (3 * H, H), "bias": (3 * H,)}

    def _input_projection(self, X: Array, **options: Any) -> Array:
        return X @ self.weight_ih.T + self.bias  # (..., 3H)

    def _recurrence(self, xw_t: Array, state: tuple[Array, Array]
                    ) -> tuple[tuple[Array, Array], dict[str, Array]]:
        H = self.hidden_size
        h_prev, c_prev = state
        a = xw_t + h_prev @ self.weight_hh.T  # (N, 3H)
        i_t, g_t, o_t = sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H]), sigmoid(a[:, 2 * H:])
        f_t = 1 - i_t
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * np.tanh(c_t)
        return (h_t, c_t), {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t}


class MinGRU(_Variant):
    r"""minGRU (NumPy), sequential or by a parallel scan. Torch twin: ``MinGRUCell``.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(W_{iz} x_t + b_z) \\
        n_t = W_{in} x_t + b_n \\
        h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t
            = a_t \odot h_{t-1} + b_t, \quad a_t = z_t,\ b_t = (1 - z_t) \odot n_t
        \end{array}

    The paper writes :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t` (Chung et
    al.'s sign), :math:`\tilde h_t = \mathrm{Linear}(x_t)` without tanh; the course's sign is
    the same model after :math:`(W_{iz}, b_z) \to (-W_{iz}, -b_z)`. As :math:`a_t, b_t` do
    not depend on :math:`h`, ``forward(..., method="scan")`` (default) computes every
    :math:`h_t` with :func:`linear_scan`; ``method="loop"`` steps through time.

    Feng, Tung, Ahmed, Bengio & Hajimirsadeghi (2024), "Were RNNs All We Needed?",
    arXiv:2410.01201.

    Parameters: ``weight_ih (2H, H_in)``, ``bias (2H,)``, stacked z | n.

    ``positive=True`` is the paper's log-space minGRU (its Appendix B):
    :math:`n_t = g(W_{in} x_t + b_n)` with :func:`g_positive` (always :math:`> 0`), so with
    :math:`h_0 \ge 0` every :math:`h_t > 0` and ``method="log"`` computes the states with
    :func:`log_linear_scan`.
    """

    gate_names = ("z", "n")
    _torch_class = "MinGRUCell"

    def __init__(self, input_size: int, hidden_size: int, *,
                 rng: np.random.Generator | None = None, dtype: DTypeLike = np.float64,
                 positive: bool = False) -> None:
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)
        self.positive = bool(positive)

    def _torch_options(self, module: Any) -> dict[str, Any]:
        if module is not None:
            return {"positive": bool(module.positive)}
        return {"positive": self.positive}

    def _candidate(self, a_n: Array) -> Array:
        return g_positive(a_n) if self.positive else a_n

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        H, H_in = self.hidden_size, self.input_size
        return {"weight_ih": (2 * H, H_in), "bias": (2 * H,)}

    def _input_projection(self, X: Array, **options: Any) -> Array:
        return X @ self.weight_ih.T + self.bias  # (..., 2H)

    def _recurrence(self, xw_t: Array, h_prev: Array) -> tuple[Array, dict[str, Array]]:
        H = self.hidden_size
        z_t, n_t = sigmoid(xw_t[:, :H]), self._candidate(xw_t[:, H:])
        h_t = z_t * h_prev + (1 - z_t) * n_t
        return h_t, {"z": z_t, "n": n_t}

    def forward(self, X: ArrayLike, state0: Any = None, *, return_gates: bool = False,
                method: str = "scan") -> Any:
        """A sequence ``X (T, N, H_in)`` → ``(H_all (T, N, H), h_T (N, H))``.

        ``method``: ``"scan"`` (parallel scan, default), ``"loop"`` (step by step) or
        ``"log"`` (log-space scan; needs ``positive=True`` and ``h0 >= 0``).
        """
        if method not in ("scan", "loop", "log"):
            raise ValueError(f"MinGRU.forward: expected method 'scan' or 'loop', got {method!r} "
                             "(or 'log' with positive=True)")
        if method == "log" and not self.positive:
            raise ValueError("MinGRU.forward: method='log' needs positive=True (the candidate "
                             "g(.) > 0), got positive=False")
        X, h0, _ = self._check_sequence_args(X, state0, "MinGRU.forward")
        XW = self._input_projection(X)  # (T, N, 2H)
        H = self.hidden_size
        if method == "loop":
            H_all, h_T, gates = self._run(XW, h0)
        elif method == "scan":
            z, n = sigmoid(XW[..., :H]), self._candidate(XW[..., H:])  # (T, N, H) each
            H_all = linear_scan(z, (1 - z) * n, h0)
            h_T = H_all[-1] if len(H_all) else h0
            gates = {"z": z, "n": n}
        else:
            if np.any(h0 < 0):
                raise ValueError("MinGRU.forward: method='log' needs h0 >= 0, got a negative "
                                 f"entry {h0.min():.3g}")
            a_z = XW[..., :H]
            log_z = -np.logaddexp(0, -a_z)  # log σ(a)
            log_1mz = -np.logaddexp(0, a_z)  # log (1 − σ(a)) = log σ(−a)
            with np.errstate(divide="ignore"):
                log_h0 = np.log(h0)  # −inf where h0 = 0: contributes nothing
            H_all = np.exp(log_linear_scan(log_z, log_1mz + log_g_positive(XW[..., H:]),
                                           log_h0))
            h_T = H_all[-1] if len(H_all) else h0
            gates = {"z": sigmoid(a_z), "n": g_positive(XW[..., H:])}
        return (H_all, h_T, gates) if return_gates else (H_all, h_T)

    def backward(self, X: ArrayLike, state0: Any, dH: ArrayLike) -> dict[str, Array]:
        r"""Gradients of :math:`L = \sum_t \langle dH_t, h_t \rangle` (BPTT, as a scan).

        With :math:`g_t = \partial L / \partial h_t` (total), :math:`g_T = dH_T` and
        :math:`g_t = dH_t + a_{t+1} \odot g_{t+1}`: again a linear recurrence, run backwards
        in time with :func:`linear_scan`. Then :math:`\partial L/\partial b_t = g_t`,
        :math:`\partial L/\partial a_t = g_t \odot h_{t-1}`, :math:`\partial L/\partial h_0
        = a_1 \odot g_1`.

        Args: ``X (T, N, H_in)``, ``state0`` ``h0 (N, H)`` or ``None``, ``dH (T, N, H)``.
        Returns: dict with ``"weight_ih"``, ``"bias"``, ``"X"``, ``"h0"`` (same shapes).
        """
        if self.positive:
            raise ValueError("MinGRU.backward: written for positive=False (linear candidate), "
                             "got positive=True")
        X, h0, dH = self._check_sequence_args(X, state0, "MinGRU.backward", dH)
        H = self.hidden_size
        XW = self._input_projection(X)
        z, n = sigmoid(XW[..., :H]), XW[..., H:]  # (T, N, H)
        H_all = linear_scan(z, (1 - z) * n, h0)
        # g_t = dH_t + z_{t+1} g_{t+1}: a forward scan over the reversed sequence
        a_next = np.concatenate([z[1:], np.zeros_like(z[:1])])[::-1]
        g = linear_scan(a_next, dH[::-1], np.zeros_like(h0))[::-1]  # (T, N, H)
        H_prev = np.concatenate([h0[None], H_all[:-1]])  # (T, N, H)
        dz = g * (H_prev - n)  # from a_t = z_t and b_t = (1 - z_t) n_t
        dn = g * (1 - z)
        dXW = np.concatenate([dz * z * (1 - z), dn], axis=-1)  # (T, N, 2H)
        dXW2 = dXW.reshape(-1, 2 * H)
        return {
            "weight_ih": dXW2.T @ X.reshape(-1, self.input_size),
            "bias": dXW2.sum(axis=0),
            "X": dXW @ self.weight_ih,
            "h0": z[0] * g[0] if len(g) else np.zeros_like(h0),
        }


VARIANTS: dict[str, type[_Variant]] = {
    "mgu": MGU,
    "ligru": LiGRU,
    "gru1": GRU1,
    "gru2": GRU2,
    "gru3": GRU3,
    "cifg": CIFGLSTM,
    "mingru": MinGRU,
}


def _family_cell(kind: str, input_size: int, hidden_size: int, rng: np.random.Generator) -> Any:
    from utils.numpy_cells import GRUCell

    if kind == "gru":
        return GRUCell(input_size, hidden_size, rng=rng)
    if kind == "gru_before":
        return GRUCell(input_size, hidden_size, rng=rng, reset_after=False)
    if kind == "lstm":
        return LSTMCell(input_size, hidden_size, rng=rng)
    if kind not in VARIANTS:
        raise ValueError(f"gate_inputs: unknown kind {kind!r}; expected 'gru', 'gru_before', "
                         f"'lstm' or one of {', '.join(VARIANTS)}")
    return VARIANTS[kind](input_size, hidden_size, rng=rng)


def gate_inputs(kind: str, *, seed: int = 0) -> dict[str, dict[str, bool]]:
    r"""Which of :math:`x_t` and :math:`h_{t-1}` each gate of a cell reads, measured.

    One step of the NumPy cell (``kind``: ``"gru"``, ``"gru_before"``, ``"lstm"`` or a key
    of ``VARIANTS``) at a random :math:`(x_t, h_{t-1})`, then again with only :math:`x_t`
    changed and with only :math:`h_{t-1}` changed (and :math:`c_{t-1}` for LSTM-like cells):
    a gate *reads* an input when its value moves. Returns ``{gate: {"x": bool, "h": bool}}``
    for every gate and candidate (``r, z, n``; ``f, n``; ``i, f, g, o``; ...), the memory
    ``c`` left out. This is what the family-tree figure draws.
    """
    rng = np.random.default_rng(seed)
    cell = _family_cell(kind, 3, 4, rng)
    x, x2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    h, h2 = rng.uniform(-1, 1, size=(2, 4)), rng.uniform(-1, 1, size=(2, 4))
    if getattr(cell, "has_cell_state", False) or type(cell).__name__ == "LSTMCell":
        c = rng.uniform(-1, 1, size=(2, 4))
        state, state_h = (h, c), (h2, c)
    else:
        state, state_h = h, h2
    base = cell.step(x, state, return_gates=True)[1]
    moved_x = cell.step(x2, state, return_gates=True)[1]
    moved_h = cell.step(x, state_h, return_gates=True)[1]
    return {g: {"x": not np.allclose(base[g], moved_x[g], rtol=0, atol=1e-12),
                "h": not np.allclose(base[g], moved_h[g], rtol=0, atol=1e-12)}
            for g in base if g not in ("c", "h")}
