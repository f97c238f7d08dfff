r"""Chapter 1 demo: which cell can still recall the first input after T steps, once trained.

The task is ``utils.tasks.RecallTask``: the sign :math:`s = \pm 1` is shown at the first step,
followed by :math:`T - 1` Gaussian distractors (standard deviation ``NOISE``); after the last
step the model must output :math:`s`. Predicting 0 scores ``MSE = 1`` (the baseline).

Each run (``utils.tasks.recall_run``) trains a one-layer ``torch.nn`` RNN, GRU or LSTM
(``HIDDEN`` units, Adam, ``STEPS`` steps of batch ``BATCH``) from one seed; the gated cells
start with the bias ``b`` of the gate that keeps the old state (GRU update gate, LSTM forget
gate). Training every position takes minutes, so the grid is computed once::

    python -m utils.demos.recall          # writes utils/demos/recall_results.json

and committed with its provenance (command, seeds, versions, machine, date, wall time). The
chapter runs the ``T = 50`` slice live; a test re-runs one configuration and requires the
committed numbers.

``recall_explorer(mode=None)`` is the widget (controls: :math:`T`, and :math:`b`);
``recall_results()`` the committed rows.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.resources
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "BATCH", "CELLS", "GATE_BIASES", "HIDDEN", "LR", "NOISE", "RESULTS_FILE", "SEEDS",
    "SEQ_LENS", "STEPS", "configs", "recall_demo", "recall_explorer", "recall_results",
    "run_config", "solved",
]

SEQ_LENS: tuple[int, ...] = (5, 10, 20, 30, 50, 75, 100, 150, 200)
GATE_BIASES: tuple[float, ...] = (0.0, 3.0)
SEEDS: tuple[int, ...] = (0, 1, 2)
HIDDEN, STEPS, BATCH, LR, NOISE = 16, 250, 32, 1e-2, 0.5
EVAL_EVERY = 25
SOLVED_MSE = 0.1  # "solved": validation MSE below a tenth of the baseline (1)
RESULTS_FILE = "recall_results.json"
# kind -> (name, colour)
CELLS: dict[str, tuple[str, str]] = {
    "rnn": ("RNN (tanh)", "#7f7f7f"),
    "gru": ("GRU", "#1f77b4"),
    "lstm": ("LSTM", "#d62728"),
}


def configs() -> list[dict[str, Any]]:
    """Every configuration of the grid; the RNN has no gate, so it appears with ``b = 0`` only."""
    return [{"kind": kind, "T": T, "gate_bias": b, "seed": seed}
            for T in SEQ_LENS for kind in CELLS for b in GATE_BIASES for seed in SEEDS
            if not (kind == "rnn" and b != 0.0)]


def run_config(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration; returns the validation losses and the wall time."""
    from utils.tasks import recall_run

    history = recall_run(config["kind"], config["T"], gate_bias=config["gate_bias"],
                         seed=config["seed"], hidden_size=HIDDEN, steps=STEPS,
                         batch_size=BATCH, lr=LR, noise=NOISE, eval_every=EVAL_EVERY)
    return {"eval_steps": history.eval_steps,
            "eval_loss": [round(v, 6) for v in history.eval_loss],
            "seconds": round(history.seconds, 2)}


def solved(final_mse: float) -> bool:
    """A run solved the task if its final validation MSE is below ``SOLVED_MSE``."""
    return final_mse < SOLVED_MSE


@functools.cache
def recall_results() -> tuple[dict[str, Any], ...]:
    """The committed rows (``{kind, T, gate_bias, seed, eval_steps, eval_loss, seconds}``)."""
    text = importlib.resources.files("utils.demos").joinpath(RESULTS_FILE).read_text()
    return tuple(json.loads(text)["rows"])


def _rows(T: int, gate_bias: float) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CELLS}
    for row in recall_results():
        b = 0.0 if row["kind"] == "rnn" else gate_bias
        if row["T"] == T and row["gate_bias"] == b:
            out[row["kind"]].append(row)
    return out


