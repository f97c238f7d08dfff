"""Chapter 1 utilities: gradient-norm measurements (utils.gradients), step costs (utils.costs).

PyTorch is the reference: Jacobians are checked against ``torch.autograd.functional.jacobian``
of whole ``torch.nn.RNN``/``GRU``/``LSTM`` layers (float64) and against finite differences;
multiply-adds against ``torch.utils.flop_counter`` and a hand count.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from notebooks import (execute_chapter, prose_texts,  # tests/notebooks.py
                       sentences_with_many_numbers)
from utils.costs import (
    GATES,
    StepTiming,
    cost_table,
    layer_ops,
    machine_description,
    macs_per_step,
    pointwise_per_step,
    time_per_step,
    training_speed_verdict,
)
from utils.gradients import (
    CELL_KINDS,
    GradientNorms,
    build_cell,
    gradient_norms,
    lstm_path_norms,
    recurrent_matrix,
    rnn_jacobian_analytic,
    state_jacobians,
    state_size,
    step_jacobian,
)
from utils.report import computed
from utils.grading.exercises import INSTALL_CELL as EXERCISE_INSTALL_CELL

F64 = torch.float64
KINDS = ("rnn", "gru", "lstm")
# torch.func (the autograd Jacobians) and the flop counter script a helper on first use.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _perturbed_cell(kind: str, input_size: int, hidden_size: int, seed: int) -> nn.Module:
    """A cell with every parameter (biases included) nonzero, so no term hides."""
    g = _gen(seed)
    cell = build_cell(kind, input_size, hidden_size, spectral_radius=1.1, generator=g,
                      gate_bias=0.5 if kind in ("gru", "lstm") else 0.0)
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=F64))
    return cell


# ------------------------------------------------------------------ recurrent_matrix


@pytest.mark.parametrize("method", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 1.5])
def test_recurrent_matrix_has_the_requested_spectral_radius(method, rho):
    w = recurrent_matrix(12, rho, generator=_gen(3), method=method)
    assert w.shape == (12, 12) and w.dtype == F64
    radius = torch.linalg.eigvals(w).abs().max().item()
    assert radius == pytest.approx(rho, abs=1e-10)


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.1])
def test_scaled_orthogonal_powers_have_norm_rho_to_the_k(rho):
    w = recurrent_matrix(10, rho, generator=_gen(1))
    for k in (1, 5, 20):
        norm = torch.linalg.matrix_norm(torch.linalg.matrix_power(w, k), ord=2).item()
        assert norm == pytest.approx(rho**k, rel=1e-10)


def test_recurrent_matrix_is_seeded():
    a = recurrent_matrix(6, 0.9, generator=_gen(7))
    b = recurrent_matrix(6, 0.9, generator=_gen(7))
    c = recurrent_matrix(6, 0.9, generator=_gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("bad", [-0.1, math.inf, math.nan])
def test_recurrent_matrix_rejects_bad_radius(bad):
    with pytest.raises(ValueError, match="spectral_radius must be finite and >= 0"):
        recurrent_matrix(4, bad, generator=_gen(0))


# ------------------------------------------------------------------------ build_cell


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_build_cell_blocks_and_biases(kind):
    h = 6
    cell = build_cell(kind, 3, h, spectral_radius=0.8, generator=_gen(0),
                      gate_bias=2.0 if kind in ("gru", "lstm") else 0.0)
    gates = {"linear": 1, "rnn": 1, "gru": 3, "lstm": 4}[kind]
    assert cell.weight_hh.shape == (gates * h, h) and cell.weight_ih.shape == (gates * h, 3)
    for block in cell.weight_hh.detach().split(h):
        assert torch.linalg.eigvals(block).abs().max().item() == pytest.approx(0.8, abs=1e-10)
    assert torch.all(cell.weight_ih.abs() <= 1 / math.sqrt(h))
    expected_bias = torch.zeros(gates * h, dtype=F64)
    if kind in ("gru", "lstm"):
        expected_bias[h:2 * h] = 2.0  # z in r|z|n, f in i|f|g|o
    assert torch.equal(cell.bias_ih.detach(), expected_bias)
    assert torch.equal(cell.bias_hh.detach(), torch.zeros(gates * h, dtype=F64))


def test_build_cell_validates():
    with pytest.raises(ValueError, match="unknown cell kind 'mgu'"):
        build_cell("mgu", 2, 3, spectral_radius=1.0, generator=_gen(0))
    with pytest.raises(ValueError, match="gate_bias applies to the GRU and the LSTM only"):
        build_cell("rnn", 2, 3, spectral_radius=1.0, generator=_gen(0), gate_bias=1.0)
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        build_cell("gru", 2, 0, spectral_radius=1.0, generator=_gen(0))


# ------------------------------------------------------------------- state Jacobians


@pytest.mark.parametrize("kind", CELL_KINDS)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (5, 3, 2, 4), (9, 2, 4, 7)])
def test_analytic_step_jacobians_match_autograd(kind, shape):
    T, N, H_in, H = shape
    cell = _perturbed_cell(kind, H_in, H, seed=sum(shape))
    g = _gen(100 + sum(shape))
    xs = torch.randn(T, N, H_in, generator=g, dtype=F64)
    s0 = 0.5 * torch.randn(N, state_size(kind, H), generator=g, dtype=F64)
    analytic = state_jacobians(cell, xs, s0, method="analytic")
    autograd = state_jacobians(cell, xs, s0, method="autograd")
    assert analytic.shape == (T + 1, N, state_size(kind, H), state_size(kind, H))
    diff = (analytic - autograd).abs().max().item()
    assert diff < 1e-12, f"analytic vs autograd Jacobians: max |diff| = {diff:.2e}"


def _torch_layer_from_cell(kind: str, cell: nn.Module) -> nn.Module:
    layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](
        cell.input_size, cell.hidden_size).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l0").copy_(getattr(cell, name))
    return layer


@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_of_the_whole_torch_layer(kind):
    """J_T from the step-by-step product = autograd through torch.nn.RNN/GRU/LSTM (float64)."""
    T, N, H_in, H = 6, 2, 3, 4
    cell = _perturbed_cell(kind, H_in, H, seed=11)
    layer = _torch_layer_from_cell(kind, cell)
    g = _gen(12)
    xs = torch.randn(T, N, H_in, generator=g, dtype=F64)
    s0 = 0.5 * torch.randn(N, state_size(kind, H), generator=g, dtype=F64)
    ours = state_jacobians(cell, xs, s0)[-1]  # (N, S, S)
    for n in range(N):
        def final_state(s: torch.Tensor) -> torch.Tensor:
            x = xs[:, n:n + 1]  # (T, 1, H_in)
            if kind == "lstm":
                _, (h_T, c_T) = layer(x, (s[None, None, :H], s[None, None, H:]))
                return torch.cat([h_T[0, 0], c_T[0, 0]])
            _, h_T = layer(x, s[None, None])
            return h_T[0, 0]

        reference = torch.autograd.functional.jacobian(final_state, s0[n])
        diff = (ours[n] - reference).abs().max().item()
        assert diff < 1e-12, f"{kind} sample {n}: max |ours - torch autograd| = {diff:.2e}"


@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_matches_central_finite_differences(kind):
    T, H_in, H, eps = 8, 2, 3, 1e-6
    cell = _perturbed_cell(kind, H_in, H, seed=21)
    xs = torch.randn(T, 1, H_in, generator=_gen(22), dtype=F64)
    s0 = 0.3 * torch.randn(1, state_size(kind, H), generator=_gen(23), dtype=F64)
    jac = state_jacobians(cell, xs, s0)[-1, 0]

    def run(s: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            for x_t in xs:
                s, _ = step_jacobian(cell, x_t, s)
        return s[0]

    S = s0.shape[1]
    fd = torch.stack([(run(s0 + eps * e) - run(s0 - eps * e)) / (2 * eps)
                      for e in torch.eye(S, dtype=F64)], dim=1)
    diff = (jac - fd).abs().max().item()
    assert diff < 1e-7, f"{kind}: max |Jacobian - finite differences| = {diff:.2e}"


def test_step_jacobian_states_match_torch_cells():
    """The analytic step computes the same next state as torch.nn's cells."""
    for kind in ("gru", "lstm"):
        cell = _perturbed_cell(kind, 3, 5, seed=31)
        x = torch.randn(4, 3, generator=_gen(32), dtype=F64)
        s = torch.randn(4, state_size(kind, 5), generator=_gen(33), dtype=F64)
        with torch.no_grad():
            ours, _ = step_jacobian(cell, x, s)
            ref = (torch.cat(cell(x, (s[:, :5], s[:, 5:])), dim=1) if kind == "lstm"
                   else cell(x, s))
        assert (ours - ref).abs().max().item() < 1e-14


