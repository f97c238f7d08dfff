"""Chapter 4's budget explorer, timed: each cell at each budget and input size of the explorer.

``python -m utils.experiments ch4_budget_timing`` times, for every budget × input size of
``utils.demos.ch4`` (:data:`~utils.demos.ch4.BUDGETS`, :data:`~utils.demos.ch4.INPUT_SIZES`),
``torch.nn.RNN`` / ``GRU`` / ``LSTM`` at the hidden size the budget buys
(``utils.budget.hidden_for_budget``), forward + backward, batch 16, 32 steps, one thread,
float32, with the method of ``ch4_timing``: processor time, blocks of runs, the three cells in
turn, the 10th percentile of the block means. The explorer shows these times beside the
multiply-adds, which at a fixed budget hardly depend on the input size.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from utils.budget import hidden_for_budget
from utils.costs import _MODULES, _interleaved_timings

DESCRIPTION = "time per step of each cell at each budget and input size of chapter 4's explorer"

BUDGETS = (250, 500, 1000, 2000, 4000, 8000, 16000, 64000, 256000)  # as utils.demos.ch4
INPUT_SIZES = (1, 2, 4, 8, 10, 16, 32, 64, 128)
KINDS = ("rnn", "gru", "lstm")
BATCH, STEPS, REPEATS, WARMUP, BLOCK_SECONDS = 16, 32, 9, 2, 0.03
CONFIGS: list[dict[str, Any]] = [{"budget": b, "input_size": i, "seed": 0}
                                 for b in BUDGETS for i in INPUT_SIZES]
QUICK: list[dict[str, Any]] = [{"budget": 1000, "input_size": 8, "seed": 0}]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """``{kind}_hidden_size`` and ``{kind}_low`` (seconds per step, forward + backward), None
    for a cell the budget cannot buy one unit of."""
    budget, i, seed = int(config["budget"]), int(config["input_size"]), int(config["seed"])
    sizes: dict[str, int] = {}
    for kind in KINDS:
        try:
            sizes[kind] = hidden_for_budget(kind, i, budget)
        except ValueError:
            continue
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            layers = {kind: _MODULES[kind](i, h) for kind, h in sizes.items()}
        xs = torch.randn(STEPS, BATCH, i, generator=torch.Generator().manual_seed(seed))

        def run(layer: torch.nn.Module) -> None:
            layer.zero_grad(set_to_none=True)
            layer(xs)[0].sum().backward()

        timings = _interleaved_timings(
            layers, run, list(layers), input_size=i, hidden_size=0, batch_size=BATCH,
            seq_len=STEPS, backward=True, threads=1, repeats=REPEATS, warmup=WARMUP,
            block_seconds=BLOCK_SECONDS, clock=time.process_time)
    finally:
        torch.set_num_threads(threads)
    low = {t.kind: t.low for t in timings}
    out: dict[str, Any] = {}
    for kind in KINDS:
        out[f"{kind}_hidden_size"] = sizes.get(kind)
        out[f"{kind}_low"] = low.get(kind)
    return out
