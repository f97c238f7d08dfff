r"""The parameter budget of one recurrent layer: the widget framework's pilot demo.

Chapter 1's first edition showed it; the second edition replaced it on the page (a plot would
say the same) by ``utils.demos.vanishing`` and ``utils.demos.recall``, and turned the
equal-budget question into an exercise. It stays as the pilot that ``tests/test_widgets.py``
and the browser tests exercise in a kernel.

One layer of a cell with :math:`G` gate blocks, input size :math:`H_{in}` and hidden size
:math:`H` has

.. math:: P = G \cdot (H \cdot H_{in} + H \cdot H + 2H),

with :math:`G = 1` (RNN), :math:`3` (GRU: r | z | n) and :math:`4` (LSTM: i | f | g | o):
``weight_ih`` :math:`(G H, H_{in})`, ``weight_hh`` :math:`(G H, H)`, ``bias_ih`` and
``bias_hh`` :math:`(G H,)` each, as in ``torch.nn``. At equal sizes a GRU has exactly
:math:`3/4` of an LSTM's parameters; at an equal budget it can afford a larger :math:`H`.

``param_budget_explorer(mode=None)`` is the widget (controls: :math:`H_{in}` and :math:`H`,
powers of two from 8 to 512); ``param_budget_demo()`` is the ``Demo`` behind it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, NullFormatter, NullLocator

from utils.params import param_count
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "CELLS",
    "HIDDEN_SIZES",
    "INPUT_SIZES",
    "equal_budget_hidden_size",
    "param_budget_demo",
    "param_budget_explorer",
    "param_budget_table",
    "TABLE_CSS",
]

INPUT_SIZES: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512)
HIDDEN_SIZES: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512)
# kind -> (name, number of gate blocks G, colour)
CELLS: dict[str, tuple[str, int, str]] = {
    "rnn": ("RNN", 1, "#7f7f7f"),
    "gru": ("GRU", 3, "#1f77b4"),
    "lstm": ("LSTM", 4, "#d62728"),
}
_X_LIM = (6.0, 760.0)  # H axis; 760 leaves room for the equal-budget GRU of H = 512
_Y_LIM = (60.0, 8e6)  # from RNN(8, 8) = 144 to LSTM(512, 512) ≈ 2.1 M, with room for labels
_H_GRID = np.unique(np.geomspace(_X_LIM[0], _X_LIM[1], 60).round().astype(int))


def equal_budget_hidden_size(kind: str, budget: int, input_size: int) -> int:
    """Largest hidden size :math:`H` with ``param_count(kind, input_size, H) <= budget``.

    Returns 0 if even :math:`H = 1` costs more than ``budget``. Exact (integer search on
    ``param_count``, which grows with :math:`H`).

    Example:
        >>> equal_budget_hidden_size("gru", param_count("lstm", 64, 64), 64)
        77
    """
    if param_count(kind, input_size, 1) > budget:
        return 0
    low, high = 1, 2  # invariant: count(low) <= budget, and count(high) > budget once found
    while param_count(kind, input_size, high) <= budget:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        if param_count(kind, input_size, mid) <= budget:
            low = mid
        else:
            high = mid
    return low


TABLE_CSS = """
.gru-pb table { border-collapse: collapse; font-size: 0.9em; }
.gru-pb caption { caption-side: top; text-align: left; }
.gru-pb th, .gru-pb td { padding: 2px 8px; border-bottom: 1px solid #ccc; text-align: right; }
.gru-pb th:first-child, .gru-pb td:first-child { text-align: left; font-weight: bold; }
.gru-pb td.shape { font-family: monospace; }
.gru-pb p { margin: 4px 0; font-size: 0.9em; }
"""


def param_budget_table(input_size: int, hidden_size: int) -> str:
    """HTML table: shapes and parameter counts of one RNN, GRU and LSTM layer.

    Columns: cell, :math:`G`, ``weight_ih`` :math:`(G H, H_{in})`, ``weight_hh``
    :math:`(G H, H)`, ``bias_ih`` and ``bias_hh`` :math:`(G H,)`, the total
    :math:`G (H H_{in} + H H + 2H)` and its ratio to the LSTM's; then the hidden size a GRU
    can have with the LSTM's budget. Styled by ``TABLE_CSS`` (class ``gru-pb``).
    """
    h_in, h = input_size, hidden_size
    lstm = param_count("lstm", h_in, h)
    head = "".join(
        f"<th>{t}</th>"
        for t in ("cell", "G", "weight_ih", "weight_hh", "bias_ih, bias_hh", "parameters",
                  "÷ LSTM")
    )
    rows = []
    for kind, (name, g, colour) in CELLS.items():
        total = param_count(kind, h_in, h)
        rows.append(
            f"<tr><td style='color:{colour}'>{name}</td><td>{g}</td>"
            f"<td class='shape'>({g * h}, {h_in})</td><td class='shape'>({g * h}, {h})</td>"
            f"<td class='shape'>2 × ({g * h},)</td><td>{total:,}</td>"
            f"<td>{total / lstm:.2f}</td></tr>"
        )
    h_eq = equal_budget_hidden_size("gru", lstm, h_in)
    return (
        f"<div class='gru-pb'><table><caption>One layer, H<sub>in</sub> = {h_in}, H = {h}: "
        f"parameters = G·(H·H<sub>in</sub> + H·H + 2H)</caption>"
        f"<tr>{head}</tr>{''.join(rows)}</table>"
        f"<p>With this LSTM's budget ({lstm:,} parameters) a GRU can have H = {h_eq} "
        f"({param_count('gru', h_in, h_eq):,} parameters).</p></div>"
    )


def _setup_figure(fig: Figure, input_size: int, hidden_size: int) -> Callable[..., None]:
    """Draw the axes once; return ``update(input_size, hidden_size)`` for the moving parts."""
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.88)
    ax = fig.add_subplot()
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlim(*_X_LIM)
    ax.set_ylim(*_Y_LIM)
    ax.set_xticks(HIDDEN_SIZES, labels=[str(h) for h in HIDDEN_SIZES])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("hidden size H (units)")
    ax.set_ylabel("parameters (count)")
    ax.grid(True, which="major", alpha=0.3)

    curves, dots, notes = {}, {}, {}
    for row, (kind, (name, _, colour)) in enumerate(CELLS.items()):
        (curves[kind],) = ax.plot([], [], color=colour, lw=1.5, animated=True)
        (dots[kind],) = ax.plot([], [], "o", color=colour, ms=6, animated=True)
        # counts stacked in the lower right, a corner no curve reaches: labels next to the
        # dots would overlap (GRU and LSTM are only a factor 4/3 apart)
        notes[kind] = ax.text(
            0.98, 0.05 + 0.09 * row, "", transform=ax.transAxes, ha="right", va="bottom",
            color=colour, fontsize=9, animated=True,
        )
    input_note = ax.text(
        0.98, 0.05 + 0.09 * len(CELLS), "", transform=ax.transAxes, ha="right", va="bottom",
        fontsize=9, animated=True,
    )
    (budget_line,) = ax.plot([], [], ":", color=CELLS["lstm"][2], lw=1.2, animated=True)
    (star,) = ax.plot([], [], "*", color=CELLS["gru"][2], ms=11, animated=True)
    ax.set_title("Parameters of one layer (log-log scales)", fontsize=10)
    # Static proxies: a legend built from the animated lines would copy their `animated` flag.
    handles = [Line2D([], [], color=c, lw=1.5, marker="o", ms=4, label=n)
               for n, _, c in CELLS.values()]
    handles.append(Line2D([], [], ls="", marker="*", ms=9, color=CELLS["gru"][2],
                          label="GRU with the LSTM's budget"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)

    @functools.cache
    def curve(kind: str, h_in: int) -> list[int]:
        return [param_count(kind, h_in, int(x)) for x in _H_GRID]

    def update(input_size: int, hidden_size: int) -> None:
        h_in, h = input_size, hidden_size
        lstm = param_count("lstm", h_in, h)
        for kind, (name, _, _) in CELLS.items():
            curves[kind].set_data(_H_GRID, curve(kind, h_in))
            count = param_count(kind, h_in, h)
            dots[kind].set_data([h], [count])
            ratio = "" if kind == "lstm" else f" ({count / lstm:.2f} × LSTM)"
            notes[kind].set_text(f"{name} {count:,}{ratio}")
        input_note.set_text(f"H_in = {h_in}, H = {h}")
        h_eq = equal_budget_hidden_size("gru", lstm, h_in)
        budget_line.set_data([h, h_eq], [lstm, lstm])
        star.set_data([h_eq], [param_count("gru", h_in, h_eq)])

    return update


def param_budget_demo() -> Demo:
    """The ``Demo`` behind ``param_budget_explorer``: 7 × 7 positions, a figure and a table."""
    return Demo(
        controls={
            "input_size": Choice(INPUT_SIZES, value=64, description="input size H_in"),
            "hidden_size": Choice(HIDDEN_SIZES, value=64, description="hidden size H"),
        },
        setup=_setup_figure,
        render=param_budget_table,
        css=TABLE_CSS,
    )


def param_budget_explorer(mode: Mode | None = None) -> DemoWidget:
    """Parameters of one RNN, GRU and LSTM layer as :math:`H_{in}` and :math:`H` vary.

    Args:
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.

    Returns:
        The widget (displays nothing: show it as a cell's last expression).
    """
    return param_budget_demo().build(mode)
