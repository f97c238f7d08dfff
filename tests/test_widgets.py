"""utils.widgets (live and static demos) and the chapter 1 pilot demo.

Framework tests use a tiny demo (a 2 x 1.5 inch figure at 40 dpi, 3 x 4 positions) so every
position can be checked against a direct render on a fresh figure. The pilot's parameter
counts are checked against ``torch.nn`` modules (on the meta device: no memory, no init).
The last tests execute ``chapters/ch1_why_grus.ipynb`` in a real kernel, live and static.
"""

from __future__ import annotations

import doctest
import importlib
import io
import itertools
import json
import os
import warnings
from pathlib import Path
from typing import Any

import ipywidgets
import nbformat
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from matplotlib._pylab_helpers import Gcf
from PIL import Image

from ipywidgets.widgets.widget_link import Link

from utils import widgets
from utils.demos import ch1
from utils.params import param_count
from utils.widgets import Choice, Demo, DemoWidget, FrameBudgetError, get_mode, set_mode

ROOT = Path(__file__).resolve().parents[1]
CH1 = ROOT / "chapters" / "ch1_why_grus.ipynb"
PAGE_BUDGET = 2_000_000  # bytes (2 MB): a chapter page with all its demo frames


@pytest.fixture(autouse=True)
def _default_mode(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every test starts with no override and no $GRU_DEMO_MODE (the book build sets it)."""
    monkeypatch.delenv(widgets.MODE_ENV_VAR, raising=False)
    monkeypatch.setattr(widgets, "_page_bytes", 0)  # as in a fresh kernel: a new page
    set_mode(None)
    yield
    set_mode(None)


# ------------------------------------------------------------------------- a tiny demo

A_VALUES = (-1.0, 0.0, 2.0)
B_VALUES = (0, 1, 2, 3)


def tiny_setup(fig: Any, a: float, b: int) -> Any:
    """y = a x on [0, 3] with a marker at x = b."""
    fig.subplots_adjust(left=0.25, right=0.95, bottom=0.3, top=0.8)
    ax = fig.add_subplot()
    ax.set(xlim=(0, 3), ylim=(-7, 7), title="y = a x", xlabel="x (m)", ylabel="y (m)")
    (line,) = ax.plot([], [], animated=True)
    (dot,) = ax.plot([], [], "o", color="k", animated=True)

    def update(a: float, b: int) -> None:
        line.set_data([0, 3], [0, 3 * a])
        dot.set_data([b], [a * b])

    return update


def tiny_render(a: float, b: int) -> str:
    return f"<b>{a:g} × {b} = {a * b:g}</b>"


def tiny_demo(**kwargs: Any) -> Demo:
    options = dict(setup=tiny_setup, render=tiny_render, figsize=(2.0, 1.5), dpi=40)
    options.update(kwargs)
    return Demo(
        {
            "a": Choice(A_VALUES, value=0.0, description="slope a"),
            "b": Choice.int_range(0, 3, widget="dropdown"),
        },
        **options,
    )


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def leaf_frames(stack: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    if isinstance(stack, ipywidgets.Stack):
        return [f for child in stack.children for f in leaf_frames(child)]
    return [stack]


def shown_frame(box: DemoWidget) -> ipywidgets.Widget:
    """The frame a browser shows: follow every stack's selected_index down to a leaf."""
    node: ipywidgets.Widget = box.stack
    while isinstance(node, ipywidgets.Stack):
        node = node.children[node.selected_index]
    return node


def frame_parts(frame: ipywidgets.Widget) -> tuple[bytes | None, str | None]:
    parts = frame.children if isinstance(frame, ipywidgets.VBox) else (frame,)
    png = next((bytes(p.value) for p in parts if isinstance(p, ipywidgets.Image)), None)
    html = next((p.value for p in parts if isinstance(p, ipywidgets.HTML)), None)
    return png, html


def play_links(box: DemoWidget) -> None:
    """What the page's JavaScript does: copy each link's source trait to its target."""
    for link in box.links:
        (source, source_trait), (target, target_trait) = link.source, link.target
        setattr(target, target_trait, getattr(source, source_trait))


# --------------------------------------------------------------------------------- mode


def test_mode_defaults_to_live() -> None:
    assert get_mode() == "live"


@pytest.mark.parametrize("raw, expected", [("static", "static"), ("live", "live"),
                                           (" Static ", "static"), ("", "live")])
def test_mode_from_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: str) -> None:
    monkeypatch.setenv("GRU_DEMO_MODE", raw)
    assert get_mode() == expected


