"""One demo, two lives: live ipywidgets in Jupyter, pre-rendered frames on the static site.

A demo is written once, as pure functions of the control values ``v`` (one value per control):

- a figure: ``setup(fig, **v) -> update`` builds the artists once on a matplotlib ``Figure``
  and returns ``update(**v)``, which only changes their data; and/or
- ``render(**v) -> str``: an HTML fragment (a table, a sentence).

``Demo(controls, setup=..., render=...).build(mode)`` turns it into a widget:

- **live** (a Jupyter kernel): one ipywidgets control per entry of ``controls``; a change
  calls ``update`` and ``render`` again and refreshes an ``Image`` (PNG bytes) and an ``HTML``
  widget. Artists that ``update`` changes are created with ``animated=True``: the rest of the
  figure (axes, ticks, legend) is drawn once and blitted, so a refresh redraws only those.
- **static** (the book build, no kernel): every position of the controls is rendered in
  advance. With controls :math:`c_1, \\dots, c_k` of :math:`n_1, \\dots, n_k` positions the
  frames sit in nested ``Stack`` widgets: the outer stack has :math:`n_1` children, each a
  stack of :math:`n_2` children, ..., down to :math:`n_1 n_2 \\cdots n_k` frames. Every stack
  of depth :math:`d` has its ``selected_index`` ``jslink``-ed to the ``index`` of
  :math:`c_d`, so the page's JavaScript alone shows the frame of the current positions.

The mode comes from ``set_mode(...)`` if called, else from the environment variable
``GRU_DEMO_MODE`` (``live`` or ``static``; the book build sets ``static``), else ``live``; a
``mode=`` argument to ``build`` overrides both. Controls are discrete (``Choice``), which is
what makes the static mode possible. Static frames are small palette PNGs; the builder adds
up the size of the widget state it creates and raises ``FrameBudgetError`` past
``budget_bytes``. In the book build (``$GRU_DEMO_MODE`` is ``static``) it also raises once the
static demos of one page (one kernel) add up to more than ``PAGE_BUDGET_BYTES``.

Building displays nothing: the notebook cell shows the returned widget as its last
expression. Figures are plain ``matplotlib.figure.Figure`` objects on the Agg canvas, never
registered with ``pyplot``: no inline auto-display, no "More than 20 figures" warning.

Example:
    >>> def setup(fig, k):
    ...     ax = fig.add_subplot()
    ...     (line,) = ax.plot([0, 1], [0, 0], animated=True)
    ...     ax.set(ylim=(0, 4), title="y = k x", xlabel="x (a.u.)", ylabel="y (a.u.)")
    ...     def update(k):
    ...         line.set_ydata([0, k])
    ...     return update
    >>> demo = Demo({"k": Choice([1, 2, 3, 4], description="slope k")}, setup=setup)
    >>> box = demo.build("static")
    >>> box.report.frames
    4
"""

from __future__ import annotations

import html
import io
import itertools
import json
import logging
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ipywidgets
from ipywidgets.embed import dependency_state
from ipywidgets.widgets.widget_link import Link
from ipywidgets.widgets.widget_string import HTMLStyle
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = [
    "MODE_ENV_VAR",
    "Choice",
    "Demo",
    "DemoWidget",
    "FrameBudgetError",
    "FrameReport",
    "PAGE_BUDGET_BYTES",
    "get_mode",
    "page_bytes",
    "set_mode",
    "state_bytes",
]

logger = logging.getLogger(__name__)

Mode = Literal["live", "static"]
MODES: tuple[str, ...] = ("live", "static")
MODE_ENV_VAR = "GRU_DEMO_MODE"
_mode_override: str | None = None
# A chapter page (its HTML, with the demos' frames, and its figures) must stay under 2 MB;
# keep ~150 kB for the page's text (tests/test_book.py checks the page, figures included).
# The book executes each page in its own kernel, so the static demos built in this process
# are the page's demos.
PAGE_BUDGET_BYTES = 2_000_000 - 150_000
_page_bytes = 0


def _check_mode(mode: object, where: str) -> Mode:
    if mode not in MODES:
        raise ValueError(f"{where} must be one of {MODES}, got {mode!r}")
    return mode  # type: ignore[return-value]


def set_mode(mode: Mode | None) -> None:
    """Force ``"live"`` or ``"static"`` for every demo built afterwards; ``None`` undoes it."""
    global _mode_override
    _mode_override = None if mode is None else _check_mode(mode, "mode")


