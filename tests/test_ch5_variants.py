"""Chapter 5 additions to utils.variants / utils.torch_cells / utils.costs: the scan schedule,
the product and log-space scans, the positive minGRU, Li-GRU without batch norm, gate_inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils import torch_cells as tc
from utils import variants as V
from utils.costs import time_scan_vs_loop


def _pairs(seed: int, T: int, low: float = 0.1, high: float = 0.99):
    g = np.random.default_rng(seed)
    a = g.uniform(low, high, (T, 3, 2))
    return a, g.uniform(0.1, 1.0, (T, 3, 2)), g.uniform(0.1, 1, (3, 2))


@pytest.mark.parametrize("T", [0, 1, 2, 3, 5, 8, 9, 16, 17, 100])
def test_scan_schedule_has_ceil_log2_rounds_and_each_position_combines_with_t_minus_d(T):
    rounds = V.scan_schedule(T)
    assert len(rounds) == (int(np.ceil(np.log2(T))) if T > 1 else 0)
    for k, (d, targets) in enumerate(rounds):
        assert d == 2 ** k
        np.testing.assert_array_equal(targets, np.arange(d, T))


@pytest.mark.parametrize("T", [1, 2, 7, 8, 9, 33])
def test_linear_scan_rounds_end_at_the_loop_and_each_round_covers_2_to_the_k_pairs(T):
    a, b, h0 = _pairs(T, T)
    hist = V.linear_scan_rounds(a, b, h0)
    assert len(hist) == len(V.scan_schedule(T)) + 1
    np.testing.assert_allclose(hist[-1], V.linear_scan_loop(a, b, h0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(hist[-1], V.linear_scan(a, b, h0), rtol=0, atol=0)
    for k, B in enumerate(hist):  # after round k, position t holds the last 2^k pairs
        span = 2 ** k
        for t_ in range(T):
            lo = max(0, t_ - span + 1)
            start = h0 if lo == 0 else np.zeros_like(h0)
            want = V.linear_scan_loop(a[lo:t_ + 1], b[lo:t_ + 1], start)[-1]
            np.testing.assert_allclose(B[t_], want, rtol=0, atol=1e-12)


def test_product_scan_is_exact_for_short_sequences_and_fails_where_the_product_underflows():
    a, b, h0 = _pairs(1, 40)
    ref = V.linear_scan_loop(a, b, h0)
    np.testing.assert_allclose(V.product_scan(a, b, h0), ref, rtol=1e-9)
    a, b, h0 = _pairs(2, 3000, 0.2, 0.6)  # ∏ a ≈ 0.4^3000 ≈ 1e-1190: underflows
    ref = V.linear_scan_loop(a, b, h0)
    bad = V.product_scan(a, b, h0)
    assert not np.all(np.isfinite(bad))
    log_h = V.log_linear_scan(np.log(a), np.log(b), np.log(h0))
    np.testing.assert_allclose(np.exp(log_h), ref, rtol=1e-10)


def test_log_linear_scan_torch_equals_numpy_and_allows_h0_zero():
    a, b, h0 = _pairs(3, 50)
    h0[0] = 0.0
    with np.errstate(divide="ignore"):
        args = np.log(a), np.log(b), np.log(h0)
    want = V.log_linear_scan(*args)
    got = tc.log_linear_scan(*(torch.from_numpy(x) for x in args)).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.exp(want), V.linear_scan_loop(a, b, h0), rtol=1e-11)


def test_g_positive_is_continuous_positive_and_log_g_matches():
    x = np.linspace(-40, 40, 2001)
    g = V.g_positive(x)
    assert np.all(g > 0) and np.all(np.diff(g) > 0)
    assert abs(V.g_positive(np.array([0.0]))[0] - 0.5) < 1e-15
    np.testing.assert_allclose(V.log_g_positive(x), np.log(g), rtol=1e-12, atol=1e-12)
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(tc.g_positive(xt).numpy(), g, rtol=1e-14)
    np.testing.assert_allclose(tc.log_g_positive(xt).numpy(), np.log(g), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("T", [1, 9, 64])
def test_positive_mingru_loop_scan_log_agree_in_numpy_and_torch(T):
    gen = torch.Generator().manual_seed(T)
    module = tc.MinGRUCell(3, 4, positive=True, generator=gen, dtype=torch.float64)
    X = torch.randn(T, 2, 3, generator=gen, dtype=torch.float64)
    h0 = torch.rand(2, 4, generator=gen, dtype=torch.float64)
    outs = [module.forward_sequence(X, h0, method=m)[0].detach().numpy()
            for m in ("loop", "scan", "log")]
    cell = V.MinGRU.from_torch(module)
    assert cell.positive
    for m, want in zip(("loop", "scan", "log"), outs):
        np.testing.assert_allclose(cell.forward(X.numpy(), h0.numpy(), method=m)[0], outs[0],
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(want, outs[0], rtol=0, atol=1e-12)
    assert np.all(outs[0] > 0)


def test_log_method_needs_the_positive_candidate_and_nonnegative_h0():
    with pytest.raises(ValueError, match="positive=True"):
        V.MinGRU(2, 3).forward(np.zeros((4, 1, 2)), method="log")
    with pytest.raises(ValueError, match="positive=True"):
        tc.MinGRUCell(2, 3, method="log")
    with pytest.raises(ValueError, match="h0 >= 0"):
        V.MinGRU(2, 3, positive=True).forward(np.zeros((4, 1, 2)), -np.ones((1, 3)),
                                              method="log")
    with pytest.raises(ValueError, match="positive=False"):
        V.MinGRU(2, 3, positive=True).backward(np.zeros((4, 1, 2)), None, np.ones((4, 1, 3)))


def test_ligru_without_batch_norm_is_the_raw_projection():
    cell = V.LiGRU(3, 4, rng=np.random.default_rng(0), batch_norm=False)
    X = np.random.default_rng(1).normal(size=(6, 2, 3)) * 50 + 20
    np.testing.assert_allclose(cell._input_projection(X), X @ cell.weight_ih.T, rtol=0, atol=0)
    with_bn = V.LiGRU(3, 4, rng=np.random.default_rng(0))
    H_raw, _ = cell.forward(X)
    H_bn, _ = with_bn.forward(X, training=True)
    assert np.abs(H_raw).max() > 10 * np.abs(H_bn).max()  # ReLU follows the input's scale
    with pytest.raises(ValueError, match="batch_norm=True"):
        cell.to_torch()


EXPECTED_READS = {
    "gru": {"r": (1, 1), "z": (1, 1), "n": (1, 1)},
    "gru_before": {"r": (1, 1), "z": (1, 1), "n": (1, 1)},
    "lstm": {"i": (1, 1), "f": (1, 1), "g": (1, 1), "o": (1, 1)},
    "mgu": {"f": (1, 1), "n": (1, 1)},
    "ligru": {"z": (1, 1), "n": (1, 1)},
    "gru1": {"r": (0, 1), "z": (0, 1), "n": (1, 1)},
    "gru2": {"r": (0, 1), "z": (0, 1), "n": (1, 1)},
    "gru3": {"r": (0, 0), "z": (0, 0), "n": (1, 1)},
    "cifg": {"i": (1, 1), "f": (1, 1), "g": (1, 1), "o": (1, 1)},
    "mingru": {"z": (1, 0), "n": (1, 0)},
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_READS))
def test_gate_inputs_measures_what_each_gate_reads(kind):
    got = {g: (int(v["x"]), int(v["h"])) for g, v in V.gate_inputs(kind).items()}
    assert got == EXPECTED_READS[kind]


def test_gate_inputs_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind"):
        V.gate_inputs("transformer")


def test_time_scan_vs_loop_reports_every_length_and_rounds():
    out = time_scan_vs_loop([3, 16], repeats=1, backward=True, hidden_size=4, batch_size=2)
    assert out["T"] == [3, 16] and out["rounds"] == [2, 4]
    assert all(s > 0 for s in out["loop"] + out["scan"])
    out = time_scan_vs_loop([8], repeats=3, hidden_size=4, batch_size=2)
    (low, high), = out["speedup_range"]  # loop / scan, repeat by repeat
    assert 0 < low <= high
