"""Parameter counts of the recurrent cells of the course, as pure arithmetic.

``param_count(kind, input_size, hidden_size)`` gives the number of trainable scalars of one
cell with input size ``H_in`` and hidden size ``H``. The three core cells follow PyTorch, so
the count equals ``sum(p.numel() for p in torch.nn.GRU(H_in, H).parameters())``; the variants
follow their papers (one bias per gate) and equal the count of the modules in
``utils.torch_cells``. ``PARAM_FORMULAS`` holds the same formulas as strings for the chapters.
"""

from __future__ import annotations

import numbers

__all__ = ["PARAM_FORMULAS", "BIAS_CONVENTIONS", "KINDS", "param_count"]

# kind -> human-readable formula (H_in input size, H hidden size).
PARAM_FORMULAS: dict[str, str] = {
    "rnn": "1·(H·H_in + H·H + 2H)",
    "gru": "3·(H·H_in + H·H + 2H)",
    "lstm": "4·(H·H_in + H·H + 2H)",
    "mgu": "2·(H·H_in + H·H + H)",
    "ligru": "2·(H·H_in + H·H) + 4H",
    "gru1": "(H·H_in + H·H + H) + 2·(H·H + H)",
    "gru2": "(H·H_in + H·H + H) + 2·H·H",
    "gru3": "(H·H_in + H·H + H) + 2·H",
    "cifg": "3·(H·H_in + H·H + H)",
    "mingru": "2·(H·H_in + H)",
}

# kind -> where the biases come from (same keys as PARAM_FORMULAS).
BIAS_CONVENTIONS: dict[str, str] = {
    "rnn": "PyTorch: two biases (b_ih and b_hh) per gate",
    "gru": "PyTorch: two biases (b_ih and b_hh) per gate",
    "lstm": "PyTorch: two biases (b_ih and b_hh) per gate",
    "mgu": "paper: one bias per gate",
    "ligru": "paper: no biases; batch norm adds a scale γ and shift β per gate unit",
    "gru1": "paper: one bias per gate",
    "gru2": "paper: one bias, for the candidate only",
    "gru3": "paper: one bias per gate",
    "cifg": "one bias per gate, no peepholes",
    "mingru": "paper: one bias per linear map",
}

KINDS: tuple[str, ...] = tuple(PARAM_FORMULAS)


def _check_size(name: str, value: object) -> int:
    # numbers.Integral admits NumPy integers (slider values, array entries); bool is excluded
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def param_count(kind: str, input_size: int, hidden_size: int) -> int:
    r"""Number of trainable parameters of one recurrent cell.

    With :math:`H_{in}` = ``input_size`` and :math:`H` = ``hidden_size``, one gate (or
    candidate) that reads :math:`x_t` and :math:`h_{t-1}` costs :math:`H \cdot H_{in}`
    (input weights) + :math:`H \cdot H` (recurrent weights) + its biases:

    ========  ====================================  ==============================  ========
    kind      formula                               biases                          source
    ========  ====================================  ==============================  ========
    rnn       1·(H·H_in + H·H + 2H)                 b_ih and b_hh (PyTorch)         torch
    gru       3·(H·H_in + H·H + 2H)                 b_ih and b_hh (PyTorch)         torch
    lstm      4·(H·H_in + H·H + 2H)                 b_ih and b_hh (PyTorch)         torch
    mgu       2·(H·H_in + H·H + H)                  one per gate: f, n              [MGU]
    ligru     2·(H·H_in + H·H) + 4H                 none; batch norm γ, β for z, n  [LiGRU]
    gru1      (H·H_in + H·H + H) + 2·(H·H + H)      one per gate: r, z, n           [DS17]
    gru2      (H·H_in + H·H + H) + 2·H·H            candidate n only                [DS17]
    gru3      (H·H_in + H·H + H) + 2·H              one per gate: r, z, n           [DS17]
    cifg      3·(H·H_in + H·H + H)                  one per gate: i, g, o           [CIFG]
    mingru    2·(H·H_in + H)                        one per map: z, h̃              [minGRU]
    ========  ====================================  ==============================  ========

    PyTorch keeps two bias vectors per gate (``bias_ih`` and ``bias_hh``; they are redundant
    except for the GRU's candidate with ``reset_after=True``), so its GRU has :math:`3H` more
    parameters than the one-bias GRU of Cho et al. (2014) and Dey & Salem (2017), whose GRU
    count is :math:`3(H \cdot H_{in} + H \cdot H + H)`. Li-GRU's batch-norm running mean and
    variance are buffers, not parameters. The CIFG-LSTM here has no peepholes (Greff et al.'s
    vanilla LSTM has three more vectors of size :math:`H`).

    [MGU] Zhou et al. 2016, arXiv:1603.09420. [LiGRU] Ravanelli et al. 2018, IEEE TETCI,
    arXiv:1803.10225. [DS17] Dey & Salem 2017, arXiv:1701.05923. [CIFG] Greff et al. 2017,
    IEEE TNNLS, arXiv:1503.04069. [minGRU] Feng et al. 2024, arXiv:2410.01201.

    Args:
        kind: one of ``KINDS`` (``"rnn"``, ``"gru"``, ``"lstm"``, ``"mgu"``, ``"ligru"``,
            ``"gru1"``, ``"gru2"``, ``"gru3"``, ``"cifg"``, ``"mingru"``).
        input_size: :math:`H_{in}`, a positive int.
        hidden_size: :math:`H`, a positive int.

    Returns:
        The number of parameters (an ``int``).

    Example:
        >>> param_count("gru", 10, 20)
        1920
    """
    i = _check_size("input_size", input_size)
    h = _check_size("hidden_size", hidden_size)
    gate_xh = h * i + h * h  # weights of one gate reading x_t and h_{t-1}
    counts = {
        "rnn": 1 * (gate_xh + 2 * h),
        "gru": 3 * (gate_xh + 2 * h),
        "lstm": 4 * (gate_xh + 2 * h),
        "mgu": 2 * (gate_xh + h),
        "ligru": 2 * gate_xh + 4 * h,
        "gru1": (gate_xh + h) + 2 * (h * h + h),
        "gru2": (gate_xh + h) + 2 * h * h,
        "gru3": (gate_xh + h) + 2 * h,
        "cifg": 3 * (gate_xh + h),
        "mingru": 2 * (h * i + h),
    }
    if kind not in counts:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return counts[kind]
