r"""Chapter 2: what the reset gate adds on the reset-sum task, and how the GRU forgets, over seeds.

``python -m utils.experiments ch2_reset`` trains, with one torch thread, the chapter's GRU
(:func:`utils.gates.train_reset_sum`: ``HIDDEN`` units, sequences of ``T`` steps, markers with
probability ``P_RESET``, Adam for ``STEPS`` steps of batch 32) for every seed in ``SEEDS``,
with its reset gate and with ``r_t ≡ 1`` (the same initial weights with the reset gate opened).

Each row holds, on the chapter's held-out set (:func:`eval_set`: 512 sequences from
``numpy.random.default_rng(EVAL_SEED)``):

- ``mse``: the held-out MSE;
- ``curve``: the validation MSE during training (``eval_steps``, ``eval_loss``);
- ``marker`` and ``other``: the mean of each part of ``‖∂y_t/∂h_{t−1}‖``
  (:func:`utils.gates.readout_sensitivity`: ``total``, ``kept``, ``via_z``, ``via_n``,
  ``kept_and_z``) over the marker steps and over the other steps;
- ``seconds`` (machine-dependent).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from utils.gates import ResetSumTask, readout_sensitivity, reset_sum, train_reset_sum

__all__ = ["SEEDS", "CONFIGS", "QUICK", "PATHS", "eval_set", "run_one", "path_claims"]

DESCRIPTION = __doc__

T, P_RESET, HIDDEN, STEPS, BATCH = 24, 0.1, 8, 200, 32
EVAL_SEED, EVAL_N = 1, 512  # the chapter's rng_eval = default_rng(SEED + 1)
SEEDS: tuple[int, ...] = tuple(range(12))
PATHS = ("total", "kept", "via_z", "via_n", "kept_and_z")

CONFIGS: list[dict[str, Any]] = [
    {"reset_gate": reset_gate, "seed": seed} for seed in SEEDS for reset_gate in (True, False)
]
QUICK = [{"reset_gate": reset_gate, "seed": 0} for reset_gate in (True, False)]


def eval_set() -> tuple[np.ndarray, np.ndarray]:
    """The chapter's held-out reset-sum sequences: ``X (T, 512, 2)``, ``y (T, 512, 1)``."""
    return reset_sum(T, EVAL_N, rng=np.random.default_rng(EVAL_SEED), p_reset=P_RESET,
                     as_numpy=True)


def path_claims(marker: dict[str, float], other: dict[str, float]) -> dict[str, bool]:
    """The chapter's statements about how one trained GRU forgets, each true or false.

    ``marker``/``other``: the mean of each part of ``‖∂y_t/∂h_{t−1}‖`` at the markers and
    elsewhere (as in a row of this experiment)."""
    drops = (other["kept_and_z"] - marker["kept_and_z"], other["via_n"] - marker["via_n"])
    return {
        "forgets": marker["total"] < 0.5 * other["total"],  # at least a 2-fold drop
        "copy_open": marker["kept"] > marker["total"],  # the copy path is not closed
        "z_path_grows": marker["via_z"] > 2 * other["via_z"],
        "z_shortens_copy": marker["kept_and_z"] < marker["kept"],  # points against it
        "z_cancels_copy": marker["kept_and_z"] < 0.75 * marker["kept"],
        "candidate_shrinks": marker["via_n"] < 0.6 * other["via_n"],
        "as_much": min(drops) > 0 and max(drops) < 1.5 * min(drops),
    }


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (``reset_gate, seed``) and measure it on the held-out set."""
    start = time.perf_counter()
    model, history = train_reset_sum(hidden_size=HIDDEN, T=T, p_reset=P_RESET, steps=STEPS,
                                     batch_size=BATCH, seed=int(config["seed"]),
                                     reset_gate=bool(config["reset_gate"]), progress=False)
    X, y = eval_set()
    task = ResetSumTask(T=T, p_reset=P_RESET)
    with torch.no_grad():
        mse = task.loss(model(torch.from_numpy(X)), torch.from_numpy(y)).item()
    sens = readout_sensitivity(model, X)
    at_marker = X[..., 1] == 1  # (T, N)
    return {
        "mse": mse,
        "curve": {"eval_steps": list(history.eval_steps),
                  "eval_loss": [float(v) for v in history.eval_loss]},
        "marker": {k: float(sens[k][at_marker].mean()) for k in PATHS},
        "other": {k: float(sens[k][~at_marker].mean()) for k in PATHS},
        "seconds": round(time.perf_counter() - start, 2),
    }
