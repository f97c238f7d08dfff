r"""Chapter 3: which units of a trained GRU carry the gradient back, over seeds.

``python -m utils.experiments ch3_heat`` trains, with one torch thread, the chapter's
chrono-initialised GRU on the adding problem of length ``T`` for ``STEPS`` updates
(:func:`utils.experiments.ch3.train`: the first ``STEPS`` updates of that experiment's run
with the same seed), for every seed in ``SEEDS``. On one held-out batch (``N_HELD`` sequences
from ``numpy.random.default_rng(HELD_SEED)``, the chapter's ``rng_heat``) it takes
:math:`\partial L / \partial h_t` at every step and unit (:func:`utils.flow.state_gradients`)
and each unit's mean update gate :math:`\bar z`. Each row holds

- ``grad_by_step``: the mean of :math:`|\partial L / \partial h_{t,i}|` over the batch and the
  units, per step (``T`` values);
- ``span_ratio``: the gradient at the last ``EDGE`` steps over that at the first ``EDGE``
  (both averaged over units): 1 means the start receives as much as the end;
- ``z_unit``: each unit's :math:`\bar z`; ``n_fast``: how many units have
  :math:`\bar z <` ``FAST_Z``;
- ``spearman``: the rank correlation, over units, between :math:`\bar z` and the gradient
  reaching the first ``EDGE`` steps;
- ``seconds`` (machine-dependent).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from utils.experiments import ch3
from utils.flow import state_gradients
from utils.tasks import AddingTask

__all__ = ["SEEDS", "CONFIGS", "QUICK", "T", "STEPS", "EDGE", "FAST_Z", "heat_stats", "run_one"]

DESCRIPTION = __doc__

T, STEPS = 100, 300
N_HELD, HELD_SEED = 128, 5  # the chapter's held-out batch: default_rng(SEED + 5), SEED = 0
EDGE = 10  # steps at each end of the sequence
FAST_Z = 0.9  # a unit with a mean update gate below this keeps less than 10 steps' memory
SEEDS: tuple[int, ...] = tuple(range(8))

CONFIGS: list[dict[str, Any]] = [{"seed": seed} for seed in SEEDS]
QUICK = [{"seed": 0}]


def heat_stats(grad_map: np.ndarray, z_unit: np.ndarray) -> dict[str, Any]:
    """The chapter's summary of one trained GRU's gradient map.

    ``grad_map (T, H)``: mean :math:`|\\partial L / \\partial h_{t,i}|` over a batch;
    ``z_unit (H,)``: each unit's mean update gate."""
    grad_map, z_unit = np.asarray(grad_map, dtype=float), np.asarray(z_unit, dtype=float)
    if grad_map.ndim != 2 or z_unit.shape != grad_map.shape[1:]:
        raise ValueError(f"expected grad_map (T, H) and z_unit (H,), got {grad_map.shape} "
                         f"and {z_unit.shape}")
    early = grad_map[:EDGE].mean(axis=0)  # (H,) gradient reaching the first steps, per unit
    rank_early, rank_z = np.argsort(np.argsort(early)), np.argsort(np.argsort(z_unit))
    return {"span_ratio": float(grad_map[-EDGE:].mean() / grad_map[:EDGE].mean()),
            "n_fast": int((z_unit < FAST_Z).sum()),
            "spearman": float(np.corrcoef(rank_early, rank_z)[0, 1])}


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one seed for ``STEPS`` updates and measure its gradient map on the held-out batch."""
    import torch

    start = time.perf_counter()
    _, model = ch3.train("gru_chrono", T, int(config["seed"]), STEPS, return_model=True)
    task = AddingTask(T)
    X, y = task.sample(N_HELD, np.random.default_rng(HELD_SEED))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dh, z = state_gradients(model, X, y, task.loss)  # each (T, N, H)
    finally:
        torch.set_num_threads(threads)
    grad_map = np.abs(dh).mean(axis=1)  # (T, H)
    z_unit = z.mean(axis=(0, 1))  # (H,)
    return {"grad_by_step": [float(f"{v:.6g}") for v in grad_map.mean(axis=1)],
            "z_unit": [round(float(v), 6) for v in z_unit],
            **heat_stats(grad_map, z_unit),
            "seconds": round(time.perf_counter() - start, 2)}
