"""chapters/ch3_interpolation.ipynb: committed clean, follows the conventions, runs headless,
and the numbers its prose is built from say what the prose says."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest

from notebooks import (code_cells, execute_chapter, prose_texts,  # tests/notebooks.py
                       sentences_with_many_numbers)
from utils.report import computed
from utils.verdict import compare
from utils.grading.exercises import INSTALL_CELL as EXERCISE_INSTALL_CELL

CH3 = Path(__file__).resolve().parents[1] / "chapters" / "ch3_interpolation.ipynb"
PAGE_BUDGET = 2 * 2**20  # bytes: a chapter page with all its demo frames
INSTALL_CELL = EXERCISE_INSTALL_CELL  # generated from the repository setting


def test_committed_without_outputs_and_with_the_conventions():
    nb = nbformat.read(CH3, as_version=4)
    cells = code_cells(nb)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells)
    assert cells[0].source == INSTALL_CELL
    assert cells[0].metadata.get("tags") == ["remove-cell"]
    first = [line for line in cells[1].source.splitlines() if line.strip()]
    assert all(line.startswith(("import ", "from ", "%matplotlib", " ", ")")) for line in first)
    assert cells[2].source.startswith("SEED = 0\n")
    for cell in cells:
        assert "\ndef " not in "\n" + cell.source and "\nclass " not in "\n" + cell.source
        assert "glue" not in cell.source
        if "md(" in cell.source:
            assert "remove-input" in cell.metadata.get("tags", []) or "hide-input" in \
                cell.metadata.get("tags", [])
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{glue" not in prose and "{eval" not in prose
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="module")
def executed():
    # Target ≤ 90 s (aim 60 s) on 2 quiet cores; the bound leaves room for a loaded machine.
    return execute_chapter(CH3, name="chapter 3", bound=240, timeout=600)


def test_runs_and_the_numbers_say_what_the_prose_says(executed):
    v = computed(executed)
    prose = "\n".join(prose_texts(executed))
    # section 1: bounded GRU state, unbounded LSTM cell, step size set by 1 - z
    assert v["gru_max"] < 1.0
    assert v["c_10"] < v["c_100"] < v["c_1000"] < v["c_2000"] and v["c_2000"] > 100
    assert 0.3 < v["c_slope"] < 1.0
    assert v["gru_jump"] > 1.9 and v["jump_ratio"] <= 2.0 + 1e-12
    # section 2: the table, the impulse responses, the bias sum, chrono
    for z, t in zip(v["z"], v["t_half"]):
        assert abs(z ** t - 0.5) < 1e-12
    assert v["iso_err"] < 1e-6
    assert 0 < v["n_close"] < v["H_imp"]
    assert v["ratio_min"] < 1 < v["ratio_max"]  # "in both directions"
    assert v["worst_measured"] > v["worst_target"]
    assert abs(v["worst_alone"] - v["worst_target"]) < 1  # the bias's prediction, isolated
    # the recall runs' settings are named beside the adding runs' (a confound, not hidden)
    assert (v["recall_hidden"], v["recall_batch"], v["recall_steps"]) == (16, 32, 300)
    assert v["sum_diff"] < 1e-14
    assert 0 < v["b_min"] < v["b_max"] <= math.log(99)
    assert 2 <= v["char_min"] < 5 and 95 < v["char_max"] <= 100 and 45 < v["char_mean"] < 56
    # section 3: the Jacobian
    assert v["jac_diff_after"] < 1e-12 and v["jac_diff_before"] < 1e-12
    assert v["jac_minus_I_10"] < 1e-3 < v["jac_minus_I_0"] < v["rnn_minus_I"]
    # section 4: long spans, singular values, explosion and clipping
    assert v["norm_gru0_100"] < v["norm_rnn_100"]  # "even faster than the tanh RNN"
    assert 0 < v["zbar0_100"] < 1e-20  # the mean-gate prediction beside the highway product
    assert v["default_flip"] == "GRU, bias 0"  # point 8: the ranking flips at the default init
    assert v["default_max"] < v["raw_min"]  # point 10: a baseline for the exploding norms
    assert v["highway0_100"] < 1e-6 * v["norm_gru0_100"] and abs(v["zbar0"] - 0.5) < 0.05
    assert v["norm_gru6_200"] > 0.5 and v["ratio6"] > 1 and v["ratio4"] > 1  # underestimates
    assert v["norm_gru0_100"] < v["norm_lstm1_100"] < v["norm_gru2_100"]  # LSTM in between
    assert v["norm_gru0_200"] < v["norm_lstm1_200"] < v["norm_gru2_200"]
    assert v["alive_gru4"] > v["alive_gru0"] and v["alive_gru4"] >= 8
    assert v["alive_sizes"] == [16, 16, 16, 32]  # the denominators: the state sizes
    assert v["grow_gru0_200"] > 1 > 1e3 * v["highway3_200"]
    assert 1 < v["grow_gru4_200"] < v["grow_gru0_200"]
    gain = v["orders_per_2"]  # orders of magnitude per +2 on the bias, span 200
    assert gain["2"] >= 1 and gain["4"] >= 1 > gain["6"] and v["orders_up_to"] == 4
    assert v["default_clip_verdict"] == "unresolved"  # "over the same seeds these runs…"
    assert v["raw_min"] > 1e3  # point 10: clipping measured, over seeds, from utils.verdict
    assert v["clip_verdict"] == "clipped" and v["clip_p"] < 0.05
    fin, learned = v["clip_finite"], v["clip_learned"]  # "start, lr, clip" -> runs
    assert fin["rho3, 0.3, None"] < fin["rho3, 0.3, 1.0"] == fin["rho3, 0.03, None"]
    assert learned["rho3, 0.3, 1.0"] > 0  # something is learned in this budget
    assert v["learn_verdict"] == "clipping at the high rate" and v["learn_p"] < 0.05
    # section 5: training (committed results) and the live slice
    assert v["ratio_grad0"] > 1e6
    n, g0 = v["n_solved"], v["grad0"]
    seeds = v["pace_seeds"]  # T -> the GRUs' seeds
    assert len(seeds["100"]) >= 8 and len(seeds["200"]) >= 5
    assert n["gru_chrono"] == n["gru_b0"] == len(seeds["100"])
    assert n["rnn"] == 0 and n["lstm_f1"] >= 2
    # issue 20, point 6: where the bias does not change the outcome (adding problem: both
    # starts solve every run) the pace verdict comes from utils.verdict, paired over the
    # seeds, with a margin fixed beforehand (one evaluation interval), never from the data
    assert v["pace_margin"] == 25
    for T, direction in v["pace"].items():
        low, high = v["pace_interval"][T]
        assert direction in ("chrono", "bias 0", "comparable", "unresolved")
        assert (direction == "comparable") == (-25 < low and high < 25 and not low > 0
                                               and not high < 0)
        assert (direction in ("chrono", "bias 0")) == (low > 0 or high < 0)
    assert v["g200_b0"] > 1e3 * g0["gru_b0"]  # the gates open during training
    assert v["g50_b0"] > 1e6 * g0["gru_b0"] and v["mse50_b0"] > 0.15  # before the loss moves
    n2 = v["n200"]
    assert v["grad0_b0_200"] == 0 and v["grad0_chrono_200"] > 0
    assert n2["gru_b0"] == n2["gru_chrono"] == len(seeds["200"])
    assert n2["lstm_f1"] == n2["rnn"] == 0
    # ... and where it does (recall, nothing nearer than the full span): chrono, decided
    verdicts = v["bias_verdicts"]
    assert "chrono" in verdicts.values() and "bias 0" not in verdicts.values()
    assert all(c["gru_b0"][0] == 0 for c in v["bias_counts"].values())
    # the heatmap, over seeds (issue 20): every seed's statistics are in the prose's range
    assert len(v["heat_seeds"]) >= 8 and max(v["n_fast"]) < 8
    assert max(v["span_ratios"]) < 10
    # the rank correlation is one verdict over seeds (an expert's seed 8 gave -0.19 while the
    # committed seeds were all positive): never a claim about every seed
    rho = compare("the rank correlation", v["spearman"], "zero", [0.0] * len(v["spearman"]),
                  paired=True)
    said = {"the rank correlation": "the slower units tend to carry more",
            "zero": "the faster units tend to carry more"}.get(rho.direction,
                                                               "these seeds do not show whether")
    assert said in prose and rho.interval() in prose, (rho.direction, rho.interval())
    assert "in every seed, from" not in prose
    # section 6: BPTT
    assert v["step_diff"] < 1e-12 and v["bptt_diff"] < 1e-12


def test_page_size(executed):
    page = len(nbformat.writes(executed).encode())
    assert page < PAGE_BUDGET, f"executed page {page / 1e6:.2f} MB"
    widgets = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    assert len(json.dumps(widgets).encode()) < 0.7 * PAGE_BUDGET
    views = [c for c in code_cells(executed) if "demo" in c.metadata.get("tags", [])]
    assert len(views) == 1  # the interpolation explorer (chapter 1's covers gradient flow)


def test_no_sentence_carries_four_numbers(executed):
    """Issue 20: numbers go in tables, at most three in a sentence of prose."""
    assert sentences_with_many_numbers(prose_texts(executed)) == []


def test_the_bias_changes_the_outcome_in_one_setting_and_not_in_the_other(executed):
    """Issue 20, point 6 (done when): over seeds, one training setting where the update-gate
    bias changes the outcome (recall: chrono solves, bias 0 does not) and one where it does
    not (adding problem: both solve every run), each said in the prose."""
    v = computed(executed)
    assert "chrono" in v["bias_verdicts"].values()
    assert v["n_solved"]["gru_chrono"] == v["n_solved"]["gru_b0"] == len(v["pace_seeds"]["100"])
    prose = "\n".join(prose_texts(executed))
    assert "the update-gate bias\ndoes not change the outcome" in prose or \
        "the update-gate bias does not change the outcome" in prose.replace("\n", " ")
    assert "unlike on the adding problem, the update-gate bias decides the outcome" in \
        prose.replace("\n", " ")
