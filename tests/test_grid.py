"""utils.grid (reading chapter 4's committed grid) and utils.costs.saved_floats_per_step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils import grid
from utils.costs import saved_floats_per_step, saved_tensors_per_sample


def _row(kind, seed, score, *, fb=None, task="digits", budget=1000, size=1400, curve=None):
    curve = curve or [0.1, score]
    return {"task": task, "kind": kind, "forget_bias": fb, "budget": budget, "seed": seed,
            "train_size": size, "hidden_size": 5, "params": 100, "final_score": score,
            "eval_steps": [0, 10][:len(curve)] if len(curve) <= 2 else list(range(len(curve))),
            "eval_score": curve, "seconds_per_step": 0.01}


ROWS = ([_row("rnn", s, 0.5) for s in range(3)]
        + [_row("gru", s, v) for s, v in enumerate((0.90, 0.92, 0.94))]
        + [_row("lstm", s, v, fb=0.0) for s, v in enumerate((0.80, 0.82, 0.84))]
        + [_row("lstm", s, v, fb=1.0) for s, v in enumerate((0.91, 0.92, 0.93))])


def test_labels_and_select():
    assert [grid.cell_label(r) for r in ROWS[::3]] == list(grid.CELL_LABELS)
    assert len(grid.select(ROWS, label="GRU")) == 3
    assert len(grid.select(ROWS, kind="lstm", seed=0)) == 2


def test_summary_statistics():
    table = {r["cell"]: r for r in grid.summary(ROWS, task="digits", budget=1000)}
    assert table["GRU"]["mean"] == pytest.approx(0.92)
    assert table["GRU"]["std"] == pytest.approx(0.02)
    assert table["GRU"]["min"] == 0.90 and table["GRU"]["max"] == 0.94


def test_versus_names_the_lstm_in_advance_and_uses_the_verdict():
    v = grid.versus(ROWS, task="digits", budget=1000)
    assert (v.a, v.b) == ("GRU", "LSTM (forget bias 1)") and v.seeds == (0, 1, 2)
    assert v.diff == pytest.approx(0.0) and v.direction == "unresolved"
    # the forget-bias-0 LSTM is worse here, but the comparison does not switch to it
    worse = grid.versus(ROWS, task="digits", budget=1000, b="LSTM (forget bias 0)")
    assert worse.direction == "GRU"
    rows = [dict(r, final_score=r["final_score"] - 0.2) if r["kind"] == "lstm" else r
            for r in ROWS]
    assert grid.versus(rows, task="digits", budget=1000).direction == "GRU"
    with pytest.raises(ValueError, match="no rows"):
        grid.versus(ROWS, task="copy", budget=1000)


def test_a_task_no_cell_learned_measures_nothing():
    assert grid.measures_something(ROWS, task="digits", budget=1000)  # 0.92 >= 0.55
    near_chance = [dict(r, task="copy", final_score=0.2 + 0.01 * r["seed"]) for r in ROWS]
    assert not grid.measures_something(near_chance, task="copy", budget=1000)  # < 0.5625


def test_curves_and_steps_to_reach():
    row = _row("gru", 0, 0.9, curve=[0.1, 0.5, 0.95, 0.97])
    assert grid.steps_to_reach(row, 0.9) == 2
    assert grid.steps_to_reach(row, 0.99) is None
    steps, mean, band = grid.mean_curve(ROWS, task="digits", budget=1000, label="GRU")
    assert list(steps) == [0, 10] and band.shape == (2, 2)
    assert np.allclose(mean, [0.1, 0.92])
    with pytest.raises(ValueError, match="no rows"):
        grid.mean_curve(ROWS, task="copy", budget=1000, label="GRU")


def test_small_data_reports_both_lstms():
    [row] = grid.small_data(ROWS, budget=1000, sizes=(1400,))
    assert set(row["versus"]) == {"LSTM (forget bias 0)", "LSTM (forget bias 1)"}
    assert row["versus"]["LSTM (forget bias 1)"].diff == pytest.approx(0.0)
    assert row["versus"]["LSTM (forget bias 0)"].direction == "GRU"


@pytest.mark.parametrize("implementation", ["course", "torch.nn"])
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_saved_floats_grow_linearly_in_hidden_size(kind, implementation):
    a = saved_floats_per_step(kind, 4, 8, seq_len=16, implementation=implementation,
                              onednn=False)
    b = saved_floats_per_step(kind, 4, 16, seq_len=16, implementation=implementation,
                              onednn=False)
    assert b == pytest.approx(2 * a, rel=0.02)
    with pytest.raises(ValueError):
        saved_floats_per_step("mgu", 4, 8)
    with pytest.raises(ValueError, match="implementation"):
        saved_floats_per_step(kind, 4, 8, implementation="cudnn")


def test_the_course_gru_keeps_what_its_equations_need():
    """h_{t-1}, [r_t | z_t], W_hn h_{t-1} + b_hn and n_t: 5H per step, nothing wider."""
    T, H = 8, 64
    pieces = saved_tensors_per_sample("gru", 16, H, seq_len=T)
    assert sorted(set(pieces)) == [H, 2 * H]  # per-step tensors only, no (N, 3H) block
    assert saved_floats_per_step("gru", 16, H) / H == pytest.approx(5.0)
    assert saved_floats_per_step("lstm", 16, H) / H == pytest.approx(7.0)


def test_torch_nn_keeps_more():
    H = 64
    gru = saved_tensors_per_sample("gru", 16, H, implementation="torch.nn")
    assert 3 * H in gru  # the whole (N, 3H) recurrent product, r and z computed inside it
    assert saved_floats_per_step("gru", 16, H, implementation="torch.nn") / H == pytest.approx(7)
    plain = saved_floats_per_step("lstm", 16, H, implementation="torch.nn", onednn=False)
    assert plain / H == pytest.approx(7.0)
    fused = saved_floats_per_step("lstm", 16, H, implementation="torch.nn", onednn=True)
    if torch.backends.mkldnn.is_available():  # oneDNN's workspace
        assert fused > 2 * plain
    else:
        assert fused == pytest.approx(plain)


def test_time_course_cells_per_step():
    from utils.costs import time_course_cells_per_step

    for backward in (False, True):
        timings = time_course_cells_per_step([(4, 8)], backward=backward, repeats=2, warmup=1,
                                             seq_len=3, batch_size=2)
        assert [t.kind for t in timings] == ["gru", "lstm"]
        assert all(len(t.seconds) == 2 and min(t.seconds) > 0 for t in timings)
    with pytest.raises(ValueError):
        time_course_cells_per_step([(4, 8)], ("mgu",))


def test_ratio_quartiles_and_the_plain_lstm():
    from utils.costs import PLAIN_LSTM, ratio_quartiles, time_per_step, training_step_seconds

    assert ratio_quartiles([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]) == (2.0, 2.0, 2.0)
    q1, q2, q3 = ratio_quartiles([1.0, 2.0, 3.0, 4.0, 5.0], [1.0] * 5)
    assert (q1, q2, q3) == (2.0, 3.0, 4.0)
    with pytest.raises(ValueError, match="as many repeats"):
        ratio_quartiles([1.0], [1.0, 2.0])
    timings = time_per_step([(4, 8)], ("gru", "lstm", PLAIN_LSTM), repeats=2, warmup=0,
                            seq_len=3, batch_size=2)
    assert [t.kind for t in timings] == ["gru", "lstm", PLAIN_LSTM]
    assert all(len(t.seconds) == 2 and min(t.seconds) > 0 for t in timings)
    steps = training_step_seconds(("gru", "ligru"), input_size=3, hidden_size=4, T=5, N=2,
                                  repeats=2)
    assert set(steps) == {"gru", "ligru"} and all(len(v) == 2 for v in steps.values())
