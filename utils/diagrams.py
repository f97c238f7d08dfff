"""A GRU cell diagram drawn with matplotlib (no image files), in PyTorch's convention.

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))     reset_after=True
    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)     reset_after=False
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

``gru_cell_diagram(reset_after=True)`` draws the state rail ``h_{t−1} → h_t`` along the top,
the inputs ``x_t`` and ``h_{t−1}`` on a bus along the bottom, the two σ gates and the tanh
candidate as boxes, and the elementwise operations (⊙, 1 −, +) as circles. The two reset
placements differ only in the block left of the candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

__all__ = ["GATE_COLORS", "equation_code_lines", "equation_code_table", "gru_cell_diagram"]

GATE_COLORS = {"r": "#ff7f0e", "z": "#2ca02c", "n": "#1f77b4", "h": "#444444"}
_RAIL_Y, _BUS_Y = 5.0, 0.8
_R_X, _RESET_X, _N_X, _Z_X, _SUM_X = 2.4, 3.7, 5.2, 6.7, 8.3


def _box(ax: Any, xy: tuple[float, float], text: str, color: str, *, width: float = 0.9,
         height: float = 0.6, fontsize: float = 12) -> None:
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.04,rounding_size=0.12",
                                facecolor=color, edgecolor="black", lw=1.2, alpha=0.9,
                                zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color="white",
            weight="bold", zorder=4)


def _node(ax: Any, xy: tuple[float, float], text: str, *, radius: float = 0.22) -> None:
    ax.add_patch(Circle(xy, radius, facecolor="white", edgecolor="black", lw=1.2, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=11, zorder=4)


def _wire(ax: Any, points: Sequence[tuple[float, float]], color: str = GATE_COLORS["h"], *,
          arrow: bool = True, over: bool = False) -> None:
    """A polyline; the last segment ends in an arrowhead. ``over`` draws a white halo."""
    xs, ys = zip(*points)
    effects = [patheffects.Stroke(linewidth=5, foreground="white"), patheffects.Normal()]
    ax.plot(xs, ys, color=color, lw=1.6, zorder=2.5 if over else 1,
            path_effects=effects if over else None, solid_capstyle="butt")
    if arrow:
        ax.annotate("", xy=points[-1], xytext=points[-2], zorder=2.6 if over else 1.1,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=1.6,
                                    shrinkA=0, shrinkB=0, mutation_scale=12))


def gru_cell_diagram(*, reset_after: bool = True, ax: Any = None) -> Figure:
    """Draw one GRU cell; returns the ``Figure`` (a new 9 × 5.2 in figure unless ``ax``).

    Args:
        reset_after: ``True`` draws PyTorch's / cuDNN's (and Cho et al.'s arXiv v1)
            candidate ``tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))``; ``False`` draws
            Cho et al.'s (2014, arXiv v3) ``tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)``.
        ax: an existing matplotlib ``Axes`` to draw into.
    """
    if ax is None:
        fig = Figure(figsize=(9, 5.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    c = GATE_COLORS

    # State rail h_{t−1} → ⊙ z → + → h_t, and the input bus [x_t, h_{t−1}] below.
    ax.text(0.15, _RAIL_Y, "$h_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(9.85, _RAIL_Y, "$h_t$", ha="left", va="center", fontsize=13)
    _wire(ax, [(0.25, _RAIL_Y), (_Z_X - 0.22, _RAIL_Y)])
    _wire(ax, [(_Z_X + 0.22, _RAIL_Y), (_SUM_X - 0.22, _RAIL_Y)])
    _wire(ax, [(_SUM_X + 0.22, _RAIL_Y), (9.75, _RAIL_Y)])
    _wire(ax, [(1.0, _RAIL_Y), (1.0, _BUS_Y), (_Z_X, _BUS_Y)], arrow=False)
    ax.text(1.6, -0.25, "$x_t$", ha="center", va="top", fontsize=13)
    _wire(ax, [(1.6, -0.2), (1.6, _BUS_Y)], arrow=False)
    ax.text(1.15, _BUS_Y + 0.12, "$x_t,\\ h_{t-1}$", fontsize=9, va="bottom", color="#555")

    # The two gates: σ of (W_i· x_t + b_i· + W_h· h_{t−1} + b_h·).
    for x, g in ((_R_X, "r"), (_Z_X, "z")):
        _wire(ax, [(x, _BUS_Y), (x, 1.5)])
        _box(ax, (x, 1.8), "σ", c[g])
        ax.text(x + 0.55, 2.25, f"${g}_t$", fontsize=12, color=c[g], weight="bold")

    # The candidate n_t = tanh(W_in x_t + b_in + [reset part]).
    _wire(ax, [(_N_X, _BUS_Y), (_N_X, 2.7)])
    ax.text(_N_X + 0.08, 1.5, "$W_{in} x_t + b_{in}$", fontsize=8.5, color="#555")
    _box(ax, (_N_X, 3.0), "tanh", c["n"], width=1.0)
    ax.text(_N_X + 0.55, 3.25, "$n_t$", fontsize=12, color=c["n"], weight="bold")
    if reset_after:
        _wire(ax, [(_RESET_X, _RAIL_Y), (_RESET_X, 4.35)])
        _box(ax, (_RESET_X, 4.05), "$W_{hn} h_{t-1} + b_{hn}$", "#7f7f7f", width=1.9,
             height=0.5, fontsize=9)
        _wire(ax, [(_RESET_X, 3.8), (_RESET_X, 3.22)])
        _wire(ax, [(_R_X, 2.1), (_R_X, 3.0), (_RESET_X - 0.22, 3.0)], c["r"])
        _node(ax, (_RESET_X, 3.0), "⊙")
        _wire(ax, [(_RESET_X + 0.22, 3.0), (_N_X - 0.5, 3.0)])
        title = ("GRU cell, reset after the product (Cho 2014 v1, PyTorch, cuDNN, "
                 "Keras reset_after=True)")
    else:
        _wire(ax, [(_RESET_X, _RAIL_Y), (_RESET_X, 4.27)])
        _wire(ax, [(_R_X, 2.1), (_R_X, 4.05), (_RESET_X - 0.22, 4.05)], c["r"])
        _node(ax, (_RESET_X, 4.05), "⊙")
        _wire(ax, [(_RESET_X, 3.83), (_RESET_X, 3.25)])
        _box(ax, (_RESET_X, 3.0), "$W_{hn}(\\cdot) + b_{hn}$", "#7f7f7f", width=1.7,
             height=0.5, fontsize=9)
        _wire(ax, [(_RESET_X + 0.85, 3.0), (_N_X - 0.5, 3.0)])
        title = "GRU cell, reset before the product (Cho 2014 v3, d2l, Keras reset_after=False)"

    # The update: h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t.
    _wire(ax, [(_Z_X, 2.1), (_Z_X, _RAIL_Y - 0.22)], c["z"])
    _node(ax, (_Z_X, _RAIL_Y), "⊙")
    _wire(ax, [(_Z_X, 3.0), (7.38, 3.0)], c["z"])
    _node(ax, (7.6, 3.0), "1−")
    _wire(ax, [(7.82, 3.0), (_SUM_X, 3.0), (_SUM_X, 3.73)], c["z"])
    _wire(ax, [(_N_X, 3.3), (_N_X, 3.95), (_SUM_X - 0.22, 3.95)], c["n"], over=True)
    _node(ax, (_SUM_X, 3.95), "⊙")
    _wire(ax, [(_SUM_X, 4.17), (_SUM_X, _RAIL_Y - 0.22)])
    _node(ax, (_SUM_X, _RAIL_Y), "+")
    ax.text(_Z_X + 0.3, _RAIL_Y + 0.25, "$z_t \\odot h_{t-1}$", fontsize=9, color="#555")
    ax.text(_SUM_X + 0.3, 3.7, "$(1 - z_t) \\odot n_t$", fontsize=9, color="#555")

    ax.set_title(title, fontsize=11)
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(-0.8, 5.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


# --------------------------------------------------------------------------------------------
# The equations next to the code that computes them
# --------------------------------------------------------------------------------------------

# (equation as HTML, method of utils.numpy_cells.GRUCell, regex of the line, occurrence to use
# when reset_after is True / False). The lines are looked up in the running source, so the
# table shows the code that runs; a test fails if one can no longer be found.
_EQUATION_LINES: tuple[tuple[str, str, str, int, int], ...] = (
    ("W<sub>i·</sub> x<sub>t</sub> + b<sub>i·</sub> for r, z, n at once", "step",
     r"^\s*xw_t\s*=", 0, 0),
    ("W<sub>h·</sub> h<sub>t−1</sub> + b<sub>h·</sub> (after: r, z, n; before: r, z)",
     "_recurrence", r"^\s*hw\s*=", 0, 1),
    ("r<sub>t</sub> = σ(W<sub>ir</sub> x<sub>t</sub> + b<sub>ir</sub> + W<sub>hr</sub> "
     "h<sub>t−1</sub> + b<sub>hr</sub>)", "_recurrence", r"^\s*r_t\s*=", 0, 1),
    ("z<sub>t</sub> = σ(W<sub>iz</sub> x<sub>t</sub> + b<sub>iz</sub> + W<sub>hz</sub> "
     "h<sub>t−1</sub> + b<sub>hz</sub>)", "_recurrence", r"^\s*z_t\s*=", 0, 1),
    ("n<sub>t</sub> = tanh(W<sub>in</sub> x<sub>t</sub> + b<sub>in</sub> + r<sub>t</sub> ⊙ "
     "(W<sub>hn</sub> h<sub>t−1</sub> + b<sub>hn</sub>))", "_recurrence", r"^\s*n_t\s*=", 0, -1),
    ("n<sub>t</sub> = tanh(W<sub>in</sub> x<sub>t</sub> + b<sub>in</sub> + W<sub>hn</sub> "
     "(r<sub>t</sub> ⊙ h<sub>t−1</sub>) + b<sub>hn</sub>)", "_recurrence", r"^\s*n_t\s*=", -1, 1),
    ("h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ h<sub>t−1</sub>",
     "_recurrence", r"^\s*h_t\s*=", 0, 0),
)


def equation_code_lines(*, reset_after: bool = True) -> list[tuple[str, str, int]]:
    """``(equation, code line, line number)`` for each GRU equation, from the running source.

    The code lines are read with ``inspect`` from ``utils.numpy_cells.GRUCell`` (``step``
    and ``_recurrence``), the implementation the chapter runs; an occurrence of ``-1`` in
    ``_EQUATION_LINES`` means the equation does not apply to this reset placement.
    Raises ``LookupError`` if a line cannot be found (the cell's code changed).
    """
    import inspect
    import re

    from utils.numpy_cells import GRUCell

    rows = []
    for equation, method, pattern, if_after, if_before in _EQUATION_LINES:
        occurrence = if_after if reset_after else if_before
        if occurrence < 0:
            continue
        lines, first = inspect.getsourcelines(getattr(GRUCell, method))
        hits = [(first + i, line.strip()) for i, line in enumerate(lines)
                if re.search(pattern, line)]
        if len(hits) <= occurrence:
            raise LookupError(f"GRUCell.{method}: expected at least {occurrence + 1} line(s) "
                              f"matching {pattern!r}, found {len(hits)}")
        number, code = hits[occurrence]
        rows.append((equation, code, number))
    return rows


def equation_code_table(*, reset_after: bool = True) -> str:
    """An HTML table: each GRU equation beside the line of ``utils.numpy_cells`` computing it."""
    import html

    body = "".join(
        f"<tr><td>{equation}</td><td><code>{html.escape(code)}</code></td>"
        f"<td style='text-align:right'>{number}</td></tr>"
        for equation, code, number in equation_code_lines(reset_after=reset_after)
    )
    placement = "reset_after=True" if reset_after else "reset_after=False"
    return (
        "<table class='gru-eq'><thead><tr><th>equation</th>"
        f"<th>code in <code>utils/numpy_cells.py</code> ({placement})</th><th>line</th></tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )


# ============================================================================================
# Chapter 5: the GRU family tree, read from the code
# ============================================================================================

# node label → (kind for utils.variants.gate_inputs, parent label, what changed, (x, y))
FAMILY_TREE: dict[str, tuple[str, str | None, str, tuple[float, float]]] = {
    "LSTM": ("lstm", None, "", (1.0, 3.0)),
    "CIFG-LSTM": ("cifg", "LSTM", "f = 1 − i", (1.0, 1.2)),
    "GRU": ("gru", None, "", (5.6, 3.0)),
    "GRU (reset before)": ("gru_before", "GRU", "reset moves", (3.0, 1.2)),
    "MGU": ("mgu", "GRU", "r = f,\nz = 1 − f", (4.9, 1.2)),
    "Li-GRU": ("ligru", "GRU", "no r;\nReLU, BN", (6.8, 1.2)),
    "GRU1": ("gru1", "GRU", "gates\ndrop x", (8.7, 1.2)),
    "GRU2": ("gru2", "GRU1", "… and their bias", (8.7, -0.2)),
    "GRU3": ("gru3", "GRU2", "… but keep bias, drop h", (8.7, -1.6)),
    "minGRU": ("mingru", "GRU", "gates drop h;\nno r, no tanh", (11.0, 1.2)),
}


def _reads(r: dict[str, bool]) -> str:
    parts = [name for name, key in (("x", "x"), ("h", "h")) if r[key]]
    return "+".join(parts) if parts else "bias"


def family_tree(*, input_size: int = 32, hidden_size: int = 64) -> Figure:
    """The GRU family as a tree, every node annotated from the running code.

    For each cell: which gates (and candidate) it has and what each reads (``x``, ``h``, both,
    or only a bias), measured by ``utils.variants.gate_inputs``, and its parameter count at
    ``input_size``, ``hidden_size`` with one bias vector per gate block (the papers' convention;
    ``torch.nn``'s GRU and LSTM carry two). Edges say what changed.
    """
    from utils.budget import param_count_as
    from utils.params import param_count
    from utils.variants import gate_inputs

    fig = Figure(figsize=(10.5, 5.0))
    ax = fig.add_axes((0, 0, 1, 0.93))
    ax.set_xlim(-0.2, 12.6)
    ax.set_ylim(-2.2, 3.6)
    ax.axis("off")
    fig.suptitle(f"The GRU family: gates, what they read (x = x_t, h = h_(t−1)), and parameters "
                 f"(one bias per block) at H_in = {input_size}, H = {hidden_size}", fontsize=10)
    for label, (kind, parent, change, (x, y)) in FAMILY_TREE.items():
        if parent is not None:
            px, py = FAMILY_TREE[parent][3]
            ax.annotate("", xy=(x, y + 0.42), xytext=(px, py - 0.45),
                        arrowprops={"arrowstyle": "->", "color": "#777777", "lw": 1})
            ax.text(0.4 * px + 0.6 * x, 0.4 * (py - 0.45) + 0.6 * (y + 0.42), change,
                    fontsize=7, color="#555555",
                    ha="center", va="center",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        gates = gate_inputs(kind)
        pk = "gru" if kind == "gru_before" else kind
        count = (param_count_as(pk, input_size, hidden_size, "one_bias") if pk in ("gru", "lstm")
                 else param_count(pk, input_size, hidden_size))  # one bias per gate block
        lines = ", ".join(f"{g}:{_reads(r)}" for g, r in gates.items())
        color = "#e8f1fa" if "lstm" in kind or kind == "cifg" else "#eef7ea"
        ax.text(x, y, f"{label}\n{lines}\n{count:,} params", ha="center", va="center",
                fontsize=7.5, zorder=3,
                bbox={"boxstyle": "round,pad=0.35", "facecolor": color, "edgecolor": "#444444"})
    return fig


__all__ += ["FAMILY_TREE", "family_tree"]


# --------------------------------------------------------------------------------------------
# The LSTM cell (chapter 1)
# --------------------------------------------------------------------------------------------

LSTM_GATE_COLORS = {"i": "#9467bd", "f": "#d62728", "g": "#1f77b4", "o": "#8c564b",
                    "c": "#d62728"}
# Chapter 4's palette, which pairs each LSTM part with its GRU counterpart: the forget gate
# ``f`` green like the update gate ``z`` (both decide what of the old memory stays), the
# candidate ``g`` blue like ``n``, the memory rail dark like the GRU's ``h`` rail; the input
# gate ``i`` and the output gate ``o`` (which the GRU does not have) get their own colours.
LSTM_PAIRED_COLORS = {"i": "#d62728", "f": GATE_COLORS["z"], "g": GATE_COLORS["n"],
                      "o": "#9467bd", "c": GATE_COLORS["h"]}
_LSTM_TITLE = "LSTM cell (torch.nn.LSTM, blocks i | f | g | o)"
_C_Y, _F_X, _I_X, _G_X, _ADD_X, _O_X, _TANH_X = 5.0, 2.6, 4.0, 5.3, 5.3, 7.0, 8.2


def lstm_cell_diagram(*, ax: Any = None, colors: dict[str, str] | None = None,
                      title: str | None = None) -> Figure:
    """Draw one LSTM cell in PyTorch's convention (gates i | f | g | o); returns the ``Figure``.

    .. math::
        c_t = f_t \\odot c_{t-1} + i_t \\odot g_t, \\qquad h_t = o_t \\odot \\tanh(c_t)

    The cell rail :math:`c_{t-1} \\to c_t` runs along the top, drawn thick: along it the only
    factor is :math:`f_t` (the additive path). The inputs :math:`x_t` and :math:`h_{t-1}` run
    on a bus along the bottom into the four blocks, each an affine map of both; :math:`h_t`
    leaves on the right and feeds the next step's gates and candidate (the loop).

    Args:
        ax: an existing matplotlib ``Axes`` to draw into (default: a new 9 × 5.2 in figure).
        colors: one colour per part, keys ``i f g o c`` (default :data:`LSTM_GATE_COLORS`;
            :data:`LSTM_PAIRED_COLORS` matches :func:`gru_cell_diagram`'s, for side by side).
        title: the axes title (default names ``torch.nn.LSTM`` and its block order).
    """
    if ax is None:
        fig = Figure(figsize=(9, 5.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    c = LSTM_GATE_COLORS if colors is None else colors
    missing = set("ifgoc") - set(c)
    if missing:
        raise ValueError(f"lstm_cell_diagram: colors needs keys i, f, g, o, c; missing "
                         f"{sorted(missing)}")

    # The cell rail c_{t−1} → ⊙ f_t → + → c_t, thick: the additive path.
    ax.text(0.15, _C_Y, "$c_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(9.85, _C_Y, "$c_t$", ha="left", va="center", fontsize=13)
    for x0, x1 in ((0.25, _F_X - 0.22), (_F_X + 0.22, _ADD_X - 0.22), (_ADD_X + 0.22, 9.75)):
        ax.plot([x0, x1], [_C_Y, _C_Y], color=c["c"], lw=3.2, zorder=1,
                solid_capstyle="butt")
    ax.annotate("", xy=(9.75, _C_Y), xytext=(9.4, _C_Y),
                arrowprops=dict(arrowstyle="-|>", color=c["c"], lw=2, mutation_scale=14))
    ax.text(0.4, _C_Y + 0.3, "cell path: $\\partial c_t / \\partial c_{t-1} = "
            "\\mathrm{diag}(f_t)$", fontsize=9, color=c["c"])

    # The input bus [x_t, h_{t−1}].
    ax.text(0.15, _BUS_Y, "$h_{t-1}$", ha="right", va="center", fontsize=13)
    _wire(ax, [(0.25, _BUS_Y), (_O_X, _BUS_Y)], arrow=False)
    ax.text(1.4, -0.25, "$x_t$", ha="center", va="top", fontsize=13)
    _wire(ax, [(1.4, -0.2), (1.4, _BUS_Y)], arrow=False)
    ax.text(1.55, _BUS_Y + 0.12, "$x_t,\\ h_{t-1}$", fontsize=9, va="bottom", color="#555")

    # Four blocks, each σ or tanh of (W_i· x_t + b_i· + W_h· h_{t−1} + b_h·).
    for x, g, f in ((_F_X, "f", "σ"), (_I_X, "i", "σ"), (_G_X, "g", "tanh"), (_O_X, "o", "σ")):
        _wire(ax, [(x, _BUS_Y), (x, 1.5)])
        _box(ax, (x, 1.8), f, c[g], width=1.0 if f == "tanh" else 0.9)
        ax.text(x + 0.55, 2.2, f"${g}_t$", fontsize=12, color=c[g], weight="bold")

    # c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t.
    _wire(ax, [(_F_X, 2.1), (_F_X, _C_Y - 0.22)], c["f"])
    _node(ax, (_F_X, _C_Y), "⊙")
    _wire(ax, [(_I_X, 2.1), (_I_X, 3.4), (_G_X - 0.22, 3.4)], c["i"])
    _wire(ax, [(_G_X, 2.1), (_G_X, 3.18)], c["g"])
    _node(ax, (_G_X, 3.4), "⊙")
    _wire(ax, [(_G_X, 3.62), (_G_X, _C_Y - 0.22)])
    _node(ax, (_ADD_X, _C_Y), "+")
    ax.text(_G_X + 0.3, 4.1, "$i_t \\odot g_t$", fontsize=9, color="#555")

    # h_t = o_t ⊙ tanh(c_t), which leaves the cell and feeds the next step's blocks.
    _wire(ax, [(_TANH_X, _C_Y), (_TANH_X, 4.3)])
    _box(ax, (_TANH_X, 4.0), "tanh", "#7f7f7f", width=1.0)
    _wire(ax, [(_TANH_X, 3.7), (_TANH_X, 3.22)])
    _wire(ax, [(_O_X, 2.1), (_O_X, 3.0), (_TANH_X - 0.22, 3.0)], c["o"])
    _node(ax, (_TANH_X, 3.0), "⊙")
    _wire(ax, [(_TANH_X + 0.22, 3.0), (9.75, 3.0)])
    ax.text(9.85, 3.0, "$h_t$", ha="left", va="center", fontsize=13)
    ax.text(8.5, 2.35, "to the next step's\nfour blocks", fontsize=8.5, color="#555",
            ha="left")

    ax.set_title(_LSTM_TITLE if title is None else title, fontsize=11)
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(-0.8, 5.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def lstm_gru_diagrams() -> Figure:
    """The LSTM (left, :data:`LSTM_PAIRED_COLORS`) and PyTorch's GRU (right) side by side,
    one ``Figure``: the same colour marks the parts that do the same job (chapter 4)."""
    fig = Figure(figsize=(14, 4.6), layout="constrained")
    ax_l, ax_g = fig.subplots(1, 2)
    lstm_cell_diagram(ax=ax_l, colors=LSTM_PAIRED_COLORS,
                      title="LSTM cell (torch.nn.LSTMCell: gates i | f | g | o, no peepholes)")
    gru_cell_diagram(reset_after=True, ax=ax_g)
    ax_g.set_title("GRU cell (torch.nn.GRUCell: gates r | z | n, reset after the product)",
                   fontsize=11)
    return fig


__all__ += ["LSTM_GATE_COLORS", "LSTM_PAIRED_COLORS", "lstm_cell_diagram", "lstm_gru_diagrams"]
