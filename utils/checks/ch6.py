"""Checkers for chapter 6 (``solutions/ch6_exercises.ipynb``): GRUs on real data, the details
that decide whether a padded batch, a parameter budget or a forecast is honest.

- ``masked_mean_loss(losses, lengths)``: the mean of a right-padded ``(T, N)`` array of
  per-step losses over the real frames only, :math:`\\sum_{t,i} M_{ti} \\ell_{ti} /
  \\sum_i L_i`.
- ``hn_by_layer(h_n)``: the ``(2L, N, H)`` final states ``h_n`` of a bidirectional
  ``torch.nn.GRU(..., num_layers=L)`` (rows layer by layer, each forward then backward) laid
  out as ``(L, N, 2H)``: each layer's two directions side by side, forward first, the layout of
  ``output``'s last axis.
- ``forecast_windows(y, horizon, window)``: the training pairs of a one-step-ahead forecaster
  cut from ``y[:n − horizon]`` only, standardised with that part's mean and standard
  deviation (nothing of the held-out horizon reaches the windows or the scaler).
- ``left_to_right(X, lengths)``: a left-padded batch moved to right padding, frames in order
  (what ``pack_padded_sequence`` needs).
- ``bidirectional_summary(output, lengths)``: the forward state after each sequence's last
  real frame and the backward state after its first frame, read from the ``(T, N, 2H)``
  output of ``pad_packed_sequence``: what ``h_n`` holds.

The references are tested against ``torch.nn.GRU``, ``pack_padded_sequence`` and
``utils.padding`` in ``tests/test_ch6_exercises.py``. Only NumPy and the standard library:
this module ships in the autograder bundle.
"""

from __future__ import annotations

import functools

import numpy as np

from .core import Mistake, Probe, Question, probe_rng
from .predictions import Prediction, WrongAnswer

ASSIGNMENT = "ch6_exercises"


def _real(T: int, lengths, *, side: str = "right", extra: int = 0) -> np.ndarray:
    """``(T, N)`` booleans: step t of sequence i is a real frame (``extra``: that many padded
    steps counted as real, the off-by-one mistake)."""
    L = np.asarray(lengths).astype(np.int64)
    t = np.arange(T)[:, None]
    if side == "left":
        return t >= T - L[None, :]
    return t < L[None, :] + extra


# ----------------------------------------------------------------------------------------
# References, with the flags that produce the known mistakes


def masked_mean_loss(losses, lengths, *, form: str = "right"):
    """The mean per-step loss over every real frame of a right-padded batch (0-d float64).

    ``form``: ``"plain"`` (padding included), ``"per_sequence"`` (each sequence's mean,
    then their mean), ``"divide_TN"`` (the masked sum over T·N), ``"divide_N"`` (the masked
    sum over N), ``"left"`` (the mask of a left-padded batch), ``"one_extra"`` (each
    sequence's first padded step counted as real).
    """
    ell = np.asarray(losses, dtype=np.float64)
    L = np.asarray(lengths).astype(np.int64)
    T, N = ell.shape
    if form == "plain":
        return np.asarray(ell.mean())
    real = _real(T, L, side="left" if form == "left" else "right",
                 extra=1 if form == "one_extra" else 0)
    masked = np.where(real, ell, 0.0)
    if form == "per_sequence":
        return np.asarray((masked.sum(axis=0) / L).mean())
    if form == "divide_TN":
        return np.asarray(masked.sum() / (T * N))
    if form == "divide_N":
        return np.asarray(masked.sum() / N)
    if form == "one_extra":
        return np.asarray(masked.sum() / real.sum())
    return np.asarray(masked.sum() / L.sum())


def hn_by_layer(h_n, *, form: str = "right"):
    """``(L, N, 2H)`` from ``h_n (2L, N, H)``: row ``2k + d`` is layer ``k``, direction ``d``
    (0 forward, 1 backward), as ``h_n.view(L, 2, N, H)`` in PyTorch's documentation.

    ``form``: ``"reshape"`` (``h_n.reshape(L, N, 2H)``, which mixes samples),
    ``"direction_major"`` (rows read as direction by direction), ``"backward_first"`` (the
    halves swapped), ``"top_first"`` (the layers in reverse order).
    """
    h = np.asarray(h_n, dtype=np.float64)
    two_L, N, H = h.shape
    L = two_L // 2
    if form == "reshape":
        return h.reshape(L, N, 2 * H).copy()
    by_layer = (h.reshape(2, L, N, H).transpose(1, 0, 2, 3) if form == "direction_major"
                else h.reshape(L, 2, N, H))  # (L, 2, N, H)
    fwd, bwd = by_layer[:, 0], by_layer[:, 1]
    out = np.concatenate([bwd, fwd] if form == "backward_first" else [fwd, bwd], axis=2)
    return out[::-1].copy() if form == "top_first" else out


