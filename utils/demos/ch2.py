r"""Chapter 2 demos: the gates of one GRU step, and the gates a trained GRU learned.

**Gate explorer** (``gate_explorer``). One step of a GRU with ``H_in = H = 3`` on the
chapter's example, ``x_t = [0.5, −0.3, 0.8]``, ``h_{t−1} = [0.2, 0.4, −0.1]``. Two sliders add
an offset to the pre-activation of every unit of a gate,

.. math:: r_t = \sigma(a^r_t + \Delta_r), \qquad z_t = \sigma(a^z_t + \Delta_z),

(``utils.conventions.with_gate_offsets``: the offset goes into ``b_hr`` and ``b_hz``), and
the figure shows ``r_t`` and ``z_t`` next to ``h_{t−1}``, the candidate ``n_t`` and the
blend ``h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}``: ``Δ_z → +∞`` copies ``h_{t−1}``,
``Δ_z → −∞`` takes ``n_t``; ``Δ_r → −∞`` builds ``n_t`` without ``W_hn h_{t−1}``.

**Learned-gate viewer** (``learned_gate_viewer``). Heatmaps of ``r_t`` and ``z_t`` of a GRU
trained on the reset-sum task (``utils.gates``), for nine held-out sequences, marker steps
outlined, and below them the forgetting itself: ``‖∂y_t/∂h_{t−1}‖``
(``utils.gates.readout_sensitivity``) of that GRU and, if given, of one trained with its
reset gate held open. The default model is cached in memory (trained once per process).

Builders return a widget and display nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from utils.conventions import cell_from_params, check_params, with_gate_offsets
from utils.diagrams import GATE_COLORS
from utils.gates import (
    gate_heatmaps_setup,
    learned_gates,
    readout_sensitivity,
    reset_sum,
    train_reset_sum,
)
from utils.numpy_cells import GRUCell
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "EXAMPLE_X",
    "EXAMPLE_H",
    "OFFSETS",
    "example_params",
    "gate_step",
    "gate_explorer_demo",
    "gate_explorer",
    "learned_gate_viewer_demo",
    "learned_gate_viewer",
]

EXAMPLE_X = (0.5, -0.3, 0.8)  # x_t, H_in = 3
EXAMPLE_H = (0.2, 0.4, -0.1)  # h_{t−1}, H = 3
# Δ added to a gate's pre-activation: nine positions, denser near 0 where σ changes most
OFFSETS: tuple[float, ...] = (-8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0)

TABLE_CSS = """
.gru-ge table { border-collapse: collapse; font-size: 0.85em; }
.gru-ge th, .gru-ge td { padding: 1px 8px; border-bottom: 1px solid #ccc; text-align: right; }
.gru-ge td:first-child, .gru-ge th:first-child { text-align: left; }
.gru-ge p { margin: 4px 0; font-size: 0.85em; }
"""


def example_params(seed: int = 0) -> dict[str, np.ndarray]:
    """The chapter's worked-example weights: ``GRUCell(3, 3, rng=default_rng(seed))``."""
    return GRUCell(3, 3, rng=np.random.default_rng(seed)).parameters()


def gate_step(params: Mapping[str, ArrayLike], x: ArrayLike, h_prev: ArrayLike, *,
              r_offset: float = 0.0, z_offset: float = 0.0) -> dict[str, np.ndarray]:
    """One step with the gate pre-activations shifted; returns ``r, z, n, h`` each ``(N, H)``.

    ``h`` is ``h_t``. Shapes: ``x (N, H_in)``, ``h_prev (N, H)``; the parameters in
    PyTorch's layout (r | z | n).
    """
    cell = cell_from_params(with_gate_offsets(params, r=r_offset, z=z_offset))
    h_t, gates = cell.step(x, h_prev, return_gates=True)
    return {**gates, "h": h_t}


def _offset_choice(gate: str) -> Choice:
    labels = [f"{d:+g}" if d else "0" for d in OFFSETS]
    return Choice(OFFSETS, value=0.0, labels=labels,
                  description=f"offset Δ_{gate} on the {'reset' if gate == 'r' else 'update'} "
                              "gate")


def gate_explorer_demo(params: Mapping[str, ArrayLike] | None = None,
                       x: ArrayLike = EXAMPLE_X, h_prev: ArrayLike = EXAMPLE_H) -> Demo:
    """The ``Demo`` behind :func:`gate_explorer`: 9 × 9 positions of ``(Δ_r, Δ_z)``."""
    p, H_in, H = check_params(example_params() if params is None else params,
                              where="gate_explorer")
    x = np.asarray(x, dtype=np.float64).reshape(1, H_in)  # (1, H_in)
    h_prev = np.asarray(h_prev, dtype=np.float64).reshape(1, H)  # (1, H)
    units = np.arange(H)

    def setup(fig: Figure, r_offset: float, z_offset: float) -> Callable[..., None]:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.8, wspace=0.28)
        ax_g, ax_s = fig.subplots(1, 2, width_ratios=[1, 1.6])
        width = 0.36
        bars_r = ax_g.bar(units - width / 2, np.zeros(H), width, color=GATE_COLORS["r"],
                          label="$r_t$", animated=True)
        bars_z = ax_g.bar(units + width / 2, np.zeros(H), width, color=GATE_COLORS["z"],
                          label="$z_t$", animated=True)
        ax_g.set(ylim=(0, 1.3), yticks=np.linspace(0, 1, 6), xticks=units,
                 xticklabels=[f"unit {i}" for i in units], ylabel="gate value", title="gates")
        ax_g.axhline(1, color="black", lw=0.6, ls=":")  # the legend sits above σ's ceiling
        ax_g.legend(loc="upper center", ncols=2, fontsize=8, frameon=False)
        w = 0.27
        ax_s.bar(units - w, h_prev[0], w, color="#aaaaaa", label="$h_{t-1}$")
        bars_n = ax_s.bar(units, np.zeros(H), w, color=GATE_COLORS["n"], label="$n_t$",
                          animated=True)
        bars_h = ax_s.bar(units + w, np.zeros(H), w, color="black", label="$h_t$",
                          animated=True)
        ax_s.axhline(0, color="black", lw=0.6)
        ax_s.set(ylim=(-1.05, 1.05), xticks=units,
                 xticklabels=[f"unit {i}" for i in units], ylabel="state value",
                 title="$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$")
        ax_s.legend(loc="lower left", ncols=3, fontsize=8, frameon=False)
        note = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=9, animated=True)

        def update(r_offset: float, z_offset: float) -> None:
            g = gate_step(p, x, h_prev, r_offset=r_offset, z_offset=z_offset)
            for bars, key in ((bars_r, "r"), (bars_z, "z"), (bars_n, "n"), (bars_h, "h")):
                for bar, value in zip(bars, g[key][0]):
                    bar.set_height(value)
            note.set_text(f"Δ_r = {r_offset:+g}, Δ_z = {z_offset:+g}:  mean r_t = "
                          f"{g['r'].mean():.3f}, mean z_t = {g['z'].mean():.3f}")

        return update

    def render(r_offset: float, z_offset: float) -> str:
        g = gate_step(p, x, h_prev, r_offset=r_offset, z_offset=z_offset)
        rows = "".join(
            f"<tr><td>unit {i}</td><td>{h_prev[0, i]:+.4f}</td><td>{g['r'][0, i]:.4f}</td>"
            f"<td>{g['z'][0, i]:.4f}</td><td>{g['n'][0, i]:+.4f}</td>"
            f"<td>{g['h'][0, i]:+.4f}</td></tr>"
            for i in units
        )
        to_old = np.abs(g["h"] - h_prev).max()
        to_new = np.abs(g["h"] - g["n"]).max()
        return (
            "<div class='gru-ge'><table><tr><th></th><th>h<sub>t−1</sub></th>"
            "<th>r<sub>t</sub></th><th>z<sub>t</sub></th><th>n<sub>t</sub></th>"
            f"<th>h<sub>t</sub></th></tr>{rows}</table>"
            f"<p>max |h<sub>t</sub> − h<sub>t−1</sub>| = {to_old:.2e}, "
            f"max |h<sub>t</sub> − n<sub>t</sub>| = {to_new:.2e}</p></div>"
        )

    return Demo(
        controls={"r_offset": _offset_choice("r"), "z_offset": _offset_choice("z")},
        setup=setup,
        render=render,
        css=TABLE_CSS,
        figsize=(7.2, 3.0),
        dpi=80,
        colors=16,
        budget_bytes=1_000_000,
    )


