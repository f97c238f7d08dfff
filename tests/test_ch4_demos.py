"""utils.demos.ch4: the cell explainer and the budget explorer, live and static."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.budget import param_count_as
from utils.demos import ch4
from utils.widgets import DemoWidget

PAGE_BUDGET = 2 * 2**20  # bytes: a chapter page with all its demo frames


def torch_pair(scale, offset, write=0.0):
    lstm, gru = ch4._example_cells(0)
    x = torch.tensor([ch4.EXAMPLE_X], dtype=torch.float64) * scale
    h = torch.tensor([ch4.EXAMPLE_H], dtype=torch.float64) * scale
    c = torch.tensor([ch4.EXAMPLE_C], dtype=torch.float64) * scale
    tl, tg = lstm.to_torch(), gru.to_torch()
    with torch.no_grad():
        tl.bias_hh[0:3] += write
        tl.bias_hh[3:6] += offset
        tg.bias_hh[3:6] += offset
        h_l, c_l = tl(x, (h, c))
        h_g = tg(x, h)
    return h_l.numpy()[0], c_l.numpy()[0], h_g.numpy()[0]


@pytest.mark.parametrize("scale", ch4.SCALES)
@pytest.mark.parametrize("offset", ch4.OFFSETS)
def test_paired_step_is_torch_at_every_position(scale, offset):
    v = ch4.paired_step(scale, offset)
    h_l, c_l, h_g = torch_pair(scale, offset)
    np.testing.assert_allclose(v["h_lstm"], h_l, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v["c"], c_l, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v["h_gru"], h_g, rtol=1e-12, atol=1e-14)
    assert all(np.all(np.isfinite(a)) for a in v.values())


@pytest.mark.parametrize("write", ch4.OFFSETS)
@pytest.mark.parametrize("offset", ch4.OFFSETS)
def test_every_demo_position_is_torch(offset, write):
    v = ch4.paired_step(1.0, offset, write=write)
    h_l, c_l, h_g = torch_pair(1.0, offset, write)
    np.testing.assert_allclose(v["h_lstm"], h_l, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v["c"], c_l, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v["h_gru"], h_g, rtol=1e-12, atol=1e-14)


def test_the_corner_the_gru_cannot_reach():
    """Keep and write at once: the LSTM's c_t is c_{t−1} + g_t, the GRU only copies."""
    both = ch4.paired_step(1.0, 8.0, write=8.0)
    np.testing.assert_allclose(both["c"], both["c_prev"] + both["g"], atol=2e-3)
    np.testing.assert_allclose(both["h_gru"], both["h_prev"], atol=1e-3)
    assert np.abs(both["c"] - both["c_prev"]).max() > 0.1  # the LSTM did write
    keep_only = ch4.paired_step(1.0, 8.0, write=-8.0)
    np.testing.assert_allclose(keep_only["c"], keep_only["c_prev"], atol=2e-3)
    demo = ch4.cell_explainer_demo()
    assert list(demo.controls) == ["offset", "write"]


def test_slider_ends_show_keep_and_forget():
    keep = ch4.paired_step(1.0, 8.0)
    np.testing.assert_allclose(keep["h_gru"], keep["h_prev"], atol=1e-3)  # z → 1 copies h
    # f → 1 keeps c_{t−1} and still adds i ⊙ g
    np.testing.assert_allclose(keep["c"], keep["c_prev"] + keep["i"] * keep["g"], atol=1e-3)
    forget = ch4.paired_step(1.0, -8.0)
    np.testing.assert_allclose(forget["h_gru"], forget["n"], atol=1e-3)
    np.testing.assert_allclose(forget["c"], forget["i"] * forget["g"], atol=1e-3)


def test_at_least_nine_positions_per_slider():
    for demo in (ch4.cell_explainer_demo(), ch4.budget_explorer_demo()):
        assert all(len(choice) >= 9 for choice in demo.controls.values())


def test_cell_explainer_static_frames_and_budget():
    box = ch4.cell_explainer(mode="static")
    assert isinstance(box, DemoWidget)
    assert box.report.frames == 81
    assert box.report.state_bytes < 1_300_000


def test_budget_explorer_renders_every_position():
    demo = ch4.budget_explorer_demo()
    for budget in ch4.BUDGETS:
        for input_size in ch4.INPUT_SIZES:
            html = demo.html(budget=budget, input_size=input_size)
            assert "hidden size" in html and "spent on reading" in html
            assert "nan" not in html and "None" not in html
    box = ch4.budget_explorer(mode="static")
    assert box.report.frames == 81
    assert box.report.state_bytes < 400_000


def test_equal_work_size_does_the_same_multiply_adds():
    from utils.costs import macs_per_step

    for kind in ch4.KINDS:
        for i, h in ((1, 50), (128, 12), (8, 8), (64, 300)):
            s = ch4.equal_work_size(i, h)
            assert ch4_gates(kind) * s * 2 * s == \
                pytest.approx(macs_per_step(kind, i, h), rel=1e-12)
    assert ch4.equal_work_size(16, 16) == pytest.approx(16)


def ch4_gates(kind):
    from utils.costs import GATES

    return GATES[kind]


