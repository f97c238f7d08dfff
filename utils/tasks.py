"""Seeded long-memory benchmarks (adding problem, copy task) and a compact training loop.

The two tasks are the classic stress tests for recurrent memory:

- **Adding problem** (Hochreiter & Schmidhuber 1997; the form used by Le et al. 2015 and
  Arjovsky et al. 2016). Each step carries a value ``u_t ~ U[0, 1)`` and a marker
  ``m_t ∈ {0, 1}``; exactly two markers are 1, one in each half of the sequence. The target
  is ``y = Σ_t m_t u_t``, read after the last step. Predicting the constant 1 scores
  ``MSE = Var(U_1 + U_2) = 2 · 1/12 = 1/6``.
- **Copy task** (Arjovsky, Shah & Bengio 2016). Ten symbols from ``{1..8}``, then ``T − 1``
  blanks (0), a delimiter (9), then ten blanks; the model must output ``T + 10`` blanks and
  then the ten symbols. A memoryless model that outputs blank until the delimiter and then
  guesses uniformly among the 8 symbols scores ``CE = 10 · ln 8 / (T + 20)`` (averaged over
  all ``T + 20`` steps).

Generators return ``torch`` tensors by default (``as_numpy=True`` gives NumPy arrays with the
same values), sequence-first like ``torch.nn.GRU``: inputs ``(T, N, H_in)``. Randomness comes
only from the ``rng`` argument (a ``np.random.Generator`` or an int seed), so the same seed
gives the same batch on every machine.

``train(model, task, steps=..., batch_size=...)`` fits any ``nn.Module`` that maps
``(T, N, H_in)`` to the task's output shape and returns a :class:`History`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "adding_problem",
    "adding_baseline_mse",
    "copy_task",
    "copy_baseline_ce",
    "AddingTask",
    "CopyTask",
    "History",
    "train",
]

COPY_SYMBOLS = 10  # length of the sequence to remember
COPY_CLASSES = 10  # 0 = blank, 1..8 = symbols, 9 = delimiter
COPY_BLANK, COPY_DELIM = 0, 9


def _as_rng(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a np.random.Generator or an int seed, got {type(rng).__name__}"
    )


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Adding problem
# --------------------------------------------------------------------------------------------


def adding_problem(
    T: int, N: int, *, rng: np.random.Generator | int, as_numpy: bool = False
) -> tuple[Any, Any]:
    r"""Sample a batch of the adding problem.

    .. math::
        u_t \sim U[0, 1), \qquad m_a = m_b = 1 \text{ with } a < \lfloor T/2 \rfloor \le b,
        \qquad y = u_a + u_b

    Args:
        T: sequence length, ``T >= 2`` (one marker in each half; the first half is
            ``[0, T // 2)``, the second ``[T // 2, T)``).
        N: batch size, ``N >= 1``.
        rng: ``np.random.Generator`` or int seed; the only source of randomness.
        as_numpy: return NumPy arrays instead of torch tensors (same values).

    Returns:
        ``X`` of shape ``(T, N, 2)`` (channel 0: values ``u_t``; channel 1: markers ``m_t``)
        and ``y`` of shape ``(N, 1)``, both float32.

    Example:
        >>> X, y = adding_problem(50, 32, rng=0)
        >>> X.shape, y.shape
        (torch.Size([50, 32, 2]), torch.Size([32, 1]))
    """
    T = _check_int("T", T, 2)
    N = _check_int("N", N, 1)
    rng = _as_rng(rng)
    half = T // 2
    values = rng.random((T, N), dtype=np.float64).astype(np.float32)  # (T, N)
    first = rng.integers(0, half, size=N)  # (N,) in [0, T//2)
    second = rng.integers(half, T, size=N)  # (N,) in [T//2, T)
    cols = np.arange(N)
    markers = np.zeros((T, N), dtype=np.float32)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    X = np.stack([values, markers], axis=-1)  # (T, N, 2)
    # Sum in float64 then round once, so y is the correctly rounded sum of the two values.
    y = (values[first, cols].astype(np.float64) + values[second, cols]).astype(np.float32)
    y = y[:, None]  # (N, 1)
    if as_numpy:
        return X, y
    return torch.from_numpy(X), torch.from_numpy(y)


def adding_baseline_mse() -> float:
    """MSE of always predicting 1 on the adding problem: ``Var(U_1 + U_2) = 2/12 = 1/6``.

    ``E[U_1 + U_2] = 1`` for independent ``U_i ~ U[0, 1)``, so the constant 1 is the best
    prediction that ignores the input, and its MSE is the variance of the target.
    """
    return 1.0 / 6.0


# --------------------------------------------------------------------------------------------
# Copy task
# --------------------------------------------------------------------------------------------


def copy_task(
    T: int,
    N: int,
    *,
    rng: np.random.Generator | int,
    one_hot: bool = True,
    as_numpy: bool = False,
) -> tuple[Any, Any]:
    r"""Sample a batch of the copy (memory) task of Arjovsky, Shah & Bengio (2016).

    Input sequence (length ``L = T + 20``), per batch element::

        s_1 … s_10 | 0 … 0 (T − 1 blanks) | 9 | 0 … 0 (10 blanks)

    with ``s_i`` uniform in ``{1, …, 8}``. Target: ``T + 10`` blanks, then ``s_1 … s_10``.

    Args:
        T: delay between the last symbol and the delimiter, ``T >= 1``.
        N: batch size, ``N >= 1``.
        rng: ``np.random.Generator`` or int seed; the only source of randomness.
        one_hot: if True (default), ``X`` is one-hot float32 of shape ``(L, N, 10)``, ready to
            feed a recurrent model; if False, ``X`` holds the integer classes, ``(L, N)``
            int64.
        as_numpy: return NumPy arrays instead of torch tensors (same values).

    Returns:
        ``X`` as above and ``y`` of shape ``(L, N)``, int64 class indices in ``{0, …, 8}``.

    Example:
        >>> X, y = copy_task(5, 4, rng=0)
        >>> X.shape, y.shape
        (torch.Size([25, 4, 10]), torch.Size([25, 4]))
    """
    T = _check_int("T", T, 1)
    N = _check_int("N", N, 1)
    rng = _as_rng(rng)
    L = T + 2 * COPY_SYMBOLS
    symbols = rng.integers(1, 9, size=(COPY_SYMBOLS, N))  # (10, N) in {1..8}
    x_int = np.full((L, N), COPY_BLANK, dtype=np.int64)  # (L, N)
    x_int[:COPY_SYMBOLS] = symbols
    x_int[COPY_SYMBOLS + T - 1] = COPY_DELIM
    y = np.full((L, N), COPY_BLANK, dtype=np.int64)  # (L, N)
    y[L - COPY_SYMBOLS :] = symbols
    X = np.eye(COPY_CLASSES, dtype=np.float32)[x_int] if one_hot else x_int  # (L, N, 10)
    if as_numpy:
        return X, y
    return torch.from_numpy(X), torch.from_numpy(y)


def copy_baseline_ce(T: int) -> float:
    """Cross-entropy (nats per step) of the memoryless strategy on the copy task.

    ``CE = 10 · ln 8 / (T + 20)``: blank (probability 1, loss 0) on the first ``T + 10``
    steps, then a uniform guess over the 8 symbols (loss ``ln 8``) on the last 10, averaged
    over all ``T + 20`` steps.
    """
    T = _check_int("T", T, 1)
    return COPY_SYMBOLS * math.log(8) / (T + 2 * COPY_SYMBOLS)


# --------------------------------------------------------------------------------------------
# Task objects: sample a batch, score an output, know their baseline
# --------------------------------------------------------------------------------------------


def _output_tensor(output: Any) -> torch.Tensor:
    # nn.GRU-style modules return (output, h_n); take the output.
    if isinstance(output, tuple):
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"expected the model to return a torch.Tensor, got {type(output)}")
    return output


def _check_which(which: Any) -> str:
    if which not in ("first", "last"):
        raise ValueError(f"which must be 'first' or 'last', got {which!r}")
    return which


class _LastStepMSE:
    """The loss of the tasks read out once, after the last step (``readout="last"``): mean
    squared error against ``y (N, 1)``. Mixed into the task dataclasses that share it."""

    name: str

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error; ``output`` must have shape ``(N, 1)`` like ``y``."""
        output = _output_tensor(output)
        if output.shape != y.shape:
            raise ValueError(
                f"{self.name}: expected model output of shape {tuple(y.shape)} (N, 1), "
                f"got {tuple(output.shape)}"
            )
        return F.mse_loss(output, y.to(output.dtype))


@dataclass(frozen=True)
class AddingTask(_LastStepMSE):
    """Adding problem of length ``T``: MSE on the prediction read after the last step.

    The model maps ``X (T, N, 2)`` to ``(N, 1)`` (``readout="last"``).
    """

    T: int
    input_size: int = field(default=2, init=False)
    output_size: int = field(default=1, init=False)
    readout: str = field(default="last", init=False)
    loss_name: str = field(default="mean squared error", init=False)

    def __post_init__(self) -> None:
        _check_int("T", self.T, 2)

    @property
    def name(self) -> str:
        return f"adding(T={self.T})"

    @property
    def baseline(self) -> float:
        """MSE of the constant-1 predictor, ``1/6``."""
        return adding_baseline_mse()

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """A batch ``X (T, N, 2)``, ``y (N, 1)``, float32 tensors."""
        return adding_problem(self.T, N, rng=rng)


@dataclass(frozen=True)
class CopyTask:
    """Copy task with delay ``T``: cross-entropy at every one of the ``T + 20`` steps.

    The model maps one-hot ``X (T + 20, N, 10)`` to logits ``(T + 20, N, 10)``
    (``readout="all"``).
    """

    T: int
    input_size: int = field(default=COPY_CLASSES, init=False)
    output_size: int = field(default=COPY_CLASSES, init=False)
    readout: str = field(default="all", init=False)
    loss_name: str = field(default="cross-entropy (nats per step)", init=False)

    def __post_init__(self) -> None:
        _check_int("T", self.T, 1)

    @property
    def name(self) -> str:
        return f"copy(T={self.T})"

    @property
    def length(self) -> int:
        """Sequence length ``T + 20``."""
        return self.T + 2 * COPY_SYMBOLS

    @property
    def baseline(self) -> float:
        """Cross-entropy of the memoryless strategy, ``10 ln 8 / (T + 20)``."""
        return copy_baseline_ce(self.T)

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """A batch: one-hot ``X (T + 20, N, 10)`` float32, ``y (T + 20, N)`` int64."""
        return copy_task(self.T, N, rng=rng)

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy (nats) averaged over all steps and batch elements.

        ``output``: logits of shape ``(T + 20, N, 10)``; ``y``: classes ``(T + 20, N)``.
        """
        output = _output_tensor(output)
        expected = (*y.shape, COPY_CLASSES)
        if tuple(output.shape) != expected:
            raise ValueError(
                f"{self.name}: expected model output (logits) of shape {expected} "
                f"(T + 20, N, 10), got {tuple(output.shape)}"
            )
        return F.cross_entropy(output.reshape(-1, COPY_CLASSES), y.reshape(-1))

    def accuracy(self, output: torch.Tensor, y: torch.Tensor) -> float:
        """Fraction of the 10 recalled symbols predicted correctly (argmax of the logits)."""
        output = _output_tensor(output)
        pred = output[-COPY_SYMBOLS:].argmax(dim=-1)  # (10, N)
        return (pred == y[-COPY_SYMBOLS:]).double().mean().item()


Task = AddingTask | CopyTask


# --------------------------------------------------------------------------------------------
# Training loop
# --------------------------------------------------------------------------------------------


@dataclass
class History:
    """What :func:`train` returns.

    Attributes:
        task: the task's name, e.g. ``"adding(T=50)"``.
        loss: training loss at every step (``len == steps``), on that step's batch.
        eval_steps: the steps at which the validation loss was measured (0 = before training,
            ``steps`` = after the last update).
        eval_loss: validation loss at those steps, on one fixed seeded batch.
        baseline: the task's baseline (constant-1 MSE, memoryless CE), for reference.
        seconds: wall-clock training time.
        loss_name: what the loss is, with its unit (the y label of :meth:`plot`).
    """

    task: str
    loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    baseline: float = float("nan")
    seconds: float = 0.0
    loss_name: str = "loss"

    @property
    def final_eval_loss(self) -> float:
        """Validation loss after the last step."""
        return self.eval_loss[-1]

    def beats_baseline(self, factor: float = 1.0) -> bool:
        """True if the final validation loss is below ``factor × baseline``."""
        return self.final_eval_loss < factor * self.baseline

    def plot(self, ax: Any = None, *, title: str | None = None) -> Any:
        """Training and validation loss against the step, with the baseline; returns ``ax``."""
        import matplotlib.pyplot as plt  # imported here: `import utils.tasks` stays light

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(np.arange(1, len(self.loss) + 1), self.loss, lw=0.8, alpha=0.6, label="train")
        ax.plot(self.eval_steps, self.eval_loss, "o-", ms=3, label="validation")
        ax.axhline(self.baseline, color="k", ls="--", lw=1, label="baseline")
        ax.set_xlabel("training step")
        ax.set_ylabel(self.loss_name)
        ax.set_title(title if title is not None else self.task)
        ax.legend()
        return ax


_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}


def _evaluate(model: nn.Module, task: Task, X: torch.Tensor, y: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return task.loss(model(X), y).item()
    finally:
        model.train(was_training)


def train(
    model: nn.Module,
    task: Task,
    *,
    steps: int,
    batch_size: int,
    lr: float = 1e-2,
    seed: int = 0,
    clip: float | None = 1.0,
    optimizer: str = "adam",
    progress: bool = True,
    eval_every: int | None = None,
    eval_size: int = 512,
    num_threads: int | None = 1,
) -> History:
    """Train ``model`` on ``task`` for ``steps`` updates, each on a fresh seeded batch.

    Each step: sample ``X, y = task.sample(batch_size)``, ``loss = task.loss(model(X), y)``,
    back-propagate, clip the global gradient norm to ``clip``, update. The model is trained
    in place; its initial weights are the caller's (seed them when you build it).

    Args:
        model: maps ``X (L, N, task.input_size)`` to ``(N, task.output_size)`` for
            ``readout="last"`` tasks or ``(L, N, task.output_size)`` for ``readout="all"``.
        task: :class:`AddingTask` or :class:`CopyTask` (anything with ``sample``, ``loss``,
            ``baseline`` and ``name``; ``loss_name``, if present, labels the plot).
        steps: number of parameter updates, ``>= 1``.
        batch_size: sequences per update, ``>= 1``.
        lr: learning rate.
        seed: seeds the training batches, the validation batch (an independent stream) and
            torch's global generator inside the loop (restored afterwards), so two calls with
            the same seed on identically initialised models give identical histories.
        clip: maximum global gradient norm (``None`` or ``0`` disables clipping).
        optimizer: ``"adam"``, ``"rmsprop"`` or ``"sgd"``.
        progress: show a ``tqdm.auto`` bar (also hidden on a non-TTY terminal, when the
            ``CI`` environment variable is set, and in the book build, ``GRU_DEMO_MODE=static``).
        eval_every: also measure the validation loss every ``eval_every`` steps (it is
            always measured before the first and after the last step).
        eval_size: size of the fixed validation batch.
        num_threads: torch intra-op threads during the loop (restored afterwards); ``None``
            keeps the current setting. The default 1 is deliberate: the course's models are
            tiny, so each op is too small to split, and on a busy 2-core machine two threads
            made the loop about 4x slower than one (measured on a test GRU, H = 16).

    Returns:
        A :class:`History`.

    Example:
        >>> history = train(model, AddingTask(50), steps=300, batch_size=32)  # doctest: +SKIP
        >>> history.final_eval_loss < history.baseline  # doctest: +SKIP
        True
    """
    steps = _check_int("steps", steps, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    eval_size = _check_int("eval_size", eval_size, 1)
    if eval_every is not None:
        eval_every = _check_int("eval_every", eval_every, 1)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if clip is not None and clip < 0:
        raise ValueError(f"clip must be None, 0 (off) or positive, got {clip!r}")
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")

    if num_threads is not None:
        num_threads = _check_int("num_threads", num_threads, 1)
    from tqdm.auto import tqdm  # imported here: `import utils.tasks` stays light

    train_seq, val_seq = np.random.SeedSequence(seed).spawn(2)
    train_rng = np.random.default_rng(train_seq)
    X_val, y_val = task.sample(eval_size, np.random.default_rng(val_seq))
    opt = _OPTIMIZERS[optimizer](params, lr=lr)
    history = History(task=task.name, baseline=float(task.baseline),
                      loss_name=getattr(task, "loss_name", "loss"))
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    # The book build (GRU_DEMO_MODE=static) has no one watching: a finished bar would only
    # be saved into the page as a stray widget.
    in_book_build = os.environ.get("GRU_DEMO_MODE", "").strip().lower() == "static"
    disable = (not progress) or in_ci or in_book_build

    threads_before = torch.get_num_threads()
    start = time.perf_counter()
    try:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            history.eval_steps.append(0)
            history.eval_loss.append(_evaluate(model, task, X_val, y_val))
            model.train()
            bar = tqdm(range(1, steps + 1), desc=task.name, disable=True if disable else None)
            for step in bar:
                X, y = task.sample(batch_size, train_rng)
                opt.zero_grad(set_to_none=True)
                loss = task.loss(model(X), y)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"{task.name}: loss became {loss.item()} at step {step}; "
                        "lower lr or clip"
                    )
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(params, clip)
                opt.step()
                history.loss.append(loss.item())
                if (eval_every and step % eval_every == 0) or step == steps:
                    history.eval_steps.append(step)
                    history.eval_loss.append(_evaluate(model, task, X_val, y_val))
                    bar.set_postfix(
                        val=f"{history.eval_loss[-1]:.4f}", baseline=f"{history.baseline:.4f}"
                    )
            bar.close()
    finally:
        torch.set_num_threads(threads_before)
    history.seconds = time.perf_counter() - start
    return history


# --------------------------------------------------------------------------------------------
# Marker recall (chapter 5): which marked value to report needs state-dependent gating or not
# --------------------------------------------------------------------------------------------


def marker_recall(
    T: int, N: int, *, rng: np.random.Generator | int, which: str = "first",
    as_numpy: bool = False,
) -> tuple[Any, Any]:
    r"""A batch of the marker-recall task: report the value at the first (or last) marker.

    Each step carries a value :math:`u_t \sim U[0, 1)` and a marker :math:`m_t \in \{0, 1\}`;
    exactly two markers are 1, at two distinct random steps :math:`a < b`. The target is
    :math:`y = u_a` (``which="first"``) or :math:`y = u_b` (``which="last"``), read after
    the last step.

    "last" can be solved by a gate that reads only :math:`x_t` (overwrite the memory at every
    marker). "first", done directly, needs a gate that reads :math:`h_{t-1}`: at the second
    marker the cell must *not* overwrite, and whether a marker was already seen is in the
    state, not in :math:`x_t`. (An input-only gate can still reach it indirectly, e.g. one
    unit summing both marked values and one holding the last, read out as their difference;
    chapter 5 builds this by hand.)

    Returns ``X (T, N, 2)`` float32 (channel 0 values, channel 1 markers) and ``y (N, 1)``.
    """
    T = _check_int("T", T, 2)
    N = _check_int("N", N, 1)
    _check_which(which)
    rng = _as_rng(rng)
    values = rng.random((T, N), dtype=np.float64).astype(np.float32)  # (T, N)
    pos = np.sort(np.argsort(rng.random((T, N)), axis=0)[:2], axis=0)  # (2, N), a < b
    cols = np.arange(N)
    markers = np.zeros((T, N), dtype=np.float32)
    markers[pos[0], cols] = 1.0
    markers[pos[1], cols] = 1.0
    X = np.stack([values, markers], axis=-1)  # (T, N, 2)
    y = values[pos[0 if which == "first" else 1], cols][:, None]  # (N, 1)
    if as_numpy:
        return X, y
    return torch.from_numpy(X), torch.from_numpy(y)


@dataclass(frozen=True)
class MarkerRecallTask(_LastStepMSE):
    """Marker recall of length ``T`` (``which`` = ``"first"`` or ``"last"``), MSE on the value
    read after the last step. Baseline: the constant 1/2, ``MSE = Var(U) = 1/12``."""

    T: int
    which: str = "first"
    input_size: int = field(default=2, init=False)
    output_size: int = field(default=1, init=False)
    readout: str = field(default="last", init=False)
    loss_name: str = field(default="mean squared error", init=False)

    def __post_init__(self) -> None:
        _check_int("T", self.T, 2)
        _check_which(self.which)

    @property
    def name(self) -> str:
        return f"recall-{self.which}(T={self.T})"

    @property
    def baseline(self) -> float:
        """MSE of the constant 1/2: ``1/12``."""
        return 1.0 / 12.0

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """A batch ``X (T, N, 2)``, ``y (N, 1)``, float32 tensors."""
        return marker_recall(self.T, N, rng=rng, which=self.which)


__all__ += ["marker_recall", "MarkerRecallTask"]


# --------------------------------------------------------------------------------------------
# Recall task: remember the first input across T steps of distractors (chapter 1)
# --------------------------------------------------------------------------------------------


def recall_problem(
    T: int, N: int, *, rng: np.random.Generator | int, noise: float = 1.0,
    as_numpy: bool = False,
) -> tuple[Any, Any]:
    r"""Sample a batch of the first-input recall task.

    .. math::
        x_1 = s \in \{-1, +1\}, \qquad x_t \sim \mathcal N(0, \text{noise}^2) \ (t \ge 2),
        \qquad y = s

    The sign ``s`` is shown once, at the first step; the model must still know it after the
    last of the ``T`` steps, through ``T − 1`` distractors of the same scale. Predicting 0
    (the best guess that ignores the input) scores ``MSE = Var(s) = 1``.

    Args:
        T: sequence length, ``T >= 1``.
        N: batch size, ``N >= 1``.
        rng: ``np.random.Generator`` or int seed; the only source of randomness.
        noise: standard deviation of the distractors, ``>= 0``.
        as_numpy: return NumPy arrays instead of torch tensors (same values).

    Returns:
        ``X`` of shape ``(T, N, 1)`` and ``y`` of shape ``(N, 1)``, both float32.
    """
    T = _check_int("T", T, 1)
    N = _check_int("N", N, 1)
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = _as_rng(rng)
    s = rng.choice(np.array([-1.0, 1.0]), size=N)  # (N,)
    X = np.empty((T, N, 1), dtype=np.float32)
    X[0, :, 0] = s
    X[1:, :, 0] = noise * rng.standard_normal((T - 1, N))
    y = s.astype(np.float32)[:, None]  # (N, 1)
    if as_numpy:
        return X, y
    return torch.from_numpy(X), torch.from_numpy(y)


@dataclass(frozen=True)
class RecallTask(_LastStepMSE):
    """Recall the first input's sign after ``T`` steps: MSE on the read-out after the last step.

    The model maps ``X (T, N, 1)`` to ``(N, 1)`` (``readout="last"``); the baseline (predict
    0) is ``MSE = 1``.
    """

    T: int
    noise: float = 1.0
    input_size: int = field(default=1, init=False)
    output_size: int = field(default=1, init=False)
    readout: str = field(default="last", init=False)
    loss_name: str = field(default="mean squared error", init=False)

    def __post_init__(self) -> None:
        _check_int("T", self.T, 1)
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be a finite number >= 0, got {self.noise!r}")

    @property
    def name(self) -> str:
        return f"recall(T={self.T})"

    @property
    def baseline(self) -> float:
        """MSE of predicting 0, ``Var(s) = 1``."""
        return 1.0

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """A batch ``X (T, N, 1)``, ``y (N, 1)``, float32 tensors."""
        return recall_problem(self.T, N, rng=rng, noise=self.noise)


def keep_gate_model(
    kind: str, input_size: int, hidden_size: int, *, gate_bias: float = 0.0, seed: int = 0,
    recurrent_init: str = "default",
) -> nn.Module:
    r"""A one-layer ``torch.nn`` RNN (tanh), GRU or LSTM with a linear read-out of ``h_T``.

    Weights are PyTorch's default :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`, drawn from
    ``torch.Generator().manual_seed(seed)``. ``gate_bias`` is added to ``bias_ih`` of the gate
    that keeps the old state: the GRU's update gate :math:`z_t` (rows ``H:2H`` of r|z|n,
    :math:`h_t = (1-z_t) \odot n_t + z_t \odot h_{t-1}`) or the LSTM's forget gate
    :math:`f_t` (rows ``H:2H`` of i|f|g|o), so that the gate starts near
    :math:`\sigma(b)`. The RNN has no such gate (``gate_bias`` must be 0).

    ``recurrent_init="orthogonal"`` replaces every ``(H, H)`` block of ``weight_hh_l0`` by a
    random orthogonal matrix (spectral radius 1, :func:`utils.gradients.recurrent_matrix`,
    drawn from the same seeded generator after PyTorch's weights): the start for which a
    linear RNN's gradient neither vanishes nor explodes. ``"default"`` keeps PyTorch's.

    Shapes: ``X (T, N, H_in)`` → ``(N, 1)``.
    """
    from utils.torch_cells import SequenceModel  # imported here: `import utils.tasks` stays light

    if kind not in ("rnn", "gru", "lstm"):
        raise ValueError(f"kind must be 'rnn', 'gru' or 'lstm', got {kind!r}")
    if not math.isfinite(gate_bias):
        raise ValueError(f"gate_bias must be finite, got {gate_bias!r}")
    if kind == "rnn" and gate_bias != 0.0:
        raise ValueError(f"the RNN has no gate: expected gate_bias=0, got {gate_bias!r}")
    if recurrent_init not in ("default", "orthogonal"):
        raise ValueError(f"recurrent_init must be 'default' or 'orthogonal', "
                         f"got {recurrent_init!r}")
    generator = torch.Generator().manual_seed(seed)
    model = SequenceModel(f"torch-{kind}", input_size, hidden_size, 1, generator=generator)
    if recurrent_init == "orthogonal":
        from utils.gradients import recurrent_matrix

        w_hh = model.cell.weight_hh_l0
        with torch.no_grad():
            for block in range(w_hh.shape[0] // hidden_size):
                q = recurrent_matrix(hidden_size, 1.0, generator=generator)
                w_hh[block * hidden_size:(block + 1) * hidden_size] = q.to(w_hh.dtype)
    if kind != "rnn":
        with torch.no_grad():
            model.cell.bias_ih_l0[hidden_size:2 * hidden_size] += gate_bias
    return model


def recall_run(
    kind: str,
    T: int,
    *,
    gate_bias: float = 0.0,
    seed: int = 0,
    hidden_size: int = 16,
    steps: int = 250,
    batch_size: int = 32,
    lr: float = 1e-2,
    noise: float = 0.5,
    eval_every: int | None = 25,
    recurrent_init: str = "default",
) -> History:
    """Train :func:`keep_gate_model` on :class:`RecallTask` ``(T, noise)``; one seed, one thread.

    ``seed`` seeds the weights and, through :func:`train`, the batches, so a run is
    reproducible on one machine. Adam, gradient norm clipped to 1.
    """
    model = keep_gate_model(kind, 1, hidden_size, gate_bias=gate_bias, seed=seed,
                            recurrent_init=recurrent_init)
    return train(model, RecallTask(T, noise), steps=steps, batch_size=batch_size, lr=lr,
                 seed=seed, progress=False, eval_every=eval_every)
