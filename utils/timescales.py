r"""How long a gated unit remembers: half-lives, impulse responses, chrono initialisation.

With a constant update gate :math:`z` (PyTorch's sign: :math:`z` keeps the old state), a GRU
unit is a leaky integrator, :math:`h_t = z h_{t-1} + (1 - z) n_t`, so what it held at step 0
is scaled by :math:`z^t`. It has lost half of it after the **half-life**

.. math:: t_{1/2} = \frac{\ln(1/2)}{\ln z}\ \text{steps}
          \quad\Longleftrightarrow\quad z = 2^{-1/t_{1/2}},

and the gate's pre-activation bias :math:`b_z = b_{iz} + b_{hz}` that gives that :math:`z`
when the rest of the pre-activation is 0 is :math:`\mathrm{logit}(z) = \ln z - \ln(1 - z)`.

**Chrono initialisation** (Tallec & Ollivier, ICLR 2018, arXiv:1804.11188) draws each unit's
time scale :math:`T` uniformly in :math:`[2, T_{max}]`. A leaky unit with
:math:`z = 1 - 1/T` has characteristic time :math:`1/(1 - z) = T`, and
:math:`\sigma(b) = 1 - 1/T` gives :math:`e^{-b} = 1/(T - 1)`, i.e. :math:`b = \ln(T - 1)`:

.. math:: b_z \sim \ln\big(\mathcal U[1, T_{max} - 1]\big)

for the gate that *keeps* the state (PyTorch's GRU :math:`z`, the LSTM's forget gate
:math:`f`; for the LSTM the input gate gets :math:`b_i = -b_f`). In the convention of Chung
et al. and of Tallec & Ollivier's GRU, where the gate *takes* the new state, the sign flips.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

__all__ = ["half_life", "z_for_half_life", "bias_for_half_life", "chrono_bias",
           "chrono_init_", "leaky_impulse_response", "gru_impulse_response",
           "measured_half_life"]


def half_life(z: ArrayLike) -> NDArray[np.float64]:
    r"""Steps until :math:`z^t = 1/2`: :math:`\ln(1/2) / \ln z` (``inf`` at ``z = 1``).

    ``z`` in ``(0, 1]``, any shape.
    """
    z = np.asarray(z, dtype=np.float64)
    if np.any(~((z > 0) & (z <= 1))):
        raise ValueError(f"half_life: expected z in (0, 1], got values in [{z.min()}, {z.max()}]")
    with np.errstate(divide="ignore"):
        return np.where(z == 1, np.inf, np.log(0.5) / np.log(z))


def z_for_half_life(t_half: ArrayLike) -> NDArray[np.float64]:
    r"""The constant update gate with half-life ``t_half`` (> 0 steps): :math:`2^{-1/t}`."""
    t = np.asarray(t_half, dtype=np.float64)
    if np.any(~(t > 0)):
        raise ValueError(f"z_for_half_life: expected t_half > 0, got {t_half!r}")
    return 2.0 ** (-1.0 / t)


def bias_for_half_life(t_half: ArrayLike) -> NDArray[np.float64]:
    r"""The update-gate bias :math:`b_z` with :math:`\sigma(b_z) = 2^{-1/t_{1/2}}`:
    :math:`b_z = -\ln(2^{1/t_{1/2}} - 1)` (computed without cancellation)."""
    t = np.asarray(t_half, dtype=np.float64)
    if np.any(~(t > 0)):
        raise ValueError(f"bias_for_half_life: expected t_half > 0, got {t_half!r}")
    return -np.log(np.expm1(np.log(2.0) / t))  # logit(2^{-1/t}) = −ln(2^{1/t} − 1)


def chrono_bias(t_max: float, size: int, *, generator: torch.Generator) -> torch.Tensor:
    r"""``size`` draws of :math:`\ln\,\mathcal U[1, T_{max} - 1]` (float64); :math:`T_{max} > 2`.
    """
    if not (isinstance(t_max, (int, float)) and math.isfinite(t_max) and t_max > 2):
        raise ValueError(f"chrono_bias: expected t_max > 2, got {t_max!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chrono_bias: expected size to be a positive int, got {size!r}")
    u = torch.rand(size, generator=generator, dtype=torch.float64)
    return torch.log(1.0 + u * (t_max - 2.0))


def chrono_init_(module: nn.Module, t_max: float, *, generator: torch.Generator) -> nn.Module:
    r"""Chrono-initialise the biases of a GRU or LSTM in place (PyTorch's sign).

    GRU (``torch.nn.GRU``/``GRUCell`` or ``utils.torch_cells.GRUCell``; gates r | z | n):
    ``bias_ih[H:2H] = ln U[1, T_max − 1]`` and ``bias_hh[H:2H] = 0`` (only their sum enters
    :math:`z`). LSTM (gates i | f | g | o): :math:`b_f = \ln U[1, T_{max} - 1]`,
    :math:`b_i = -b_f` (in ``bias_ih``; ``bias_hh`` of both gates set to 0), as in Tallec &
    Ollivier (2018). Other biases and all weights are untouched. Returns ``module``.
    """
    names = [n for n, _ in module.named_parameters() if n.startswith("bias_ih")]
    if not names:
        raise ValueError(f"chrono_init_: expected a GRU or LSTM with bias_ih, got "
                         f"{type(module).__name__}")
    H = module.hidden_size
    for name in names:
        b_ih = getattr(module, name)
        b_hh = getattr(module, name.replace("bias_ih", "bias_hh"))
        gates = b_ih.shape[0] // H
        if gates not in (3, 4):
            raise ValueError(f"chrono_init_: expected 3H (GRU) or 4H (LSTM) biases, got "
                             f"{b_ih.shape[0]} for H = {H}")
        b = chrono_bias(t_max, H, generator=generator).to(b_ih.dtype)
        with torch.no_grad():
            b_ih[H:2 * H] = b  # z (GRU) or f (LSTM): the gate that keeps the state
            b_hh[H:2 * H] = 0.0
            if gates == 4:
                b_ih[:H] = -b  # the LSTM's input gate
                b_hh[:H] = 0.0
    return module


def leaky_impulse_response(z: ArrayLike, steps: int) -> NDArray[np.float64]:
    r""":math:`z^t` for :math:`t = 0..` ``steps``: what a leaky unit keeps of :math:`h_0`.

    ``z`` of shape ``(H,)`` → ``(steps + 1, H)``.
    """
    z = np.asarray(z, dtype=np.float64)
    return z[None, :] ** np.arange(steps + 1, dtype=np.float64)[:, None]


def gru_impulse_response(cell: Any, steps: int, *, pulse: float = 1.0
                         ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""How a GRU's units answer a pulse: :math:`\Delta h_t = h_t(\text{pulse}) - h_t(0)`.

    ``cell`` is a ``utils.numpy_cells.GRUCell`` with ``input_size = 1``. Two runs from
    :math:`h_0 = 0` over ``steps + 1`` steps: the input is ``pulse`` at step 0 then 0, or 0
    throughout. Returns ``(delta (steps + 1, H), z (steps + 1, H))``, ``z`` the update gate of
    the pulsed run (after the pulse, a leaky unit would answer :math:`\Delta h_t \propto
    \prod z`).
    """
    if getattr(cell, "input_size", None) != 1:
        raise ValueError(f"gru_impulse_response: expected a GRUCell with input_size 1, got "
                         f"{getattr(cell, 'input_size', type(cell).__name__)}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"gru_impulse_response: expected steps >= 1, got {steps!r}")
    X = np.zeros((steps + 1, 1, 1), dtype=np.float64)  # (T, N, H_in)
    base, _ = cell.forward(X)
    X[0] = pulse
    pulsed, _, gates = cell.forward(X, return_gates=True)
    return (pulsed - base)[:, 0], gates["z"][:, 0]


def measured_half_life(response: ArrayLike) -> NDArray[np.float64]:
    r"""Steps after step 0 until ``|response[t]| <= |response[0]| / 2``, per unit (linear
    interpolation between steps; ``inf`` if never). ``response (T + 1, H)`` → ``(H,)``."""
    r = np.abs(np.asarray(response, dtype=np.float64))
    if r.ndim != 2:
        raise ValueError(f"measured_half_life: expected response (T + 1, H), got {r.shape}")
    ratio = r / r[0]
    out = np.full(r.shape[1], np.inf)
    for i in range(r.shape[1]):
        below = np.flatnonzero(ratio[:, i] <= 0.5)
        if below.size:
            k = below[0]
            a, b = ratio[k - 1, i], ratio[k, i]
            out[i] = k - 1 + (a - 0.5) / (a - b) if k > 0 else 0.0
    return out