def get_mode() -> Mode:
    """The mode a demo is built in: ``set_mode``'s, else ``$GRU_DEMO_MODE``, else ``"live"``."""
    if _mode_override is not None:
        return _mode_override  # type: ignore[return-value]
    raw = os.environ.get(MODE_ENV_VAR, "").strip().lower()
    return "live" if raw == "" else _check_mode(raw, f"${MODE_ENV_VAR}")


# --------------------------------------------------------------------------------- controls

ControlWidget = ipywidgets.SelectionSlider | ipywidgets.Dropdown | ipywidgets.ToggleButtons
_WIDGET_KINDS = ("slider", "dropdown", "toggle")
# Width of a control: the page's width on a phone, 40 rem (a slider track of ~25 rem next to
# a 15 rem description) on a wider screen.
CONTROL_WIDTH = "min(100%, 40rem)"


@dataclass(frozen=True)
class Choice:
    """A discrete control: one of ``options`` (values), shown with ``labels``.

    Args:
        options: the values the demo receives, at least one, no two equal.
        value: the initial value (default: the first option).
        description: the text in front of the control (default: the argument's name).
        widget: ``"slider"`` (``SelectionSlider``), ``"dropdown"`` or ``"toggle"``
            (``ToggleButtons``). All three expose the position as the synced ``index`` trait,
            which is what the static mode links.
        labels: the text shown for each option (default ``str(option)``).
    """

    options: Sequence[Any]
    value: Any = None
    description: str = ""
    widget: Literal["slider", "dropdown", "toggle"] = "slider"
    labels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        options = tuple(self.options)
        if not options:
            raise ValueError("Choice needs at least 1 option, got 0")
        for i, a in enumerate(options):
            for b in options[i + 1 :]:
                if a == b:
                    raise ValueError(f"Choice options must be distinct, got {a!r} twice")
        object.__setattr__(self, "options", options)
        if self.value is None:
            object.__setattr__(self, "value", options[0])
        elif not any(self.value == o for o in options):
            raise ValueError(f"Choice value must be one of {options}, got {self.value!r}")
        labels = tuple(str(o) for o in options) if self.labels is None else tuple(self.labels)
        if len(labels) != len(options):
            raise ValueError(
                f"Choice needs one label per option: expected {len(options)}, got {len(labels)}"
            )
        object.__setattr__(self, "labels", labels)
        if self.widget not in _WIDGET_KINDS:
            raise ValueError(f"Choice widget must be one of {_WIDGET_KINDS}, got {self.widget!r}")

    @classmethod
    def int_range(cls, start: int, stop: int, step: int = 1, **kwargs: Any) -> Choice:
        """The integers ``start, start + step, ...`` up to ``stop`` *included* (an IntSlider)."""
        return cls(list(range(start, stop + 1, step)), **kwargs)

    def __len__(self) -> int:
        return len(self.options)

    def index_of(self, value: Any) -> int:
        """Position of ``value`` among the options."""
        for i, option in enumerate(self.options):
            if option == value:
                return i
        raise ValueError(f"expected one of {self.options}, got {value!r}")

    def make_widget(self, name: str, description_width: str = "initial") -> ControlWidget:
        """A new ipywidgets control, set to ``value``, described by ``description`` or ``name``.

        The control is as wide as its output (at most ``CONTROL_WIDTH``), not ipywidgets'
        fixed 300 px, in which a long description leaves a slider no track at all.
        ``description_width`` (a CSS length) lines up the controls of one demo.
        """
        cls = {
            "slider": ipywidgets.SelectionSlider,
            "dropdown": ipywidgets.Dropdown,
            "toggle": ipywidgets.ToggleButtons,
        }[self.widget]
        kwargs: dict[str, Any] = {}
        if self.widget == "slider":
            kwargs["continuous_update"] = True  # cheap both live (blitting) and static (jslink)
        widget = cls(
            options=list(zip(self.labels, self.options)),
            index=self.index_of(self.value),
            description=self.description or name,
            style={"description_width": description_width},
            layout={"width": CONTROL_WIDTH},
            **kwargs,
        )
        if self.widget == "toggle":
            # ToggleButtons render as a block: description above the buttons, unlike the
            # other controls. The sliders' flex-row class puts it beside them, and buttons
            # as wide as their longest label (not 148 px each) keep them on one row.
            widget.add_class("widget-inline-hbox")
            widget.style.button_width = f"{max(map(len, self.labels)) + 4}ch"
        return widget


