"""utils.experiments.ch5: the committed grid is complete, and re-running configurations
reproduces its numbers (so the results file cannot drift from the code)."""

from __future__ import annotations

import pytest
import torch

from utils import experiments
from utils.experiments import ch5
from utils.params import param_count
from utils.tasks import MarkerRecallTask, marker_recall

KEYS = ["hidden_size", "params", "final_loss", "baseline", "steps", "activation_bytes"]


@pytest.fixture(scope="module")
def results():
    return experiments.load("ch5")


def test_committed_grid_covers_every_configuration_with_provenance(results):
    rows = results["rows"]
    assert len(rows) == len(ch5.CONFIGS)
    for config in ch5.CONFIGS:
        assert len(experiments.find(results, **config)) == 1, config
    p = results["provenance"]
    assert p["seeds"] == list(ch5.SEEDS)
    seeds_of = {task: {r["seed"] for r in rows if r["task"] == task} for task in ch5.TASKS}
    assert seeds_of["copy"] == set(ch5.COPY_SEEDS) < set(ch5.SEEDS)  # enters no verdict
    assert all(seeds_of[t] == set(ch5.SEEDS) for t in ch5.TASKS if t != "copy")
    assert ch5.ADDING_SEEDS == ch5.SEEDS and len(ch5.SEEDS) == 10
    assert p["command"].startswith("python -m utils.experiments ch5")
    assert {"python", "numpy", "torch"} <= set(p["versions"]) and p["wall_time_s"] > 0


@pytest.mark.parametrize("config", [
    {"group": "recall", "task": "recall-last", "cell": ch5.STACKED, "seed": 0},
    {"group": "recall", "task": "recall-first", "cell": ch5.STACKED, "seed": 7},  # --resume
    {"group": "family", "task": "adding", "cell": "Li-GRU", "seed": 4},
    {"group": "family", "task": "adding", "cell": "Li-GRU", "seed": 8},  # added with --resume
    {"group": "family", "task": "adding", "cell": "LSTM (forget bias 1)", "seed": 0},
])
def test_rerunning_a_configuration_reproduces_the_committed_numbers(results, config):
    (row,) = experiments.find(results, **config)
    fresh = experiments.rerun("ch5", row)
    assert experiments.matches(fresh, row, keys=KEYS) == []


def test_equal_budget_sizes_are_the_closest_counts():
    for kind in ("mgu", "ligru", "gru1", "gru2", "gru3", "cifg", "lstm", "mingru"):
        H = ch5.budget_hidden_size(kind, 2, 912)
        for other in (H - 1, H + 1):
            if other >= 1:
                assert abs(ch5.count(kind, 2, H) - 912) <= abs(ch5.count(kind, 2, other) - 912)


def test_every_count_uses_one_bias_vector_per_gate_block():
    """The budgets follow the family table's convention: the GRU and the LSTM as the papers
    count them (one bias vector per block, not torch.nn's two), the variants unchanged."""
    assert ch5.count("gru", 2, 16) == 3 * (16 * 2 + 16 * 16 + 16) == 912
    assert ch5.count("lstm", 2, 14) == 4 * (14 * 2 + 14 * 14 + 14)
    assert ch5.count("gru", 2, 16) == param_count("gru", 2, 16) - 3 * 16  # torch.nn's less 3H
    assert ch5.count("mgu", 2, 20) == param_count("mgu", 2, 20)
    task, budget_H, *_ = ch5.TASKS["adding"]
    _, H, n = ch5.build("GRU", task, budget_H, 0)
    assert (H, n) == (16, 912)
    _, H, n = ch5.build("CIFG-LSTM", task, budget_H, 0)  # three one-bias blocks, as the GRU
    assert (H, n) == (16, 912)
    _, H, n = ch5.build("LSTM (forget bias 1)", task, budget_H, 0)
    assert n == ch5.count("lstm", task.input_size, H)
    for row in experiments.load("ch5")["rows"]:  # the committed rows count the same way
        task, budget_H, *_ = ch5.TASKS[row["task"]]
        assert row["params"] == ch5.build(row["cell"], task, budget_H, 0)[2], row


@pytest.mark.parametrize("which", ["first", "last"])
def test_marker_recall_targets_the_first_or_last_marked_value(which):
    X, y = marker_recall(12, 64, rng=3, which=which, as_numpy=True)
    assert X.shape == (12, 64, 2) and y.shape == (64, 1)
    assert (X[..., 1].sum(axis=0) == 2).all()
    for n in range(64):
        marked = X[X[:, n, 1] == 1, n, 0]
        assert y[n, 0] == (marked[0] if which == "first" else marked[-1])
    task = MarkerRecallTask(12, which)
    assert task.baseline == pytest.approx(1 / 12) and task.name == f"recall-{which}(T=12)"
    with pytest.raises(ValueError, match="which"):
        marker_recall(5, 2, rng=0, which="middle")


def test_the_lstm_starts_with_the_forget_bias_its_name_says():
    task, budget_H, *_ = ch5.TASKS["adding"]
    plain, H, _ = ch5.build("LSTM", task, budget_H, 0)
    biased, H1, _ = ch5.build("LSTM (forget bias 1)", task, budget_H, 0)
    assert H == H1
    total = biased.cell.bias_ih[H:2 * H] + biased.cell.bias_hh[H:2 * H]  # i | f | g | o
    assert torch.equal(total, torch.ones(H))
    with torch.no_grad():  # PyTorch's draw: uniform, so the forget bias starts near 0
        start = plain.cell.bias_ih[H:2 * H] + plain.cell.bias_hh[H:2 * H]
    assert abs(float(start.mean())) < 0.5
    for name in ("weight_ih", "weight_hh"):  # the same draw otherwise
        assert torch.equal(getattr(plain.cell, name), getattr(biased.cell, name))


def test_recall_long_trains_four_times_the_steps_of_recall_last():
    assert ch5.TASKS["recall-last-long"][2] == 4 * ch5.TASKS["recall-last"][2]
    assert ch5.TASKS["recall-last-long"][0] == ch5.TASKS["recall-last"][0]
