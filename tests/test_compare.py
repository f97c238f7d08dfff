"""utils.digits and utils.compare: the digits sequence task and equal-budget training runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.budget import param_count_as
from utils.compare import build_model, make_task, run_config
from utils.digits import DigitsTask, digits_split


def test_digits_split_shapes_and_determinism():
    a, b = digits_split(0), digits_split(0)
    assert a["X_train"].shape == (8, 1400, 8) and a["X_test"].shape == (8, 397, 8)
    assert torch.equal(a["X_test"], b["X_test"]) and torch.equal(a["y_train"], b["y_train"])
    assert float(a["X_train"].min()) >= 0 and float(a["X_train"].max()) <= 1
    assert not torch.equal(digits_split(1)["y_test"], a["y_test"])


def test_digits_rows_are_the_image_rows():
    from sklearn.datasets import load_digits

    images = load_digits().images / 16.0
    d = digits_split(0)
    first = d["X_train"][:, 0].numpy()  # (8 rows, 8 pixels) of the first training image
    matches = np.flatnonzero(np.all(np.abs(images - first) < 1e-6, axis=(1, 2)))
    assert matches.size >= 1


def test_digits_task_draws_from_its_prefix_only():
    task = DigitsTask(train_size=5)
    X, y = task.sample(64, np.random.default_rng(0))
    pool = digits_split(0)["X_train"][:, :5]
    for n in range(64):
        assert any(torch.equal(X[:, n], pool[:, k]) for k in range(5))
    with pytest.raises(ValueError, match="train_size"):
        DigitsTask(train_size=0)
    with pytest.raises(ValueError, match="logits"):
        task.loss(torch.zeros(3, 9), torch.zeros(3, dtype=torch.long))


def test_build_model_forget_bias_and_validation():
    model = build_model("lstm", 8, 5, 10, readout="last", seed=0, forget_bias=1.0)
    total = model.cell.bias_ih_l0 + model.cell.bias_hh_l0
    assert torch.allclose(total[5:10], torch.ones(5))
    with pytest.raises(ValueError, match="LSTM only"):
        build_model("gru", 8, 5, 10, readout="last", seed=0, forget_bias=1.0)
    with pytest.raises(ValueError, match="kind"):
        build_model("transformer", 8, 5, 10, readout="last", seed=0)


@pytest.mark.parametrize("task", ["adding", "copy", "digits"])
def test_run_config_is_deterministic_and_in_budget(task):
    config = {"task": task, "kind": "gru", "budget": 600, "seed": 3}
    torch.set_num_threads(1)
    a = run_config(config, steps=6)
    b = run_config(config, steps=6)
    assert a["eval_loss"] == b["eval_loss"] and a["eval_score"] == b["eval_score"]
    input_size = make_task(task).input_size
    assert a["params"] == param_count_as("gru", input_size, a["hidden_size"]) <= 600
    assert a["eval_steps"][0] == 0 and a["eval_steps"][-1] == 6
    with pytest.raises(ValueError, match="config needs"):
        run_config({"task": task, "kind": "gru"})


@pytest.mark.parametrize("kind", ["mgu", "mingru", "cifg"])
def test_run_config_takes_the_course_variants(kind):
    from utils.compare import hidden_size_for
    from utils.params import param_count

    H = hidden_size_for(kind, 8, 700)
    assert param_count(kind, 8, H) <= 700 < param_count(kind, 8, H + 1)
    result = run_config({"task": "digits", "kind": kind, "budget": 700, "seed": 0}, steps=3)
    model = build_model(kind, 8, H, 10, readout="last", seed=0)
    assert result["params"] == sum(p.numel() for p in model.cell.parameters())
