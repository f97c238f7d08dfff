"""Checkers for chapter 4 (``solutions/ch4_exercises.ipynb``): one LSTM step, the CIFG step,
the GRU size an LSTM budget affords, Chung et al.'s LSTM count, and concatenated weights →
PyTorch's.

PyTorch's LSTM (gates stacked i | f | g | o in ``weight_ih (4H, H_in)``, ``weight_hh (4H, H)``,
``bias_ih (4H,)``, ``bias_hh (4H,)``):

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)      f_t = σ(... rows H:2H ...)
    g_t = tanh(... rows 2H:3H ...)                        o_t = σ(... rows 3H:4H ...)
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t                       h_t = o_t ⊙ tanh(c_t)

The references are tested against ``torch.nn.LSTMCell`` in float64 (``tests/test_checks_ch4.py``);
each known mistake is a small variation of them, with the message a learner sees.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict, probe_rng, separating_pairs

ASSIGNMENT = "ch4_exercises"
LSTM_GATES = ("i", "f", "g", "o")
GATE_NAMES = {"i": "input gate i_t", "f": "forget gate f_t", "g": "candidate g_t",
              "o": "output gate o_t"}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------------------
# References and their known-wrong variants


def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, *,
              order=(0, 1, 2, 3), gate_act: Callable = _sigmoid, cand_act: Callable = np.tanh,
              out_tanh: bool = True, c_from: str = "c", h_from: str = "c_t",
              b_ih: bool = True, b_hh: bool = True, swap_out: bool = False):
    """``(h_t, c_t)`` of ``torch.nn.LSTMCell``; the keywords produce the known mistakes.

    ``order`` gives the row blocks read as i, f, g, o; ``c_from="h"`` scales ``h_prev``
    instead of ``c_prev``; ``h_from="c_prev"`` squashes the old cell state; ``out_tanh=False``
    forgets the tanh of the output; ``swap_out`` returns ``(c_t, h_t)``.
    """
    H = weight_hh.shape[1]
    a = x_t @ weight_ih.T + h_prev @ weight_hh.T  # (N, 4H)
    if b_ih:
        a = a + bias_ih
    if b_hh:
        a = a + bias_hh
    blocks = [a[:, k * H:(k + 1) * H] for k in range(4)]
    i_t, f_t, o_t = (gate_act(blocks[order[k]]) for k in (0, 1, 3))
    g_t = cand_act(blocks[order[2]])
    c_t = f_t * (h_prev if c_from == "h" else c_prev) + i_t * g_t
    squashed = c_prev if h_from == "c_prev" else c_t
    h_t = o_t * (np.tanh(squashed) if out_tanh else squashed)
    return (c_t, h_t) if swap_out else (h_t, c_t)


def cifg_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias, *, order=(0, 1, 2),
              couple: str = "1-i", out_tanh: bool = True, use_bias: bool = True):
    """``(h_t, c_t)`` of the coupled input-forget gate LSTM, blocks stacked i | g | o, one bias.

    ``couple``: ``"1-i"`` (right, f = 1 − i), ``"i"`` (f = i), ``"swap"``
    (c = i ⊙ c + (1 − i) ⊙ g), ``"none"`` (f = 1, nothing forgotten).
    """
    H = weight_hh.shape[1]
    a = x_t @ weight_ih.T + h_prev @ weight_hh.T  # (N, 3H)
    if use_bias:
        a = a + bias
    blocks = [a[:, k * H:(k + 1) * H] for k in range(3)]
    i_t = _sigmoid(blocks[order[0]])
    g_t = np.tanh(blocks[order[1]])
    o_t = _sigmoid(blocks[order[2]])
    if couple == "1-i":
        c_t = (1.0 - i_t) * c_prev + i_t * g_t
    elif couple == "i":
        c_t = i_t * c_prev + i_t * g_t
    elif couple == "swap":
        c_t = i_t * c_prev + (1.0 - i_t) * g_t
    else:
        c_t = c_prev + i_t * g_t
    h_t = o_t * (np.tanh(c_t) if out_tanh else c_t)
    return h_t, c_t


def _count(kind: str, input_size: int, hidden: int, biases: int = 2) -> int:
    g = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    return g * (hidden * input_size + hidden * hidden + biases * hidden)


def gru_hidden_for_lstm_budget(input_size, lstm_hidden, *, mode: str = "right"):
    """The largest GRU hidden size whose PyTorch count is ≤ the LSTM's (an integer, 0-d)."""
    i, h = int(input_size), int(lstm_hidden)
    if mode == "three_quarters":
        return np.asarray(int(0.75 * h))
    if mode == "sqrt":
        return np.asarray(int(h * math.sqrt(4 / 3)))
    biases = 1 if mode == "one_bias" else 2
    budget = _count("lstm", i, h, biases)
    if mode == "no_input":
        budget, i = _count("lstm", 1, h, 2) - 4 * h, 0  # 4(h² + 2h), inputs ignored
    H = 1
    cmp = (lambda c: c < budget) if mode == "strict" else (lambda c: c <= budget)
    while cmp(3 * ((H + 1) * i + (H + 1) ** 2 + biases * (H + 1))):
        H += 1
    if mode == "plus_one":
        H += 1
    if mode == "nearest":
        lo = 3 * (H * i + H * H + 2 * H)
        hi = 3 * ((H + 1) * i + (H + 1) ** 2 + 2 * (H + 1))
        if abs(hi - budget) < abs(budget - lo):
            H += 1
    return np.asarray(H)


