r"""Learned gates: a task where a marker should wipe memory, a small GRU for it, its gates.

**Reset-sum task.** Each step carries a value ``u_t ~ U[−½, ½)`` and a marker
``m_t ∈ {0, 1}`` (1 with probability ``p_reset``). The target at every step is the running
sum of the values since the last marker, the marker's own value included:

.. math::
    y_t = \begin{cases} u_t & m_t = 1 \\ y_{t-1} + u_t & m_t = 0 \end{cases},
    \qquad y_{-1} = 0.

A GRU that solves it must *forget* at a marker, which is what the theory says its gates are
for: ``z_t → 0`` (take the candidate, drop the copy of ``h_{t−1}``) together with
``r_t → 0`` (build that candidate without ``h_{t−1}``); ``r_t → 0`` alone leaves the copy. :func:`train_reset_sum` trains one in seconds (or, with
``reset_gate=False``, the same GRU with its reset gate held at exactly 1),
:func:`learned_gates` reads its gates out (through ``utils.numpy_cells.GRUCell``, the code the
chapter shows), :func:`gate_marker_stats` measures whether they fire at the markers,
:func:`readout_sensitivity` measures the forgetting itself (how much the read-out still
depends on ``h_{t−1}``) and :func:`plot_gate_heatmaps` draws the gates.

Shapes are sequence-first like ``torch.nn.GRU``: ``X (T, N, 2)`` (channel 0 the value,
channel 1 the marker), ``y (T, N, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from utils.numpy_cells import GRUCell
from utils.tasks import History, train
from utils.torch_cells import SequenceModel

__all__ = [
    "reset_sum",
    "reset_sum_baseline_mse",
    "ignore_markers_mse",
    "ResetSumTask",
    "train_reset_sum",
    "learned_gates",
    "gate_marker_stats",
    "marker_aligned_means",
    "aligned_mean",
    "readout_sensitivity",
    "RESET_OPEN_BIAS",
    "gate_heatmaps_setup",
    "plot_gate_heatmaps",
]

Array = NDArray[np.float64]
VALUE_RANGE = (-0.5, 0.5)  # u_t ~ U[-1/2, 1/2): variance 1/12


def _as_rng(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a np.random.Generator or an int seed, got {type(rng).__name__}")


def _check_task_args(T: Any, N: Any, p_reset: Any) -> tuple[int, int, float]:
    for name, value in (("T", T), ("N", N)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not (isinstance(p_reset, (int, float)) and 0 <= p_reset <= 1):
        raise ValueError(f"p_reset must be a probability in [0, 1], got {p_reset!r}")
    return int(T), int(N), float(p_reset)


def reset_sum(T: int, N: int, *, rng: np.random.Generator | int, p_reset: float = 0.1,
              as_numpy: bool = False) -> tuple[Any, Any]:
    r"""Sample a batch of the reset-sum task.

    .. math::
        u_t \sim U[-\tfrac12, \tfrac12), \quad m_t \sim \mathrm{Bernoulli}(p), \quad
        y_t = u_t + (1 - m_t)\, y_{t-1}, \quad y_{-1} = 0

    Args:
        T: sequence length. N: batch size.
        rng: ``np.random.Generator`` or int seed; the only source of randomness.
        p_reset: probability that a step carries the marker.
        as_numpy: return NumPy arrays instead of torch tensors (same values).

    Returns:
        ``X (T, N, 2)`` (channel 0: ``u_t``, channel 1: ``m_t``) and ``y (T, N, 1)``, both
        float32 (``y`` is accumulated in float64, then rounded once).
    """
    T, N, p_reset = _check_task_args(T, N, p_reset)
    rng = _as_rng(rng)
    values = rng.uniform(*VALUE_RANGE, size=(T, N))  # (T, N) float64
    markers = (rng.random((T, N)) < p_reset).astype(np.float64)  # (T, N)
    y = np.empty((T, N))  # (T, N)
    running = np.zeros(N)
    for t in range(T):
        running = values[t] + (1 - markers[t]) * running
        y[t] = running
    X = np.stack([values, markers], axis=-1).astype(np.float32)  # (T, N, 2)
    y = y[..., None].astype(np.float32)  # (T, N, 1)
    if as_numpy:
        return X, y
    return torch.from_numpy(X), torch.from_numpy(y)


def reset_sum_baseline_mse(T: int, p_reset: float) -> float:
    r"""MSE of predicting 0 at every step (exact): :math:`\mathrm{mean}_t\, E[y_t^2]`.

    ``y_t`` sums the ``L_t`` values since the last marker, so ``E[y_t²] = Var(u) E[L_t]`` with
    ``Var(u) = 1/12`` and, counting back from step ``t`` (0-based),
    ``P(L_t = k) = p (1 − p)^{k−1}`` for ``k ≤ t`` and ``P(L_t = t + 1) = (1 − p)^t``.
    """
    T, _, p = _check_task_args(T, 1, p_reset)
    var_u = (VALUE_RANGE[1] - VALUE_RANGE[0]) ** 2 / 12
    total = 0.0
    for t in range(T):
        k = np.arange(1, t + 1)
        expected_length = np.sum(k * p * (1 - p) ** (k - 1)) + (t + 1) * (1 - p) ** t
        total += var_u * expected_length
    return total / T


def ignore_markers_mse(X: Any, y: Any) -> float:
    """MSE of the prediction that ignores the markers (plain running sum of all values).

    ``X (T, N, 2)``, ``y (T, N, 1)`` as from :func:`reset_sum`: what a model scores if it
    integrates the values but never forgets.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 3 or X.shape[-1] != 2 or y.shape != (*X.shape[:2], 1):
        raise ValueError(f"expected X (T, N, 2) and y (T, N, 1), got {X.shape} and {y.shape}")
    return float(np.mean((np.cumsum(X[..., 0], axis=0) - y[..., 0]) ** 2))


