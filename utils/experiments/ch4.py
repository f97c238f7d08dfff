"""Chapter 4's grid: tanh RNN, GRU and LSTM (forget bias 0 and 1) at two equal budgets.

``python -m utils.experiments ch4`` trains every configuration below with one torch thread
and writes ``utils/results/ch4.json``. Each configuration is one call of
``utils.compare.run_config`` (its docstring defines the tasks, the budgets' counting and the
scores). Two parts:

- the main grid: 4 cells × 2 budgets × 3 tasks (adding, copy, digits) × 3 seeds;
- the training-set-size sweep on digits: the larger budget, 100 and 300 training images (the
  full 1,400 is in the main grid), 4 cells × 3 seeds.
"""

from __future__ import annotations

from typing import Any

from utils.compare import run_config

DESCRIPTION = "GRU vs LSTM vs tanh RNN at equal parameter budgets (chapter 4)"

CELLS: list[dict[str, Any]] = [
    {"kind": "rnn", "forget_bias": None},
    {"kind": "gru", "forget_bias": None},
    {"kind": "lstm", "forget_bias": 0.0},
    {"kind": "lstm", "forget_bias": 1.0},
]
BUDGETS = (1000, 4000)  # parameters of the recurrent layer, PyTorch's count
SEEDS = (0, 1, 2)
TASKS = ("adding", "copy", "digits")
FULL_TRAIN = 1400
SWEEP_SIZES = (100, 300)  # plus FULL_TRAIN from the main grid
SWEEP_BUDGET = 4000

CONFIGS: list[dict[str, Any]] = [
    {"task": task, **cell, "budget": budget, "seed": seed, "train_size": FULL_TRAIN}
    for task in TASKS for budget in BUDGETS for cell in CELLS for seed in SEEDS
] + [
    {"task": "digits", **cell, "budget": SWEEP_BUDGET, "seed": seed, "train_size": size}
    for size in SWEEP_SIZES for cell in CELLS for seed in SEEDS
]

QUICK: list[dict[str, Any]] = [
    {"task": "digits", "kind": "gru", "forget_bias": None, "budget": 1000, "seed": 0,
     "train_size": FULL_TRAIN},
]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (deterministic given its seed, with one thread). Rows are
    read back with ``utils.grid``."""
    return run_config(config)