def forecast_windows(y, horizon, window, *, form: str = "right"):
    """``(inputs (N, window), targets (N,))``, ``N = n − horizon − window``: every window of
    the training part ``y[:n − horizon]`` and the value after it, standardised with that part's
    mean and (population) standard deviation.

    ``form``: ``"scaler_all"`` (mean and std of the whole series), ``"windows_all"`` (windows
    over the whole series), ``"one_over"`` (one window more: its target is the horizon's first
    value), ``"one_short"`` (the last window dropped), ``"raw"`` (not standardised),
    ``"target_inside"`` (the target is the window's own last value), ``"ddof1"`` (the sample
    standard deviation).
    """
    y = np.asarray(y, dtype=np.float64)
    h, W = int(horizon), int(window)
    n = len(y)
    cut = n - h
    train = y[:cut]
    scale_from = y if form == "scaler_all" else train
    mu = scale_from.mean()
    s = scale_from.std(ddof=1 if form == "ddof1" else 0)
    u = (y - mu) / s if form != "raw" else y.copy()
    N = {"windows_all": n - W, "one_over": cut - W + 1, "one_short": cut - W - 1}.get(
        form, cut - W)
    idx = np.arange(N)[:, None] + np.arange(W)[None, :]  # (N, W)
    inputs = u[idx]
    targets = u[idx[:, -1]] if form == "target_inside" else u[np.arange(N) + W]
    return inputs, targets


def left_to_right(X, lengths, *, form: str = "right"):
    """A left-padded batch ``X (T, N, H_in)`` moved to right padding, frames in order.

    ``form``: ``"flip"`` (time reversed: the real frames come first, backwards),
    ``"roll_back"`` (each sequence shifted the wrong way, wrapping its frames around),
    ``"unchanged"`` (returned as given), ``"stale_tail"`` (the frames copied to the front of a
    copy of ``X``, the old values left behind them instead of zeros).
    """
    X = np.asarray(X, dtype=np.float64)
    L = np.asarray(lengths).astype(np.int64)
    T = X.shape[0]
    if form == "flip":
        return X[::-1].copy()
    if form == "unchanged":
        return X.copy()
    out = X.copy() if form == "stale_tail" else np.zeros_like(X)
    for i, length in enumerate(L):
        pad = T - int(length)
        if form == "roll_back":
            out[:, i] = np.roll(X[:, i], pad, axis=0)
        else:
            out[:int(length), i] = X[pad:, i]
    return out


def bidirectional_summary(output, lengths, *, form: str = "right"):
    """``(N, 2H)``: the forward half of ``output (T, N, 2H)`` at each sequence's last real step
    ``L_i − 1`` and the backward half at step 0 (forward first), what ``h_n`` of the packed
    run holds.

    ``form``: ``"last_padded"`` (``output[-1]``), ``"both_last"`` (both halves at ``L_i −
    1``), ``"both_first"`` (both at step 0), ``"halves_swapped"`` (forward at 0, backward at
    ``L_i − 1``), ``"backward_first"`` (the right states, backward half first).
    """
    out = np.asarray(output, dtype=np.float64)
    L = np.asarray(lengths).astype(np.int64)
    T, N, two_H = out.shape
    H = two_H // 2
    rows = np.arange(N)
    last, first = out[L - 1, rows], out[0]
    if form == "last_padded":
        return out[-1].copy()
    if form == "both_last":
        return last.copy()
    if form == "both_first":
        return first.copy()
    if form == "halves_swapped":
        return np.concatenate([first[:, :H], last[:, H:]], axis=1)
    if form == "backward_first":
        return np.concatenate([first[:, H:], last[:, :H]], axis=1)
    return np.concatenate([last[:, :H], first[:, H:]], axis=1)


