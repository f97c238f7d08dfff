"""utils.demos.ch3 and utils.flow: frames render at every position, the ends are safe, the
pages stay within budget, and the data behind the gradient-flow demo is exact."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

from utils.demos import ch3
from utils.flow import flow_grid
from utils.gradients import gradient_norms
from utils.widgets import PAGE_BUDGET_BYTES, DemoWidget


def leaf_frames(stack):
    if isinstance(stack, ipywidgets.Stack):
        return [leaf for child in stack.children for leaf in leaf_frames(child)]
    return [stack]


@pytest.fixture(scope="module")
def boxes():
    return {"interp": ch3.interpolation_explorer("static")}


def test_static_demos_render_every_position_within_budget(boxes):
    total = 0
    for name, box in boxes.items():
        assert isinstance(box, DemoWidget) and box.mode == "static"
        assert box.report.frames == 81
        frames = leaf_frames(box.stack)
        assert len(frames) == 81
        pngs = {bytes(c.value) for f in frames
                for c in (f.children if isinstance(f, ipywidgets.Box) else [f])
                if isinstance(c, ipywidgets.Image)}
        assert len(pngs) == 81, f"{name}: frames are not all different"
        assert box.report.state_bytes <= 0.8 * box.report.budget_bytes  # no warning
        total += box.report.state_bytes
    # the demo leaves room for the page's figures and text
    assert total < 0.8 * PAGE_BUDGET_BYTES, total


@pytest.mark.parametrize("h_prev", [ch3.H_PREVS[0], ch3.H_PREVS[-1]])
@pytest.mark.parametrize("n_t", [ch3.N_TS[0], ch3.N_TS[-1]])
def test_interpolation_ends_are_safe_and_measured(h_prev, n_t):
    demo = ch3.interpolation_demo()
    assert len(ch3.H_PREVS) >= 9 and len(ch3.N_TS) >= 9
    assert demo.png(h_prev=h_prev, n_t=n_t)[:4] == b"\x89PNG"
    run = ch3.interpolation_run(h_prev, n_t)
    # the gate the cell used, recomputed from its weights: sigma(b_z + W_hz h_{t-1})
    cell = ch3.interpolation_cell()
    W_hz, b_z = cell.weight_hh[2:4].detach().numpy(), cell.bias_ih[2:4].detach().numpy()
    z_1 = 1 / (1 + np.exp(-(b_z + W_hz @ np.asarray(h_prev))))
    np.testing.assert_allclose(run["z"][0], z_1, rtol=1e-10)
    np.testing.assert_allclose(run["n"][0], n_t, rtol=1e-12)
    np.testing.assert_allclose(run["h"][1], z_1 * h_prev + (1 - z_1) * np.asarray(n_t),
                               rtol=1e-12)
    assert np.all(np.isfinite(run["half_life"]))
    assert np.all(np.abs(run["h"]) < 1)


def test_interpolation_measurement_departs_from_the_fixed_gate():
    """The right panel is a measurement: W_hz moves z_t with h_{t-1}, so the measured
    half-life of the slow unit depends on where it starts (it would not with z fixed)."""
    lives = [ch3.interpolation_run(h, ch3.N_TS[4])["half_life"][0] for h in ch3.H_PREVS]
    assert max(lives) - min(lives) > 1.0


def test_live_demos_build():
    box = ch3.interpolation_explorer("live")
    assert box.mode == "live" and box.image is not None


def test_no_second_gradient_flow_explorer():
    """Chapter 1's vanishing explorer already varies the gate bias and the radius."""
    assert not hasattr(ch3, "gradient_flow_explorer")


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_flow_grid_matches_gradient_norms_bias_by_bias(kind):
    f = flow_grid(kind, 1.0, (0.0, 3.0), seq_len=30, hidden_size=6, input_size=3, n_samples=2)
    for b in (0.0, 3.0):
        g = gradient_norms(kind, seq_len=30, spectral_radius=1.0, gate_bias=b, hidden_size=6,
                           input_size=3, n_samples=2)
        assert np.allclose(f.total[f.at(b)], g.norms, rtol=1e-9, atol=1e-300)


def test_highway_is_the_product_of_z_and_dominates_with_a_large_bias():
    f = flow_grid("gru", 1.0, (0.0, 6.0), seq_len=50, hidden_size=6, input_size=3, n_samples=2)
    assert np.all(np.diff(f.highway, axis=-1) <= 0)  # products of numbers in (0, 1)
    big = f.at(6.0)
    assert f.z_mean[big] > 0.99
    ratio = f.highway[big, :, -1] / f.total[big, :, -1]
    assert np.all((ratio > 0.5) & (ratio < 1.5))


def test_interpolation_title_gives_measured_and_formula_half_lives():
    """The right panel's title: each unit's half-life measured from the chosen h_{t-1},
    beside ln(1/2) / ln z for its gate at h = 0; the measured one moves with h_{t-1}."""
    formula = np.log(0.5) / np.log(ch3.Z_UNITS)
    titles = []
    for h_prev in (ch3.H_PREVS[0], ch3.H_PREVS[-1]):
        run = ch3.interpolation_run(h_prev, ch3.N_TS[4])
        text = ch3.half_life_readout(run)
        measured = run["half_life"]
        assert f"unit 0 {measured[0]:.1f}, unit 1 {measured[1]:.1f}" in text, text
        assert f"{formula[0]:.1f}, {formula[1]:.1f}" in text, text
        titles.append(text)
    assert titles[0] != titles[1]
