"""The matplotlib LSTM cell diagram, drawn in the style of ``utils.diagrams.gru_cell_diagram``.

Colours pair each LSTM part with its GRU counterpart: the forget gate ``f`` is green like the
update gate ``z`` (both decide what of the old memory stays), the candidate ``g`` blue like
``n``; the input gate ``i`` and the output gate ``o`` (which the GRU does not have) get their
own colours.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from utils.diagrams import GATE_COLORS, _box, _node, _wire

__all__ = ["LSTM_COLORS", "lstm_cell_diagram", "lstm_gru_diagrams"]

LSTM_COLORS = {"i": "#d62728", "f": GATE_COLORS["z"], "g": GATE_COLORS["n"], "o": "#9467bd",
               "h": GATE_COLORS["h"]}
_C_Y, _BUS_Y = 5.0, 0.8
_F_X, _I_X, _G_X, _SUM_X, _O_X, _OUT_X = 2.4, 4.2, 6.0, 5.1, 7.3, 8.5


def lstm_cell_diagram(*, ax: Any = None) -> Figure:
    """Draw one LSTM cell (``torch.nn.LSTMCell``, no peepholes); returns the ``Figure``.

    The cell state runs along the top: ``c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t``; the hidden state
    leaves on the right: ``h_t = o_t ⊙ tanh(c_t)``. All four blocks read ``x_t`` and
    ``h_{t−1}`` from the bus at the bottom.
    """
    if ax is None:
        fig = Figure(figsize=(9, 5.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    c = LSTM_COLORS

    # Cell-state rail c_{t−1} → ⊙ f → + → c_t.
    ax.text(0.15, _C_Y, "$c_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(9.85, _C_Y, "$c_t$", ha="left", va="center", fontsize=13)
    _wire(ax, [(0.25, _C_Y), (_F_X - 0.22, _C_Y)])
    _node(ax, (_F_X, _C_Y), "⊙")
    _wire(ax, [(_F_X + 0.22, _C_Y), (_SUM_X - 0.22, _C_Y)])
    _node(ax, (_SUM_X, _C_Y), "+")
    _wire(ax, [(_SUM_X + 0.22, _C_Y), (9.75, _C_Y)])

    # Input bus: h_{t−1} from the left, x_t from below.
    ax.text(0.15, _BUS_Y, "$h_{t-1}$", ha="right", va="center", fontsize=13)
    _wire(ax, [(0.25, _BUS_Y), (_O_X, _BUS_Y)], arrow=False)
    ax.text(1.3, -0.25, "$x_t$", ha="center", va="top", fontsize=13)
    _wire(ax, [(1.3, -0.2), (1.3, _BUS_Y)], arrow=False)

    # Four blocks: σ for i, f, o; tanh for the candidate g.
    for x, g, act in ((_F_X, "f", "σ"), (_I_X, "i", "σ"), (_G_X, "g", "tanh"),
                      (_O_X, "o", "σ")):
        _wire(ax, [(x, _BUS_Y), (x, 1.5)])
        _box(ax, (x, 1.8), act, c[g], width=1.0 if act == "tanh" else 0.9)
        ax.text(x + 0.55, 2.25, f"${g}_t$", fontsize=12, color=c[g], weight="bold")

    # f_t scales the old cell state; i_t ⊙ g_t is written into it.
    _wire(ax, [(_F_X, 2.1), (_F_X, _C_Y - 0.22)], c["f"])
    _wire(ax, [(_I_X, 2.1), (_I_X, 3.6), (_SUM_X - 0.22, 3.6)], c["i"])
    _wire(ax, [(_G_X, 2.1), (_G_X, 3.6), (_SUM_X + 0.22, 3.6)], c["g"])
    _node(ax, (_SUM_X, 3.6), "⊙")
    _wire(ax, [(_SUM_X, 3.82), (_SUM_X, _C_Y - 0.22)])
    ax.text(_F_X + 0.3, _C_Y + 0.25, "$f_t \\odot c_{t-1}$", fontsize=9, color="#555")
    ax.text(_SUM_X + 0.3, 4.15, "$i_t \\odot g_t$", fontsize=9, color="#555")

    # h_t = o_t ⊙ tanh(c_t).
    _wire(ax, [(_OUT_X, _C_Y), (_OUT_X, 4.15)])
    _box(ax, (_OUT_X, 3.85), "tanh", "#7f7f7f", width=1.0)
    _wire(ax, [(_OUT_X, 3.55), (_OUT_X, 2.97)])
    _wire(ax, [(_O_X, 2.1), (_O_X, 2.75), (_OUT_X - 0.22, 2.75)], c["o"])
    _node(ax, (_OUT_X, 2.75), "⊙")
    _wire(ax, [(_OUT_X + 0.22, 2.75), (9.75, 2.75)])
    ax.text(9.85, 2.75, "$h_t$", ha="left", va="center", fontsize=13)

    ax.set_title("LSTM cell (torch.nn.LSTMCell: gates i | f | g | o, no peepholes)",
                 fontsize=11)
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(-0.8, 5.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def lstm_gru_diagrams() -> Figure:
    """The LSTM (left) and PyTorch's GRU (right) side by side, one ``Figure``."""
    from utils.diagrams import gru_cell_diagram

    fig = Figure(figsize=(14, 4.4), layout="constrained")
    ax_l, ax_g = fig.subplots(1, 2)
    lstm_cell_diagram(ax=ax_l)
    gru_cell_diagram(reset_after=True, ax=ax_g)
    ax_g.set_title("GRU cell (torch.nn.GRUCell: gates r | z | n, reset after the product)",
                   fontsize=11)
    return fig