# ---------------------------------------------------------------------------- rendering

Setup = Callable[..., Callable[..., None] | None]
Render = Callable[..., str]


def _animated_artists(fig: Figure) -> list[Artist]:
    """The figure's and its axes' direct children with ``animated=True``, in drawing order.

    Not ``fig.findobj()``: walking into every ``Axis`` makes matplotlib create its ticks.
    """
    children = list(fig.get_children())
    for ax in fig.axes:
        children.extend(ax.get_children())
    animated = {id(a): a for a in children if a.get_animated()}
    return sorted(animated.values(), key=lambda a: a.get_zorder())


# Palette methods for the static frames. The octree is fast and small, but with a few colours
# it drops rare ones (a light patch, a thin line, a small marker); median cut keeps them, at
# about 8x the time and 1.4x the bytes. tests/test_demo_frames.py checks every artist of
# every demo survives in its static frames.
QUANTIZE = {"octree": PILImage.Quantize.FASTOCTREE, "median": PILImage.Quantize.MEDIANCUT}


class _Canvas:
    """One Agg figure that ``setup`` drew on; ``draw(values)`` updates it, ``png`` encodes it.

    If ``setup`` returned ``update`` and made some artists ``animated``, the rest is drawn
    once and cached (blitting); otherwise the whole figure is redrawn each time, or, if
    ``setup`` returned ``None``, cleared and set up again.
    """

    def __init__(self, setup: Setup, values: Mapping[str, Any], figsize: tuple, dpi: float,
                 quantize: str = "octree"):
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.quantize = QUANTIZE[quantize]
        self.canvas = FigureCanvasAgg(self.fig)
        self._setup = setup
        self._update = setup(self.fig, **values)
        self._animated = _animated_artists(self.fig)
        self._background: Any = None

    def draw(self, values: Mapping[str, Any]) -> None:
        if self._update is None:  # no updater: rebuild the figure from scratch
            self.fig.clear()
            self._setup(self.fig, **values)
            self.canvas.draw()
            return
        self._update(**values)
        if not self._animated:
            self.canvas.draw()
            return
        if self._background is None:
            self.canvas.draw()  # draws every artist except the animated ones
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self._animated:
            self.fig.draw_artist(artist)

    def png(self, colors: int | None) -> bytes:
        """The canvas as PNG: fast true colour, or a ``colors``-entry palette (small, slower)."""
        width, height = self.canvas.get_width_height(physical=True)
        rgba = PILImage.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw")
        image = rgba.convert("RGB")
        out = io.BytesIO()
        if colors is None:
            image.save(out, format="png", compress_level=1)
        else:
            image = image.quantize(colors=colors, method=self.quantize)
            image.save(out, format="png", compress_level=6)  # 9 or optimize: 4x slower, -5 %
        return out.getvalue()


# ------------------------------------------------------------------------- frame budget


class FrameBudgetError(ValueError):
    """A static demo would add more to its page than its ``budget_bytes`` allows."""


@dataclass(frozen=True)
class FrameReport:
    """What a static build added to the page.

    Attributes:
        frames: number of pre-rendered frames (product of the numbers of positions).
        image_bytes: total size of the frame PNGs.
        html_bytes: total size of the frames' HTML.
        state_bytes: size of the JSON widget state the page embeds for this demo (PNGs
            base64-encoded, every model with its full state, as ``nbclient`` saves it).
        budget_bytes: the limit ``state_bytes`` was checked against.
    """

    frames: int
    image_bytes: int
    html_bytes: int
    state_bytes: int
    budget_bytes: int

    def __str__(self) -> str:
        return (
            f"{self.frames} frames: {self.image_bytes / 1e3:.0f} kB of PNG, "
            f"{self.html_bytes / 1e3:.0f} kB of HTML, {self.state_bytes / 1e3:.0f} kB of widget "
            f"state (budget {self.budget_bytes / 1e3:.0f} kB)"
        )


def state_bytes(widgets: Sequence[ipywidgets.Widget]) -> int:
    """Size in bytes of the JSON widget state of ``widgets`` and everything they reference."""
    state = dependency_state(list(widgets), drop_defaults=False)
    return len(json.dumps(state, separators=(",", ":")).encode())


