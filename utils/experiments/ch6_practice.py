"""Chapter 6: what practitioners add to a GRU, each measured on Japanese Vowels over seeds.

``python -m utils.experiments ch6_practice`` trains the packed GRU classifier of
``ch6_padding`` (hidden size 32, Adam 1e-2, 30 epochs of mini-batches of 32) as it is and
with one addition at a time: two stacked layers, two stacked layers with dropout 0.3
between them, a bidirectional reader, gradient clipping at global norm 1, and chrono
initialisation of the update gate for ``T_max = 29`` (the longest utterance). Each variant
runs over the same sixteen seeds (the seed sets the initial weights and the mini-batch order),
so it is compared with the plain GRU seed for seed. Parameter counts differ (stacking and
bidirectional reading add parameters): the table states them.
"""

from __future__ import annotations

from typing import Any

from utils.realdata import VOWELS_CLASSES
from utils.seq_classifier import train_classifier, vowels_task

DESCRIPTION = __doc__

SEEDS = tuple(range(16))
HIDDEN_SIZE = 32
EPOCHS = 30
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "stacked": {"num_layers": 2},
    "stacked_dropout": {"num_layers": 2, "dropout": 0.3},
    "bidirectional": {"bidirectional": True},
    "clipped": {"clip": 1.0},
    "chrono": {"init": "chrono", "t_max": 29.0},
}
NAMES = {"plain": "GRU", "stacked": "2 layers", "stacked_dropout": "2 layers + dropout 0.3",
         "bidirectional": "bidirectional", "clipped": "clipping at norm 1",
         "chrono": "chrono init"}

CONFIGS: list[dict[str, Any]] = [{"variant": v, "seed": s} for v in VARIANTS for s in SEEDS]
QUICK = [{"variant": v, "seed": 0} for v in VARIANTS]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    train, test = vowels_task()
    result = train_classifier(train, test, hidden_size=HIDDEN_SIZE, classes=VOWELS_CLASSES,
                              seed=config["seed"], epochs=EPOCHS,
                              **VARIANTS[config["variant"]])
    return {"hidden_size": HIDDEN_SIZE, "epochs": EPOCHS, "params": result["params"],
            "test_accuracy": round(result["test_accuracy"], 6),
            "train_accuracy": round(result["train_accuracy"], 6),
            "losses": [round(x, 6) for x in result["losses"]]}


def variant_verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``{variant: Comparison}``: each addition against the plain GRU on test accuracy,
    paired seed for seed (``utils.verdict.compare``)."""
    from utils.verdict import compare

    def scores(variant: str) -> tuple[list[int], list[float]]:
        chosen = sorted((r["seed"], r["test_accuracy"]) for r in rows
                        if r["variant"] == variant)
        return [s for s, _ in chosen], [a for _, a in chosen]

    seeds, plain = scores("plain")
    verdicts = {}
    for variant in list(VARIANTS)[1:]:
        other_seeds, other = scores(variant)
        if other_seeds != seeds:
            raise ValueError(f"{variant}: expected runs for seeds {seeds}, got {other_seeds}")
        verdicts[variant] = compare(NAMES[variant], other, NAMES["plain"], plain,
                                    metric="test accuracy", seeds=seeds, paired=True)
    return verdicts


def seed_halves(v: Any) -> dict[str, Any]:
    """``{"seeds a–b": Comparison}``: the paired verdict ``v`` (a ``utils.verdict.Comparison``
    over seeds) recomputed on the first and on the second half of its seeds alone, so that a
    table can show whether a verdict on all seeds also holds on either half (a replication)."""
    from utils.verdict import compare

    if not v.paired or v.seeds is None or len(v.seeds) < 4:
        raise ValueError(f"expected a paired comparison over at least four seeds, got "
                         f"{'paired' if v.paired else 'unpaired'} over {v.seeds}")
    seeds, half = list(v.seeds), len(v.seeds) // 2
    out = {}
    for part in (slice(0, half), slice(half, None)):
        chosen = seeds[part]
        out[f"seeds {chosen[0]}–{chosen[-1]}"] = compare(
            v.a, v.values_a[part], v.b, v.values_b[part], higher_is_better=v.higher_is_better,
            metric=v.metric, seeds=chosen, paired=True, confidence=v.confidence)
    return out
