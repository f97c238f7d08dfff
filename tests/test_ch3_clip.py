"""utils.clipping and utils.experiments.ch3_clip: the clipping measurement behind chapter 3
(issue 20, point 10) — the committed file comes from this code, and clipping does what the
chapter says it does."""

from __future__ import annotations

import math

import pytest
import torch

from utils import experiments
from utils.clipping import _model, clipping_run
from utils.experiments import ch3_clip


def test_results_file_has_provenance_and_the_whole_grid():
    data = experiments.load("ch3_clip")
    prov = data["provenance"]
    assert prov["command"].startswith("python -m utils.experiments ch3_clip")
    assert prov["seeds"] == list(ch3_clip.SEEDS) and prov["configs"] == len(ch3_clip.CONFIGS)
    assert [{k: r[k] for k in ("start", "lr", "clip", "seed")} for r in data["rows"]] == \
        ch3_clip.CONFIGS


def test_a_committed_finite_run_matches_a_rerun():
    data = experiments.load("ch3_clip")
    row = experiments.find(data, start="rho3", lr=ch3_clip.LR_LOW, clip=None, seed=4)[0]
    fresh = experiments.rerun("ch3_clip", row)
    assert experiments.matches(fresh, row, keys=["grad_max", "grad_median", "updates",
                               "val_mse", "eval_steps", "eval_loss"], rtol=1e-4, atol=1e-6) == []


def test_committed_runs_match_a_rerun():
    data = experiments.load("ch3_clip")
    row = experiments.find(data, start="rho3", lr=ch3_clip.LR, clip=None, seed=1)[0]
    fresh = experiments.rerun("ch3_clip", row)  # diverges after a few dozen updates: fast
    assert math.isinf(row["val_mse"][1]) and math.isinf(fresh["val_mse"][1])

    def finite(r):  # experiments.matches compares numbers by difference: inf - inf is NaN
        return {k: [v for v in r[k] if math.isfinite(v)] if isinstance(r[k], list) else r[k]
                for k in r}

    assert experiments.matches(finite(fresh), finite(row), keys=["grad_max", "updates",
                               "val_mse", "eval_loss"], rtol=1e-4, atol=1e-6) == []
    assert [math.isinf(v) for v in fresh["eval_loss"]] == \
        [math.isinf(v) for v in row["eval_loss"]]


def test_the_rho3_start_has_spectral_radius_3_and_the_default_does_not():
    for start, low, high in (("rho3", 2.99, 3.01), ("default", 0.0, 1.0)):
        W_hh = _model(start, 16, 0).cell.weight_hh_l0.detach().double()  # (3H, H)
        for block in W_hh.split(16):
            rho = torch.linalg.eigvals(block).abs().max().item()
            assert low <= rho <= high, (start, rho)


def test_clipping_caps_the_update_and_is_off_without_a_threshold():
    clipped = clipping_run("rho3", 1.0, 0, T=20, hidden_size=8, steps=3, lr=0.1)
    free = clipping_run("rho3", None, 0, T=20, hidden_size=8, steps=3, lr=0.1)
    # the recorded norm is the one before clipping: the same first batch, the same weights
    assert clipped.grad_norms[0] == pytest.approx(free.grad_norms[0], rel=1e-6)
    assert clipped.grad_norms[0] > 1.0
    assert all(math.isfinite(v) for v in clipped.val_mse)
    with pytest.raises(ValueError, match="start"):
        clipping_run("orthogonal", 1.0, 0)
    with pytest.raises(ValueError, match="clip"):
        clipping_run("rho3", 0.0, 0)


def test_improved_means_a_lower_final_mse():
    assert ch3_clip.improved([1.2, 0.2]) and not ch3_clip.improved([1.2, math.inf])


def test_learned_means_well_below_the_constant_predictor():
    assert ch3_clip.learned(0.01) and not ch3_clip.learned(0.1) and not ch3_clip.learned(math.inf)


def test_the_validation_curve_is_recorded_and_marks_divergence():
    free = clipping_run("rho3", None, 1, T=20, hidden_size=16, steps=60, lr=0.3, eval_every=20)
    assert free.eval_steps == [0, 20, 40, 60]
    assert free.eval_loss[0] == free.val_mse[0] and math.isinf(free.eval_loss[-1])