# ----------------------------------------------------------------------------------------
# Probes: every list holds distinct lengths, one of them the longest (T), so that each
# known mistake differs from the answer and from every other mistake on every run.


def _lengths(rng: np.random.Generator, N: int, T: int) -> np.ndarray:
    """``N`` distinct lengths in ``[1, T]``, one of them ``T``, in a random order."""
    others = rng.choice(np.arange(1, T), size=N - 1, replace=False)
    L = np.concatenate([[T], others]).astype(np.int64)
    return L[rng.permutation(N)]


def _loss_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q6_1")

    def make(T, N, pad_value=None):
        L = _lengths(rng, N, T)
        ell = rng.uniform(0.1, 3.0, (T, N))
        if pad_value is not None:
            ell = np.where(_real(T, L), ell, pad_value)
        return {"losses": ell, "lengths": L}

    if level == "public":
        specs = [("large padding", make(6, 3, pad_value=50.0), "the padded steps",
                  "losses of 50 on every padded step, so any padding you count shows"),
                 ("random", make(9, 4), "the real frames", "random losses")]
    else:
        specs = [("random", make(int(rng.integers(5, 12)), int(rng.integers(3, 6))),
                  "the real frames", "random losses"),
                 ("random", make(int(rng.integers(12, 30)), int(rng.integers(3, 8))),
                  "the real frames", "random losses")]
    return [Probe(name, a, label, f"{given} (losses {a['losses'].shape}, lengths "
                  f"{a['lengths'].tolist()})") for name, a, label, given in specs]


def _hn_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q6_2")
    if level == "public":
        shapes = [(2, 3, 2), (3, 2, 4)]
    else:
        shapes = [(int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(1, 5)))
                  for _ in range(2)]
    out = []
    for L, N, H in shapes:
        h_n = np.tanh(rng.normal(0, 1, (2 * L, N, H)))
        out.append(Probe(f"L={L}, N={N}, H={H}", {"h_n": h_n}, "the layout",
                         f"h_n {h_n.shape} (num_layers = {L}, N = {N}, H = {H})"))
    return out


