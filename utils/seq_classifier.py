r"""Variable-length sequence classification in PyTorch, with the right and the wrong reads.

``SequenceClassifier`` runs ``torch.nn.GRU`` (or ``LSTM``) over a padded batch and classifies
each sequence from one hidden state; ``readout`` says which state it reads, and how the batch
was padded:

=================  =============  ====================================================
``readout``        padding        state read
=================  =============  ====================================================
``"packed"``       right          ``h_n`` of ``pack_padded_sequence``: the last real step
``"last_padded"``  right          ``output[-1]``: after running over the padding (a bug)
``"left_padded"``  left           ``output[-1]``: the last real step, after padding first
``"packed_left"``  left           ``h_n`` of a left-padded batch packed with the lengths:
                                  padding on the wrong side for packing (a bug)
=================  =============  ====================================================

What practitioners add: ``num_layers`` (stacking), ``bidirectional`` (a second GRU reads each
sequence backwards from its last real frame; both final states are read), ``dropout``
between stacked layers, ``init="chrono"`` (Tallec & Ollivier 2018: the update-gate bias
``ln U[1, t_max − 1]``, ``utils.timescales.chrono_init_``) or ``"forget_bias_1"`` (the
LSTM's forget-gate bias 1), and gradient clipping (``train_classifier(clip=...)``).

``train_classifier`` trains with Adam on seeded mini-batches (``batch_schedule``) and
returns the learning curve and the test accuracy; everything is seeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from utils.numpy_training import batch_schedule
from utils.padding import pad, standardiser
from utils.realdata import japanese_vowels
from utils.timescales import chrono_init_

__all__ = ["INITS", "READOUTS", "SequenceClassifier", "padded_batch", "train_classifier",
           "fit_classifier", "vowels_task"]

INITS = ("default", "chrono", "forget_bias_1")
READOUTS = ("packed", "last_padded", "left_padded", "packed_left")
_SIDE = {"packed": "right", "last_padded": "right", "left_padded": "left",
         "packed_left": "left"}


Split = tuple[list[NDArray[np.float32]], NDArray[np.int64]]


def vowels_task() -> tuple[Split, Split]:
    """Japanese Vowels as ``(train, test)``, each ``(sequences, labels)``: every sequence
    ``(L_i, 12)`` float32, standardised per coefficient with the training frames' mean and
    standard deviation (the test set never informs them)."""
    train, test = japanese_vowels("train"), japanese_vowels("test")
    mean, std = standardiser(train.sequences)

    def scaled(data: Any) -> list[NDArray[np.float32]]:
        return [((s - mean) / std).astype(np.float32) for s in data.sequences]

    return (scaled(train), train.labels), (scaled(test), test.labels)


def padded_batch(sequences: Sequence[NDArray], readout: str
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """``X (T, N, H_in)`` float32, padded on the side ``readout`` uses, and ``lengths (N,)``."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    X = pad(sequences, side=_SIDE[readout], dtype=np.float32)
    return torch.from_numpy(X), torch.tensor([len(s) for s in sequences])