def test_bad_environment_mode_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRU_DEMO_MODE", "frames")
    with pytest.raises(ValueError, match=r"GRU_DEMO_MODE must be one of .*got 'frames'"):
        get_mode()


def test_set_mode_overrides_environment_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRU_DEMO_MODE", "static")
    set_mode("live")
    assert get_mode() == "live"
    assert tiny_demo().build().mode == "live"
    set_mode(None)
    assert get_mode() == "static"
    with pytest.raises(ValueError, match="got 'fast'"):
        set_mode("fast")  # type: ignore[arg-type]


@pytest.mark.parametrize("env", [None, "live", "static"])
@pytest.mark.parametrize("mode", ["live", "static"])
def test_build_argument_wins(monkeypatch: pytest.MonkeyPatch, env: str | None, mode: str) -> None:
    if env is not None:
        monkeypatch.setenv("GRU_DEMO_MODE", env)
    set_mode("live" if mode == "static" else "static")  # the opposite: the argument must win
    box = tiny_demo().build(mode)  # type: ignore[arg-type]
    assert box.mode == mode
    assert (box.stack is not None) == (mode == "static")
    assert (box.image is not None) == (mode == "live")


def test_environment_is_read_at_build_time(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = tiny_demo()
    monkeypatch.setenv("GRU_DEMO_MODE", "static")
    assert demo.build().mode == "static"
    monkeypatch.setenv("GRU_DEMO_MODE", "live")
    assert demo.build().mode == "live"


# ------------------------------------------------------------------------------ controls


def test_choice_widgets_and_positions() -> None:
    kinds = {"slider": ipywidgets.SelectionSlider, "dropdown": ipywidgets.Dropdown,
             "toggle": ipywidgets.ToggleButtons}
    for kind, cls in kinds.items():
        choice = Choice([8, 16, 32], value=16, widget=kind, labels=["eight", "16", "32"])
        w = choice.make_widget("h")
        assert isinstance(w, cls), f"{kind}: expected {cls.__name__}, got {type(w).__name__}"
        assert (w.index, w.value, w.label, w.description) == (1, 16, "16", "h")
    assert Choice.int_range(2, 8, 3).options == (2, 5, 8)
    assert Choice([3, 1]).value == 3


def test_controls_line_up_and_leave_a_slider_its_track() -> None:
    """ipywidgets' default 300 px leaves no slider track after a long description."""
    demo = Demo(
        {
            "a": Choice([1, 2, 3], description="offset Δ_z on the update gate"),
            "b": Choice([10, 100], widget="toggle", labels=["ten", "a hundred"]),
            "c": Choice([0, 1], widget="dropdown"),
        },
        render=lambda a, b, c: "",
    )
    controls = demo.build("live").controls
    widths = {name: w.style.description_width for name, w in controls.items()}
    assert set(widths.values()) == {f"{len('offset Δ_z on the update gate') + 1}ch"}, widths
    for name, w in controls.items():
        assert w.layout.width == widgets.CONTROL_WIDTH, f"{name}: width {w.layout.width!r}"
    toggle = controls["b"]
    assert "widget-inline-hbox" in toggle._dom_classes, "toggle description not beside it"
    assert toggle.style.button_width == f"{len('a hundred') + 4}ch"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(options=[]), "at least 1 option, got 0"),
        (dict(options=[1, 2, 1]), "distinct, got 1 twice"),
        (dict(options=[1, 2], value=3), r"one of \(1, 2\), got 3"),
        (dict(options=[1, 2], labels=["one"]), "expected 2, got 1"),
        (dict(options=[1, 2], widget="knob"), "got 'knob'"),
    ],
)
def test_choice_errors_name_expected_and_actual(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Choice(**kwargs)


def test_demo_errors() -> None:
    with pytest.raises(ValueError, match="at least 1 control"):
        Demo({}, render=tiny_render)
    with pytest.raises(ValueError, match="setup .* or render .*got neither"):
        Demo({"a": Choice([1])})
    with pytest.raises(ValueError, match="identifiers, got 'a b'"):
        Demo({"a b": Choice([1])}, render=tiny_render)
    with pytest.raises(ValueError, match=r"expected values for \['a', 'b'\], got \['a'\]"):
        tiny_demo().html(a=0.0)
    with pytest.raises(ValueError, match=r"expected one of .*got 7"):
        tiny_demo().png(a=0.0, b=7)


# ---------------------------------------------------------------------------------- live


def test_live_shows_the_initial_render() -> None:
    demo = tiny_demo()
    box = demo.build("live")
    assert box.values() == {"a": 0.0, "b": 0}
    assert bytes(box.image.value) == demo.png(a=0.0, b=0)
    assert box.html.value == demo.html(a=0.0, b=0) == "<b>0 × 0 = 0</b>"
    assert decode(box.image.value).size == (80, 60)


def test_live_callbacks_redraw_every_position() -> None:
    """Each change redraws (image bytes and HTML change) to exactly a direct render."""
    demo = tiny_demo()
    box = demo.build("live")
    for a, b in itertools.product(A_VALUES, B_VALUES):
        for name, value in (("a", a), ("b", b)):
            if box.controls[name].value == value:
                continue
            before_png, before_html = bytes(box.image.value), box.html.value
            box.controls[name].value = value
            values = box.values()
            png = bytes(box.image.value)
            assert png != before_png, f"{name} -> {value}: the image did not change"
            assert box.html.value != before_html, f"{name} -> {value}: the HTML did not change"
            assert png == demo.png(**values), f"live image at {values} != a direct render"
            assert box.html.value == tiny_render(**values)
        assert box.values() == {"a": a, "b": b}


def test_live_redraws_when_the_frontend_moves_the_index() -> None:
    demo = tiny_demo()
    box = demo.build("live")
    before = bytes(box.image.value)
    box.controls["a"].index = 2  # what a slider drag sends from the browser
    assert bytes(box.image.value) != before
    assert bytes(box.image.value) == demo.png(a=2.0, b=0)


def test_live_error_is_shown_and_raised() -> None:
    def render(a: float, b: int) -> str:
        if b == 3:
            raise ZeroDivisionError("b = 3 is bad")
        return "ok"

    box = tiny_demo(render=render).build("live")
    with pytest.raises(ZeroDivisionError):
        box.controls["b"].value = 3
    assert "ZeroDivisionError: b = 3 is bad" in box.error.value
    box.controls["b"].value = 1
    assert box.error.value == ""


def test_setup_without_updater_redraws_from_scratch() -> None:
    def setup(fig: Any, a: float, b: int) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 3], [0, 3 * a])
        ax.set(ylim=(-7, 7), title=f"b = {b}", xlabel="x (m)", ylabel="y (m)")

    demo = tiny_demo(setup=setup)
    box = demo.build("live")
    box.controls["a"].value = 2.0
    assert bytes(box.image.value) == demo.png(a=2.0, b=0)
    static = demo.build("static")
    assert frame_parts(leaf_frames(static.stack)[-1])[0] == demo.png(a=2.0, b=3, static=True)