def test_rnn_jacobian_analytic_is_the_product_of_diag_and_w():
    cell = _perturbed_cell("rnn", 3, 5, seed=41)
    xs = torch.randn(7, 2, 3, generator=_gen(42), dtype=F64)
    s0 = torch.zeros(2, 5, dtype=F64)
    with torch.no_grad():
        hs = []
        h = s0
        for x_t in xs:
            h = cell(x_t, h)
            hs.append(h)
        product = rnn_jacobian_analytic(cell.weight_hh, torch.stack(hs))
    diff = (product - state_jacobians(cell, xs, s0, method="autograd")[-1]).abs().max().item()
    assert diff < 1e-13


def test_linear_rnn_jacobian_is_the_matrix_power():
    cell = build_cell("linear", 2, 5, spectral_radius=0.9, method="gaussian",
                      generator=_gen(5))
    xs = torch.randn(6, 3, 2, generator=_gen(6), dtype=F64)
    jac = state_jacobians(cell, xs, torch.zeros(3, 5, dtype=F64))
    for t in range(7):
        power = torch.linalg.matrix_power(cell.weight_hh.detach(), t)
        assert torch.allclose(jac[t], power.expand(3, 5, 5), rtol=1e-12, atol=1e-14)


def test_state_jacobians_validate_shapes():
    cell = build_cell("lstm", 3, 4, spectral_radius=1.0, generator=_gen(0))
    with pytest.raises(ValueError, match=r"expected xs of shape \(T, N, 3\).*got \(5, 2\)"):
        state_jacobians(cell, torch.zeros(5, 2, dtype=F64), torch.zeros(2, 8, dtype=F64))
    with pytest.raises(ValueError, match=r"expected state0 of shape \(2, 8\).*got \(2, 4\)"):
        state_jacobians(cell, torch.zeros(5, 2, 3, dtype=F64), torch.zeros(2, 4, dtype=F64))
    with pytest.raises(ValueError, match="unknown method 'numeric'"):
        state_jacobians(cell, torch.zeros(5, 2, 3, dtype=F64), torch.zeros(2, 8, dtype=F64),
                        method="numeric")
    with pytest.raises(ValueError, match=r"expected hs of shape \(T, N, 4\)"):
        rnn_jacobian_analytic(torch.eye(4, dtype=F64), torch.zeros(3, 2, 5, dtype=F64))