def page_bytes() -> int:
    """Widget state added by the static demos built in this process (one page, in the book)."""
    return _page_bytes


def _close_all(widgets: Sequence[ipywidgets.Widget]) -> None:
    """Close ``widgets`` and their layout and style models (closing twice is harmless)."""
    for widget in widgets:
        for attr in ("layout", "style"):
            sub = getattr(widget, attr, None)
            if isinstance(sub, ipywidgets.Widget):
                sub.close()
        widget.close()


def _b64_len(n: int) -> int:
    return 4 * math.ceil(n / 3)


# -------------------------------------------------------------------------------- demo


class _Parts:
    """Makes the output widgets of one build, all sharing one layout and one style model.

    A static build makes hundreds of widgets; each would otherwise carry its own layout (and
    style) model, about 1 kB each in the page.
    """

    def __init__(self, image_width: int, css: str):
        self.image_width = image_width
        self.css = css
        self.image_layout = ipywidgets.Layout(max_width="100%", height="auto")
        self.layout = ipywidgets.Layout()
        self.html_style = HTMLStyle()
        self.made: list[ipywidgets.Widget] = [self.image_layout, self.layout, self.html_style]

    def _keep(self, widget: Any) -> Any:
        self.made.append(widget)
        return widget

    def image(self, png: bytes) -> ipywidgets.Image:
        return self._keep(ipywidgets.Image(
            value=png, format="png", width=str(self.image_width), layout=self.image_layout
        ))

    def html(self, fragment: str) -> ipywidgets.HTML:
        return self._keep(ipywidgets.HTML(fragment, layout=self.layout, style=self.html_style))

    def vbox(self, children: Sequence[ipywidgets.Widget]) -> ipywidgets.VBox:
        return self._keep(ipywidgets.VBox(list(children), layout=self.layout))

    def stack(self, children: Sequence[ipywidgets.Widget], index: int) -> ipywidgets.Stack:
        return self._keep(
            ipywidgets.Stack(list(children), selected_index=index, layout=self.layout)
        )

    def header(self) -> list[ipywidgets.HTML]:
        """The demo's CSS, once per widget (not once per frame)."""
        return [self.html(f"<style>{self.css}</style>")] if self.css else []


class DemoWidget(ipywidgets.VBox):
    """What ``Demo.build`` returns: the controls above the output (a plain ``VBox`` model).

    Attributes:
        mode: ``"live"`` or ``"static"``.
        controls: control name -> its ipywidgets control.
        image, html: live mode: the output widgets (``None`` if the demo has no figure/HTML).
        error: live mode: an ``HTML`` widget that shows the error of a failed refresh.
        stack: static mode: the outermost ``Stack`` of frames.
        stacks: static mode: ``stacks[d]`` = every stack of depth ``d`` (driven by control ``d``).
        links: static mode: the ``jslink`` widgets, ``(control, "index")`` ->
            ``(stack, "selected_index")``.
        report: static mode: the ``FrameReport``.
    """

    def __init__(
        self,
        mode: Mode,
        controls: dict[str, ControlWidget],
        view: ipywidgets.Widget,
        header: Sequence[ipywidgets.Widget] = (),
    ):
        super().__init__(children=[*header, ipywidgets.VBox(list(controls.values())), view])
        self.mode = mode
        self.controls = controls
        self.image: ipywidgets.Image | None = None
        self.html: ipywidgets.HTML | None = None
        self.error: ipywidgets.HTML | None = None
        self.stack: ipywidgets.Stack | None = None
        self.stacks: list[list[ipywidgets.Stack]] = []
        self.links: list[Link] = []
        self.report: FrameReport | None = None

    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: w.value for name, w in self.controls.items()}


