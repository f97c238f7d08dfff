r"""Chapter 3: gradient-norm clipping, with and without, where a GRU's gradients explode.

``python -m utils.experiments ch3_clip`` trains, with one torch thread, a one-layer
``torch.nn.GRU`` (``HIDDEN`` units, linear read-out of :math:`h_T`) on the adding problem of
length ``T`` with plain SGD (``STEPS`` updates of batch ``BATCH``;
:func:`utils.clipping.clipping_run`), with and without clipping the global gradient norm to
``CLIP``, ``SEEDS`` each, from two starts:

- ``rho3``: every recurrent block a random orthogonal matrix scaled to spectral radius 3
  (where chapter 3 measures gradients that grow with the span), at the high learning rate
  ``LR`` and at the control ``LR_LOW``;
- ``default``: PyTorch's initialisation at ``LR``, the baseline for the gradient norms.

Each row holds ``grad_max`` and ``grad_median`` (the largest and the median global norm
before clipping over the run's updates, up to the first that is not finite), ``updates`` (how
many finite updates it made), ``val_mse`` (validation MSE on a fixed batch of 256 before the
first update and after the last; ``Infinity`` once the weights are no longer finite) and
``eval_steps``/``eval_loss`` (the validation MSE every ``EVAL_EVERY`` updates) and
``seconds`` (machine-dependent).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from utils.clipping import clipping_run
from utils.tasks import adding_baseline_mse

__all__ = ["STARTS", "CLIPS", "SEEDS", "CONFIGS", "QUICK", "improved", "learned", "run_one"]

DESCRIPTION = __doc__

STARTS: dict[str, str] = {"rho3": "orthogonal, ρ = 3", "default": "PyTorch's default"}
CLIPS: tuple[float | None, ...] = (None, 1.0)
CLIP = 1.0
SEEDS: tuple[int, ...] = tuple(range(12))
T, HIDDEN, STEPS, BATCH, LR, LR_LOW, EVAL_EVERY = 20, 16, 1000, 32, 0.3, 0.03, 100
LEARNED = 0.5  # a run learned if it ends below this share of the constant predictor's MSE

CONFIGS: list[dict[str, Any]] = [
    {"start": start, "lr": lr, "clip": clip, "seed": seed}
    for start, lr in (("rho3", LR), ("rho3", LR_LOW), ("default", LR))
    for clip in CLIPS for seed in SEEDS
]
QUICK = [{"start": "rho3", "lr": LR, "clip": clip, "seed": 0} for clip in CLIPS]


def improved(val_mse: tuple[float, float] | list[float]) -> bool:
    """Whether a run ends with a lower validation MSE than it started with."""
    before, after = val_mse
    return bool(after < before)


def learned(final_mse: float) -> bool:
    """Whether a run ends below ``LEARNED`` times the MSE of predicting a constant."""
    return bool(final_mse < LEARNED * adding_baseline_mse())


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (``start, lr, clip, seed``): gradient norms, validation MSE."""
    start = time.perf_counter()
    run = clipping_run(config["start"], config["clip"], int(config["seed"]), T=T,
                       hidden_size=HIDDEN, steps=STEPS, batch_size=BATCH, lr=config["lr"],
                       eval_every=EVAL_EVERY)
    finite = [g for g in run.grad_norms if g == g and g != float("inf")]
    return {"grad_max": max(finite), "grad_median": float(np.median(finite)),
            "updates": len(finite), "val_mse": list(run.val_mse),
            "eval_steps": run.eval_steps, "eval_loss": run.eval_loss,
            "seconds": round(time.perf_counter() - start, 2)}
