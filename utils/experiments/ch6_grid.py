"""Chapter 6: hidden size × dropout for a two-layer GRU on Japanese Vowels (the training
explorer's grid).

``python -m utils.experiments ch6_grid`` trains the packed two-layer GRU classifier of
``ch6_practice`` (Adam 1e-2, 30 epochs of mini-batches of 32) at every hidden size of
``HIDDEN_SIZES`` and every dropout rate of ``DROPOUTS`` between the two layers
(``torch.nn.GRU``'s ``dropout``: none after the last layer), over three seeds each. Small
models have little to spare and large ones have more to overfit with, so the trade-off between
capacity and regularisation shows as the two controls move together. The seed sets the
initial weights, the dropout masks and the mini-batch order, as in ``ch6_practice``: at hidden
size 32 the rows with dropout 0 and 0.3 are that grid's ``stacked`` and ``stacked_dropout``
runs of the same seeds.
"""

from __future__ import annotations

from typing import Any

from utils.realdata import VOWELS_CLASSES
from utils.seq_classifier import train_classifier, vowels_task

DESCRIPTION = __doc__

SEEDS = (0, 1, 2)
HIDDEN_SIZES = (8, 16, 32)
DROPOUTS = (0.0, 0.3, 0.6)
NUM_LAYERS = 2
EPOCHS = 30

CONFIGS: list[dict[str, Any]] = [{"hidden_size": h, "dropout": d, "seed": s}
                                 for h in HIDDEN_SIZES for d in DROPOUTS for s in SEEDS]
QUICK = [{"hidden_size": 8, "dropout": 0.3, "seed": 0}]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    result = train_classifier(train, test, hidden_size=config["hidden_size"],
                              classes=VOWELS_CLASSES, seed=config["seed"], epochs=EPOCHS,
                              num_layers=NUM_LAYERS, dropout=config["dropout"])
    return {"num_layers": NUM_LAYERS, "epochs": EPOCHS, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]]}