# -------------------------------------------------------------------------------- static


def test_static_frames_cover_every_position_and_match_direct_renders() -> None:
    demo = tiny_demo()
    box = demo.build("static")
    frames = leaf_frames(box.stack)
    assert len(frames) == len(A_VALUES) * len(B_VALUES) == box.report.frames
    assert [len(level) for level in box.stacks] == [1, len(A_VALUES)]
    for frame, values in zip(frames, demo.positions()):
        png, html = frame_parts(frame)
        assert png == demo.png(static=True, **values), f"frame {values} != a direct render"
        assert html == tiny_render(**values)
        assert decode(png).mode == "P", "static frames should be palette PNGs"
    assert len({frame_parts(f)[0] for f in frames}) == len(frames), "expected distinct frames"


def test_static_stacks_are_jslinked_to_their_control() -> None:
    box = tiny_demo().build("static")
    names = list(box.controls)
    all_stacks = [s for level in box.stacks for s in level]
    assert len(box.links) == len(all_stacks) == 1 + len(A_VALUES)
    targets = []
    for link in box.links:
        assert isinstance(link, Link), f"expected a jslink, got {type(link)}"
        (source, source_trait), (target, target_trait) = link.source, link.target
        depth = next(d for d, level in enumerate(box.stacks) if target in level)
        assert source is box.controls[names[depth]], f"stack of depth {depth}: wrong control"
        assert (source_trait, target_trait) == ("index", "selected_index")
        targets.append(target)
    assert {id(t) for t in targets} == {id(s) for s in all_stacks}, "a stack has no link"


