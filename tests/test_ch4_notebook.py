"""chapters/ch4_gru_vs_lstm.ipynb: committed clean, follows the conventions, runs headless in
the book's static demo mode, and its prose says what its numbers say."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from notebooks import code_cells, execute_chapter  # tests/notebooks.py
from utils.report import computed

CH4 = Path(__file__).resolve().parents[1] / "chapters" / "ch4_gru_vs_lstm.ipynb"
INSTALL = "# Outside the course repository (Colab, a JupyterHub, a downloaded notebook)?"


def test_committed_without_outputs_and_with_the_conventions():
    nb = nbformat.read(CH4, as_version=4)
    cells = code_cells(nb)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells)
    assert cells[0].source.startswith(INSTALL) and cells[0].metadata["tags"] == ["remove-cell"]
    imports = [line for line in cells[1].source.splitlines() if line.strip()]
    assert all(line.startswith(("import ", "from ", "%matplotlib", " ", ")")) for line in imports)
    assert cells[2].source.startswith("SEED = 0\n") and "default_rng(SEED" in cells[2].source
    for cell in cells:
        assert "\ndef " not in "\n" + cell.source and "\nclass " not in "\n" + cell.source
        assert "{glue" not in cell.source
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{glue" not in prose and "{eval" not in prose
    demos = [c for c in cells if "demo" in c.metadata.get("tags", [])]
    assert len(demos) == 2 and all("hide-input" in c.metadata["tags"] for c in demos)


@pytest.fixture(scope="module")
def executed():
    # Target ≤ 60 s on a quiet 2-core machine (measured 30–70 s on a loaded one); the bound
    # leaves room for a busy CI box and still catches a chapter that became much slower.
    return execute_chapter(CH4, name="chapter 4", bound=180, timeout=600)


def test_the_numbers_behind_the_prose(executed):
    v = computed(executed)
    assert v["cifg_gap"] < 1e-12 and v["concat_gap"] < 1e-12
    assert v["lstm_gap"] < 1e-12 and v["gru_gap"] < 1e-12
    assert round(v["c_last"], 4) == 0.5556 and round(v["c_last"], 2) == 0.56
    assert v["deck_rounds"] is True and v["deck_truncates"] is False  # a slip, not truncation
    assert v["found"] == {"gru": 227, "rnn": 400}
    assert v["torch_check"] == 4 * (256 * 256 + 256 * 256 + 2 * 256)  # the table's PyTorch row
    assert v["speech_inputs"] == [20]  # the only input size that reproduces Table 1
    assert v["piano"] == {"lstm": 18108, "gru": 18630, "rnn": 18900}  # 88 keys: under 20k
    # memory per step: the course's GRU 5H, its LSTM 7H, oneDNN's LSTM several times more
    assert (v["mem_gru"], v["mem_lstm"]) == (pytest.approx(5.0), pytest.approx(7.0))
    assert min(v["onednn"]) > 14
    assert min(v["onednn_over"]) > 2  # "… times what the equations need"
    # the workspace per step and sample shrinks as T·N grows, but stays above the equations'
    assert 1 < min(v["onednn_big_over"]) and v["onednn_big_over"][0] < v["onednn_over"][0]
    assert v["live_score"] > 0.5  # the live digits run (its drift: tests/test_ch4_results.py)
    # the time section: with oneDNN the GRU is slower at small H; without it the ratio comes
    # near the count; the fused kernel beats the looped LSTM at the largest H
    assert 1.2 < v["on_small"][0] <= v["on_small"][1]
    assert min(v["off"]) < 1 and v["fused_gain"] > 1
    assert 0.5 < min(v["course_big"]) <= max(v["course_big"]) < 1
    # the verdicts: every counted setting leans toward the GRU, the copy task is not counted,
    # and on the adding problem every GRU seed beats every LSTM seed at both budgets
    assert v["lean"]["lean"] == v["lean"]["total"] >= 5 and v["lean"]["against"] == 0
    assert v["lean"]["for"] >= 1 and v["verdict"].startswith("Not as stated: where the seeds "
                                                               "decide, they decide for the GRU")
    # the sign test counts the digit sizes once: four separate settings, 2 / 2**4
    assert v["lean_independent"]["total"] == 4 == v["lean_independent"]["lean"]
    assert v["lean_p"] == pytest.approx(2 / 2**4)  # a clean sweep of four: the floor of p
    assert v["copy_counted"] is False and v["every_adding"] is True
    # the budget confound: whole units leave the LSTM with fewer parameters in some settings
    assert v["budget_gap"][0] < -0.05 and v["budget_gap"][1] < 0.1
    assert v["left"][0] < v["left"][1]  # the GRU leaves less variance unexplained
    # small data: fixed in advance, the GRU vs the bias-1 LSTM is not settled, and the
    # bias-0 LSTM's mean lies on the other side
    assert v["small_fb1"] == "unresolved" and v["swap"] is True
    assert v["small_verdict"] == "Not shown here"
    # fewer updates to 0.9 on adding, by the learning curves
    assert v["updates"] == ["GRU", "GRU"]
    assert all(0.3 < s < 0.8 for s in v["update_share"])  # the size of "fewer updates"
    # seconds: the break-even ratio is the inverse of the share, and the outcome sentence
    # follows where the repeats' middle half lies
    assert [round(x * y, 12) for x, y in zip(v["break_even"], v["update_share"])] == [1, 1]
    assert set(v["side"].values()) <= {"below", "above", "straddles"}
    assert min(v["update_ratio"]) > 1  # "more seconds per update on this CPU" (summary)
    # the products r_t × r_n are the medians' ratio times the share of updates
    assert v["product"] == pytest.approx([r * s for r, s in zip(v["update_ratio"],
                                                                 v["update_share"])])
    # failures per start over eleven seeds and both budgets: the GRU none; bias 1 fewer than
    # bias 0, but the seeds do not decide it (seeds 8-10 undid the lead seeds 0-7 showed);
    # two runs above the line learned the task only in part
    assert v["fails"]["GRU"] == [0, 22]
    assert v["bias_vs"] == "unresolved"
    assert v["orth_vs"] == "the LSTM with the default blocks"
    assert v["worst_gap"][0] < 0.5 <= v["worst_gap"][1] and v["partial"] == 2
    assert v["vs_gru"]["LSTM (forget bias 0)"] == "GRU"
    assert v["fewest"] == ["adding", 1000] and 0 < v["adding_gap"] < 0.15  # its shortfall
    # "Which to choose": bias 0 gave the worst seed of the grid (bias 1's worst learned it);
    # the tanh RNN failed the long-memory task
    assert v["fb0_worst"] < 0.5 < 0.9 < v["fb1_worst"]
    assert v["rnn_adding"] < 0.1


def test_no_errors_and_demo_pages_fit(executed):
    import json

    size = 0
    for cell in code_cells(executed):
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"]
    size = len(json.dumps(executed.metadata.get("widgets", {})))
    assert size < 2 * 2**20, f"widget state {size} bytes"


def test_the_reading_path(executed):
    """What a reader sees: verdicts that read as sentences, labelled intervals, no provenance
    lines, the x_t exclusion stated once."""
    import re

    shown = []
    for cell in executed.cells:
        if cell.cell_type == "markdown":
            shown.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            shown.append(data.get("text/markdown", "") + data.get("text/html", ""))
    text = "\n".join(shown)
    assert not re.search(r"[:,;] +(These|The) runs", text)  # a verdict mid-sentence
    for phrase in ("just now", "six decimals", "timed again", "the grid's run", "shared machine",
                   "though every", "is better on"):
        assert phrase not in text, phrase
    assert text.count("95% Welch interval of the difference") >= 2  # both verdict tables
    assert text.count("the inputs $x_t$") == 1
    assert "the smallest so few settings can give" in text  # the sign test, read right
    # no computed sentence carries four or more numbers (exponents such as 6e-17 count once)
    for cell in code_cells(executed):
        for out in cell.get("outputs", []):
            prose = re.sub(r"\$[^$]*\$", "X", out.get("data", {}).get("text/markdown", ""))
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z*\"(])", " ".join(prose.split())):
                numbers = re.findall(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?:e-\d+)?%?", sentence)
                assert len(numbers) < 4, sentence
