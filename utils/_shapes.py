"""Shape validation that names the expected and the actual shape.

    >>> import numpy as np
    >>> dims = {}
    >>> x = check_shape(np.zeros((4, 3)), ("N", 3), name="x", labels=("batch", "input_size"),
    ...                 where="GRUCell.step", dims=dims)
    >>> dims
    {'N': (4, 'x')}
    >>> check_shape(np.zeros((2, 5)), ("N", 5), name="h", labels=("batch", "hidden_size"),
    ...             where="GRUCell.step", dims=dims)
    Traceback (most recent call last):
    ...
    ValueError: GRUCell.step: expected h of shape (N, 5) = (batch, hidden_size) with N = 4 \
(from x), got (2, 5)

An entry of ``expected`` is either a fixed size (``int``) or a symbol (``str``, e.g. ``"N"``)
that matches any size the first time it is seen and is then bound, in ``dims``, for the
arrays checked after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["check_shape", "format_shape"]


def format_shape(shape: Sequence[int | str]) -> str:
    """``(4, 5)`` → ``"(4, 5)"``, ``(7,)`` → ``"(7,)"``, ``("N", 3)`` → ``"(N, 3)"``."""
    inside = ", ".join(str(s) for s in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"


def check_shape(
    value: ArrayLike,
    expected: Sequence[int | str],
    *,
    name: str,
    labels: Sequence[str],
    where: str,
    dims: dict[str, tuple[int, str]] | None = None,
    dtype: DTypeLike = None,
) -> NDArray:
    """Return ``value`` as an array (cast to ``dtype`` if given) after checking its shape.

    Args:
        value: anything ``np.asarray`` accepts.
        expected: one entry per axis: an ``int`` is a fixed size, a ``str`` a symbol.
        name: the argument's name, as the caller knows it (``"x"``, ``"state0[1]"``...).
        labels: what each axis means, e.g. ``("batch", "input_size")``.
        where: the public function doing the check, e.g. ``"GRUCell.step"``.
        dims: symbol → ``(size, name of the array that fixed it)``; updated in place.
        dtype: cast to this dtype (no copy when it already has it).

    Raises:
        ValueError: ``value`` is not numeric, or its shape differs from ``expected``.
    """
    if dims is None:
        dims = {}
    expected_text = f"{format_shape(expected)} = {format_shape(labels)}"
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{where}: expected {name} to be a numeric array of shape {expected_text}, "
            f"got {type(value).__name__} ({error})"
        ) from None
    if array.ndim != len(expected):
        raise ValueError(
            f"{where}: expected {name} of shape {expected_text}, got "
            f"{format_shape(array.shape)} ({array.ndim}-D, expected {len(expected)}-D)"
        )
    bound = [f"{s} = {dims[s][0]} (from {dims[s][1]})"
             for s in expected if isinstance(s, str) and s in dims]
    bound_here = dict(dims)  # committed to ``dims`` only if the whole shape matches
    for size, want in zip(array.shape, expected, strict=True):
        if isinstance(want, str):
            want = bound_here.setdefault(want, (size, name))[0]
        if size != want:
            if bound:
                expected_text += " with " + ", ".join(bound)
            raise ValueError(
                f"{where}: expected {name} of shape {expected_text}, "
                f"got {format_shape(array.shape)}"
            )
    dims.update(bound_here)
    return array
