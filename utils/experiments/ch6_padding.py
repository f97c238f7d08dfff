"""Chapter 6: what reading the wrong step of a padded batch costs on Japanese Vowels.

``python -m utils.experiments ch6_padding`` trains the same GRU classifier (hidden size 32,
Adam, 30 epochs of mini-batches of 32) with each read-out of
``utils.seq_classifier.READOUTS`` — packed (right), the last padded step (right), the last
step of a left-padded batch, and a left-padded batch packed with the lengths — over ten
seeds, and records each run's learning curve and its accuracy on the authors' 370 test
utterances. The seed sets the initial weights and the order of the mini-batches, and is the
same for every read-out (paired runs).
"""

from __future__ import annotations

from typing import Any

from utils.realdata import VOWELS_CLASSES
from utils.seq_classifier import READOUTS, train_classifier, vowels_task

DESCRIPTION = __doc__

SEEDS = tuple(range(10))
HIDDEN_SIZE = 32
EPOCHS = 30

CONFIGS: list[dict[str, Any]] = [{"readout": readout, "seed": seed}
                                 for readout in READOUTS for seed in SEEDS]
QUICK = [{"readout": readout, "seed": 0} for readout in READOUTS]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    result = train_classifier(train, test, hidden_size=HIDDEN_SIZE, classes=VOWELS_CLASSES,
                              seed=config["seed"], readout=config["readout"], epochs=EPOCHS)
    return {"hidden_size": HIDDEN_SIZE, "epochs": EPOCHS, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]]}


READOUT_NAMES = {"packed": "packed (right padding)", "last_padded": "last padded step",
                 "left_padded": "left padding, last step",
                 "packed_left": "left padding, packed"}


def readout_verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``{readout: Comparison}``: the packed read-out against each other one on test
    accuracy, paired seed for seed (the same seed gives both runs the same initial weights
    and mini-batch order), from ``utils.verdict.compare``."""
    from utils.verdict import compare

    def scores(readout: str) -> tuple[list[int], list[float]]:
        chosen = sorted((r["seed"], r["test_accuracy"]) for r in rows
                        if r["readout"] == readout)
        return [s for s, _ in chosen], [a for _, a in chosen]

    seeds, packed = scores("packed")
    verdicts = {}
    for readout in READOUTS[1:]:
        other_seeds, other = scores(readout)
        if other_seeds != seeds:
            raise ValueError(f"{readout}: expected runs for seeds {seeds}, got {other_seeds}")
        verdicts[readout] = compare(READOUT_NAMES["packed"], packed, READOUT_NAMES[readout],
                                    other, metric="test accuracy", seeds=seeds, paired=True)
    return verdicts