def test_static_shows_the_right_frame_for_every_position() -> None:
    """Move the controls, apply the links as the browser would, look at the shown frame."""
    demo = tiny_demo()
    box = demo.build("static")
    assert frame_parts(shown_frame(box))[1] == tiny_render(0.0, 0), "initial frame"
    for a, b in itertools.product(A_VALUES, B_VALUES):
        box.controls["a"].value, box.controls["b"].value = a, b
        play_links(box)
        png, html = frame_parts(shown_frame(box))
        assert html == tiny_render(a, b), f"at a={a}, b={b} the page shows {html}"
        assert png == demo.png(a=a, b=b, static=True)


def test_static_three_controls_nest_three_deep() -> None:
    demo = Demo(
        {"x": Choice([1, 2]), "y": Choice([10, 20, 30], widget="toggle"), "z": Choice([0, 5])},
        render=lambda x, y, z: f"{x + y + z}",
    )
    box = demo.build("static")
    assert [len(level) for level in box.stacks] == [1, 2, 6]
    assert len(box.links) == 9
    assert [f.value for f in leaf_frames(box.stack)] == [
        str(sum(v.values())) for v in demo.positions()
    ]
    box.controls["x"].value, box.controls["y"].value, box.controls["z"].value = 2, 10, 5
    play_links(box)
    assert shown_frame(box).value == "17"


def test_static_report_counts_bytes() -> None:
    demo = tiny_demo()
    box = demo.build("static")
    frames = leaf_frames(box.stack)
    report = box.report
    assert report.image_bytes == sum(len(frame_parts(f)[0]) for f in frames)
    assert report.html_bytes == sum(len(frame_parts(f)[1].encode()) for f in frames)
    assert report.state_bytes == widgets.state_bytes([box, *box.links])
    assert report.state_bytes > 4 * report.image_bytes / 3, "PNGs are base64 in the state"
    assert f"{report.frames} frames" in str(report)


def test_static_frames_share_layout_models() -> None:
    box = tiny_demo().build("static")
    frames = leaf_frames(box.stack)
    layouts = {id(p.layout) for f in frames for p in (f, *f.children)}
    assert len(layouts) <= 2, f"expected shared layouts, got {len(layouts)} distinct ones"


def open_widget_ids() -> set[str]:
    return {w.model_id for w in ipywidgets.widgets.widget._instances.values()
            if w.comm is not None}


def test_budget_raises_and_leaves_no_widget_behind() -> None:
    before = open_widget_ids()
    with pytest.raises(FrameBudgetError, match="over budget_bytes = 1 kB"):
        tiny_demo(budget_bytes=1000).build("static")
    assert open_widget_ids() == before, "a failed build left widgets in the page state"