@dataclass(frozen=True)
class ResetSumTask:
    """The reset-sum task in the interface ``utils.tasks.train`` expects.

    The model maps ``X (T, N, 2)`` to ``(T, N, 1)`` (``readout="all"``); the loss is the MSE
    over every step.
    """

    T: int = 24
    p_reset: float = 0.1
    input_size: int = field(default=2, init=False)
    output_size: int = field(default=1, init=False)
    readout: str = field(default="all", init=False)

    def __post_init__(self) -> None:
        _check_task_args(self.T, 1, self.p_reset)

    @property
    def name(self) -> str:
        return f"reset-sum(T={self.T}, p={self.p_reset:g})"

    @property
    def baseline(self) -> float:
        """MSE of predicting 0 everywhere (:func:`reset_sum_baseline_mse`)."""
        return reset_sum_baseline_mse(self.T, self.p_reset)

    def sample(self, N: int, rng: np.random.Generator | int) -> tuple[torch.Tensor, ...]:
        """A batch ``X (T, N, 2)``, ``y (T, N, 1)``, float32 tensors."""
        return reset_sum(self.T, N, rng=rng, p_reset=self.p_reset)

    def loss(self, output: Any, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error over all steps; ``output`` must have the shape of ``y``."""
        if isinstance(output, tuple):
            output = output[0]
        if tuple(output.shape) != tuple(y.shape):
            raise ValueError(f"{self.name}: expected model output of shape {tuple(y.shape)} "
                             f"(T, N, 1), got {tuple(output.shape)}")
        return F.mse_loss(output, y.to(output.dtype))


RESET_OPEN_BIAS = 1000.0  # b_hr that holds r_t at exactly 1 (σ(1000 + a) rounds to 1)


def train_reset_sum(*, hidden_size: int = 8, T: int = 24, p_reset: float = 0.1,
                    steps: int = 200, batch_size: int = 32, lr: float = 1e-2, seed: int = 0,
                    eval_every: int | None = 25, reset_gate: bool = True,
                    progress: bool = True) -> tuple[SequenceModel, History]:
    """Train a one-layer GRU (``torch.nn.GRU``) + linear head on :class:`ResetSumTask`.

    The weights are drawn from ``torch.Generator().manual_seed(seed)``; the batches and the
    loop are seeded by ``utils.tasks.train`` (Adam, gradient clipping at 1), so the same
    arguments give the same model on the same machine. The validation loss (512 held-out
    sequences) is measured every ``eval_every`` steps.

    ``reset_gate=False`` removes the reset gate (``r_t ≡ 1``, so
    ``n_t = tanh(W_in x_t + b_in + W_hn h_{t−1} + b_hn)``) from the *same* initial GRU:
    ``W_ir``, ``W_hr`` and ``b_ir`` are set to 0 and ``b_hr`` to :data:`RESET_OPEN_BIAS`.
    Then ``r_t = σ(1000) = 1`` exactly in float32 and float64, its derivative
    ``r_t (1 − r_t)`` is exactly 0, so those parameters receive zero gradients and Adam
    never moves them: the gate stays open for the whole training.

    Returns:
        The trained ``SequenceModel`` (float32; ``model.cell`` is the ``nn.GRU``) and the
        ``History``.
    """
    task = ResetSumTask(T=T, p_reset=p_reset)
    generator = torch.Generator().manual_seed(seed)
    model = SequenceModel("torch-gru", 2, hidden_size, 1, readout="all", generator=generator)
    if not reset_gate:
        H = hidden_size
        with torch.no_grad():
            model.cell.weight_ih_l0[:H] = 0.0
            model.cell.weight_hh_l0[:H] = 0.0
            model.cell.bias_ih_l0[:H] = 0.0
            model.cell.bias_hh_l0[:H] = RESET_OPEN_BIAS
    history = train(model, task, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                    eval_every=eval_every, progress=progress)
    return model, history


def learned_gates(model: SequenceModel, X: Any) -> dict[str, Array]:
    """The gates of a trained model on ``X (T, N, 2)``, in float64.

    The ``nn.GRU`` weights are copied into ``utils.numpy_cells.GRUCell`` (``from_torch``),
    whose ``forward(..., return_gates=True)`` gives ``r``, ``z``, ``n``; ``h`` is the hidden
    state. Every array has shape ``(T, N, H)``.
    """
    cell = GRUCell.from_torch(model.cell)
    X = np.asarray(X, dtype=np.float64)
    H_all, _, gates = cell.forward(X, return_gates=True)
    return {**gates, "h": H_all}


def gate_marker_stats(gates: dict[str, Array], markers: Any) -> dict[str, float]:
    """Mean ``r`` and ``z`` at marker steps and at the other steps.

    ``gates["r"]``, ``gates["z"]``: ``(T, N, H)``; ``markers``: ``(T, N)`` of 0/1. Means are
    over steps, sequences and hidden units. ``*_units_lower`` is the fraction of hidden
    units whose own mean at marker steps is below their mean elsewhere.
    """
    m = np.asarray(markers).astype(bool)
    stats: dict[str, float] = {}
    for g in ("r", "z"):
        a = np.asarray(gates[g])
        if a.shape[:2] != m.shape:
            raise ValueError(f"expected gates[{g!r}] of shape (T, N, H) with (T, N) = "
                             f"{m.shape} (from markers), got {a.shape}")
        if not m.any() or m.all():
            raise ValueError("expected markers with both marker and non-marker steps")
        at, other = a[m], a[~m]  # (count, H) each
        stats[f"{g}_marker"] = float(at.mean())
        stats[f"{g}_other"] = float(other.mean())
        stats[f"{g}_units_lower"] = float(np.mean(at.mean(axis=0) < other.mean(axis=0)))
    stats["marker_steps"] = float(m.sum())
    return stats


def marker_aligned_means(gates: dict[str, Array], markers: Any, *,
                         window: int = 3) -> dict[str, Array]:
    """Mean ``r`` and ``z`` at steps ``t + k`` around every marker step ``t``, ``|k| ≤ window``.

    ``gates["r"]``, ``gates["z"]``: ``(T, N, H)``; ``markers``: ``(T, N)`` of 0/1. For each
    offset ``k`` the mean runs over the marker steps whose ``t + k`` lies inside the sequence
    and over the hidden units. Returns ``{"offset": (2w+1,), "r": (2w+1,), "z": (2w+1,)}``.
    """
    m = np.asarray(markers).astype(bool)
    T = m.shape[0]
    times, seqs = np.nonzero(m)  # marker positions
    offsets = np.arange(-window, window + 1)
    out: dict[str, Array] = {"offset": offsets}
    for g in ("r", "z"):
        a = np.asarray(gates[g]).mean(axis=2)  # (T, N): mean over units
        if a.shape != m.shape:
            raise ValueError(f"expected gates[{g!r}] of shape (T, N, H) with (T, N) = "
                             f"{m.shape} (from markers), got {np.shape(gates[g])}")
        means = np.full(len(offsets), np.nan)
        for i, k in enumerate(offsets):
            ok = (times + k >= 0) & (times + k < T)
            if ok.any():
                means[i] = a[times[ok] + k, seqs[ok]].mean()
        out[g] = means
    return out


def aligned_mean(values: Any, markers: Any, *, window: int = 3) -> dict[str, Array]:
    """Mean of ``values (T, N)`` at steps ``t + k`` around every marker step ``t``, ``|k| ≤ window``.

    Returns ``{"offset": (2w+1,), "mean": (2w+1,)}``; an offset that no marker reaches
    inside the sequence gives NaN.
    """
    m = np.asarray(markers).astype(bool)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != m.shape or m.ndim != 2:
        raise ValueError(f"expected values of shape (T, N) = {m.shape} (from markers), "
                         f"got {v.shape}")
    T = m.shape[0]
    times, seqs = np.nonzero(m)
    offsets = np.arange(-window, window + 1)
    means = np.full(len(offsets), np.nan)
    for i, k in enumerate(offsets):
        ok = (times + k >= 0) & (times + k < T)
        if ok.any():
            means[i] = v[times[ok] + k, seqs[ok]].mean()
    return {"offset": offsets, "mean": means}


def readout_sensitivity(model: SequenceModel, X: Any) -> dict[str, Array]:
    r"""How much the read-out ``y_t = w·h_t + b`` still depends on ``h_{t−1}``: ``‖∂y_t/∂h_{t−1}‖``.

    Forgetting at step ``t`` means exactly that this is small. Through one GRU step
    (PyTorch's, reset after the product; ``g_t = W_hn h_{t−1} + b_hn``,
    ``u_t = w ⊙ (1 − z_t) ⊙ (1 − n_t²)``), the gradient is the sum of three parts:

    * kept, through the copy ``z_t ⊙ h_{t−1}``: ``w ⊙ z_t``;
    * via ``z_t``: ``W_hz^T [w ⊙ (h_{t−1} − n_t) ⊙ z_t (1 − z_t)]``;
    * via the candidate ``n_t`` (where ``r_t`` acts):
      ``W_hn^T [u_t ⊙ r_t] + W_hr^T [u_t ⊙ g_t ⊙ r_t (1 − r_t)]``.

    ``model``: a one-output ``SequenceModel`` around a one-layer ``nn.GRU`` (as from
    :func:`train_reset_sum`); ``X (T, N, 2)``, ``h_0 = 0``. Returns float64 arrays of shape
    ``(T, N)``: ``"total"``, ``"kept"``, ``"via_z"``, ``"via_n"`` (the Euclidean norm of
    each part; the parts are vectors, so the norms need not add up) and ``"kept_and_z"``,
    the norm of ``kept + via_z`` (everything but the candidate path: where it is shorter than
    ``kept``, the path through ``z_t`` cancels part of the copy).
    """
    if getattr(model, "output_size", None) != 1:
        raise ValueError(f"expected a model with one output, got output_size = "
                         f"{getattr(model, 'output_size', None)!r}")
    cell = GRUCell.from_torch(model.cell)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[-1] != cell.input_size:
        raise ValueError(f"expected X of shape (T, N, {cell.input_size}), got {X.shape}")
    H = cell.hidden_size
    H_all, _, g = cell.forward(X, return_gates=True)  # each (T, N, H)
    H_prev = np.concatenate([np.zeros_like(H_all[:1]), H_all[:-1]])  # h_{t−1}: (T, N, H)
    W_hr, W_hz, W_hn = np.split(cell.weight_hh, 3)  # each (H, H)
    b_hn = cell.bias_hh[2 * H:]  # (H,)
    w = model.head.weight.detach().double().numpy()[0]  # (H,)
    r, z, n = g["r"], g["z"], g["n"]
    g_n = H_prev @ W_hn.T + b_hn  # W_hn h_{t−1} + b_hn: (T, N, H)
    kept = w * z  # (T, N, H)
    via_z = (w * (H_prev - n) * z * (1 - z)) @ W_hz  # row j: Σ_i a_i W_hz[i, j]
    u = w * (1 - z) * (1 - n ** 2)
    via_n = (u * r) @ W_hn + (u * g_n * r * (1 - r)) @ W_hr
    parts = {"total": kept + via_z + via_n, "kept": kept, "via_z": via_z, "via_n": via_n,
             "kept_and_z": kept + via_z}
    return {k: np.linalg.norm(v, axis=-1) for k, v in parts.items()}


def gate_heatmaps_setup(fig: Any, gates: dict[str, Array], X: Any, *,
                        animated: bool = False,
                        traces: dict[str, Any] | None = None) -> Callable[[int], None]:
    """Draw the axes of :func:`plot_gate_heatmaps` on ``fig``; return ``update(example)``.

    Everything that depends on the example (value bars, the two heatmaps, the marker
    outlines, the title) is created once, with ``animated=animated``, and ``update`` only
    changes its data, so a demo can redraw a frame without rebuilding the figure.
    ``traces`` (label → ``(T, N)`` array, e.g. :func:`readout_sensitivity` of one or more
    models) adds a bottom panel with one line per label.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[-1] != 2:
        raise ValueError(f"expected X of shape (T, N, 2), got {X.shape}")
    T, N = X.shape[:2]
    r_all, z_all = np.asarray(gates["r"]), np.asarray(gates["z"])
    if r_all.shape[:2] != (T, N) or z_all.shape != r_all.shape:
        raise ValueError(f"expected gates of shape (T, N, H) with (T, N) = {(T, N)} (from X), "
                         f"got r {r_all.shape} and z {z_all.shape}")
    traces = {k: np.asarray(v, dtype=np.float64) for k, v in (traces or {}).items()}
    for label, v in traces.items():
        if v.shape != (T, N):
            raise ValueError(f"expected trace {label!r} of shape (T, N) = {(T, N)}, "
                             f"got {v.shape}")
    H = r_all.shape[2]
    fig.subplots_adjust(left=0.09, right=0.9, bottom=0.1, top=0.92, hspace=0.35)
    rows, ratios = (4, [1, 2, 2, 1.6]) if traces else (3, [1, 2, 2])
    axes = fig.subplots(rows, 1, sharex=True, height_ratios=ratios)
    steps = np.arange(T)
    bars = axes[0].bar(steps, np.zeros(T), width=0.8, color="#7f7f7f", animated=animated)
    axes[0].set_ylabel("$u_t$")
    axes[0].set_ylim(VALUE_RANGE[0] * 1.1, VALUE_RANGE[1] * 1.1)
    title = axes[0].set_title("", animated=animated)
    images = {}
    for ax, g, label in ((axes[1], "r", "reset gate $r_t$"),
                         (axes[2], "z", "update gate $z_t$")):
        images[g] = ax.imshow(np.zeros((H, T)), aspect="auto", cmap="viridis", vmin=0,
                              vmax=1, interpolation="nearest", animated=animated,
                              extent=(-0.5, T - 0.5, H - 0.5, -0.5))
        ax.set_ylabel("hidden unit")
        ax.set_title(label, fontsize="medium", loc="left")
        fig.colorbar(images[g], ax=ax, fraction=0.03, pad=0.01, label="gate value")
    lines = {}
    if traces:
        ax = axes[3]
        top = max(float(v.max()) for v in traces.values())
        for (label, _), color in zip(traces.items(), ("black", "#9467bd", "#8c564b")):
            (lines[label],) = ax.plot(steps, np.zeros(T), "o-", ms=3, lw=1.2, color=color,
                                      label=label, animated=animated)
        ax.set_ylim(0, 1.35 * top)  # headroom for the legend
        ax.set_ylabel(r"$\|\partial y_t / \partial h_{t-1}\|$", fontsize="small")
        ax.set_title("how much the output still reads $h_{t-1}$", fontsize="medium",
                     loc="left")
        ax.legend(fontsize=7, loc="upper right", ncols=len(traces), frameon=False)
        spacer = fig.colorbar(images["z"], ax=ax, fraction=0.03, pad=0.01)  # align widths
        spacer.ax.set_visible(False)
    outlines = [[ax.axvspan(t - 0.5, t + 0.5, facecolor="none", edgecolor="#d62728", lw=1.5,
                            visible=False, animated=animated) for t in steps] for ax in axes]
    axes[-1].set_xlabel("time step $t$")

    def update(example: int) -> None:
        if not 0 <= example < N:
            raise ValueError(f"example must be in [0, {N}), got {example}")
        u, m = X[:, example, 0], X[:, example, 1].astype(bool)
        for bar, value, marker in zip(bars, u, m):
            bar.set_height(value)
            bar.set_color("#d62728" if marker else "#7f7f7f")
        title.set_text(f"Learned gates on sequence {example} (red: marker steps, outlined)")
        images["r"].set_data(r_all[:, example, :].T)  # (H, T)
        images["z"].set_data(z_all[:, example, :].T)  # (H, T)
        for label, line in lines.items():
            line.set_ydata(traces[label][:, example])
        for row in outlines:
            for span, marker in zip(row, m):
                span.set_visible(bool(marker))

    return update


def plot_gate_heatmaps(gates: dict[str, Array], X: Any, example: int = 0, *,
                       fig: Any = None) -> Any:
    """Heatmaps of ``r_t`` and ``z_t`` (hidden unit × step) for one sequence of the batch.

    Top panel: the input values ``u_t`` as bars; marker steps are outlined in every panel.
    ``gates`` from :func:`learned_gates` (``(T, N, H)`` arrays), ``X (T, N, 2)``. Returns
    the matplotlib ``Figure`` (a new 8 × 5.2 in one unless ``fig`` is given).
    """
    from matplotlib.figure import Figure  # imported here: `import utils.gates` stays light

    fig = fig if fig is not None else Figure(figsize=(8, 5.2))
    gate_heatmaps_setup(fig, gates, X)(example)
    return fig
