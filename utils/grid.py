"""Read chapter 4's committed grid (``utils/results/ch4.json``): summaries, curves, verdicts.

Rows are ``{**config, **utils.compare.run_config(config)}``; see ``utils.experiments.ch4``.
Every function here is pure: it takes the rows (or the loaded results) and returns numbers,
tables or sentences, so the chapter only displays them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["CELL_LABELS", "cell_label", "select", "summary", "mean_curve", "steps_to_reach",
           "comparable", "speed", "small_data", "best_lstm_label"]

CELL_LABELS: tuple[str, ...] = ("tanh RNN", "GRU", "LSTM (forget bias 0)",
                                "LSTM (forget bias 1)")
LSTM_LABELS = CELL_LABELS[2:]


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
    max), and the mean measured seconds per training step."""
    rows = list(rows)
    out = []
    for label in CELL_LABELS:
        sel = select(rows, task=task, budget=budget, train_size=train_size, label=label)
        if not sel:
            continue
        out.append({"cell": label, "hidden_size": sel[0]["hidden_size"],
                    "params": sel[0]["params"],
                    **_stats([r["final_score"] for r in sel]),
                    "seconds_per_step": float(np.mean([r["seconds_per_step"] for r in sel]))})
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


def best_lstm_label(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
                    train_size: int = 1400) -> str:
    """The LSTM variant (forget bias 0 or 1) with the higher mean final score."""
    table = {r["cell"]: r for r in summary(rows, task=task, budget=budget,
                                           train_size=train_size)}
    return max(LSTM_LABELS, key=lambda lab: table[lab]["mean"])


def comparable(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
               train_size: int = 1400, floor: float = 0.02) -> dict[str, Any]:
    """GRU vs the better LSTM: the difference of mean scores and whether it lies within the
    seed spread (``|Δ| ≤ max(std_GRU, std_LSTM, floor)``)."""
    rows = list(rows)
    table = {r["cell"]: r for r in summary(rows, task=task, budget=budget,
                                           train_size=train_size)}
    lstm = best_lstm_label(rows, task=task, budget=budget, train_size=train_size)
    gru = table["GRU"]
    diff = gru["mean"] - table[lstm]["mean"]
    spread = max(gru["std"], table[lstm]["std"], floor)
    return {"task": task, "budget": budget, "train_size": train_size, "lstm": lstm,
            "gru_mean": gru["mean"], "lstm_mean": table[lstm]["mean"], "diff": diff,
            "spread": spread, "comparable": abs(diff) <= spread,
            "rnn_mean": table["tanh RNN"]["mean"] if "tanh RNN" in table else float("nan")}


def speed(rows: Iterable[Mapping[str, Any]], *, task: str, budget: int,
          threshold: float) -> dict[str, Any]:
    """Wall-clock seconds per training step (GRU / LSTM ratio) and the median number of steps
    each needed to reach ``threshold`` (seeds that never reached it count as missing)."""
    rows = list(rows)
    out: dict[str, Any] = {"task": task, "budget": budget, "threshold": threshold}
    for label in CELL_LABELS:
        sel = select(rows, task=task, budget=budget, train_size=1400, label=label)
        reached = [s for s in (steps_to_reach(r, threshold) for r in sel) if s is not None]
        out[label] = {"seconds_per_step": float(np.mean([r["seconds_per_step"] for r in sel])),
                      "reached": len(reached), "seeds": len(sel),
                      "median_steps": float(np.median(reached)) if reached else None}
    lstm = best_lstm_label(rows, task=task, budget=budget)
    out["lstm"] = lstm
    out["time_ratio"] = out["GRU"]["seconds_per_step"] / out[lstm]["seconds_per_step"]
    return out


def small_data(rows: Iterable[Mapping[str, Any]], *, budget: int,
               sizes: Sequence[int]) -> list[dict[str, Any]]:
    """Digits, per training-set size: each cell's mean test accuracy and GRU − better LSTM."""
    rows = list(rows)
    out = []
    for size in sizes:
        table = {r["cell"]: r for r in summary(rows, task="digits", budget=budget,
                                               train_size=size)}
        lstm = max(LSTM_LABELS, key=lambda lab: table[lab]["mean"])
        out.append({"train_size": size, **{lab: table[lab]["mean"] for lab in table},
                    "std": {lab: table[lab]["std"] for lab in table},
                    "gru_minus_lstm": table["GRU"]["mean"] - table[lstm]["mean"],
                    "lstm": lstm})
    return out