def chung_lstm_params(input_size, hidden_size, *, biases: int = 1, peep: str = "diag"):
    """Chung et al.'s LSTM count: ``4(H·H_in + H² + H) + 3H`` (one bias, diagonal peepholes)."""
    i, h = int(input_size), int(hidden_size)
    extra = {"diag": 3 * h, "none": 0, "four": 4 * h, "full": 3 * h * h}[peep]
    return np.asarray(4 * (h * i + h * h + biases * h) + extra)


def concat_to_torch(W, b, hidden_size, *, order: str = "xh", wrong_split: bool = False,
                    bias: str = "ih"):
    """Normalised ``(weight_ih, weight_hh, bias_ih + bias_hh, 0)`` from ``W · [x, h] + b``
    (``order="xh"``, the exercise) or ``W · [h, x] + b`` (``order="hx"``, the chapter).

    The checker compares the sum of the two biases (PyTorch only ever adds them), so any
    split of ``b`` is right; ``bias="both"`` is the mistake of putting ``b`` in each.
    ``wrong_split`` cuts the columns at the other block's width.
    """
    H = int(hidden_size)
    H_in = W.shape[1] - H
    first_width = H_in if order == "xh" else H
    if wrong_split:
        first_width = W.shape[1] - first_width
    first, second = W[:, :first_width], W[:, first_width:]
    weight_ih, weight_hh = (first, second) if order == "xh" else (second, first)
    total = 2 * b if bias == "both" else (np.zeros_like(b) if bias == "none" else b)
    return (np.array(weight_ih, dtype=np.float64), np.array(weight_hh, dtype=np.float64),
            np.array(total, dtype=np.float64), np.zeros_like(b, dtype=np.float64))


# ----------------------------------------------------------------------------------------
# Question types that normalise what the learner returns before the usual checks


@dataclasses.dataclass(frozen=True)
class BiasSumQuestion(Question):
    """PyTorch adds ``bias_ih`` and ``bias_hh``: only their sum is checked (any split is right)."""

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        fixed = []
        for o in outcomes:
            if o.kind == "value" and isinstance(o.value, list) and len(o.value) == 4 and all(
                    isinstance(v, np.ndarray) and v.dtype.kind in "iuf" for v in o.value) \
                    and o.value[2].shape == o.value[3].shape:
                w_ih, w_hh, b_ih, b_hh = o.value
                o = dataclasses.replace(o, value=[w_ih, w_hh, (b_ih + b_hh).astype(b_ih.dtype),
                                                  np.zeros_like(b_hh)])
            fixed.append(o)
        return super().diagnose(level, fixed)


# ----------------------------------------------------------------------------------------
# Probes (every random input drawn from probe_rng)


def _lstm_params(rng, H_in, H, G=4, scale=0.8, two_biases=True):
    p = {"weight_ih": rng.uniform(-scale, scale, (G * H, H_in)),
         "weight_hh": rng.uniform(-scale, scale, (G * H, H))}
    if two_biases:
        p["bias_ih"] = rng.uniform(-scale, scale, G * H)
        p["bias_hh"] = rng.uniform(-scale, scale, G * H)
    else:
        p["bias"] = rng.uniform(-scale, scale, G * H)
    return p


