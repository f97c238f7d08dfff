"""param_count against torch.nn and against the variant modules of utils.torch_cells."""

from __future__ import annotations

import pytest
import torch

from utils import torch_cells
from utils.params import BIAS_CONVENTIONS, KINDS, PARAM_FORMULAS, param_count

SIZES = [(1, 1), (2, 3), (3, 2), (10, 20), (7, 64)]
TORCH_MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TORCH_CELLS = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("input_size,hidden_size", SIZES)
def test_core_counts_equal_torch(kind: str, input_size: int, hidden_size: int) -> None:
    expected = n_params(TORCH_MODULES[kind](input_size, hidden_size))
    assert param_count(kind, input_size, hidden_size) == expected
    assert n_params(TORCH_CELLS[kind](input_size, hidden_size)) == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("input_size,hidden_size", SIZES)
def test_counts_equal_own_modules(kind: str, input_size: int, hidden_size: int) -> None:
    cell = torch_cells.make_cell(kind, input_size, hidden_size)
    assert param_count(kind, input_size, hidden_size) == n_params(cell)


@pytest.mark.parametrize("kind", KINDS)
def test_formula_strings_evaluate_to_the_count(kind: str) -> None:
    # The printed formula must say the same thing as the arithmetic.
    for H_in, H in SIZES:
        expr = PARAM_FORMULAS[kind].replace("·", "*").replace("H_in", "I")
        expr = expr.replace("2H", "2*H").replace("4H", "4*H")
        value = eval(expr, {"I": H_in, "H": H})  # noqa: S307 - our own constant strings
        assert value == param_count(kind, H_in, H), (kind, expr)


def test_tables_cover_the_same_kinds() -> None:
    assert set(PARAM_FORMULAS) == set(BIAS_CONVENTIONS) == set(KINDS)
    assert set(KINDS) <= set(torch_cells.CELL_KINDS)


def test_variants_are_smaller_than_gru_in_papers_convention() -> None:
    # Single-bias GRU (Cho 2014, Dey & Salem 2017): 3(H·H_in + H·H + H).
    H_in, H = 16, 32
    gru_one_bias = 3 * (H * H_in + H * H + H)
    assert param_count("gru", H_in, H) == gru_one_bias + 3 * H
    for kind in ["mgu", "gru1", "gru2", "gru3", "mingru", "ligru"]:
        assert param_count(kind, H_in, H) < gru_one_bias, kind


def test_unknown_kind_lists_valid_kinds() -> None:
    with pytest.raises(ValueError, match="unknown kind 'transformer'.*gru.*mingru"):
        param_count("transformer", 3, 4)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3", None])
def test_sizes_must_be_positive_ints(bad: object) -> None:
    with pytest.raises(ValueError, match="input_size must be a positive int"):
        param_count("gru", bad, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        param_count("gru", 4, bad)  # type: ignore[arg-type]


def test_numpy_integer_sizes_are_accepted() -> None:
    import numpy as np

    count = param_count("gru", np.int64(10), np.int32(20))
    assert count == param_count("gru", 10, 20) and type(count) is int


def test_param_count_is_exported_at_package_level() -> None:
    # The spelling: utils.param_count(kind, input_size, hidden_size).
    import utils
    import utils.params

    assert utils.param_count is utils.params.param_count
    assert "param_count" in utils.__all__
