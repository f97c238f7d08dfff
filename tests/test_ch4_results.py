"""utils/results/ch4.json: complete, with provenance, and reproduced by re-running one row."""

from __future__ import annotations

import time

import torch

from utils.experiments import ch4, load, matches, rerun

DRIFT_KEYS = ("hidden_size", "params", "eval_steps", "eval_loss", "eval_score", "final_loss",
              "final_score", "best_score", "train_loss_end")  # everything but the seconds


def test_committed_grid_is_complete_with_provenance():
    results = load("ch4")
    prov = results["provenance"]
    for key in ("command", "seeds", "versions", "machine", "date", "wall_time_s"):
        assert key in prov, key
    assert prov["command"] == "python -m utils.experiments ch4 --no-progress"
    assert prov["seeds"] == list(ch4.SEEDS)
    rows = results["rows"]
    assert len(rows) == len(ch4.CONFIGS)
    for config in ch4.CONFIGS:
        assert sum(all(r[k] == v for k, v in config.items()) for r in rows) == 1, config


def test_one_configuration_reproduces_the_committed_numbers():
    """Runs with the caller's thread count (run_config pins one thread itself)."""
    committed = next(r for r in load("ch4")["rows"] if r["task"] == "digits"
                     and r["kind"] == "gru" and r["budget"] == 1000 and r["seed"] == 0
                     and r["train_size"] == 1400)
    torch.set_num_threads(2)
    start = time.perf_counter()
    fresh = rerun("ch4", committed)
    assert time.perf_counter() - start < 60
    # the file keeps six decimals: a last-digit rounding flip (1e-6) is not drift
    assert matches(fresh, committed, keys=DRIFT_KEYS, atol=1.5e-6) == []


def test_committed_timing_sweep_has_every_size():
    results = load("ch4_timing")
    sizes = sorted({r["hidden_size"] for r in results["rows"]})
    assert sizes == [8, 16, 32, 64, 128, 256, 512, 1024]
    assert {r["backward"] for r in results["rows"]} == {False, True}
    for row in results["rows"]:
        for key in ("gru_over_lstm_fastest", "course_gru_over_lstm_fastest", "rnn_fastest",
                    "lstm_plain_seconds"):
            assert row[key] > 0, key
        for key in ("gru_over_lstm_quartiles", "gru_over_lstm_plain_quartiles",
                    "course_gru_over_lstm_quartiles"):
            q1, q2, q3 = row[key]  # quartiles of the ratio, repeat by repeat
            assert 0 < q1 <= q2 <= q3, key
