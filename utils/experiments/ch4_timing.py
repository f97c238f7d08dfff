"""Chapter 4's timing sweep: ``torch.nn.GRU`` vs ``torch.nn.LSTM`` (and ``RNN``) per step.

``python -m utils.experiments ch4_timing`` times, for hidden sizes 8 … 1024 (input size =
hidden size, batch 16, 32 steps, one thread, 15 repeats after 2 warm-ups, kinds interleaved),
the forward pass alone and forward + backward, with ``utils.costs.time_per_step``, the LSTM
twice: with oneDNN (the CPU default) and without (``"lstm-plain"``); and the
course's step-by-step GRU and LSTM cells (``utils.torch_cells``, 15 repeats,
``utils.costs.time_course_cells_per_step``). Times are
machine-dependent: the file records where they were measured, and no test compares them.
"""

from __future__ import annotations

from typing import Any

from utils.costs import PLAIN_LSTM, ratio_quartiles, time_course_cells_per_step, time_per_step

DESCRIPTION = "time per step of torch.nn RNN / GRU / LSTM on CPU (chapter 4)"

HIDDEN_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
CONFIGS: list[dict[str, Any]] = [
    {"hidden_size": h, "backward": backward, "seed": 0}
    for backward in (False, True) for h in HIDDEN_SIZES
]
QUICK: list[dict[str, Any]] = [{"hidden_size": 32, "backward": False, "seed": 0}]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Seconds per step of each kind (median and fastest of the repeats) and GRU / LSTM
    ratios: of the fastest runs, and quartiles of the ratio repeat by repeat (the kinds are
    interleaved, so each repeat compares runs made moments apart)."""
    h = int(config["hidden_size"])
    backward = bool(config["backward"])
    timings = time_per_step([(h, h)], ("rnn", "gru", "lstm", PLAIN_LSTM), backward=backward,
                            batch_size=16, seq_len=32, repeats=15, warmup=2, threads=1,
                            seed=int(config["seed"]))
    by_kind = {t.kind.replace("-", "_"): t for t in timings}
    out: dict[str, Any] = {f"{k}_seconds": t.median for k, t in by_kind.items()}
    out.update({f"{k}_spread": round(t.spread, 4) for k, t in by_kind.items()})
    out.update({f"{k}_fastest": min(t.seconds) for k, t in by_kind.items()})
    out["gru_over_lstm"] = out["gru_seconds"] / out["lstm_seconds"]
    out["gru_over_lstm_fastest"] = out["gru_fastest"] / out["lstm_fastest"]
    out["gru_over_lstm_quartiles"] = ratio_quartiles(by_kind["gru"], by_kind["lstm"])
    out["gru_over_lstm_plain_quartiles"] = ratio_quartiles(by_kind["gru"], by_kind["lstm_plain"])
    course = time_course_cells_per_step([(h, h)], ("gru", "lstm"), backward=backward,
                                        batch_size=16, seq_len=32, repeats=15, warmup=2,
                                        threads=1, seed=int(config["seed"]))
    out.update({f"course_{t.kind}_fastest": min(t.seconds) for t in course})
    out["course_gru_over_lstm_fastest"] = (out["course_gru_fastest"]
                                           / out["course_lstm_fastest"])
    out["course_gru_over_lstm_quartiles"] = ratio_quartiles(*course)
    return out
