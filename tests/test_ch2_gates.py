"""utils.gates: the reset-sum task, its baseline, training, gate extraction and plots."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from utils.gates import (
    RESET_OPEN_BIAS,
    ResetSumTask,
    aligned_mean,
    gate_marker_stats,
    ignore_markers_mse,
    learned_gates,
    marker_aligned_means,
    plot_gate_heatmaps,
    readout_sensitivity,
    reset_sum,
    reset_sum_baseline_mse,
    train_reset_sum,
)
from utils.torch_cells import SequenceModel


def running_sums_by_hand(values: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """Sum since the last marker (inclusive), one sequence at a time, from the definition."""
    T, N = values.shape
    y = np.zeros((T, N))
    for n in range(N):
        for t in range(T):
            start = max([s for s in range(t + 1) if markers[s, n] == 1], default=0)
            y[t, n] = sum(float(values[s, n]) for s in range(start, t + 1))
    return y


@pytest.mark.parametrize("T, N, p", [(1, 3, 0.5), (12, 5, 0.2), (30, 4, 0.1)])
def test_targets_are_the_running_sums_since_the_last_marker(T, N, p):
    X, y = reset_sum(T, N, rng=np.random.default_rng(T), p_reset=p, as_numpy=True)
    assert X.shape == (T, N, 2) and y.shape == (T, N, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(X[..., 1])) <= {0.0, 1.0}
    assert np.all((X[..., 0] >= -0.5) & (X[..., 0] < 0.5))
    want = running_sums_by_hand(X[..., 0].astype(np.float64), X[..., 1])
    np.testing.assert_allclose(y[..., 0], want, rtol=0, atol=1e-6)


def test_generator_is_deterministic_and_seeded():
    a = reset_sum(20, 8, rng=3)
    b = reset_sum(20, 8, rng=np.random.default_rng(3))
    c = reset_sum(20, 8, rng=4)
    assert isinstance(a[0], torch.Tensor)
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    assert not torch.equal(a[0], c[0])


def test_extreme_marker_rates():
    X, y = reset_sum(15, 4, rng=0, p_reset=0.0, as_numpy=True)
    assert not X[..., 1].any()
    np.testing.assert_allclose(y[..., 0], np.cumsum(X[..., 0].astype(np.float64), axis=0),
                               atol=1e-6)
    assert ignore_markers_mse(X, y) < 1e-12
    X, y = reset_sum(15, 4, rng=0, p_reset=1.0, as_numpy=True)
    np.testing.assert_array_equal(y[..., 0], X[..., 0])


@pytest.mark.parametrize("T, p", [(5, 0.3), (20, 0.1)])
def test_baseline_matches_monte_carlo(T, p):
    X, y = reset_sum(T, 40_000, rng=1, p_reset=p, as_numpy=True)
    empirical = float(np.mean(y.astype(np.float64) ** 2))
    exact = reset_sum_baseline_mse(T, p)
    assert abs(empirical - exact) < 0.03 * exact, f"exact {exact:.4f} vs MC {empirical:.4f}"
    assert ResetSumTask(T, p).baseline == exact


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="T must be a positive int, got 0"):
        reset_sum(0, 2, rng=0)
    with pytest.raises(ValueError, match=r"p_reset must be a probability in \[0, 1\], got 1.5"):
        reset_sum(3, 2, rng=0, p_reset=1.5)
    task = ResetSumTask(6)
    X, y = task.sample(4, 0)
    with pytest.raises(ValueError, match=r"expected model output of shape \(6, 4, 1\).*"
                                         r"got \(4, 1\)"):
        task.loss(torch.zeros(4, 1), y)
    with pytest.raises(ValueError, match=r"expected X \(T, N, 2\)"):
        ignore_markers_mse(X[..., :1], y)


@pytest.fixture(scope="module")
def tiny_model():
    return train_reset_sum(hidden_size=4, T=10, steps=25, batch_size=16, progress=False)


def test_training_is_deterministic_and_learns(tiny_model):
    model, history = tiny_model
    again, history2 = train_reset_sum(hidden_size=4, T=10, steps=25, batch_size=16,
                                      progress=False)
    assert history.loss == history2.loss
    for p, q in zip(model.parameters(), again.parameters()):
        assert torch.equal(p, q)
    assert history.final_eval_loss < history.eval_loss[0], history.eval_loss


def test_learned_gates_reproduce_the_torch_model(tiny_model):
    model, _ = tiny_model
    X, _ = reset_sum(10, 6, rng=5)
    gates = learned_gates(model, X)
    assert set(gates) == {"r", "z", "n", "h"}
    assert all(g.shape == (10, 6, 4) and g.dtype == np.float64 for g in gates.values())
    with torch.no_grad():
        h_torch = model.hidden_states(X).double().numpy()
    np.testing.assert_allclose(gates["h"], h_torch, rtol=0, atol=1e-5)
    h_prev = np.concatenate([np.zeros((1, 6, 4)), gates["h"][:-1]])
    blend = (1 - gates["z"]) * gates["n"] + gates["z"] * h_prev
    np.testing.assert_allclose(gates["h"], blend, rtol=0, atol=1e-12)


def test_gate_marker_stats_on_known_gates():
    markers = np.zeros((6, 2))
    markers[[1, 4], 0] = 1
    markers[2, 1] = 1
    z = np.where(markers[..., None] == 1, 0.1, 0.9) * np.ones((6, 2, 3))
    r = np.full((6, 2, 3), 0.5)
    r[..., 0] = np.where(markers == 1, 0.2, 0.6)  # only unit 0 reacts
    stats = gate_marker_stats({"r": r, "z": z}, markers)
    assert stats["z_marker"] == pytest.approx(0.1) and stats["z_other"] == pytest.approx(0.9)
    assert stats["z_units_lower"] == 1.0
    assert stats["r_marker"] == pytest.approx((0.2 + 0.5 + 0.5) / 3)
    assert stats["r_units_lower"] == pytest.approx(1 / 3)
    assert stats["marker_steps"] == 3
    with pytest.raises(ValueError, match=r"expected gates\['r'\] of shape \(T, N, H\)"):
        gate_marker_stats({"r": r[:5], "z": z}, markers)


def test_heatmap_figure_builds(tiny_model):
    model, _ = tiny_model
    X, _ = reset_sum(10, 3, rng=2, p_reset=0.3)
    fig = plot_gate_heatmaps(learned_gates(model, X), X, example=1)
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert "reset gate $r_t$" in titles and "update gate $z_t$" in titles
    assert len(fig.axes) == 5  # three panels and two colour bars
    n_markers = int(np.asarray(X)[:, 1, 1].sum())
    outlined = [p for ax in fig.axes[:3] for p in ax.patches
                if p.get_visible() and p.get_facecolor()[3] == 0]  # hollow rectangles
    assert len(outlined) == 3 * n_markers
    with pytest.raises(ValueError, match=r"example must be in \[0, 3\), got 3"):
        plot_gate_heatmaps(learned_gates(model, X), X, example=3)


def test_marker_aligned_means_on_known_gates():
    T, N, H = 8, 2, 2
    markers = np.zeros((T, N))
    markers[0, 0] = markers[5, 1] = 1
    t = np.arange(T)[:, None, None] * np.ones((T, N, H))  # gate value = time step
    out = marker_aligned_means({"r": t, "z": 10 + t}, markers, window=2)
    np.testing.assert_array_equal(out["offset"], [-2, -1, 0, 1, 2])
    # offset -2: only the marker at t=5 has a step before it (t=3); offset 0: (0 + 5) / 2
    np.testing.assert_allclose(out["r"], [3, 4, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(out["z"], 10 + out["r"])
    with pytest.raises(ValueError, match=r"expected gates\['z'\] of shape"):
        marker_aligned_means({"r": t, "z": t[:, :1]}, markers)


# ------------------------------------------------------------------ forgetting, measured directly


def test_readout_sensitivity_matches_autograd(tiny_model):
    """‖∂y_t/∂h_{t−1}‖ and its parts against torch autograd through one nn.GRU step."""
    model, _ = tiny_model
    X, _ = reset_sum(10, 3, rng=7, p_reset=0.3, as_numpy=True)
    s = readout_sensitivity(model, X)
    assert set(s) == {"total", "kept", "via_z", "via_n", "kept_and_z"}
    assert all(v.shape == (10, 3) for v in s.values())
    gru = copy.deepcopy(model.cell).double()
    w = model.head.weight.detach().double()[0]
    Xt = torch.as_tensor(X, dtype=torch.float64)
    with torch.no_grad():
        H_all, _ = gru(Xt)
    for t in (0, 4, 9):
        for n in range(3):
            h_prev = (H_all[t - 1, n] if t else torch.zeros(4, dtype=torch.float64))
            h_prev = h_prev.clone().requires_grad_(True)
            h_t, _ = gru(Xt[t:t + 1, n:n + 1], h_prev[None, None])
            (grad,) = torch.autograd.grad(w @ h_t[0, 0], h_prev)
            assert s["total"][t, n] == pytest.approx(grad.norm().item(), rel=1e-9, abs=1e-12)
            # without the candidate path: the step with n_t computed from a detached h_{t-1}
            H = h_prev.shape[0]
            x = Xt[t, n]
            gi = gru.weight_ih_l0 @ x + gru.bias_ih_l0
            gh = gru.weight_hh_l0 @ h_prev + gru.bias_hh_l0
            gh_fixed = gru.weight_hh_l0 @ h_prev.detach() + gru.bias_hh_l0
            r_fixed = torch.sigmoid(gi[:H] + gh_fixed[:H])
            z_t = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n_fixed = torch.tanh(gi[2 * H:] + r_fixed * gh_fixed[2 * H:])
            h_no_n = (1 - z_t) * n_fixed + z_t * h_prev
            (grad_no_n,) = torch.autograd.grad(w @ h_no_n, h_prev)
            assert s["kept_and_z"][t, n] == pytest.approx(grad_no_n.norm().item(), rel=1e-9,
                                                          abs=1e-12)
    # the copy path alone is w ⊙ z_t
    z = learned_gates(model, X)["z"]
    np.testing.assert_allclose(s["kept"], np.linalg.norm(w.numpy() * z, axis=-1), rtol=1e-12)


def test_readout_sensitivity_validates():
    model = SequenceModel("torch-gru", 2, 3, 2, readout="all")
    with pytest.raises(ValueError, match="one output"):
        readout_sensitivity(model, np.zeros((4, 1, 2)))
    one = SequenceModel("torch-gru", 2, 3, 1, readout="all")
    with pytest.raises(ValueError, match=r"expected X of shape \(T, N, 2\)"):
        readout_sensitivity(one, np.zeros((4, 2)))


def test_training_without_the_reset_gate_keeps_it_exactly_open():
    model, history = train_reset_sum(hidden_size=4, T=10, steps=25, batch_size=16,
                                     reset_gate=False, progress=False)
    X, _ = reset_sum(10, 6, rng=3, as_numpy=True)
    assert np.all(learned_gates(model, X)["r"] == 1.0)  # exactly, after training
    H = 4
    assert torch.all(model.cell.weight_ih_l0[:H] == 0) and torch.all(
        model.cell.weight_hh_l0[:H] == 0)
    assert torch.all(model.cell.bias_hh_l0[:H] == RESET_OPEN_BIAS)
    assert history.final_eval_loss < history.eval_loss[0]
    # the same initial weights as the full GRU for the other gates
    full = SequenceModel("torch-gru", 2, 4, 1, readout="all",
                         generator=torch.Generator().manual_seed(0))
    ablated = SequenceModel("torch-gru", 2, 4, 1, readout="all",
                            generator=torch.Generator().manual_seed(0))
    assert torch.equal(full.cell.weight_hh_l0[H:], ablated.cell.weight_hh_l0[H:])


def test_aligned_mean_on_known_values():
    markers = np.zeros((8, 2))
    markers[0, 0] = markers[5, 1] = 1
    values = np.arange(8)[:, None] * np.ones((8, 2))
    out = aligned_mean(values, markers, window=2)
    np.testing.assert_allclose(out["mean"], [3, 4, 2.5, 3.5, 4.5])
    with pytest.raises(ValueError, match=r"expected values of shape \(T, N\)"):
        aligned_mean(values[:5], markers)