def test_budget_counts_the_whole_widget_state() -> None:
    actual = tiny_demo().build("static").report.state_bytes
    with pytest.raises(FrameBudgetError, match="over budget"):
        tiny_demo(budget_bytes=actual - 1).build("static")
    with pytest.warns(UserWarning, match="close to its budget"):
        tiny_demo(budget_bytes=int(actual / 0.9)).build("static")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_demo(budget_bytes=2 * actual).build("static")


def test_page_budget_adds_up_the_demos_of_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    one = tiny_demo().build("static").report.state_bytes
    assert widgets.page_bytes() == one
    monkeypatch.setattr(widgets, "PAGE_BUDGET_BYTES", int(2.5 * one))
    tiny_demo().build("static")
    assert widgets.page_bytes() == 2 * one
    with pytest.warns(UserWarning, match=r"over the page budget"):
        tiny_demo().build("static")  # in Jupyter: a warning
    monkeypatch.setenv("GRU_DEMO_MODE", "static")  # in the book build: an error
    with pytest.raises(FrameBudgetError, match=rf"take {4 * one / 1e3:.0f} kB, over the page"):
        tiny_demo().build()
    tiny_demo().build("live")  # live demos add nothing to the page
    assert widgets.page_bytes() == 4 * one


def test_too_many_frames_is_refused_before_rendering() -> None:
    calls = []

    def render(a: float, b: int) -> str:
        calls.append((a, b))
        return ""

    with pytest.raises(FrameBudgetError, match=r"12 frames \(3 x 4 positions\) exceed max_fr"):
        tiny_demo(render=render, setup=None, max_frames=11).build("static")
    assert calls == []


# -------------------------------------------------------------- no display, no pyplot


@pytest.mark.parametrize("mode", ["live", "static"])
def test_import_and_construction_display_nothing(mode: str) -> None:
    shell = InteractiveShell.instance()
    assert shell is not None
    with capture_output() as captured:
        importlib.reload(importlib.import_module("utils.demos.ch1"))
        box = tiny_demo().build(mode)  # type: ignore[arg-type]
        if mode == "live":  # the pilot's static build is shown by the notebook test
            ch1.param_budget_explorer(mode)
    assert captured.outputs == [], f"construction displayed {captured.outputs}"
    assert captured.stdout == "" and captured.stderr == ""
    assert isinstance(box, DemoWidget)
    assert Gcf.get_num_fig_managers() == 0, "a figure was registered with pyplot"


