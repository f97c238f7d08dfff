"""The GRU conventions that disagree, and converters between them.

Three things differ between papers and libraries that all say "GRU":

1. **Which way the update gate points.** PyTorch, Keras, Cho et al. (2014) and d2l let
   ``z`` *keep* the old state, ``h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}``; Chung et al.
   (2014) and minGRU let it *take* the new one, ``h_t = z_t ⊙ n_t + (1 − z_t) ⊙ h_{t−1}``.
   Because ``1 − σ(a) = σ(−a)``, the two blends are the same model with the update gate's
   weights and biases negated, *for a fixed reset placement*: :func:`chung_to_pytorch`
   (its own inverse, :func:`pytorch_to_chung`). Chung et al. reset before the product, so
   their GRU is ``GRUCell(reset_after=False)`` with negated update weights, not
   ``torch.nn.GRUCell`` (:func:`chung_step`).
2. **Where the reset gate acts.** After the recurrent product,
   ``n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))`` (Cho et al. 2014 arXiv v1
   and v2, PyTorch, cuDNN, Keras ``reset_after=True``, the default since TensorFlow 2.0), or
   before it, ``n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)`` (Cho et al. 2014
   arXiv v3, Chung et al. 2014, d2l, Keras ``reset_after=False``). These are different
   models; ``utils.numpy_cells.GRUCell(reset_after=...)`` computes both.
   :func:`fused_step` shows why cuDNN chose "after": the three recurrent products fuse into
   one ``h_{t−1} W_hh^T`` per step (:func:`count_matmuls`).
3. **How the weights are stored.** PyTorch: ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``,
   ``bias_ih, bias_hh (3H,)``, gates stacked r | z | n, vectors multiply as ``x @ W.T``.
   Keras: ``kernel (H_in, 3H)``, ``recurrent_kernel (H, 3H)``, gates z | r | h, vectors
   multiply as ``x @ kernel``; ``bias (2, 3H)`` (input row, recurrent row) when
   ``reset_after=True``, one ``bias (3H,)`` when ``reset_after=False``.
   :func:`keras_to_pytorch` and :func:`pytorch_to_keras` convert; :func:`keras_step` runs
   Keras' own equations on Keras-layout weights. Many tutorials write
   each gate with one matrix on the concatenation, ``W_z · [h_{t−1}, x_t] + b_z``:
   :func:`concat_to_pytorch` splits those matrices into ``weight_hh`` and ``weight_ih``
   (:func:`concat_step` runs the tutorial equations as written).

Parameters travel as a dict with PyTorch's names (what ``GRUCell.parameters()`` returns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from utils._shapes import check_shape
from utils.budget import concat_to_torch
from utils.numpy_cells import GRUCell

__all__ = [
    "PARAM_NAMES",
    "check_params",
    "cell_from_params",
    "with_gate_offsets",
    "chung_to_pytorch",
    "pytorch_to_chung",
    "chung_step",
    "concat_step",
    "concat_to_pytorch",
    "keras_to_pytorch",
    "keras_step",
    "pytorch_to_keras",
    "fused_step",
    "MatmulCount",
    "count_matmuls",
    "reset_placement_gap",
]

Array = NDArray[np.float64]
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_PYTORCH_ORDER = ("r", "z", "n")  # gate blocks of weight_ih / weight_hh / biases
_KERAS_ORDER = ("z", "r", "n")  # Keras calls the candidate block "h"


def check_params(
    params: Mapping[str, ArrayLike], *, where: str
) -> tuple[dict[str, Array], int, int]:
    """Validate PyTorch-layout GRU parameters; return float64 copies, ``H_in`` and ``H``.

    Expected: ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``,
    ``bias_hh (3H,)``, gates stacked r | z | n. Raises ``ValueError`` naming the expected
    and the actual shape.
    """
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(
            f"{where}: expected parameters {list(PARAM_NAMES)}, missing {missing} "
            f"(got {sorted(params)})"
        )
    weight_hh = np.asarray(params["weight_hh"], dtype=np.float64)
    if weight_hh.ndim != 2 or weight_hh.shape[0] != 3 * weight_hh.shape[1]:
        raise ValueError(
            f"{where}: expected weight_hh of shape (3H, H) = (3·hidden_size, hidden_size), "
            f"got {weight_hh.shape}"
        )
    H = weight_hh.shape[1]
    dims: dict[str, tuple[int, str]] = {}
    out = {
        "weight_ih": check_shape(params["weight_ih"], (3 * H, "H_in"), name="weight_ih",
                                 labels=("3·hidden_size", "input_size"), where=where,
                                 dims=dims, dtype=np.float64).copy(),
        "weight_hh": weight_hh.copy(),
        "bias_ih": check_shape(params["bias_ih"], (3 * H,), name="bias_ih",
                               labels=("3·hidden_size",), where=where,
                               dtype=np.float64).copy(),
        "bias_hh": check_shape(params["bias_hh"], (3 * H,), name="bias_hh",
                               labels=("3·hidden_size",), where=where,
                               dtype=np.float64).copy(),
    }
    return out, dims["H_in"][0], H


def cell_from_params(params: Mapping[str, ArrayLike], *, reset_after: bool = True) -> GRUCell:
    """A float64 ``utils.numpy_cells.GRUCell`` holding (copies of) these parameters."""
    p, H_in, H = check_params(params, where="cell_from_params")
    cell = GRUCell(H_in, H, rng=np.random.default_rng(0), reset_after=reset_after)
    for name, value in p.items():
        setattr(cell, name, value)
    return cell


def with_gate_offsets(params: Mapping[str, ArrayLike], *, r: float = 0.0,
                      z: float = 0.0) -> dict[str, Array]:
    """Copy of ``params`` with ``r`` added to every reset pre-activation, ``z`` to every update.

    ``r_t = σ(… + r)``, ``z_t = σ(… + z)``: the offset goes into ``b_hr`` and ``b_hz``
    (``bias_hh`` rows ``[0, H)`` and ``[H, 2H)``). ``r = −1000`` makes ``r_t`` exactly 0 in
    float64 (``e^{−1000}`` underflows), ``z = +1000`` makes ``z_t`` exactly 1.
    """
    p, _, H = check_params(params, where="with_gate_offsets")
    p["bias_hh"][:H] += r
    p["bias_hh"][H:2 * H] += z
    return p


# --------------------------------------------------------------------------------------------
# 1. Update-gate sign: Chung et al. 2014 vs PyTorch
# --------------------------------------------------------------------------------------------


def _flip_update_gate(params: Mapping[str, ArrayLike], where: str) -> dict[str, Array]:
    p, _, H = check_params(params, where=where)
    for name in PARAM_NAMES:
        p[name][H:2 * H] *= -1  # the z block: W_iz, W_hz, b_iz, b_hz
    return p


def chung_to_pytorch(params: Mapping[str, ArrayLike]) -> dict[str, Array]:
    """Chung-convention parameters → PyTorch-convention parameters computing the same ``h_t``.

    Chung et al. (2014): ``z_t = σ(a_t)``, ``h_t = z_t ⊙ n_t + (1 − z_t) ⊙ h_{t−1}``.
    PyTorch: ``h_t = (1 − z'_t) ⊙ n_t + z'_t ⊙ h_{t−1}``. With ``z'_t = σ(−a_t) = 1 − σ(a_t)``
    the two agree, so the conversion negates the update gate's block (rows ``[H, 2H)``) of
    ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)`` and ``bias_hh (3H,)``;
    ``r`` and ``n`` are untouched. Returns new float64 arrays.
    """
    return _flip_update_gate(params, "chung_to_pytorch")


def pytorch_to_chung(params: Mapping[str, ArrayLike]) -> dict[str, Array]:
    """The inverse of :func:`chung_to_pytorch` (the same negation: it is an involution)."""
    return _flip_update_gate(params, "pytorch_to_chung")


def chung_step(params: Mapping[str, ArrayLike], x: ArrayLike, h_prev: ArrayLike, *,
               reset_after: bool = False) -> Array:
    """One GRU step in Chung et al.'s convention, where ``z`` takes the *new* state:

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
        n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)    (reset_after=False)
        h_t = z_t ⊙ n_t + (1 − z_t) ⊙ h_{t−1}

    The default is Chung et al.'s own placement (2014, eq. 7: ``tanh(W x_t + U(r_t ⊙
    h_{t−1}))``, the reset *before* the product; their equations carry no biases, which
    here are simply whatever ``params`` holds). ``reset_after=True`` gives the candidate
    ``tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))`` of PyTorch instead.

    ``r_t``, ``z_t`` and ``n_t`` are computed by ``utils.numpy_cells.GRUCell`` (they do not
    depend on the blend); only the last line differs from PyTorch.

    Shapes: ``x (N, H_in)``, ``h_prev (N, H)`` → ``h_t (N, H)``, float64.
    """
    cell = cell_from_params(params, reset_after=reset_after)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    _, gates = cell.step(x, h_prev, return_gates=True)  # validates x and h_prev
    z_t, n_t = gates["z"], gates["n"]
    return z_t * n_t + (1 - z_t) * h_prev  # (N, H)


# --------------------------------------------------------------------------------------------
# The concatenated notation of many tutorials
# --------------------------------------------------------------------------------------------


def _check_concat(W_r: ArrayLike, W_z: ArrayLike, W_h: ArrayLike, b_r: ArrayLike | None,
                  b_z: ArrayLike | None, b_h: ArrayLike | None, input_size: int,
                  where: str) -> tuple[list[Array], list[Array], int]:
    W_r = np.asarray(W_r, dtype=np.float64)
    if W_r.ndim != 2 or W_r.shape[1] != W_r.shape[0] + input_size:
        raise ValueError(f"{where}: expected W_r of shape (H, H + H_in) with H_in = "
                         f"{input_size}, got {W_r.shape}")
    H = W_r.shape[0]
    mats = [check_shape(W, (H, H + input_size), name=name, labels=("H", "H + H_in"),
                        where=where, dtype=np.float64)
            for name, W in (("W_r", W_r), ("W_z", W_z), ("W_h", W_h))]
    biases = [np.zeros(H) if b is None else
              check_shape(b, (H,), name=name, labels=("H",), where=where, dtype=np.float64)
              for name, b in (("b_r", b_r), ("b_z", b_z), ("b_h", b_h))]
    return mats, biases, H


def concat_step(W_r: ArrayLike, W_z: ArrayLike, W_h: ArrayLike, x: ArrayLike,
                h_prev: ArrayLike, *, b_r: ArrayLike | None = None,
                b_z: ArrayLike | None = None, b_h: ArrayLike | None = None) -> Array:
    """One step of the GRU as many tutorials write it, one matrix per gate on ``[h, x]``:

        r_t = σ(W_r · [h_{t−1}, x_t] + b_r)
        z_t = σ(W_z · [h_{t−1}, x_t] + b_z)
        h̃_t = tanh(W_h · [r_t ⊙ h_{t−1}, x_t] + b_h)
        h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t          (z takes the new state)

    ``W_* (H, H + H_in)``: the first ``H`` columns multiply ``h_{t−1}``, the rest ``x_t``.
    Biases default to zero (many texts omit them). Shapes: ``x (N, H_in)``,
    ``h_prev (N, H)`` → ``h_t (N, H)``.
    """
    x = np.asarray(x, dtype=np.float64)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"concat_step: expected x of shape (N, H_in), got {x.shape}")
    (W_r, W_z, W_h), (b_r, b_z, b_h), H = _check_concat(W_r, W_z, W_h, b_r, b_z, b_h,
                                                        x.shape[1], "concat_step")
    check_shape(h_prev, (x.shape[0], H), name="h_prev", labels=("batch", "hidden_size"),
                where="concat_step")
    hx = np.concatenate([h_prev, x], axis=1)  # (N, H + H_in)
    r_t = 1 / (1 + np.exp(-(hx @ W_r.T + b_r)))  # (N, H)
    z_t = 1 / (1 + np.exp(-(hx @ W_z.T + b_z)))  # (N, H)
    h_tilde = np.tanh(np.concatenate([r_t * h_prev, x], axis=1) @ W_h.T + b_h)  # (N, H)
    return (1 - z_t) * h_prev + z_t * h_tilde  # (N, H)


def concat_to_pytorch(W_r: ArrayLike, W_z: ArrayLike, W_h: ArrayLike, *, input_size: int,
                      b_r: ArrayLike | None = None, b_z: ArrayLike | None = None,
                      b_h: ArrayLike | None = None, z_takes: bool = True) -> dict[str, Array]:
    """Concatenated-notation weights (:func:`concat_step`) → PyTorch-layout parameters.

    ``W_* · [h_{t−1}, x_t]`` is ``W_*[:, :H] h_{t−1} + W_*[:, H:] x_t``, so the first ``H``
    columns go to ``weight_hh`` and the rest to ``weight_ih``, stacked r | z | n; the one
    bias per gate goes to ``bias_ih`` (``bias_hh = 0``). This is
    :func:`utils.budget.concat_to_torch` (any number of gate blocks, the LSTM's four in
    chapter 4) applied to the three gates stacked. With ``z_takes`` (the tutorials'
    ``h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t``) the update block is negated, as in
    :func:`chung_to_pytorch`. The reset acts before the product in these texts, so the
    result must run in ``GRUCell(reset_after=False)``, not in ``torch.nn.GRUCell``.
    """
    (W_r, W_z, W_h), (b_r, b_z, b_h), H = _check_concat(W_r, W_z, W_h, b_r, b_z, b_h,
                                                        input_size, "concat_to_pytorch")
    # Stack the three gates' rows r | z | n into one W (3H, H + H_in) and b (3H,), then split
    # its columns: weight_ih (3H, H_in), weight_hh (3H, H), bias_ih = b, bias_hh = 0.
    params = concat_to_torch(np.concatenate([W_r, W_z, W_h]), np.concatenate([b_r, b_z, b_h]),
                             H)
    return _flip_update_gate(params, "concat_to_pytorch") if z_takes else params


# --------------------------------------------------------------------------------------------
# 3. Keras weight layout
# --------------------------------------------------------------------------------------------


def _reorder(blocks_axis_last: Array, src: tuple[str, ...], dst: tuple[str, ...]) -> Array:
    """Reorder the three gate blocks along the last axis from order ``src`` to ``dst``."""
    parts = dict(zip(src, np.split(blocks_axis_last, 3, axis=-1)))
    return np.concatenate([parts[g] for g in dst], axis=-1)


def keras_to_pytorch(kernel: ArrayLike, recurrent_kernel: ArrayLike, bias: ArrayLike, *,
                     reset_after: bool = True) -> dict[str, Array]:
    """Keras ``GRU`` weights → PyTorch-layout parameters computing the same ``h_t``.

    Keras computes ``x_t @ kernel + b_in`` and ``h_{t−1} @ recurrent_kernel (+ b_rec)`` with
    the gate blocks ordered z | r | h along the last axis, and the same update rule as
    PyTorch (``h_t = z ⊙ h_{t−1} + (1 − z) ⊙ hh``). So each matrix is transposed and its
    blocks reordered to r | z | n.

    Args:
        kernel: ``(H_in, 3H)``.
        recurrent_kernel: ``(H, 3H)``.
        bias: ``(2, 3H)`` (row 0 input bias, row 1 recurrent bias) if ``reset_after``;
            ``(3H,)`` otherwise (one bias, added with the input projection).
        reset_after: the Keras layer's ``reset_after``. With ``False`` the result has
            ``bias_hh = 0`` and must be run with ``GRUCell(reset_after=False)``.

    Returns:
        ``{"weight_ih": (3H, H_in), "weight_hh": (3H, H), "bias_ih": (3H,), "bias_hh": (3H,)}``.
    """
    where = "keras_to_pytorch"
    rk = np.asarray(recurrent_kernel, dtype=np.float64)
    if rk.ndim != 2 or rk.shape[1] != 3 * rk.shape[0]:
        raise ValueError(
            f"{where}: expected recurrent_kernel of shape (H, 3H) = (units, 3·units), "
            f"got {rk.shape}"
        )
    H = rk.shape[0]
    k = check_shape(kernel, ("H_in", 3 * H), name="kernel", labels=("input_size", "3·units"),
                    where=where, dtype=np.float64)
    if reset_after:
        b = check_shape(bias, (2, 3 * H), name="bias (reset_after=True)",
                        labels=("input|recurrent", "3·units"), where=where, dtype=np.float64)
        b_ih, b_hh = b[0], b[1]
    else:
        b_ih = check_shape(bias, (3 * H,), name="bias (reset_after=False)",
                           labels=("3·units",), where=where, dtype=np.float64)
        b_hh = np.zeros(3 * H)
    return {
        "weight_ih": _reorder(k, _KERAS_ORDER, _PYTORCH_ORDER).T.copy(),  # (3H, H_in)
        "weight_hh": _reorder(rk, _KERAS_ORDER, _PYTORCH_ORDER).T.copy(),  # (3H, H)
        "bias_ih": _reorder(b_ih, _KERAS_ORDER, _PYTORCH_ORDER),  # (3H,)
        "bias_hh": _reorder(b_hh, _KERAS_ORDER, _PYTORCH_ORDER),  # (3H,)
    }


def keras_step(kernel: ArrayLike, recurrent_kernel: ArrayLike, bias: ArrayLike, x: ArrayLike,
               h_prev: ArrayLike, *, reset_after: bool = True) -> Array:
    """One step of Keras' ``GRUCell`` (sigmoid gates), on weights in Keras' own layout:

        [x_z | x_r | x_h] = x_t @ kernel + b_in
        [h_z | h_r | h_h] = h_{t−1} @ recurrent_kernel + b_rec             (reset_after=True)
        z_t = σ(x_z + h_z),  r_t = σ(x_r + h_r)
        hh_t = tanh(x_h + r_t ⊙ h_h)                                         (reset_after=True)
        hh_t = tanh(x_h + (r_t ⊙ h_{t−1}) @ recurrent_kernel[:, 2H:])      (reset_after=False)
        h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ hh_t

    as ``keras.layers.GRUCell.call`` writes it (gate blocks z | r | h along the last axis;
    with ``reset_after=False`` the single bias is added to the input term only). Shapes:
    ``kernel (H_in, 3H)``, ``recurrent_kernel (H, 3H)``, ``bias (2, 3H)`` or ``(3H,)``,
    ``x (N, H_in)``, ``h_prev (N, H)`` → ``h_t (N, H)``, float64. It shares no code with
    :func:`keras_to_pytorch`, so running both checks the converter.
    """
    where = "keras_step"
    rk = np.asarray(recurrent_kernel, dtype=np.float64)
    if rk.ndim != 2 or rk.shape[1] != 3 * rk.shape[0]:
        raise ValueError(f"{where}: expected recurrent_kernel of shape (H, 3H), got {rk.shape}")
    H = rk.shape[0]
    dims: dict[str, tuple[int, str]] = {}
    k = check_shape(kernel, ("H_in", 3 * H), name="kernel", labels=("input_size", "3·units"),
                    where=where, dims=dims, dtype=np.float64)
    x = check_shape(x, ("N", dims["H_in"][0]), name="x", labels=("batch", "input_size"),
                    where=where, dims=dims, dtype=np.float64)
    h_prev = check_shape(h_prev, ("N", H), name="h_prev", labels=("batch", "units"),
                         where=where, dims=dims, dtype=np.float64)
    if reset_after:
        b = check_shape(bias, (2, 3 * H), name="bias", labels=("input|recurrent", "3·units"),
                        where=where, dtype=np.float64)
        b_in, b_rec = b[0], b[1]
    else:
        b_in = check_shape(bias, (3 * H,), name="bias", labels=("3·units",), where=where,
                           dtype=np.float64)
        b_rec = None
    x_z, x_r, x_h = np.split(x @ k + b_in, 3, axis=1)  # each (N, H)
    if reset_after:
        inner = h_prev @ rk + b_rec  # (N, 3H)
    else:
        inner = h_prev @ rk[:, :2 * H]  # (N, 2H)
    z_t = 1 / (1 + np.exp(-(x_z + inner[:, :H])))  # (N, H)
    r_t = 1 / (1 + np.exp(-(x_r + inner[:, H:2 * H])))  # (N, H)
    if reset_after:
        hh_t = np.tanh(x_h + r_t * inner[:, 2 * H:])
    else:
        hh_t = np.tanh(x_h + (r_t * h_prev) @ rk[:, 2 * H:])
    return z_t * h_prev + (1 - z_t) * hh_t  # (N, H)


def pytorch_to_keras(params: Mapping[str, ArrayLike], *,
                     reset_after: bool = True) -> dict[str, Array]:
    """PyTorch-layout parameters → Keras ``GRU`` weights (the inverse of :func:`keras_to_pytorch`).

    Returns ``{"kernel": (H_in, 3H), "recurrent_kernel": (H, 3H), "bias": ...}`` with gate
    blocks z | r | h and ``bias (2, 3H)`` if ``reset_after``. With ``reset_after=False``
    Keras has one bias ``(3H,)``: it is ``bias_ih + bias_hh``, which computes the same
    ``h_t`` because in the reset-before cell every recurrent bias sits outside ``r_t ⊙``.
    """
    p, _, _ = check_params(params, where="pytorch_to_keras")
    b_ih = _reorder(p["bias_ih"], _PYTORCH_ORDER, _KERAS_ORDER)
    b_hh = _reorder(p["bias_hh"], _PYTORCH_ORDER, _KERAS_ORDER)
    return {
        "kernel": _reorder(p["weight_ih"].T, _PYTORCH_ORDER, _KERAS_ORDER),  # (H_in, 3H)
        "recurrent_kernel": _reorder(p["weight_hh"].T, _PYTORCH_ORDER, _KERAS_ORDER),  # (H, 3H)
        "bias": np.stack([b_ih, b_hh]) if reset_after else b_ih + b_hh,  # (2, 3H) or (3H,)
    }


# --------------------------------------------------------------------------------------------
# 2. Reset placement: the cost of "before" in matrix products
# --------------------------------------------------------------------------------------------


def fused_step(params: Mapping[str, ArrayLike], x: ArrayLike, h_prev: ArrayLike, *,
               reset_after: bool = True) -> Array:
    """One GRU step written the way fused kernels (cuDNN) organise the products.

    The input projection of all three gates is one product, ``x_t @ W_ih^T (N, 3H)``.
    With ``reset_after=True`` the recurrent side is one product too, ``h_{t−1} @ W_hh^T
    (N, 3H)``, split into r, z and n parts afterwards. With ``reset_after=False``
    ``W_hn`` must multiply ``r_t ⊙ h_{t−1}``, which exists only once ``r_t`` is known: one
    product for r and z, ``h_{t−1} @ W_h[rz]^T (N, 2H)``, then a second, dependent one,
    ``(r_t ⊙ h_{t−1}) @ W_hn^T (N, H)``. Same result as ``utils.numpy_cells.GRUCell``.

    Shapes: ``x (N, H_in)``, ``h_prev (N, H)`` → ``h_t (N, H)``. Only NumPy ufuncs and
    ``@`` touch ``x`` and ``h_prev`` (``σ(a) = (1 + tanh(a/2)) / 2``), so
    :func:`count_matmuls` can trace the products.
    """
    p, H_in, H = check_params(params, where="fused_step")
    dims: dict[str, tuple[int, str]] = {}
    check_shape(x, ("N", H_in), name="x", labels=("batch", "input_size"),
                where="fused_step", dims=dims, dtype=np.float64)
    check_shape(h_prev, ("N", H), name="h_prev", labels=("batch", "hidden_size"),
                where="fused_step", dims=dims, dtype=np.float64)
    x, h_prev = np.asanyarray(x, dtype=np.float64), np.asanyarray(h_prev, dtype=np.float64)

    def sigma(a: Array) -> Array:
        return 0.5 * (1 + np.tanh(0.5 * a))  # = 1 / (1 + e^{−a}), never overflows

    gi = x @ p["weight_ih"].T + p["bias_ih"]  # (N, 3H): all input projections at once
    x_r, x_z, x_n = np.split(gi, 3, axis=1)
    if reset_after:
        gh = h_prev @ p["weight_hh"].T + p["bias_hh"]  # (N, 3H): one recurrent product
        h_r, h_z, h_n = np.split(gh, 3, axis=1)
        r_t, z_t = sigma(x_r + h_r), sigma(x_z + h_z)
        n_t = np.tanh(x_n + r_t * h_n)
    else:
        gh = h_prev @ p["weight_hh"][:2 * H].T + p["bias_hh"][:2 * H]  # (N, 2H)
        h_r, h_z = np.split(gh, 2, axis=1)
        r_t, z_t = sigma(x_r + h_r), sigma(x_z + h_z)
        h_n = (r_t * h_prev) @ p["weight_hh"][2 * H:].T + p["bias_hh"][2 * H:]  # needs r_t
        n_t = np.tanh(x_n + h_n)
    return (1 - z_t) * n_t + z_t * h_prev  # (N, H)


class MatmulCount(NamedTuple):
    """Matrix products in one :func:`fused_step`.

    ``total``: all products. ``on_state``: products whose operand depends on ``h_{t−1}``
    (they cannot be precomputed for the whole sequence before the time loop). ``chain``: the
    longest chain of products inside the step that must run one after another, each needing
    the previous one's result.
    """

    total: int
    on_state: int
    chain: int


class _Traced(np.ndarray):
    """An array that remembers how many dependent products separate it from ``h_{t−1}``.

    ``depth`` is ``None`` for arrays that do not depend on the state, ``0`` for ``h_{t−1}``
    itself; a ufunc's result takes the largest depth of its inputs, and ``matmul`` adds one
    and appends the new depth to the shared ``log``.
    """

    depth: int | None
    log: list[int | None]

    def __new__(cls, a: ArrayLike, depth: int | None, log: list[int | None]) -> _Traced:
        obj = np.asarray(a).view(cls)
        obj.depth, obj.log = depth, log
        return obj

    def __array_finalize__(self, obj: Any) -> None:  # views and slices keep the tag
        self.depth = getattr(obj, "depth", None)
        self.log = getattr(obj, "log", [])

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            return NotImplemented
        traced = [a for a in inputs if isinstance(a, _Traced)]
        depths = [a.depth for a in traced if a.depth is not None]
        raw = [a.view(np.ndarray) if isinstance(a, _Traced) else a for a in inputs]
        result = getattr(ufunc, method)(*raw, **kwargs)
        depth = max(depths) if depths else None
        if ufunc is np.matmul:
            depth = None if depth is None else depth + 1
            traced[0].log.append(depth)
        return _Traced(result, depth, traced[0].log) if isinstance(result, np.ndarray) else result


def count_matmuls(*, reset_after: bool, input_size: int = 3,
                  hidden_size: int = 3) -> MatmulCount:
    """Run :func:`fused_step` once on traced arrays and report the products it performed.

    Nothing is typed by hand: ``x_t`` and ``h_{t−1}`` are wrapped so that every ``@`` they
    (or arrays computed from them) take part in is logged with its dependency depth.
    """
    rng = np.random.default_rng(0)
    params = GRUCell(input_size, hidden_size, rng=rng).parameters()
    log: list[int | None] = []
    x = _Traced(rng.normal(size=(2, input_size)), None, log)
    h_prev = _Traced(rng.normal(size=(2, hidden_size)), 0, log)
    fused_step(params, x, h_prev, reset_after=reset_after)
    return MatmulCount(
        total=len(log),
        on_state=sum(d is not None for d in log),
        chain=max((d for d in log if d is not None), default=0),
    )


# --------------------------------------------------------------------------------------------
# How far apart are the two reset placements?
# --------------------------------------------------------------------------------------------


def reset_placement_gap(input_size: int, hidden_size: int, *, rng: np.random.Generator,
                        trials: int = 200, batch: int = 16, steps: int = 1,
                        weight_scale: float = 1.0) -> Array:
    """Max ``|h_T^{after} − h_T^{before}|`` for ``trials`` random GRUs run on the same input.

    Each trial draws parameters like PyTorch (``U(−k, k)``, ``k = weight_scale / √H``),
    inputs ``X ~ N(0, 1)`` of shape ``(steps, batch, H_in)`` and ``h_0 ~ U(−1, 1)``, runs
    ``GRUCell(reset_after=True)`` and ``GRUCell(reset_after=False)`` with the same
    parameters, and records the largest absolute difference of the final states.

    Returns an array of shape ``(trials,)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"reset_placement_gap: expected rng to be a np.random.Generator, "
                         f"got {type(rng).__name__}")
    gaps = np.empty(trials)
    H = hidden_size
    for i in range(trials):
        after = GRUCell(input_size, H, rng=rng, reset_after=True)
        for name, value in after.parameters().items():
            value *= weight_scale
        before = cell_from_params(after.parameters(), reset_after=False)
        X = rng.normal(size=(steps, batch, input_size))
        h0 = rng.uniform(-1, 1, size=(batch, H))
        _, h_after = after.forward(X, h0)
        _, h_before = before.forward(X, h0)
        gaps[i] = np.max(np.abs(h_after - h_before))
    return gaps
