r"""Chapter 1 demo: how fast the initial state is forgotten by an RNN, a GRU and an LSTM.

For each cell the figure shows :math:`\|\partial s_t / \partial s_0\|_2` against :math:`t`
(mean over a few seeded input sequences, log scale; ``utils.gradients.gradient_norms``), with
the line :math:`\rho^t` that the eigenvalue argument predicts for the linear RNN. Controls:

- the spectral radius :math:`\rho` of every recurrent block :math:`W_{h\cdot}`,
- the bias :math:`b` of the gate that keeps the old state (LSTM forget gate :math:`f_t`, GRU
  update gate :math:`z_t`; the RNN has no such gate), on a fine grid: the reader finds where
  the GRU overtakes the RNN and where the LSTM's gradient starts to grow.

``vanishing_explorer(mode=None)`` is the widget; ``vanishing_demo()`` the ``Demo`` behind it;
``vanishing_data(spectral_radius, gate_bias)`` the measurements (cached per process).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from utils.gradients import GradientNorms, gradient_norms
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "CELLS",
    "GATE_BIASES",
    "SEQ_LEN",
    "SIZES",
    "SPECTRAL_RADII",
    "Y_LIM",
    "vanishing_data",
    "vanishing_demo",
    "vanishing_explorer",
    "vanishing_table",
]

SPECTRAL_RADII: tuple[float, ...] = (0.5, 1.0, 1.5)
SEQ_LEN: int = 100
GATE_BIASES: tuple[float, ...] = (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
# kind -> (name, colour)
CELLS: dict[str, tuple[str, str]] = {
    "rnn": ("RNN (tanh)", "#7f7f7f"),
    "gru": ("GRU", "#1f77b4"),
    "lstm": ("LSTM", "#d62728"),
}
# The y axis is fixed (the axes are drawn once); values outside are drawn on its edge.
Y_LIM: tuple[float, float] = (1e-24, 1e12)
# Small and quick: a few seconds for every position, on 2 CPU cores.
SIZES: dict[str, int] = {"hidden_size": 16, "input_size": 8, "n_samples": 4}


@functools.cache
def _measure(kind: str, spectral_radius: float, gate_bias: float) -> GradientNorms:
    # One thread: the cells are tiny, and a second thread only adds overhead (about 2x
    # slower on a busy 2-core machine, mostly in the QR that draws the recurrent blocks).
    with _one_thread():
        return _gradient_norms(kind, spectral_radius, gate_bias)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _gradient_norms(kind: str, spectral_radius: float, gate_bias: float) -> GradientNorms:
    return gradient_norms(kind, seq_len=SEQ_LEN, spectral_radius=spectral_radius,
                          gate_bias=gate_bias, seed=0, **SIZES)


def vanishing_data(spectral_radius: float, gate_bias: float) -> dict[str, GradientNorms]:
    """Gradient norms of the RNN, GRU and LSTM up to ``SEQ_LEN`` steps (seed 0).

    The GRU and the LSTM get ``gate_bias``; the RNN has no gate. Cached per process: the
    static build and the live widget measure each cell and position once.
    """
    return {kind: _measure(kind, spectral_radius, 0.0 if kind == "rnn" else gate_bias)
            for kind in CELLS}


def _on_axis(values: np.ndarray) -> np.ndarray:
    """Values clipped into ``Y_LIM`` (0, inf and nan too), so a log axis can draw them."""
    low, high = Y_LIM
    return np.clip(np.nan_to_num(values, nan=low, posinf=high, neginf=low), low, high)


def _fmt(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}" if (x < 1e-2 or x >= 1e3) else f"{x:.2f}"


TABLE_CSS = """
.gru-vg table { border-collapse: collapse; font-size: 0.9em; }
.gru-vg th, .gru-vg td { padding: 2px 8px; border-bottom: 1px solid #ccc; text-align: right; }
.gru-vg th:first-child, .gru-vg td:first-child { text-align: left; font-weight: bold; }
"""


def vanishing_table(spectral_radius: float, gate_bias: float) -> str:
    """HTML table: for each cell, the factor per step, the gate at rest and the norm at T."""
    data = vanishing_data(spectral_radius, gate_bias)
    gate = 1.0 / (1.0 + np.exp(-gate_bias))
    head = "".join(f"<th>{t}</th>" for t in (
        "cell", "factor per step", "keep gate at rest, σ(b)",
        f"‖∂s<sub>T</sub>/∂s<sub>0</sub>‖ at T = {SEQ_LEN}"))
    rows = [f"<tr><td>linear RNN, ρ<sup>t</sup></td><td>{spectral_radius:.2f}</td><td>–</td>"
            f"<td>{_fmt(spectral_radius**SEQ_LEN)}</td></tr>"]
    for kind, (name, colour) in CELLS.items():
        result = data[kind]
        label = name if kind == "rnn" else f"{name}, b = {gate_bias:g}"
        rest = "–" if kind == "rnn" else f"{gate:.2f}"
        rows.append(f"<tr><td style='color:{colour}'>{label}</td><td>{result.rate():.2f}</td>"
                    f"<td>{rest}</td><td>{_fmt(result.mean[-1])}</td></tr>")
    return f"<div class='gru-vg'><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _setup_figure(fig: Figure, spectral_radius: float, gate_bias: float) -> Callable[..., None]:
    """Draw the axes once; return ``update(spectral_radius, gate_bias)``."""
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.88)
    ax = fig.add_subplot()
    ax.set_yscale("log")
    ax.set_ylim(*Y_LIM)
    ax.set_xlim(0, SEQ_LEN)
    ax.set_yticks([10.0**k for k in range(-24, 13, 6)])
    ax.set_xlabel(r"$t$ (steps between $s_0$ and $s_t$)")
    ax.set_ylabel(r"$\|\partial s_t / \partial s_0\|_2$ (no unit)")
    ax.set_title("Gradient reaching the initial state (mean of "
                 f"{SIZES['n_samples']} sequences, H = {SIZES['hidden_size']})", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.axhline(1.0, color="black", lw=0.6, alpha=0.5)
    lines = {kind: ax.plot([], [], color=colour, lw=1.8, animated=True)[0]
             for kind, (_, colour) in CELLS.items()}
    (theory,) = ax.plot([], [], ":", color="black", lw=1.2, animated=True)
    (gate_line,) = ax.plot([], [], "--", color="#2ca02c", lw=1.2, animated=True)
    note = ax.text(0.98, 0.04, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                   animated=True)
    handles = [Line2D([], [], color=c, lw=1.8, label=n) for n, c in CELLS.values()]
    handles.append(Line2D([], [], ls=":", color="black", lw=1.2, label=r"$\rho^t$ (linear RNN)"))
    handles.append(Line2D([], [], ls="--", color="#2ca02c", lw=1.2,
                          label=r"$\sigma(b)^t$ (cell path alone)"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    t = np.arange(SEQ_LEN + 1)

    def update(spectral_radius: float, gate_bias: float) -> None:
        data = vanishing_data(spectral_radius, gate_bias)
        for kind, line in lines.items():
            line.set_data(t, _on_axis(data[kind].mean))
        theory.set_data(t, _on_axis(spectral_radius ** t.astype(float)))
        gate = 1.0 / (1.0 + np.exp(-gate_bias))
        gate_line.set_data(t, _on_axis(gate ** t.astype(float)))
        note.set_text(f"ρ = {spectral_radius:g}, gate bias b = {gate_bias:g}, σ(b) = {gate:.2f}\n"
                      f"(values beyond the axis are drawn on its edge)")

    return update


def vanishing_demo() -> Demo:
    """The ``Demo`` behind ``vanishing_explorer``: 10 biases × 3 radii, figure and table."""
    return Demo(
        controls={
            "spectral_radius": Choice(SPECTRAL_RADII, value=1.0, widget="toggle",
                                      description="spectral radius ρ of W_hh",
                                      labels=[f"{r:g}" for r in SPECTRAL_RADII]),
            "gate_bias": Choice(GATE_BIASES, value=0.0,
                                description="forget / update gate bias b",
                                labels=[f"{b:g}" for b in GATE_BIASES]),
        },
        setup=_setup_figure,
        render=vanishing_table,
        css=TABLE_CSS,
        budget_bytes=700_000,
    )


def vanishing_explorer(mode: Mode | None = None) -> DemoWidget:
    """Gradient norm against time for an RNN, a GRU and an LSTM, as the gate bias b and ρ vary.

    Args:
        mode: ``"live"`` or ``"static"``; default ``utils.widgets.get_mode()``.

    Returns:
        The widget (displays nothing: show it as a cell's last expression).
    """
    return vanishing_demo().build(mode)
