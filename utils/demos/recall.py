r"""Chapter 1 demo: which cell can still recall the first input after T steps, once trained.

The grid (a tanh RNN from PyTorch's and from an orthogonal start, a GRU and an LSTM trained
on ``utils.tasks.RecallTask`` for 9 lengths :math:`T`, keep-gate bias :math:`b` 0 or 3, 3 to 24
seeds per cell and length; the grid's other cells, such as the gated cells from an orthogonal
start or with chrono biases, are in the chapter's tables, not in the explorer) is the experiment
``utils.experiments.ch1`` (settings and task there), run with
``python -m utils.experiments ch1`` and committed as ``utils/results/ch1.json``; this module
only draws it.

``recall_explorer(mode=None)`` is the widget (controls: :math:`T`, and :math:`b`);
``recall_results()`` the committed rows; ``solved(mse)`` the criterion the chapter counts.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from utils.experiments import load
from utils.experiments.ch1 import GATE_BIASES, RNN_KINDS, SEQ_LENS, STEPS
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = ["CELLS", "SOLVED_MSE", "p_text", "points", "rate_cell", "recall_demo",
           "recall_explorer", "recall_results", "solved", "solved_counts", "spans",
           "lead_sentences"]

SOLVED_MSE = 0.1  # "solved": validation MSE below a tenth of the baseline (1)
# kind -> (name, colour)
CELLS: dict[str, tuple[str, str]] = {
    "rnn": ("RNN (tanh)", "#7f7f7f"),
    "rnn_orth": ("RNN (tanh), orthogonal start", "#2ca02c"),
    "gru": ("GRU", "#1f77b4"),
    "lstm": ("LSTM", "#d62728"),
}


def solved(final_mse: float) -> bool:
    """A run solved the task if its final validation MSE is below ``SOLVED_MSE``."""
    return final_mse < SOLVED_MSE


MINUS = "\u2212"  # the typographic minus of the chapter's prose and tables


def points(x: float) -> str:
    """A difference of rates in whole percentage points, signed: ``+25``, ``−8``, ``0``."""
    n = round(100 * x)
    return f"{n:+d}".replace("-", MINUS) if n else "0"


def p_text(p: float) -> str:
    """A p-value with three decimals, the same precision everywhere: ``p = 0.017``,
    ``p = 1.000``, ``p < 0.001``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p_text: expected a p-value in [0, 1], got {p!r}")
    return "p < 0.001" if p < 0.0005 else f"p = {p:.3f}"


def rate_cell(v: Any, names: dict[str, str]) -> str:
    """One cell of a per-length verdict table for a :class:`utils.verdict.RateComparison`:
    Newcombe's interval of the difference in points, Fisher's p, and the side favoured
    (``names[side]``; ``–`` when the runs do not decide), e.g. ``−58 to −4, p = 0.017: RNN``.
    """
    side = "–" if v.direction == "unresolved" else names[v.direction]
    return f"{points(v.low)} to {points(v.high)}, {p_text(v.p)}: {side}"


def spans(lengths: Sequence[int], among: Sequence[int]) -> str:
    """``lengths``, a subset of ``among``, as runs of neighbours in ``among``:
    ``$T$ = 50–75 and $T$ = 150`` (at most two numbers per run, so a sentence stays light);
    ``""`` for none."""
    among = list(among)
    unknown = set(lengths) - set(among)
    if unknown:
        raise ValueError(f"spans: {sorted(unknown)} not among {among}")
    idx = sorted(among.index(T) for T in set(lengths))
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return " and ".join(f"$T$ = {among[r[0]]}" if len(r) == 1
                        else f"$T$ = {among[r[0]]}–{among[r[-1]]}" for r in runs)