def _step_probes(level: str, *, salt: str, cifg: bool) -> list[Probe]:
    rng = probe_rng(level, salt)
    G = 3 if cifg else 4

    def make(N, H_in, H, *, x=True, h=True, c=True, b=True):
        p = _lstm_params(rng, H_in, H, G=G, two_biases=not cifg)
        if not b:
            for k in p:
                if k.startswith("bias"):
                    p[k][:] = 0.0
        args = {"x_t": rng.normal(0, 1, (N, H_in)) if x else np.zeros((N, H_in)),
                "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H)),
                "c_prev": rng.normal(0, 1.5, (N, H)) if c else np.zeros((N, H))}
        return args | p

    def shapes(a):
        return ", ".join(f"{k} {a[k].shape}" for k in ("x_t", "h_prev", "c_prev"))

    if level == "public":
        specs = [
            ("biases only", make(2, 4, 4, x=False, h=False, c=False), "the bias terms",
             "x_t = 0, h_prev = 0 and c_prev = 0 (only the biases act)"),
            ("input term", make(2, 4, 4, h=False, c=False, b=False), "the input terms W_i· x_t",
             "h_prev = 0, c_prev = 0 and zero biases (only the input terms act)"),
            ("hidden term", make(2, 4, 4, x=False, c=False, b=False),
             "the recurrent terms W_h· h_prev",
             "x_t = 0, c_prev = 0 and zero biases (only the recurrent terms act)"),
            ("old cell state", make(2, 4, 4, x=False, h=False), "the path of c_prev",
             "x_t = 0 and h_prev = 0, c_prev ≠ 0 (the gates are set by the biases alone)"),
            ("all terms", make(3, 3, 5), "the combination of the terms", None),
        ]
    else:
        specs = [("batch of one", make(1, 5, 2), "the combination of the terms", None),
                 ("wide input", make(4, 7, 3), "the combination of the terms", None),
                 ("square", make(5, 6, 6), "the combination of the terms", None)]
    return [Probe(name, args, label, f"{given or 'random inputs'} ({shapes(args)})")
            for name, args, label, given in specs]


def _budget_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_3")
    if level == "public":
        pairs = [(20, 195), (8, 16), (1, 1), (100, 36)]
    else:
        pairs = [(int(rng.integers(1, 300)), int(rng.integers(1, 600))) for _ in range(4)]
    # one bias per block, or the nearest count, changes the answer only at some sizes: add
    # small sizes at which each mistake differs from the answer and the other mistakes
    answers = [lambda i, h, kw=kw: int(gru_hidden_for_lstm_budget(i, h, **kw))
               for kw in [{}, *(m.fn.keywords for m in _budget_mistakes())]]
    pairs = separating_pairs(rng, answers, pairs, 1, 60)
    return [Probe(f"H_in={i}, H_lstm={h}", {"input_size": np.asarray(i),
                                            "lstm_hidden": np.asarray(h)},
                  "the hidden size", f"input_size = {i}, lstm_hidden = {h}")
            for i, h in pairs]


def _chung_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_4")
    if level == "public":
        pairs = [(20, 195), (1, 1), (100, 36)]
    else:
        pairs = [(int(rng.integers(1, 300)), int(rng.integers(1, 500))) for _ in range(3)]
    return [Probe(f"H_in={i}, H={h}", {"input_size": np.asarray(i),
                                       "hidden_size": np.asarray(h)},
                  "the count", f"input_size = {i}, hidden_size = {h}")
            for i, h in pairs]


def _concat_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_5")
    sizes = [(3, 5), (4, 2)] if level == "public" else [(1, 1), (6, 3), (2, 7)]
    probes = []
    for H_in, H in sizes:
        args = {"W": rng.normal(0, 0.5, (4 * H, H + H_in)), "b": rng.normal(0, 0.5, 4 * H),
                "hidden_size": np.asarray(H)}
        probes.append(Probe(f"H_in={H_in}, H={H}", args, "the conversion",
                            f"W of shape {args['W'].shape} = (4H, H_in + H) with H = {H}, "
                            f"H_in = {H_in}"))
    return probes


# ----------------------------------------------------------------------------------------
# Known mistakes, each with what the learner reads