class SequenceClassifier(nn.Module):
    """``torch.nn.GRU`` / ``LSTM`` (``kind``) and a linear layer on the state ``readout`` reads.

    ``forward(X (T, N, H_in), lengths (N,))`` → logits ``(N, classes)``.
    """

    def __init__(self, input_size: int, hidden_size: int, classes: int, *,
                 kind: str = "gru", readout: str = "packed", num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0,
                 init: str = "default", t_max: float = 29.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if kind not in ("gru", "lstm"):
            raise ValueError(f"kind must be 'gru' or 'lstm', got {kind!r}")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        if bidirectional and readout != "packed":
            raise ValueError("bidirectional=True needs readout='packed': the backward "
                             "direction must start at each sequence's last real frame")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.kind, self.readout, self.bidirectional = kind, readout, bool(bidirectional)
        self.rnn = (nn.GRU if kind == "gru" else nn.LSTM)(
            input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
            dropout=dropout)
        if init == "chrono":
            chrono_init_(self.rnn, t_max, generator=generator or torch.Generator()
                         .manual_seed(0))
        elif init == "forget_bias_1":
            if kind != "lstm":
                raise ValueError("init='forget_bias_1' is the LSTM's: its gates are i|f|g|o")
            with torch.no_grad():
                for name, b in self.rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        b[hidden_size:2 * hidden_size] = 1.0
                    elif name.startswith("bias_hh"):
                        b[hidden_size:2 * hidden_size] = 0.0
        directions = 2 if bidirectional else 1
        self.out = nn.Linear(directions * hidden_size, classes)

    def forward(self, X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if X.dim() != 3 or lengths.shape != (X.shape[1],):
            raise ValueError(f"expected X of shape (T, N, H_in) and lengths of shape (N,), "
                             f"got {tuple(X.shape)} and {tuple(lengths.shape)}")
        if self.readout in ("packed", "packed_left"):
            packed = pack_padded_sequence(X, lengths, enforce_sorted=False)
            _, state = self.rnn(packed)
            h_n = state[0] if self.kind == "lstm" else state  # (layers·directions, N, H)
            # the last layer: forward direction's last real step (and backward's first)
            h = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.bidirectional else h_n[-1]
        else:
            output, _ = self.rnn(X)  # (T, N, H)
            h = output[-1]
        return self.out(h)


def _accuracy(model: nn.Module, sequences: Sequence[NDArray],
              labels: NDArray[np.int64]) -> float:
    with torch.no_grad():
        X, lengths = padded_batch(sequences, model.readout)
        predicted = model(X, lengths).argmax(dim=1).numpy()
    return float((predicted == labels).mean())


def train_classifier(train: Split, test: Split, *,
                     hidden_size: int, classes: int, seed: int, kind: str = "gru",
                     readout: str = "packed", epochs: int = 30, batch_size: int = 32,
                     lr: float = 1e-2, clip: float | None = None,
                     **model_options: Any) -> dict[str, Any]:
    """Train a seeded ``SequenceClassifier`` with Adam; every sequence is float32 ``(L, H_in)``.

    ``clip``: rescale the gradient to this global norm when it is larger
    (``torch.nn.utils.clip_grad_norm_``); ``model_options``: ``num_layers``,
    ``bidirectional``, ``dropout``, ``init``, ``t_max`` of ``SequenceClassifier``.

    Returns ``{"losses": [mean training loss of each epoch], "train_accuracy",
    "test_accuracy", "params"}``.
    """
    torch.manual_seed(seed)
    sequences, _ = train
    model = SequenceClassifier(sequences[0].shape[1], hidden_size, classes, kind=kind,
                               readout=readout, generator=torch.Generator().manual_seed(seed),
                               **model_options)
    return fit_classifier(model, train, test, seed=seed, epochs=epochs,
                          batch_size=batch_size, lr=lr, clip=clip)


def fit_classifier(model: nn.Module, train: Split, test: Split, *, seed: int,
                   epochs: int = 30, batch_size: int = 32, lr: float = 1e-2,
                   clip: float | None = None) -> dict[str, Any]:
    """Train any ``model(X, lengths) → logits`` with a ``readout`` attribute (the padding it
    expects, ``READOUTS``) with Adam on the seeded mini-batches; as ``train_classifier``."""
    sequences, labels = train
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    y = torch.from_numpy(np.asarray(labels))
    batches = batch_schedule(len(sequences), batch_size, epochs, seed)
    per_epoch = -(-len(sequences) // batch_size)
    losses, epoch_loss = [], 0.0
    for k, idx in enumerate(batches, start=1):
        X, lengths = padded_batch([sequences[i] for i in idx], model.readout)
        loss = nn.functional.cross_entropy(model(X, lengths), y[idx])
        optimiser.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimiser.step()
        epoch_loss += loss.item() * len(idx)
        if k % per_epoch == 0:
            losses.append(epoch_loss / len(sequences))
            epoch_loss = 0.0
    model.eval()  # no dropout when measuring
    return {"losses": losses,
            "train_accuracy": _accuracy(model, sequences, np.asarray(labels)),
            "test_accuracy": _accuracy(model, *test),
            "params": sum(p.numel() for p in model.parameters())}
