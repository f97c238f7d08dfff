"""utils.experiments.ch3_bias: the recall grid behind chapter 3's "where the bias decides" —
the two starts differ only in the update-gate biases, and the committed file comes from this
code (one configuration re-run)."""

from __future__ import annotations

import math

import pytest
import torch

from utils import experiments
from utils.experiments import ch3_bias


def test_the_two_starts_differ_only_in_the_update_gate_biases():
    b0 = ch3_bias.build_model("gru_b0", 100, 3)
    chrono = ch3_bias.build_model("gru_chrono", 100, 3)
    H = ch3_bias.HIDDEN
    for (name, p), (_, q) in zip(b0.named_parameters(), chrono.named_parameters()):
        if name.startswith(("cell.bias_ih", "cell.bias_hh")):
            torch.testing.assert_close(torch.cat([p[:H], p[2 * H:]]),
                                       torch.cat([q[:H], q[2 * H:]]))
        else:
            torch.testing.assert_close(p, q, msg=name)
    cell0, cellc = b0.cell, chrono.cell
    assert torch.all(cell0.bias_ih_l0[H:2 * H] == 0) and torch.all(cell0.bias_hh_l0[H:2 * H] == 0)
    b = (cellc.bias_ih_l0 + cellc.bias_hh_l0)[H:2 * H]
    assert torch.all(b >= 0) and torch.all(b <= math.log(99) + 1e-6) and b.std() > 0.3
    with pytest.raises(ValueError, match="unknown model"):
        ch3_bias.build_model("lstm", 100, 0)


def test_solved_is_below_a_tenth_of_the_baseline():
    assert ch3_bias.solved(0.09) and not ch3_bias.solved(0.1) and not ch3_bias.solved(1.0)


def test_results_file_has_provenance_and_the_whole_grid():
    data = experiments.load("ch3_bias")
    prov = data["provenance"]
    assert prov["command"].startswith("python -m utils.experiments ch3_bias")
    assert prov["seeds"] == list(ch3_bias.SEEDS) and prov["configs"] == len(ch3_bias.CONFIGS)
    keys = [{k: r[k] for k in ("model", "T", "seed")} for r in data["rows"]]
    assert keys == ch3_bias.CONFIGS
    assert all(len(r["eval_loss"]) == ch3_bias.STEPS // ch3_bias.EVAL_EVERY + 1
               for r in data["rows"])


def test_committed_grid_matches_a_rerun():
    row = experiments.find(experiments.load("ch3_bias"), model="gru_chrono", T=30, seed=1)[0]
    fresh = experiments.rerun("ch3_bias", row)
    assert experiments.matches(fresh, row, keys=["eval_steps", "eval_loss"],
                               rtol=1e-3, atol=1e-4) == []