# -------------------------------------------------------------------- gradient_norms


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_linear_orthogonal_norms_are_exactly_rho_to_the_t(rho):
    result = gradient_norms("linear", seq_len=30, spectral_radius=rho, hidden_size=8,
                            n_samples=3)
    expected = rho ** np.arange(31.0)
    assert result.norms.shape == (3, 31)
    np.testing.assert_allclose(result.norms, np.broadcast_to(expected, (3, 31)), rtol=1e-10)
    assert result.rate() == pytest.approx(rho, rel=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_norms_equal_svd_of_the_jacobians(kind):
    kwargs = dict(seq_len=12, spectral_radius=0.9, hidden_size=5, input_size=3, n_samples=2,
                  gate_bias=1.0 if kind != "rnn" else 0.0, seed=4)
    result = gradient_norms(kind, **kwargs)
    # Independent: rebuild the same cell and inputs, autograd Jacobians, largest singular value
    cell = build_cell(kind, 3, 5, spectral_radius=0.9, gate_bias=kwargs["gate_bias"],
                      generator=_gen(4))
    xs = torch.randn(12, 2, 3, generator=_gen(5), dtype=F64)
    jac = state_jacobians(cell, xs, torch.zeros(2, state_size(kind, 5), dtype=F64),
                          method="autograd")
    expected = torch.linalg.svdvals(jac)[..., 0].T.numpy()
    np.testing.assert_allclose(result.norms, expected, rtol=1e-10)
    assert np.all(result.norms[:, 0] == 1.0)
    np.testing.assert_array_equal(result.steps, np.arange(13))


def test_tanh_rnn_decays_below_one_and_saturation_caps_growth():
    """What the chapter claims, as measured: vanishing at rho < 1; at rho = 1.5 the tanh RNN
    grows far slower than rho**t (saturation), while the linear RNN follows rho**t."""
    small = gradient_norms("rnn", seq_len=40, spectral_radius=0.5, hidden_size=8)
    assert small.mean[-1] < 0.5**40 * 10
    big = gradient_norms("rnn", seq_len=40, spectral_radius=1.5, hidden_size=8)
    assert big.mean[-1] < 1e-3 * 1.5**40
    assert small.rate() < 0.5 + 1e-9 and big.rate() < 1.5


def test_gradient_norms_extremes_stay_finite_or_zero():
    zero = gradient_norms("rnn", seq_len=10, spectral_radius=0.0, hidden_size=4)
    assert np.all(zero.norms[:, 1:] == 0.0) and zero.rate() == 0.0
    assert np.all(zero.geometric_mean[1:] == 0.0)
    long = gradient_norms("gru", seq_len=300, spectral_radius=2.0, hidden_size=4, n_samples=2)
    assert np.all(np.isfinite(long.norms)) and np.all(long.norms >= 0)


def test_gradient_norms_are_seeded_and_restore_threads():
    threads = torch.get_num_threads()
    a = gradient_norms("lstm", seq_len=10, spectral_radius=1.0, hidden_size=4, seed=3)
    b = gradient_norms("lstm", seq_len=10, spectral_radius=1.0, hidden_size=4, seed=3)
    c = gradient_norms("lstm", seq_len=10, spectral_radius=1.0, hidden_size=4, seed=4)
    assert isinstance(a, GradientNorms)
    np.testing.assert_array_equal(a.norms, b.norms)
    assert not np.array_equal(a.norms, c.norms)
    assert torch.get_num_threads() == threads


def test_rate_validates_start():
    result = gradient_norms("rnn", seq_len=10, spectral_radius=1.0, hidden_size=4)
    with pytest.raises(ValueError, match=r"start must be in \[0, 10\), got 10"):
        result.rate(10)


# --------------------------------------------------------------------------- costs


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes", [(1, 1), (2, 3), (5, 4), (16, 32)])
def test_macs_match_torch_flop_counter(kind, sizes):
    H_in, H = sizes
    cell = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}[kind](H_in, H).double()
    x = torch.zeros(3, H_in, dtype=F64)
    with FlopCounterMode(display=False) as counter:
        cell(x)
    # the flop counter counts a multiply-add as 2 flops
    assert counter.get_total_flops() == 2 * macs_per_step(kind, H_in, H, batch_size=3)


def test_macs_hand_count():
    # H_in = 2, H = 3: W_ih x costs G·3·2, W_hh h costs G·3·3 -> 15 G
    assert [macs_per_step(k, 2, 3) for k in KINDS] == [15, 45, 60]
    assert macs_per_step("gru", 10, 20, batch_size=4) == 4 * 3 * 20 * 30


def test_pointwise_hand_count():
    assert pointwise_per_step("rnn", 5) == {"sigmoid": 0, "tanh": 5, "product": 0}
    assert pointwise_per_step("gru", 5) == {"sigmoid": 10, "tanh": 5, "product": 15}
    assert pointwise_per_step("lstm", 5) == {"sigmoid": 15, "tanh": 10, "product": 15}


def test_cost_table_matches_torch_and_the_three_quarters_ratio():
    rows = cost_table([(3, 4), (10, 20), (64, 7)])
    assert len(rows) == 9 and [r["kind"] for r in rows[:3]] == list(KINDS)
    for row in rows:
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[row["kind"]](
            row["input_size"], row["hidden_size"])
        assert row["params"] == sum(p.numel() for p in layer.parameters())
        assert row["macs"] == macs_per_step(row["kind"], row["input_size"], row["hidden_size"])
    for gru, lstm in zip(rows[1::3], rows[2::3]):
        assert Fraction(gru["params"], lstm["params"]) == Fraction(3, 4)
        assert Fraction(gru["macs"], lstm["macs"]) == Fraction(3, 4)


def test_costs_validate():
    with pytest.raises(ValueError, match="unknown kind 'mgu'; expected one of rnn, gru, lstm"):
        macs_per_step("mgu", 2, 3)
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        pointwise_per_step("gru", 0)
    with pytest.raises(ValueError, match="repeats must be a positive int, got 0"):
        time_per_step([(2, 2)], repeats=0)
    assert set(GATES) == set(KINDS)


