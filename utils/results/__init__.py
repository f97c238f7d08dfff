"""Committed results of the slow experiments (``python -m utils.experiments NAME``).

Each ``NAME.json`` holds ``{"provenance": {...}, "rows": [...]}``; read it with
:func:`utils.experiments.load`, which finds it inside the installed package.
"""
