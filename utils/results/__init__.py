"""Committed results of the slow experiments (read with importlib.resources)."""