def test_builds_leave_no_pyplot_figures() -> None:
    """Figures never go through pyplot: none to close, no "More than 20 figures" warning."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_demo().build("live")
        tiny_demo().build("static")
    assert plt.get_fignums() == before
    assert Gcf.get_num_fig_managers() == len(before)


def test_docstring_examples() -> None:
    for module in (widgets, ch1):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, f"{module.__name__}: {result}"


# ------------------------------------------------------------------------ the pilot demo

CORNERS = [(8, 8), (8, 512), (512, 8), (512, 512), (64, 64), (3, 5)]


def torch_counts(input_size: int, hidden_size: int) -> dict[str, tuple[int, list]]:
    out = {}
    for kind, cls in (("rnn", torch.nn.RNN), ("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)):
        module = cls(input_size, hidden_size, device="meta", dtype=torch.float64)
        out[kind] = (
            sum(p.numel() for p in module.parameters()),
            [tuple(p.shape) for p in module.parameters()],
        )
    return out


@pytest.mark.parametrize("input_size, hidden_size", CORNERS)
def test_pilot_table_matches_torch(input_size: int, hidden_size: int) -> None:
    table = ch1.param_budget_table(input_size, hidden_size)
    reference = torch_counts(input_size, hidden_size)
    lstm = reference["lstm"][0]
    for kind, (total, shapes) in reference.items():
        name, g, _ = ch1.CELLS[kind]
        w_ih, w_hh, b_ih, b_hh = shapes
        row = (
            f"<td class='shape'>{w_ih}</td><td class='shape'>{w_hh}</td>"
            f"<td class='shape'>2 × ({b_ih[0]},)</td><td>{total:,}</td>"
            f"<td>{total / lstm:.2f}</td>"
        )
        assert b_ih == b_hh
        assert row in table, f"{name}: expected {row} in the table"
        assert param_count(kind, input_size, hidden_size) == total


def test_pilot_table_and_equal_budget() -> None:
    for h_in, h in CORNERS:
        lstm = torch_counts(h_in, h)["lstm"][0]
        h_eq = ch1.equal_budget_hidden_size("gru", lstm, h_in)
        gru = lambda size: torch_counts(h_in, size)["gru"][0]  # noqa: E731
        assert gru(h_eq) <= lstm < gru(h_eq + 1), f"H_in={h_in}, H={h}: H_eq={h_eq} not max"
        assert f"a GRU can have H = {h_eq} ({gru(h_eq):,} parameters)" in (
            ch1.param_budget_table(h_in, h)
        )
    assert ch1.equal_budget_hidden_size("lstm", 10, 8) == 0


def test_pilot_figure_keeps_every_position_inside_its_axes() -> None:
    """Fixed axes (nothing jumps as the sliders move) that hold every dot and every star."""
    for values in ch1.param_budget_demo().positions():
        h_in, h = values["input_size"], values["hidden_size"]
        lstm = param_count("lstm", h_in, h)
        h_eq = ch1.equal_budget_hidden_size("gru", lstm, h_in)
        assert ch1._X_LIM[0] < h < h_eq < ch1._X_LIM[1], f"{values}: H_eq = {h_eq} off the axes"
        for kind in ch1.CELLS:
            count = param_count(kind, h_in, h)
            assert ch1._Y_LIM[0] < count < lstm * 1.5 < ch1._Y_LIM[1], f"{values}: {kind}"


@pytest.mark.parametrize("input_size, hidden_size", CORNERS[:4])
def test_pilot_live_extremes(input_size: int, hidden_size: int) -> None:
    demo = ch1.param_budget_demo()
    box = ch1.param_budget_explorer("live")
    box.controls["input_size"].value = input_size
    box.controls["hidden_size"].value = hidden_size
    assert bytes(box.image.value) == demo.png(input_size=input_size, hidden_size=hidden_size)
    assert box.html.value == ch1.param_budget_table(input_size, hidden_size)
    assert box.error.value == ""


@pytest.fixture(scope="module")
def pilot_static() -> DemoWidget:
    return ch1.param_budget_explorer("static")


def test_pilot_static_renders_every_position_within_budget(pilot_static: DemoWidget) -> None:
    demo = ch1.param_budget_demo()
    frames = leaf_frames(pilot_static.stack)
    assert len(frames) == len(ch1.INPUT_SIZES) * len(ch1.HIDDEN_SIZES) == 49
    for frame, values in zip(frames, demo.positions()):
        png, html = frame_parts(frame)
        assert html == ch1.param_budget_table(**values), f"table at {values}"
        assert decode(png).size == (576, 306)
    for h_in, h in CORNERS[:4]:  # the images, at the extremes (all of them: the tiny demo)
        index = demo.positions().index({"input_size": h_in, "hidden_size": h})
        assert frame_parts(frames[index])[0] == demo.png(
            static=True, input_size=h_in, hidden_size=h
        )
    assert pilot_static.report.state_bytes < PAGE_BUDGET * 0.6, str(pilot_static.report)


def test_pilot_static_links(pilot_static: DemoWidget) -> None:
    assert [len(level) for level in pilot_static.stacks] == [1, 7]
    assert len(pilot_static.links) == 8
    pilot_static.controls["input_size"].value = 512
    pilot_static.controls["hidden_size"].value = 8
    play_links(pilot_static)
    assert frame_parts(shown_frame(pilot_static))[1] == ch1.param_budget_table(512, 8)


# ---------------------------------------------------------------- the notebook, executed


def execute(
    path: Path, mode: str | None, monkeypatch: pytest.MonkeyPatch, demos_only: bool = False
) -> Any:
    """Run the notebook in a fresh kernel; ``demos_only``: the two first code cells (imports,
    ``SEED``) and the cells tagged ``demo``, which must not depend on anything else."""
    nbclient = pytest.importorskip("nbclient")
    if mode is not None:
        monkeypatch.setenv("GRU_DEMO_MODE", mode)  # the kernel inherits the environment
    nb = nbformat.read(path, as_version=4)
    if demos_only:
        code = [c for c in nb.cells if c.cell_type == "code"]
        nb.cells = code[:2] + [c for c in code[2:] if "demo" in c.metadata.get("tags", [])]
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def widget_views(cell: Any) -> list[str]:
    return [
        out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]


def reachable(state: dict, root: str) -> dict:
    """The models ``root`` references (children, layouts, styles...) and the links between them.

    The chapter may hold other demos: only the pilot's own models are counted.
    """
    seen, todo = set(), [root]
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in state:
            continue
        seen.add(model_id)
        text = json.dumps(state[model_id]["state"])
        todo.extend(ref[len("IPY_MODEL_"):] for ref in text.split('"') if
                    ref.startswith("IPY_MODEL_"))
    for model_id, model in state.items():  # jslinks reference the widgets, not the reverse
        if model["model_name"] == "LinkModel":
            ends = [ref[len("IPY_MODEL_"):] for ref, _ in (model["state"]["source"],
                                                          model["state"]["target"])]
            if all(end in seen for end in ends):
                seen.add(model_id)
    return {model_id: state[model_id] for model_id in seen}


def count_models(state: dict, name: str) -> int:
    return sum(1 for m in state.values() if m["model_name"] == name)


@pytest.mark.parametrize("mode", [None, "static"])
def test_ch1_notebook_executes_and_saves_widget_state(
    mode: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chapter runs (nbclient raises on any cell error) and saves its demos' state.

    Static mode runs the whole chapter, as the book build does. Live mode (the default, a
    learner's Jupyter) runs the first code cells and the cells tagged ``demo``: the rest of
    the chapter does not depend on the mode. Checked here: the vanishing-gradient explorer,
    a 3-position toggle (ρ) nesting a 10-position slider (the gate bias b).
    """
    committed = nbformat.read(CH1, as_version=4)
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code"), (
        "chapters are committed without outputs"
    )
    nb = execute(CH1, mode, monkeypatch, demos_only=mode is None)
    cells = [c for c in nb.cells if c.cell_type == "code" and "vanishing_explorer(" in c.source]
    assert len(cells) == 1, f"expected one cell calling vanishing_explorer, got {len(cells)}"
    outputs = cells[0].outputs
    views = widget_views(cells[0])
    assert len(views) == len(outputs) == 1, f"expected only the widget, got {outputs}"
    everything = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert views[0] in everything and everything[views[0]]["model_name"] == "VBoxModel"
    state = reachable(everything, views[0])
    assert count_models(state, "SelectionSliderModel") == 1
    assert count_models(state, "ToggleButtonsModel") == 1
    if mode == "static":
        assert count_models(state, "StackModel") == 4
        assert count_models(state, "LinkModel") == 4
        images = [m for m in state.values() if m["model_name"] == "ImageModel"]
        assert len(images) == 30
        assert all(m.get("buffers") and m["buffers"][0]["path"] == ["value"] for m in images)
        size = len(json.dumps(state).encode())
        assert size < PAGE_BUDGET * 0.6, f"the explorer's widget state takes {size} bytes"
        page = len(json.dumps(nb.metadata["widgets"]).encode())
        assert page < PAGE_BUDGET, f"the chapter's widget state takes {page} bytes"
    else:
        assert count_models(state, "StackModel") == 0
        assert count_models(state, "ImageModel") == 1
        assert count_models(state, "LinkModel") == 0


