"""utils.diagrams: the GRU cell diagram builds, labels every symbol, shows the reset placement."""

from __future__ import annotations

import io

import pytest
from matplotlib.figure import Figure

from utils.diagrams import gru_cell_diagram


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("reset_after", [True, False])
def test_diagram_builds_and_renders(reset_after):
    fig = gru_cell_diagram(reset_after=reset_after)
    assert isinstance(fig, Figure)
    labels = texts(fig)
    for symbol in ("$h_{t-1}$", "$h_t$", "$x_t$", "$r_t$", "$z_t$", "$n_t$", "tanh", "σ", "1−",
                   "+"):
        assert symbol in labels, f"missing label {symbol!r}; got {labels}"
    assert labels.count("⊙") == 3  # reset, z ⊙ h_{t−1}, (1 − z) ⊙ n
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_two_reset_placements_are_drawn_differently():
    after, before = texts(gru_cell_diagram()), texts(gru_cell_diagram(reset_after=False))
    assert "$W_{hn} h_{t-1} + b_{hn}$" in after and "$W_{hn} h_{t-1} + b_{hn}$" not in before
    assert "$W_{hn}(\\cdot) + b_{hn}$" in before
    title_after = gru_cell_diagram().axes[0].get_title()
    title_before = gru_cell_diagram(reset_after=False).axes[0].get_title()
    assert "PyTorch" in title_after and "Cho 2014 v1" in title_after, title_after
    assert "Cho 2014 v3" in title_before and "PyTorch" not in title_before, title_before


def test_draws_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert gru_cell_diagram(ax=ax) is fig
    assert len(fig.axes) == 1


@pytest.mark.parametrize("reset_after", [True, False])
def test_equation_table_quotes_the_running_source(reset_after):
    import inspect

    import utils.numpy_cells as numpy_cells
    from utils.diagrams import equation_code_lines, equation_code_table

    source = inspect.getsource(numpy_cells).splitlines()
    rows = equation_code_lines(reset_after=reset_after)
    assert len(rows) == 6
    for equation, code, number in rows:
        assert source[number - 1].strip() == code, f"line {number}: {code!r}"
    codes = [code for _, code, _ in rows]
    n_line = next(c for c in codes if c.startswith("n_t"))
    assert ("r_t * h_prev" in n_line) is (not reset_after), n_line
    assert codes[-1].startswith("h_t = (1 - z_t) * n_t + z_t * h_prev")
    table = equation_code_table(reset_after=reset_after)
    assert table.count("<tr>") == 7 and f"reset_after={reset_after}" in table
