r"""Train tanh RNN, GRU and LSTM at an equal parameter budget on the same task and seed.

One configuration is a plain dict, so that a grid of them can be run, stored and re-run
(``utils.experiments``)::

    {"task": "adding" | "copy" | "digits", "kind": "rnn" | "gru" | "lstm" | "mgu" | ...,
     "forget_bias": 0.0 | 1.0 | None, "budget": 2000, "seed": 0, "train_size": 1400}

``run_config(config)`` builds a one-layer ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` (or, for the
other kinds of ``utils.params.KINDS``, the course's step-by-step cell) whose hidden size is
the largest the budget buys for that task's input size (:func:`hidden_size_for`; the
recurrent layer is counted, the linear read-out is not), with a linear read-out,
and trains it with Adam on fresh seeded batches. It returns the learning curve on a fixed
held-out set and the final metrics. Everything random is drawn from the config's ``seed``,
so a run is reproducible bit for bit: it always trains with one torch thread (restored
afterwards).

The tasks and their score (higher is better, 1 = perfect, 0 = no better than the baseline):

- ``adding`` (T = :data:`ADDING_T`): ``1 − MSE / (1/6)``, the share of the target's variance
  explained;
- ``copy`` (delay T = :data:`COPY_T`): the fraction of the 10 recalled symbols right (chance
  is 1/8);
- ``digits``: test accuracy on the 397 held-out images (chance 1/10).

``forget_bias`` sets the LSTM's total forget-gate bias (``b_if + b_hf``) at initialisation:
0, or 1 as recommended by Gers et al. (2000) and Jozefowicz et al. (2015); ``None`` keeps
PyTorch's random initialisation. It must be ``None`` for the other cells.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from utils.budget import hidden_for_budget, param_count_as
from utils.digits import DigitsTask
from utils.params import KINDS, param_count
from utils.tasks import AddingTask, CopyTask
from utils.torch_cells import SequenceModel

__all__ = ["ADDING_T", "COPY_T", "TASKS", "TASK_STEPS", "FUSED_KINDS", "make_task",
           "time_per_update",
           "hidden_size_for", "build_model", "run_config", "score_name"]

ADDING_T = 30
COPY_T = 5
TASKS = ("adding", "copy", "digits")
# training steps per task (a config's "steps" overrides): the copy task needs the longest
TASK_STEPS: dict[str, int] = {"adding": 600, "copy": 1500, "digits": 400}
DEFAULTS: dict[str, Any] = {"batch_size": 32, "lr": 1e-2, "eval_every": 25,
                            "eval_size": 512, "train_size": 1400, "forget_bias": None,
                            "recurrent_init": None}


def make_task(name: str, train_size: int = 1400) -> AddingTask | CopyTask | DigitsTask:
    """The task object behind a config's ``"task"``."""
    if name == "adding":
        return AddingTask(ADDING_T)
    if name == "copy":
        return CopyTask(COPY_T)
    if name == "digits":
        return DigitsTask(train_size=train_size)
    raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")


def score_name(task: str) -> str:
    """What the score of ``task`` measures, for axis labels."""
    return {"adding": "variance explained, 1 − MSE/(1/6)",
            "copy": "recalled symbols right (fraction)",
            "digits": "test accuracy"}[task]


FUSED_KINDS = ("rnn", "gru", "lstm")  # run as torch.nn layers; other kinds: utils.torch_cells


def hidden_size_for(kind: str, input_size: int, budget: int) -> int:
    """The largest hidden size whose recurrent layer fits ``budget`` parameters.

    ``"rnn"``, ``"gru"``, ``"lstm"``: PyTorch's count (``utils.budget``). Any other kind of
    ``utils.params.KINDS`` (``"mgu"``, ``"mingru"``, ...): its paper's count
    (``utils.params.param_count``, which equals the ``utils.torch_cells`` module's).
    """
    if kind in FUSED_KINDS:
        return hidden_for_budget(kind, input_size, budget)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if param_count(kind, input_size, 1) > budget:
        raise ValueError(f"a budget of {budget} does not fit one {kind} unit")
    lo, hi = 1, 2
    while param_count(kind, input_size, hi) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # param_count grows with H: bisect for the last H within budget
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if param_count(kind, input_size, mid) <= budget else (lo, mid)
    return lo


