"""A GRU step in plain torch ops, one gate at a time: the independent reference that several
test files compare the course's code against (it uses nothing from ``utils``)."""

from __future__ import annotations

import torch


def torch_gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh, reset_after: bool):
    """One GRU step in plain torch ops, one gate at a time (independent of
    utils.numpy_cells): ``(r, z, n, h_t)``."""
    W_ir, W_iz, W_in = weight_ih.chunk(3)
    W_hr, W_hz, W_hn = weight_hh.chunk(3)
    b_ir, b_iz, b_in = bias_ih.chunk(3)
    b_hr, b_hz, b_hn = bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_after:
        n = torch.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    else:
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    return r, z, n, (1 - z) * n + z * h
