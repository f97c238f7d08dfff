r"""Chapter 4 demos: one LSTM step beside one GRU step, and what a parameter budget buys.

**Cell explainer** (``cell_explainer``). The chapter's worked step (``x_t``, ``h_{t−1}``,
``c_{t−1}`` of the teaching deck; seeded weights, ``H_in = H = 3``) through an LSTM and a
GRU at once. Two sliders: an offset ``Δ`` added to the pre-activation of both "keep" gates,
the LSTM's forget gate and the GRU's update gate, and an offset ``Δ_i`` on the LSTM's input
gate alone (the GRU has no separate write gate: it writes ``1 − z_t``):

.. math:: f_t = \sigma(a^f_t + \Delta), \quad z_t = \sigma(a^z_t + \Delta), \quad
          i_t = \sigma(a^i_t + \Delta_i).

The lesson is in the corner the GRU cannot reach: keep everything *and* write (``Δ`` and
``Δ_i`` both high) makes the LSTM's ``c_t ≈ c_{t−1} + g_t``, while the GRU's ``h_t`` can
only copy ``h_{t−1}``.

Bars show ``i, f, g, o, c_t, h_t`` (LSTM) and ``r, z, n, h_t`` (GRU) for the three units.

**Budget explorer** (``budget_explorer``). A parameter budget and an input size → the hidden
size each cell gets (``utils.budget.hidden_for_budget``, PyTorch's count), the share of its
parameters that reads the input (``G·H·H_in / P``), its multiply-adds per step, and its time
per step measured at that very budget and input size (``utils/results/ch4_budget_timing.json``). The
trade-offs: at a fixed budget every input weight is paid for in units, so a wider input
leaves fewer units and spends more of the budget on reading, while the time per step, set
by the budget, moves little; and equal multiply-adds are not equal time across cells.

Builders return a widget and display nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from utils.budget import hidden_for_budget, param_count_as
from utils.diagrams import GATE_COLORS
from utils.diagrams import LSTM_PAIRED_COLORS as LSTM_COLORS
from utils.numpy_cells import GRUCell, LSTMCell
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = ["EXAMPLE_X", "EXAMPLE_H", "EXAMPLE_C", "SCALES", "OFFSETS", "BUDGETS",
           "INPUT_SIZES", "paired_step", "cell_explainer_demo", "cell_explainer",
           "budget_rows", "equal_work_size", "budget_explorer_demo", "budget_explorer"]

EXAMPLE_X = (0.5, -0.3, 0.8)
EXAMPLE_H = (0.2, 0.4, -0.1)
EXAMPLE_C = (0.6, -0.2, 0.3)
SCALES: tuple[float, ...] = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)
OFFSETS: tuple[float, ...] = (-8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0)
BUDGETS: tuple[int, ...] = (250, 500, 1000, 2000, 4000, 8000, 16000, 64000, 256000)
INPUT_SIZES: tuple[int, ...] = (1, 2, 4, 8, 10, 16, 32, 64, 128)
KINDS = ("rnn", "gru", "lstm")
KIND_NAMES = {"rnn": "tanh RNN", "gru": "GRU", "lstm": "LSTM"}


@functools.cache
def _example_cells(seed: int = 0) -> tuple[LSTMCell, GRUCell]:
    rng = np.random.default_rng(seed)  # the chapter's order: LSTM first, then GRU
    return LSTMCell(3, 3, rng=rng), GRUCell(3, 3, rng=rng)


def paired_step(scale: float = 1.0, offset: float = 0.0, seed: int = 0, *,
                write: float = 0.0) -> dict[str, np.ndarray]:
    """One LSTM and one GRU step on the scaled example, keep-gate offset ``offset`` and
    LSTM input-gate offset ``write``.

    Returns ``(3,)`` arrays: ``i, f, g, o, c, h_lstm`` and ``r, z, n, h_gru``, plus the scaled
    inputs ``x, h_prev, c_prev``. ``offset`` goes into ``b_hf`` (LSTM) and ``b_hz`` (GRU),
    ``write`` into ``b_hi`` (LSTM).
    """
    lstm, gru = _example_cells(seed)
    x = scale * np.array([EXAMPLE_X])  # (1, 3)
    h_prev = scale * np.array([EXAMPLE_H])
    c_prev = scale * np.array([EXAMPLE_C])
    H = 3
    lstm_o, gru_o = lstm.copy(), gru.copy()
    lstm_o.bias_hh = lstm.bias_hh.copy()
    lstm_o.bias_hh[:H] += write  # input gate: rows 0:H of i | f | g | o
    lstm_o.bias_hh[H:2 * H] += offset  # forget gate: rows H:2H
    gru_o.bias_hh = gru.bias_hh.copy()
    gru_o.bias_hh[H:2 * H] += offset  # update gate: rows H:2H of r | z | n
    (h_l, c_l), gl = lstm_o.step(x, (h_prev, c_prev), return_gates=True)
    h_g, gg = gru_o.step(x, h_prev, return_gates=True)
    return {"x": x[0], "h_prev": h_prev[0], "c_prev": c_prev[0],
            "i": gl["i"][0], "f": gl["f"][0], "g": gl["g"][0], "o": gl["o"][0], "c": c_l[0],
            "h_lstm": h_l[0], "r": gg["r"][0], "z": gg["z"][0], "n": gg["n"][0],
            "h_gru": h_g[0]}


def _labels(values: tuple[float, ...]) -> list[str]:
    return [f"{v:+g}" if v else "0" for v in values]


def cell_explainer_demo(seed: int = 0) -> Demo:
    """The ``Demo`` behind :func:`cell_explainer`: 9 keep offsets × 9 write offsets."""
    lstm_keys = ("c_prev", "i", "f", "g", "o", "c", "h_lstm")
    gru_keys = ("h_prev", "r", "z", "n", "h_gru")
    names = {"c_prev": "$c_{t-1}$", "h_prev": "$h_{t-1}$", "i": "$i_t$", "f": "$f_t$",
             "g": "$g_t$", "o": "$o_t$", "c": "$c_t$", "h_lstm": "$h_t$", "r": "$r_t$",
             "z": "$z_t$", "n": "$n_t$", "h_gru": "$h_t$"}
    colors = {"c_prev": "#aaaaaa", "h_prev": "#aaaaaa", "i": LSTM_COLORS["i"],
              "f": LSTM_COLORS["f"], "g": LSTM_COLORS["g"], "o": LSTM_COLORS["o"],
              "c": "#8c564b", "h_lstm": "black", "r": GATE_COLORS["r"], "z": GATE_COLORS["z"],
              "n": GATE_COLORS["n"], "h_gru": "black"}
    width = 0.26

    def setup(fig: Figure, offset: float, write: float) -> Callable[..., None]:
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.13, top=0.8, wspace=0.18)
        ax_l, ax_g = fig.subplots(1, 2, width_ratios=[len(lstm_keys), len(gru_keys)])
        bars: dict[str, Any] = {}
        for ax, keys, title in ((ax_l, lstm_keys, "LSTM: gates, cell state, output"),
                                (ax_g, gru_keys, "GRU: gates, candidate, state")):
            for k, key in enumerate(keys):
                xs = k + (np.arange(3) - 1) * width
                bars[key] = ax.bar(xs, np.zeros(3), width * 0.95, color=colors[key],
                                   animated=True)
            ax.axhline(0, color="black", lw=0.6)
            ax.axhline(1, color="black", lw=0.4, ls=":")
            ax.axhline(-1, color="black", lw=0.4, ls=":")
            ax.set_xticks(range(len(keys)), [names[k] for k in keys])
            ax.set(ylim=(-2.6, 2.6), title=title)
            ax.title.set_fontsize(10)
        ax_l.set_ylabel("value (3 units per group)")
        note = fig.text(0.5, 0.95, "", ha="center", va="center", fontsize=9, animated=True)

        def update(offset: float, write: float) -> None:
            v = paired_step(1.0, offset, seed, write=write)
            for key, group in bars.items():
                for bar, value in zip(group, v[key]):
                    bar.set_height(value)
            note.set_text(f"Δ = {offset:+g}, Δ_i = {write:+g}:  LSTM keeps f = "
                          f"{v['f'].mean():.2f}, writes i = {v['i'].mean():.2f};  GRU keeps "
                          f"z = {v['z'].mean():.2f}, writes 1 − z = {1 - v['z'].mean():.2f}")

        return update

    return Demo(
        controls={
            "offset": Choice(OFFSETS, value=0.0, labels=_labels(OFFSETS),
                             description="keep: offset Δ on f (LSTM) and z (GRU)"),
            "write": Choice(OFFSETS, value=0.0, labels=_labels(OFFSETS),
                            description="write: offset Δ_i on the LSTM's input gate i"),
        },
        setup=setup, figsize=(8.6, 3.0), dpi=64, colors=16, budget_bytes=1_300_000,
    )


def cell_explainer(seed: int = 0, *, mode: Mode | None = None) -> DemoWidget:
    """Sliders for the keep-gate offset and the LSTM's write-gate offset → bars of an LSTM
    and a GRU step.

    Args:
        seed: seeds the weights (the chapter's worked step uses 0).
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.
    """
    return cell_explainer_demo(seed).build(mode)


# ----------------------------------------------------------------------------- budget explorer

BUDGET_CSS = """
.gru-be table { border-collapse: collapse; font-size: 0.85em; margin: 4px 0; }
.gru-be th, .gru-be td { padding: 2px 9px; border-bottom: 1px solid #ccc; text-align: right; }
.gru-be td:first-child, .gru-be th:first-child { text-align: left; }
.gru-be p { margin: 4px 0; font-size: 0.85em; }
"""


def _interp_time(timing_rows: list[dict[str, Any]], kind: str, hidden_size: float,
                 backward: bool) -> float | None:
    """Seconds per step of ``torch.nn`` at ``hidden_size`` (= input size) by log-log
    interpolation of the committed sweep (``*_low``: the 10th percentile of its block means,
    the statistic the chapter's timing figures use; None outside its range)."""
    sel = sorted((r for r in timing_rows if r["backward"] == backward),
                 key=lambda r: r["hidden_size"])
    hs = np.array([r["hidden_size"] for r in sel], dtype=float)
    ts = np.array([r[f"{kind}_low"] for r in sel], dtype=float)
    if not len(hs) or not hs[0] <= hidden_size <= hs[-1]:
        return None
    return float(np.exp(np.interp(np.log(hidden_size), np.log(hs), np.log(ts))))


def equal_work_size(input_size: int, hidden_size: int) -> float:
    r"""The size :math:`S` at which a layer with input = hidden = :math:`S` does the same
    multiply-adds per step as one with ``input_size`` and ``hidden_size``:
    :math:`G S \cdot 2S = G H (H_{in} + H)`, so :math:`S = \sqrt{H (H_{in} + H) / 2}`."""
    return float(np.sqrt(hidden_size * (input_size + hidden_size) / 2))


def budget_rows(budget: int, input_size: int,
                timing_rows: list[dict[str, Any]] | None = None, *,
                measured: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per cell: hidden size, parameters, the share of them that reads the input, MACs per
    step (batch 1) and the time per step (forward + backward, µs, or None).

    ``measured``: rows of ``utils/results/ch4_budget_timing.json``, which timed every cell at
    this very budget and input size; the time is read from them. Otherwise the time is the
    ``ch4_timing`` sweep's (``timing_rows``, input = hidden size) at :func:`equal_work_size`,
    the same multiply-adds per step: an estimate that misses what the input's size does
    when ``torch.nn`` computes the input's part for the whole sequence at once."""
    from utils.costs import GATES, macs_per_step

    out = []
    for kind in KINDS:
        try:
            H = hidden_for_budget(kind, input_size, budget)
        except ValueError:
            out.append({"kind": kind, "hidden_size": None})
            continue
        params = param_count_as(kind, input_size, H)
        if measured is not None:
            row = next(r for r in measured
                       if r["budget"] == budget and r["input_size"] == input_size)
            if row[f"{kind}_hidden_size"] != H:
                raise ValueError(f"the timing file has H = {row[f'{kind}_hidden_size']} for "
                                 f"{kind} at budget {budget}, input {input_size}; expected {H}")
            t = row[f"{kind}_low"]
        else:
            t = _interp_time(timing_rows or [], kind, equal_work_size(input_size, H), True)
        out.append({"kind": kind, "hidden_size": H, "params": params,
                    "input_share": GATES[kind] * H * input_size / params,
                    "macs": macs_per_step(kind, input_size, H),
                    "us_per_step": None if t is None else 1e6 * t})
    return out


def budget_explorer_demo(timing: dict[str, Any] | None = None) -> Demo:
    """The ``Demo`` behind :func:`budget_explorer`: 9 budgets × 9 input sizes, HTML only."""
    from utils.experiments import load

    timing = load("ch4_budget_timing") if timing is None else timing

    def render(budget: int, input_size: int) -> str:
        rows = budget_rows(budget, input_size, measured=timing["rows"])
        body = ""
        for r in rows:
            if r["hidden_size"] is None:
                body += (f"<tr><td>{KIND_NAMES[r['kind']]}</td><td colspan='5'>budget too "
                         "small for one unit</td></tr>")
                continue
            t = "—" if r["us_per_step"] is None else f"{r['us_per_step']:,.0f}"
            fewer = " (fewer than its inputs)" if r["hidden_size"] < input_size else ""
            body += (f"<tr><td>{KIND_NAMES[r['kind']]}</td><td>{r['hidden_size']}{fewer}</td>"
                     f"<td>{r['params']:,}</td><td>{100 * r['input_share']:.0f}%</td>"
                     f"<td>{r['macs']:,}</td><td>{t}</td></tr>")
        html = ("<div class='gru-be'><table><tr><th>cell</th><th>hidden size H</th>"
                "<th>parameters</th><th>spent on reading x<sub>t</sub></th>"
                "<th>MACs / step (N = 1)</th><th>µs / step, fwd + bwd (N = 16)"
                "</th></tr>" + body + "</table>")
        html += ("<p>Time: each cell measured at this budget and input size "
                 "(<code>torch.nn</code>, one CPU thread, batch 16, 32 steps, processor time, "
                 "the 10th percentile of 9 blocks of runs). At a fixed budget the "
                 "multiply-adds per step hardly move with the input size, and the time moves "
                 "little more: the budget sets both. Across the cells at one position the "
                 "multiply-adds are nearly equal and the times are not: how each cell's steps "
                 "are run decides. At small H the time is mostly the "
                 "fixed cost of each operation, not arithmetic, and it varies from machine to "
                 "machine: read it as a guide to this computer, not a law.</p>")
        return html + "</div>"

    return Demo(
        controls={
            "budget": Choice(BUDGETS, value=4000, labels=[f"{b:,}" for b in BUDGETS],
                             description="parameter budget (recurrent layer)"),
            "input_size": Choice(INPUT_SIZES, value=8, description="input size H_in"),
        },
        render=render, css=BUDGET_CSS, budget_bytes=400_000,
    )


def budget_explorer(*, mode: Mode | None = None) -> DemoWidget:
    """Sliders for a parameter budget and an input size → each cell's hidden size, the share
    of its parameters that reads the input, its multiply-adds and estimated time per step."""
    return budget_explorer_demo().build(mode)
