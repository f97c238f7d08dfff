r"""A real sequence task that ships with scikit-learn: the 8×8 digits, read row by row.

``sklearn.datasets.load_digits()`` holds 1,797 handwritten digits (0–9) as 8×8 images with
pixel values 0…16 (Alpaydin & Kaynak 1998, UCI "Optical Recognition of Handwritten Digits";
bundled inside the scikit-learn package, so nothing is downloaded). Read one image row per
step, a digit is a sequence of ``T = 8`` steps of ``H_in = 8`` features; the label is read
after the last step. A recurrent model must carry what the upper rows looked like down to the
bottom row: a small, real sequence classification.

``digits_split(seed)`` returns a seeded held-out test set and a training pool; ``DigitsTask``
draws training batches from the first ``train_size`` examples of the pool, so a smaller
training set is a prefix of a larger one (the training-set-size sweep compares nested sets).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["DIGITS_T", "DIGITS_FEATURES", "DIGITS_CLASSES", "digits_split", "DigitsTask"]

DIGITS_T = 8  # rows = steps
DIGITS_FEATURES = 8  # pixels per row = input size
DIGITS_CLASSES = 10
TEST_SIZE = 397  # held out; the remaining 1,400 form the training pool


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # imported here: `import utils` stays light

    data = load_digits()
    X = (data.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    return X, data.target.astype(np.int64)


def digits_split(seed: int = 0) -> dict[str, torch.Tensor]:
    """The seeded split: ``X_train (T, 1400, 8)``, ``y_train (1400,)``, ``X_test (T, 397, 8)``,
    ``y_test (397,)`` (sequence-first, float32 inputs in ``[0, 1]``, int64 labels)."""
    X, y = _digits()
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]

    def seq(idx: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(X[idx].transpose(1, 0, 2)))  # (T, N, 8)

    return {"X_train": seq(train), "y_train": torch.from_numpy(y[train]),
            "X_test": seq(test), "y_test": torch.from_numpy(y[test])}


@dataclass(frozen=True)
class DigitsTask:
    """Digit classification from the rows of an 8×8 image: cross-entropy on the last step.

    The model maps ``X (8, N, 8)`` to logits ``(N, 10)`` (``readout="last"``). ``train_size``
    (1 … 1400) keeps the first examples of the seeded training pool; ``split_seed`` seeds the
    split. ``baseline`` is ``ln 10``, the cross-entropy of guessing uniformly.
    """

    train_size: int = 1400
    split_seed: int = 0
    input_size: int = field(default=DIGITS_FEATURES, init=False)
    output_size: int = field(default=DIGITS_CLASSES, init=False)
    readout: str = field(default="last", init=False)
    loss_name: str = field(default="cross-entropy (nats)", init=False)

    def __post_init__(self) -> None:
        if isinstance(self.train_size, bool) or not isinstance(self.train_size, int) or not (
                1 <= self.train_size <= 1797 - TEST_SIZE):
            raise ValueError(f"train_size must be an int in [1, {1797 - TEST_SIZE}], "
                             f"got {self.train_size!r}")

    @property
    def name(self) -> str:
        return f"digits(n={self.train_size})"

    @property
    def baseline(self) -> float:
        return float(np.log(DIGITS_CLASSES))

    def _data(self) -> dict[str, torch.Tensor]:
        return digits_split(self.split_seed)

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """``N`` training examples drawn with replacement: ``X (8, N, 8)``, ``y (N,)``."""
        rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        d = self._data()
        idx = torch.from_numpy(rng.integers(0, self.train_size, size=N))
        return d["X_train"][:, idx], d["y_train"][idx]

    def test_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The held-out set: ``X (8, 397, 8)``, ``y (397,)``."""
        d = self._data()
        return d["X_test"], d["y_test"]

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if tuple(output.shape) != (y.shape[0], DIGITS_CLASSES):
            raise ValueError(f"{self.name}: expected logits of shape ({y.shape[0]}, 10), "
                             f"got {tuple(output.shape)}")
        return F.cross_entropy(output, y)

    def accuracy(self, output: torch.Tensor, y: torch.Tensor) -> float:
        return (output.argmax(dim=-1) == y).double().mean().item()
