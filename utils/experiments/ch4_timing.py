"""Chapter 4's timing sweep: ``torch.nn.GRU`` vs ``torch.nn.LSTM`` (and ``RNN``) per step.

``python -m utils.experiments ch4_timing`` times, for hidden sizes 8 … 1024 (input size =
hidden size, batch 16, 32 steps, one thread, float32), the forward pass alone and forward +
backward, with ``utils.costs.time_per_step``: the LSTM twice, with oneDNN (the CPU default)
and without (``"lstm-plain"``); and the course's step-by-step GRU and LSTM cells
(``utils.torch_cells``, ``utils.costs.time_course_cells_per_step``).

The method, chosen because single runs of the fused LSTM on a shared machine came out either
fast or about twenty times slower, by whether another program took the core meanwhile:

- the clock is ``time.process_time``, the processor time this process used: the wall clock
  also counts the time spent waiting while other programs hold the cores (on the busy
  machine of this file's run, several times the work itself);

- each sample is a *block* of runs in a row lasting about :data:`BLOCK_SECONDS`, so that it
  averages over such interruptions instead of landing wholly inside or outside one;
- the models take turns, block by block, in an order that turns each round (:data:`REPEATS`
  rounds after :data:`WARMUP` untimed ones);
- the statistic of a *time* is the 10th percentile of a model's block means
  (``StepTiming.low``): what its kernels take when the machine lets them run. A ratio field
  (``gru_over_lstm`` …) is the ratio of these; ``…_quartiles`` are the quartiles of the
  block-by-block ratios (each pairs two blocks of the same round). The chapter reads the
  median of those (``…_quartiles[1]``) as *the* ratio, since it always lies inside its own
  band, which the ratio of two 10th percentiles need not (it is a different statistic).

Times are machine-dependent: the file records where they were measured; the drift test
checks the direction and rough size of one ratio, never a time.
"""

from __future__ import annotations

from typing import Any

from utils.costs import PLAIN_LSTM, ratio_quartiles, time_course_cells_per_step, time_per_step

DESCRIPTION = "time per step of torch.nn RNN / GRU / LSTM on CPU (chapter 4)"

HIDDEN_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
BATCH, STEPS = 16, 32  # N and T of every timed sequence
REPEATS, WARMUP = 15, 2
BLOCK_SECONDS = 0.05  # each sample: runs in a row for about this long (at least one run)
CONFIGS: list[dict[str, Any]] = [
    {"hidden_size": h, "backward": backward, "seed": 0}
    for backward in (False, True) for h in HIDDEN_SIZES
]
QUICK: list[dict[str, Any]] = [{"hidden_size": 32, "backward": False, "seed": 0}]


def run_one(config: dict[str, Any], *, repeats: int = REPEATS) -> dict[str, Any]:
    """Seconds per step of each kind (``_low``: the 10th percentile of its block means, the
    statistic; ``_median`` beside it), runs per block, and GRU / LSTM ratios of the ``_low``
    times, with the quartiles of the ratio block by block (interleaved, so each ratio compares
    blocks run moments apart)."""
    h = int(config["hidden_size"])
    backward = bool(config["backward"])
    common = {"backward": backward, "batch_size": BATCH, "seq_len": STEPS, "repeats": repeats,
              "warmup": WARMUP, "threads": 1, "seed": int(config["seed"]),
              "block_seconds": BLOCK_SECONDS, "cpu_time": True}
    timings = time_per_step([(h, h)], ("rnn", "gru", "lstm", PLAIN_LSTM), **common)
    course = time_course_cells_per_step([(h, h)], ("gru", "lstm"), **common)
    by_kind = {t.kind.replace("-", "_"): t for t in timings}
    by_kind.update({f"course_{t.kind}": t for t in course})
    out: dict[str, Any] = {}
    for k, t in by_kind.items():
        out[f"{k}_low"] = t.low
        out[f"{k}_median"] = t.median
        out[f"{k}_runs_per_block"] = t.runs_per_sample
    for name, a, b in (("gru_over_lstm", "gru", "lstm"),
                       ("gru_over_lstm_plain", "gru", "lstm_plain"),
                       ("lstm_plain_over_lstm", "lstm_plain", "lstm"),
                       ("course_gru_over_lstm", "course_gru", "course_lstm")):
        out[name] = by_kind[a].low / by_kind[b].low
        out[f"{name}_quartiles"] = ratio_quartiles(by_kind[a], by_kind[b])
    return out
