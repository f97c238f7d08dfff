"""utils.experiments.ch3: the committed results file has its provenance and every configuration,
and re-running a configuration reproduces the committed numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.experiments import ch3, find, load, matches, run
from utils.flow import state_gradients
from utils.tasks import AddingTask


@pytest.fixture(scope="module")
def results():
    return load("ch3")


def test_results_file_has_provenance_and_the_whole_grid(results):
    prov = results["provenance"]
    for key in ("command", "experiment", "configs", "seeds", "versions", "machine", "date",
                "wall_time_s"):
        assert key in prov, key
    assert prov["experiment"] == "ch3" and prov["configs"] == len(ch3.CONFIGS)
    assert prov["command"].startswith("python -m utils.experiments ch3")
    pace = ch3.PACE_SEEDS
    assert prov["seeds"] == sorted({*ch3.SEEDS, *(s for T in pace for s in pace[T])})
    # every model at every length and seed of SEEDS; the two GRUs also at PACE_SEEDS[T]
    assert set(pace) == set(ch3.LENGTHS) and set(ch3.PACE_MODELS) < set(ch3.MODELS)
    assert len(ch3.CONFIGS) == len(ch3.LENGTHS) * len(ch3.MODELS) * len(ch3.SEEDS) + len(
        ch3.PACE_MODELS) * sum(len(s) for s in pace.values())
    assert all(not set(s) & set(ch3.SEEDS) for s in pace.values())
    config_keys = ("model", "T", "seed", "steps")
    got = [{k: r[k] for k in config_keys} for r in results["rows"]]
    assert got == ch3.CONFIGS
    for r in results["rows"]:
        assert r["eval_steps"][0] == 0 and r["eval_steps"][-1] == r["steps"]
        assert len(r["val_mse"]) == len(r["first_grad"]) == len(r["eval_steps"])


@pytest.mark.parametrize("model, steps", [("gru_chrono", 150), ("rnn", 100)])
def test_rerunning_reproduces_the_committed_numbers(results, model, steps):
    """A shortened run is the start of the committed one (same batches, same updates)."""
    (committed,) = find(results, model=model, T=100, seed=0)
    (fresh,) = run(ch3.run_one, [{"model": model, "T": 100, "seed": 0, "steps": steps}],
                   progress=False)
    k = len(fresh["val_mse"])
    prefix = {key: committed[key][:k] for key in ("eval_steps", "val_mse", "first_grad")}
    assert matches(fresh, prefix, keys=["eval_steps", "val_mse"]) == []
    assert matches(fresh, prefix, keys=["first_grad"], rtol=1e-5, atol=1e-12) == []


def test_a_pace_row_is_the_start_of_its_rerun(results):
    """The added seeds' shorter runs re-run too (their first updates, a drift test)."""
    seed = ch3.PACE_SEEDS[100][0]
    (committed,) = find(results, model="gru_b0", T=100, seed=seed)
    assert committed["steps"] == ch3.PACE_STEPS
    (fresh,) = run(ch3.run_one, [{"model": "gru_b0", "T": 100, "seed": seed, "steps": 75}],
                   progress=False)
    k = len(fresh["val_mse"])
    prefix = {key: committed[key][:k] for key in ("eval_steps", "val_mse", "first_grad")}
    assert matches(fresh, prefix, keys=["eval_steps", "val_mse"]) == []
    assert matches(fresh, prefix, keys=["first_grad"], rtol=1e-5, atol=1e-12) == []


def test_the_pace_margin_is_one_evaluation_interval():
    """Fixed before the added seeds ran: a smaller difference falls between evaluations."""
    assert ch3.PACE_MARGIN == ch3.EVAL_EVERY and ch3.PACE_STEPS % ch3.EVAL_EVERY == 0


def test_run_one_returns_curves_not_config_keys():
    row = ch3.run_one({"model": "gru_b0", "T": 20, "seed": 0, "steps": 2})
    assert set(row) == {"eval_steps", "val_mse", "first_grad", "seconds"}
    assert row["eval_steps"] == [0, 2]


def test_chrono_model_has_its_biases():
    m = ch3.build_model("gru_chrono", 100, 0)
    H = m.hidden_size
    b = (m.cell.bias_ih_l0 + m.cell.bias_hh_l0)[H:2 * H].detach().numpy()
    assert 0 <= b.min() and b.max() <= np.log(99)
    with pytest.raises(ValueError):
        ch3.build_model("nope", 100, 0)


def test_state_gradients_match_autograd_through_the_fused_gru():
    m = ch3.build_model("gru_b0", 20, 0)
    task = AddingTask(20)
    X, y = task.sample(4, 0)
    dh, z = state_gradients(m, X, y, task.loss)
    assert dh.shape == z.shape == (20, 4, m.hidden_size)
    # the gradient w.r.t. the last state equals autograd's through the fused module
    out, _ = m.cell(X)
    out.retain_grad()
    task.loss(m.head(out[-1]), y).backward()
    np.testing.assert_allclose(dh[-1], out.grad[-1].numpy(), rtol=1e-5, atol=1e-8)
    assert torch.is_tensor(X)
