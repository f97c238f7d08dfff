"""utils.adding_runs: the committed results file has its provenance and every configuration,
and re-running a configuration reproduces the committed numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.adding_runs import GRID, MODELS, build_model, load_results, run
from utils.flow import state_gradients
from utils.tasks import AddingTask


@pytest.fixture(scope="module")
def results():
    return load_results()


def test_results_file_has_provenance_and_the_whole_grid(results):
    prov = results["provenance"]
    for key in ("command", "grid", "python", "torch", "numpy", "machine", "date",
                "wall_seconds", "threads"):
        assert key in prov, key
    assert prov["grid"] == GRID
    got = {(r["model"], r["T"], r["seed"]) for r in results["runs"]}
    want = {(m, T, s) for m in MODELS for T in GRID["T"] for s in GRID["seeds"]}
    assert got == want
    for r in results["runs"]:
        assert r["eval_steps"][0] == 0 and r["eval_steps"][-1] == GRID["steps"]
        assert len(r["val_mse"]) == len(r["first_grad"]) == len(r["eval_steps"])


@pytest.mark.parametrize("name, steps", [("gru_chrono", 150), ("rnn", 100)])
def test_rerunning_reproduces_the_committed_numbers(results, name, steps):
    committed = next(r for r in results["runs"]
                     if r["model"] == name and r["seed"] == 0 and r["T"] == 100)
    live = run(name, 100, 0, steps)
    k = len(live.val_mse)
    np.testing.assert_allclose(live.val_mse, committed["val_mse"][:k], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(live.first_grad, committed["first_grad"][:k], rtol=1e-5,
                               atol=1e-12)


def test_chrono_model_has_its_biases():
    m = build_model("gru_chrono", 100, 0)
    H = m.hidden_size
    b = (m.cell.bias_ih_l0 + m.cell.bias_hh_l0)[H:2 * H].detach().numpy()
    assert 0 <= b.min() and b.max() <= np.log(99)
    with pytest.raises(ValueError):
        build_model("nope", 100, 0)


def test_state_gradients_match_autograd_through_the_fused_gru():
    m = build_model("gru_b0", 20, 0)
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