@dataclass
class Demo:
    """A demo: discrete ``controls`` -> a figure (``setup``) and/or HTML (``render``).

    Args:
        controls: argument name -> ``Choice``; the functions receive one keyword per entry.
        setup: ``setup(fig, **v) -> update``: draw on the empty ``Figure`` ``fig`` and
            return ``update(**v)``, which changes the data of the artists created with
            ``animated=True`` (nothing else: the rest is drawn once). ``update`` is called
            after ``setup`` and before every frame. Keep the layout fixed
            (``fig.subplots_adjust``). Returning ``None`` instead redraws from scratch.
        render: ``render(**v) -> str``, an HTML fragment shown under the figure.
        css: style sheet for the fragments (use class names unique to the demo); it is
            added once per widget rather than repeated inline in every frame.
        figsize: figure size in inches; ``dpi``: dots per inch of the PNGs.
        colors: palette size of the static frames' PNGs.
        quantize: how the palette is chosen: ``"octree"`` (fast, small) or ``"median"``
            (median cut: keeps rare colours, such as a light patch or a small marker, that
            the octree drops with few colours).
        budget_bytes: the most widget state a static build may add to the page (PNGs
            base64-encoded); a chapter page must stay under 2 MB in all.
        max_frames: refuse static builds with more positions than this, before rendering.
    """

    controls: Mapping[str, Choice]
    setup: Setup | None = None
    render: Render | None = None
    css: str = ""
    figsize: tuple[float, float] = (6.4, 3.4)
    dpi: float = 90
    colors: int = 16
    quantize: Literal["octree", "median"] = "octree"
    budget_bytes: int = 1_200_000
    max_frames: int = 400
    _names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.controls:
            raise ValueError("a Demo needs at least 1 control, got 0")
        for name, choice in self.controls.items():
            if not name.isidentifier():
                raise ValueError(f"control names must be Python identifiers, got {name!r}")
            if not isinstance(choice, Choice):
                raise TypeError(f"control {name!r}: expected a Choice, got {type(choice)!r}")
        if self.quantize not in QUANTIZE:
            raise ValueError(f"quantize must be one of {tuple(QUANTIZE)}, got {self.quantize!r}")
        if self.setup is None and self.render is None:
            raise ValueError("a Demo needs setup (a figure) or render (HTML), got neither")
        self._names = tuple(self.controls)

    # ---- values and positions
    @property
    def initial(self) -> dict[str, Any]:
        """The initial value of every control."""
        return {name: c.value for name, c in self.controls.items()}

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of positions of each control, in order."""
        return tuple(len(c) for c in self.controls.values())

    def positions(self) -> list[dict[str, Any]]:
        """Every combination of control values, the last control varying fastest."""
        choices = [c.options for c in self.controls.values()]
        return [dict(zip(self._names, combo)) for combo in itertools.product(*choices)]

    def _check_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        if set(values) != set(self._names):
            raise ValueError(f"expected values for {sorted(self._names)}, got {sorted(values)}")
        for name, value in values.items():
            self.controls[name].index_of(value)  # raises if not an option
        return dict(values)

    # ---- direct renders (a fresh figure every call: the reference the tests compare to)
    def png(self, *, static: bool = False, **values: Any) -> bytes:
        """One frame's PNG, drawn on a fresh figure (palette PNG if ``static``)."""
        if self.setup is None:
            raise ValueError("this demo has no figure (setup is None)")
        values = self._check_values(values)
        canvas = _Canvas(self.setup, values, self.figsize, self.dpi, self.quantize)
        canvas.draw(values)
        return canvas.png(self.colors if static else None)

    def html(self, **values: Any) -> str:
        """One frame's HTML."""
        if self.render is None:
            raise ValueError("this demo has no HTML (render is None)")
        return self.render(**self._check_values(values))

    # ---- widgets
    def build(self, mode: Mode | None = None) -> DemoWidget:
        """The demo as a widget, live or static (default: ``get_mode()``). Displays nothing."""
        mode = get_mode() if mode is None else _check_mode(mode, "mode")
        return self._build_live() if mode == "live" else self._build_static()

    def _make_controls(self) -> dict[str, ControlWidget]:
        # One description width for all the demo's controls, so that they line up: the
        # longest description, in "ch" (the width of a "0", a little more than an average
        # character of a proportional font).
        longest = max(len(c.description or name) for name, c in self.controls.items())
        width = f"{longest + 1}ch"
        return {name: c.make_widget(name, width) for name, c in self.controls.items()}

    def _parts(self) -> _Parts:
        return _Parts(round(self.figsize[0] * self.dpi), self.css)

    def _build_live(self) -> DemoWidget:
        controls = self._make_controls()
        canvas = None
        if self.setup is not None:
            canvas = _Canvas(self.setup, self.initial, self.figsize, self.dpi, self.quantize)
        parts = self._parts()
        image = parts.image(b"") if canvas else None
        html_out = parts.html("") if self.render else None
        error = parts.html("")
        outputs = [w for w in (image, html_out) if w is not None]
        box = DemoWidget("live", controls, parts.vbox([*outputs, error]), parts.header())
        box.image, box.html, box.error = image, html_out, error

        def refresh(change: Any = None) -> None:
            values = box.values()
            try:
                if canvas is not None and image is not None:
                    canvas.draw(values)
                    image.value = canvas.png(None)
                if self.render is not None and html_out is not None:
                    html_out.value = self.render(**values)
            except Exception as exc:
                error.value = (
                    f"<pre style='color:#b00'>demo failed at {html.escape(repr(values))}: "
                    f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</pre>"
                )
                raise
            error.value = ""

        refresh()
        for widget in controls.values():
            widget.observe(refresh, names="value")
        return box

    def _build_static(self) -> DemoWidget:
        total = math.prod(self.shape)
        if total > self.max_frames:
            raise FrameBudgetError(
                f"{total} frames ({' x '.join(map(str, self.shape))} positions) exceed "
                f"max_frames = {self.max_frames}: use fewer positions"
            )
        controls = self._make_controls()
        parts = self._parts()
        canvas = None
        if self.setup is not None:
            canvas = _Canvas(self.setup, self.initial, self.figsize, self.dpi, self.quantize)
        image_bytes = html_bytes = frames = 0

        def frame(values: dict[str, Any]) -> ipywidgets.Widget:
            nonlocal image_bytes, html_bytes, frames
            children: list[ipywidgets.Widget] = []
            if canvas is not None:
                canvas.draw(values)
                png = canvas.png(self.colors)
                image_bytes += len(png)
                children.append(parts.image(png))
            if self.render is not None:
                fragment = self.render(**values)
                html_bytes += len(fragment.encode())
                children.append(parts.html(fragment))
            frames += 1
            payload = _b64_len(image_bytes) + html_bytes
            projected = payload * total // frames
            if payload > self.budget_bytes or (frames == 1 and projected > 2 * self.budget_bytes):
                raise FrameBudgetError(
                    f"{frames} of {total} frames already take {payload / 1e3:.0f} kB (projected "
                    f"{projected / 1e3:.0f} kB), over budget_bytes = {self.budget_bytes / 1e3:.0f}"
                    " kB: lower dpi or colors, shrink figsize, or use fewer positions"
                )
            return children[0] if len(children) == 1 else parts.vbox(children)

        names, shape = self._names, self.shape
        stacks: list[list[ipywidgets.Stack]] = [[] for _ in names]

        def nest(prefix: tuple[int, ...]) -> ipywidgets.Stack:
            depth = len(prefix)
            children = []
            for i in range(shape[depth]):
                index = (*prefix, i)
                if depth + 1 == len(names):
                    values = {n: self.controls[n].options[k] for n, k in zip(names, index)}
                    children.append(frame(values))
                else:
                    children.append(nest(index))
            stack = parts.stack(children, controls[names[depth]].index)
            stacks[depth].append(stack)
            return stack

        links: list[Link] = []
        made: list[ipywidgets.Widget] = []  # the box and its controls' VBox
        try:
            root = nest(())
            for name, level in zip(names, stacks):
                for stack in level:
                    links.append(
                        ipywidgets.jslink((controls[name], "index"), (stack, "selected_index"))
                    )
            box = DemoWidget("static", controls, root, parts.header())
            made = [box, box.children[-2]]
            box.stack, box.stacks, box.links = root, stacks, links
            size = state_bytes([box, *links])
            box.report = FrameReport(frames, image_bytes, html_bytes, size, self.budget_bytes)
            if size > self.budget_bytes:
                raise FrameBudgetError(f"over budget: {box.report}")
        except BaseException:
            # no half-built demo left in the page's widget state
            _close_all([*controls.values(), *parts.made, *links, *made])
            raise
        logger.info("static demo: %s", box.report)
        if size > 0.8 * self.budget_bytes:
            warnings.warn(f"static demo close to its budget: {box.report}", stacklevel=3)
        global _page_bytes
        _page_bytes += size
        if _page_bytes > PAGE_BUDGET_BYTES:
            message = (
                f"the static demos built in this process take {_page_bytes / 1e3:.0f} kB, over "
                f"the page budget of {PAGE_BUDGET_BYTES / 1e3:.0f} kB (this one: {box.report})"
            )
            if os.environ.get(MODE_ENV_VAR, "").strip().lower() == "static":  # the book build
                raise FrameBudgetError(message)
            warnings.warn(message, stacklevel=3)
        return box
