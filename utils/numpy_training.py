r"""The NumPy GRU of ``utils.numpy_cells``, trained on variable-length sequences with Adam.

The model reads a right-padded batch ``X (T, N, H_in)`` with a ``GRUCell`` and classifies each
sequence from the hidden state at its **last real step** ``h^{(i)}_{L_i}``:

    logits_i = W_out h^{(i)}_{L_i} + b_out                 (C,)
    loss     = −(1/N) Σ_i log softmax(logits_i)[y_i]        mean cross-entropy (nats)

Padded steps come after ``L_i``, so they never change ``h^{(i)}_{L_i}``; and the gradient
``dL/dH`` is zero everywhere except at ``(L_i − 1, i)``, so BPTT through the padded batch is
exact. This is what ``torch.nn.GRU`` computes on a ``pack_padded_sequence`` batch, whose
``h_n`` is the state at each sequence's last real step (``torch_twin`` / ``torch_losses``).

``Adam`` is ``torch.optim.Adam`` (no weight decay, no AMSGrad) written in NumPy:

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    p ← p − lr · (m / (1 − β₁^k)) / (√(v / (1 − β₂^k)) + ε)      at step k = 1, 2, …

``train_numpy`` and ``torch_losses`` take the same batches (``batch_schedule``), so with
float64 and the same initial weights their losses agree step by step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from utils.numpy_cells import GRUCell
from utils.padding import last_index, pad

__all__ = ["GRUClassifier", "Adam", "batch_schedule", "train_numpy", "torch_twin",
           "torch_losses"]

Array = NDArray[np.float64]


class GRUClassifier:
    """A ``GRUCell`` and a linear read-out of the state at each sequence's last real step.

    Parameters: the cell's ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``,
    ``bias_hh (3H,)``, and ``W_out (C, H)``, ``b_out (C,)``; the read-out is initialised like
    ``torch.nn.Linear`` (every entry ~ U(−1/√H, 1/√H)).
    """

    def __init__(self, input_size: int, hidden_size: int, classes: int, *,
                 rng: np.random.Generator) -> None:
        if not isinstance(classes, (int, np.integer)) or classes < 2:
            raise ValueError(f"expected classes to be an int ≥ 2, got {classes!r}")
        self.cell = GRUCell(input_size, hidden_size, rng=rng)
        k = 1 / np.sqrt(hidden_size)
        self.W_out = rng.uniform(-k, k, size=(classes, hidden_size))  # (C, H)
        self.b_out = rng.uniform(-k, k, size=classes)  # (C,)
        self.classes = int(classes)

    def parameters(self) -> dict[str, Array]:
        """Every parameter by name (the live arrays)."""
        return {**self.cell.parameters(), "W_out": self.W_out, "b_out": self.b_out}

    def _last_states(self, X: Array, lengths: NDArray[np.int64]) -> Array:
        H_all, _ = self.cell.forward(X)  # (T, N, H)
        return H_all[last_index(lengths, len(X)), np.arange(X.shape[1])]  # (N, H)

    def logits(self, X: ArrayLike, lengths: ArrayLike) -> Array:
        """``X (T, N, H_in)`` right-padded, ``lengths (N,)`` → logits ``(N, C)``."""
        X = np.asarray(X, dtype=np.float64)
        lengths = np.asarray(lengths)
        if X.ndim != 3 or lengths.shape != (X.shape[1],):
            raise ValueError(f"expected X of shape (T, N, {self.cell.input_size}) and lengths "
                             f"of shape (N,), got {X.shape} and {lengths.shape}")
        return self._last_states(X, lengths) @ self.W_out.T + self.b_out

    def loss_and_grads(self, X: ArrayLike, lengths: ArrayLike, y: ArrayLike
                       ) -> tuple[float, dict[str, Array]]:
        """Mean cross-entropy on the batch and its gradient for every parameter."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        logits = self.logits(X, lengths)  # (N, C)
        T, N, _ = X.shape
        if y.shape != (N,):
            raise ValueError(f"expected y of shape ({N},), got {y.shape}")
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
        loss = -log_p[np.arange(N), y].mean()
        d_logits = np.exp(log_p)
        d_logits[np.arange(N), y] -= 1
        d_logits /= N  # dL/dlogits: (N, C)
        h_last = self._last_states(X, np.asarray(lengths))  # (N, H)
        dH = np.zeros((T, N, self.cell.hidden_size))  # only the last real steps reach L
        dH[last_index(lengths, T), np.arange(N)] = d_logits @ self.W_out
        grads = self.cell.backward(X, None, dH)
        grads = {k: v for k, v in grads.items() if k not in ("X", "h0")}
        grads["W_out"] = d_logits.T @ h_last  # (C, H)
        grads["b_out"] = d_logits.sum(axis=0)  # (C,)
        return float(loss), grads