def _setup_figure(fig: Figure, seq_len: int, gate_bias: float) -> Callable[..., None]:
    """Left: validation loss during training at ``T``. Right: final loss against ``T``."""
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.86, wspace=0.25)
    ax_curve, ax_len = fig.subplots(1, 2)
    for ax in (ax_curve, ax_len):
        ax.set_ylim(0.0, 1.3)
        ax.axhline(1.0, color="black", ls="--", lw=1)
        ax.axhline(SOLVED_MSE, color="black", ls=":", lw=1)
        ax.grid(alpha=0.3)
    ax_curve.set(xlim=(0, STEPS), xlabel="training step", ylabel="validation MSE (no unit)")
    ax_len.set(xscale="log", xlim=(min(SEQ_LENS) / 1.2, max(SEQ_LENS) * 1.2),
               xlabel="sequence length T (steps)", ylabel="final validation MSE (no unit)")
    ax_len.set_xticks(SEQ_LENS, labels=[str(T) for T in SEQ_LENS])
    ax_len.minorticks_off()
    ax_len.text(min(SEQ_LENS), 1.03, "baseline: predict 0", ha="left", va="bottom",
                fontsize=8)
    ax_len.text(min(SEQ_LENS), SOLVED_MSE + 0.03, f"solved: below {SOLVED_MSE:g}",
                ha="left", va="bottom", fontsize=8)
    curves = {kind: [ax_curve.plot([], [], color=c, lw=1.4, alpha=0.85)[0] for _ in SEEDS]
              for kind, (_, c) in CELLS.items()}
    finals = {kind: ax_len.plot([], [], "o", color=c, ms=4, alpha=0.7)[0]
              for kind, (_, c) in CELLS.items()}
    medians = {kind: ax_len.plot([], [], "-", color=c, lw=1.5)[0]
               for kind, (_, c) in CELLS.items()}
    marker = ax_len.axvline(seq_len, color="black", lw=0.8, alpha=0.5)
    title = ax_curve.set_title("", fontsize=10)
    ax_len.set_title("After training, for every length (dots: seeds; line: median)",
                     fontsize=10)
    handles = [Line2D([], [], color=c, lw=1.5, label=n) for n, c in CELLS.values()]
    ax_len.legend(handles=handles, loc="center left", fontsize=8, frameon=False)

    def update(seq_len: int, gate_bias: float) -> None:
        rows = _rows(seq_len, gate_bias)
        for kind, lines in curves.items():
            for line, row in zip(lines, rows[kind]):
                line.set_data(row["eval_steps"], np.minimum(row["eval_loss"], 1.29))
        for kind in CELLS:
            b = 0.0 if kind == "rnn" else gate_bias
            xs, ys, med = [], [], []
            for T in SEQ_LENS:
                final = [r["eval_loss"][-1] for r in recall_results()
                         if r["kind"] == kind and r["T"] == T and r["gate_bias"] == b]
                xs += [T * (1 + 0.04 * (k - 1)) for k in range(len(final))]  # spread the seeds
                ys += final
                med.append(float(np.median(final)))
            finals[kind].set_data(xs, np.minimum(ys, 1.29))
            medians[kind].set_data(SEQ_LENS, np.minimum(med, 1.29))
        marker.set_xdata([seq_len, seq_len])
        title.set_text(f"Training at T = {seq_len}, gate bias b = {gate_bias:g} "
                       f"({len(SEEDS)} seeds each)")

    return update


def recall_demo() -> Demo:
    """The ``Demo`` behind ``recall_explorer``: 9 lengths × 2 biases, one figure each."""
    return Demo(
        controls={
            "seq_len": Choice(SEQ_LENS, value=50, description="sequence length T"),
            "gate_bias": Choice(GATE_BIASES, value=3.0, widget="toggle",
                                description="GRU update / LSTM forget gate bias b",
                                labels=[f"{b:g}" for b in GATE_BIASES]),
        },
        setup=_setup_figure,
        figsize=(10, 3.6),
        budget_bytes=900_000,
    )


def recall_explorer(mode: Mode | None = None) -> DemoWidget:
    """Trained recall of the first input by an RNN, a GRU and an LSTM, as T and b vary.

    Args:
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.

    Returns:
        The widget (displays nothing: show it as a cell's last expression).
    """
    return recall_demo().build(mode)


def _provenance(rows: list[dict[str, Any]], wall_time: float) -> dict[str, Any]:
    import torch

    from utils.costs import machine_description

    return {
        "experiment": "recall",
        "command": "python -m utils.demos.recall",
        "configs": len(rows),
        "seeds": list(SEEDS),
        "settings": {"hidden_size": HIDDEN, "steps": STEPS, "batch_size": BATCH, "lr": LR,
                     "noise": NOISE, "eval_every": EVAL_EVERY, "optimizer": "adam",
                     "clip": 1.0, "torch_threads": 1},
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "torch": torch.__version__},
        "machine": machine_description(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_time_s": round(wall_time, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the whole grid (one torch thread) and write ``recall_results.json`` beside this file."""
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = []
    grid = configs()
    for k, config in enumerate(grid, 1):
        rows.append({**config, **run_config(config)})
        print(f"[{k}/{len(grid)}] {config} -> {rows[-1]['eval_loss'][-1]:.3f} "
              f"({rows[-1]['seconds']:.1f} s)", file=sys.stderr, flush=True)
    out = {"provenance": _provenance(rows, time.perf_counter() - start), "rows": rows}
    path = Path(__file__).with_name(RESULTS_FILE)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