@pytest.mark.parametrize("backward", [False, True])
def test_time_per_step_structure(backward):
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    results = time_per_step([(4, 8), (8, 4)], backward=backward, batch_size=2, seq_len=3,
                            repeats=3, warmup=1)
    assert torch.equal(torch.random.get_rng_state(), state), "global RNG was consumed"
    assert torch.get_num_threads() == threads
    assert [(r.kind, r.input_size, r.hidden_size) for r in results] == [
        (k, i, h) for i, h in [(4, 8), (8, 4)] for k in KINDS]
    for r in results:
        assert isinstance(r, StepTiming)
        assert r.backward is backward and r.threads == 1
        assert r.batch_size == 2 and r.seq_len == 3 and len(r.seconds) == 3
        assert all(math.isfinite(s) and s > 0 for s in r.seconds)
        assert min(r.seconds) <= r.median <= max(r.seconds) and r.spread >= 0


def test_machine_description():
    desc = machine_description()
    assert set(desc) == {"cpu", "logical_cpus", "torch_threads", "torch", "python", "os"}
    assert desc["torch"] == torch.__version__ and desc["cpu"]
    assert isinstance(desc["logical_cpus"], int) and desc["logical_cpus"] >= 1


@pytest.mark.parametrize("speedup, start, numbers", [
    ({64: 0.27, 256: 0.29}, "held: the GRU trained", "27% to 29% faster"),
    ({64: 0.2496, 256: 0.3004}, "held: the GRU trained", "25% to 30% faster"),
    ({64: 0.35, 256: 0.5}, "held, and more:", "35% to 50% faster"),
    ({64: 0.05, 256: 0.31}, "held only in direction:", "by 5% to 31% per step"),
    ({64: -0.18, 256: -1.13}, "did not hold: the GRU trained no", "slower by 18% to 113%"),
    ({64: 0.0, 256: -0.2}, "did not hold: the GRU trained no", "slower by 0% to 20%"),
    ({64: 0.1, 256: -0.05}, "did not hold in general:", "10% faster at H = 64, 5% slower at"),
    ({256: -0.4}, "did not hold: the GRU trained no", "(H = 256); it was slower by 40% per"),
], ids=["held", "held-rounded", "more", "direction", "slower", "slower-zero", "mixed", "one"])
def test_training_speed_verdict_reads_right_either_way(speedup, start, numbers):
    text = training_speed_verdict(speedup)
    assert text.startswith(start) and numbers in text, text
    assert "-0%" not in text and "--" not in text
    assert all(f"H = {h}" in text for h in speedup)


def test_training_speed_verdict_needs_a_measurement():
    with pytest.raises(ValueError, match="at least one size"):
        training_speed_verdict({})


# ------------------------------------------------------------- vanishing-gradient demo


@pytest.fixture
def small_vanishing(monkeypatch):
    """The demo with tiny cells (the frames' size does not depend on H), cache cleared."""
    from utils.demos import vanishing

    monkeypatch.setattr(vanishing, "SIZES", {"hidden_size": 4, "input_size": 3,
                                              "n_samples": 2})
    vanishing._measure.cache_clear()
    yield vanishing
    vanishing._measure.cache_clear()


def test_vanishing_demo_static_build_fits_its_budget(small_vanishing):
    assert len(small_vanishing.GATE_BIASES) >= 9  # enough positions to find the transitions
    widget = small_vanishing.vanishing_explorer("static")
    report = widget.report
    assert report.frames == len(small_vanishing.SPECTRAL_RADII) * len(
        small_vanishing.GATE_BIASES)
    assert report.state_bytes <= 700_000, str(report)
    assert len(widget.links) > 0


def test_vanishing_demo_live_updates_and_survives_extremes(small_vanishing):
    widget = small_vanishing.vanishing_explorer("live")
    first = bytes(widget.image.value)
    assert first.startswith(b"\x89PNG")
    biases = small_vanishing.GATE_BIASES
    for name, value in [("spectral_radius", 1.5), ("gate_bias", biases[-1]),
                        ("gate_bias", biases[0]), ("spectral_radius", 0.5)]:
        widget.controls[name].value = value
        assert widget.error.value == "", widget.error.value
    assert bytes(widget.image.value) != first
    assert f"b = {biases[0]:g}" in widget.html.value and "σ(b)" in widget.html.value


def test_vanishing_data_shares_the_rnn_and_uses_the_gate_bias(small_vanishing):
    a = small_vanishing.vanishing_data(1.0, 0.0)
    b = small_vanishing.vanishing_data(1.0, 3.0)
    assert a["rnn"] is b["rnn"] and a["rnn"].gate_bias == 0.0
    assert b["gru"].gate_bias == 3.0 and b["lstm"].gate_bias == 3.0
    assert a["lstm"].norms.shape == (2, small_vanishing.SEQ_LEN + 1)
    direct = gradient_norms("gru", seq_len=small_vanishing.SEQ_LEN, spectral_radius=1.0,
                            gate_bias=3.0, seed=0, **small_vanishing.SIZES)
    np.testing.assert_array_equal(b["gru"].norms, direct.norms)


def test_values_off_the_log_axis_are_drawn_on_its_edge(small_vanishing):
    low, high = small_vanishing.Y_LIM
    clipped = small_vanishing._on_axis(np.array([0.0, np.inf, np.nan, 1e-300, 1.0, 1e300]))
    np.testing.assert_array_equal(clipped, [low, high, low, low, 1.0, high])


# ------------------------------------------------------------- the LSTM split by path