def test_time_column_follows_the_input_size():
    """At a fixed H, a wider input means more work per step and a longer estimated time;
    at a fixed budget the estimate moves with the input size too (the old column did not)."""
    from utils.experiments import load

    timing = load("ch4_timing")["rows"]
    t = [ch4._interp_time(timing, "gru", ch4.equal_work_size(i, 64), True)
         for i in (8, 64, 512)]
    assert t[0] < t[1] < t[2]
    at_budget = {i: {r["kind"]: r["us_per_step"] for r in ch4.budget_rows(64000, i, timing)}
                 for i in (1, 128)}
    assert all(at_budget[1][k] != at_budget[128][k] for k in ch4.KINDS)


def test_input_share_is_what_reads_the_input():
    for r in ch4.budget_rows(4000, 10):
        G = ch4_gates(r["kind"])
        H = r["hidden_size"]
        assert r["input_share"] == pytest.approx(G * H * 10 / param_count_as(r["kind"], 10, H))
    shares = [{r["kind"]: r.get("input_share") for r in ch4.budget_rows(4000, i)}
              for i in ch4.INPUT_SIZES]
    for kind in ch4.KINDS:  # a wider input takes a larger share of a fixed budget
        seq = [s[kind] for s in shares if s[kind] is not None]
        assert seq == sorted(seq) and seq[0] < 0.1 < 0.5 < seq[-1]


def test_a_wider_input_costs_units():
    """The chapter's trade-off: at a fixed budget a wider input leaves fewer units, and at a
    small budget the gated cells get fewer units than the inputs they read."""
    for budget in (1000, 4000):
        sizes = [{r["kind"]: r["hidden_size"] for r in ch4.budget_rows(budget, i)}
                 for i in ch4.INPUT_SIZES]
        for kind in ch4.KINDS:
            hs = [s[kind] or 0 for s in sizes]
            assert hs == sorted(hs, reverse=True) and hs[0] > hs[-1], (budget, kind)
    narrow = {r["kind"]: r["hidden_size"] for r in ch4.budget_rows(1000, 32)}
    assert narrow["gru"] < 32 and narrow["lstm"] < 32


def test_budget_rows_are_the_largest_sizes_in_budget():
    for r in ch4.budget_rows(4000, 8):
        assert r["params"] <= 4000 < param_count_as(r["kind"], 8, r["hidden_size"] + 1)
    tiny = ch4.budget_rows(250, 128)
    assert [r["hidden_size"] for r in tiny] == [1, None, None]


def test_both_demos_fit_one_page():
    a = ch4.cell_explainer(mode="static").report.state_bytes
    b = ch4.budget_explorer(mode="static").report.state_bytes
    assert a + b < PAGE_BUDGET


def test_live_mode_builds():
    assert isinstance(ch4.cell_explainer(mode="live"), DemoWidget)
    assert isinstance(ch4.budget_explorer(mode="live"), DemoWidget)


def test_equal_work_is_not_equal_time():
    """The chapter's second trade-off: at one budget the cells do nearly the same multiply-adds,
    yet their estimated times differ (how the steps are run decides)."""
    from utils.experiments import load

    timing = load("ch4_timing")["rows"]
    rows = {r["kind"]: r for r in ch4.budget_rows(4000, 8, timing)}
    macs = [r["macs"] for r in rows.values()]
    assert max(macs) / min(macs) < 1.1
    times = [r["us_per_step"] for r in rows.values()]
    assert max(times) / min(times) > 1.5


def test_time_column_uses_the_statistic_the_chapter_uses():
    """The column reads the sweep's statistic (``*_low``, the 10th percentile of the block
    means), the one the chapter's timing figure uses; at the sweep's own sizes it is that."""
    from utils.experiments import load

    timing = load("ch4_timing")["rows"]
    for r in (r for r in timing if r["backward"]):
        for kind in ch4.KINDS:
            assert ch4._interp_time(timing, kind, r["hidden_size"], True) == \
                pytest.approx(r[f"{kind}_low"], rel=1e-9)
    note = ch4.budget_explorer_demo().html(budget=4000, input_size=8)
    assert "10th percentile of 9 blocks" in note and "median" not in note
    assert "at this budget and input size" in note


def test_time_column_is_measured_at_each_position():
    """The explorer reads ``ch4_budget_timing``, measured at every one of its positions with the
    same hidden sizes it shows. The lesson it gives: at a fixed budget the multiply-adds hardly
    move with the input size and the measured time moves little more (within half of its
    smallest value), while the budget moves it several-fold."""
    from utils.experiments import ch4_budget_timing, load

    rows = load("ch4_budget_timing")["rows"]
    assert {(r["budget"], r["input_size"]) for r in rows} == {
        (b, i) for b in ch4.BUDGETS for i in ch4.INPUT_SIZES}
    assert ch4_budget_timing.BUDGETS == ch4.BUDGETS
    assert ch4_budget_timing.INPUT_SIZES == ch4.INPUT_SIZES
    for b in ch4.BUDGETS:
        for i in ch4.INPUT_SIZES:
            for r in ch4.budget_rows(b, i, measured=rows):  # raises if an H disagrees
                assert (r["hidden_size"] is None) == (r.get("us_per_step") is None)
    def us(budget, i, kind):
        return next(r for r in ch4.budget_rows(budget, i, measured=rows)
                    if r["kind"] == kind)["us_per_step"]

    for kind in ch4.KINDS:
        for budget in (64000, 256000):
            times = [us(budget, i, kind) for i in ch4.INPUT_SIZES]
            assert max(times) / min(times) < 1.5, (kind, budget)
        assert us(256000, 8, kind) > 3 * us(1000, 8, kind), kind
