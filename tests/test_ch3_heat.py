"""utils.experiments.ch3_heat: the per-seed summary of a trained GRU's gradient map behind
chapter 3's heatmap (issue 20) — the statistics say what their names say, and the committed
file comes from this code (one seed re-run)."""

from __future__ import annotations

import numpy as np
import pytest

from utils import experiments
from utils.experiments import ch3, ch3_heat


def test_results_file_has_provenance_and_every_seed():
    data = experiments.load("ch3_heat")
    prov = data["provenance"]
    assert prov["command"].startswith("python -m utils.experiments ch3_heat")
    assert prov["seeds"] == list(ch3_heat.SEEDS) and prov["configs"] == len(ch3_heat.CONFIGS)
    assert [{"seed": r["seed"]} for r in data["rows"]] == ch3_heat.CONFIGS
    assert len(ch3_heat.SEEDS) >= 8
    for r in data["rows"]:
        assert len(r["grad_by_step"]) == ch3_heat.T and len(r["z_unit"]) == ch3.HIDDEN
        assert 0 <= r["n_fast"] <= ch3.HIDDEN and -1 <= r["spearman"] <= 1
        assert r["n_fast"] == sum(z < ch3_heat.FAST_Z for z in r["z_unit"])


def test_heat_stats_on_maps_with_a_known_answer():
    T, H = ch3_heat.T, 6
    z = np.linspace(0.5, 0.99, H)  # two units below FAST_Z = 0.9 ... and four above
    flat = np.ones((T, H))
    stats = ch3_heat.heat_stats(flat * np.arange(1, H + 1), z)  # gradient rises with z
    assert stats["span_ratio"] == pytest.approx(1.0)
    assert stats["n_fast"] == int((z < 0.9).sum()) and stats["spearman"] == pytest.approx(1.0)
    fading = np.exp(np.linspace(-5, 0, T))[:, None] * np.arange(H, 0, -1)  # falls with z
    stats = ch3_heat.heat_stats(fading, z)
    assert stats["span_ratio"] > 50 and stats["spearman"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        ch3_heat.heat_stats(flat, z[:-1])


def test_a_committed_seed_matches_a_rerun():
    row = experiments.find(experiments.load("ch3_heat"), seed=1)[0]
    fresh = experiments.rerun("ch3_heat", row)
    assert experiments.matches(fresh, row, keys=["n_fast", "z_unit", "span_ratio", "spearman",
                                                 "grad_by_step"], rtol=1e-3, atol=1e-6) == []