def _lstm_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    swaps = []
    for a, b in ((0, 1), (2, 3), (1, 3), (0, 3), (1, 2), (0, 2)):
        order = list(range(4))
        order[a], order[b] = order[b], order[a]
        ga, gb = LSTM_GATES[a], LSTM_GATES[b]
        swaps.append(Mistake(p(lstm_step, order=tuple(order)),
                             f"the {GATE_NAMES[ga]} and the {GATE_NAMES[gb]} are swapped: "
                             "PyTorch stacks the blocks i | f | g | o (rows 0:H input gate, "
                             "H:2H forget gate, 2H:3H candidate, 3H:4H output gate)."))
    return tuple(swaps) + (
        Mistake(p(lstm_step, swap_out=True), "you returned (c_t, h_t); return (h_t, c_t), "
                "the order of torch.nn.LSTMCell."),
        Mistake(p(lstm_step, c_from="h"), "the forget gate scales the wrong state: "
                "c_t = f_t ⊙ c_prev + i_t ⊙ g_t uses the old *cell* state c_prev, "
                "not h_prev."),
        Mistake(p(lstm_step, h_from="c_prev"), "h_t squashes the old cell state: the output "
                "is h_t = o_t ⊙ tanh(c_t), with the new c_t."),
        Mistake(p(lstm_step, out_tanh=False), "h_t = o_t ⊙ c_t is missing the tanh: the output "
                "is h_t = o_t ⊙ tanh(c_t)."),
        Mistake(p(lstm_step, gate_act=np.tanh, cand_act=_sigmoid), "sigmoid and tanh are "
                "swapped: the gates i_t, f_t, o_t use σ, the candidate g_t uses tanh."),
        Mistake(p(lstm_step, cand_act=_sigmoid), "the candidate g_t uses σ; it should use "
                "tanh, so that it can write negative values into the cell."),
        Mistake(p(lstm_step, gate_act=np.tanh), "the gates use tanh; i_t, f_t and o_t use σ, "
                "so they lie in (0, 1)."),
        Mistake(p(lstm_step, b_ih=False, b_hh=False), "the biases are missing: add bias_ih "
                "and bias_hh (both, per block)."),
        Mistake(p(lstm_step, b_ih=False), "bias_ih is missing (PyTorch adds both biases)."),
        Mistake(p(lstm_step, b_hh=False), "bias_hh is missing (PyTorch adds both biases)."),
    )


def _cifg_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(cifg_step, couple="i"), "the forget gate equals the input gate; in the "
                "CIFG it is its complement, f_t = 1 − i_t."),
        Mistake(p(cifg_step, couple="swap"), "the coupling is the wrong way round: "
                "c_t = (1 − i_t) ⊙ c_prev + i_t ⊙ g_t (i_t writes, 1 − i_t keeps)."),
        Mistake(p(cifg_step, couple="none"), "nothing is forgotten: in the CIFG the old cell "
                "state is scaled by f_t = 1 − i_t."),
        Mistake(p(cifg_step, order=(0, 2, 1)), "the candidate and the output gate are swapped: "
                "this CIFG stacks its blocks i | g | o."),
        Mistake(p(cifg_step, order=(1, 0, 2)), "the input gate and the candidate are swapped: "
                "this CIFG stacks its blocks i | g | o."),
        Mistake(p(cifg_step, out_tanh=False), "h_t = o_t ⊙ c_t is missing the tanh."),
        Mistake(p(cifg_step, use_bias=False), "the bias is missing."),
    )


def _budget_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(gru_hidden_for_lstm_budget, mode="three_quarters"), "3/4 is the ratio of the "
                "*parameter counts* at the same H, not of the hidden sizes: the count grows "
                "like H², so the GRU affords more than 3/4 of the LSTM's units. Solve "
                "3(H·H_in + H² + 2H) ≤ budget for H."),
        Mistake(p(gru_hidden_for_lstm_budget, mode="sqrt"), "scaling H by √(4/3) ignores the "
                "input weights and the biases, which grow like H, not H²: count exactly."),
        Mistake(p(gru_hidden_for_lstm_budget, mode="plus_one"), "one too many: your GRU's "
                "count exceeds the LSTM's budget. Take the largest H that still fits."),
        Mistake(p(gru_hidden_for_lstm_budget, mode="nearest"), "you took the H whose count is "
                "nearest the budget, which may exceed it; the question asks for the largest "
                "H whose count does not exceed it."),
        Mistake(p(gru_hidden_for_lstm_budget, mode="one_bias"), "you counted one bias vector "
                "per block; PyTorch keeps two (bias_ih and bias_hh), so each block of the LSTM "
                "and of the GRU has 2H biases."),
    )


def _chung_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(chung_lstm_params, peep="none"), "the peepholes are missing: Chung et al.'s "
                "LSTM has three diagonal peephole vectors (input, forget, output gates), 3H."),
        Mistake(p(chung_lstm_params, biases=2), "two biases per block is PyTorch's convention; "
                "the paper's count has one bias per gate and candidate."),
        Mistake(p(chung_lstm_params, biases=2, peep="none"), "that is PyTorch's count "
                "(two biases, no peepholes), which is also what four peepholes and one bias "
                "give; the paper has one bias per gate and peepholes on the three gates only, "
                "3H."),
        Mistake(p(chung_lstm_params, peep="full"), "the peepholes are diagonal: one weight per "
                "unit and gate (3H), not full H × H matrices."),
        Mistake(p(chung_lstm_params, biases=0), "the biases are missing: the paper's equations "
                "leave them out, but its count has one per gate and candidate, 4H."),
    )


