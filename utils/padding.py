r"""Batches of sequences of different lengths: padding, masks and the index of the last real step.

A batch of ``N`` sequences ``x^{(i)}_1 … x^{(i)}_{L_i}`` (each ``x_t ∈ R^{H_in}``) becomes one
array ``X (T, N, H_in)`` with ``T = max_i L_i`` by adding zero frames. On the **right**
(``side="right"``, what ``torch.nn.utils.rnn.pack_padded_sequence`` expects) sequence ``i``
fills steps ``0 … L_i − 1``; on the **left** it fills ``T − L_i … T − 1``. The mask
``M (T, N)`` is 1 on real frames and 0 on padding; ``last_index(lengths, T, side)`` is the
step that holds each sequence's last real frame (``L_i − 1`` on the right, ``T − 1`` on the
left).

    >>> import numpy as np
    >>> X = pad([np.ones((2, 1)), np.ones((3, 1))])
    >>> X[:, :, 0].T  # (N, T): sequence 0 has one padded step at the end
    array([[1., 1., 0.],
           [1., 1., 1.]])
    >>> last_index(np.array([2, 3]), 3)
    array([1, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SIDES", "pad", "mask", "last_index", "standardiser"]

SIDES = ("right", "left")


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")


def _lengths(lengths: ArrayLike) -> NDArray[np.int64]:
    L = np.asarray(lengths)
    if L.ndim != 1 or L.size == 0 or L.dtype.kind not in "iu" or (L < 1).any():
        raise ValueError(f"expected lengths of shape (N,): positive ints, got {L!r}")
    return L.astype(np.int64)


def pad(sequences: Sequence[ArrayLike], *, side: str = "right", T: int | None = None,
        dtype: type = np.float64) -> NDArray[np.floating]:
    """``N`` arrays of shape ``(L_i, H_in)`` → ``X (T, N, H_in)``, zeros on padded steps.

    ``T`` defaults to ``max_i L_i``; a larger ``T`` pads further, a smaller one raises.
    """
    _check_side(side)
    arrays = [np.asarray(s, dtype=dtype) for s in sequences]
    if not arrays:
        raise ValueError("expected at least one sequence, got none")
    H_in = arrays[0].shape[-1] if arrays[0].ndim == 2 else None
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[1] != H_in or a.shape[0] < 1:
            raise ValueError(f"expected every sequence of shape (L_i, {H_in}) = "
                             f"(steps, input_size) with L_i ≥ 1, got {a.shape} at index {i}")
    longest = max(len(a) for a in arrays)
    T = longest if T is None else int(T)
    if T < longest:
        raise ValueError(f"T = {T} is shorter than the longest sequence ({longest} steps)")
    X = np.zeros((T, len(arrays), H_in), dtype=dtype)  # (T, N, H_in)
    for i, a in enumerate(arrays):
        if side == "right":
            X[:len(a), i] = a
        else:
            X[T - len(a):, i] = a
    return X


def mask(lengths: ArrayLike, T: int | None = None, *, side: str = "right"
         ) -> NDArray[np.float64]:
    """``M (T, N)``: 1.0 where step ``t`` of sequence ``i`` is real, 0.0 on padding."""
    _check_side(side)
    L = _lengths(lengths)
    T = int(L.max()) if T is None else int(T)
    if T < L.max():
        raise ValueError(f"T = {T} is shorter than the longest sequence ({L.max()} steps)")
    t = np.arange(T)[:, None]  # (T, 1)
    real = t < L[None, :] if side == "right" else t >= T - L[None, :]
    return real.astype(np.float64)


def last_index(lengths: ArrayLike, T: int | None = None, *, side: str = "right"
               ) -> NDArray[np.int64]:
    """The step of each sequence's last real frame: ``L_i − 1`` (right), ``T − 1`` (left)."""
    _check_side(side)
    L = _lengths(lengths)
    T = int(L.max()) if T is None else int(T)
    if T < L.max():
        raise ValueError(f"T = {T} is shorter than the longest sequence ({L.max()} steps)")
    return L - 1 if side == "right" else np.full_like(L, T - 1)


def standardiser(sequences: Sequence[ArrayLike]) -> tuple[NDArray[np.float64],
                                                         NDArray[np.float64]]:
    """Per-feature mean and standard deviation over every real frame of ``sequences``
    (the training set's, applied unchanged to the test set): ``(H_in,)`` each."""
    frames = np.concatenate([np.asarray(s, dtype=np.float64) for s in sequences])
    return frames.mean(axis=0), frames.std(axis=0)
