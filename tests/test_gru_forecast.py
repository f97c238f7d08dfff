"""utils.gru_forecast: windows, recursive forecasting, and learning a clean periodic series."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.forecast import holdout, mae, seasonal_naive
from utils.gru_forecast import GRUForecaster, fit_forecast, windows


def test_windows_pair_each_window_with_the_next_value():
    u = np.arange(7.0)
    X, y = windows(u, 3)
    assert X.shape == (3, 4, 1) and y.shape == (4,)
    for n in range(4):
        assert X[:, n, 0].tolist() == [n, n + 1, n + 2] and y[n].item() == n + 3


def test_forecast_is_recursive(monkeypatch):
    """Each step's input window ends with the previous predictions."""
    seen = []
    real_forward = GRUForecaster.forward

    def spy(self, X):
        out = real_forward(self, X)
        if X.shape[1] == 1:
            seen.append((X[:, 0, 0].clone(), out.item()))
        return out

    monkeypatch.setattr(GRUForecaster, "forward", spy)
    train = np.sin(np.arange(40) / 3)
    fit_forecast(train, 3, seed=0, window=5, hidden_size=4, epochs=2)
    assert len(seen) == 3
    assert seen[1][0][-1].item() == pytest.approx(seen[0][1])
    assert seen[2][0][-2:].tolist() == pytest.approx([seen[0][1], seen[1][1]])


def test_gru_beats_seasonal_naive_on_a_clean_sine_with_a_non_integer_period():
    """Period 7.5 steps: repeating the last integer-length cycle drifts, the GRU does not."""
    t = np.arange(160)
    y = 10 + 3 * np.sin(2 * np.pi * t / 7.5)
    train, test = holdout(y, 15)
    torch.set_num_threads(1)
    result = fit_forecast(train, 15, seed=0, window=15, hidden_size=8, epochs=200)
    assert result["losses"][-1] < 0.05 * result["losses"][0]
    assert mae(test, result["forecast"]) < 0.5 * mae(test, seasonal_naive(train, 15, 8))


def test_windows_reject_a_window_as_long_as_the_series():
    with pytest.raises(ValueError, match="longer than window = 5"):
        windows(np.arange(5.0), 5)
