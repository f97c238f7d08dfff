"""utils.diagrams.lstm_cell_diagram (chapter 1) and its side-by-side use in chapter 4."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from utils.diagrams import (GATE_COLORS, LSTM_GATE_COLORS, LSTM_PAIRED_COLORS,
                            lstm_cell_diagram, lstm_gru_diagrams)


def _box_colors(ax) -> set[str]:
    """Face colours of the rounded boxes (gates, candidate, the tanh of c_t)."""
    return {to_hex(p.get_facecolor(), keep_alpha=False) for p in ax.patches
            if type(p).__name__ == "FancyBboxPatch"}


def test_default_is_chapter_1s_palette_and_title():
    fig = lstm_cell_diagram()
    ax = fig.axes[0]
    assert {LSTM_GATE_COLORS[g] for g in "ifgo"} <= _box_colors(ax)
    assert ax.get_title() == "LSTM cell (torch.nn.LSTM, blocks i | f | g | o)"


def test_paired_palette_matches_the_gru_diagram():
    # What the LSTM's forget gate and candidate share with the GRU's update gate and candidate.
    assert LSTM_PAIRED_COLORS["f"] == GATE_COLORS["z"]
    assert LSTM_PAIRED_COLORS["g"] == GATE_COLORS["n"]
    fig = lstm_cell_diagram(colors=LSTM_PAIRED_COLORS, title="x")
    assert {LSTM_PAIRED_COLORS[g] for g in "ifgo"} <= _box_colors(fig.axes[0])
    assert fig.axes[0].get_title() == "x"
    with pytest.raises(ValueError, match="missing"):
        lstm_cell_diagram(colors={"i": "red"})


def test_side_by_side():
    fig = lstm_gru_diagrams()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    lstm_ax, gru_ax = fig.axes
    assert "i | f | g | o" in lstm_ax.get_title() and "r | z | n" in gru_ax.get_title()
    texts = " ".join(t.get_text() for t in lstm_ax.texts)
    for symbol in ("$c_{t-1}$", "$c_t$", "$h_t$", "$f_t$", "$i_t$", "$g_t$", "$o_t$"):
        assert symbol in texts, symbol