@pytest.mark.parametrize("b", [-1.0, 0.0, 1.0, 3.0])
def test_lstm_without_recurrence_or_input_forgets_at_exactly_sigma_b(b):
    paths = lstm_path_norms(seq_len=30, spectral_radius=0.0, gate_bias=b, input_std=0.0,
                            hidden_size=5, input_size=3, n_samples=2)
    sigma = 1 / (1 + math.exp(-b))
    t = np.arange(31)
    for key in ("state", "cell", "forget_product"):
        assert paths[key].rate() == pytest.approx(sigma, abs=1e-9), key
    np.testing.assert_allclose(paths["forget_product"].norms, np.tile(sigma**t, (2, 1)),
                               rtol=1e-12)
    np.testing.assert_allclose(paths["cell"].norms, paths["forget_product"].norms, rtol=1e-12)


def test_without_recurrence_the_cell_block_is_the_forget_product_for_any_input():
    paths = lstm_path_norms(seq_len=20, spectral_radius=0.0, gate_bias=1.0, hidden_size=6,
                            input_size=4, n_samples=3, seed=2)
    np.testing.assert_allclose(paths["cell"].norms, paths["forget_product"].norms, rtol=1e-10)


def test_at_radius_one_the_loop_through_h_carries_the_gradient():
    """The claim of chapter 1: the cell path alone decays like σ(b)^t, far below the whole."""
    paths = lstm_path_norms(seq_len=100, spectral_radius=1.0, gate_bias=1.0)
    whole = gradient_norms("lstm", seq_len=100, spectral_radius=1.0, gate_bias=1.0)
    np.testing.assert_array_equal(paths["state"].norms, whole.norms)
    sigma_1 = 1 / (1 + math.exp(-1.0))
    assert abs(paths["forget_product"].rate() - sigma_1) < 0.05
    assert paths["state"].rate() > paths["forget_product"].rate() + 0.1
    assert paths["cell"].mean[-1] > 1e6 * paths["forget_product"].mean[-1]


def test_forget_product_is_the_product_of_the_gates_the_cell_computed():
    torch.manual_seed(0)
    paths = lstm_path_norms(seq_len=6, spectral_radius=0.9, gate_bias=0.5, hidden_size=3,
                            input_size=2, n_samples=2, seed=4)
    cell = build_cell("lstm", 2, 3, spectral_radius=0.9, gate_bias=0.5,
                      generator=torch.Generator().manual_seed(4))
    xs = torch.randn(6, 2, 2, generator=torch.Generator().manual_seed(5), dtype=F64)
    h, c = torch.zeros(2, 3, dtype=F64), torch.zeros(2, 3, dtype=F64)
    product = torch.ones(2, 3, dtype=F64)
    with torch.no_grad():
        for t, x_t in enumerate(xs, 1):
            gates = x_t @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
            product = product * torch.sigmoid(gates[:, 3:6])  # f in i|f|g|o
            np.testing.assert_allclose(paths["forget_product"].norms[:, t],
                                       product.max(dim=1).values.numpy(), rtol=1e-12)
            h, c = cell(x_t, (h, c))


def test_lstm_path_norms_validate():
    with pytest.raises(ValueError, match="seq_len"):
        lstm_path_norms(seq_len=0, spectral_radius=1.0)
    with pytest.raises(ValueError, match="input_std"):
        lstm_path_norms(seq_len=3, spectral_radius=1.0, input_std=-1.0)


def test_lstm_diagram_draws_the_cell_path_and_the_gates():
    from matplotlib.figure import Figure

    from utils.diagrams import lstm_cell_diagram

    fig = lstm_cell_diagram()
    assert isinstance(fig, Figure)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for symbol in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$", "$f_t$", "$i_t$",
                   "$g_t$", "$o_t$", r"\mathrm{diag}(f_t)"):
        assert symbol in texts, symbol
    assert "i | f | g | o" in fig.axes[0].get_title()


@pytest.mark.parametrize("kind", KINDS)
def test_layer_ops_name_what_torch_runs(kind):
    ops = layer_ops(kind, 5, 4, seq_len=3, batch_size=2)
    assert all(name.startswith("aten.") and count >= 1 for name, count in ops.items())
    if "aten.mkldnn_rnn_layer" in ops:  # one fused kernel for the whole sequence
        assert kind == "lstm" and "aten.addmm" not in ops
    else:  # one input projection for all steps, one recurrent product per step
        assert ops["aten.addmm"] == 3 + 1, ops
    if kind == "gru":
        assert ops["aten.sigmoid_"] == 2 * 3 and ops["aten.tanh_"] == 3


# ------------------------------------------------------------- the chapter notebook

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "ch1_why_grus.ipynb"
INSTALL = EXERCISE_INSTALL_CELL  # generated from the repository setting
GLUE = re.compile(r"\{(?:glue(?::[\w-]*)?|eval)\}")
PAGE_BUDGET = 2 * 2**20


@pytest.fixture(scope="module")
def executed():
    """The chapter run headless in a real kernel, as the book build runs it (static demos)."""
    # Target: ≤ 60 s on a quiet 2-core machine; the bound leaves room for a loaded one.
    return execute_chapter(CHAPTER, name="chapter 1", bound=180, timeout=300)