def _concat_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(concat_to_torch, order="hx"), "the column blocks are swapped: this W "
                "multiplies [x_t, h_{t−1}], x_t first, so its first H_in columns are weight_ih "
                "and its last H columns weight_hh (the chapter's W had h_{t−1} first)."),
        Mistake(p(concat_to_torch, wrong_split=True), "you split W at column H; the first "
                "block multiplies x_t, so it has H_in columns."),
        Mistake(p(concat_to_torch, bias="both"), "you put b in both bias_ih and bias_hh: "
                "PyTorch adds the two, so the gates would see 2b. Split b so the two sum to it "
                "(for instance all of it in one and zeros in the other)."),
        Mistake(p(concat_to_torch, bias="none"), "the bias is lost: bias_ih + bias_hh must sum "
                "to b."),
    )


def _hint(lines: str) -> str:
    return lines.strip()


QUESTIONS: list[Question] = [
    Question(
        name="q4_1", func_name="lstm_cell_step", title="Exercise 4.1: one LSTM step",
        hint=_hint("""
Compute all four pre-activations with one product each for x_t and h_prev, then cut them
into four blocks of H columns, in PyTorch's order. Ask of each block which nonlinearity keeps
it in the right range: a gate is a share between 0 and 1, the candidate is a value that may be
negative. The new cell state mixes two things: what the forget gate keeps of the *old cell*,
and what the input gate lets in of the candidate. The output gate then looks at a squashed
copy of the *new* cell.
"""),
        probes=functools.partial(_step_probes, salt="q4_1", cifg=False),
        reference=lstm_step, mistakes=_lstm_mistakes(),
        output_names=("h_t", "c_t"), points={"public": 1, "hidden": 2},
        every_probe="the activations, the rows you slice, the order of the outputs"),
    Question(
        name="q4_2", func_name="cifg_step", title="Exercise 4.2: the coupled-gate (CIFG) step",
        hint=_hint("""
This cell has three blocks, stacked input gate, candidate, output gate, and one bias. There is
no forget-gate block: the forget gate is derived from the input gate so that what is written
and what is kept share one budget. If the input gate opens fully, how much of the old cell can
survive? The rest of the step is the LSTM's.
"""),
        probes=functools.partial(_step_probes, salt="q4_2", cifg=True),
        reference=cifg_step, mistakes=_cifg_mistakes(),
        output_names=("h_t", "c_t"), points={"public": 1, "hidden": 1},
        every_probe="the activations, the rows you slice, the order of the outputs"),
    Question(
        name="q4_3", func_name="gru_hidden_for_lstm_budget",
        title="Exercise 4.3: the GRU an LSTM's budget buys",
        hint=_hint("""
First write the LSTM's parameter count in PyTorch's convention (four blocks, each with an input
matrix, a recurrent matrix and two bias vectors): that is the budget. The GRU's count has the
same shape with three blocks. It grows with H, so the answer is the last H before it passes
the budget: either walk H upwards, or solve the quadratic and then check the integers next to
its root.
"""),
        probes=_budget_probes, reference=gru_hidden_for_lstm_budget,
        mistakes=_budget_mistakes(), output_names=("H_gru",),
        points={"public": 1, "hidden": 1}, integer_output=True),
    Question(
        name="q4_4", func_name="chung_lstm_params",
        title="Exercise 4.4: Chung et al.'s LSTM count",
        hint=_hint("""
List what one LSTM layer owns: per gate or candidate, an input matrix, a recurrent matrix and
one bias (the paper's equations omit it, its count does not); and, for the three gates that
look at the cell state, a peephole that is diagonal, so one number per unit. Add them up for 195 units and a
20-dimensional input and compare with ≈ 169.1k.
"""),
        probes=_chung_probes, reference=chung_lstm_params, mistakes=_chung_mistakes(),
        output_names=("count",), points={"public": 1, "hidden": 1}, integer_output=True),
    BiasSumQuestion(
        name="q4_5", func_name="concat_to_torch",
        title="Exercise 4.5: concatenated weights → weight_ih and weight_hh",
        hint=_hint("""
Multiplying W by the stacked vector [x_t, h_{t−1}] is the same as multiplying one block of W's
columns by x_t, the other block by h_{t−1}, and adding. Which columns meet x_t now, and how
many are there? The rows need no change: the gates are already stacked i | f | g | o. PyTorch
adds its two bias vectors, so any pair that sums to b works.
"""),
        probes=_concat_probes, reference=concat_to_torch, mistakes=_concat_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih + bias_hh", "(zeros)"),
        points={"public": 1, "hidden": 1}),
]