def build_model(kind: str, input_size: int, hidden_size: int, output_size: int, *,
                readout: str, seed: int, forget_bias: float | None = None,
                recurrent_init: str | None = None) -> SequenceModel:
    """A recurrent layer plus a linear read-out, weights ~ U(±1/√H) from a ``torch.Generator``
    seeded with ``seed``; the LSTM's forget bias set if asked. ``recurrent_init="orthogonal"``
    (``torch.nn`` GRU and LSTM only): each gate's ``H × H`` block of ``weight_hh`` is drawn
    orthogonal instead (``torch.nn.init.orthogonal_``, the same generator, after the rest).

    ``"rnn"``, ``"gru"`` and ``"lstm"`` are ``torch.nn`` layers (fused, fast); any other kind
    of ``utils.torch_cells.CELL_KINDS`` (``"mgu"``, ``"mingru"``, ``"cifg"``, ...) is the
    course's step-by-step cell.
    """
    if kind not in FUSED_KINDS and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if forget_bias is not None and kind != "lstm":
        raise ValueError(f"forget_bias applies to the LSTM only, got it for {kind!r}")
    generator = torch.Generator().manual_seed(seed)
    cell = f"torch-{kind}" if kind in FUSED_KINDS else kind
    model = SequenceModel(cell, input_size, hidden_size, output_size,
                          readout=readout, generator=generator)
    if forget_bias is not None:
        H = hidden_size
        with torch.no_grad():  # rows H:2H are the forget gate (i | f | g | o)
            model.cell.bias_ih_l0[H:2 * H] = float(forget_bias)
            model.cell.bias_hh_l0[H:2 * H] = 0.0
    if recurrent_init is not None:
        if recurrent_init != "orthogonal" or kind not in ("gru", "lstm"):
            raise ValueError(f"recurrent_init: expected None or 'orthogonal' for 'gru' or "
                             f"'lstm', got {recurrent_init!r} for {kind!r}")
        W_hh = model.cell.weight_hh_l0  # (G·H, H): one H × H block per gate
        with torch.no_grad():
            for block in W_hh.split(hidden_size):
                nn.init.orthogonal_(block, generator=generator)
    return model


def _score(task_name: str, task: Any, output: torch.Tensor, y: torch.Tensor,
           loss: float) -> float:
    if task_name == "adding":
        return 1.0 - loss / task.baseline
    return float(task.accuracy(output, y))


