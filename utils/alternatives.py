r"""What a practitioner tries instead of a GRU on variable-length sequences.

* ``MinGRUClassifier``: minGRU (``utils.torch_cells.MinGRUCell``, chapter 5), whose gates read
  only ``x_t``; run over a right-padded batch and read at each sequence's last real step.
* ``ConvClassifier``: two 1-D convolutions over time (kernel 3, ReLU) and the mean over each
  sequence's real frames (padding masked out), then a linear layer: no recurrence at all.
* ``summary_features`` + ``logistic_summary``: the utterance reduced to the mean, standard
  deviation, first and last frame of its coefficients (4 × 12 numbers) and a multinomial
  logistic regression (scikit-learn): no sequence model at all.

``size_for_budget(build, budget)`` finds the largest width whose model has at most ``budget``
parameters, so that every network is compared at (nearly) the same parameter count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from utils.padding import last_index
from utils.torch_cells import MinGRUCell

__all__ = ["MinGRUClassifier", "ConvClassifier", "size_for_budget", "param_total",
           "SUMMARY_PARTS", "summary_features", "logistic_summary"]


def param_total(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def size_for_budget(build: Callable[[int], nn.Module], budget: int, *, largest: int = 512
                    ) -> int:
    """The largest ``size`` in ``1 … largest`` with ``param_total(build(size)) ≤ budget``."""
    if param_total(build(1)) > budget:
        raise ValueError(f"even size 1 has more than {budget} parameters")
    low, high = 1, largest  # the count grows with the size: bisect
    while low < high:
        mid = (low + high + 1) // 2
        if param_total(build(mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _check(X: torch.Tensor, lengths: torch.Tensor) -> None:
    if X.dim() != 3 or lengths.shape != (X.shape[1],):
        raise ValueError(f"expected X of shape (T, N, H_in) and lengths of shape (N,), "
                         f"got {tuple(X.shape)} and {tuple(lengths.shape)}")


class MinGRUClassifier(nn.Module):
    """minGRU over a right-padded batch, read at the last real step, and a linear layer."""

    readout = "packed"  # right padding (what padded_batch gives for "packed")

    def __init__(self, input_size: int, hidden_size: int, classes: int) -> None:
        super().__init__()
        self.cell = MinGRUCell(input_size, hidden_size)
        self.out = nn.Linear(hidden_size, classes)

    def forward(self, X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _check(X, lengths)
        H_all, _ = self.cell.forward_sequence(X)  # (T, N, H); the scan over all steps
        idx = torch.from_numpy(last_index(lengths.numpy(), X.shape[0]))
        return self.out(H_all[idx, torch.arange(X.shape[1])])


class ConvClassifier(nn.Module):
    """Conv1d(H_in → C, 3) → ReLU → Conv1d(C → C, 3) → ReLU → mean over real frames → linear."""

    readout = "packed"  # right padding

    def __init__(self, input_size: int, channels: int, classes: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(input_size, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size=3, padding=1)
        self.out = nn.Linear(channels, classes)

    def forward(self, X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _check(X, lengths)
        T = X.shape[0]
        real = (torch.arange(T)[None, :] < lengths[:, None]).to(X.dtype)  # (N, T)
        u = X.permute(1, 2, 0)  # (N, H_in, T): Conv1d's layout
        u = torch.relu(self.conv1(u)) * real[:, None]  # padding stays zero between layers
        u = torch.relu(self.conv2(u)) * real[:, None]
        pooled = u.sum(dim=2) / lengths[:, None].to(X.dtype)  # (N, C): mean of real frames
        return self.out(pooled)


SUMMARY_PARTS = ("mean", "std", "first", "last")


def summary_features(sequences: Sequence[NDArray],
                     parts: Sequence[str] = SUMMARY_PARTS) -> NDArray[np.float64]:
    """``(N, len(parts)·H_in)``: per utterance the chosen summaries of its frames, in the order
    given, from ``SUMMARY_PARTS`` (the mean, standard deviation, first and last frame)."""
    unknown = [p for p in parts if p not in SUMMARY_PARTS]
    if unknown or not parts:
        raise ValueError(f"parts must be a non-empty selection of {SUMMARY_PARTS}, "
                         f"got {tuple(parts)}")
    pick = {"mean": lambda s: s.mean(axis=0), "std": lambda s: s.std(axis=0),
            "first": lambda s: s[0], "last": lambda s: s[-1]}
    return np.stack([np.concatenate([pick[p](s) for p in parts])
                     for s in sequences]).astype(np.float64)


def logistic_summary(train: tuple[Sequence[NDArray], NDArray],
                     test: tuple[Sequence[NDArray], NDArray], *, C: float = 1.0,
                     parts: Sequence[str] = SUMMARY_PARTS) -> dict[str, Any]:
    """Multinomial logistic regression on ``summary_features(·, parts)`` (standardised with
    the training set's statistics): ``{"train_accuracy", "test_accuracy", "params",
    "test_correct"}`` (``test_correct``: one bool per test sequence, for paired tests)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    F_train, F_test = summary_features(train[0], parts), summary_features(test[0], parts)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))
    model.fit(F_train, train[1])
    coef = model[-1].coef_
    return {"train_accuracy": float(model.score(F_train, train[1])),
            "test_accuracy": float(model.score(F_test, test[1])),
            "params": int(coef.size + model[-1].intercept_.size),
            "test_correct": [bool(c) for c in model.predict(F_test) == np.asarray(test[1])]}