def lead_sentences(subject: str, verdicts: Mapping[int, Any], among: Sequence[int],
                   rival: str) -> str:
    """Where ``subject`` (side ``a`` of every :class:`utils.verdict.RateComparison` in
    ``verdicts``, ``{T: verdict}``) solves more, as many or fewer runs than ``rival`` (side
    ``b``), and at which lengths the seeds decide the lead: short sentences, generated from the
    verdicts, each with few numbers (the lengths as :func:`spans` of ``among``)."""
    by_sign: dict[int, list[int]] = {1: [], 0: [], -1: []}
    for T, v in verdicts.items():
        by_sign[(v.diff > 0) - (v.diff < 0)].append(T)
    said = []
    words = {1: "more runs than", 0: "as many runs as", -1: "fewer runs than"}
    for sign in sorted((s for s in by_sign if by_sign[s]), key=lambda s: min(by_sign[s])):
        word = words[sign]
        if by_sign[sign]:
            if not said:
                said.append(f"{subject} solves {word} {rival} at {spans(by_sign[sign], among)}.")
            else:
                said.append(f"It solves {word.split(' runs')[0]} at "
                            f"{spans(by_sign[sign], among)}.")
    won = [T for T, v in verdicts.items() if v.direction == v.a]
    lost = [T for T, v in verdicts.items() if v.direction == v.b]
    if not won and not lost:
        said.append("The seeds decide none of these leads.")
    if won:
        said.append(f"The seeds decide its lead at {spans(won, among)}.")
    if lost:
        said.append(f"The seeds decide the lead of {rival} at {spans(lost, among)}.")
    return " ".join(said)


def solved_counts(kind: str, gate_bias: float | None) -> dict[int, tuple[int, int]]:
    """``{T: (runs solved, runs made)}`` of one cell of the committed grid, for every length
    it was run at (``gate_bias`` ``None`` for the chrono-initialised cells)."""
    out: dict[int, tuple[int, int]] = {}
    for row in recall_results():
        if row["kind"] == kind and row["gate_bias"] == gate_bias:
            k, n = out.get(row["T"], (0, 0))
            out[row["T"]] = (k + solved(row["eval_loss"][-1]), n + 1)
    return dict(sorted(out.items()))


@functools.cache
def recall_results() -> tuple[dict[str, Any], ...]:
    """The committed rows (``{kind, T, gate_bias, seed, eval_steps, eval_loss, seconds}``)."""
    return tuple(load("ch1")["rows"])


def _rows(T: int, gate_bias: float) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CELLS}
    for row in recall_results():
        b = 0.0 if row["kind"] in RNN_KINDS else gate_bias
        if row["kind"] in out and row["T"] == T and row["gate_bias"] == b:
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
    ax_len.set_xticks(SEQ_LENS, labels=[str(T) for T in SEQ_LENS], fontsize=8)  # 150, 200 close
    ax_len.minorticks_off()
    ax_len.text(min(SEQ_LENS), 1.03, "baseline: predict 0", ha="left", va="bottom",
                fontsize=8)
    ax_len.text(min(SEQ_LENS), SOLVED_MSE + 0.03, f"solved: below {SOLVED_MSE:g}",
                ha="left", va="bottom", fontsize=8)
    runs = Counter((r["kind"], r["T"], r["gate_bias"]) for r in recall_results())
    most = max(n for (kind, _, _), n in runs.items() if kind in CELLS)  # seeds of one cell
    curves = {kind: [ax_curve.plot([], [], color=c, lw=1.4, alpha=0.85)[0] for _ in range(most)]
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
            for k, line in enumerate(lines):
                if k < len(rows[kind]):
                    row = rows[kind][k]
                    line.set_data(row["eval_steps"], np.minimum(row["eval_loss"], 1.29))
                else:
                    line.set_data([], [])
        for kind in CELLS:
            b = 0.0 if kind in RNN_KINDS else gate_bias
            xs, ys, med = [], [], []
            for T in SEQ_LENS:
                final = [r["eval_loss"][-1] for r in recall_results()
                         if r["kind"] == kind and r["T"] == T and r["gate_bias"] == b]
                n = len(final)
                xs += [T * (1 + 0.015 * (k - (n - 1) / 2)) for k in range(n)]  # spread seeds
                ys += final
                med.append(float(np.median(final)))
            finals[kind].set_data(xs, np.minimum(ys, 1.29))
            medians[kind].set_data(SEQ_LENS, np.minimum(med, 1.29))
        marker.set_xdata([seq_len, seq_len])
        counts = sorted({len(v) for v in rows.values()})
        title.set_text(f"Training at T = {seq_len}, gate bias b = {gate_bias:g} "
                       f"({' or '.join(map(str, counts))} seeds each)")

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
        quantize="median",  # the octree palette loses its thin black and grey lines
        colors=24,  # with 16 the default RNN's blue line lost half its pixels at T = 200
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
