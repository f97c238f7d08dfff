r"""Chapter 3: where the update-gate bias decides whether a GRU learns a long dependency.

``python -m utils.experiments ch3_bias`` trains a one-layer ``torch.nn`` GRU (``HIDDEN``
units, linear read-out of :math:`h_T`; Adam, ``STEPS`` updates of batch ``BATCH``, gradient
norm clipped to 1; :func:`utils.tasks.train`) on chapter 1's recall task
(:class:`utils.tasks.RecallTask`: the sign :math:`s = \pm 1` at the first step, then
:math:`T - 1` Gaussian distractors of standard deviation ``NOISE``; the target is :math:`s`,
and predicting 0 scores ``MSE = 1``). Every sample needs the first input after exactly
:math:`T` steps: there is no short dependency to learn first.

Two starts, ``SEEDS`` each, for every length in ``LENGTHS``:

- ``gru_b0``: PyTorch's initialisation with the update-gate biases set to 0
  (:math:`z \approx 0.5`, a half-life of about one step);
- ``gru_chrono``: chrono initialisation for :math:`T_{max} = T`
  (:func:`utils.timescales.chrono_init_`, Tallec & Ollivier 2018).

Both draw the same weights from the seed; only the update-gate biases differ. Each row holds
``eval_steps``, ``eval_loss`` (validation MSE on a fixed batch of 512) and ``seconds``
(machine-dependent).
"""

from __future__ import annotations

from typing import Any

import torch

from utils.tasks import RecallTask, keep_gate_model, train
from utils.timescales import chrono_init_

__all__ = ["MODELS", "LENGTHS", "SEEDS", "CONFIGS", "QUICK", "SOLVED_MSE", "build_model",
           "run_one", "solved"]

DESCRIPTION = __doc__

MODELS: dict[str, str] = {
    "gru_b0": "GRU, update-gate bias 0",
    "gru_chrono": "GRU, chrono init",
}
LENGTHS: tuple[int, ...] = (30, 100)
SEEDS: tuple[int, ...] = tuple(range(6))
HIDDEN, STEPS, BATCH, LR, NOISE = 16, 300, 32, 1e-2, 0.5
EVAL_EVERY = 25
SOLVED_MSE = 0.1  # a run solved the task if it ends below a tenth of the baseline (chapter 1)

CONFIGS: list[dict[str, Any]] = [
    {"model": name, "T": T, "seed": seed} for T in LENGTHS for name in MODELS for seed in SEEDS
]
QUICK = [{"model": name, "T": 30, "seed": 0} for name in MODELS]


def solved(final_mse: float) -> bool:
    """Whether a run that ends at validation MSE ``final_mse`` solved the task."""
    return final_mse < SOLVED_MSE


def build_model(name: str, T: int, seed: int) -> torch.nn.Module:
    """The GRU ``name`` (a key of ``MODELS``) for sequences of length ``T``, seeded."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    model = keep_gate_model("gru", 1, HIDDEN, seed=seed)
    cell, H = model.cell, HIDDEN
    with torch.no_grad():
        if name == "gru_b0":
            cell.bias_ih_l0[H:2 * H] = 0.0
            cell.bias_hh_l0[H:2 * H] = 0.0
        else:
            chrono_init_(cell, float(T), generator=torch.Generator().manual_seed(seed))
    return model


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (``model, T, seed``): the validation curve and wall time."""
    model = build_model(config["model"], int(config["T"]), int(config["seed"]))
    history = train(model, RecallTask(int(config["T"]), NOISE), steps=STEPS,
                    batch_size=BATCH, lr=LR, seed=int(config["seed"]), progress=False,
                    eval_every=EVAL_EVERY)
    return {"eval_steps": history.eval_steps,
            "eval_loss": [round(v, 6) for v in history.eval_loss],
            "seconds": round(history.seconds, 2)}
