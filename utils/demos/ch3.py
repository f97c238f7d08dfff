r"""Chapter 3 demos: the update as an interpolation, and gradient flow over long spans.

**Interpolation explorer** (``interpolation_explorer``). A real two-unit
``torch.nn.GRUCell`` (:func:`interpolation_cell`: update gates near ``Z_UNITS`` at
:math:`h = 0`, recurrent weights :math:`W_{hz}` from PyTorch's initialisation, candidate held
at :math:`n_t`) runs from the previous state :math:`h_{t-1}` (slider, 9 positions) with the
candidate :math:`n_t` (slider, 9 positions). Left: the plane of the two units, the segment
and the rectangle with corners :math:`h_{t-1}` and :math:`n_t`, the first step :math:`h_t`
and the later steps. Right: each unit's measured distance to its candidate over the steps,
beside what a gate held at its value for :math:`h = 0` would give (the gate the cell used is
read back from its states by :func:`interpolation_run`). The right panel's title gives
each unit's half-life of the distance to :math:`n_t`, measured from the chosen
:math:`h_{t-1}`, beside the formula :math:`\ln(1/2) / \ln z` for its gate at :math:`h = 0`
(:func:`half_life_readout`).

The moving artists are drawn without anti-aliasing: the static frames' 12-colour palette
then holds every artist's colour exactly (``tests/test_demo_frames.py``).

**Gradient-flow data** (``flow_data``). The measurements behind chapter 3's gradient-flow
figures: :math:`\|\partial s_t / \partial s_0\|_2` against the span for a tanh RNN, a GRU
and an LSTM at one spectral radius, every gate bias of ``GATE_BIASES``. (An explorer over
bias and radius would repeat chapter 1's vanishing explorer, so chapter 3 has none.)

Builders return a widget and display nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from utils.flow import flow_grid
from utils.timescales import half_life, measured_half_life
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = [
    "H_PREVS", "N_TS", "Z_UNITS", "STEPS", "interpolation_cell", "interpolation_run",
    "half_life_readout",
    "interpolation_demo", "interpolation_explorer",
    "GATE_BIASES", "SPAN", "SIZES", "flow_data",
]

def _arc(radius: float, first_deg: float, last_deg: float) -> tuple[tuple[float, float], ...]:
    angles = np.radians(np.linspace(first_deg, last_deg, 9))
    return tuple((round(float(radius * np.cos(a)), 2), round(float(radius * np.sin(a)), 2))
                 for a in angles)


# h_{t-1} in the upper left, n_t in the lower right: no unit ever has h_{t-1,i} = n_{t,i}, so
# each unit's distance to its candidate is never 0 (the measured decay is defined everywhere).
H_PREVS = _arc(0.85, 100.0, 170.0)
N_TS = _arc(0.85, 280.0, 350.0)
Z_UNITS = np.array([0.9, 0.5])  # each unit's update gate at h = 0: sigma(b_z)
STEPS = 30
UNIT_COLORS = ("#1f77b4", "#d62728")
_W_HZ_SEED = 3  # PyTorch's init for the update gate's recurrent weights, from this seed

def _label(point: tuple[float, float]) -> str:
    return f"({point[0]:+.2f}, {point[1]:+.2f})"


def interpolation_cell() -> torch.nn.GRUCell:
    r"""The two-unit ``torch.nn.GRUCell`` the explorer runs (float64, one input, fed 0).

    Update gate: biases :math:`\ln\frac{z}{1 - z}` for ``Z_UNITS``, and recurrent weights
    :math:`W_{hz}` from PyTorch's initialisation :math:`\mathcal U(-1/\sqrt 2, 1/\sqrt 2)`,
    so that :math:`z_t` depends on :math:`h_{t-1}`. Every other weight and bias is 0, so the
    candidate is :math:`\tanh(b_{in})`, set by :func:`interpolation_run`.
    """
    cell = torch.nn.GRUCell(1, 2, dtype=torch.float64)
    g = torch.Generator().manual_seed(_W_HZ_SEED)
    with torch.no_grad():
        for p in cell.parameters():
            p.zero_()
        cell.weight_hh[2:4].uniform_(-2**-0.5, 2**-0.5, generator=g)  # W_hz (2, 2)
        cell.bias_ih[2:4] = torch.from_numpy(np.log(Z_UNITS / (1 - Z_UNITS)))
    return cell


def interpolation_run(h_prev: tuple[float, float], n_t: tuple[float, float],
                      steps: int = STEPS) -> dict[str, np.ndarray]:
    """Run :func:`interpolation_cell` from ``h_prev`` with the candidate held at ``n_t``.

    Returns ``h (steps + 1, 2)`` (row 0 is ``h_prev``), the candidate ``n (steps, 2)`` and
    the update gate ``z (steps, 2)`` the cell used at each step, read back from its states
    (:math:`z_t = (h_t - n_t) / (h_{t-1} - n_t)`), and each unit's measured half-life of the
    distance to the candidate (``utils.timescales.measured_half_life``).
    """
    cell = interpolation_cell()
    with torch.no_grad():
        cell.bias_ih[4:6] = torch.atanh(torch.tensor(n_t, dtype=torch.float64))
        h = torch.tensor([h_prev], dtype=torch.float64)  # (N = 1, H = 2)
        x = torch.zeros(1, 1, dtype=torch.float64)
        n = torch.tanh(cell.bias_ih[4:6])  # every other term of the candidate is 0
        states = [h[0]]
        for _ in range(steps):
            h = cell(x, h)
            states.append(h[0])
    H = torch.stack(states).numpy()  # (steps + 1, 2)
    n_np = np.broadcast_to(n.numpy(), (steps, 2)).copy()
    z = (H[1:] - n_np) / (H[:-1] - n_np)
    return {"h": H, "n": n_np, "z": z, "half_life": measured_half_life(H - n_np[0])}


def half_life_readout(run: dict[str, np.ndarray]) -> str:
    r"""The explorer's right-hand title: each unit's half-life of the distance to ``n_t``,
    measured in ``run`` (:func:`interpolation_run`), and the formula
    :math:`\ln(1/2) / \ln z` for the unit's gate at :math:`h = 0` (``Z_UNITS``)."""
    measured, formula = run["half_life"], half_life(Z_UNITS)
    return (f"half-life (steps) measured: unit 0 {measured[0]:.1f}, unit 1 {measured[1]:.1f}\n"
            f"formula ln(1/2) / ln z, z at h = 0: {formula[0]:.1f}, {formula[1]:.1f}")


