r"""Chapter 5 demos: the variant explorer and the scan explorer.

**Variant explorer** (``variant_explorer``). Pick a cell of the GRU family and move the second
marker of one adding-problem sequence (``H_in = 2``: value and marker): the panel shows the
cell's equations (course convention), its parameter count against the GRU's, the traces of its
gates and candidate on that sequence, and, step by step, how much the marker moved its gates
(the same sequence with and without the second marker, from the NumPy cells of
``utils.variants`` / ``utils.numpy_cells`` with seeded random weights). The lesson is in *when*
the gates react: at the marker's own step if a gate reads :math:`x_t` (GRU, MGU, Li-GRU, the
LSTMs, minGRU), one step later if the gates read only :math:`h_{t-1}` (GRU1, GRU2: the marker
reaches them through the state), never if they read only a bias (GRU3).

**Scan explorer** (``scan_explorer``). A sequence length ``T`` → the loop's chain of ``T``
dependent steps beside the scan's :math:`\lceil \log_2 T \rceil` rounds, drawing which
positions combine in each round (``utils.variants.scan_schedule``), and the times of both,
measured when the demo is built (``utils.costs.time_scan_vs_loop``).

Builders return a widget and display nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from utils.numpy_cells import GRUCell, LSTMCell
from utils.budget import param_count_as
from utils.params import PARAM_FORMULAS, param_count
from utils.tasks import adding_problem
from utils.variants import VARIANTS, scan_schedule
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "FAMILY",
    "EQUATIONS",
    "SCAN_LENGTHS",
    "MARKER_STEPS",
    "ONE_BIAS_FORMULAS",
    "one_bias_count",
    "gate_traces",
    "marker_response",
    "first_reaction",
    "variant_explorer_demo",
    "variant_explorer",
    "scan_explorer_demo",
    "scan_explorer",
]

# label → (kind for gate_inputs / utils.params, NumPy class builder)
FAMILY: dict[str, str] = {
    "GRU": "gru", "GRU (reset before)": "gru_before", "MGU": "mgu", "Li-GRU": "ligru",
    "GRU1": "gru1", "GRU2": "gru2", "GRU3": "gru3", "CIFG-LSTM": "cifg", "LSTM": "lstm",
    "minGRU": "mingru",
}
_PARAM_KIND = {"gru_before": "gru"}
# The papers' convention, used throughout chapter 5: one bias vector per gate block (torch.nn's
# GRU and LSTM carry two, bias_ih and bias_hh).
ONE_BIAS_FORMULAS: dict[str, str] = {**PARAM_FORMULAS, "gru": "3·(H·H_in + H·H + H)",
                                     "lstm": "4·(H·H_in + H·H + H)"}


def one_bias_count(kind: str, input_size: int, hidden_size: int) -> int:
    """Parameters of one layer of ``kind`` with one bias vector per gate block (the GRU and
    the LSTM as the papers count them; every other family member already has one)."""
    if kind in ("gru", "lstm"):
        return param_count_as(kind, input_size, hidden_size, "one_bias")
    return param_count(kind, input_size, hidden_size)

EQUATIONS: dict[str, list[str]] = {
    "gru": ["r = σ(W_ir x + b_ir + W_hr h + b_hr)", "z = σ(W_iz x + b_iz + W_hz h + b_hz)",
            "n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))", "h' = z ⊙ h + (1 − z) ⊙ n"],
    "gru_before": ["r = σ(W_ir x + b_ir + W_hr h + b_hr)", "z = σ(W_iz x + b_iz + W_hz h + b_hz)",
                   "n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)", "h' = z ⊙ h + (1 − z) ⊙ n"],
    "mgu": ["f = σ(W_if x + W_hf h + b_f)", "n = tanh(W_in x + W_hn (f ⊙ h) + b_n)",
            "h' = (1 − f) ⊙ h + f ⊙ n      (r = f, z = 1 − f)"],
    "ligru": ["z = σ(BN(W_iz x) + W_hz h)", "n = ReLU(BN(W_in x) + W_hn h)",
              "h' = z ⊙ h + (1 − z) ⊙ n      (no reset gate)"],
    "gru1": ["r = σ(W_hr h + b_r)", "z = σ(W_hz h + b_z)", "n = tanh(W_in x + W_hn (r ⊙ h) + b_n)",
             "h' = z ⊙ h + (1 − z) ⊙ n"],
    "gru2": ["r = σ(W_hr h)", "z = σ(W_hz h)", "n = tanh(W_in x + W_hn (r ⊙ h) + b_n)",
             "h' = z ⊙ h + (1 − z) ⊙ n"],
    "gru3": ["r = σ(b_r)", "z = σ(b_z)", "n = tanh(W_in x + W_hn (r ⊙ h) + b_n)",
             "h' = z ⊙ h + (1 − z) ⊙ n"],
    "cifg": ["i = σ(W_ii x + W_hi h + b_i),   f = 1 − i", "g = tanh(W_ig x + W_hg h + b_g)",
             "o = σ(W_io x + W_ho h + b_o)", "c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')"],
    "lstm": ["i = σ(W_ii x + b_ii + W_hi h + b_hi),   f = σ(W_if x + ... )",
             "g = tanh(W_ig x + ... ),   o = σ(W_io x + ... )",
             "c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')"],
    "mingru": ["z = σ(W_iz x + b_z)", "n = W_in x + b_n      (no tanh)",
               "h' = z ⊙ h + (1 − z) ⊙ n = a ⊙ h + b"],
}

MARKER_STEPS: tuple[int, ...] = (5, 8, 11, 14, 17, 20, 23, 26, 29)  # step of the 2nd marker
FIRST_MARKER = 3  # the step of the first marker (1-based), fixed
SCAN_LENGTHS: tuple[int, ...] = (2, 3, 4, 5, 8, 9, 12, 16, 24)
TRACE_T, TRACE_H, TRACE_UNITS = 30, 8, 3
CANDIDATES = ("n", "g")  # what a cell proposes, not a gate
GATE_COLORS = {"r": "#ff7f0e", "z": "#2ca02c", "f": "#9467bd", "i": "#1f77b4",
               "o": "#8c564b", "g": "#e377c2", "n": "#7f7f7f"}

CSS = """
.gru-ve pre { font-size: 0.85em; margin: 2px 0; line-height: 1.3; }
.gru-ve p, .gru-se p { margin: 3px 0; font-size: 0.85em; }
.gru-se table { border-collapse: collapse; font-size: 0.85em; }
.gru-se td, .gru-se th { padding: 1px 8px; border-bottom: 1px solid #ccc; text-align: right; }
"""


def _cell(kind: str, hidden_size: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if kind in ("gru", "gru_before"):
        cell = GRUCell(2, hidden_size, rng=rng, reset_after=kind == "gru")
    elif kind == "lstm":
        cell = LSTMCell(2, hidden_size, rng=rng)
    else:
        cell = VARIANTS[kind](2, hidden_size, rng=rng)
    for name, value in cell.parameters().items():  # larger weights: visible gate movement
        setattr(cell, name, value * 3.0)
    return cell


def _sequence(marker_step: int | None, seed: int) -> np.ndarray:
    """One adding-problem sequence ``(T, 1, 2)``, float64: its values, a marker at
    ``FIRST_MARKER`` and one at ``marker_step`` (1-based; ``None``: no second marker)."""
    X, _ = adding_problem(TRACE_T, 1, rng=seed, as_numpy=True)  # (T, 1, 2)
    X = X.astype(np.float64)
    X[:, 0, 1] = 0.0
    X[FIRST_MARKER - 1, 0, 1] = 1.0
    if marker_step is not None:
        if not FIRST_MARKER < marker_step <= TRACE_T:
            raise ValueError(f"marker_step: expected {FIRST_MARKER + 1} to {TRACE_T}, "
                             f"got {marker_step}")
        X[marker_step - 1, 0, 1] = 1.0
    return X


@functools.cache
def gate_traces(kind: str, marker_step: int | None = MARKER_STEPS[4], *,
                seed: int = 0) -> dict[str, np.ndarray]:
    """Gates of a seeded random cell of ``kind`` (``H_in = 2``, ``H = 8``, weights 3× the
    PyTorch initialisation) over one adding-problem sequence of ``T = 30`` steps with markers
    at steps ``FIRST_MARKER`` and ``marker_step`` (``None``: the first only): dict of
    ``(T, H)`` arrays (every gate and candidate; ``"x"`` holds the input ``(T, 2)``)."""
    X = _sequence(marker_step, seed)
    cell = _cell(kind, TRACE_H, seed)
    _, _, gates = cell.forward(X, return_gates=True)
    out = {g: v[:, 0] for g, v in gates.items() if g not in ("c", "h")}
    out["x"] = X[:, 0]
    return out


@functools.cache
def marker_response(kind: str, marker_step: int, *, seed: int = 0) -> np.ndarray:
    """``(T,)``: at each step, the largest change of a gate (candidates left out, any unit)
    that the second marker causes: the sequence with it against the same one without it."""
    on = gate_traces(kind, marker_step, seed=seed)
    off = gate_traces(kind, None, seed=seed)
    gates = [g for g in on if g not in CANDIDATES and g != "x"]
    return np.max([np.abs(on[g] - off[g]).max(axis=1) for g in gates], axis=0)


def first_reaction(kind: str, marker_step: int, *, seed: int = 0,
                   tol: float = 1e-12) -> int | None:
    """The first step (1-based) at which the second marker moves a gate of ``kind``, or
    ``None`` when no gate moves within the sequence."""
    moved = np.flatnonzero(marker_response(kind, marker_step, seed=seed) > tol)
    return int(moved[0]) + 1 if moved.size else None


def _reaction_text(kind: str, marker_step: int, seed: int) -> str:
    step = first_reaction(kind, marker_step, seed=seed)
    if step is None:
        return ("its gates never react to the marker: they read neither x<sub>t</sub> nor "
                "h<sub>t−1</sub>, only a bias")
    lag = step - marker_step
    later = bool((marker_response(kind, marker_step, seed=seed)[marker_step:] > 1e-12).any())
    if lag == 0 and not later and marker_step < TRACE_T:
        return (f"its gates react at step {step}, the marker's own step, and only there: they "
                "read x<sub>t</sub> but not the state, so the marker leaves no trace in them "
                "afterwards")
    if lag == 0:
        return (f"its gates react at step {step}, the marker's own step (a gate reads "
                "x<sub>t</sub>), and stay changed after it (a gate reads the state too)")
    return (f"its gates react at step {step}, {lag} step{'s' if lag > 1 else ''} after the "
            "marker: they read only h<sub>t−1</sub>, so the marker reaches them through the "
            "state")


def variant_explorer_demo(seed: int = 0) -> Demo:
    """The ``Demo`` behind :func:`variant_explorer`: 10 cells × 9 positions of the marker."""
    labels = list(FAMILY)
    H_in = 2
    steps = np.arange(1, TRACE_T + 1)

    def setup(fig: Figure, variant: str, marker_step: int) -> Callable[..., None]:
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.17, top=0.88, wspace=0.32)
        ax_t, ax_r = fig.subplots(1, 2, width_ratios=[1.5, 1])
        lines = {g: [ax_t.plot([], [], color=c, lw=1.2, animated=True,
                               label=g if u == 0 else None)[0] for u in range(TRACE_UNITS)]
                 for g, c in GATE_COLORS.items()}
        for ax in (ax_t, ax_r):
            ax.axvline(FIRST_MARKER, color="#d62728", lw=0.8, ls=":")
        marks = [ax.axvline(marker_step, color="#d62728", lw=1.2, ls="--", animated=True)
                 for ax in (ax_t, ax_r)]
        ax_t.set(xlim=(1, TRACE_T), ylim=(-1.05, 1.35), xlabel="step t",
                 ylabel="gate (units 0–2)")
        title = ax_t.set_title("", fontsize=8, animated=True)
        ax_t.legend(loc="upper center", ncols=7, fontsize=7, frameon=False)
        bars = ax_r.bar(steps, np.zeros(TRACE_T), width=0.8, color="#1f77b4", animated=True)
        ax_r.set(xlim=(0.5, TRACE_T + 0.5), ylim=(0, 1), xlabel="step t",
                 ylabel="largest gate change")
        rtitle = ax_r.set_title("", fontsize=8, animated=True)

        def update(variant: str, marker_step: int) -> None:
            kind = FAMILY[variant]
            tr = gate_traces(kind, marker_step, seed=seed)
            for g, ls in lines.items():
                for u, line in enumerate(ls):
                    if g in tr:
                        line.set_data(steps, tr[g][:, u])
                    else:
                        line.set_data([], [])
            for mark in marks:
                mark.set_xdata([marker_step, marker_step])
            title.set_text(f"{variant}: gates on one sequence (red: markers)")
            response = marker_response(kind, marker_step, seed=seed)
            for bar, value in zip(bars, response):
                bar.set_height(value)
            react = first_reaction(kind, marker_step, seed=seed)
            rtitle.set_text("2nd marker moves the gates: "
                            + ("never" if react is None else f"from step {react}"))

        return update

    def render(variant: str, marker_step: int) -> str:
        kind = FAMILY[variant]
        pk = _PARAM_KIND.get(kind, kind)
        n = one_bias_count(pk, H_in, TRACE_H)
        n_gru = one_bias_count("gru", H_in, TRACE_H)
        eqs = "\n".join(EQUATIONS[kind])
        return (f"<div class='gru-ve'><pre>{eqs}</pre>"
                f"<p>Second marker at step {marker_step}: "
                f"{_reaction_text(kind, marker_step, seed)}.</p>"
                f"<p>parameters (one bias per gate block): {ONE_BIAS_FORMULAS[pk]} = "
                f"<b>{n:,}</b> at H_in = {H_in}, H = {TRACE_H}: {n / n_gru:.0%} of the GRU's "
                f"{n_gru:,}.</p></div>")

    return Demo(
        controls={"variant": Choice(labels, widget="dropdown", description="cell"),
                  "marker_step": Choice(list(MARKER_STEPS), value=MARKER_STEPS[4],
                                        description="2nd marker at step")},
        setup=setup, render=render, css=CSS, figsize=(7.2, 2.8), dpi=60, colors=16,
        budget_bytes=1_150_000)


def variant_explorer(seed: int = 0, *, mode: Mode | None = None) -> DemoWidget:
    """Pick a cell of the GRU family and the step of a marker → its equations, its parameter
    count against the GRU's (one bias vector per gate block for every cell), its
    gate traces on one adding-problem sequence (seeded random weights) and when its gates
    react to the marker.

    Args:
        seed: seeds the weights and the sequence.
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.
    """
    return variant_explorer_demo(seed).build(mode)


# ----------------------------------------------------------------------------- scan explorer


@functools.cache
def _scan_times(lengths: tuple[int, ...], repeats: int) -> dict[str, list[float]]:
    from utils.costs import time_scan_vs_loop

    return time_scan_vs_loop(list(lengths), repeats=repeats, hidden_size=16, batch_size=4)


def scan_explorer_demo(*, repeats: int = 5) -> Demo:
    """The ``Demo`` behind :func:`scan_explorer`: one position per length in ``SCAN_LENGTHS``."""
    times = _scan_times(SCAN_LENGTHS, repeats)
    T_max = max(SCAN_LENGTHS)
    R_max = len(scan_schedule(T_max))

    def setup(fig: Figure, T: int) -> Callable[[int], None]:
        fig.subplots_adjust(left=0.13, right=0.98, bottom=0.04, top=0.9, hspace=0.35)
        ax_l, ax_s = fig.subplots(2, 1, height_ratios=[1, R_max + 1])
        for ax in (ax_l, ax_s):
            ax.set_xlim(-0.5, T_max - 0.5)
            ax.set_xticks([])
            for side in ("top", "right", "bottom"):
                ax.spines[side].set_visible(False)
        ax_l.set(ylim=(-0.6, 0.6), yticks=[0], yticklabels=["loop"])
        ax_s.set(ylim=(R_max + 0.4, -0.4), yticks=range(R_max + 1),
                 yticklabels=["pairs"] + [f"round {k + 1}, d = {2 ** k}"
                                          for k in range(R_max)])
        ax_s.tick_params(axis="y", labelsize=7)
        title = ax_l.set_title("", fontsize=9, animated=True)
        dots_l = ax_l.scatter([], [], s=18, color="black", animated=True, zorder=3)
        (chain,) = ax_l.plot([], [], color="#1f77b4", lw=1.5, animated=True)
        dots_s = ax_s.scatter([], [], s=12, color="#999999", animated=True, zorder=3)
        hits = ax_s.scatter([], [], s=20, color="#2ca02c", animated=True, zorder=4)
        n_arcs = sum(T_max - 2 ** k for k in range(R_max))
        arcs = [ax_s.plot([], [], color="#2ca02c", lw=0.8, alpha=0.7, animated=True)[0]
                for _ in range(n_arcs)]

        def update(T: int) -> None:
            ts = np.arange(T)
            xs = ts * (T_max - 1) / max(T - 1, 1)  # spread the positions over the width
            dots_l.set_offsets(np.c_[xs, np.zeros(T)])
            chain.set_data(xs, np.zeros(T))
            rounds = scan_schedule(T)
            pts, hit = [(x, 0) for x in xs], []
            i = 0
            for k, (d, targets) in enumerate(rounds, start=1):
                pts += [(x, k) for x in xs]
                for t in targets:  # position t reads t − d from the row above
                    arcs[i].set_data([xs[t - d], xs[t]], [k - 1, k])
                    hit.append((xs[t], k))
                    i += 1
            for arc in arcs[i:]:
                arc.set_data([], [])
            dots_s.set_offsets(np.array(pts))
            hits.set_offsets(np.array(hit) if hit else np.empty((0, 2)))
            title.set_text(f"T = {T}: the loop takes {T} dependent steps; the scan "
                           f"{len(rounds)} rounds ({i} combines in all)")

        return update

    def render(T: int) -> str:
        j = SCAN_LENGTHS.index(T)
        rounds = len(scan_schedule(T))
        work = sum(len(t) for _, t in scan_schedule(T))
        loop_us, scan_us = 1e6 * times["loop"][j], 1e6 * times["scan"][j]
        return ("<div class='gru-se'><table><tr><th></th><th>dependent steps (depth)</th>"
                "<th>combines (work)</th><th>measured (µs, minGRU, H = 16, N = 4)</th></tr>"
                f"<tr><td>loop</td><td>{T}</td><td>{T}</td><td>{loop_us:.0f}</td></tr>"
                f"<tr><td>scan</td><td>{rounds}</td><td>{work}</td><td>{scan_us:.0f}</td></tr>"
                "</table><p>Each row is the sequence after a round. Green: a position that "
                "combines, in that round, with the one d places to its left in the row above "
                "(the line); grey: a position that only keeps its value.</p></div>")

    return Demo(controls={"T": Choice(list(SCAN_LENGTHS), value=16,
                                      description="sequence length T")},
                setup=setup, render=render, css=CSS, figsize=(7.2, 3.2), dpi=72, colors=16,
                budget_bytes=500_000)


def scan_explorer(*, repeats: int = 5, mode: Mode | None = None) -> DemoWidget:
    """Sequence length → the loop's chain of ``T`` dependent steps beside the scan's
    ``⌈log₂ T⌉`` rounds (which positions combine), with both times measured on this machine.

    Args:
        repeats: timed runs per length (the median is shown).
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.
    """
    return scan_explorer_demo(repeats=repeats).build(mode)