def _series(rng: np.random.Generator, n: int) -> np.ndarray:
    """A positive series with a cycle and noise, whose horizon differs from its past (so a
    scaler fitted on the whole series shows)."""
    t = np.arange(n)
    return (50 + 30 * np.sin(2 * np.pi * t / rng.uniform(8, 14)) + rng.normal(0, 5, n)
            + np.where(t >= n - n // 4, rng.uniform(20, 60), 0.0))


def _window_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q6_3")
    if level == "public":
        shapes = [(40, 6, 5), (25, 3, 4)]
    else:
        shapes = [(int(rng.integers(30, 80)), int(rng.integers(2, 12)),
                   int(rng.integers(3, 15))) for _ in range(2)]
    out = []
    for n, h, W in shapes:
        args = {"y": _series(rng, n), "horizon": np.asarray(h), "window": np.asarray(W)}
        out.append(Probe(f"n={n}, horizon={h}, window={W}", args, "the windows",
                         f"a series of n = {n} values, horizon = {h}, window = {W}"))
    return out


def _left_batch(rng: np.random.Generator, T: int, N: int, H_in: int) -> dict:
    L = _lengths(rng, N, T)
    X = rng.normal(0, 1, (T, N, H_in))
    X[~_real(T, L, side="left")] = 0.0
    return {"X": X, "lengths": L}


def _align_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q6_4")
    if level == "public":
        shapes = [(4, 2, 1), (7, 4, 3)]
    else:
        shapes = [(int(rng.integers(5, 15)), int(rng.integers(2, 6)), int(rng.integers(1, 5)))
                  for _ in range(2)]
    out = []
    for T, N, H_in in shapes:
        args = _left_batch(rng, T, N, H_in)
        out.append(Probe(f"T={T}, N={N}", args, "the moved batch",
                         f"a left-padded batch X {args['X'].shape} with lengths "
                         f"{args['lengths'].tolist()}"))
    return out


def _packed_output(rng: np.random.Generator, T: int, N: int, H: int) -> dict:
    """What ``pad_packed_sequence`` returns for a bidirectional GRU: ``(T, N, 2H)`` states in
    (−1, 1) on real steps, exact zeros past each length."""
    L = _lengths(rng, N, T)
    out = np.tanh(rng.normal(0, 1, (T, N, 2 * H)))
    out[~_real(T, L)] = 0.0
    return {"output": out, "lengths": L}


def _summary_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q6_5")
    if level == "public":
        shapes = [(3, 2, 1), (6, 4, 3)]
    else:
        shapes = [(int(rng.integers(5, 15)), int(rng.integers(2, 6)), int(rng.integers(1, 5)))
                  for _ in range(2)]
    out = []
    for T, N, H in shapes:
        args = _packed_output(rng, T, N, H)
        out.append(Probe(f"T={T}, N={N}, H={H}", args, "the summary",
                         f"output {args['output'].shape} (H = {H}) with lengths "
                         f"{args['lengths'].tolist()}"))
    return out


# ----------------------------------------------------------------------------------------
# Known mistakes


def _loss_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(masked_mean_loss, form="plain"), "that is the mean over every entry, "
                "padding included: the losses computed on the zero frames of the padding "
                "count as if they were frames of an utterance."),
        Mistake(p(masked_mean_loss, form="per_sequence"), "that is the mean of the "
                "sequences' own means: every sequence weighs the same, so one frame of a "
                "short sequence weighs more than one frame of a long one (Prediction 6.1). "
                "The question asks for the mean over frames: every real frame weighs the same."),
        Mistake(p(masked_mean_loss, form="divide_TN"), "the padding is masked out of the sum "
                "but still counted in the division: divide by the number of real frames."),
        Mistake(p(masked_mean_loss, form="divide_N"), "you divided the masked sum by the "
                "number of sequences; divide by the number of real frames."),
        Mistake(p(masked_mean_loss, form="left"), "your mask keeps the last steps of each "
                "column, the real frames of a left-padded batch; this batch is padded on the "
                "right, so its real frames are the first L_i steps."),
        Mistake(p(masked_mean_loss, form="one_extra"), "off by one: your mask keeps L_i + 1 "
                "steps of each shorter sequence. Steps 0 … L_i − 1 are real, so t < L_i."),
    )


def _hn_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(hn_by_layer, form="reshape"), "a reshape alone does not move the "
                "directions side by side: reshaping h_n to (L, N, 2H) reads each layer's two "
                "(N, H) blocks in memory order, so a sample's row takes numbers from other "
                "samples. Separate the directions first, then concatenate them along the last "
                "axis."),
        Mistake(p(hn_by_layer, form="direction_major"), "you read h_n as all forward layers "
                "and then all backward ones; PyTorch stacks it layer by layer, each layer's "
                "forward row then its backward row (h_n.view(num_layers, 2, N, H))."),
        Mistake(p(hn_by_layer, form="backward_first"), "the halves are swapped: the forward "
                "direction comes first, as in output's last axis."),
        Mistake(p(hn_by_layer, form="top_first"), "the layers are in reverse order: h_n "
                "starts with the first layer (the one that reads the input) and ends with the "
                "top one."),
    )


def _window_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(forecast_windows, form="scaler_all"), "the mean and standard deviation come "
                "from the whole series, horizon included: the level and spread of the values "
                "you must forecast leak into every training window. Fit them on the training "
                "part only."),
        Mistake(p(forecast_windows, form="windows_all"), "your windows run over the whole "
                "series, so the last targets are values of the held-out horizon: the model "
                "trains on what it must forecast."),
        Mistake(p(forecast_windows, form="one_over"), "one window too many: the last one's "
                "target is the first value of the horizon. The last target allowed is the "
                "last value before the cut."),
        Mistake(p(forecast_windows, form="one_short"), "one window too few: the last window, "
                "whose target is the last value before the cut, is missing."),
        Mistake(p(forecast_windows, form="raw"), "the windows are not standardised: subtract "
                "the training part's mean and divide by its standard deviation."),
        Mistake(p(forecast_windows, form="target_inside"), "each target is the last value of "
                "its own window; it is the value right after the window (one step ahead)."),
        Mistake(p(forecast_windows, form="ddof1"), "you used the sample standard deviation "
                "(ddof = 1); the statement asks for the population one, NumPy's default."),
    )


