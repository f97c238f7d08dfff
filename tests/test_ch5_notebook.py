"""chapters/ch5_variants.ipynb: committed clean, follows the conventions, runs headless, and
the numbers its prose states (recorded by utils.report.md) say what the prose says."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from notebooks import (code_cells, execute_chapter, prose_texts,  # tests/notebooks.py
                       sentences_with_many_numbers)
from utils.experiments import ch5
from utils.report import computed

CH5 = Path(__file__).resolve().parents[1] / "chapters" / "ch5_variants.ipynb"
INSTALL = 'import utils.report  # noqa: F401'


def test_committed_without_outputs_and_with_the_conventions():
    nb = nbformat.read(CH5, as_version=4)
    cells = code_cells(nb)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells)
    assert INSTALL in cells[0].source and "remove-cell" in cells[0].metadata["tags"]
    first = [line for line in cells[1].source.splitlines() if line.strip()]
    assert all(line.startswith(("import ", "from ", "%matplotlib", " ", ")")) for line in first)
    assert cells[2].source.startswith("SEED = 0\n") and "default_rng(SEED" in cells[2].source
    for cell in cells:
        assert "\ndef " not in "\n" + cell.source and "\nclass " not in "\n" + cell.source
        assert "glue" not in cell.source and "{eval}" not in cell.source
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{glue" not in prose and "{eval}" not in prose
    demos = [c for c in cells if "demo" in c.metadata.get("tags", [])]
    assert len(demos) == 2


@pytest.fixture(scope="module")
def executed():
    # Target ≤ 60 s on a quiet 2-core machine; the bound leaves room for a loaded one.
    return execute_chapter(CH5, name="chapter 5", bound=240, timeout=600)


def test_runs_and_the_prose_matches_its_numbers(executed):
    values = computed(executed)
    assert values["diff_mgu"] < 1e-12  # MGU is the GRU with r = f, z = 1 − f
    assert values["d_np"] < 1e-10 and values["d_t"] < 1e-10  # loop == scan
    assert values["frac_bad"] > 0.5 and values["err_log"] < 1e-10  # underflow vs log space
    assert values["err_cell"] < 1e-10
    assert values["grow"] > 30  # ReLU state follows the input scale without BN
    assert values["ratio_min"] < values["ratio_mgu"] < 1
    assert values["fresh"] == pytest.approx(values["first"]["minGRU"], rel=0.5)
    # state-dependent gating: the GRU solved "first" on most seeds, minGRU on none
    assert int(values["solved_first"]["GRU"].split()[0]) > len(ch5.SEEDS) / 2
    assert values["solved_first"]["minGRU"].startswith("0 of")
    assert values["first_vs_gru"] == "GRU"
    assert values["last"]["minGRU"] < 0.5 * values["first"]["minGRU"]
    assert min(values["sp_f"]) > 0  # timings recorded
    # one bias convention: the coupled LSTM costs what a GRU costs
    assert values["cifg_equals_gru"] is True
    # verdicts from utils.verdict over the seeds (ten on adding): the reset placement is not settled; a
    # second minGRU layer helps on "first"; nothing beats the GRU on adding, and the seeds
    # decide against the MGU there (at an equal one-bias budget) but not for or against Li-GRU
    assert set(values["placement"].values()) == {"unresolved"}
    assert values["depth"] == ch5.STACKED and values["last_vs_gru"] == "GRU"
    assert values["beat_gru_adding"] == [] and "Li-GRU" in values["open_adding"]
    # ten seeds on the adding problem (seeds 3-5 alone favoured the Li-GRU; 6-9 undid it):
    # the default's sentence names only the cells whose mean is ahead of the GRU's
    assert values["adding_seeds"] == list(ch5.ADDING_SEEDS)
    assert "Li-GRU" not in values["lean_adding"]
    assert set(values["lean_adding"]) <= set(values["open_adding"])
    assert "LSTM" in values["lost_adding"] and "MGU" in values["lost_adding"]
    assert values["mgu_adding"] == "GRU"
    assert "LSTM (forget bias 1)" in values["lost_adding"]  # both LSTM starts, 300 steps
    # chapter 4's rule: the copy task, which no cell got halfway on, enters no verdict
    assert values["copy_counted"] is False and "copy_vs" not in values
    # ... but the default's sentence says which cells the copy task leans toward
    assert "Li-GRU" in values["copy_lean"] and "GRU" not in values["copy_lean"]
    assert values["units"][0] < values["units"][1]  # the unit-count confound it names
    # minGRU learns "recall last" in part after 300 steps and fully after four times more
    assert values["long_vs_gru"] != "GRU"
    assert values["last_long"]["minGRU"] < 0.1 * values["last"]["minGRU"]
    # the coupled memory stays in (-1, 1); coupling did not hurt against either LSTM start
    assert values["c_max"]["cifg"] < 1 < max(values["c_max"]["lstm"], values["c_max"]["lstm1"])
    assert set(values["cifg_vs"].values()) == {"CIFG-LSTM"}
    assert "clearly better than both" in values["coupling"]  # said, not only "did not hurt"
    # the scan's speed-up is reported as its range over the repeats, not one picked figure
    assert all(0 < low <= high for low, high in values["speedup_range"])
    # chapter 4's longer runs: its bias-1 LSTM solved the same adding problem, but only
    # after more updates than the 300 it gets here
    assert None not in values["ch4_lstm"] and min(values["ch4_lstm"]) > 300
    assert values["ch4_updates"] >= max(values["ch4_lstm"])
    # log space: A_t turns subnormal first, b/A overflows next, A reaches 0 much later; the
    # product form is exact until it fails, and fails far sooner in float32
    assert values["step_subnormal"] < values["step_overflow"] < values["step_zero"]
    assert values["err_before"] < 1e-12 and values["fail32"] < values["step_subnormal"] / 4
    q = values["q_ligru"]
    assert 0 < q[0] <= q[1] <= q[2]  # Li-GRU / GRU per repeat, interleaved


def test_page_weight_within_budget(executed):
    size = len(nbformat.writes(executed).encode())
    assert size < 2 * 2**20, f"executed chapter is {size / 2**20:.2f} MiB"


def test_no_sentence_carries_four_numbers(executed):
    """Numbers go in tables, at most three in a sentence of prose."""
    assert sentences_with_many_numbers(prose_texts(executed)) == []
