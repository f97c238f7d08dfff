r"""A GRU forecaster for one series: trained one step ahead, forecasting recursively.

From the training part ``y_1 … y_m`` of a series (``utils.forecast.holdout``) the model sees
every window of ``window`` consecutive values and learns the next one:

    u_t = (y_t − μ) / s                       standardised with the training part's μ and s
    h_k = GRU(u_{t−W+1}, …, u_t)              the state after the window
    û_{t+1} = w · h_k + b                     mean squared error against u_{t+1}

To forecast ``h`` steps it appends each prediction to the window and predicts again (the
recursive strategy), so errors can compound over the horizon, as with an AR model.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

__all__ = ["GRUForecaster", "windows", "fit_forecast"]


def windows(u: ArrayLike, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of ``u``: inputs ``(window, N, 1)`` and next values ``(N,)``, float32,
    with ``N = len(u) − window``."""
    u = np.asarray(u, dtype=np.float32)
    if u.ndim != 1 or not 1 <= window < len(u):
        raise ValueError(f"expected a 1-D series longer than window = {window}, "
                         f"got shape {u.shape}")
    N = len(u) - window
    idx = np.arange(window)[:, None] + np.arange(N)[None, :]  # (window, N)
    return torch.from_numpy(u[idx][..., None]), torch.from_numpy(u[window:])


class GRUForecaster(nn.Module):
    """``torch.nn.GRU(1, hidden_size)`` and a linear read-out of its last state."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(1, hidden_size)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """``X (T, N, 1)`` → the next value ``(N,)``."""
        _, h_n = self.rnn(X)
        return self.out(h_n[-1]).squeeze(-1)


def fit_forecast(train: ArrayLike, horizon: int, *, seed: int, window: int = 22,
                 hidden_size: int = 16, epochs: int = 300, lr: float = 1e-2
                 ) -> dict[str, object]:
    """Train on ``train`` (full batch, Adam) and forecast ``horizon`` steps recursively.

    Returns ``{"forecast": (horizon,) float64 in the series' units, "losses": the training
    MSE (standardised units) every epoch, "params"}``.
    """
    train = np.asarray(train, dtype=np.float64)
    if horizon < 1:
        raise ValueError(f"expected horizon ≥ 1, got {horizon}")
    mu, s = float(train.mean()), float(train.std())
    u = (train - mu) / s
    X, y = windows(u, window)
    torch.manual_seed(seed)
    model = GRUForecaster(hidden_size)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = nn.functional.mse_loss(model(X), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    history = list(u[-window:].astype(np.float32))
    forecast = []
    with torch.no_grad():
        for _ in range(horizon):
            x = torch.tensor(history[-window:], dtype=torch.float32)[:, None, None]
            next_u = model(x).item()
            forecast.append(next_u)
            history.append(next_u)
    return {"forecast": np.array(forecast) * s + mu, "losses": losses,
            "params": sum(p.numel() for p in model.parameters())}
