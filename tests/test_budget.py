"""utils.budget: paper-convention counts, budget-matched hidden sizes, concat ↔ split weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.budget import (chung_table1, concat_to_torch, hidden_for_budget, matched_sizes,
                          music_input_fits, param_count_as, torch_to_concat)
from utils.numpy_cells import LSTMCell
from utils.params import param_count

MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (20, 195), (8, 33)])
def test_pytorch_convention_is_torch_count(kind, input_size, hidden_size):
    module = MODULES[kind](input_size, hidden_size)
    expected = sum(p.numel() for p in module.parameters())
    assert param_count_as(kind, input_size, hidden_size, "pytorch") == expected
    assert param_count(kind, input_size, hidden_size) == expected


@pytest.mark.parametrize("kind, g", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_one_bias_and_peephole(kind, g):
    i, h = 7, 11
    torch_count = param_count_as(kind, i, h, "pytorch")
    assert param_count_as(kind, i, h, "one_bias") == torch_count - g * h
    extra = 3 * h if kind == "lstm" else 0
    assert param_count_as(kind, i, h, "peephole") == torch_count - g * h + extra


def test_chung_table1_exact():
    rows = {r["kind"]: r for r in chung_table1()}
    assert rows["lstm"]["params"] == 169_065
    assert rows["gru"]["params"] == 168_888
    assert rows["rnn"]["params"] == 168_400
    # and the budget search recovers their unit counts from the LSTM's budget
    for kind, units in (("gru", 227), ("rnn", 400), ("lstm", 195)):
        assert hidden_for_budget(kind, 20, 169_065, "peephole") == units


@pytest.mark.parametrize("convention", ["pytorch", "one_bias", "peephole"])
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("input_size", [1, 2, 8, 10, 100])
@pytest.mark.parametrize("budget", [200, 1000, 4321, 169_065])
def test_hidden_for_budget_is_the_largest_that_fits(kind, input_size, budget, convention):
    if param_count_as(kind, input_size, 1, convention) > budget:
        with pytest.raises(ValueError, match="does not fit"):
            hidden_for_budget(kind, input_size, budget, convention)
        return
    h = hidden_for_budget(kind, input_size, budget, convention)
    assert param_count_as(kind, input_size, h, convention) <= budget
    assert param_count_as(kind, input_size, h + 1, convention) > budget


def test_matched_sizes_and_errors():
    sizes = matched_sizes(8, 4000)
    assert sizes["gru"]["hidden_size"] > sizes["lstm"]["hidden_size"]
    assert sizes["rnn"]["hidden_size"] > sizes["gru"]["hidden_size"]
    with pytest.raises(ValueError, match="unknown kind"):
        param_count_as("mgu", 2, 3)
    with pytest.raises(ValueError, match="unknown convention"):
        param_count_as("gru", 2, 3, "keras")
    with pytest.raises(ValueError, match="positive int"):
        hidden_for_budget("gru", 0, 100)


def test_music_fit_prefers_input_100():
    fits = music_input_fits(tolerance=0.02)
    assert fits and fits[0]["input_size"] == 100
    assert fits[0]["rnn"] == 20_100


@pytest.mark.parametrize("order", ["hx", "xh"])
def test_concat_to_torch_matches_lstmcell(order):
    rng = np.random.default_rng(3)
    H, H_in, N = 4, 3, 2
    W = rng.normal(size=(4 * H, H + H_in))
    b = rng.normal(size=4 * H)
    x = rng.normal(size=(N, H_in))
    h = rng.normal(size=(N, H))
    c = rng.normal(size=(N, H))
    hx = np.concatenate([h, x], 1) if order == "hx" else np.concatenate([x, h], 1)
    a = hx @ W.T + b  # the concatenated pre-activations, (N, 4H)
    i, f, g, o = np.split(a, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_ref = sig(f) * c + sig(i) * np.tanh(g)
    h_ref = sig(o) * np.tanh(c_ref)
    params = concat_to_torch(W, b, H, order=order)
    cell = torch.nn.LSTMCell(H_in, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in params.items():
            getattr(cell, name).copy_(torch.from_numpy(value))
        h_t, c_t = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    np.testing.assert_allclose(h_t.numpy(), h_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_t.numpy(), c_ref, rtol=1e-12, atol=1e-12)
    W_back, b_back = torch_to_concat(**params, order=order)
    np.testing.assert_array_equal(W_back, W)
    np.testing.assert_allclose(b_back, b)


def test_concat_to_torch_rejects_bad_shapes():
    with pytest.raises(ValueError, match="columns"):
        concat_to_torch(np.zeros((8, 2)), np.zeros(8), 2)
    with pytest.raises(ValueError, match="b must have shape"):
        concat_to_torch(np.zeros((8, 5)), np.zeros(7), 2)
    with pytest.raises(ValueError, match="order"):
        concat_to_torch(np.zeros((8, 5)), np.zeros(8), 2, order="hh")


def test_numpy_lstm_cell_is_torch_in_float64():
    cell = LSTMCell(3, 3, rng=np.random.default_rng(0))
    x = np.array([[0.5, -0.3, 0.8]])
    h = np.array([[0.2, 0.4, -0.1]])
    c = np.array([[0.6, -0.2, 0.3]])
    (h_np, c_np) = cell.step(x, (h, c))
    h_t, c_t = cell.to_torch()(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    np.testing.assert_allclose(h_np, h_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_np, c_t.detach().numpy(), rtol=1e-12, atol=1e-14)
