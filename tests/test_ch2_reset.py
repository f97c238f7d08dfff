"""utils.experiments.ch2_reset: the reset-gate ablation and the forgetting paths of chapter 2,
over seeds — the committed file comes from this code and covers the whole grid."""

from __future__ import annotations

from utils import experiments
from utils.experiments import ch2_reset


def test_results_file_has_provenance_and_the_whole_grid():
    data = experiments.load("ch2_reset")
    prov = data["provenance"]
    assert prov["command"].startswith("python -m utils.experiments ch2_reset")
    assert prov["seeds"] == list(ch2_reset.SEEDS) and len(ch2_reset.SEEDS) >= 8
    assert [{k: r[k] for k in ("reset_gate", "seed")} for r in data["rows"]] == ch2_reset.CONFIGS


def test_committed_runs_match_a_rerun():
    data = experiments.load("ch2_reset")
    row = experiments.find(data, reset_gate=False, seed=3)[0]
    fresh = experiments.rerun("ch2_reset", row)
    assert experiments.matches(fresh, row, keys=["mse", "curve", "marker", "other"],
                               rtol=1e-4, atol=1e-7) == []


def test_path_claims_can_fail():
    marker = {"total": 1.0, "kept": 2.0, "via_z": 2.0, "via_n": 0.5, "kept_and_z": 1.0}
    other = {"total": 3.0, "kept": 2.5, "via_z": 0.5, "via_n": 1.5, "kept_and_z": 2.0}
    assert all(ch2_reset.path_claims(marker, other).values())
    worse = ch2_reset.path_claims({**marker, "total": 2.0, "via_n": 1.4}, other)
    assert not worse["forgets"] and not worse["candidate_shrinks"] and not worse["as_much"]
    assert not ch2_reset.path_claims({**marker, "kept_and_z": 1.8}, other)["z_cancels_copy"]
    assert not ch2_reset.path_claims({**marker, "kept_and_z": 2.1}, other)["z_shortens_copy"]
