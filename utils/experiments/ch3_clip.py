r"""Chapter 3: gradient-norm clipping, with and without, where a GRU's gradients explode.

``python -m utils.experiments ch3_clip`` trains, with one torch thread, a one-layer
``torch.nn.GRU`` (``HIDDEN`` units, linear read-out of :math:`h_T`) on the adding problem of
length ``T`` with plain SGD (learning rate ``LR``, ``STEPS`` updates of batch ``BATCH``;
:func:`utils.clipping.clipping_run`), from two starts, with and without clipping the global
gradient norm to ``CLIP``, ``SEEDS`` each:

- ``rho3``: every recurrent block a random orthogonal matrix scaled to spectral radius 3
  (where chapter 3 measures gradients that grow with the span);
- ``default``: PyTorch's initialisation, the baseline for the gradient norms.

Each row holds ``grad_norms`` (the global norm before clipping at every update, up to the
first that is not finite), ``val_mse`` (validation MSE on a fixed batch of 256 before the
first update and after the last; ``Infinity`` once the weights are no longer finite) and
``seconds`` (machine-dependent).
"""

from __future__ import annotations

import time
from typing import Any

from utils.clipping import clipping_run

__all__ = ["STARTS", "CLIPS", "SEEDS", "CONFIGS", "QUICK", "improved", "run_one"]

DESCRIPTION = __doc__

STARTS: dict[str, str] = {"rho3": "orthogonal, ρ = 3", "default": "PyTorch's default"}
CLIPS: tuple[float | None, ...] = (None, 1.0)
CLIP = 1.0
SEEDS: tuple[int, ...] = tuple(range(6))
T, HIDDEN, STEPS, BATCH, LR = 50, 16, 80, 32, 0.3

CONFIGS: list[dict[str, Any]] = [
    {"start": start, "clip": clip, "seed": seed}
    for start in STARTS for clip in CLIPS for seed in SEEDS
]
QUICK = [{"start": "rho3", "clip": clip, "seed": 0} for clip in CLIPS]


def improved(val_mse: tuple[float, float] | list[float]) -> bool:
    """Whether a run ends with a lower validation MSE than it started with."""
    before, after = val_mse
    return bool(after < before)


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (``start, clip, seed``): gradient norms and validation MSE."""
    start = time.perf_counter()
    run = clipping_run(config["start"], config["clip"], int(config["seed"]), T=T,
                       hidden_size=HIDDEN, steps=STEPS, batch_size=BATCH, lr=LR)
    finite = [g for g in run.grad_norms if g == g and g != float("inf")]
    return {"grad_norms": finite, "val_mse": list(run.val_mse),
            "seconds": round(time.perf_counter() - start, 2)}