# ------------------------------------------------ live mode in a real kernel, moved from outside


def _run(kc: Any, msg: dict, timeout: float = 120) -> list[dict]:
    """Send ``msg`` on the shell channel; the iopub messages it caused, until the kernel idles."""
    kc.shell_channel.send(msg)
    parent, out = msg["header"]["msg_id"], []
    while True:
        reply = kc.get_iopub_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") != parent:
            continue
        if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
            return out
        out.append(reply)


def test_pilot_live_in_a_kernel_redraws_when_the_frontend_moves_a_slider() -> None:
    """What JupyterLab does, over the Jupyter protocol: display the pilot in a fresh kernel
    (no $GRU_DEMO_MODE: live), then send the slider's comm the ``update`` a drag sends. The
    kernel must answer with a new image (the exact PNG of that position) and a new table."""
    manager_mod = pytest.importorskip("jupyter_client.manager")
    env = {k: v for k, v in os.environ.items() if k != widgets.MODE_ENV_VAR}
    km, kc = manager_mod.start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        code = "from utils.demos import ch1\nbox = ch1.param_budget_explorer()\nbox"
        opened = _run(kc, kc.session.msg("execute_request", {"code": code, "silent": False}))
        errors = [m["content"] for m in opened if m["msg_type"] == "error"]
        assert not errors, f"the demo cell failed in the kernel: {errors}"
        comms = {
            m["content"]["comm_id"]: m
            for m in opened
            if m["msg_type"] == "comm_open" and m["content"]["target_name"] == "jupyter.widget"
        }
        by_model = {}
        for comm_id, m in comms.items():
            state = m["content"]["data"]["state"]
            by_model.setdefault(state["_model_name"], []).append((comm_id, state))
        views = [m for m in opened if m["msg_type"] in ("display_data", "execute_result")]
        assert len(views) == 1 and "application/vnd.jupyter.widget-view+json" in (
            views[0]["content"]["data"]
        ), f"expected one widget view displayed, got {[m['msg_type'] for m in opened]}"
        assert "StackModel" not in by_model, "a learner's kernel should get the live demo"
        sliders = {s["description"]: cid for cid, s in by_model["SelectionSliderModel"]}
        (image_id, _), = by_model["ImageModel"]
        html_ids = {cid for cid, _ in by_model["HTMLModel"]}  # the CSS, the table, errors

        index = ch1.INPUT_SIZES.index(512)
        update = {"method": "update", "state": {"index": index}, "buffer_paths": []}
        moved = _run(kc, kc.session.msg(
            "comm_msg", {"comm_id": sliders["input size H_in"], "data": update}
        ))
        updates = {
            m["content"]["comm_id"]: m for m in moved
            if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "update"
        }
        assert image_id in updates, f"no new image after the slider moved: {moved}"
        png = bytes(updates[image_id]["buffers"][0])
        expected = ch1.param_budget_demo().png(input_size=512, hidden_size=64)
        assert png == expected, "the kernel's image is not the frame of H_in = 512, H = 64"
        tables = [updates[c]["content"]["data"]["state"].get("value") for c in html_ids
                  if c in updates]
        assert ch1.param_budget_table(512, 64) in tables, (
            f"expected the table of H_in = 512, H = 64 after the slider moved, got {tables}"
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# ------------------------------------------------------------------- the benchmark script

BENCH = ROOT / "benchmarks" / "widgets.py"


def test_widgets_benchmark_quick_output_parses() -> None:
    """benchmarks/widgets.py runs and prints its figures (how fast is not asserted here)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    figures = dict(
        line.split()[:2] for line in proc.stdout.splitlines() if line and line[0] != "#"
    )
    expected = ["widgets_live_update_ms", "widgets_live_update_cpu_ms",
                "widgets_live_update_vs_full_redraw"]
    assert list(figures) == expected, f"expected lines {expected}, got\n{proc.stdout}"
    for name in expected[:2]:
        assert float(figures[name]) > 0, f"{name}: expected a positive time, got {figures[name]}"
    bad = subprocess.run([sys.executable, str(BENCH), "--repeats", "1"], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "at least 2 (a median, a percentile), got 1" in bad.stderr, (
        bad.stderr
    )