def run_config(config: dict[str, Any], *, steps: int | None = None) -> dict[str, Any]:
    """Train one configuration; returns hidden size, parameter count, curve and final metrics.

    Keys of the result: ``hidden_size``, ``params``, ``eval_steps``, ``eval_loss``,
    ``eval_score``, ``final_loss``, ``final_score``, ``best_score``, ``train_loss_end`` (mean
    training loss over the last 25 steps), ``seconds``, ``seconds_per_step``. ``steps``
    overrides the config's (for a quick look).
    """
    cfg = {**DEFAULTS, **config}
    for key in ("task", "kind", "budget", "seed"):
        if key not in cfg:
            raise ValueError(f"config needs {key!r}, got keys {sorted(config)}")
    task_name, kind, seed = cfg["task"], cfg["kind"], int(cfg["seed"])
    task = make_task(task_name, cfg["train_size"])
    n_steps = int(steps if steps is not None else cfg.get("steps", TASK_STEPS[task_name]))
    H = hidden_size_for(kind, task.input_size, int(cfg["budget"]))
    model = build_model(kind, task.input_size, H, task.output_size, readout=task.readout,
                        seed=seed, forget_bias=cfg["forget_bias"],
                        recurrent_init=cfg["recurrent_init"])
    train_seq, val_seq = np.random.SeedSequence(seed).spawn(2)
    train_rng = np.random.default_rng(train_seq)
    if task_name == "digits":
        X_val, y_val = task.test_set()
    else:
        X_val, y_val = task.sample(int(cfg["eval_size"]), np.random.default_rng(val_seq))
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    params = (param_count_as(kind, task.input_size, H) if kind in FUSED_KINDS
              else param_count(kind, task.input_size, H))
    result: dict[str, Any] = {"hidden_size": H, "params": params}
    eval_steps, eval_loss, eval_score, train_loss = [], [], [], []

    def evaluate(step: int) -> None:
        model.eval()
        with torch.no_grad():
            out = model(X_val)
            loss = task.loss(out, y_val).item()
        model.train()
        eval_steps.append(step)
        eval_loss.append(round(loss, 6))
        eval_score.append(round(_score(task_name, task, out, y_val, loss), 6))

    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same numbers on every machine and every run
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            evaluate(0)
            for step in range(1, n_steps + 1):
                X, y = task.sample(int(cfg["batch_size"]), train_rng)
                opt.zero_grad(set_to_none=True)
                loss = task.loss(model(X), y)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"{cfg}: loss {loss.item()} at step {step}")
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                train_loss.append(loss.item())
                if step % int(cfg["eval_every"]) == 0 or step == n_steps:
                    evaluate(step)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    result.update({
        "eval_steps": eval_steps, "eval_loss": eval_loss, "eval_score": eval_score,
        "final_loss": eval_loss[-1], "final_score": eval_score[-1],
        "best_score": max(eval_score),
        "train_loss_end": round(float(np.mean(train_loss[-25:])), 6),
        "seconds": round(seconds, 3),
        "seconds_per_step": round(seconds / max(n_steps, 1), 6),
    })
    if not all(math.isfinite(v) for v in eval_loss):
        raise FloatingPointError(f"{cfg}: non-finite validation loss")
    return result


def time_per_update(configs: Mapping[str, dict[str, Any]], *, repeats: int = 15,
                    warmup: int = 3, block_seconds: float | None = None,
                    cpu_time: bool = False) -> dict[str, tuple[float, ...]]:
    """Seconds of one training update (forward, loss, backward, clipping, Adam step) of each
    configuration's model on one batch of its task, as :func:`run_config` trains it.

    The configurations are *interleaved* within every repeat (``utils.costs``), so a slow
    moment of a shared machine hits all of them; one torch thread, as in the grid. Returns
    ``{name: seconds per repeat}``: compare them only with each other. ``block_seconds`` and
    ``cpu_time``: as in ``utils.costs.time_per_step`` (blocks of updates in a row; processor
    time instead of the wall clock).
    """
    from utils.costs import _interleaved_timings  # the shared interleaving

    models, batches, opts = {}, {}, {}
    for name, config in configs.items():
        cfg = {**DEFAULTS, **config}
        task = make_task(cfg["task"], cfg["train_size"])
        kind = cfg["kind"]
        H = hidden_size_for(kind, task.input_size, int(cfg["budget"]))
        models[name] = build_model(kind, task.input_size, H, task.output_size,
                                   readout=task.readout, seed=int(cfg["seed"]),
                                   forget_bias=cfg["forget_bias"])
        rng = np.random.default_rng(int(cfg["seed"]))
        batches[id(models[name])] = (task, *task.sample(int(cfg["batch_size"]), rng))
        opts[id(models[name])] = torch.optim.Adam(models[name].parameters(), lr=cfg["lr"])

    def update(model: nn.Module) -> None:
        task, X, y = batches[id(model)]
        opt = opts[id(model)]
        opt.zero_grad(set_to_none=True)
        task.loss(model(X), y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        timings = _interleaved_timings(models, update, list(models), input_size=0,
                                       hidden_size=0, batch_size=0, seq_len=1,
                                       backward=True, threads=1, repeats=repeats,
                                       warmup=warmup, block_seconds=block_seconds,
                                       clock=time.process_time if cpu_time
                                       else time.perf_counter)
    finally:
        torch.set_num_threads(threads)
    return {t.kind: t.seconds for t in timings}
