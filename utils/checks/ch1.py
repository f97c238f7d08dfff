"""Checkers for chapter 1 (``solutions/ch1_exercises.ipynb``): predict, derive, diagnose.

- ``cell_path_norms(f)`` (derive): the LSTM's cell path alone multiplies the gradient by
  :math:`\\operatorname{diag}(f_t)` per step; given the forget gates ``f (T, H)`` return
  :math:`\\|\\prod_{\\tau \\le t} \\operatorname{diag}(f_\\tau)\\|_2 = \\max_j \\prod_{\\tau \\le t}
  f_{\\tau j}` for :math:`t = 0..T`, shape ``(T + 1,)``.
- ``steps_to_fraction(forget_bias, fraction)`` (predict): with every :math:`f_t = \\sigma(b)`,
  the first step :math:`t` at which :math:`\\sigma(b)^t` < ``fraction``; arrays ``(K,)`` →
  integers ``(K,)``.
- ``gru_hidden_size(input_size, hidden_size)`` (derive): the largest :math:`H'` with
  :math:`P_{GRU}(H_{in}, H') \\le P_{LSTM}(H_{in}, H)`, :math:`P(G) = G (H H_{in} + H^2 + 2H)`;
  arrays ``(K,)`` → integers ``(K,)``.
- ``rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)`` (diagnose): the fix of a
  planted two-bug step; :math:`h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`
  as ``torch.nn.RNNCell``.
- ``linear_rnn_gradient_norms(weight_hh, steps)`` (derive): :math:`\\|\\partial h_t /
  \\partial h_0\\|_2` of the linear RNN for each :math:`t` in ``steps (K,)``.

Three graded predictions come before the exercises that measure them (``PREDICTIONS``): the
steps until 1% of the gradient is left at b = 1 (before 1.2), the GRU's hidden size on an
LSTM's budget at H_in = H = 256 (before 1.3), and the shape of ‖W^t‖₂ for a non-normal W
whose eigenvalues are 0.5 (before 1.5).

Every question is graded on its own. The references are tested against ``torch.nn``,
autograd and brute force in ``tests/test_ch1_exercises.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from collections.abc import Sequence

import numpy as np

from .core import (Mistake, Outcome, Probe, Question, Verdict, probe_rng,
                   separating_pairs)
from .predictions import Prediction, WrongAnswer

ASSIGNMENT = "ch1_exercises"


@dataclasses.dataclass(frozen=True)
class Ch1Question(Question):
    """A :class:`Question` that says what to return when a list stands for one array."""

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        verdict = super().diagnose(level, outcomes)
        if verdict.status == "incorrect" and len(self.output_names) == 1:
            listed = [o for o in outcomes if o.kind == "value" and isinstance(o.value, list)]
            if listed:  # the framework reads a list as several outputs: say what to return
                return Verdict(0.0, verdict.max_points,
                               f"❌ {self.name} ({self.func_name}): you returned a list or "
                               f"tuple of {len(listed[0].value)} items; return one NumPy array "
                               f"`{self.output_names[0]}` instead (e.g. "
                               f"`np.array({self.output_names[0]})`).\n"
                               f'Need a hint? Run `hint("{self.name}")`.', "incorrect")
        return verdict


# ----------------------------------------------------------------------------------------
# References and known mistakes (flags select the mistake)


def cell_path_norms(f, *, norm: str = "max", first: bool = True) -> np.ndarray:
    """``max_j prod_{τ<=t} f[τ, j]`` for t = 0..T (1 at t = 0) → ``(T + 1,)``.

    ``norm``: ``"max"`` (reference: the spectral norm of a diagonal matrix), ``"min"``,
    ``"mean"``, ``"frobenius"``, ``"all_units"`` (product over the units too),
    ``"mean_gate"`` ((mean f)^t). ``first=False`` drops the t = 0 entry.
    """
    f = np.asarray(f, dtype=np.float64)  # (T, H)
    T, H = f.shape
    prods = np.concatenate([np.ones((1, H)), np.cumprod(f, axis=0)])  # (T + 1, H)
    if norm == "max":
        out = prods.max(axis=1)
    elif norm == "min":
        out = prods.min(axis=1)
    elif norm == "mean":
        out = prods.mean(axis=1)
    elif norm == "frobenius":
        out = np.sqrt((prods**2).sum(axis=1))
    elif norm == "all_units":
        out = prods.prod(axis=1)
    else:  # "mean_gate"
        out = f.mean() ** np.arange(T + 1, dtype=np.float64)
    return out if first else out[1:]


def steps_to_fraction(forget_bias, fraction, *, sign: float = 1.0, shift: int = 1,
                      log_fraction: str = "e", rounded: bool = True,
                      ceil: bool = False) -> np.ndarray:
    """The first t with σ(b)^t < fraction: ``floor(ln(fraction) / ln σ(b)) + 1`` → ``(K,)``.

    ``ln σ(b) = −ln(1 + e^−b)`` (``np.log1p``). Mistakes: ``sign=-1`` (σ(−b)), ``shift=0``
    (the last step still at or above), ``log_fraction="10"`` (log10 over ln),
    ``rounded=False`` (the real ratio), ``ceil`` (the ratio rounded up: wrong at exact ties,
    σ(b)^t = fraction, where the step t is not yet below the fraction).
    """
    b = sign * np.asarray(forget_bias, dtype=np.float64)  # (K,)
    log_sigma = -np.log1p(np.exp(-b))  # ln σ(b) < 0
    log_f = np.log10(fraction) if log_fraction == "10" else np.log(fraction)
    ratio = log_f / log_sigma  # (K,)
    if not rounded:
        return ratio
    if ceil:
        return np.ceil(ratio).astype(np.int64)
    return np.floor(ratio).astype(np.int64) + shift


def gru_hidden_size(input_size, hidden_size, *, gates: tuple[int, int] = (3, 4),
                    biases: int = 2, recurrent: bool = True,
                    shortcut: str | None = None) -> np.ndarray:
    """Largest H' with ``3 (H'·H_in + H'² + 2H') <= 4 (H·H_in + H² + 2H)`` → ``(K,)`` ints.

    Mistakes: ``gates=(4, 3)`` (the LSTM's size on the GRU's budget), ``biases`` 1 or 0,
    ``recurrent=False`` (no H² term), ``shortcut`` ``"4/3"`` (H' = floor(4H/3)),
    ``"sqrt"`` (floor(sqrt(4/3) H); ``recurrent=False`` gives the same as ``"4/3"``), ``"round"`` (the real root rounded, may overspend),
    ``"ceil"`` (the smallest H' that spends at least the budget).
    """
    H_in = np.asarray(input_size, dtype=np.int64)  # (K,)
    H = np.asarray(hidden_size, dtype=np.int64)  # (K,)
    g_new, g_old = gates
    if shortcut == "4/3":
        return (g_old * H) // g_new
    if shortcut == "sqrt":
        return np.floor(np.sqrt(g_old / g_new) * H).astype(np.int64)
    lin = H_in + biases  # H'·(H_in + biases) + H'² (recurrent) per block
    budget = g_old * (H * H_in + (H * H if recurrent else 0) + biases * H)  # (K,)

    def cost(h: np.ndarray) -> np.ndarray:
        return g_new * (h * lin + (h * h if recurrent else 0))

    if recurrent:  # root of g_new (h² + lin h) = budget
        root = (-lin + np.sqrt(lin.astype(np.float64) ** 2 + 4 * budget / g_new)) / 2
    else:
        root = budget / (g_new * lin)
    if shortcut == "round":
        return np.round(root).astype(np.int64)
    h = np.floor(root).astype(np.int64)
    h = np.where(cost(h) > budget, h - 1, h)  # float rounding: settle it in integers
    h = np.where(cost(h + 1) <= budget, h + 1, h)
    if shortcut == "ceil":
        return np.where(cost(h) == budget, h, h + 1)
    return h


def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, t_hh: bool = False,
             t_ih: bool = False, hh_bias: str = "bias_hh", act: str = "tanh") -> np.ndarray:
    """``tanh(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh)`` → ``(N, H)`` (``torch.nn.RNNCell``).

    Flags give the planted bugs and their partial fixes: ``t_hh`` (``h_prev @ weight_hh``),
    ``t_ih``, ``hh_bias`` = ``"bias_ih"`` (bias_ih added twice) or ``"none"``, ``act``
    ``"identity"``.
    """
    second = {"bias_hh": bias_hh, "bias_ih": bias_ih, "none": 0.0}[hh_bias]
    a = (x_t @ (weight_ih if t_ih else weight_ih.T) + bias_ih
         + h_prev @ (weight_hh if t_hh else weight_hh.T) + second)  # (N, H)
    return a if act == "identity" else np.tanh(a)


def linear_rnn_gradient_norms(weight_hh, steps, *, norm: str = "spectral",
                              shift: int = 0) -> np.ndarray:
    """``‖W^t‖₂`` for each t in ``steps`` → ``(K,)``: ``∂h_t/∂h_0 = W^t`` for the linear RNN
    ``h_t = W h_{t−1} + …``.

    ``norm``: ``"spectral"`` (reference), ``"frobenius"``, ``"radius"`` (ρ(W)^t),
    ``"norm_power"`` (‖W‖₂^t), ``"elementwise"`` (‖W**t‖₂, NumPy's elementwise power).
    ``shift`` = 1 gives ‖W^(t+1)‖₂ (an off-by-one).
    """
    W = np.asarray(weight_hh, dtype=np.float64)
    ts = np.asarray(steps, dtype=np.int64) + shift  # (K,)
    if norm == "radius":
        return np.max(np.abs(np.linalg.eigvals(W))) ** ts.astype(np.float64)
    if norm == "norm_power":
        return np.linalg.norm(W, 2) ** ts.astype(np.float64)
    out = []
    for t in ts:
        M = W ** t if norm == "elementwise" else np.linalg.matrix_power(W, int(t))
        out.append(np.linalg.norm(M, "fro" if norm == "frobenius" else 2))
    return np.array(out)


# ----------------------------------------------------------------------------------------
# Probes: every random input comes from probe_rng(level, question name)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _gate_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q1_1")
    if level == "public":
        rest = np.full((4, 3), 0.5)
        one_open = np.full((5, 4), 0.3)
        one_open[:, 2] = 0.99
        # unit 0 leads early, unit 1 overtakes: the largest product changes unit over time
        crossing = np.array([[0.9, 0.5, 0.2], [0.9, 0.99, 0.3], [0.5, 0.99, 0.4],
                             [0.5, 0.99, 0.3], [0.4, 0.99, 0.2]])
        specs = [("at rest", rest, "gates at rest",
                  "f of shape (4, 3) with every gate 0.5 (σ(0))"),
                 ("one open unit", one_open, "one unit that keeps",
                  "f of shape (5, 4): unit 2 at 0.99, the others at 0.3"),
                 ("crossing", crossing, "units that take turns",
                  "f of shape (5, 3) in which the unit keeping the most changes over time"),
                 ("random", _sigmoid(rng.normal(1.0, 1.5, (7, 5))), "random gates",
                  "random forget gates f of shape (7, 5)")]
    else:
        specs = [("one unit", _sigmoid(rng.normal(1.0, 1.0, (6, 1))), "a single unit",
                  "random gates f of shape (6, 1)"),
                 ("one step", _sigmoid(rng.normal(0.0, 2.0, (1, 4))), "a single step",
                  "random gates f of shape (1, 4)"),
                 ("random", _sigmoid(rng.normal(2.0, 1.5, (12, 8))), "random gates",
                  "random forget gates f of shape (12, 8)")]
    return [Probe(name, {"f": f}, label, given) for name, f, label, given in specs]


def _away_from_integers(b: np.ndarray, fraction: np.ndarray) -> bool:
    ratio = np.log(fraction) / -np.log1p(np.exp(-b))
    return bool(np.all(np.abs(ratio - np.round(ratio)) > 1e-6))


def _fraction_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q1_2")
    # Ties: σ(0) = 1/2 and fractions 2^-k (k <= 10, where every usual formula for the ratio
    # of logarithms is exact), so σ(b)^k equals the fraction and the rounding rule decides.
    if level == "public":
        b = np.array([0.0, 1.0, 3.0, -1.0, 5.0])
        fraction = np.array([0.3, 0.5, 0.01, 0.5, 1e-6])
        ks = np.array([1, 2, 3, 4])
        specs = [(b, fraction, "b = [0, 1, 3, -1, 5], fraction = [0.3, 0.5, 0.01, 0.5, 1e-6]",
                  "the steps")]
    else:
        while True:  # random biases and fractions whose answer is not at a rounding edge
            b = rng.uniform(-2.0, 6.0, 6)
            fraction = 10.0 ** -rng.uniform(0.2, 6.0, 6)
            if _away_from_integers(b, fraction):
                break
        ks = np.sort(rng.choice(np.arange(1, 11), size=3, replace=False))
        specs = [(b, fraction, "6 random biases in [-2, 6] and fractions in [1e-6, 0.6]",
                  "the steps")]
    ties = 0.5 ** ks.astype(np.float64)
    specs.append((np.zeros(len(ks)), ties, f"b = 0 (σ(b) = 1/2) and fraction = 2^-k for k = "
                  f"{ks.tolist()}: σ(b)^k equals the fraction exactly", "the steps at a tie"))
    return [Probe(f"biases {k}", {"forget_bias": b, "fraction": f}, label, given)
            for k, (b, f, given, label) in enumerate(specs)]


def _one_hidden_size(i: int, k: int, **kw) -> int:
    return int(gru_hidden_size([i], [k], **kw)[0])


def _budget_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q1_3")
    if level == "public":
        h_in, h = [64, 1, 512, 8, 1000], [64, 1, 256, 1024, 10]
    else:
        h_in = [int(v) for v in rng.integers(1, 2000, 4)]
        h = [int(v) for v in rng.integers(1, 2000, 4)]
    # The biases and the rounding change the answer only at some sizes: add small sizes at
    # which each mistake differs from the answer and from the other mistakes (same generator).
    variants = [{}, *(m.fn.keywords for m in _budget_mistakes())]
    answers = [functools.partial(_one_hidden_size, **kw) for kw in variants]
    pairs = separating_pairs(rng, answers, list(zip(h_in, h)), 1, 60)
    h_in, h = [i for i, _ in pairs], [k for _, k in pairs]
    given = f"input_size = {h_in}, hidden_size = {h}"
    return [Probe("sizes", {"input_size": np.array(h_in), "hidden_size": np.array(h)},
                  "the hidden sizes", given)]


def _cell_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q1_4")

    def make(N, H_in, H, *, x=True, h=True, b=True):
        return {"x_t": rng.normal(0.0, 1.0, (N, H_in)) if x else np.zeros((N, H_in)),
                "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H)),
                "weight_ih": rng.uniform(-0.8, 0.8, (H, H_in)),
                "weight_hh": rng.uniform(-0.8, 0.8, (H, H)),
                "bias_ih": rng.uniform(-0.8, 0.8, H) if b else np.zeros(H),
                "bias_hh": rng.uniform(-0.8, 0.8, H) if b else np.zeros(H)}

    if level == "public":
        specs = [("biases only", make(2, 4, 4, x=False, h=False), "the bias term",
                  "x_t = 0 and h_prev = 0 (only the biases act)"),
                 ("input term", make(2, 4, 4, h=False, b=False), "the input term W_ih x_t",
                  "h_prev = 0 and zero biases (only the input term acts)"),
                 ("hidden term", make(2, 4, 4, x=False, b=False),
                  "the recurrent term W_hh h_prev",
                  "x_t = 0 and zero biases (only the recurrent term acts)"),
                 ("all terms", make(3, 3, 5), "the combination of the terms", None)]
    else:
        specs = [("batch of one", make(1, 5, 2), "the combination of the terms", None),
                 ("square", make(4, 6, 6), "the combination of the terms", None)]

    def shapes(a):
        return ", ".join(f"{k} {a[k].shape}" for k in ("x_t", "h_prev", "weight_ih"))

    return [Probe(name, args, label, f"{given or 'random inputs'} ({shapes(args)})")
            for name, args, label, given in specs]


def _orthogonal(rng: np.random.Generator, H: int, rho: float) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    return rho * q * np.sign(np.diag(r))


def _gradient_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q1_5")
    if level == "public":
        specs = [
            ("scaled orthogonal", _orthogonal(rng, 4, 0.9), np.arange(7),
             "a scaled orthogonal matrix",
             "weight_hh = 0.9 · Q (Q orthogonal, 4 × 4) and steps = [0, 1, ..., 6]"),
            ("non-normal", np.array([[0.5, 1.0], [0.0, 0.5]]), np.array([0, 1, 2, 5, 10]),
             "a non-normal matrix", "weight_hh = [[0.5, 1], [0, 0.5]] and steps = "
             "[0, 1, 2, 5, 10]"),
        ]
    else:
        gauss = rng.normal(0.0, 1.0 / np.sqrt(6), (6, 6))
        specs = [("gaussian", gauss, np.arange(9), "a random matrix",
                  "a random 6 × 6 weight_hh, steps = [0, ..., 8]"),
                 ("growing", _orthogonal(rng, 3, 1.1), np.array([3, 0, 10]),
                  "a scaled orthogonal matrix",
                  "weight_hh = 1.1 · Q (3 × 3) and steps = [3, 0, 10]")]
    return [Probe(name, {"weight_hh": W, "steps": steps}, label, given)
            for name, W, steps, label, given in specs]


# ----------------------------------------------------------------------------------------
# Known mistakes, with what to do next


def _gate_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(cell_path_norms, norm="min"), "you took the smallest product over the "
                "units, the smallest singular value. The spectral norm of a diagonal matrix is "
                "its largest |entry|: the unit that keeps the most sets the norm."),
        Mistake(p(cell_path_norms, norm="mean"), "you averaged the products over the units; "
                "the spectral norm of a diagonal matrix is its largest |entry|, not the mean."),
        Mistake(p(cell_path_norms, norm="frobenius"), "you took the Frobenius norm (the root "
                "of the sum of squares) of the diagonal; the spectral norm is its largest "
                "|entry|."),
        Mistake(p(cell_path_norms, norm="all_units"), "you multiplied across the units as "
                "well as across the steps. Each unit's cell has its own path: multiply over "
                "the steps, one product per unit, then take the largest."),
        Mistake(p(cell_path_norms, norm="mean_gate"), "you raised the average gate to the "
                "power t; the units do not mix, so each unit's product follows its own gates "
                "and the norm is the largest of those products."),
        Mistake(p(cell_path_norms, first=False), "the entry for t = 0 is missing: before any "
                "step the Jacobian is the identity, of norm 1, so the result has T + 1 "
                "entries."),
    )


def _fraction_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(steps_to_fraction, sign=-1.0), "you used σ(−b): a positive forget bias "
                "keeps more (σ(3) ≈ 0.95), so the gradient should take longer, not shorter."),
        Mistake(p(steps_to_fraction, shift=0), "off by one: you returned the last step at "
                "which σ(b)^t is still at or above the fraction; the question asks for the "
                "first step below it."),
        Mistake(p(steps_to_fraction, log_fraction="10"), "the two logarithms have different "
                "bases: a ratio of logarithms only makes sense when both use the same base."),
        Mistake(p(steps_to_fraction, ceil=True), "you rounded the real solution up. At an "
                "exact tie, σ(b)^t = fraction (b = 0 and fraction = 0.25 at t = 2), step t is "
                "not yet *below* the fraction, so the answer is the first integer strictly past "
                "the solution (3 there, not 2)."),
        Mistake(p(steps_to_fraction, rounded=False), "you returned the real solution of "
                "σ(b)^t = fraction; a number of steps is a whole number: the first integer "
                "t past it."),
    )


def _budget_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(gru_hidden_size, shortcut="4/3"), "you scaled H by 4/3. That holds only "
                "when the input term H·H_in dominates; the H² term grows faster, so with "
                "H ≫ H_in the GRU gains only about √(4/3). Solve the budget inequality itself."),
        Mistake(p(gru_hidden_size, shortcut="sqrt"), "you scaled H by √(4/3). That holds "
                "only when the H² term dominates; with a large input the GRU gains up to 4/3. "
                "Solve the budget inequality itself."),
        Mistake(p(gru_hidden_size, shortcut="round"), "you rounded the real root to the "
                "nearest integer, which can overspend the budget; the largest H' that fits "
                "is the root rounded down."),
        Mistake(p(gru_hidden_size, shortcut="ceil"), "you returned the smallest H' that "
                "spends at least the LSTM's budget; the question asks for the largest H' "
                "that does not exceed it."),
        Mistake(p(gru_hidden_size, gates=(4, 3)), "the roles are swapped: you found the "
                "LSTM's hidden size on the GRU's budget. The GRU has G = 3 blocks, the LSTM "
                "G = 4."),
        Mistake(p(gru_hidden_size, biases=1), "you counted one bias vector per block; "
                "PyTorch keeps two (bias_ih and bias_hh), so each block has 2H biases."),
        Mistake(p(gru_hidden_size, biases=0), "the biases are missing: each block has two "
                "bias vectors of size H (bias_ih and bias_hh)."),
    )


def _rnn_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(rnn_step, t_hh=True, hh_bias="bias_ih"), "this is the buggy step "
                "unchanged: both of its bugs are still there. Start with x_t = 0 and "
                "h_prev = 0: which vectors should be added?"),
        Mistake(p(rnn_step, hh_bias="bias_ih"), "one bug fixed, one left: bias_ih is still "
                "added twice and bias_hh never (PyTorch adds b_ih and b_hh)."),
        Mistake(p(rnn_step, t_hh=True), "one bug fixed, one left: the recurrent weight is "
                "still transposed. weight_hh is (H, H), one row per hidden unit, so with the "
                "batch in the rows the term is h_prev times the transpose of weight_hh. A "
                "square matrix hides this bug from every shape check."),
        Mistake(p(rnn_step, hh_bias="none"), "bias_hh is missing; PyTorch adds both biases, "
                "b_ih and b_hh."),
        Mistake(p(rnn_step, t_hh=True, hh_bias="none"), "bias_hh is missing and the "
                "recurrent weight is still transposed."),
        Mistake(p(rnn_step, t_ih=True), "you transposed the input weight too: weight_ih is "
                "(H, H_in), so the input term is x_t times its transpose, as in the buggy "
                "code."),
        Mistake(p(rnn_step, act="identity"), "the tanh is missing: h_t = tanh(…)."),
    )


def _gradient_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(linear_rnn_gradient_norms, norm="frobenius"), "you used the Frobenius norm "
                "(the default of `np.linalg.norm` for a matrix); the spectral norm is the "
                "largest singular value, which `np.linalg.norm` gives with `ord=2`."),
        Mistake(p(linear_rnn_gradient_norms, norm="radius"), "you returned ρ(W)^t, the "
                "eigenvalue estimate. It equals ‖W^t‖₂ only for normal matrices (e.g. a scaled "
                "orthogonal W); in general compute the norm of the matrix power."),
        Mistake(p(linear_rnn_gradient_norms, norm="norm_power"), "you returned ‖W‖₂^t, an "
                "upper bound; compute the norm of the matrix power W^t itself."),
        Mistake(p(linear_rnn_gradient_norms, norm="elementwise"), "`W ** t` raises every "
                "entry to the power t; the Jacobian is the matrix product of t copies of W."),
        Mistake(p(linear_rnn_gradient_norms, shift=1), "off by one: the entry for step t must "
                "be ‖W^t‖₂ (with ‖W^0‖₂ = ‖I‖₂ = 1 at t = 0), not ‖W^(t+1)‖₂."),
    )


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


QUESTIONS: list[Question] = [
    Ch1Question(
        name="q1_1", func_name="cell_path_norms",
        title="Exercise 1.1: the LSTM's cell path alone",
        hint=(_wrap("Along this path each unit's cell is multiplied by its own forget gate, and "
                    "the units never mix: what kind of matrix is a product of diagonal "
                    "matrices?"),
              _wrap("Which single number is the spectral norm of a diagonal matrix with "
                    "positive entries? Keep a running product over the steps, unit by unit, "
                    "and don't forget the step t = 0, before any gate has acted.")),
        probes=_gate_probes, reference=cell_path_norms, mistakes=_gate_mistakes(),
        output_names=("norms",), points={"public": 1, "hidden": 1},
        every_probe="the product over the steps, one per unit, and the unit that sets the "
                    "norm"),
    Ch1Question(
        name="q1_2", func_name="steps_to_fraction",
        title="Exercise 1.2: how long does the cell path keep a gradient?",
        hint=(_wrap("Take logarithms of σ(b)^t < fraction. Both sides are negative "
                    "logarithms: what happens to the inequality when you divide by ln σ(b)?"),
              _wrap("The answer is the first whole number strictly past the real solution, "
                    "even when the solution is itself whole (then σ(b)^t equals the fraction, "
                    "which is not below it). For the logarithm of σ(b) itself there is a form "
                    "that stays accurate when σ(b) is close to 1.")),
        probes=_fraction_probes, reference=steps_to_fraction, mistakes=_fraction_mistakes(),
        output_names=("steps",), points={"public": 1, "hidden": 1}, integer_output=True),
    Ch1Question(
        name="q1_3", func_name="gru_hidden_size",
        title="Exercise 1.3: a GRU on an LSTM's budget",
        hint=(_wrap("Write the GRU's count with an unknown hidden size H' and require it to be "
                    "at most the LSTM's count: what kind of inequality in H' is that?"),
              _wrap("Its positive root, rounded down, is the answer, but a float square root "
                    "can land a hair on the wrong side of an integer: check the count at your "
                    "answer and at the next size up, in integers.")),
        probes=_budget_probes, reference=gru_hidden_size, mistakes=_budget_mistakes(),
        output_names=("hidden",), points={"public": 1, "hidden": 1}, integer_output=True),
    Ch1Question(
        name="q1_4", func_name="rnn_step",
        title="Exercise 1.4: diagnose a tanh-RNN step",
        hint=(_wrap("Make one term act at a time: with x_t = 0 and h_prev = 0 only the biases "
                    "remain. How many different bias vectors does PyTorch add?"),
              _wrap("With x_t = 0 and zero biases only the recurrent term remains: row i of "
                    "weight_hh holds the weights into unit i. Which side does the batch sit "
                    "on, and why does a square matrix hide a missing transpose from every "
                    "shape check?")),
        probes=_cell_probes, reference=rnn_step, mistakes=_rnn_mistakes(),
        output_names=("h_t",), points={"public": 1, "hidden": 1},
        every_probe="the tanh, the transposes, the biases added"),
    Ch1Question(
        name="q1_5", func_name="linear_rnn_gradient_norms",
        title="Exercise 1.5: the gradient norm of a linear RNN",
        hint=(_wrap("Differentiate one step: which matrix is ∂h_t/∂h_{t-1} when there is no "
                    "tanh? Chain t of them."),
              _wrap("The norm that measures how much a matrix can stretch a vector is the "
                    "largest singular value, not the square root of the sum of squares; and "
                    "before any step the Jacobian is the identity.")),
        probes=_gradient_probes, reference=linear_rnn_gradient_norms,
        mistakes=_gradient_mistakes(), output_names=("norms",),
        points={"public": 1, "hidden": 1}),
]


# ----------------------------------------------------------------------------------------
# Graded predictions, each before the exercise that measures it. The answers are computed
# by the references above, never typed.

_B, _FRACTION = 1.0, 0.01
_STEPS = int(steps_to_fraction(np.array([_B]), np.array([_FRACTION]))[0])
_F = float(_sigmoid(np.array(_B)))
_H = 256
_H_GRU = int(gru_hidden_size(np.array([_H]), np.array([_H]))[0])
_W = np.array([[0.5, 1.0], [0.0, 0.5]])
_W_NORMS = linear_rnn_gradient_norms(_W, np.arange(1, 5))
ORDERS = ("shrinks from the first step", "grows at first, then shrinks", "keeps growing")

PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p1_1", var_name="predicted_steps", reveals="q1_2",
        title="Prediction 1.1: how long does 1% of the gradient take?",
        # "for the first time" has one whole answer (after 14 steps 1.25% is still left):
        # the band takes 15 and a typed 14.7, not 14 or 16; 3.7 still reads as 4's mistake
        kind="number", answer=_STEPS, tolerance=0.45, unit="steps",
        explanation=_wrap(
            f"every step keeps the same fraction σ({_B:g}) ≈ {_F:.3f} of the gradient, so it "
            f"shrinks geometrically: {_F:.2f}, {_F**2:.2f}, {_F**3:.2f}, ... Falling by a "
            f"factor 100 takes about 4.6 factors of e, and at this rate each factor of e takes "
            f"1 / (−ln σ(b)) ≈ {-1 / np.log(_F):.1f} steps: it first drops below 1% at step "
            f"{_STEPS}. Exercise 1.2 turns this into a formula for any b and fraction."),
        mistakes=(
            WrongAnswer(4, _wrap(
                f"about 4 is the time constant 1 / (1 − σ(b)) ≈ {1 / (1 - _F):.1f} (or "
                "ln 100 ≈ 4.6): the steps it takes to lose a factor of about e, not a factor "
                "of 100.")),
            WrongAnswer(_STEPS - 1, _wrap(
                f"close, one step early: after {_STEPS - 1} steps σ({_B:g})^{_STEPS - 1} ≈ "
                f"{_F ** (_STEPS - 1):.2%} is still left, above 1%. ln 0.01 / ln σ({_B:g}) ≈ "
                f"{np.log(_FRACTION) / np.log(_F):.1f} is not a whole step: the first step "
                "below 1% is the next whole number, not the one rounded down.")),
            WrongAnswer(100, _wrap(
                "the gradient does not fall like 1 / t: it is multiplied by the same factor "
                "at every step, so it falls geometrically, much faster than that.")),
        ),
        hint=(_wrap("After t steps the cell path keeps σ(b)^t of the gradient. Work out "
                    "σ(1) first."),
              _wrap("How many times must you multiply by about 0.73 to get below 0.01? Count "
                    "with a few powers, or take logarithms."))),
    Prediction(
        name="p1_2", var_name="predicted_gru_hidden", reveals="q1_3",
        title="Prediction 1.2: the GRU an LSTM's budget buys",
        kind="number", answer=_H_GRU, rtol=0.015, unit="units",
        explanation=_wrap(
            f"the GRU has 3/4 of the LSTM's blocks, so it can be wider, but by how much "
            f"depends on which term of the count dominates. If only H'² counted, the width "
            f"would grow by √(4/3): {_H * np.sqrt(4 / 3):.0f}; if only the terms linear in H' "
            f"counted (H' H_in and the biases), by 4/3: {_H * 4 / 3:.0f}. With H_in = H both "
            f"kinds matter, and the largest H' that fits is {_H_GRU}, in between."),
        mistakes=(
            WrongAnswer(round(_H * 4 / 3), _wrap(
                "4/3 H holds only when the terms linear in H' dominate (H_in much larger than "
                "H); here the H'² term matters too, and it grows faster.")),
            WrongAnswer(round(_H * np.sqrt(4 / 3)), _wrap(
                "√(4/3) H holds only when H'² dominates (H_in much smaller than H); with "
                "H_in = H the input weights count as much as the recurrent ones.")),
            WrongAnswer(_H, _wrap(
                "at equal hidden size the GRU has only 3/4 of the LSTM's parameters: the "
                "remaining quarter buys a wider GRU.")),
        ),
        hint=(_wrap("Count both layers with the formula of exercise 1.3 at H_in = H = 256."),
              _wrap("The answer lies between √(4/3) × 256 and 4/3 × 256: which end is it "
                    "nearer when the input weights count as much as the recurrent ones?"))),
    Prediction(
        name="p1_3", var_name="predicted_norm_shape", reveals="q1_5",
        title="Prediction 1.3: a gradient whose eigenvalues are 0.5",
        kind="choice", answer=ORDERS[1], options=ORDERS,
        explanation=_wrap(
            "W^t = [[0.5^t, t 0.5^(t−1)], [0, 0.5^t]]: the off-diagonal entry first holds up "
            "(1, 1, 0.75, 0.5, ...) while the diagonal shrinks, so ‖W^t‖₂ = "
            + ", ".join(f"{v:.2f}" for v in _W_NORMS) + " for t = 1..4: above 1 at first, "
            "then decaying like t 0.5^t. The eigenvalues (the spectral radius) predict only "
            "the long run; a matrix that is not normal can amplify a gradient for a while."),
        mistakes=(
            WrongAnswer(ORDERS[0], _wrap(
                "both eigenvalues are 0.5, but they only tell the long run: W is not normal "
                "(it has a single eigenvector), and its off-diagonal 1 stretches some vectors, "
                f"so ‖W‖₂ ≈ {_W_NORMS[0]:.2f} > 1 at the first step.")),
            WrongAnswer(ORDERS[2], _wrap(
                "the off-diagonal entry of W^t is t 0.5^(t−1), which rises at first but "
                "decays in the end: the eigenvalues 0.5 win in the long run.")),
        ),
        hint=(_wrap("Multiply W by itself a few times by hand: what happens to the diagonal "
                    "and to the corner entry?"),
              _wrap("The spectral radius tells where ‖W^t‖₂ goes as t grows; the norm of W "
                    "itself (its largest singular value) tells the first step. Is it below "
                    "1?"))),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 1 says none of them.
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q1_1": (r"max_jprod", r"norm[^.]{0,40}productofthe(diagonal)?forget"),
    "q1_2": (r"log\(?(fraction|0\.01|1%)\)?/log\(?sigma",
             r"ceil\(?log[^.]{0,30}/log\(?sigma"),
    "q1_3": (r"h'=[^.]{0,12}(floor|sqrt)", r"\(h_in\+2\)\^2\+", r"4/3\)?h[^.]{0,40}when"),
    "q1_4": (r"h_prev@weight_hh\.t\+bias_hh", r"h_t-1@w_hh\.t\+b_hh",
             r"(bias_ih|b_ih)(is)?(added)?twice", r"weight_hh(is|must|should)[^.]{0,20}transpos"),
    # a linear RNN's gradient is W_hh^t: the chapter states only that rho^t governs it
    "q1_5": (r"productisthematrixpower", r"partialh_t/partialh_0=w_hh\^t",
             r"linear[^.]{0,80}w_hh\^t=w_hhw_hh"),
}
