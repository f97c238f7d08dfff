"""Demo builders, one module per chapter (``utils.demos.ch1``, ...).

Each builder returns a widget made by ``utils.widgets.Demo.build``: live in a Jupyter kernel,
pre-rendered frames on the static site (``GRU_DEMO_MODE=static``). Nothing is displayed on
import or on construction; a notebook cell shows the widget as its last expression. Each
module also exposes the underlying ``Demo`` (``*_demo()``) so tests can render any position.
"""