def test_chapter_is_committed_without_outputs_and_follows_conventions():
    nb = nbformat.read(CHAPTER, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert code[0].source == INSTALL and "remove-cell" in code[0].metadata["tags"]
    assert all(line.startswith(("import ", "from ")) or not line.strip()
               for line in code[1].source.splitlines())
    assert code[2].source.startswith("SEED = 0\n")
    for cell in code:  # no helpers defined in the chapter
        assert "\ndef " not in "\n" + cell.source and "\nclass " not in "\n" + cell.source
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not GLUE.search(prose), "numbers in prose come from utils.report.md, not glue"
    md_text = prose + "\n".join(c.source for c in code if "md(" in c.source)
    assert md_text.count("3/4") == 1, "the GRU/LSTM ratio is stated once (plus the exercise)"
    for note in ("the tests check", "not installed here", "rounding", "inspect"):
        assert note not in md_text, f"maintainer note or rounding aside in the prose: {note!r}"
    # every path through the cell is NOT multiplied by f_t (the loop through h is not)
    assert "every path through the cell" not in md_text
    # the keep-gate bias of the trained task is said where it is chosen, with why (issue 20)
    assert "Why $b$" in md_text and "constant error" in md_text
    for refuted in ("cannot learn and gated cells can", "is no escape", "stays at the baseline"):
        assert refuted not in md_text, refuted
    # issue 20 after the expert's rerun: no maintainer phrasing, no wall-clock speed aside,
    # no pooled verdict; pointers name their section; W_hh^t is a power, written with t
    for note in ("trained once", "stored grid", "the stored", "committed", "the training above",
                 "seconds[", "training_speed_verdict(", "Pooled"):
        assert note not in md_text, f"{note!r} in the reading path"
    assert r"W_{hh}^T" not in prose and r"W_{hh}^{\,t}" in prose
    assert "*What the LSTM added*" in md_text
    # every name the visible code uses is defined in visible code (B_RECALL, issue 20 pt 7)
    visible = [c for c in code if not {"remove-input", "remove-cell"} & set(c.metadata.get(
        "tags", []))]
    first_use = min(i for i, c in enumerate(code) if "B_RECALL" in c.source)
    assert "B_RECALL = " in code[first_use].source and code[first_use] in visible
    # the GRU's equations come before its first measurement, with n_t named (issue 20, pt 3)
    sources = [c.source for c in nb.cells]
    eq = next(i for i, s in enumerate(sources) if r"\text{update gate}" in s and "n_t" in s)
    measured = next(i for i, s in enumerate(sources) if 'gradient_norms("gru"' in s)
    assert eq < measured
    assert "vanishing_explorer()" in "".join(c.source for c in code)
    assert "recall_explorer()" in "".join(c.source for c in code)
    assert "param_budget_explorer" not in "".join(c.source for c in code)
    md_cells = [c for c in code if "md(" in c.source]
    assert md_cells and all("remove-input" in c.metadata.get("tags", []) for c in md_cells)
    # headings are Markdown cells, never generated output (the page's table of contents and
    # JupyterLab's outline read only Markdown cells)
    for cell in md_cells:
        assert not re.search(r"^#+ ", cell.source.split("md(", 1)[1], re.M), cell.source[:200]
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")]
    for title in ("## A task that needs memory", "### Explore: the keep-gate bias",
                  "## The question", "## Summary"):
        assert title in headings, title
    # the gated cells' trained result is said with its start: constant b = 3, or chrono
    assert "constant bias" in md_text and "chrono" in md_text and "Tallec" in md_text
    assert "with a large bias the GRU" not in md_text


def test_chapter_runs_clean(executed):
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", f"{out.get('ename')}: {out.get('evalue')}"
            assert out.output_type != "stream", f"cell printed {out.get('text')!r}"


def test_the_lstm_explanation_follows_the_measurement(executed):
    """Issue 9, point 1: the rate with W_hh = 0 and no input is σ(b) exactly; the cell path
    alone decays like σ(b)^t, far below what survives through all paths."""
    values = computed(executed)
    sigma_1 = 1 / (1 + math.exp(-1.0))
    assert values["rate_rho0"] == pytest.approx(sigma_1, abs=1e-6)
    assert values["sigma_1"] == pytest.approx(sigma_1, abs=1e-12)
    for b, rate in values["cell_path_rates"].items():
        assert rate == pytest.approx(1 / (1 + math.exp(-float(b))), abs=0.05)
    rates = values["rates"]
    assert rates["LSTM, b = 1"] > values["cell_path_rates"]["1"] + 0.1
    assert values["cell_all_T"] > 1e6 * values["cell_path_T"]
    assert rates["LSTM, b = 0"] < rates["RNN (tanh)"] < rates["LSTM, b = 1"]
    # the GRU at the update-gate biases that matter is in the static figure
    assert {f"GRU, b = {b}" for b in (0, 1, 2, 3)} <= set(rates)
    assert rates["GRU, b = 3"] > rates["RNN (tanh)"] > rates["GRU, b = 0"]


def test_the_trained_task_gives_one_verdict_per_length(executed):
    """Issue 20, points 1 and 3: the RNN from an orthogonal start is in the comparison, the
    gated cells from the same start and with chrono biases too; one verdict per length
    (utils.verdict.compare_rates), no pooling across the crossover; the budget is named."""
    values = computed(executed)
    assert values["recall_T"] >= 50
    counts, reach = values["counts"], values["reach"]
    assert reach["RNN, orthogonal start"] > reach["RNN (tanh)"]
    for T in values["long"]:
        assert counts["RNN (tanh)"][str(T)][0] == 0
    per_T, diff, p = values["per_T"], values["per_T_diff"], values["per_T_p"]
    for side in ("GRU, b = 3", "GRU, chrono", "GRU, b = 3, orthogonal start"):
        assert set(per_T[side]) == {str(T) for T in values["long"]}, side
    for side, verdicts in per_T.items():
        for T, direction in verdicts.items():
            assert direction in (side, "RNN, orthogonal start", "unresolved")
            if direction != "unresolved":  # a decided verdict agrees with the counts and p
                assert (diff[side][T] > 0) == (direction == side) and p[side][T] < 0.05
    # the chrono GRU against the same GRU at b = 3: decided somewhere, never the other way
    assert "GRU, chrono" in values["vs_b3"]["GRU"].values()
    assert "GRU, b = 3" not in values["vs_b3"]["GRU"].values()
    for kind in ("GRU", "LSTM"):
        assert reach[f"{kind}, b = 0"] < reach["RNN (tanh)"] < reach[f"{kind}, b = 3"]
        assert all(k == 0 for k, n in counts[f"{kind}, b = 1"].values())
    # "smaller constant biases fail": each from utils.verdict.compare_rates against b = 3
    assert set(values["smaller"]) == {f"{k}, b = {b}" for k in ("GRU", "LSTM") for b in (0, 1)}
    for side, direction in values["smaller"].items():
        assert direction in (side.replace(side.rsplit("= ", 1)[1], "3"), "unresolved")
        if direction != "unresolved":
            assert values["smaller_p"][side] < 0.05
    assert values["b0_vs_rnn"] in ("the GRU at $b$ = 0", "the default RNN", "unresolved")
    texts = _markdown_outputs(executed)
    verdict = next(t for t in texts if "One verdict per length" in t)
    assert f"budget of {values['steps']} Adam steps" in verdict
    assert "GRU with constant $b$ = 3" in verdict and "chrono GRU" in verdict


def test_the_tanh_rnn_stays_under_rho_to_the_t(executed):
    values = computed(executed)
    for r, final in values["tanh_T"].items():
        assert final <= float(r) ** values["T_max"] * (1 + 1e-9)
    assert values["tanh_rates"]["1"] < 0.9


def test_timing_verdict_is_in_context(executed):
    """Issue 20, point 5: the speed claim is judged per size from interleaved repeats with
    their spread (utils.verdict.compare, paired), never from a training run's wall time."""
    values = computed(executed)
    assert set(values["speedup"]) == set(values["speed_verdict"]) == {"64", "256"}
    assert set(values["speed_verdict"].values()) <= {"GRU", "LSTM", "unresolved"}
    texts = [o["data"]["text/markdown"] for c in executed.cells if c.cell_type == "code"
             for o in c.outputs if "text/markdown" in o.get("data", {})]
    verdict = next(t for t in texts if "25–30 %" in t)
    assert "Chapter 4" in verdict and ("oneDNN" in verdict or "generic operators" in verdict)
    assert "interleaved" in verdict and "% faster at" not in verdict
    assert " s for the GRU" not in verdict


def test_sentence_counter_finds_number_walls():
    assert sentences_with_many_numbers(["It kept 0.5, 0.7, 0.9 and 1.2 per step. Fine."]) == [
        "It kept 0.5, 0.7, 0.9 and 1.2 per step."]
    assert sentences_with_many_numbers(["| 1 | 2 | 3 | 4 |\n\n$$1 + 2 + 3 = 6$$"]) == []
    assert sentences_with_many_numbers(["```python\nx = f(1, 2, 3, 4)\n```\n\nNo wall."]) == []


def test_no_sentence_carries_four_numbers(executed):
    """Issue 20, point 9: numbers go in tables, at most three in a sentence of prose."""
    assert sentences_with_many_numbers(prose_texts(executed)) == []


def test_chapter_demos_are_embedded_within_the_page_budget(executed):
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in executed.cells if c.cell_type == "code" for out in c.outputs
             if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(views) == 2 and all(v in state for v in views)  # vanishing + recall
    images = sum(1 for m in state.values() if m["model_name"] == "ImageModel")
    assert images == 30 + 18
    size = len(json.dumps(executed.metadata["widgets"]).encode())
    assert size < 0.75 * PAGE_BUDGET, f"{size} bytes of widget state"
    # the folded aside: machine and operator tables, input removed and output hidden
    aside = [c for c in executed.cells if c.cell_type == "code"
             and "hide-output" in c.metadata.get("tags", [])]
    assert len(aside) == 1 and "machine" in aside[0].source


def _markdown_outputs(executed) -> list[str]:
    return [o["data"]["text/markdown"] for c in executed.cells if c.cell_type == "code"
            for o in c.outputs if "text/markdown" in o.get("data", {})]


def test_summary_and_answer_follow_the_per_length_verdicts(executed):
    """The chapter's answer and the Summary are generated from the per-length verdicts: the
    GRU with constant b = 3 ties the orthogonal RNN up to T_all and falls behind at the longest
    lengths; the chrono GRU's reach is said as the verdicts decide it (issue 20, expert rerun).
    """
    values = computed(executed)
    counts, long = values["counts"], values["long"]
    cells = executed.cells
    question = next(i for i, c in enumerate(cells) if c.cell_type == "markdown"
                    and c.source.startswith("## The question"))
    summary = next(i for i, c in enumerate(cells) if c.cell_type == "markdown"
                   and c.source.startswith("## Summary"))
    assert question < summary
    answer = "".join(o["data"]["text/markdown"] for o in cells[question + 1].outputs
                     if "text/markdown" in o.get("data", {}))
    bullets = "".join(o["data"]["text/markdown"] for o in cells[summary + 1].outputs
                      if "text/markdown" in o.get("data", {}))
    assert "What this chapter's runs say" in answer and bullets.startswith("* ")
    T_all = values["all_solved_to"]
    for name in ("GRU, b = 3", "GRU, b = 3, orthogonal start"):
        assert all(k == n for T, (k, n) in counts[name].items() if int(T) <= T_all)
    assert all(values["per_T_diff"]["GRU, b = 3"][str(T)] == 0 for T in long if T <= T_all)
    assert f"up to $T$ = {T_all}," in answer and f"up to $T$ = {T_all} " in bullets
    assert values["gru3_behind"] and values["gru3_behind"][-1] == long[-1]
    assert all(values["per_T_diff"]["GRU, b = 3"][str(T)] < 0 for T in values["gru3_behind"])
    assert values["default_rnn_none_from"] == long[0]
    # "solved none of its N runs at each length": N is the run count at every long length
    n_runs = {counts["RNN (tanh)"][str(T)][1] for T in long}
    assert values["default_rnn_runs"] == sorted(n_runs)
    said = f"solved none of its {min(n_runs)}"
    assert said in answer and said in bullets and "fails from" not in bullets
    assert all(counts["RNN (tanh)"][str(T)][0] == 0 for T in long)
    # the chrono GRU's reach against the orthogonal RNN, as decided (or not) by the seeds
    won, lost = values["chrono_won"], values["chrono_lost"]
    assert all(values["per_T"]["GRU, chrono"][str(T)] == "GRU, chrono" for T in won)
    reach = values["summary_chrono_reach"]
    assert reach in answer and reach in bullets
    assert ("the seeds decide at" in reach) == bool(won and not lost)
    assert ("do not decide" in reach) == (not won and not lost and bool(values["chrono_ahead"]))
    assert all(values["per_T_diff"]["GRU, chrono"][str(T)] > 0 for T in values["chrono_ahead"])
    # the constant-b GRU's deficit at the longest lengths is said undecided unless it is
    assert ("a gap these seeds do not decide" in answer) == (not values["gru3_lost"])
    assert f"{values['steps']} Adam steps" in bullets
    # issue 20: the long-length failure is the constant bias's, said where the verdict says it
    assert ("the constant bias's, not the GRU's" in bullets) == bool(values["chrono_over_b3"])


def test_recall_tables_say_where_the_runs_come_from_and_show_p(executed):
    values = computed(executed)
    texts = _markdown_outputs(executed)
    settings = next(i for i, t in enumerate(texts) if "distractors' std" in t)
    verdict = next(i for i, t in enumerate(texts) if "One verdict per length" in t)
    assert settings < verdict  # the settings come before the results
    made = sorted({n for c in values["counts"].values() for _, n in c.values()})
    assert values["seeds_made"] == made and made[0] < made[-1]
    assert f"with {made[0]} to {made[-1]} seeds" in texts[verdict]
    assert "percentage points" in texts[verdict]
    rows = [line for line in texts[verdict].splitlines()
            if re.match(r"\| (GRU|LSTM)", line) and " to " in line]
    cells = [c.strip() for line in rows for c in line.strip("|").split("|")[1:]]
    # one format in every cell: whole points with a typographic minus, p with three decimals
    assert len(rows) >= 8 and all(
        re.fullmatch(r"([+−]\d+|0) to ([+−]\d+|0), p (= [01]\.\d{3}|< 0\.001): \S.*", c)
        for c in cells if c != "not run"), cells
    assert "-" not in "".join(cells).replace("not run", "")


def test_explorers_ask_before_they_answer(executed):
    nb_cells = executed.cells
    demo = next(i for i, c in enumerate(nb_cells) if c.source.strip() == "vanishing_explorer()")
    before = "".join(o["data"]["text/markdown"] for o in nb_cells[demo - 1].outputs
                     if "text/markdown" in o.get("data", {}))
    after = "".join(o["data"]["text/markdown"] for o in nb_cells[demo + 1].outputs
                    if "text/markdown" in o.get("data", {}))
    assert nb_cells[demo - 2].source.startswith("### Explore: the keep-gate bias")
    assert before.count("?") >= 2
    assert "grows from" not in before and "passes it from" in after
    recall = next(i for i, c in enumerate(nb_cells) if c.source.strip() == "recall_explorer()")
    assert nb_cells[recall - 1].cell_type == "markdown"
    assert "Try it" in nb_cells[recall - 1].source and "?" in nb_cells[recall - 1].source


def test_timing_sentences_read_as_sentences(executed):
    verdict = next(t for t in _markdown_outputs(executed) if "25–30 %" in t)
    assert not re.search(r"At \$H\$ = \d+: [A-Z]", verdict)
    assert all(f"At $H$ = {h}, " in verdict for h in (64, 256))
    assert "measures speed properly" not in verdict


def test_directions_alive_counts_singular_values_above_the_threshold():
    """``directions_alive`` is the count of singular values of ∂s_T/∂s_0 above the threshold,
    recomputed here from the Jacobians; a tanh RNN at ρ = 1 keeps none after 100 steps, a
    GRU with bias 3 keeps most (the chapter's 'few directions' sentence rests on this)."""
    import torch

    from utils.gradients import build_cell, directions_alive, state_jacobians

    sizes = dict(input_size=8, hidden_size=16, seq_len=100, seed=0)
    for kind, rho, bias in (("rnn", 1.5, 0.0), ("gru", 1.0, 3.0)):
        xs = torch.randn(100, 1, 8, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(1))
        cell = build_cell(kind, 8, 16, spectral_radius=rho, gate_bias=bias,
                          generator=torch.Generator().manual_seed(0))
        s0 = torch.zeros(1, 16, dtype=torch.float64)
        sv = torch.linalg.svdvals(state_jacobians(cell, xs, s0)[-1, 0])
        for threshold in (1e-3, 1e-1):
            assert directions_alive(kind, spectral_radius=rho, gate_bias=bias,
                                    threshold=threshold, **sizes) == int((sv > threshold).sum())
    assert directions_alive("rnn", spectral_radius=1.0, **sizes) == 0
    assert (directions_alive("gru", spectral_radius=1.0, gate_bias=3.0, **sizes)
            > 2 * directions_alive("rnn", spectral_radius=1.5, **sizes))
