"""Shared code for the GRU course.

Modules (each small, one job):

- ``utils.numpy_cells``: NumPy ``RNNCell``, ``GRUCell``, ``LSTMCell`` (forward and BPTT).
- ``utils.torch_cells``: ``nn.Module`` cells with PyTorch's parameter names, a sequence wrapper
  and a small sequence model.
- ``utils.variants``: GRU variants in NumPy (MGU, Li-GRU, GRU1/2/3, CIFG-LSTM, minGRU).
- ``utils.params``: ``param_count(kind, input_size, hidden_size)``.
- ``utils.tasks``: seeded long-memory tasks and a compact training loop.
- ``utils.gradients`` and ``utils.costs``: gradient-norm measurements; compute and timing.
- ``utils.conventions``: Chung ↔ PyTorch update sign, Keras ↔ PyTorch layout, reset placement.
- ``utils.gates`` and ``utils.diagrams``: the reset-sum task, learned gates, the cell diagram.
- ``utils.widgets`` and ``utils.demos``: interactive demos, live in Jupyter and static on the site.
- ``utils.checks`` and ``utils.grade``: exercise checkers and the batch grader.

``import utils`` is cheap: submodules are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["param_count"]


def __getattr__(name: str) -> Any:
    if name == "param_count":
        return importlib.import_module(".params", __name__).param_count
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
