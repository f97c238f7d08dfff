r"""What a recurrent step costs: parameters, multiply-adds, and measured time on this machine.

A cell with ``G`` stacked gates (RNN 1, GRU 3, LSTM 4) computes, per sample and per step,

.. math::

    W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \quad W_{ih} \in \mathbb R^{GH \times H_{in}},
    \; W_{hh} \in \mathbb R^{GH \times H},

that is :math:`G \cdot H \cdot (H_{in} + H)` multiply-adds (MACs), plus :math:`O(H)` pointwise
work (biases, gate nonlinearities, elementwise products). Its parameters number
:math:`G (H H_{in} + H^2 + 2H)` (``utils.params.param_count``), so the GRU/LSTM ratio of both
is exactly 3/4. Time is another matter: it depends on the kernels and the machine, so
:func:`time_per_step` measures it, and :func:`machine_description` says where.

Shapes: ``T`` steps, ``N`` batch, ``H_in`` input size, ``H`` hidden size.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from utils.params import param_count

__all__ = [
    "GATES",
    "StepTiming",
    "cost_table",
    "layer_ops",
    "machine_description",
    "onednn_flag",
    "PLAIN_LSTM",
    "LOW_QUANTILE",
    "ratio_quartiles",
    "macs_per_step",
    "pointwise_per_step",
    "time_per_step",
    "training_speed_verdict",
    "training_step_seconds",
    "saved_floats_per_step",
    "saved_tensors_per_sample",
    "time_course_cells_per_step",
]

LOW_QUANTILE = 0.1  # StepTiming.low: the 10th percentile of the samples
PLAIN_LSTM = "lstm-plain"  # torch.nn.LSTM with oneDNN switched off, for time_per_step
# kind -> number of stacked gates G (rows of weight_ih are G·H).
GATES: dict[str, int] = {"rnn": 1, "gru": 3, "lstm": 4}
_MODULES: dict[str, type[nn.Module]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def _check_kind(kind: str) -> str:
    if kind not in GATES:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(GATES)}")
    return kind


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def macs_per_step(kind: str, input_size: int, hidden_size: int, batch_size: int = 1) -> int:
    r"""Multiply-adds of one step's two matrix products: :math:`N \cdot G \cdot H (H_{in} + H)`.

    ``G`` is 1 (``"rnn"``), 3 (``"gru"``) or 4 (``"lstm"``). Each of the :math:`G H` output
    rows of :math:`W_{ih} x_t` costs :math:`H_{in}` MACs and of :math:`W_{hh} h_{t-1}`, :math:`H`
    MACs. Pointwise work is counted separately by :func:`pointwise_per_step`.

    Example:
        >>> macs_per_step("gru", 10, 20)
        1800
    """
    g = GATES[_check_kind(kind)]
    i = _check_positive_int("input_size", input_size)
    h = _check_positive_int("hidden_size", hidden_size)
    n = _check_positive_int("batch_size", batch_size)
    return n * g * h * (i + h)


def pointwise_per_step(kind: str, hidden_size: int) -> dict[str, int]:
    r"""Pointwise operations of one step for one sample, in PyTorch's formulation.

    - RNN: :math:`h_t = \tanh(a)`: ``H`` tanh.
    - GRU: :math:`r_t, z_t = \sigma(\cdot)`, :math:`n_t = \tanh(\cdot + r_t \odot (\cdot))`,
      :math:`h_t = (1-z_t) \odot n_t + z_t \odot h_{t-1}`: ``2H`` sigmoid, ``H`` tanh, ``3H``
      products (:math:`r \odot`, :math:`(1-z) \odot`, :math:`z \odot`).
    - LSTM: :math:`i, f, o = \sigma(\cdot)`, :math:`g = \tanh(\cdot)`, :math:`c_t = f \odot
      c_{t-1} + i \odot g`, :math:`h_t = o \odot \tanh(c_t)`: ``3H`` sigmoid, ``2H`` tanh,
      ``3H`` products.

    Returns:
        ``{"sigmoid": ..., "tanh": ..., "product": ...}`` counts of scalar operations.
    """
    _check_kind(kind)
    h = _check_positive_int("hidden_size", hidden_size)
    counts = {"rnn": (0, 1, 0), "gru": (2, 1, 3), "lstm": (3, 2, 3)}[kind]
    return dict(zip(("sigmoid", "tanh", "product"), (c * h for c in counts)))


def cost_table(
    sizes: Iterable[tuple[int, int]], kinds: Sequence[str] = ("rnn", "gru", "lstm")
) -> list[dict[str, int | str]]:
    """One row per ``(kind, H_in, H)``: parameters (``param_count``) and MACs per step.

    Returns:
        Rows ``{"kind", "input_size", "hidden_size", "params", "macs"}`` in the order of
        ``sizes`` then ``kinds``.
    """
    rows: list[dict[str, int | str]] = []
    for input_size, hidden_size in sizes:
        for kind in kinds:
            rows.append({
                "kind": _check_kind(kind),
                "input_size": input_size,
                "hidden_size": hidden_size,
                "params": param_count(kind, input_size, hidden_size),
                "macs": macs_per_step(kind, input_size, hidden_size),
            })
    return rows


def machine_description() -> dict[str, str | int]:
    """Where a timing ran: CPU model, logical CPUs, torch threads, torch/Python/OS versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


