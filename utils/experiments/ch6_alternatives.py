"""Chapter 6: the GRU against the alternatives at an equal parameter budget, Japanese Vowels.

``python -m utils.experiments ch6_alternatives`` trains, over the sixteen seeds of
``ch6_practice`` and with the same recipe (Adam 1e-2, 30 epochs of mini-batches of 32), an
LSTM, a minGRU and a two-layer 1-D convolution, each at the largest width whose whole model
(read-out included) has at most as many parameters as the packed GRU with hidden size 32
(``utils.alternatives.size_for_budget``); and, once (it is deterministic), a logistic
regression on summary features of each utterance (mean, spread, first and last frame). The
GRU's own runs are the ``plain`` rows of ``ch6_practice`` (same seeds, same recipe). Each
model starts from PyTorch's default initialisation (the LSTM's forget-gate bias is not
raised to 1: the confound is named in the chapter).
"""

from __future__ import annotations

from typing import Any

import torch

from utils.alternatives import (ConvClassifier, MinGRUClassifier, logistic_summary,
                                param_total, size_for_budget)
from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES
from utils.seq_classifier import SequenceClassifier, fit_classifier, vowels_task

DESCRIPTION = __doc__

SEEDS = tuple(range(16))
EPOCHS = 30
GRU_HIDDEN = 32
BUILDERS = {
    "lstm": lambda k: SequenceClassifier(VOWELS_FEATURES, k, VOWELS_CLASSES, kind="lstm"),
    "mingru": lambda k: MinGRUClassifier(VOWELS_FEATURES, k, VOWELS_CLASSES),
    "conv": lambda k: ConvClassifier(VOWELS_FEATURES, k, VOWELS_CLASSES),
}


def budget() -> int:
    """The packed GRU's parameter count (hidden size 32, read-out included)."""
    return param_total(SequenceClassifier(VOWELS_FEATURES, GRU_HIDDEN, VOWELS_CLASSES))


CONFIGS: list[dict[str, Any]] = (
    [{"model": m, "seed": s} for m in BUILDERS for s in SEEDS] + [{"model": "logistic"}])
QUICK = [{"model": m, "seed": 0} for m in BUILDERS] + [{"model": "logistic"}]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    if config["model"] == "logistic":
        result = logistic_summary(train, test)
        return {"budget": budget(), "width": None, "params": result["params"],
                "test_accuracy": round(result["test_accuracy"], 6),
                "train_accuracy": round(result["train_accuracy"], 6), "losses": None}
    build = BUILDERS[config["model"]]
    width = size_for_budget(build, budget())
    torch.manual_seed(config["seed"])
    result = fit_classifier(build(width), train, test, seed=config["seed"], epochs=EPOCHS)
    return {"budget": budget(), "width": width, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]]}


NAMES = {"gru": "GRU", "lstm": "LSTM", "mingru": "minGRU", "conv": "1-D convolution"}


def alternative_verdicts(rows: list[dict[str, Any]], gru_rows: list[dict[str, Any]]
                         ) -> dict[str, Any]:
    """``{model: Comparison}``: the GRU (the ``plain`` rows of ``ch6_practice``, passed as
    ``gru_rows``) against each network here on test accuracy, paired seed for seed
    (``utils.verdict.compare``)."""
    from utils.verdict import compare

    def scores(chosen: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
        pairs = sorted((r["seed"], r["test_accuracy"]) for r in chosen)
        return [s for s, _ in pairs], [a for _, a in pairs]

    seeds, gru = scores([r for r in gru_rows if r.get("variant", "plain") == "plain"])
    verdicts = {}
    for model in BUILDERS:
        other_seeds, other = scores([r for r in rows if r["model"] == model])
        if other_seeds != seeds:
            raise ValueError(f"{model}: expected runs for seeds {seeds}, got {other_seeds}")
        verdicts[model] = compare(NAMES["gru"], gru, NAMES[model], other,
                                  metric="test accuracy", seeds=seeds, paired=True)
    return verdicts
