r"""Parameter budgets: counts under each paper's convention, and the hidden size a budget buys.

Comparing cells "at equal size" means equal *parameter counts*, not equal hidden sizes: an
LSTM unit costs four gate blocks, a GRU unit three, a tanh unit one. Papers count differently,
so the count depends on a *convention*:

===================  =========================================  ==============================
convention           one cell with ``G`` blocks (RNN 1, GRU 3,   used by
                     LSTM 4), input ``H_in``, hidden ``H``
===================  =========================================  ==============================
``"pytorch"``        ``G·(H·H_in + H·H + 2H)``                   ``torch.nn`` (``bias_ih`` and
                                                                 ``bias_hh``)
``"one_bias"``       ``G·(H·H_in + H·H + H)``                    most papers (Cho et al. 2014)
``"peephole"``       ``one_bias`` + ``3H`` for the LSTM only     Gers et al. 2002; Graves 2013;
                                                                 Chung et al. 2014
===================  =========================================  ==============================

The peepholes are three diagonal matrices (vectors of size ``H``) through which the input,
forget and output gates read the cell state. :func:`hidden_for_budget` gives the largest
``H`` whose count does not exceed a budget; :func:`chung_table1` reproduces the speech models of
Chung et al. (2014), arXiv:1412.3555, Table 1.

:func:`concat_to_torch` / :func:`torch_to_concat` move LSTM or GRU weights between the
concatenated notation of many texts, ``W · [h_{t−1}, x_t] + b`` with one ``W (G·H, H + H_in)``
and one ``b (G·H,)``, and PyTorch's split ``weight_ih (G·H, H_in)``, ``weight_hh (G·H, H)``,
``bias_ih``, ``bias_hh``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "CONVENTIONS",
    "GATE_BLOCKS",
    "param_count_as",
    "hidden_for_budget",
    "matched_sizes",
    "chung_table1",
    "CHUNG_SPEECH",
    "CHUNG_MUSIC_UNITS",
    "music_input_fits",
    "concat_to_torch",
    "torch_to_concat",
]

CONVENTIONS: tuple[str, ...] = ("pytorch", "one_bias", "peephole")
GATE_BLOCKS: dict[str, int] = {"rnn": 1, "gru": 3, "lstm": 4}

# Chung et al. (2014), Table 1, speech (Ubisoft) models: kind -> (units, parameters ≈ paper).
CHUNG_SPEECH: dict[str, tuple[int, str]] = {
    "lstm": (195, "≈ 169.1k"), "gru": (227, "≈ 168.9k"), "rnn": (400, "≈ 168.4k")}
CHUNG_SPEECH_INPUT = 20  # input size that makes the speech counts exact
CHUNG_MUSIC_UNITS: dict[str, int] = {"lstm": 36, "gru": 46, "rnn": 100}


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _check(kind: str, convention: str) -> int:
    if kind not in GATE_BLOCKS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(GATE_BLOCKS)}")
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of "
                         f"{', '.join(CONVENTIONS)}")
    return GATE_BLOCKS[kind]


def param_count_as(kind: str, input_size: int, hidden_size: int,
                   convention: str = "pytorch") -> int:
    r"""Parameters of one ``"rnn"`` / ``"gru"`` / ``"lstm"`` layer under ``convention``.

    ``"pytorch"`` equals ``utils.params.param_count`` and ``torch.nn``'s count;
    ``"one_bias"`` drops one bias vector per block; ``"peephole"`` adds ``3H`` to the LSTM.

    Example:
        >>> param_count_as("lstm", 20, 195, "peephole")
        169065
    """
    g = _check(kind, convention)
    i = _positive_int("input_size", input_size)
    h = _positive_int("hidden_size", hidden_size)
    biases = 2 if convention == "pytorch" else 1
    count = g * (h * i + h * h + biases * h)
    if convention == "peephole" and kind == "lstm":
        count += 3 * h  # diagonal peepholes for i, f, o
    return count


def hidden_for_budget(kind: str, input_size: int, budget: int,
                      convention: str = "pytorch") -> int:
    r"""The largest hidden size ``H`` whose count (:func:`param_count_as`) is ``≤ budget``.

    The count is a quadratic :math:`G H^2 + (G H_{in} + bG + p) H` (``b`` biases per block,
    ``p = 3`` for peepholes), so ``H`` is the floor of its positive root, corrected by one
    step either way against rounding.

    Raises ``ValueError`` if even ``H = 1`` does not fit.

    Example:
        >>> hidden_for_budget("gru", 20, 169_065, "peephole")
        227
    """
    g = _check(kind, convention)
    i = _positive_int("input_size", input_size)
    b = _positive_int("budget", budget)
    if param_count_as(kind, i, 1, convention) > b:
        raise ValueError(f"a budget of {b} parameters does not fit one {kind} unit with "
                         f"input size {i} ({param_count_as(kind, i, 1, convention)} needed)")
    linear = g * i + g * (2 if convention == "pytorch" else 1)
    if convention == "peephole" and kind == "lstm":
        linear += 3
    h = int((-linear + math.sqrt(linear * linear + 4 * g * b)) / (2 * g))
    h = max(h, 1)
    while param_count_as(kind, i, h + 1, convention) <= b:
        h += 1
    while h > 1 and param_count_as(kind, i, h, convention) > b:
        h -= 1
    return h


def matched_sizes(input_size: int, budget: int, kinds: tuple[str, ...] = ("rnn", "gru", "lstm"),
                  convention: str = "pytorch") -> dict[str, dict[str, int]]:
    """For each kind: ``{"hidden_size": H, "params": count}`` at the largest ``H`` in budget."""
    out = {}
    for kind in kinds:
        h = hidden_for_budget(kind, input_size, budget, convention)
        out[kind] = {"hidden_size": h, "params": param_count_as(kind, input_size, h, convention)}
    return out


def chung_table1() -> list[dict[str, Any]]:
    """Chung et al. (2014) Table 1, speech models, recomputed (input 20, peephole convention).

    Rows ``{"kind", "units", "params", "paper"}``; ``units`` are the paper's, ``params`` the
    recurrent layer's count, ``paper`` the rounded figure printed in the paper.
    """
    return [{"kind": kind, "units": units,
             "params": param_count_as(kind, CHUNG_SPEECH_INPUT, units, "peephole"),
             "paper": paper}
            for kind, (units, paper) in CHUNG_SPEECH.items()]


def music_input_fits(target: float = 20_000, tolerance: float = 0.05,
                     input_sizes: range = range(1, 201),
                     convention: str = "peephole") -> list[dict[str, Any]]:
    """Input sizes for which all three music models (36 LSTM / 46 GRU / 100 tanh units) count
    within ``tolerance`` of ``target``, each with its three counts and the largest deviation.

    Sorted by the largest relative deviation (best fit first).
    """
    rows = []
    for i in input_sizes:
        counts = {k: param_count_as(k, i, u, convention) for k, u in CHUNG_MUSIC_UNITS.items()}
        worst = max(abs(c - target) / target for c in counts.values())
        if worst <= tolerance:
            rows.append({"input_size": i, **counts, "worst": worst})
    return sorted(rows, key=lambda r: r["worst"])


# ----------------------------------------------------------------------------- concat ↔ split


def _as_2d(name: str, a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    return a


def concat_to_torch(W: Any, b: Any, hidden_size: int, *, order: str = "hx"
                    ) -> dict[str, np.ndarray]:
    r"""``W · [h_{t−1}, x_t] + b`` → PyTorch's ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh``.

    ``W`` has shape ``(G·H, H + H_in)``: its first ``H`` columns multiply ``h_{t−1}`` when
    ``order="hx"`` (Colah's and most texts' ``[h_{t−1}, x_t]``), its last ``H`` when
    ``order="xh"``. The rows keep their gate order (already i | f | g | o or r | z | n). The
    single bias ``b (G·H,)`` becomes ``bias_ih``; ``bias_hh`` is zero (PyTorch adds both, so
    only their sum matters for the LSTM).

    (For a GRU with PyTorch's reset-after candidate, ``b_hn`` sits inside ``r ⊙ (·)``; a
    one-bias model puts all of its candidate bias outside, in ``b_in``, which this mapping
    does.)
    """
    H = _positive_int("hidden_size", hidden_size)
    W = _as_2d("W", W)
    b = np.asarray(b, dtype=np.float64)
    if W.shape[1] <= H:
        raise ValueError(f"W must have more than hidden_size = {H} columns (H + H_in), "
                         f"got shape {W.shape}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape ({W.shape[0]},) to match W's rows, got {b.shape}")
    if order == "hx":
        weight_hh, weight_ih = W[:, :H], W[:, H:]
    elif order == "xh":
        weight_ih, weight_hh = W[:, :-H], W[:, -H:]
    else:
        raise ValueError(f"order must be 'hx' or 'xh', got {order!r}")
    return {"weight_ih": weight_ih.copy(), "weight_hh": weight_hh.copy(),
            "bias_ih": b.copy(), "bias_hh": np.zeros_like(b)}


def torch_to_concat(weight_ih: Any, weight_hh: Any, bias_ih: Any, bias_hh: Any, *,
                    order: str = "hx") -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's four tensors → ``(W, b)`` with ``W = [weight_hh | weight_ih]`` (``"hx"``) and
    ``b = bias_ih + bias_hh``."""
    weight_ih, weight_hh = _as_2d("weight_ih", weight_ih), _as_2d("weight_hh", weight_hh)
    if weight_ih.shape[0] != weight_hh.shape[0]:
        raise ValueError(f"weight_ih and weight_hh must have the same rows, got "
                         f"{weight_ih.shape} and {weight_hh.shape}")
    if order not in ("hx", "xh"):
        raise ValueError(f"order must be 'hx' or 'xh', got {order!r}")
    parts = (weight_hh, weight_ih) if order == "hx" else (weight_ih, weight_hh)
    b = np.asarray(bias_ih, dtype=np.float64) + np.asarray(bias_hh, dtype=np.float64)
    return np.concatenate(parts, axis=1), b