class _OpRecorder(TorchDispatchMode):
    """Counts the ATen operators that reach the dispatcher (below autograd)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.counts[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


def layer_ops(
    kind: str, input_size: int, hidden_size: int, *, seq_len: int = 3, batch_size: int = 2
) -> dict[str, int]:
    """Which ATen operators one forward of ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` runs, and how
    many times: what the timings below actually time (float32, CPU, no grad).

    A layer that loops in Python-visible steps shows one ``aten.addmm`` per step (plus one for
    all the input projections) and its pointwise operators; a layer handed to a fused kernel
    (oneDNN's ``aten.mkldnn_rnn_layer`` for the LSTM on CPU builds that have it) shows that
    single operator instead.

    Returns:
        ``{"aten.addmm": ..., ...}``, operator name -> number of calls.
    """
    _check_kind(kind)
    i = _check_positive_int("input_size", input_size)
    h = _check_positive_int("hidden_size", hidden_size)
    t_len = _check_positive_int("seq_len", seq_len)
    n = _check_positive_int("batch_size", batch_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        layer = _MODULES[kind](i, h)
        xs = torch.randn(t_len, n, i)  # (T, N, H_in)
    with torch.no_grad(), _OpRecorder() as recorder:
        layer(xs)
    return dict(recorder.counts)


@dataclass(frozen=True)
class StepTiming:
    """Measured wall-clock time of one recurrent step of a ``torch.nn`` layer.

    Attributes:
        kind: ``"rnn"``, ``"gru"`` or ``"lstm"``.
        input_size, hidden_size, batch_size, seq_len: the workload.
        backward: ``False``: forward only (under ``torch.no_grad``); ``True``: forward and
            backward of ``output.sum()``.
        threads: ``torch.get_num_threads()`` during the measurement.
        seconds: per-repeat time of the whole sequence divided by ``seq_len``, shape
            ``(repeats,)``; with blocks, each repeat's block of ``runs_per_sample`` runs in
            a row, divided by ``runs_per_sample · seq_len``.
        runs_per_sample: how many runs each timed sample averages over (1: one run).
    """

    kind: str
    input_size: int
    hidden_size: int
    batch_size: int
    seq_len: int
    backward: bool
    threads: int
    seconds: tuple[float, ...]
    runs_per_sample: int = 1

    @property
    def low(self) -> float:
        """The :data:`LOW_QUANTILE` of the seconds per step: what the kernels take when the
        machine lets them run, with the slow samples that other work caused left out."""
        return float(np.quantile(self.seconds, LOW_QUANTILE))

    @property
    def median(self) -> float:
        """Median seconds per step."""
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """Interquartile range of the seconds per step, relative to the median."""
        q1, q3 = np.percentile(self.seconds, [25, 75])
        return float((q3 - q1) / self.median)


def time_per_step(
    sizes: Iterable[tuple[int, int]],
    kinds: Sequence[str] = ("rnn", "gru", "lstm"),
    *,
    backward: bool = False,
    batch_size: int = 16,
    seq_len: int = 32,
    repeats: int = 7,
    warmup: int = 2,
    threads: int | None = 1,
    seed: int = 0,
    block_seconds: float | None = None,
    cpu_time: bool = False,
) -> list[StepTiming]:
    r"""Median time per step of ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` (float32, one layer).

    The kind ``"lstm-plain"`` is ``torch.nn.LSTM`` run with oneDNN switched off
    (``torch.backends.mkldnn.flags(enabled=False)``): the same per-step loop as the GRU's,
    where ``"lstm"`` on a CPU build with oneDNN runs one fused kernel for the whole sequence.

    For each ``(H_in, H)`` in ``sizes``, a layer of each kind runs a random sequence of shape
    ``(T, N, H_in)``; each run is timed with ``time.perf_counter`` and divided by ``T``.
    ``warmup`` untimed runs come first (allocations, kernel selection). Kinds are *interleaved*
    within every repeat (rnn, gru, lstm, rnn, gru, lstm, ...), so a slow moment of a shared
    machine hits all of them instead of one. Nothing here asserts speed: compare ratios
    measured in the same call.

    Args:
        sizes: ``(input_size, hidden_size)`` pairs.
        kinds: which layers to time.
        backward: also run ``output.sum().backward()`` (a training step without optimiser).
        batch_size: :math:`N`.
        seq_len: :math:`T`.
        repeats: timed runs per layer (the median is reported).
        warmup: untimed runs per layer before timing.
        threads: ``torch.set_num_threads`` for the measurement (restored afterwards); ``None``
            keeps the current setting. One thread by default: on a small shared machine a
            second thread that waits for a busy core makes the timings slower and erratic.
        seed: seeds the weights and inputs.
        block_seconds: ``None``: each sample is one run. Otherwise each sample is a block of
            runs in a row lasting about this long (the run count fixed per kind after the
            warm-up), so that one sample averages over the moments another program takes
            the core instead of landing wholly inside or outside one.
        cpu_time: time with ``time.process_time`` (the processor time this process used)
            instead of the wall clock: on a machine shared with other programs the wall clock
            also counts the time spent waiting for a core.

    Returns:
        One :class:`StepTiming` per ``(size, kind)``, sizes outer, kinds inner.
    """
    n = _check_positive_int("batch_size", batch_size)
    t_len = _check_positive_int("seq_len", seq_len)
    reps = _check_positive_int("repeats", repeats)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    for kind in kinds:
        if kind != PLAIN_LSTM:
            _check_kind(kind)
    if threads is not None:
        _check_positive_int("threads", threads)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _time_all(sizes, kinds, backward, n, t_len, reps, warmup, seed, block_seconds,
                         time.process_time if cpu_time else time.perf_counter)
    finally:
        torch.set_num_threads(previous_threads)


def _time_all(
    sizes: Iterable[tuple[int, int]], kinds: Sequence[str], backward: bool, n: int, t_len: int,
    reps: int, warmup: int, seed: int, block_seconds: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[StepTiming]:
    threads = torch.get_num_threads()
    generator = torch.Generator().manual_seed(seed)
    results: list[StepTiming] = []
    for input_size, hidden_size in sizes:
        i = _check_positive_int("input_size", input_size)
        h = _check_positive_int("hidden_size", hidden_size)
        with torch.random.fork_rng(devices=[]):  # initialisers draw from the global generator
            torch.manual_seed(seed)
            layers = {kind: _MODULES[kind.removesuffix("-plain")](i, h) for kind in kinds}
        xs = torch.randn(t_len, n, i, generator=generator)  # (T, N, H_in)
        plain = {id(layer) for kind, layer in layers.items() if kind == PLAIN_LSTM}

        def run(layer: nn.Module) -> None:
            with onednn_flag(id(layer) not in plain):
                if backward:
                    layer.zero_grad(set_to_none=True)
                    out, _ = layer(xs)  # (T, N, H)
                    out.sum().backward()
                else:
                    with torch.no_grad():
                        layer(xs)

        results.extend(_interleaved_timings(
            layers, run, kinds, input_size=i, hidden_size=h, batch_size=n, seq_len=t_len,
            backward=backward, threads=threads, repeats=reps, warmup=warmup,
            block_seconds=block_seconds, clock=clock))
    return results


def _interleaved_timings(
    models: dict[str, nn.Module], run: Callable[[nn.Module], None], kinds: Sequence[str], *,
    input_size: int, hidden_size: int, batch_size: int, seq_len: int, backward: bool,
    threads: int, repeats: int, warmup: int, block_seconds: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[StepTiming]:
    """Times ``run(model)`` for every model of one size: ``warmup`` untimed rounds, then
    ``repeats`` rounds with the kinds interleaved within each round; each sample's wall time
    is divided by ``seq_len`` and by its number of runs. One :class:`StepTiming` per entry of
    ``kinds``, in that order.

    ``block_seconds``: each sample is a block of runs of one model in a row lasting about
    that long (the count set per model from the fastest of its warm-up runs), and the order
    of the models turns by one each round, so none always runs first. ``clock``: what is
    read before and after (``time.process_time`` for processor time)."""
    if block_seconds is not None and not block_seconds > 0:
        raise ValueError(f"block_seconds must be positive or None, got {block_seconds!r}")
    fastest = {kind: float("inf") for kind in models}
    for _ in range(max(warmup, 1 if block_seconds is not None else 0)):
        for kind, model in models.items():
            start = clock()
            run(model)
            fastest[kind] = min(fastest[kind], clock() - start)
    runs = {kind: 1 if block_seconds is None else
            max(1, round(block_seconds / max(fastest[kind], 1e-9))) for kind in models}
    order = list(models)
    seconds: dict[str, list[float]] = {kind: [] for kind in models}
    for repeat in range(repeats):
        turn = repeat % len(order) if block_seconds is not None else 0
        for kind in order[turn:] + order[:turn]:
            model = models[kind]
            start = clock()
            for _ in range(runs[kind]):
                run(model)
            seconds[kind].append((clock() - start) / (seq_len * runs[kind]))
    return [StepTiming(kind=kind, input_size=input_size, hidden_size=hidden_size,
                       batch_size=batch_size, seq_len=seq_len, backward=backward,
                       threads=threads, seconds=tuple(seconds[kind]),
                       runs_per_sample=runs[kind])
            for kind in kinds]


def ratio_quartiles(a: StepTiming | Sequence[float],
                    b: StepTiming | Sequence[float]) -> tuple[float, float, float]:
    """Quartiles (25 %, median, 75 %) of ``a``'s time over ``b``'s, repeat by repeat: the
    two were interleaved, so each repeat's ratio compares runs made moments apart. Takes
    :class:`StepTiming` objects or their seconds per repeat."""
    sa = a.seconds if isinstance(a, StepTiming) else tuple(a)
    sb = b.seconds if isinstance(b, StepTiming) else tuple(b)
    if len(sa) != len(sb) or not sa:
        raise ValueError(f"expected timings with as many repeats (at least one), got "
                         f"{len(sa)} and {len(sb)}")
    ratios = np.asarray(sa) / np.asarray(sb)
    q1, q2, q3 = np.percentile(ratios, [25, 50, 75])
    return float(q1), float(q2), float(q3)


def _span(values: Sequence[float]) -> str:
    """``"18%"`` or ``"18% to 113%"`` for fractions (0.18, 1.13)."""
    low, high = f"{min(values):.0%}", f"{max(values):.0%}"
    return low if low == high else f"{low} to {high}"


def training_speed_verdict(
    speedup: dict[int, float], claimed: tuple[int, int] = (25, 30)
) -> str:
    r"""Whether "a GRU trains ``claimed[0]``–``claimed[1]`` % faster than an LSTM" held.

    ``speedup[H]`` is :math:`1 - t_{GRU} / t_{LSTM}` measured at hidden size ``H`` (positive:
    the GRU is faster). The claim is judged on whole percents. The result completes the
    sentence "the claim ...", e.g. ``"did not hold: the GRU trained slower than the LSTM at
    every size we timed (H = 64 and H = 256), by 18% to 113% per step"``.

    Example:
        >>> training_speed_verdict({64: 0.27, 256: 0.29})
        'held: the GRU trained 27% to 29% faster per step (H = 64 and H = 256)'
    """
    if not speedup:
        raise ValueError("training_speed_verdict: expected at least one size, got none")
    lo, hi = claimed
    sizes = " and ".join(f"H = {h}" for h in speedup)
    values = list(speedup.values())
    percent = [round(100 * s) for s in values]
    if all(lo <= p <= hi for p in percent):
        return f"held: the GRU trained {_span(values)} faster per step ({sizes})"
    if all(p > hi for p in percent):
        return (f"held, and more: the GRU trained {_span(values)} faster per step ({sizes}), "
                f"more than the {lo}–{hi} % claimed")
    if all(s > 0 for s in values):
        return (f"held only in direction: the GRU trained faster, but by {_span(values)} per "
                f"step ({sizes}), not {lo}–{hi} % throughout")
    if all(s <= 0 for s in values):
        return (f"did not hold: the GRU trained no faster than the LSTM at any size we timed "
                f"({sizes}); it was slower by {_span([max(0.0, -s) for s in values])} per step")
    parts = ", ".join(f"{abs(s):.0%} {'faster' if s > 0 else 'slower'} at H = {h}"
                      for h, s in speedup.items())
    return f"did not hold in general: the GRU trained {parts}"


# ============================================================================================
# Chapter 5: a linear recurrence by a loop and by a parallel scan; cells per training step
# ============================================================================================


def time_scan_vs_loop(
    lengths: Sequence[int],
    *,
    hidden_size: int = 16,
    batch_size: int = 4,
    backward: bool = False,
    repeats: int = 3,
    threads: int | None = 1,
    seed: int = 0,
) -> dict[str, list[float]]:
    r"""Seconds to run a minGRU layer (``utils.torch_cells.MinGRUCell``, float32) over a
    sequence of each length, by the loop (``T`` dependent steps) and by the parallel scan
    (:math:`\lceil \log_2 T \rceil` vectorised rounds), forward only or forward + backward
    of ``H_all.sum()``.

    The fastest of ``repeats`` runs per length and method (the run least disturbed by other
    jobs on a shared machine), the two methods interleaved; one untimed warm-up run each
    first.
    ``threads``: ``torch.set_num_threads`` during the measurement (restored afterwards).

    Returns ``{"T": lengths, "loop": seconds, "scan": seconds, "rounds": ⌈log₂ T⌉,
    "speedup_range": (lowest, highest) loop / scan ratio over the repeats, repeat by repeat}``.
    """
    from utils.torch_cells import MinGRUCell

    reps = _check_positive_int("repeats", repeats)
    h = _check_positive_int("hidden_size", hidden_size)
    n = _check_positive_int("batch_size", batch_size)
    Ts = [_check_positive_int("T", T) for T in lengths]
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_check_positive_int("threads", threads))
    generator = torch.Generator().manual_seed(seed)
    cell = MinGRUCell(h, h, generator=generator)
    out: dict[str, list] = {"T": Ts, "loop": [], "scan": [], "speedup_range": [],
                            "rounds": [int(np.ceil(np.log2(T))) if T > 1 else 0
                                       for T in Ts]}

    def run(X: torch.Tensor, method: str) -> None:
        if backward:
            cell.zero_grad(set_to_none=True)
            cell.forward_sequence(X, method=method)[0].sum().backward()
        else:
            with torch.no_grad():
                cell.forward_sequence(X, method=method)

    try:
        for T in Ts:
            X = torch.randn(T, n, h, generator=generator)  # (T, N, H_in)
            times: dict[str, list[float]] = {"loop": [], "scan": []}
            for method in times:
                run(X, method)  # warm-up
            for _ in range(reps):
                for method in times:
                    start = time.perf_counter()
                    run(X, method)
                    times[method].append(time.perf_counter() - start)
            for method, values in times.items():
                out[method].append(min(values))
            ratios = np.asarray(times["loop"]) / np.asarray(times["scan"])  # repeat by repeat
            out["speedup_range"].append((float(ratios.min()), float(ratios.max())))
    finally:
        torch.set_num_threads(previous_threads)
    return out


def training_step_seconds(kinds: tuple[str, ...] = ("gru", "ligru"), *, input_size: int = 40,
                          hidden_size: int = 64, T: int = 50, N: int = 32, repeats: int = 5,
                          seed: int = 0) -> dict[str, tuple[float, ...]]:
    """Seconds of one training step (forward, backward of a squared loss, Adam) of a
    one-layer ``utils.torch_cells`` cell of each kind at the *same* hidden size, per repeat:
    the kinds interleaved within every repeat (one warm-up round first), one torch thread
    (restored afterwards). Compare kinds repeat by repeat (:func:`ratio_quartiles`)."""
    from utils.torch_cells import SequenceModel

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(seed)
        X = torch.randn(T, N, input_size, generator=g)
        models = {k: SequenceModel(k, input_size, hidden_size, 1, generator=g) for k in kinds}
        opts = {k: torch.optim.Adam(m.parameters(), lr=1e-3) for k, m in models.items()}
        times: dict[str, list[float]] = {k: [] for k in kinds}
        for rep in range(repeats + 1):
            for k, m in models.items():
                start = time.perf_counter()
                opts[k].zero_grad()
                m(X).pow(2).mean().backward()
                opts[k].step()
                if rep:  # the first round warms up
                    times[k].append(time.perf_counter() - start)
        return {k: tuple(v) for k, v in times.items()}
    finally:
        torch.set_num_threads(threads)


def time_training_step(kinds: tuple[str, ...] = ("gru", "ligru"), *, input_size: int = 40,
                       hidden_size: int = 64, T: int = 50, N: int = 32, repeats: int = 5,
                       seed: int = 0) -> dict[str, float]:
    """The median of :func:`training_step_seconds` (same arguments) per kind."""
    return {k: statistics.median(v) for k, v in training_step_seconds(
        kinds, input_size=input_size, hidden_size=hidden_size, T=T, N=N, repeats=repeats,
        seed=seed).items()}


IMPLEMENTATIONS = ("course", "torch.nn")


@contextlib.contextmanager
def onednn_flag(enabled: bool) -> Iterator[None]:
    """``torch.backends.mkldnn.flags(enabled=enabled)``, without the warning about TF32 on
    Intel GPUs that setting the flags prints on CPU-only builds."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
        with torch.backends.mkldnn.flags(enabled=enabled):
            yield


