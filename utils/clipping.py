r"""Gradient-norm clipping, measured: one short training run of a GRU whose gradients explode.

:func:`clipping_run` trains a ``torch.nn.GRU`` with a linear read-out of :math:`h_T` on the
adding problem (:class:`utils.tasks.AddingTask`) with plain SGD, with or without clipping the
global gradient norm :math:`\|g\|` to ``clip`` (``torch.nn.utils.clip_grad_norm_``:
:math:`g \leftarrow g \cdot c / \|g\|` when :math:`\|g\| > c`). The start is either
``"rho3"``, every recurrent block a random orthogonal matrix scaled to spectral radius 3
(:func:`utils.gradients.build_cell`, the regime where the chapter measures exploding
gradients), or ``"default"``, PyTorch's initialisation :math:`\mathcal U(-1/\sqrt H,
1/\sqrt H)` (the baseline for the gradient norms). SGD, not Adam: Adam divides each update by
a running gradient scale, which hides much of what clipping does.

Deterministic given the seed (one torch thread).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from utils.gradients import build_cell
from utils.tasks import AddingTask

__all__ = ["ClipRun", "STARTS", "clipping_run"]

STARTS = ("rho3", "default")


@dataclass
class ClipRun:
    """One run: ``grad_norms[k]`` is :math:`\\|g\\|` before clipping at update ``k``;
    ``val_mse`` the validation MSE before the first update and after the last (``inf`` once
    the weights stop being finite); ``eval_loss[k]`` the validation MSE after
    ``eval_steps[k]`` updates (with ``eval_every``; ``inf`` from a non-finite update on)."""

    start: str
    clip: float | None
    seed: int
    grad_norms: list[float] = field(default_factory=list)
    val_mse: tuple[float, float] = (math.nan, math.nan)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)

    @property
    def final(self) -> float:
        return self.val_mse[1]


class _Model(torch.nn.Module):
    def __init__(self, cell: torch.nn.GRU, hidden_size: int) -> None:
        super().__init__()
        self.cell = cell
        self.head = torch.nn.Linear(hidden_size, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # X (T, N, 2) -> (N, 1)
        H_all, _ = self.cell(X)
        return self.head(H_all[-1])


def _model(start: str, hidden_size: int, seed: int) -> _Model:
    g = torch.Generator().manual_seed(seed)
    gru = torch.nn.GRU(2, hidden_size)
    with torch.no_grad():
        if start == "rho3":
            cell = build_cell("gru", 2, hidden_size, spectral_radius=3.0, generator=g)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(gru, name + "_l0").copy_(getattr(cell, name).float())
        else:
            for p in gru.parameters():
                p.uniform_(-hidden_size**-0.5, hidden_size**-0.5, generator=g)
    model = _Model(gru, hidden_size)
    with torch.no_grad():
        bound = hidden_size**-0.5
        model.head.weight.uniform_(-bound, bound, generator=g)
        model.head.bias.zero_()
    return model


def clipping_run(start: str, clip: float | None, seed: int, *, T: int = 50,
                 hidden_size: int = 32, steps: int = 60, batch_size: int = 32,
                 lr: float = 0.05, eval_every: int | None = None) -> ClipRun:
    """Train from ``start`` (``"rho3"`` or ``"default"``) for ``steps`` SGD updates,
    clipping the gradient norm to ``clip`` (``None``: no clipping). See the module docstring.
    ``eval_every``: also record the validation MSE every that many updates (and at 0).
    """
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {start!r}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive norm or None, got {clip!r}")
    task = AddingTask(T)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = _model(start, hidden_size, seed)
        train_seq, val_seq = np.random.SeedSequence([seed, T, 3]).spawn(2)
        rng = np.random.default_rng(train_seq)
        X_val, y_val = task.sample(256, np.random.default_rng(val_seq))
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        run = ClipRun(start, clip, seed)

        def validate() -> float:
            with torch.no_grad():
                mse = task.loss(model(X_val), y_val).item()
            return mse if math.isfinite(mse) else math.inf

        before = validate()
        if eval_every:
            run.eval_steps.append(0)
            run.eval_loss.append(before)
        for step in range(1, steps + 1):
            X, y = task.sample(batch_size, rng)
            opt.zero_grad(set_to_none=True)
            task.loss(model(X), y).backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(),
                                                  math.inf if clip is None else clip)
            run.grad_norms.append(float(norm))
            if not math.isfinite(float(norm)):
                break  # the weights are gone: no further update can be measured
            opt.step()
            if eval_every and step % eval_every == 0:
                run.eval_steps.append(step)
                run.eval_loss.append(validate())
        run.val_mse = (before, validate())
        if eval_every and run.eval_steps[-1] < steps:  # diverged: inf from here on
            run.eval_steps += list(range(run.eval_steps[-1] + eval_every, steps + 1,
                                         eval_every))
            run.eval_loss += [math.inf] * (len(run.eval_steps) - len(run.eval_loss))
    finally:
        torch.set_num_threads(threads)
    return run