def gate_explorer(params: Mapping[str, ArrayLike] | None = None, x: ArrayLike = EXAMPLE_X,
                  h_prev: ArrayLike = EXAMPLE_H, *, mode: Mode | None = None) -> DemoWidget:
    """Sliders for offsets on the reset and update gates → bars of ``r_t, z_t, n_t, h_t``.

    Args:
        params: GRU parameters in PyTorch's layout (``weight_ih (3H, H_in)`` ...); default
            :func:`example_params` (the chapter's seeded example).
        x: ``x_t``, ``H_in`` values. h_prev: ``h_{t−1}``, ``H`` values.
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.
    """
    return gate_explorer_demo(params, x, h_prev).build(mode)


# ----------------------------------------------------------------------------- learned gates

VIEWER_EXAMPLES = 9  # held-out sequences the viewer offers
VIEWER_T = 24


@functools.cache
def _default_model() -> Any:
    """The model the chapter trains (``train_reset_sum()`` defaults), trained once."""
    model, _ = train_reset_sum(progress=False)
    return model


def learned_gate_viewer_demo(model: Any = None, *, ablated: Any = None,
                             examples: int = VIEWER_EXAMPLES, seed: int = 1) -> Demo:
    """The ``Demo`` behind :func:`learned_gate_viewer`: one position per example sequence."""
    if model is None:
        model = _default_model()
    if isinstance(examples, bool) or not isinstance(examples, int) or not 1 <= examples <= 20:
        raise ValueError(f"examples must be an int in [1, 20], got {examples!r}")
    X, _ = reset_sum(VIEWER_T, 200, rng=np.random.default_rng(seed), p_reset=0.1,
                     as_numpy=True)  # (T, 200, 2)
    counts = X[..., 1].sum(axis=0)  # markers per sequence
    keep = np.flatnonzero((counts >= 1) & (counts <= 4))[:examples]  # informative sequences
    X = X[:, keep]  # (T, examples, 2)
    gates = learned_gates(model, X)  # computed once; frames only redraw
    traces = {"this GRU": readout_sensitivity(model, X)["total"]}
    if ablated is not None:
        traces["GRU with $r_t \\equiv 1$"] = readout_sensitivity(ablated, X)["total"]
    markers = X[..., 1].sum(axis=0).astype(int)
    labels = [f"sequence {i} ({m} marker{'s' if m != 1 else ''})"
              for i, m in enumerate(markers)]

    def setup(fig: Figure, example: int) -> Callable[[int], None]:
        return gate_heatmaps_setup(fig, gates, X, animated=True, traces=traces)

    return Demo(
        controls={"example": Choice(list(range(examples)), labels=labels, widget="dropdown",
                                    description="example")},
        setup=setup,
        figsize=(7.2, 5.6),
        dpi=80,
        colors=48,
        budget_bytes=700_000,
    )


def learned_gate_viewer(model: Any = None, *, ablated: Any = None,
                        examples: int = VIEWER_EXAMPLES, seed: int = 1,
                        mode: Mode | None = None) -> DemoWidget:
    """Heatmaps of a trained GRU's ``r_t`` and ``z_t`` on held-out reset-sum sequences,
    above ``‖∂y_t/∂h_{t−1}‖`` (how much the output still depends on the previous state).

    Args:
        model: a ``SequenceModel`` from ``utils.gates.train_reset_sum`` (default: trained once
            per process with the chapter's settings and cached).
        ablated: optionally a second model (e.g. ``train_reset_sum(reset_gate=False)``)
            whose ``‖∂y_t/∂h_{t−1}‖`` is drawn beside the first one's.
        examples: number of sequences offered (``T = 24``, markers with probability 0.1;
            the first sequences of a seeded batch with 1 to 4 markers).
        seed: seeds those sequences.
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.
    """
    return learned_gate_viewer_demo(model, ablated=ablated, examples=examples,
                                    seed=seed).build(mode)