def saved_tensors_per_sample(kind: str, input_size: int, hidden_size: int, *,
                           implementation: str = "course", onednn: bool = True,
                           seq_len: int = 8, batch_size: int = 2) -> list[float]:
    r"""What autograd keeps for the backward pass over a sequence, per sample, tensor by tensor.

    Runs one layer (float32, with gradients) over a random sequence under
    ``torch.autograd.graph.saved_tensors_hooks`` and records every distinct storage saved for
    backward, leaving out the parameters (kept once, not per step) and the input sequence. A
    view counts as the whole storage it keeps alive: saving a slice of a bigger tensor keeps
    all of it. Sizes are in float32 numbers (bytes / 4, so a byte buffer such as oneDNN's
    workspace counts a quarter of its length), divided by ``batch_size``: a tensor of one step
    of the course's GRU counts ``H`` or ``2H``, one covering the whole sequence ``seq_len · H``.

    Args:
        kind: ``"rnn"``, ``"gru"`` or ``"lstm"``.
        implementation: ``"course"`` (the step-by-step cells of ``utils.torch_cells``) or
            ``"torch.nn"`` (``torch.nn.RNN`` / ``GRU`` / ``LSTM``).
        onednn: ``torch.backends.mkldnn.flags(enabled=onednn)`` during the run; on CPU builds
            with oneDNN, ``torch.nn.LSTM`` in float32 runs as one fused oneDNN kernel unless
            this is ``False``.

    Returns:
        One entry per kept storage, largest first (their sum divided by ``seq_len`` is
        :func:`saved_floats_per_step`).
    """
    from utils.torch_cells import make_cell, run_sequence  # imported here: stays light

    _check_kind(kind)
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, "
                         f"got {implementation!r}")
    i = _check_positive_int("input_size", input_size)
    h = _check_positive_int("hidden_size", hidden_size)
    t_len = _check_positive_int("seq_len", seq_len)
    n = _check_positive_int("batch_size", batch_size)
    generator = torch.Generator().manual_seed(0)
    if implementation == "course":
        layer = make_cell(kind, i, h, generator=generator)
    else:
        with torch.random.fork_rng(devices=[]):  # initialisers draw from the global generator
            torch.manual_seed(0)
            layer = _MODULES[kind](i, h)
    xs = torch.randn(t_len, n, i, generator=generator)  # (T, N, H_in), float32
    skip = {p.untyped_storage().data_ptr() for p in layer.parameters()}
    skip.add(xs.untyped_storage().data_ptr())
    seen: dict[int, int] = {}  # storage address -> bytes held (views share one storage)

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with onednn_flag(onednn), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        if implementation == "course":
            run_sequence(layer, xs)
        else:
            layer(xs)
    return sorted((b / (4 * n) for b in seen.values()), reverse=True)  # float32: 4 bytes


