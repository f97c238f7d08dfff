r"""Chapter 1: which cell, once trained, still recalls the first input after T steps.

The task is :class:`utils.tasks.RecallTask`: the sign :math:`s = \pm 1` is shown at the first
step, followed by :math:`T - 1` Gaussian distractors (standard deviation ``NOISE``); after the
last step the model must output :math:`s`. Predicting 0 scores ``MSE = 1`` (the baseline).

``python -m utils.experiments ch1`` trains (:func:`utils.tasks.recall_run`) a one-layer
``torch.nn`` RNN (tanh), GRU or LSTM (``HIDDEN`` units, Adam, ``STEPS`` steps of batch
``BATCH``, gradient norm clipped to 1) for every length in ``SEQ_LENS``, 3 seeds each; the
gated cells start with the bias ``b`` (0 or 3) of the gate that keeps the old state (GRU
update gate, LSTM forget gate); the RNN has no such gate and appears with ``b = 0`` only.

Each row records the validation MSE every ``EVAL_EVERY`` steps (``eval_steps``,
``eval_loss``) and the training wall time (``seconds``, machine-dependent).
"""

from __future__ import annotations

from typing import Any

DESCRIPTION = __doc__

SEQ_LENS: tuple[int, ...] = (5, 10, 20, 30, 50, 75, 100, 150, 200)
GATE_BIASES: tuple[float, ...] = (0.0, 3.0)
SEEDS: tuple[int, ...] = (0, 1, 2)
KINDS: tuple[str, ...] = ("rnn", "gru", "lstm")
HIDDEN, STEPS, BATCH, LR, NOISE = 16, 250, 32, 1e-2, 0.5
EVAL_EVERY = 25

CONFIGS: list[dict[str, Any]] = [
    {"kind": kind, "T": T, "gate_bias": b, "seed": seed}
    for T in SEQ_LENS for kind in KINDS for b in GATE_BIASES for seed in SEEDS
    if not (kind == "rnn" and b != 0.0)
]
QUICK = [c for c in CONFIGS if c["T"] == 5 and c["seed"] == 0]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration: the validation losses during training and the wall time."""
    from utils.tasks import recall_run

    history = recall_run(config["kind"], config["T"], gate_bias=config["gate_bias"],
                         seed=config["seed"], hidden_size=HIDDEN, steps=STEPS,
                         batch_size=BATCH, lr=LR, noise=NOISE, eval_every=EVAL_EVERY)
    return {"eval_steps": history.eval_steps,
            "eval_loss": [round(v, 6) for v in history.eval_loss],
            "seconds": round(history.seconds, 2)}