def _position(options: tuple[tuple[float, float], ...], value: int, what: str) -> Choice:
    return Choice(options, value=options[value], labels=[_label(o) for o in options],
                  description=what)


def interpolation_demo() -> Demo:
    """The ``Demo`` behind :func:`interpolation_explorer`: 9 × 9 positions of ``h_{t-1}``
    and ``n_t``; the two-unit GRU (:func:`interpolation_cell`) runs from each."""
    t = np.arange(STEPS + 1)

    def setup(fig: Figure, h_prev: tuple, n_t: tuple) -> Callable[..., None]:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=0.3)
        ax_p, ax_t = fig.subplots(1, 2, width_ratios=[1, 1.5])
        box = ax_p.add_patch(Rectangle((0, 0), 1, 1, fill=False, ls="--", lw=1.2,
                                       color="#2ca02c", animated=True, antialiased=False))
        (segment,) = ax_p.plot([], [], color="#2ca02c", lw=1.5, animated=True, antialiased=False)
        (path,) = ax_p.plot([], [], color="#7f7f7f", lw=1, animated=True, antialiased=False)
        (prev,) = ax_p.plot([], [], "o", color="#7f7f7f", ms=7, animated=True, antialiased=False)
        (cand,) = ax_p.plot([], [], "o", color="#ff7f0e", ms=7, animated=True, antialiased=False)
        (first,) = ax_p.plot([], [], "s", color="black", ms=7, animated=True, antialiased=False)
        ax_p.set(xlim=(-1, 1), ylim=(-1, 1), aspect="equal", xlabel="unit 0", ylabel="unit 1",
                 title="$h_t$ (black) and later steps")
        prev_label = ax_p.text(0, 0, "$h_{t-1}$", fontsize=9, ha="right", va="bottom",
                               animated=True)
        cand_label = ax_p.text(0, 0, "$n_t$", fontsize=9, ha="left", va="top", animated=True)
        ax_t.set_yscale("log")
        # few ticks: every frame re-encodes the axes, which weigh more than the curves
        ax_t.set_yticks([1.0, 1e-2, 1e-4])
        ax_t.minorticks_off()
        ax_p.set_xticks([-1, 0, 1])
        ax_p.set_yticks([-1, 0, 1])
        ax_t.axhline(0.5, color="black", lw=0.5, ls=":")
        measured = [ax_t.plot([], [], color=c, lw=1.6, animated=True,
                            antialiased=False)[0] for c in UNIT_COLORS]
        steady = [ax_t.plot([], [], color=c, lw=1, ls="--", animated=True, antialiased=False)[0]
                  for c in UNIT_COLORS]
        ax_t.set(xlim=(0, STEPS), ylim=(1e-4, 1.5), xlabel="step after $h_{t-1}$",
                 ylabel="$|h_i - n_i| \\,/\\, |h_{t-1,i} - n_i|$")
        lives = ax_t.set_title("", fontsize=8, animated=True)
        ax_t.legend(handles=[Line2D([], [], color=c, label=f"unit {i}, z ≈ {Z_UNITS[i]:g}")
                             for i, c in enumerate(UNIT_COLORS)]
                    + [Line2D([], [], color="black", ls="--", lw=1, label="z fixed")],
                    fontsize=8, frameon=False, loc="lower right")

        def update(h_prev: tuple, n_t: tuple) -> None:
            run = interpolation_run(h_prev, n_t)
            hp, n = np.asarray(h_prev), np.asarray(n_t)
            box.set_xy(np.minimum(hp, n))
            box.set_width(abs(n[0] - hp[0]))
            box.set_height(abs(n[1] - hp[1]))
            segment.set_data(*np.c_[hp, n])
            path.set_data(run["h"][:, 0], run["h"][:, 1])
            prev.set_data([hp[0]], [hp[1]])
            prev_label.set_position((hp[0] - 0.04, hp[1] + 0.04))
            cand_label.set_position((n[0] + 0.04, n[1] - 0.04))
            cand.set_data([n[0]], [n[1]])
            first.set_data([run["h"][1, 0]], [run["h"][1, 1]])
            distance = np.abs(run["h"] - n) / np.abs(hp - n)  # (steps + 1, 2)
            for i in range(2):
                measured[i].set_data(t, distance[:, i])
                steady[i].set_data(t, Z_UNITS[i] ** t)
            lives.set_text(half_life_readout(run))

        return update

    return Demo(controls={"h_prev": _position(H_PREVS, 4, "previous state h_{t−1}"),
                          "n_t": _position(N_TS, 4, "candidate n_t")},
                setup=setup, figsize=(7.0, 2.8), dpi=60, colors=12,
                quantize="median", budget_bytes=800_000)


def interpolation_explorer(mode: Mode | None = None) -> DemoWidget:
    """Sliders for a two-unit GRU's previous state and candidate → its steps, measured."""
    return interpolation_demo().build(mode)


# ---------------------------------------------------------------------- gradient flow

GATE_BIASES: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
SPAN = 200
SIZES: dict[str, int] = {"hidden_size": 16, "input_size": 8, "n_samples": 3}


def flow_data(scale: float) -> dict[str, object]:
    """``flow_grid`` for the three cells at one spectral radius (every bias of ``GATE_BIASES``)."""
    return {"rnn": flow_grid("rnn", scale, (0.0,), seq_len=SPAN, **SIZES),
            "gru": flow_grid("gru", scale, GATE_BIASES, seq_len=SPAN, **SIZES),
            "lstm": flow_grid("lstm", scale, GATE_BIASES, seq_len=SPAN, **SIZES)}
