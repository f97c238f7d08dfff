r"""Chapter 3: what the update-gate initialisation changes in training, on the adding problem.

``python -m utils.experiments ch3`` trains, with one torch thread, four models (``MODELS``),
each a one-layer ``torch.nn`` recurrent network with a linear read-out
(``utils.torch_cells.SequenceModel``), on the adding problem (``utils.tasks.AddingTask``) of
length ``T = 100`` and ``T = 200``: ``SEEDS`` with ``STEPS`` updates for every model, and
for the two GRUs, whose pace the chapter compares (``PACE_MARGIN``), the further seeds
``PACE_SEEDS[T]`` with ``PACE_STEPS`` updates (the first ``PACE_STEPS`` updates of a longer run
with the same seed, so the step at which the MSE first passes a target below ``PACE_STEPS``
is the same):

- ``rnn``: tanh RNN, PyTorch's initialisation;
- ``gru_b0``: GRU with update-gate bias 0 (``b_iz = b_hz = 0``: :math:`z \approx 0.5`);
- ``gru_chrono``: GRU with chrono initialisation for :math:`T_{max} = T`
  (``utils.timescales.chrono_init_``);
- ``lstm_f1``: LSTM with forget-gate bias 1 (Jozefowicz et al. 2015; ``b_if = 1, b_hf = 0``).

Training: Adam, learning rate ``LR``, global gradient norm clipped to ``CLIP``, fresh seeded
batches of ``BATCH``; every ``EVAL_EVERY`` steps the validation MSE on a fixed batch of 512 and the
gradient that reaches the first steps, :math:`\frac{1}{10}\sum_{t \le 10} \|\partial L /
\partial x_t\|` averaged over the batch (the markers sit in the first half, so this is the
signal the network needs to learn the first operand). Deterministic given the seed with one
thread. Each row holds the configuration (``model, T, seed, steps``) and the curves
``eval_steps``, ``val_mse``, ``first_grad``, plus ``seconds`` (machine-dependent).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from utils.tasks import AddingTask
from utils.timescales import chrono_init_
from utils.torch_cells import SequenceModel

__all__ = ["MODELS", "CONFIGS", "PACE_MARGIN", "PACE_MODELS", "PACE_SEEDS", "PACE_STEPS",
           "QUICK", "RunResult", "build_model", "train", "run_one"]

DESCRIPTION = __doc__

MODELS: dict[str, str] = {
    "rnn": "tanh RNN",
    "gru_b0": "GRU, update-gate bias 0",
    "gru_chrono": "GRU, chrono init",
    "lstm_f1": "LSTM, forget bias 1",
}
HIDDEN = 32
BATCH = 64
LR = 1e-2
CLIP = 1.0  # global gradient norm, clipped before every update
EVAL_EVERY = 25
FIRST_STEPS = 10
LENGTHS = (100, 200)
SEEDS = (0, 1, 2)
STEPS = 800
PACE_MODELS = ("gru_b0", "gru_chrono")
# added to decide chrono against bias 0, per length (as many as the shared machine allowed)
PACE_SEEDS: dict[int, tuple[int, ...]] = {100: tuple(range(3, 10)), 200: tuple(range(3, 6))}
PACE_STEPS = 400  # every run of SEEDS passes the chapter's target before 300
# A difference in the step at which a run first passes a target that is smaller than the
# spacing of the evaluations cannot be measured: the margin of practical indifference for
# comparing two starts' pace, fixed before PACE_SEEDS were run.
PACE_MARGIN = EVAL_EVERY

CONFIGS: list[dict[str, Any]] = [
    {"model": name, "T": T, "seed": seed, "steps": STEPS}
    for T in LENGTHS for name in MODELS for seed in SEEDS
] + [
    {"model": name, "T": T, "seed": seed, "steps": PACE_STEPS}
    for T in LENGTHS for name in PACE_MODELS for seed in PACE_SEEDS[T]
]
QUICK = [{"model": name, "T": 100, "seed": 0, "steps": 100} for name in MODELS]


def build_model(name: str, T: int, seed: int) -> SequenceModel:
    """The model ``name`` (a key of ``MODELS``) for sequences of length ``T``, seeded."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    g = torch.Generator().manual_seed(seed)
    kind = {"rnn": "torch-rnn", "lstm_f1": "torch-lstm"}.get(name, "torch-gru")
    model = SequenceModel(kind, 2, HIDDEN, generator=g)
    cell, H = model.cell, HIDDEN
    with torch.no_grad():
        if name == "gru_b0":
            cell.bias_ih_l0[H:2 * H] = 0.0
            cell.bias_hh_l0[H:2 * H] = 0.0
        elif name == "gru_chrono":
            chrono_init_(cell, float(T), generator=g)
        elif name == "lstm_f1":
            cell.bias_ih_l0[H:2 * H] = 1.0
            cell.bias_hh_l0[H:2 * H] = 0.0
    return model


@dataclass
class RunResult:
    """One training run: validation MSE and first-steps gradient at ``eval_steps``."""

    model: str
    T: int
    seed: int
    steps: int
    eval_steps: list[int] = field(default_factory=list)
    val_mse: list[float] = field(default_factory=list)
    first_grad: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _measure(model: SequenceModel, task: AddingTask, X: torch.Tensor, y: torch.Tensor
             ) -> tuple[float, float]:
    X = X.clone().requires_grad_()
    loss = task.loss(model(X), y)
    (dX,) = torch.autograd.grad(loss, X)
    first = dX[:FIRST_STEPS].norm(dim=2).mean().item()  # mean over steps and batch
    return loss.item(), first


def train(name: str, T: int, seed: int, steps: int, *, return_model: bool = False
          ) -> RunResult | tuple[RunResult, SequenceModel]:
    """Train model ``name`` on the adding problem of length ``T`` for ``steps`` updates.

    The first ``k`` evaluations of a run are those of any longer run with the same
    ``name, T, seed`` (same batches, same updates). ``return_model`` also returns the model.
    """
    task = AddingTask(T)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_model(name, T, seed)
            train_seq, val_seq = np.random.SeedSequence([seed, T]).spawn(2)
            rng = np.random.default_rng(train_seq)
            X_val, y_val = task.sample(512, np.random.default_rng(val_seq))
            opt = torch.optim.Adam(model.parameters(), lr=LR)
            result = RunResult(name, T, seed, steps)
            start = time.perf_counter()
            for step in range(steps + 1):
                if step % EVAL_EVERY == 0 or step == steps:
                    mse, first = _measure(model, task, X_val, y_val)
                    result.eval_steps.append(step)
                    result.val_mse.append(mse)
                    result.first_grad.append(first)
                if step == steps:
                    break
                X, y = task.sample(BATCH, rng)
                opt.zero_grad(set_to_none=True)
                loss = task.loss(model(X), y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
                opt.step()
            result.seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return (result, model) if return_model else result


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration (``model, T, seed, steps``); its curves and wall time."""
    result = asdict(train(config["model"], int(config["T"]), int(config["seed"]),
                          int(config["steps"])))
    return {k: v for k, v in result.items() if k not in ("model", "T", "seed", "steps")}
