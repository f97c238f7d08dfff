r"""Chapter 3 demos: the update as an interpolation, and gradient flow over long spans.

**Interpolation explorer** (``interpolation_explorer``). Two units with update gates
:math:`z_0, z_1` (sliders). Left: one step, :math:`h_t = z \odot h_{t-1} + (1 - z) \odot n_t`
in the plane of the two units: :math:`h_t` slides along the segment from :math:`n_t` to
:math:`h_{t-1}` when :math:`z_0 = z_1` and leaves it (inside the rectangle with those
corners) when they differ. Right: each unit's answer to a pulse (candidate 1 at step 1, then
0) with the gate held constant, :math:`h_t = (1 - z) z^{t-1}`, its half-life
:math:`\ln(1/2)/\ln z` marked.

**Gradient-flow explorer** (``gradient_flow_explorer``). The update-gate bias of a GRU (the
same value as the LSTM's forget-gate bias) and the spectral radius of every recurrent block
(sliders) → :math:`\|\partial s_t / \partial s_0\|_2` against the span :math:`t` for a tanh
RNN, a GRU and an LSTM (``utils.flow.flow_grid``), with the GRU's highway-only product
:math:`\max_i \prod_t z_{t,i}`. The span is the x axis (0 to ``SPAN`` steps) rather than a
third slider: a third slider of 9 positions would multiply the static frames by 9.

Builders return a widget and display nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from utils.flow import flow_grid
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "Z_VALUES", "H_PREV", "N_T", "PULSE_STEPS", "interpolation_demo", "interpolation_explorer",
    "GATE_BIASES", "SCALES", "SPAN", "SIZES", "flow_data", "gradient_flow_demo",
    "gradient_flow_explorer",
]

Z_VALUES: tuple[float, ...] = (0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99)
H_PREV = np.array([-0.6, 0.5])  # h_{t-1} of the two units
N_T = np.array([0.7, -0.4])  # the candidate n_t
PULSE_STEPS = 120
UNIT_COLORS = ("#1f77b4", "#d62728")

CSS = """
.gru-c3 table { border-collapse: collapse; font-size: 0.85em; }
.gru-c3 th, .gru-c3 td { padding: 1px 8px; border-bottom: 1px solid #ccc; text-align: right; }
.gru-c3 td:first-child, .gru-c3 th:first-child { text-align: left; }
"""


def _half_life(z: float) -> float:
    return float(np.log(0.5) / np.log(z))


def _z_choice(unit: int) -> Choice:
    return Choice(Z_VALUES, value=0.9 if unit == 0 else 0.6, labels=[f"{z:g}" for z in Z_VALUES],
                  description=f"update gate z of unit {unit}")


def interpolation_demo() -> Demo:
    """The ``Demo`` behind :func:`interpolation_explorer`: 9 × 9 positions of ``(z0, z1)``."""
    t = np.arange(PULSE_STEPS + 1)

    def setup(fig: Figure, z0: float, z1: float) -> Callable[..., None]:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.88, wspace=0.3)
        ax_p, ax_t = fig.subplots(1, 2, width_ratios=[1, 1.5])
        ax_p.add_patch(Rectangle(np.minimum(H_PREV, N_T), *np.abs(N_T - H_PREV),
                                 color="#2ca02c", alpha=0.12))
        ax_p.plot(*np.c_[H_PREV, N_T], color="#2ca02c", lw=1.2)
        ax_p.plot(*H_PREV, "o", color="gray", ms=7)
        ax_p.plot(*N_T, "o", color="#ff7f0e", ms=7)
        ax_p.annotate("$h_{t-1}$", H_PREV, xytext=(-6, 8), textcoords="offset points",
                      fontsize=9)
        ax_p.annotate("$n_t$", N_T, xytext=(6, -4), textcoords="offset points", fontsize=9)
        (point,) = ax_p.plot([], [], "s", color="black", ms=7, animated=True)
        ax_p.set(xlim=(-1, 1), ylim=(-1, 1), aspect="equal", xlabel="unit 0", ylabel="unit 1",
                 title="one step: $h_t$ (black)")
        ax_t.axhline(0.5, color="black", lw=0.5, ls=":")
        curves = [ax_t.plot([], [], color=c, lw=1.6, animated=True)[0] for c in UNIT_COLORS]
        marks = [ax_t.axvline(0, color=c, lw=1, ls="--", animated=True) for c in UNIT_COLORS]
        ax_t.set(xlim=(0, PULSE_STEPS), ylim=(0, 1.02), xlabel="step t (pulse at t = 1)",
                 ylabel="$h_t / h_1$ (no unit)", title="memory of a pulse, constant z")
        ax_t.legend(handles=[Line2D([], [], color=c, label=f"unit {i}")
                             for i, c in enumerate(UNIT_COLORS)]
                    + [Line2D([], [], color="gray", ls="--", label="half-life")],
                    fontsize=8, frameon=False, loc="upper right")

        def update(z0: float, z1: float) -> None:
            point.set_data([z0 * H_PREV[0] + (1 - z0) * N_T[0]],
                           [z1 * H_PREV[1] + (1 - z1) * N_T[1]])
            for curve, mark, zi in zip(curves, marks, (z0, z1)):
                kept = np.where(t >= 1, zi ** np.maximum(t - 1, 0), 0.0)  # h_t / h_1
                curve.set_data(t, kept)
                mark.set_xdata([1 + _half_life(zi)] * 2)

        return update

    def render(z0: float, z1: float) -> str:
        rows = []
        for i, zi in enumerate((z0, z1)):
            h_t = zi * H_PREV[i] + (1 - zi) * N_T[i]
            rows.append(f"<tr><td>unit {i}</td><td>{zi:g}</td><td>{_half_life(zi):.1f}</td>"
                        f"<td>{np.log(zi / (1 - zi)):+.2f}</td><td>{h_t:+.3f}</td>"
                        f"<td>{abs(h_t - H_PREV[i]):.3f}</td></tr>")
        on = "on the segment" if z0 == z1 else "off the segment (one z per unit)"
        return ("<div class='gru-c3'><table><tr><th></th><th>z</th><th>half-life (steps)</th>"
                "<th>bias b<sub>z</sub></th><th>h<sub>t</sub></th>"
                "<th>|h<sub>t</sub> − h<sub>t−1</sub>|</th></tr>"
                f"{''.join(rows)}</table><p>h<sub>t</sub> is {on}.</p></div>")

    return Demo(controls={"z0": _z_choice(0), "z1": _z_choice(1)}, setup=setup, render=render,
                css=CSS, figsize=(7.0, 2.8), dpi=60, colors=6, quantize="median",
                budget_bytes=950_000)


def interpolation_explorer(mode: Mode | None = None) -> DemoWidget:
    """Sliders for two units' update gates → one step in 2-D and the memory of a pulse."""
    return interpolation_demo().build(mode)


# ---------------------------------------------------------------------- gradient flow

GATE_BIASES: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
SCALES: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
SPAN = 200
SIZES: dict[str, int] = {"hidden_size": 16, "input_size": 8, "n_samples": 3}
Y_LIM = (1e-16, 1e8)
CELLS = {"rnn": ("tanh RNN", "#7f7f7f"), "gru": ("GRU", "#1f77b4"),
         "lstm": ("LSTM", "#d62728")}


def flow_data(scale: float) -> dict[str, object]:
    """``flow_grid`` for the three cells at one spectral radius (every bias of the slider)."""
    return {"rnn": flow_grid("rnn", scale, (0.0,), seq_len=SPAN, **SIZES),
            "gru": flow_grid("gru", scale, GATE_BIASES, seq_len=SPAN, **SIZES),
            "lstm": flow_grid("lstm", scale, GATE_BIASES, seq_len=SPAN, **SIZES)}


def _curves(gate_bias: float, scale: float) -> dict[str, np.ndarray]:
    d = flow_data(scale)
    gru, lstm = d["gru"], d["lstm"]
    b = gru.at(gate_bias)
    return {"rnn": d["rnn"].total[0].mean(axis=0), "gru": gru.total[b].mean(axis=0),
            "lstm": lstm.total[lstm.at(gate_bias)].mean(axis=0),
            "highway": gru.highway[b].mean(axis=0), "z_mean": gru.z_mean[b]}


def _on_axis(v: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(v, nan=Y_LIM[0], posinf=Y_LIM[1]), *Y_LIM)


def _fmt(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}" if (x < 1e-2 or x >= 1e3) else f"{x:.2f}"


def gradient_flow_demo() -> Demo:
    """The ``Demo`` behind :func:`gradient_flow_explorer`: 9 biases × 9 spectral radii."""
    t = np.arange(SPAN + 1)

    def setup(fig: Figure, gate_bias: float, scale: float) -> Callable[..., None]:
        fig.subplots_adjust(left=0.11, right=0.98, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        ax.set_yscale("log")
        ax.set(xlim=(0, SPAN), ylim=Y_LIM, xlabel="span t (steps back)",
               ylabel="$\\|\\partial s_t / \\partial s_0\\|_2$ (no unit)")
        ax.set_yticks([10.0**k for k in range(-16, 9, 4)])
        ax.grid(True, alpha=0.3)
        ax.axhline(1.0, color="black", lw=0.6)
        lines = {k: ax.plot([], [], color=c, lw=1.8, animated=True)[0]
                 for k, (_, c) in CELLS.items()}
        (highway,) = ax.plot([], [], color=CELLS["gru"][1], ls=":", lw=1.8, animated=True)
        title = ax.set_title("", fontsize=9, animated=True)
        ax.legend(handles=[Line2D([], [], color=c, lw=1.8, label=n) for n, c in CELLS.values()]
                  + [Line2D([], [], color=CELLS["gru"][1], ls=":", lw=1.8,
                            label="GRU highway only, $\\max_i \\prod z$")],
                  fontsize=8, frameon=False, loc="lower left")

        def update(gate_bias: float, scale: float) -> None:
            c = _curves(gate_bias, scale)
            for k, line in lines.items():
                line.set_data(t, _on_axis(c[k]))
            highway.set_data(t, _on_axis(c["highway"]))
            title.set_text(f"gate bias b = {gate_bias:g} (GRU z, LSTM f), spectral radius "
                           f"ρ = {scale:g}; GRU mean z = {c['z_mean']:.2f}")

        return update

    def render(gate_bias: float, scale: float) -> str:
        c = _curves(gate_bias, scale)
        spans = (10, 50, 100, SPAN)
        head = "".join(f"<th>t = {s}</th>" for s in spans)
        rows = "".join(f"<tr><td>{name}</td>" + "".join(f"<td>{_fmt(c[k][s])}</td>"
                                                        for s in spans) + "</tr>"
                       for k, (name, _) in CELLS.items())
        share = "".join(f"<td>{_fmt(c['highway'][s])}</td>" for s in spans)
        return (f"<div class='gru-c3'><table><tr><th>‖∂s<sub>t</sub>/∂s<sub>0</sub>‖</th>"
                f"{head}</tr>{rows}<tr><td>GRU highway only</td>{share}</tr></table></div>")

    return Demo(
        controls={"gate_bias": Choice(GATE_BIASES, value=0.0, labels=[f"{b:g}" for b in
                                                                      GATE_BIASES],
                                      description="update / forget gate bias b"),
                  "scale": Choice(SCALES, value=1.0, labels=[f"{s:g}" for s in SCALES],
                                  description="spectral radius ρ of W_h·")},
        setup=setup, render=render, css=CSS, figsize=(6.6, 3.2), dpi=60, colors=10,
        budget_bytes=850_000)


def gradient_flow_explorer(mode: Mode | None = None) -> DemoWidget:
    """Sliders for the gate bias and the recurrent weight scale → gradient norm vs span."""
    return gradient_flow_demo().build(mode)
