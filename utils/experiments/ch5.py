"""Chapter 5: the GRU family head to head at an equal parameter budget, and marker recall.

``python -m utils.experiments ch5`` trains, with one torch thread and 10 seeds each
(:data:`SEEDS`; the copy task, which enters no verdict, 6: :data:`COPY_SEEDS`):

* **family**: GRU (reset after, PyTorch's), GRU with the reset before, MGU, Li-GRU, GRU1,
  GRU2, GRU3, CIFG-LSTM, LSTM (PyTorch's initialisation, forget-gate bias near 0), LSTM with
  forget-gate bias 1 (the practitioners' start, chapter 4's reference) and minGRU on the adding
  problem (``T = 30``) and the copy task
  (delay ``T = 5``), every cell at the hidden size that brings its parameter count closest
  to the GRU's (:func:`budget_hidden_size`). Every count, the budget's included, uses one
  convention, the chapter's family table's: one bias vector per gate block
  (:func:`count`; ``torch.nn`` stores two for the GRU and the LSTM);
* **recall**: GRU, MGU, GRU3, minGRU and two stacked minGRU layers on marker recall
  (``utils.tasks.MarkerRecallTask``), "first" (done directly, needs a gate that reads the state) and
  "last" (a gate that reads the input suffices);
* **recall-long**: GRU and minGRU on "last" again, with four times the training steps (is
  minGRU's partial result on "last" a limit of the cell or of the 300 steps?).

Each row records the final validation loss (and copy accuracy), the number of parameters, the
time per training step (machine-dependent) and the activation memory a training step keeps
for the backward pass (bytes of the tensors autograd saves, counted once per storage:
deterministic, unlike a process's resident memory).
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
import torch
from torch import nn

from utils.budget import param_count_as
from utils.params import param_count
from utils.tasks import AddingTask, CopyTask, MarkerRecallTask, train
from utils.torch_cells import MinGRUCell, SequenceModel, run_sequence

DESCRIPTION = __doc__

SEEDS = tuple(range(10))
# The copy task, which no cell learns at this size and which enters no verdict, keeps the
# first six seeds. Seeds 6-9 were added to every other task with --resume: on the adding
# problem six seeds left the Li-GRU's lead over the GRU to one seed either way.
COPY_SEEDS = SEEDS[:6]
ADDING_SEEDS = SEEDS  # the seeds of the adding problem, which decides "which to use"
# cell name in the tables → (utils.torch_cells kind, constructor options, params.KINDS key)
CELLS: dict[str, tuple[str, dict[str, Any], str]] = {
    "GRU": ("gru", {}, "gru"),
    "GRU (reset before)": ("gru", {"reset_after": False}, "gru"),
    "MGU": ("mgu", {}, "mgu"),
    "Li-GRU": ("ligru", {}, "ligru"),
    "GRU1": ("gru1", {}, "gru1"),
    "GRU2": ("gru2", {}, "gru2"),
    "GRU3": ("gru3", {}, "gru3"),
    "CIFG-LSTM": ("cifg", {}, "cifg"),
    "LSTM": ("lstm", {}, "lstm"),
    "LSTM (forget bias 1)": ("lstm", {"forget_bias": 1.0}, "lstm"),
    "minGRU": ("mingru", {}, "mingru"),
}
STACKED = "minGRU ×2"  # two minGRU layers, the second reading the first's states
# task name → (task, GRU hidden size setting the budget, steps, batch, learning rate)
TASKS: dict[str, tuple[Any, int, int, int, float]] = {
    "adding": (AddingTask(30), 16, 300, 32, 1e-2),
    "copy": (CopyTask(5), 24, 400, 32, 2e-2),
    "recall-first": (MarkerRecallTask(20, "first"), 16, 300, 32, 1e-2),
    "recall-last": (MarkerRecallTask(20, "last"), 16, 300, 32, 1e-2),
    "recall-last-long": (MarkerRecallTask(20, "last"), 16, 1200, 32, 1e-2),
}
RECALL_CELLS = ("GRU", "MGU", "GRU3", "minGRU", STACKED)
LONG_CELLS = ("GRU", "minGRU")  # "recall last" again with four times the training steps
EVAL_SIZE = 512

CONFIGS: list[dict[str, Any]] = (
    [{"group": "family", "task": task, "cell": cell, "seed": seed}
     for task in ("adding", "copy") for cell in CELLS
     for seed in (COPY_SEEDS if task == "copy" else SEEDS)]
    + [{"group": "recall", "task": task, "cell": cell, "seed": seed}
       for task in ("recall-first", "recall-last") for cell in RECALL_CELLS for seed in SEEDS]
    + [{"group": "recall-long", "task": "recall-last-long", "cell": cell, "seed": seed}
       for cell in LONG_CELLS for seed in SEEDS]
)
QUICK = [c for c in CONFIGS if c["seed"] == 0 and c["cell"] in ("GRU", "minGRU")]


def count(kind: str, input_size: int, hidden_size: int) -> int:
    """Parameters of one cell of ``kind`` with one bias vector per gate block: the papers'
    convention, which the chapter's family table states (``param_count`` for the variants,
    ``param_count_as(..., "one_bias")`` for the GRU and the LSTM)."""
    if kind in ("gru", "lstm"):
        return param_count_as(kind, input_size, hidden_size, "one_bias")
    return param_count(kind, input_size, hidden_size)


def budget_hidden_size(kind: str, input_size: int, budget: int) -> int:
    """The hidden size whose ``count(kind, input_size, H)`` is closest to ``budget``
    (the smaller ``H`` on a tie)."""
    best = min(range(1, 4 * budget), key=lambda H: (abs(count(kind, input_size, H)
                                                        - budget), H))
    return best


class StackedMinGRU(nn.Module):
    """Two minGRU layers and a linear read-out: layer 2's gates read layer 1's states, so
    the stack gates on something computed from the past, while each layer stays a scan.

    Shapes: ``X (T, N, H_in)`` → ``(N, output_size)`` (``readout="last"``) or
    ``(T, N, output_size)`` (``"all"``).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, *,
                 readout: str = "last", generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.layers = nn.ModuleList([MinGRUCell(input_size, hidden_size, generator=generator),
                                     MinGRUCell(hidden_size, hidden_size, generator=generator)])
        self.readout = readout
        self.head = nn.Linear(hidden_size, output_size)
        k = 1.0 / np.sqrt(hidden_size)
        for p in self.head.parameters():
            nn.init.uniform_(p, -k, k, generator=generator)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        H_all = X
        for layer in self.layers:
            H_all = run_sequence(layer, H_all)[0]  # (T, N, H)
        return self.head(H_all[-1] if self.readout == "last" else H_all)


