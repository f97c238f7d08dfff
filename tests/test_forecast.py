"""utils.forecast: the classical baselines and MASE, against their definitions and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest

from utils.forecast import ar_aic, ets_seasonal, holdout, mae, mase, seasonal_naive
from utils.realdata import sunspots


def test_holdout_cuts_in_time_order():
    y = np.arange(10.0)
    train, test = holdout(y, 3)
    assert train.tolist() == list(range(7)) and test.tolist() == [7.0, 8.0, 9.0]
    train[0] = 99
    assert y[0] == 0  # copies


@pytest.mark.parametrize("horizon, period", [(5, 3), (2, 4), (7, 1)])
def test_seasonal_naive_repeats_the_last_cycle(horizon, period):
    train = np.arange(20.0) ** 2
    forecast = seasonal_naive(train, horizon, period)
    expected = [train[len(train) - period + (k % period)] for k in range(horizon)]
    np.testing.assert_array_equal(forecast, expected)


def test_seasonal_naive_is_exact_on_a_purely_periodic_series():
    cycle = np.array([1.0, 5.0, 2.0, 8.0])
    y = np.tile(cycle, 6)
    train, test = holdout(y, 6)
    np.testing.assert_array_equal(seasonal_naive(train, 6, 4), test)


def test_mase_scales_by_the_in_sample_seasonal_naive_error(rng):
    train = rng.normal(size=50).cumsum()
    y_true, y_pred = rng.normal(size=5), rng.normal(size=5)
    scale = np.mean([abs(train[t] - train[t - 3]) for t in range(3, 50)])
    assert mase(y_true, y_pred, train, 3) == pytest.approx(np.abs(y_true - y_pred).mean()
                                                           / scale, rel=1e-12)
    assert mae(y_true, y_true) == 0


def test_ar_aic_recovers_the_order_of_a_simulated_ar2(rng):
    n, e = 600, rng.normal(size=600)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    forecast, p = ar_aic(y[:-10], 10, max_lag=8)
    assert p == 2
    assert forecast.shape == (10,)
    # far ahead an AR forecast returns to the series mean
    assert abs(forecast[-1] - y[:-10].mean()) < 0.3


def test_ar_aic_forecast_is_statsmodels_arima():
    from statsmodels.tsa.arima.model import ARIMA

    train, _ = holdout(sunspots()[1], 22)
    forecast, p = ar_aic(train, 22)
    reference = ARIMA(train, order=(p, 0, 0), trend="c").fit().forecast(22)
    np.testing.assert_allclose(forecast, reference, rtol=1e-10)


def test_ets_forecast_has_the_period_of_its_season():
    cycle = np.array([0.0, 10.0, 4.0, 1.0, 7.0])
    y = np.tile(cycle, 12) + 50
    forecast = ets_seasonal(y, 10, 5)
    np.testing.assert_allclose(forecast[:5], forecast[5:], atol=1e-8)
    np.testing.assert_allclose(forecast[:5], cycle + 50, atol=0.5)


@pytest.mark.parametrize("call, message", [
    (lambda: holdout(np.arange(5.0), 5), r"horizon an int in \[1, 4\]"),
    (lambda: holdout(np.ones((3, 2)), 1), r"shape \(n,\)"),
    (lambda: seasonal_naive(np.arange(5.0), 2, 5), r"period an int in \[1, 4\]"),
    (lambda: mae(np.ones(3), np.ones(4)), r"y_pred of shape \(3,\)"),
    (lambda: mase(np.ones(2), np.ones(2), np.ones(6), 2), "MASE is undefined"),
    (lambda: holdout(np.array([1.0, np.nan, 2.0]), 1), "finite"),
])
def test_bad_input_says_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
