"""Chapter 6: the trained GRU the chapter reads (its gates, its units' half-lives).

``python -m utils.experiments ch6_reader`` trains the packed GRU classifier of
``ch6_practice`` (hidden size 32, Adam 1e-2, 30 epochs of mini-batches of 32) for seed 0 and
records its weights, so that the chapter and its utterance explorer read a fully trained
model without spending half a minute training it on every build. The run is the ``plain``
configuration of ``ch6_practice`` for seed 0: its learning curve and test accuracy are the
same numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES
from utils.seq_classifier import SequenceClassifier, fit_classifier, vowels_task

DESCRIPTION = __doc__

SEEDS = (0,)
HIDDEN_SIZE = 32
EPOCHS = 30
CONFIGS: list[dict[str, Any]] = [{"seed": s} for s in SEEDS]
QUICK = CONFIGS


def build() -> SequenceClassifier:
    """The untrained packed GRU classifier (weights from the caller's torch seed)."""
    return SequenceClassifier(VOWELS_FEATURES, HIDDEN_SIZE, VOWELS_CLASSES)


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    torch.manual_seed(config["seed"])
    model = build()
    result = fit_classifier(model, train, test, seed=config["seed"], epochs=EPOCHS)
    return {"hidden_size": HIDDEN_SIZE, "epochs": EPOCHS, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]],
            # float32 values written as Python floats: exact when read back as float32
            "state": {k: v.tolist() for k, v in model.state_dict().items()}}


def load_model(row: dict[str, Any]) -> SequenceClassifier:
    """The trained classifier of a committed row (in eval mode)."""
    model = build()
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float32)
                           for k, v in row["state"].items()})
    return model.eval()
