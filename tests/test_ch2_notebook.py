"""chapters/ch2_two_gates.ipynb: committed clean, follows the conventions, runs headless.

The notebook is executed once (static demo mode, as the book build runs it) with nbclient;
the glued numbers are then checked against what the chapter's prose claims about them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest

CH2 = Path(__file__).resolve().parents[1] / "chapters" / "ch2_two_gates.ipynb"
PAGE_BUDGET = 2 * 2**20  # bytes: a chapter page with all its demo frames
GLUE_MIME = "application/papermill.record/text/plain"


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_committed_without_outputs_and_with_the_conventions():
    nb = nbformat.read(CH2, as_version=4)
    cells = code_cells(nb)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells), (
        "chapters are committed without outputs (make strip)"
    )
    first = [line for line in cells[0].source.splitlines() if line.strip()]
    assert all(line.startswith(("import ", "from ", "%matplotlib", " ", ")")) for line in first)
    assert cells[1].source.startswith("SEED = 0\n"), cells[1].source[:40]
    assert "default_rng(SEED" in cells[1].source
    for cell in cells:  # no helper functions or classes defined in the chapter
        assert "\ndef " not in "\n" + cell.source and "\nclass " not in "\n" + cell.source
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="module")
def executed():
    nbclient = pytest.importorskip("nbclient")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRU_DEMO_MODE", "static")  # the kernel inherits the environment
    try:
        nb = nbformat.read(CH2, as_version=4)
        client = nbclient.NotebookClient(
            nb, timeout=300, kernel_name="python3", allow_errors=False,
            resources={"metadata": {"path": str(CH2.parent)}},
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        mp.undo()
    print(f"ch2 executed in {seconds:.1f} s")
    # Target: under 60 s on a quiet 2-core machine; the bound leaves room for a loaded CI box
    # and still catches a chapter that became several times slower.
    assert seconds < 180, f"chapter 2 took {seconds:.0f} s to execute, expected well under 180 s"
    return nb


def glued(nb) -> dict[str, float]:
    values = {}
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if GLUE_MIME in out.get("data", {}):
                values[out["metadata"]["scrapbook"]["name"]] = float(out["data"][GLUE_MIME])
    return values


def test_runs_without_errors_and_every_glue_in_the_prose_exists(executed):
    for cell in code_cells(executed):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"cell {cell.get('id')} raised {errors[0]['ename']}"
    values = glued(executed)
    prose = "\n".join(c.source for c in executed.cells if c.cell_type == "markdown")
    used = set(re.findall(r"\{glue:text\}`([a-zA-Z0-9_]+)", prose))
    assert used, "the prose uses no glued numbers"
    missing = used - set(values)
    assert not missing, f"glued in the prose but never glued: {sorted(missing)}"


def test_glued_numbers_say_what_the_prose_says(executed):
    v = glued(executed)
    for key in ("ws_diff_torch", "chung_diff", "keras_diff_after", "keras_diff_before"):
        assert v[key] < 1e-12, f"{key} = {v[key]:.2e}"
    assert v["chung_raw"] > 0.1  # without the conversion the conventions disagree
    assert v["r0_after_input"] == 0.0 and v["r0_before_first"] == 0.0
    assert v["r0_after_first"] > 1e-3  # b_hn: the gloss is not exact with reset-after
    assert v["z1_diff"] == 0.0 and v["z0_diff"] < 1e-15
    assert (v["mm_after_total"], v["mm_after_state"]) == (2, 1)
    assert (v["mm_before_total"], v["mm_before_state"], v["mm_before_chain"]) == (3, 2, 2)
    assert 0 < v["gap1_median"] <= v["gap1_p95"] < 1
    assert v["ls_mse_model"] < 0.1 * min(v["ls_mse_zero"], v["ls_mse_ignore"])
    assert v["ls_r_marker"] < v["ls_r_other"] and v["ls_z_marker"] < v["ls_z_other"]
    # "all six gate values stay in the middle of (0, 1)" in the worked example
    assert 0.1 < v["ws_gate_min"] <= v["ws_gate_max"] < 0.9
    # graded, not a switch; the reset gate's tail after the marker; no gate sits near 1
    assert v["ls_r_min_marker"] > 0 and v["ls_r_closed_pct"] < 5
    assert v["ls_r_marker"] < v["al_r_p1"] < v["al_r_p2"] < v["ls_r_other"]
    assert abs(v["al_z_p1"] - v["ls_z_other"]) < abs(v["al_z_p1"] - v["ls_z_marker"])
    assert v["ls_r_max_other"] < v["ls_open"] and v["ls_z_open_pct"] < 5


def test_demos_are_embedded_within_the_page_budget(executed):
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [
        out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for cell in code_cells(executed) if "demo" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    assert len(views) == 2, f"expected the two demos, got {views}"
    assert all(state[v]["model_name"] == "VBoxModel" for v in views)
    stacks = sum(1 for m in state.values() if m["model_name"] == "StackModel")
    assert stacks >= 2, "static demos are stacks of pre-rendered frames"
    size = len(json.dumps(executed.metadata["widgets"]).encode())
    page = len(nbformat.writes(executed).encode())
    assert size < PAGE_BUDGET * 0.6, f"widget state of {size} bytes"
    assert page < PAGE_BUDGET, f"executed notebook of {page} bytes"