class Adam:
    """``torch.optim.Adam(params, lr, betas, eps)`` for NumPy arrays, updated in place."""

    def __init__(self, params: dict[str, Array], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        if lr <= 0:
            raise ValueError(f"expected lr > 0, got {lr}")
        self.params, self.lr, self.betas, self.eps = params, float(lr), betas, float(eps)
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.k = 0  # steps taken

    def step(self, grads: dict[str, Array]) -> None:
        """One update of every parameter from its gradient."""
        if grads.keys() != self.params.keys():
            raise ValueError(f"expected gradients for {sorted(self.params)}, got {sorted(grads)}")
        beta1, beta2 = self.betas
        self.k += 1
        correction1, correction2 = 1 - beta1 ** self.k, 1 - beta2 ** self.k
        for name, p in self.params.items():
            g = grads[name]
            self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
            self.v[name] = beta2 * self.v[name] + (1 - beta2) * g * g
            denom = np.sqrt(self.v[name]) / np.sqrt(correction2) + self.eps
            p -= (self.lr / correction1) * self.m[name] / denom  # in place: the live array


def batch_schedule(n: int, batch_size: int, epochs: int, seed: int) -> list[NDArray[np.int64]]:
    """The index arrays of every mini-batch: each epoch a fresh seeded permutation of
    ``range(n)`` cut into batches of ``batch_size`` (the last one may be smaller)."""
    if n < 1 or batch_size < 1 or epochs < 1:
        raise ValueError(f"expected n, batch_size, epochs ≥ 1, got {n}, {batch_size}, {epochs}")
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return batches


def _batch(sequences: Sequence[Array], idx: NDArray[np.int64]) -> tuple[Array, NDArray]:
    chosen = [sequences[i] for i in idx]
    return pad(chosen), np.array([len(s) for s in chosen])


def train_numpy(model: GRUClassifier, sequences: Sequence[Array], labels: ArrayLike,
                batches: Sequence[NDArray[np.int64]], *, lr: float = 1e-2) -> list[float]:
    """Train ``model`` in place with ``Adam(lr)`` on the given batches; the loss of each
    batch, computed before its update."""
    labels = np.asarray(labels)
    optimiser = Adam(model.parameters(), lr=lr)
    losses = []
    for idx in batches:
        X, lengths = _batch(sequences, idx)
        loss, grads = model.loss_and_grads(X, lengths, labels[idx])
        optimiser.step(grads)
        losses.append(loss)
    return losses


def torch_twin(model: GRUClassifier) -> tuple[Any, Any]:
    """``torch.nn.GRU`` and ``torch.nn.Linear`` in float64 holding ``model``'s weights."""
    import torch

    gru = model.cell.to_torch(sequence=True)  # float64, weights copied
    readout = torch.nn.Linear(model.cell.hidden_size, model.classes, dtype=torch.float64)
    with torch.no_grad():
        readout.weight.copy_(torch.from_numpy(model.W_out))
        readout.bias.copy_(torch.from_numpy(model.b_out))
    return gru, readout


def torch_losses(model: GRUClassifier, sequences: Sequence[Array], labels: ArrayLike,
                 batches: Sequence[NDArray[np.int64]], *, lr: float = 1e-2) -> list[float]:
    """The same training as ``train_numpy``, from ``model``'s current weights, in PyTorch:
    ``pack_padded_sequence`` batches, ``torch.nn.GRU``'s ``h_n``, ``torch.optim.Adam``.
    ``model`` itself is not changed."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    gru, readout = torch_twin(model)
    optimiser = torch.optim.Adam([*gru.parameters(), *readout.parameters()], lr=lr)
    labels = torch.as_tensor(np.asarray(labels))
    losses = []
    for idx in batches:
        X, lengths = _batch(sequences, idx)
        packed = pack_padded_sequence(torch.from_numpy(X), torch.from_numpy(lengths),
                                      enforce_sorted=False)
        _, h_n = gru(packed)  # (1, N, H): the state at each sequence's last real step
        loss = torch.nn.functional.cross_entropy(readout(h_n[0]), labels[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses
