"""Read chapter 4's committed grid (``utils/results/ch4.json``): summaries, curves, verdicts.

Rows are ``{**config, **utils.compare.run_config(config)}``; see ``utils.experiments.ch4``.
Every function here is pure: it takes the rows (or the loaded results) and returns numbers,
tables or sentences, so the chapter only displays them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from utils.verdict import Comparison, compare

__all__ = ["CELL_LABELS", "CHANCE", "REFERENCE_LSTM", "cell_label", "select", "summary",
           "mean_curve", "steps_to_reach", "scores", "versus", "measures_something", "speed",
           "small_data"]

CELL_LABELS: tuple[str, ...] = ("tanh RNN", "GRU", "LSTM (forget bias 0)",
                                "LSTM (forget bias 1)")
LSTM_LABELS = CELL_LABELS[2:]
# The LSTM the GRU is compared with, named before looking at the results: forget-gate bias 1,
# the practitioners' default since Jozefowicz et al. (2015).
REFERENCE_LSTM = "LSTM (forget bias 1)"
CHANCE: dict[str, float] = {"adding": 0.0, "copy": 1 / 8, "digits": 1 / 10}  # score of a guess


def cell_label(row: Mapping[str, Any]) -> str:
    """``"tanh RNN"``, ``"GRU"``, ``"LSTM (forget bias 0)"`` or ``"LSTM (forget bias 1)"``."""
    if row["kind"] == "lstm":
        return f"LSTM (forget bias {row['forget_bias']:g})"
    return {"rnn": "tanh RNN", "gru": "GRU"}[row["kind"]]


def select(rows: Iterable[Mapping[str, Any]], **where: Any) -> list[Mapping[str, Any]]:
    """Rows whose fields equal every ``where`` value (``label=`` matches :func:`cell_label`)."""
    label = where.pop("label", None)
    return [r for r in rows if all(r.get(k) == v for k, v in where.items())
            and (label is None or cell_label(r) == label)]


def _stats(values: Sequence[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


def summary(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
            train_size: int = 1400) -> list[dict[str, Any]]:
    """One row per cell: hidden size, parameters, final score over seeds (mean, std, min,
    max). (No seconds: the grid's runs were not timed interleaved, see :func:`speed`.)"""
    rows = list(rows)
    out = []
    for label in CELL_LABELS:
        sel = select(rows, task=task, budget=budget, train_size=train_size, label=label)
        if not sel:
            continue
        out.append({"cell": label, "hidden_size": sel[0]["hidden_size"],
                    "params": sel[0]["params"],
                    **_stats([r["final_score"] for r in sel])})
    return out


def mean_curve(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int, label: str,
               train_size: int = 1400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The learning curve over seeds: ``(steps, mean, band)``, ``band`` of shape
    ``(2, len(steps))`` holding the lowest and the highest seed's score at each step."""
    sel = select(list(rows), task=task, budget=budget, train_size=train_size, label=label)
    if not sel:
        raise ValueError(f"no rows for task={task!r}, budget={budget}, {label}")
    steps = np.asarray(sel[0]["eval_steps"])
    scores = np.asarray([r["eval_score"] for r in sel], dtype=float)  # (seeds, evals)
    return steps, scores.mean(axis=0), np.stack([scores.min(axis=0), scores.max(axis=0)])


def steps_to_reach(row: Mapping[str, Any], threshold: float) -> int | None:
    """The first evaluation step at which the score reached ``threshold`` (None: never)."""
    for step, score in zip(row["eval_steps"], row["eval_score"]):
        if score >= threshold:
            return int(step)
    return None


def scores(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int, label: str,
           train_size: int = 1400) -> tuple[list[float], list[int]]:
    """One cell's final scores and their seeds, in seed order."""
    sel = sorted(select(list(rows), task=task, budget=budget, train_size=train_size,
                        label=label), key=lambda r: r["seed"])
    if not sel:
        raise ValueError(f"no rows for task={task!r}, budget={budget}, "
                         f"train_size={train_size}, {label}")
    return [float(r["final_score"]) for r in sel], [int(r["seed"]) for r in sel]


def versus(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int, a: str = "GRU",
           b: str = REFERENCE_LSTM, train_size: int = 1400) -> Comparison:
    """``a`` against ``b`` on final score over seeds, through :func:`utils.verdict.compare`
    (Welch's interval; the seeds are listed). The score is the task's (higher is better)."""
    rows = list(rows)
    va, seeds_a = scores(rows, task=task, budget=budget, label=a, train_size=train_size)
    vb, seeds_b = scores(rows, task=task, budget=budget, label=b, train_size=train_size)
    seeds = seeds_a if seeds_a == seeds_b else sorted(set(seeds_a) | set(seeds_b))
    return compare(a, va, b, vb, seeds=seeds, metric=task)


def measures_something(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
                       train_size: int = 1400) -> bool:
    """Whether some cell learned the task: its mean final score got at least halfway from
    guessing (:data:`CHANCE`) to a perfect score of 1. A setting where no cell did compares
    failures, and says nothing about which cell learns better."""
    best = max(r["mean"] for r in summary(rows, task=task, budget=budget,
                                          train_size=train_size))
    return bool(best >= (CHANCE[task] + 1.0) / 2)


def speed(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
          threshold: float) -> dict[str, Any]:
    """Training updates each cell needed before its validation score first reached
    ``threshold``, per seed (``None``: never), and their median over the seeds that did.

    Updates only: the grid's wall-clock times come from runs made one after another on a
    shared machine, not interleaved, so they cannot compare the cells' seconds."""
    rows = list(rows)
    out: dict[str, Any] = {"task": task, "budget": budget, "threshold": threshold}
    for label in CELL_LABELS:
        sel = sorted(select(rows, task=task, budget=budget, train_size=1400, label=label),
                     key=lambda r: r["seed"])
        steps = [steps_to_reach(r, threshold) for r in sel]
        reached = [s for s in steps if s is not None]
        out[label] = {"steps": steps, "seeds": [int(r["seed"]) for r in sel],
                      "reached": len(reached),
                      "median_steps": float(np.median(reached)) if reached else None}
    return out


def small_data(rows: Iterable[Mapping[str, Any]], *, budget: int,
               sizes: Sequence[int]) -> list[dict[str, Any]]:
    """Digits, per training-set size: each cell's mean test accuracy and spread, and the GRU
    against each LSTM (forget bias 0 and 1, both reported) as :class:`Comparison` objects."""
    rows = list(rows)
    out = []
    for size in sizes:
        table = {r["cell"]: r for r in summary(rows, task="digits", budget=budget,
                                               train_size=size)}
        out.append({"train_size": size, **{lab: table[lab]["mean"] for lab in table},
                    "std": {lab: table[lab]["std"] for lab in table},
                    "versus": {lab: versus(rows, task="digits", budget=budget, b=lab,
                                           train_size=size) for lab in LSTM_LABELS}})
    return out