def stacked_param_count(input_size: int, hidden_size: int) -> int:
    """Parameters of the two recurrent layers of :class:`StackedMinGRU` (read-out excluded)."""
    return count("mingru", input_size, hidden_size) + count("mingru", hidden_size, hidden_size)


def build(cell: str, task: Any, budget_H: int, seed: int) -> tuple[nn.Module, int, int]:
    """The model for ``cell`` on ``task`` at the GRU(``budget_H``) parameter budget:
    ``(model, hidden_size, recurrent parameters)``, every count with one bias per block."""
    budget = count("gru", task.input_size, budget_H)
    generator = torch.Generator().manual_seed(seed)
    if cell == STACKED:
        H = min(range(1, 200), key=lambda h: (abs(stacked_param_count(task.input_size, h)
                                                  - budget), h))
        model = StackedMinGRU(task.input_size, H, task.output_size, readout=task.readout,
                              generator=generator)
        return model, H, stacked_param_count(task.input_size, H)
    kind, options, count_kind = CELLS[cell]
    options = dict(options)
    forget_bias = options.pop("forget_bias", None)
    H = budget_hidden_size(count_kind, task.input_size, budget)
    model = SequenceModel(kind, task.input_size, H, task.output_size, readout=task.readout,
                          generator=generator, **options)
    if forget_bias is not None:  # the practitioners' start: total forget bias b_if + b_hf
        with torch.no_grad():  # rows H:2H are the forget gate (i | f | g | o)
            model.cell.bias_ih[H:2 * H] = float(forget_bias)
            model.cell.bias_hh[H:2 * H] = 0.0
    return model, H, count(count_kind, task.input_size, H)


