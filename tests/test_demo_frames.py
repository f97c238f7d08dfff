"""The static site's frames draw what the live demo draws (issue 19, point 4).

A demo is drawn by the same ``setup``/``update`` in both modes (``utils.widgets``); what can
differ is what reaches the reader: the static frames are palette PNGs (a few colours), drawn
one after the other on one canvas (blitting), and the live figure is true colour. For each
demo with a figure, at its initial controls and at the ends of its ranges, this test

1. builds the figure once as the static build does (setup at the initial values, then each
   position drawn in turn) and once fresh at the target values, and checks they hold the same
   artists (type, colour, data, text): no stale artist from an earlier frame;
2. for every visible artist (line, marker, patch, text, collection) of every axes: finds the
   pixels it draws in the live (true colour) frame, by drawing the figure without it (its
   own pixels, not the anti-aliased fringe), and checks that the static frame shows it
   there too (at least half of those pixels change in the palette PNG when the artist is
   removed). A palette too small for the figure's
   colours drops light patches, thin lines and small markers: this catches it.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from PIL import Image

from utils.widgets import Demo, _Canvas

MIN_PIXELS = 12  # an artist drawing fewer pixels than this is not checked
SHOWN = 0.5  # share of an artist's pixels the static frame must show


def _demos() -> dict[str, callable]:
    from utils.demos import ch2, ch3, ch4, ch5, ch6, recall, vanishing

    return {
        "ch2 gate explorer": ch2.gate_explorer_demo,
        "ch2 learned gates": ch2.learned_gate_viewer_demo,
        "ch3 interpolation": ch3.interpolation_demo,
        "ch4 cell explainer": ch4.cell_explainer_demo,
        "ch5 variants": ch5.variant_explorer_demo,
        "ch5 scan": lambda: ch5.scan_explorer_demo(repeats=1),
        "ch6 utterances": ch6.utterance_explorer_demo,
        "ch6 training": ch6.training_explorer_demo,
        "ch1 recall": recall.recall_demo,
        "ch1 vanishing": vanishing.vanishing_demo,
    }


@pytest.fixture(scope="module", params=sorted(_demos()))
def demo(request) -> tuple[str, Demo]:
    made = _demos()[request.param]()
    if made.setup is None:
        pytest.skip(f"{request.param} has no figure")
    return request.param, made


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def _artists(canvas: _Canvas) -> list:
    out = []
    for ax in canvas.fig.axes:
        out += [a for a in ax.get_children()
                if isinstance(a, (Line2D, Patch, Text, Collection)) and a.get_visible()
                and a is not ax.patch]
    return out


def _describe(artist) -> tuple:
    """What an artist draws: its type, colours, data or text."""
    kind = type(artist).__name__
    if isinstance(artist, Line2D):
        x, y = (np.asarray(v, dtype=float) for v in artist.get_data())
        return (kind, artist.get_color(), artist.get_marker(), artist.get_linestyle(),
                np.round(x, 9).tobytes(), np.round(y, 9).tobytes())
    if isinstance(artist, Text):
        return (kind, artist.get_text(), str(artist.get_color()))
    if isinstance(artist, Patch):
        return (kind, tuple(np.round(artist.get_facecolor(), 6)),
                np.round(artist.get_path().vertices, 9).tobytes())
    if isinstance(artist, Collection):
        data = artist.get_array()
        return (kind, np.round(artist.get_facecolor(), 6).tobytes(),
                None if data is None else np.round(np.asarray(data, float), 9).tobytes())
    return (kind,)


def _positions(d: Demo) -> list[dict]:
    """The initial position, and the ends of the ranges (the 1st, 3rd, ... control at its
    last option, the others at their first: two controls of the same kind then differ, so
    that their curves do not hide each other)."""
    ends = {n: c.options[-1 if i % 2 == 0 else 0] for i, (n, c) in enumerate(d.controls.items())}
    return [d.initial] + ([ends] if ends != d.initial else [])


def test_static_frames_hold_the_live_artists(demo):
    name, d = demo
    for values in _positions(d):
        built = _Canvas(d.setup, d.initial, d.figsize, d.dpi, d.quantize)  # as the static build
        for step in (d.initial, values):
            built.draw(step)
        fresh = _Canvas(d.setup, values, d.figsize, d.dpi, d.quantize)  # as a live figure at `values`
        fresh.draw(values)
        assert [_describe(a) for a in _artists(built)] == [
            _describe(a) for a in _artists(fresh)], f"{name} at {values}: artists differ"


def test_static_frames_show_every_artist(demo):
    name, d = demo
    for values in _positions(d):
        canvas = _Canvas(d.setup, values, d.figsize, d.dpi, d.quantize)
        canvas._update and canvas._update(**values)
        artists = _artists(canvas)
        for a in artists:
            a.set_animated(False)  # every render below draws the whole figure
        canvas.canvas.draw()
        live, static = _rgb(canvas.png(None)), _rgb(canvas.png(d.colors))
        missing = []
        for a in artists:
            a.set_visible(False)
            canvas.canvas.draw()
            live_without, static_without = _rgb(canvas.png(None)), _rgb(canvas.png(d.colors))
            a.set_visible(True)
            change = np.abs(live - live_without).sum(-1)
            # the artist's own pixels: where it changes the live frame at least half as much
            # as it does at most (not the anti-aliased fringe, which a palette may merge
            # into the background without the reader losing anything)
            footprint = (change > 40) & (change >= 0.5 * change.max())
            if footprint.sum() < MIN_PIXELS:
                continue
            shown = (np.abs(static - static_without).sum(-1) > 12)[footprint].mean()
            if shown < SHOWN:
                missing.append(f"{_describe(a)[:2]} ({footprint.sum()} px, {shown:.0%} shown)")
        assert not missing, (
            f"{name} at {values}: the static frame ({d.colors} colours, {d.dpi:g} dpi) loses "
            f"what the live figure draws: {missing}")
