"""Chapter 6's committed alternatives grid: complete, with provenance, and reproduced by
re-running configurations of it (drift tests)."""

from __future__ import annotations

import pytest
import torch

from utils.experiments import ch6_alternatives, load, matches, rerun

GRIDS = {"ch6_alternatives": ch6_alternatives}


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_committed_grid_is_complete_with_provenance(name):
    module = GRIDS[name]
    results = load(name)
    prov = results["provenance"]
    assert prov["command"] == f"python -m utils.experiments {name} --no-progress"
    assert prov["seeds"] == list(module.SEEDS)
    assert len(results["rows"]) == len(module.CONFIGS)
    for config in module.CONFIGS:
        assert sum(all(r.get(k) == v for k, v in config.items())
                   for r in results["rows"]) == 1, config


@pytest.mark.parametrize("name, config, keys", [
    ("ch6_alternatives", {"model": "conv", "seed": 1},
     ("width", "params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_alternatives", {"model": "logistic"}, ("params", "test_accuracy")),
])
def test_one_configuration_reproduces_the_committed_numbers(name, config, keys):
    committed = next(r for r in load(name)["rows"]
                     if all(r.get(k) == v for k, v in config.items())
                     and set(r) >= set(config) and ("seed" in config or "seed" not in r))
    torch.set_num_threads(2)
    fresh = rerun(name, committed)
    assert matches(fresh, committed, keys=keys, atol=1.5e-6, rtol=1e-5) == []


def test_alternatives_stay_within_the_grus_budget():
    rows = load("ch6_alternatives")["rows"]
    budget = ch6_alternatives.budget()
    for r in rows:
        assert r["budget"] == budget
        if r["model"] != "logistic":
            assert 0.9 * budget <= r["params"] <= budget, r
