r"""Classical forecasting baselines and the metric forecasters use, for a held-out horizon.

A series ``y_1 … y_n`` is split once, in time order: the model sees ``y_1 … y_{n−h}`` and
forecasts the last ``h`` values (``holdout``); nothing after the cut informs any fit.

* **Seasonal naïve** with period ``m``: ``ŷ_{n−h+k} = y_{n−h−m+((k−1) mod m)+1}``, the value
  one period earlier (the forecast repeats the last observed cycle).
* **AR(p)** (ARIMA(p, 0, 0)) with ``p`` chosen by AIC on the training part
  (``statsmodels.tsa.ar_model.ar_select_order``), fitted by ``statsmodels``'s ARIMA.
* **ETS** with additive error and an additive seasonal component of period ``m``
  (``statsmodels.tsa.exponential_smoothing.ets.ETSModel``).

The metric is **MASE** (Hyndman & Koehler 2006): the mean absolute error of the forecast
divided by the in-sample mean absolute error of the seasonal naïve one-period-ahead forecast,

    MASE = mean_k |y_k − ŷ_k| / ( (1/(n−h−m)) Σ_{t>m} |y_t − y_{t−m}| ),

so 1 means "as good, on the held-out horizon, as the seasonal naïve forecast was in sample";
it is comparable across series and never divides by a zero of the series itself.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["holdout", "seasonal_naive", "ar_aic", "ets_seasonal", "mae", "mase"]

Array = NDArray[np.float64]


def _series(y: ArrayLike, name: str = "y") -> Array:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size < 2 or not np.isfinite(y).all():
        raise ValueError(f"expected {name} of shape (n,): a finite 1-D series, got shape "
                         f"{y.shape}")
    return y


def holdout(y: ArrayLike, horizon: int) -> tuple[Array, Array]:
    """``(train, test)``: the first ``n − horizon`` values and the last ``horizon``."""
    y = _series(y)
    if not isinstance(horizon, (int, np.integer)) or not 1 <= horizon < len(y):
        raise ValueError(f"expected horizon an int in [1, {len(y) - 1}], got {horizon!r}")
    return y[:-horizon].copy(), y[-horizon:].copy()


def _check(train: ArrayLike, horizon: int, period: int) -> Array:
    train = _series(train, "train")
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"expected horizon a positive int, got {horizon!r}")
    if not isinstance(period, (int, np.integer)) or not 1 <= period < len(train):
        raise ValueError(f"expected period an int in [1, {len(train) - 1}], got {period!r}")
    return train


def seasonal_naive(train: ArrayLike, horizon: int, period: int) -> Array:
    """The last observed cycle, repeated: ``(horizon,)``."""
    train = _check(train, horizon, period)
    last_cycle = train[-period:]
    return last_cycle[np.arange(horizon) % period].copy()


def ar_aic(train: ArrayLike, horizon: int, *, max_lag: int = 15) -> tuple[Array, int]:
    """AR(p) forecast with ``p ≤ max_lag`` chosen by AIC on ``train``: ``(forecast, p)``."""
    from statsmodels.tsa.ar_model import ar_select_order
    from statsmodels.tsa.arima.model import ARIMA

    train = _check(train, horizon, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from the optimiser
        lags = ar_select_order(train, maxlag=max_lag, ic="aic", trend="c").ar_lags
        p = int(max(lags)) if lags else 0
        fit = ARIMA(train, order=(p, 0, 0), trend="c").fit()
    return np.asarray(fit.forecast(horizon), dtype=np.float64), p


def ets_seasonal(train: ArrayLike, horizon: int, period: int) -> Array:
    """ETS(A, N, A): additive error, no trend, additive season of ``period`` steps."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    train = _check(train, horizon, period)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(train, error="add", trend=None, seasonal="add",
                       seasonal_periods=period).fit(disp=False)
    return np.asarray(fit.forecast(horizon), dtype=np.float64)


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error."""
    y_true, y_pred = _series(y_true, "y_true"), _series(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"expected y_pred of shape {y_true.shape}, got {y_pred.shape}")
    return float(np.abs(y_true - y_pred).mean())


def mase(y_true: ArrayLike, y_pred: ArrayLike, train: ArrayLike, period: int) -> float:
    """MASE: the forecast's MAE over the in-sample MAE of the seasonal naïve forecast."""
    train = _check(train, 1, period)
    scale = float(np.abs(train[period:] - train[:-period]).mean())
    if scale == 0:
        raise ValueError("the training series repeats exactly every period: MASE is undefined")
    return mae(y_true, y_pred) / scale
