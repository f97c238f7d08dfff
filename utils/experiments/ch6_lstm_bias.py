"""Chapter 6: the LSTM as its practitioners start it (forget-gate bias 1), Japanese Vowels.

``python -m utils.experiments ch6_lstm_bias`` trains the LSTM of ``ch6_alternatives`` (the
largest hidden size within the packed GRU's parameter budget, the same recipe: Adam 1e-2,
30 epochs of mini-batches of 32, the same sixteen seeds) with its forget-gate bias set to 1
(``bias_ih`` 1, ``bias_hh`` 0 on the forget block; Gers, Schmidhuber & Cummins 2000,
Jozefowicz et al. 2015), so that the GRU is also compared with the LSTM its practitioners
use, not only with PyTorch's default start.
"""

from __future__ import annotations

from typing import Any

import torch

from utils.alternatives import size_for_budget
from utils.experiments.ch6_alternatives import BUILDERS, EPOCHS, NAMES, SEEDS, budget
from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES
from utils.seq_classifier import SequenceClassifier, fit_classifier, vowels_task

DESCRIPTION = __doc__

CONFIGS: list[dict[str, Any]] = [{"model": "lstm_bias1", "seed": s} for s in SEEDS]
QUICK = CONFIGS[:1]


def build(width: int) -> SequenceClassifier:
    """The LSTM classifier with forget-gate bias 1, hidden size ``width``."""
    return SequenceClassifier(VOWELS_FEATURES, width, VOWELS_CLASSES, kind="lstm",
                              init="forget_bias_1")


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    width = size_for_budget(BUILDERS["lstm"], budget())  # the same width as ch6_alternatives
    torch.manual_seed(config["seed"])
    result = fit_classifier(build(width), train, test, seed=config["seed"], epochs=EPOCHS)
    return {"budget": budget(), "width": width, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]]}


def lstm_bias_verdict(rows: list[dict[str, Any]], gru_rows: list[dict[str, Any]]) -> Any:
    """The GRU (the ``plain`` rows of ``ch6_practice``) against the bias-1 LSTM on test
    accuracy, paired seed for seed (``utils.verdict.compare``)."""
    from utils.verdict import compare

    gru = {r["seed"]: r["test_accuracy"] for r in gru_rows
           if r.get("variant", "plain") == "plain"}
    lstm = {r["seed"]: r["test_accuracy"] for r in rows}
    if sorted(lstm) != sorted(gru):
        raise ValueError(f"expected runs for seeds {sorted(gru)}, got {sorted(lstm)}")
    seeds = sorted(gru)
    return compare(NAMES["gru"], [gru[s] for s in seeds], "LSTM (forget bias 1)",
                   [lstm[s] for s in seeds], metric="test accuracy", seeds=seeds, paired=True)
