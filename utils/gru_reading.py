r"""Reading a trained GRU classifier: its gates over an utterance, its units' memory, and
which units carry the class.

The trained ``torch.nn.GRU`` is copied into the course's NumPy ``GRUCell``
(``GRUCell.from_torch``), which returns every gate ``r_t, z_t, n_t`` step by step. For each
unit ``j`` over the real frames of a set of utterances:

* the mean update gate ``z̄_j`` and its half-life ``t_½ = ln ½ / ln z̄_j`` (chapter 3: the
  steps over which a unit with that constant gate keeps half of its state);
* how much the unit's final state ``h_{L,j}`` says about the class: the one-way ANOVA
  ratio ``F_j`` of between-class to within-class variance of ``h_{L,j}`` (large: the unit's
  final value differs from speaker to speaker far more than within a speaker).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from utils.numpy_cells import GRUCell
from utils.timescales import half_life

__all__ = ["numpy_cell", "utterance_gates", "unit_summary"]


def numpy_cell(model: Any) -> GRUCell:
    """The course's NumPy ``GRUCell`` (float64) holding a trained one-layer GRU's weights;
    ``model`` is a ``torch.nn.GRU`` or has one as ``model.rnn``."""
    rnn = getattr(model, "rnn", model)
    return GRUCell.from_torch(rnn)


def utterance_gates(cell: GRUCell, sequence: NDArray) -> dict[str, NDArray[np.float64]]:
    """Run one utterance ``(L, H_in)`` alone: ``{"r", "z", "n", "h"}``, each ``(L, H)``."""
    X = np.asarray(sequence, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != cell.input_size:
        raise ValueError(f"expected a sequence of shape (L, {cell.input_size}), got {X.shape}")
    H_all, _, gates = cell.forward(X[:, None, :], return_gates=True)
    return {**{g: v[:, 0] for g, v in gates.items()}, "h": H_all[:, 0]}


def unit_summary(cell: GRUCell, sequences: Sequence[NDArray], labels: NDArray
                 ) -> dict[str, NDArray[np.float64]]:
    """Per unit (each ``(H,)``): ``mean_z`` over all real frames, its ``half_life`` and the
    class ``F`` ratio of the final state (see the module docstring)."""
    labels = np.asarray(labels)
    if len(sequences) != len(labels) or len(set(labels.tolist())) < 2:
        raise ValueError("expected one label per sequence and at least two classes")
    z_frames, finals = [], []
    for s in sequences:
        g = utterance_gates(cell, s)
        z_frames.append(g["z"])
        finals.append(g["h"][-1])
    mean_z = np.concatenate(z_frames).mean(axis=0)  # (H,)
    h_last = np.stack(finals)  # (N, H)
    classes = np.unique(labels)
    grand = h_last.mean(axis=0)
    between = sum((labels == c).sum() * (h_last[labels == c].mean(axis=0) - grand) ** 2
                  for c in classes) / (len(classes) - 1)
    within = sum(((h_last[labels == c] - h_last[labels == c].mean(axis=0)) ** 2).sum(axis=0)
                 for c in classes) / (len(labels) - len(classes))
    return {"mean_z": mean_z, "half_life": half_life(mean_z),
            "F": between / np.maximum(within, 1e-300)}