def saved_floats_per_step(kind: str, input_size: int, hidden_size: int, *,
                          implementation: str = "course", onednn: bool = True,
                          seq_len: int = 8, batch_size: int = 2) -> float:
    r"""Numbers autograd keeps for the backward pass, per step and per sample (measured).

    The sum of :func:`saved_tensors_per_sample` (same arguments) divided by ``seq_len``: the
    activation memory that backpropagation through time needs per step, in float32 numbers
    (× 4 bytes). It is what
    one implementation keeps, not what the equations need: the course's GRU keeps
    :math:`h_{t-1}`, :math:`[r_t | z_t]`, :math:`W_{hn} h_{t-1} + b_{hn}` and :math:`n_t`, 5H;
    ``torch.nn``'s kernels may keep more (e.g. a oneDNN workspace).
    """
    return float(sum(saved_tensors_per_sample(
        kind, input_size, hidden_size, implementation=implementation, onednn=onednn,
        seq_len=seq_len, batch_size=batch_size))) / seq_len


def time_course_cells_per_step(
    sizes: Iterable[tuple[int, int]],
    kinds: Sequence[str] = ("gru", "lstm"),
    *,
    backward: bool = False,
    batch_size: int = 16,
    seq_len: int = 32,
    repeats: int = 7,
    warmup: int = 2,
    threads: int | None = 1,
    seed: int = 0,
    block_seconds: float | None = None,
    cpu_time: bool = False,
) -> list[StepTiming]:
    r"""Like :func:`time_per_step`, for the course's step-by-step cells (``utils.torch_cells``).

    Each step of these cells is a few visible PyTorch operations (one ``addmm`` for the
    recurrent product, the gates' pointwise work); nothing is fused, so their GRU / LSTM
    ratio shows what the operation count alone predicts, next to ``torch.nn``'s kernels.
    Float32, kinds interleaved within every repeat, one thread by default.
    """
    from utils.torch_cells import make_cell, run_sequence  # imported here: stays light

    n = _check_positive_int("batch_size", batch_size)
    t_len = _check_positive_int("seq_len", seq_len)
    reps = _check_positive_int("repeats", repeats)
    for kind in kinds:
        _check_kind(kind)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_check_positive_int("threads", threads))
    try:
        results: list[StepTiming] = []
        for input_size, hidden_size in sizes:
            i = _check_positive_int("input_size", input_size)
            h = _check_positive_int("hidden_size", hidden_size)
            generator = torch.Generator().manual_seed(seed)
            cells = {kind: make_cell(kind, i, h, generator=generator) for kind in kinds}
            xs = torch.randn(t_len, n, i, generator=generator)  # (T, N, H_in)

            def run(cell: nn.Module) -> None:
                if backward:
                    cell.zero_grad(set_to_none=True)
                    run_sequence(cell, xs)[0].sum().backward()
                else:
                    with torch.no_grad():
                        run_sequence(cell, xs)

            results.extend(_interleaved_timings(
                cells, run, kinds, input_size=i, hidden_size=h, batch_size=n, seq_len=t_len,
                backward=backward, threads=torch.get_num_threads(), repeats=reps,
                warmup=warmup, block_seconds=block_seconds,
                clock=time.process_time if cpu_time else time.perf_counter))
        return results
    finally:
        torch.set_num_threads(previous_threads)
