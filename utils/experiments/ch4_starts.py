"""Chapter 4's failure counts: how often each start fails the adding problem.

``python -m utils.experiments ch4_starts`` trains, on the adding problem (``T = 30``, as in
the main grid ``ch4``), the GRU and three LSTM starts at the grid's two budgets with
:data:`SEEDS`:

- the LSTM with forget bias 1 (the practitioners' default) and with bias 0;
- the LSTM with forget bias 1 *and* each gate's recurrent block drawn orthogonal
  (``recurrent_init="orthogonal"``), a common start for long memories.

Each run is one call of ``utils.compare.run_config``; a run **fails** when its final score
(the share of the target's variance explained, on held-out sequences) is below
:data:`FAIL_BELOW`. Most scores are either near 1 or far below the line, but a few runs learn
the task only in part and end between the two; the chapter reports the scores nearest the line
on each side. Seeds 0–2 repeat the main grid's adding runs, which they match to about 1e-5.
Seeds 0–7 were run first; seeds 8–10 were added with ``--resume``, which kept the earlier rows
(the results file's provenance records how many, and from which commit).
"""

from __future__ import annotations

from typing import Any

from utils.compare import run_config

DESCRIPTION = "adding-problem failures per start: GRU, LSTM forget bias 0 / 1 (chapter 4)"

SEEDS = tuple(range(11))
BUDGETS = (1000, 4000)
FAIL_BELOW = 0.5  # final score: below it the run did not learn the task
STARTS: dict[str, dict[str, Any]] = {
    "GRU": {"kind": "gru", "forget_bias": None},
    "LSTM (forget bias 1)": {"kind": "lstm", "forget_bias": 1.0},
    "LSTM (forget bias 0)": {"kind": "lstm", "forget_bias": 0.0},
    "LSTM (forget bias 1, orthogonal W_hh)": {"kind": "lstm", "forget_bias": 1.0,
                                              "recurrent_init": "orthogonal"},
}
CONFIGS: list[dict[str, Any]] = [
    {"task": "adding", "start": name, **start, "budget": budget, "seed": seed,
     "train_size": 1400}
    for name, start in STARTS.items() for budget in BUDGETS for seed in SEEDS
]
QUICK: list[dict[str, Any]] = CONFIGS[:1]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one start on the adding problem; keep its size and its final and best scores."""
    cfg = {k: v for k, v in config.items() if k != "start"}
    result = run_config(cfg)
    return {k: result[k] for k in ("hidden_size", "params", "final_score", "best_score",
                                   "seconds")}


def failures(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """``{start: (failed runs, runs)}`` over the rows of ``utils/results/ch4_starts.json``."""
    out: dict[str, tuple[int, int]] = {}
    for name in STARTS:
        scores = [r["final_score"] for r in rows if r["start"] == name]
        out[name] = (sum(s < FAIL_BELOW for s in scores), len(scores))
    return out
