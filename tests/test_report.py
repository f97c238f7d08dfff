"""utils.report: computed prose shown as Markdown output, its numbers recorded for tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.report import METADATA_KEY, computed, md, sci


def _displayed(monkeypatch) -> list:
    shown: list = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, metadata=None: shown.append((obj, metadata)))
    return shown


def test_md_displays_dedented_markdown_and_records_plain_values(monkeypatch):
    shown = _displayed(monkeypatch)
    md("""
        The rate is 0.94.

        * a list item
        """, rate=np.float32(0.94), n=np.int64(3), t=torch.tensor(2.5),
       curve=np.array([1.0, 0.5]), label="GRU")
    (obj, metadata), = shown
    assert obj.data == "The rate is 0.94.\n\n* a list item"
    values = metadata[METADATA_KEY]
    assert values == {"rate": pytest.approx(0.94), "n": 3, "t": 2.5, "curve": [1.0, 0.5],
                      "label": "GRU"}
    assert type(values["n"]) is int and type(values["rate"]) is float


def test_md_without_values_has_no_metadata_and_rejects_bad_input(monkeypatch):
    shown = _displayed(monkeypatch)
    md("plain")
    assert shown == [(shown[0][0], None)]
    with pytest.raises(ValueError, match="empty"):
        md("   \n  ")
    with pytest.raises(TypeError, match="str"):
        md(3.0)
    with pytest.raises(TypeError, match="cannot be recorded"):
        md("x", thing=object())


@pytest.mark.parametrize("x, digits, expected", [
    (1.234e-13, 1, r"$1.2 \times 10^{-13}$"),
    (6.02e23, 2, r"$6.02 \times 10^{23}$"),
    (-0.5, 1, r"$-5.0 \times 10^{-1}$"),
    (0.0, 1, "$0$"),
    (float("inf"), 1, r"$\infty$"),
])
def test_sci(x, digits, expected):
    assert sci(x, digits) == expected


def test_computed_collects_values_and_refuses_contradictions():
    def cell(values):
        return {"cell_type": "code", "outputs": [
            {"output_type": "display_data", "data": {}, "metadata": {METADATA_KEY: values}}]}

    nb = {"cells": [{"cell_type": "markdown", "source": "x"}, cell({"a": 1}),
                    cell({"b": 2.0, "a": 1}), {"cell_type": "code", "outputs": []}]}
    assert computed(nb) == {"a": 1, "b": 2.0}
    nb["cells"].append(cell({"a": 2}))
    with pytest.raises(ValueError, match="'a' is recorded twice"):
        computed(nb)
