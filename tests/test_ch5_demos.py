"""utils.demos.ch5: the variant explorer and the scan explorer, live and static."""

from __future__ import annotations

import numpy as np
import pytest

from utils.demos import ch5
from utils.variants import gate_inputs, scan_schedule
from utils.widgets import DemoWidget


@pytest.fixture(scope="module")
def variant_demo():
    return ch5.variant_explorer_demo()


@pytest.fixture(scope="module")
def scan_demo():
    return ch5.scan_explorer_demo(repeats=1)


@pytest.mark.parametrize("variant", list(ch5.FAMILY))
@pytest.mark.parametrize("marker_step", [min(ch5.MARKER_STEPS), max(ch5.MARKER_STEPS)])
def test_variant_explorer_renders_every_cell_at_the_slider_ends(variant_demo, variant,
                                                               marker_step):
    png = variant_demo.png(variant=variant, marker_step=marker_step, static=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    html = variant_demo.html(variant=variant, marker_step=marker_step)
    assert "parameters (one bias per gate block):" in html and "of the GRU" in html
    assert "_{" not in html and "\\" not in html  # plain HTML, no raw TeX
    assert f"Second marker at step {marker_step}" in html


@pytest.mark.parametrize("kind", list(ch5.FAMILY.values()))
def test_gate_traces_move_exactly_with_what_the_gates_read(kind):
    traces = ch5.gate_traces(kind)
    reads = gate_inputs(kind)
    for g, r in reads.items():
        moves = np.ptp(traces[g], axis=0).max() > 1e-9
        assert moves == (r["x"] or r["h"]), (kind, g)  # constant iff it reads neither
        assert np.all(np.isfinite(traces[g]))


@pytest.mark.parametrize("kind", list(ch5.FAMILY.values()))
@pytest.mark.parametrize("marker_step", ch5.MARKER_STEPS)
def test_the_marker_reaches_the_gates_when_what_they_read_says(kind, marker_step):
    """The explorer's lesson: a gate that reads x_t reacts at the marker's own step; gates
    that read only h_{t-1} one step later; gates that read neither never; and gates that
    read x_t but not the state (minGRU) react at that step only."""
    gates = {g: r for g, r in gate_inputs(kind).items() if g not in ch5.CANDIDATES}
    reads_x = any(r["x"] for r in gates.values())
    reads_h = any(r["h"] for r in gates.values())
    expected = marker_step if reads_x else marker_step + 1 if reads_h else None
    if expected is not None and expected > ch5.TRACE_T:
        expected = None
    assert ch5.first_reaction(kind, marker_step) == expected
    response = ch5.marker_response(kind, marker_step)
    assert response.shape == (ch5.TRACE_T,) and np.all(response[:marker_step - 1] == 0)
    if marker_step < ch5.TRACE_T:
        assert (response[marker_step:] > 1e-12).any() == reads_h, kind


def test_marker_step_outside_the_sequence_is_refused():
    with pytest.raises(ValueError, match="marker_step"):
        ch5.gate_traces("gru", ch5.TRACE_T + 1)


def test_scan_explorer_draws_every_round_and_reports_measured_times(scan_demo):
    for T in (min(ch5.SCAN_LENGTHS), max(ch5.SCAN_LENGTHS)):
        assert scan_demo.png(T=T, static=True)[:4] == b"\x89PNG"
        html = scan_demo.html(T=T)
        rounds = len(scan_schedule(T))
        assert f"<td>scan</td><td>{rounds}</td>" in html


def test_sliders_have_at_least_nine_positions():
    assert len(ch5.MARKER_STEPS) >= 9 and len(ch5.SCAN_LENGTHS) >= 9


def test_static_builds_stay_within_the_page_budget():
    box_v = ch5.variant_explorer(mode="static")
    box_s = ch5.scan_explorer(mode="static", repeats=1)
    assert isinstance(box_v, DemoWidget) and isinstance(box_s, DemoWidget)
    assert box_v.report.frames == len(ch5.FAMILY) * len(ch5.MARKER_STEPS)
    assert box_s.report.frames == len(ch5.SCAN_LENGTHS)
    total = box_v.report.state_bytes + box_s.report.state_bytes
    assert total < 1.3 * 2**20, total  # leaves room for the chapter's figures under 2 MB


def test_live_builds_display_nothing():
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        ch5.variant_explorer(mode="live")
        ch5.scan_explorer(mode="live", repeats=1)
    assert not captured.outputs and not captured.stdout


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_one_bias_count_is_torch_nn_less_one_bias_vector_per_block(kind):
    import torch

    H_in, H = 32, 64
    module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](H_in, H)
    torch_count = sum(p.numel() for p in module.parameters())
    blocks = module.bias_hh_l0.numel()  # one bias vector of every gate block
    assert ch5.one_bias_count(kind, H_in, H) == torch_count - blocks


def test_variant_explorer_uses_the_chapters_one_bias_convention(variant_demo):
    """The explorer's shares match the chapter's table: the CIFG costs exactly a GRU, the
    MGU two thirds of it (torch.nn's two-bias count would give 92% and 61%)."""
    cifg = variant_demo.html(variant="CIFG-LSTM", marker_step=ch5.MARKER_STEPS[4])
    assert "100% of the GRU's" in cifg
    H_in, H = 2, ch5.TRACE_H
    share = ch5.one_bias_count("mgu", H_in, H) / ch5.one_bias_count("gru", H_in, H)
    assert share == pytest.approx(2 / 3)
    mgu = variant_demo.html(variant="MGU", marker_step=ch5.MARKER_STEPS[4])
    assert f"{share:.0%} of the GRU's" in mgu
