"""utils.demos.ch2: the gate explorer and the learned-gate viewer, live and static."""

from __future__ import annotations

import importlib

import ipywidgets
import numpy as np
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from matplotlib._pylab_helpers import Gcf

from utils.demos import ch2
from utils.gates import learned_gates, train_reset_sum
from utils.widgets import DemoWidget

PAGE_BUDGET = 2_000_000  # bytes: a chapter page with all its demo frames


def leaf_frames(stack: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    if isinstance(stack, ipywidgets.Stack):
        return [leaf for child in stack.children for leaf in leaf_frames(child)]
    return [stack]


def frame_parts(frame: ipywidgets.Widget) -> tuple[bytes | None, str | None]:
    children = frame.children if isinstance(frame, ipywidgets.VBox) else (frame,)
    png = next((bytes(c.value) for c in children if isinstance(c, ipywidgets.Image)), None)
    html = next((c.value for c in children if isinstance(c, ipywidgets.HTML)), None)
    return png, html


@pytest.fixture(scope="module")
def tiny_model():
    model, _ = train_reset_sum(hidden_size=4, T=10, steps=5, batch_size=8, progress=False)
    return model


# ------------------------------------------------------------------------- gate explorer


def torch_step_with_offsets(params, x, h_prev, r_offset, z_offset):
    """Reference: torch.nn.GRUCell (float64) with Δ_r, Δ_z added to b_hr, b_hz by hand."""
    cell = torch.nn.GRUCell(3, 3, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.as_tensor(params[name]))
        cell.bias_hh[:3] += r_offset
        cell.bias_hh[3:6] += z_offset
        return cell(torch.as_tensor(x), torch.as_tensor(h_prev)).numpy()


@pytest.mark.parametrize("r_offset", ch2.OFFSETS)
@pytest.mark.parametrize("z_offset", ch2.OFFSETS)
def test_gate_step_matches_torch_at_every_position(r_offset, z_offset):
    params = ch2.example_params()
    x, h = np.array([ch2.EXAMPLE_X]), np.array([ch2.EXAMPLE_H])
    g = ch2.gate_step(params, x, h, r_offset=r_offset, z_offset=z_offset)
    want = torch_step_with_offsets(params, x, h, r_offset, z_offset)
    diff = np.max(np.abs(g["h"] - want))
    assert diff < 1e-12, f"Δ_r={r_offset}, Δ_z={z_offset}: max |diff| = {diff:.2e}"
    assert np.all(np.isfinite(g["h"]))


def test_gate_offsets_do_what_the_chapter_says():
    params = ch2.example_params()
    x, h = np.array([ch2.EXAMPLE_X]), np.array([ch2.EXAMPLE_H])
    keep = ch2.gate_step(params, x, h, z_offset=max(ch2.OFFSETS))
    replace = ch2.gate_step(params, x, h, z_offset=min(ch2.OFFSETS))
    assert np.abs(keep["h"] - h).max() < 2e-3  # z ≈ 1: h_t ≈ h_{t−1}
    assert np.abs(replace["h"] - replace["n"]).max() < 2e-3  # z ≈ 0: h_t ≈ n_t
    closed = ch2.gate_step(params, x, h, r_offset=min(ch2.OFFSETS))
    assert closed["r"].max() < 1e-3


def test_gate_explorer_static_renders_every_position():
    demo = ch2.gate_explorer_demo()
    box = ch2.gate_explorer(mode="static")
    frames = leaf_frames(box.stack)
    assert len(frames) == len(ch2.OFFSETS) ** 2 == len(demo.positions())
    for frame, values in zip(frames, demo.positions()):
        png, html = frame_parts(frame)
        assert html == demo.html(**values), f"table at {values}"
        assert png and png[:8] == b"\x89PNG\r\n\x1a\n"
    corners = [{"r_offset": a, "z_offset": b} for a in (-8.0, 8.0) for b in (-8.0, 8.0)]
    for values in corners:
        index = demo.positions().index(values)
        assert frame_parts(frames[index])[0] == demo.png(static=True, **values), values
    assert box.report.state_bytes < PAGE_BUDGET * 0.4, str(box.report)


def test_gate_explorer_live_extremes():
    demo = ch2.gate_explorer_demo()
    box = ch2.gate_explorer(mode="live")
    for r_offset in (min(ch2.OFFSETS), max(ch2.OFFSETS)):
        for z_offset in (min(ch2.OFFSETS), max(ch2.OFFSETS)):
            box.controls["r_offset"].value = r_offset
            box.controls["z_offset"].value = z_offset
            assert box.error.value == ""
            assert box.html.value == demo.html(r_offset=r_offset, z_offset=z_offset)
            assert bytes(box.image.value) == demo.png(r_offset=r_offset, z_offset=z_offset)


def test_gate_explorer_takes_the_notebook_weights_and_validates_them():
    params = {k: 0.5 * v for k, v in ch2.example_params(3).items()}
    html = ch2.gate_explorer_demo(params).html(r_offset=0.0, z_offset=0.0)
    g = ch2.gate_step(params, np.array([ch2.EXAMPLE_X]), np.array([ch2.EXAMPLE_H]))
    assert f"{g['h'][0, 0]:+.4f}" in html
    with pytest.raises(ValueError, match=r"weight_hh of shape \(3H, H\)"):
        ch2.gate_explorer_demo({**params, "weight_hh": params["weight_hh"][:, :2]})


# ---------------------------------------------------------------------- learned-gate viewer


def test_learned_gate_viewer_static_and_live(tiny_model):
    demo = ch2.learned_gate_viewer_demo(tiny_model, examples=3)
    box = ch2.learned_gate_viewer(tiny_model, examples=3, mode="static")
    frames = leaf_frames(box.stack)
    assert len(frames) == 3
    for frame, values in zip(frames, demo.positions()):
        assert frame_parts(frame)[0] == demo.png(static=True, **values), values
    labels = box.controls["example"].options
    assert all("marker" in label for label, _ in labels)
    assert all(not label.split("(")[1].startswith("0 ") for label, _ in labels)
    live = ch2.learned_gate_viewer(tiny_model, examples=3, mode="live")
    for i in (2, 0):
        live.controls["example"].value = i
        assert live.error.value == ""
        assert bytes(live.image.value) == demo.png(example=i)
    with pytest.raises(ValueError, match=r"examples must be an int in \[1, 20\], got 0"):
        ch2.learned_gate_viewer_demo(tiny_model, examples=0)


def test_viewer_shows_the_models_gates(tiny_model):
    # Two models with different weights must give different frames.
    other, _ = train_reset_sum(hidden_size=4, T=10, steps=5, batch_size=8, seed=1,
                               progress=False)
    a = ch2.learned_gate_viewer_demo(tiny_model, examples=1).png(example=0)
    b = ch2.learned_gate_viewer_demo(other, examples=1).png(example=0)
    assert a != b
    X = np.zeros((4, 1, 2))
    assert learned_gates(tiny_model, X)["z"].shape == (4, 1, 4)


# ------------------------------------------------------------------------ no display


@pytest.mark.parametrize("mode", ["live", "static"])
def test_import_and_builders_display_nothing(mode, tiny_model):
    assert InteractiveShell.instance() is not None
    with capture_output() as captured:
        importlib.reload(importlib.import_module("utils.demos.ch2"))
        from utils.demos import ch2 as fresh

        boxes = [fresh.gate_explorer(mode=mode),
                 fresh.learned_gate_viewer(tiny_model, examples=2, mode=mode)]
    assert captured.outputs == [], f"construction displayed {captured.outputs}"
    assert captured.stdout == "" and captured.stderr == ""
    assert all(isinstance(b, DemoWidget) for b in boxes)
    assert Gcf.get_num_fig_managers() == 0, "a figure was registered with pyplot"


def test_controls_have_at_least_nine_positions(tiny_model):
    assert len(ch2.OFFSETS) >= 9 and ch2.VIEWER_EXAMPLES >= 9
    assert ch2.OFFSETS == tuple(sorted(ch2.OFFSETS)) and 0.0 in ch2.OFFSETS


def test_viewer_draws_the_forgetting_of_both_models(tiny_model):
    ablated, _ = train_reset_sum(hidden_size=4, T=10, steps=5, batch_size=8,
                                 reset_gate=False, progress=False)
    demo = ch2.learned_gate_viewer_demo(tiny_model, ablated=ablated, examples=2)
    alone = ch2.learned_gate_viewer_demo(tiny_model, examples=2)
    assert demo.png(example=1) != alone.png(example=1)  # the second line is drawn
    box = ch2.learned_gate_viewer(tiny_model, ablated=ablated, mode="static")
    assert len(leaf_frames(box.stack)) == ch2.VIEWER_EXAMPLES
    assert box.report.state_bytes < PAGE_BUDGET * 0.2, str(box.report)