def _align_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(left_to_right, form="flip"), "reversing time puts the real frames first, "
                "but backwards: the GRU would read each utterance from its end. Move the frames "
                "without changing their order."),
        Mistake(p(left_to_right, form="roll_back"), "each sequence moved the wrong way: its "
                "frames wrapped around past the end. They must move towards step 0, by the "
                "number of padded steps in front of them."),
        Mistake(p(left_to_right, form="unchanged"), "the batch came back unchanged (still "
                "padded on the left)."),
        Mistake(p(left_to_right, form="stale_tail"), "the frames moved to the front, but the "
                "steps after them still hold the old values: every step past L_i must be zero "
                "(start from an array of zeros, not from a copy of X)."),
    )


def _summary_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(bidirectional_summary, form="last_padded"), "`output[-1]` is zero for every "
                "sequence shorter than T: pad_packed_sequence fills the steps past each length "
                "with zeros (Prediction 6.4)."),
        Mistake(p(bidirectional_summary, form="both_last"), "the forward half is right, but "
                "the backward half at step L_i − 1 is the backward GRU after one frame (it "
                "starts at the last real frame): it has read the whole sequence at step 0."),
        Mistake(p(bidirectional_summary, form="both_first"), "the backward half is right, but "
                "the forward half at step 0 has read one frame; it has read the whole "
                "sequence at its last real step."),
        Mistake(p(bidirectional_summary, form="halves_swapped"), "the directions are read at "
                "each other's ends: the forward GRU finishes at the last real step, the "
                "backward one at step 0."),
        Mistake(p(bidirectional_summary, form="backward_first"), "the right states, in the "
                "wrong order: the forward direction's half comes first, as in h_n and in "
                "output's last axis."),
    )


def _hint(*steps: str) -> tuple[str, ...]:
    """A stepped hint: each call of ``hint(...)`` shows one more step."""
    return tuple(" ".join(step.split()) for step in steps)


QUESTIONS: list[Question] = [
    Question(
        name="q6_1", func_name="masked_mean_loss",
        title="Exercise 6.1: a mean loss that ignores the padding",
        hint=_hint("""Build a (T, N) mask that says which entries are real frames; the lengths
say how many steps of each column are real, counted from step 0.""", """Keep the losses
where the mask holds and zero elsewhere; then ask how many numbers you are averaging: every
real frame once, whatever sequence it belongs to."""),
        probes=_loss_probes, reference=masked_mean_loss, mistakes=_loss_mistakes(),
        output_names=("loss",), points={"public": 1, "hidden": 1},
        every_probe="the mask, the division"),
    Question(
        name="q6_2", func_name="hn_by_layer",
        title="Exercise 6.2: reading h_n of a stacked, bidirectional GRU",
        hint=_hint("""Give every row of h_n two labels, a layer and a direction, in the order
PyTorch's documentation of torch.nn.GRU gives for h_n.""", """Once each (layer, direction)
has an index of its own, build the result in two moves: first split the rows by direction,
then join the two directions of each layer along the last axis. Which single NumPy call would
join them, and which would only look as if it did?"""),
        probes=_hn_probes, reference=hn_by_layer, mistakes=_hn_mistakes(),
        output_names=("states",), points={"public": 1, "hidden": 1},
        every_probe="the order of h_n's rows and how the halves are joined"),
    Question(
        name="q6_3", func_name="left_to_right",
        title="Exercise 6.3: fixing a left-padded batch for packing",
        hint=_hint("""Packing takes the first L_i steps of each column. Where are a
left-padded sequence's real frames, and where must they go?""", """Each column moves on its
own, by how much padding stands in front of it; the frames keep their order, and zeros fill
the end."""),
        probes=_align_probes, reference=left_to_right, mistakes=_align_mistakes(),
        output_names=("X_right",), points={"public": 1, "hidden": 1},
        every_probe="how far and which way each sequence moves"),
    Question(
        name="q6_4", func_name="bidirectional_summary",
        title="Exercise 6.4: the final states of a bidirectional GRU, from its padded output",
        hint=_hint("""Each direction has its own half of the last axis, and each finishes its
reading at a different end of the sequence.""", """For each direction, ask after which step
it has read every real frame of sequence i. Does that step depend on i for both directions,
or for one only? Where it does, you need a different step for each sequence in one
indexing operation."""),
        probes=_summary_probes, reference=bidirectional_summary, mistakes=_summary_mistakes(),
        output_names=("summary",), points={"public": 1, "hidden": 1},
        every_probe="the step you read for each direction, the halves"),
    Question(
        name="q6_5", func_name="forecast_windows",
        title="Exercise 6.5: training windows that never see the horizon",
        hint=_hint("""Cut first, then do everything else on the part before the cut: the
statistics of the scaler and the windows alike.""", """A window of `window` values is
followed by its target. The last pair allowed ends with the last value before the cut; count
how many start positions that leaves."""),
        probes=_window_probes, reference=forecast_windows, mistakes=_window_mistakes(),
        output_names=("inputs", "targets"), points={"public": 1, "hidden": 1},
        every_probe="the cut, the scaler, the window positions"),
]


PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p6_1", var_name="predicted_weight_ratio",
        title="Prediction 6.1: how much one frame weighs in a mean of means",
        kind="number", answer=29 / 7, rtol=0.05, unit="times",
        explanation="In the mean of the two sequences' means, each sequence weighs 1/2, shared "
                    "among its frames: a frame of the 7-frame utterance weighs 1/(2·7), one of "
                    "the 29-frame utterance 1/(2·29), 29/7 ≈ 4.1 times less. The mean over "
                    "frames weighs every real frame 1/36 alike. Neither is wrong in itself, "
                    "but they are different losses; Exercise 6.1 asks for the mean over frames.",
        mistakes=(WrongAnswer(7 / 29, "That is the ratio the other way round: the short "
                              "utterance's frames share its half among fewer frames, so each "
                              "weighs more."),
                  WrongAnswer(1.0, "They weigh the same in the mean over frames; in the mean of "
                              "the means each sequence weighs the same, not each frame.")),
        hint=("How much does each whole sequence weigh in a mean of two means? Share that "
              "among its frames.",
              "Write the weight of one frame of each utterance as a fraction; the answer is "
              "their ratio, the short utterance's frame over the long one's."),
        reveals="q6_1"),
    Prediction(
        name="p6_2", var_name="predicted_hn_row",
        title="Prediction 6.2: where h_n keeps the second layer's backward state",
        kind="choice", answer="h_n[3]", options=("h_n[1]", "h_n[3]", "h_n[4]", "h_n[5]"),
        explanation="h_n[3]. PyTorch stacks h_n layer by layer, and within a layer forward "
                    "then backward: row 2k + d is layer k's direction d "
                    "(h_n.view(num_layers, 2, N, H)). The second layer is k = 1 and backward "
                    "is d = 1: row 3. The top layer's two directions, the ones a classifier "
                    "usually reads, are the last two rows, h_n[-2] and h_n[-1]. Exercise 6.2 "
                    "lays every layer out that way.",
        mistakes=(WrongAnswer("h_n[4]", "That reads h_n direction by direction (all three "
                              "forward layers, then the backward ones); PyTorch interleaves "
                              "them layer by layer."),
                  WrongAnswer("h_n[1]", "That is the first layer's backward state: the layers "
                              "count from the one that reads the input, and the second layer "
                              "is k = 1, after the first layer's two rows."),
                  WrongAnswer("h_n[5]", "That is the top (third) layer's backward state.")),
        hint=("h_n holds one row per (layer, direction): six rows here. In which order does "
              "PyTorch's documentation say they come?",
              "Number the layers from the one that reads the input, starting at 0. Which rows "
              "does the first layer take, and which the second?"),
        reveals="q6_2"),
    Prediction(
        name="p6_3", var_name="predicted_packed_frames",
        title="Prediction 6.3: what packing a left-padded batch feeds the GRU",
        kind="choice", answer="9 zeros, then its first 11 frames",
        options=("all 20 of its frames", "9 zeros, then its first 11 frames",
                 "its last 11 frames", "20 zeros"),
        explanation="pack_padded_sequence takes the first L_i = 20 steps of the column, "
                    "trusting that the padding is at the end. In a left-padded batch those are "
                    "the 9 padded steps and then the utterance's first 11 frames: its last 9 "
                    "frames are never read, and the state starts after 9 steps of zeros. The "
                    "chapter measured what that costs; Exercise 6.3 moves the frames where "
                    "packing expects them.",
        mistakes=(WrongAnswer("all 20 of its frames", "Packing does not look at the values: it "
                              "takes the first L_i steps of each column, wherever the padding "
                              "is."),
                  WrongAnswer("its last 11 frames", "Packing reads from step 0: the 9 padded "
                              "steps come first, and then the start of the utterance."),
                  WrongAnswer("20 zeros", "The column holds only 9 padded steps; after them "
                              "the utterance begins.")),
        hint=("Which steps of each column does packing keep? Where, in this column, is the "
              "padding?",
              "Packing keeps steps 0 to L_i − 1 of the column. Count how many of those are "
              "padding here, and which frames of the utterance fill the rest."),
        reveals="q6_3"),
    Prediction(
        name="p6_4", var_name="predicted_last_row",
        title="Prediction 6.4: what output[-1] holds after pad_packed_sequence",
        kind="choice", answer="zeros",
        options=("its last real state", "the state after the padding", "zeros"),
        explanation="Zeros. The packed run never computes a step past a sequence's length, "
                    "and pad_packed_sequence fills those steps with padding_value, 0 by "
                    "default. So output[-1] is a real state only for the longest sequences; a "
                    "classifier on it reads zeros for the others. The states you want are "
                    "elsewhere in output (Exercise 6.4), or in h_n.",
        mistakes=(WrongAnswer("its last real state", "output is indexed by step, and step T − 1 "
                              "is past the end of every shorter sequence."),
                  WrongAnswer("the state after the padding", "That is what a run without "
                              "packing gives. With packing the GRU never reads the padding.")),
        hint=("Does the packed run compute anything for steps past a sequence's length? What "
              "does unpacking put there?",
              "Read the documentation of pad_packed_sequence: which argument fills the steps "
              "no sequence reached, and what is its default?"),
        reveals="q6_4"),
    Prediction(
        name="p6_5", var_name="predicted_windows",
        title="Prediction 6.5: how many training windows the earliest forecast may use",
        kind="number", answer=232, unit="windows",
        explanation="From the earliest origin the model may know the 254 yearly values "
                    "1700–1953 and nothing later: 1954–1964 is the horizon, and the years after "
                    "it are the future too. A pair is 22 values and the one after them, so its "
                    "first value can be any of the first 254 − 22 = 232 positions: the last "
                    "pair's target is 1953.",
        mistakes=(WrongAnswer(276, "That holds out only the last 11 values of the whole series "
                              "(2008's forecast): from 1954 on every year is the future, not "
                              "only the 11 years forecast."),
                  WrongAnswer(287, "That counts windows over the whole series, 1954–2008 "
                              "included: the model would train on the years it forecasts."),
                  WrongAnswer(233, "One too many: the last of those windows has 1954, the "
                              "horizon's first value, as its target."),
                  WrongAnswer(254, "That is the number of training values, not of windows: "
                              "each window needs 22 values before its target."),
                  WrongAnswer(231, "One too few: a window whose target is 1953, the last "
                              "training value, is allowed.")),
        hint=("Which is the last value a training target may be? Count the windows that end "
              "right before it, or earlier.",
              "Number the known values from 0. A pair's first value can start at position 0; "
              "what is the last start position whose target is still a known value?"),
        reveals="q6_5"),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 6 says none of them.
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q6_1": (r"sum[^.]{0,40}m_?t?,?i?[^.]{0,30}/sum[^.]{0,20}m_",
             r"dividedbythenumberofrealframes", r"masked(mean|loss)[^.]{0,40}=sum"),
    "q6_2": (r"view\(num_layers,2", r"h_n\[-2\][^.]{0,40}h_n\[-1\]",
             r"layerbylayer[^.]{0,60}forward[^.]{0,20}backward"),
    "q6_5": (r"232(training)?windows", r"windows[^.]{0,40}1954[^.]{0,40}232"),
    "q6_3": (r"(move|shift)\w*[^.]{0,40}(realframes|frames)[^.]{0,40}"
             r"(tothefront|tothestart|totheleft)", r"np\.roll|torch\.roll"),
    "q6_4": (r"output\[-1\][^.]{0,60}zero",
             r"backward(half|direction)[^.]{0,80}(step0|firststep|output\[0)"),
}