def saved_activation_bytes(model: nn.Module, X: torch.Tensor) -> int:
    """Bytes of the tensors autograd keeps for the backward pass of one forward of ``X``
    (each storage counted once): the activation memory a training step needs."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(X)
    return int(sum(storages.values()))


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one cell on one task with one seed; see the module docstring."""
    task, budget_H, steps, batch, lr = TASKS[config["task"]]
    seed = int(config["seed"])
    model, H, n_params = build(config["cell"], task, budget_H, seed)
    history = train(model, task, steps=steps, batch_size=batch, lr=lr, seed=seed,
                    progress=False)
    X_eval, y_eval = task.sample(EVAL_SIZE, np.random.default_rng(10_000 + seed))
    model.eval()
    with torch.no_grad():
        out = model(X_eval)
        eval_loss = float(task.loss(out, y_eval))
    result: dict[str, Any] = {
        "hidden_size": H,
        "params": n_params,
        "final_loss": eval_loss,
        "baseline": float(task.baseline),
        "steps": steps,
        "seconds_per_step": history.seconds / steps,
        "activation_bytes": saved_activation_bytes(model, task.sample(batch, 0)[0]),
    }
    if isinstance(task, CopyTask):
        result["accuracy"] = float(task.accuracy(out, y_eval))
    return result


def summary(results: dict[str, Any], task: str) -> list[dict[str, Any]]:
    """Per cell on ``task``: mean and standard deviation over the seeds of the final loss
    (and accuracy), the parameters, the median time per step and the activation memory."""
    rows = [r for r in results["rows"] if r["task"] == task]
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    table = []
    for cell in cells:
        mine = [r for r in rows if r["cell"] == cell]
        losses = [r["final_loss"] for r in mine]
        entry = {
            "cell": cell, "hidden_size": mine[0]["hidden_size"], "params": mine[0]["params"],
            "loss_mean": statistics.fmean(losses), "loss_sd": statistics.stdev(losses)
            if len(losses) > 1 else 0.0, "baseline": mine[0]["baseline"],
            "ms_per_step": 1e3 * statistics.median(r["seconds_per_step"] for r in mine),
            "activation_kib": mine[0]["activation_bytes"] / 1024, "seeds": len(mine),
        }
        if "accuracy" in mine[0]:
            accs = [r["accuracy"] for r in mine]
            entry["acc_mean"] = statistics.fmean(accs)
            entry["acc_sd"] = statistics.stdev(accs) if len(accs) > 1 else 0.0
        table.append(entry)
    return table


def versus(results: dict[str, Any], task: str, a: str, b: str, *,
           metric: str | None = None):  # -> utils.verdict.Comparison
    """Cell ``a`` against cell ``b`` on ``task`` over the seeds, through
    :func:`utils.verdict.compare`: on accuracy (higher is better) where the task records it,
    else on the final loss (lower is better). ``metric``: how the verdict names what it
    compares (default: the task's name and "accuracy" or "loss")."""
    from utils.verdict import compare

    rows = [r for r in results["rows"] if r["task"] == task]
    side = {c: sorted((r for r in rows if r["cell"] == c), key=lambda r: r["seed"])
            for c in (a, b)}
    for c, mine in side.items():
        if not mine:
            raise ValueError(f"no rows for cell {c!r} on task {task!r}")
    accuracy = "accuracy" in side[a][0]
    key = "accuracy" if accuracy else "final_loss"
    seeds = [int(r["seed"]) for r in side[a]]
    return compare(a, [r[key] for r in side[a]], b, [r[key] for r in side[b]],
                   higher_is_better=accuracy, seeds=seeds,
                   metric=metric or f"{task} {'accuracy' if accuracy else 'loss'}")
