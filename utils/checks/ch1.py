"""Checkers for chapter 1 (``solutions/ch1_exercises.ipynb``): a stable sigmoid, one tanh-RNN
step, the parameter counts of RNN/GRU/LSTM, and the gradient norm of a linear RNN.

- ``sigmoid(a)``: :math:`\\sigma(a) = 1/(1 + e^{-a})` elementwise, any shape, float64, with
  full relative precision everywhere (no overflow: the naive formula's ``exp(720)`` is ``inf``
  and turns :math:`\\sigma(-720) \\approx 2.3 \\cdot 10^{-313}` into 0).
- ``rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)``:
  :math:`h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`, ``x_t (N, H_in)``,
  ``h_prev (N, H)``, ``weight_ih (H, H_in)``, ``weight_hh (H, H)``, biases ``(H,)`` — as
  ``torch.nn.RNNCell``.
- ``param_counts(input_size, hidden_size)``: sizes ``(K,)`` → ``(K, 3)`` counts for RNN, GRU,
  LSTM, :math:`G (H H_{in} + H^2 + 2H)` with :math:`G = 1, 3, 4` (PyTorch's two biases).
- ``linear_rnn_gradient_norms(weight_hh, steps)``: :math:`\\|W_{hh}^t\\|_2` for each
  :math:`t` in ``steps (K,)``, shape ``(K,)``: the gradient norm
  :math:`\\|\\partial h_t/\\partial h_0\\|_2` of the linear RNN.

The references are tested against ``torch.nn.RNNCell``, ``torch.nn.RNN``/``GRU``/``LSTM``
parameter counts, and autograd, in ``tests/test_ch1_exercises.py``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict

ASSIGNMENT = "ch1_exercises"


@dataclasses.dataclass(frozen=True)
class Ch1Question(Question):
    """A :class:`Question` with two additions this chapter needs.

    ``integer_output``: integer arrays (parameter counts) are compared as exact float64.
    ``strict``: ``strict(probes, outcomes) -> message | None``, run after every generic check
    passed, for requirements tighter than the framework's absolute tolerance.
    ``no_warnings``: right values are not enough; the call must not warn either (the warnings
    ``capture`` recorded in ``Outcome.warnings``, e.g. NumPy's "overflow encountered in exp").
    """

    integer_output: bool = False
    strict: Callable[[Sequence[Probe], Sequence[Outcome]], str | None] | None = None
    no_warnings: bool = False

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        if self.integer_output:
            outcomes = [_integers_as_float(o) for o in outcomes]
        verdict = super().diagnose(level, outcomes)
        if verdict.status == "incorrect" and len(self.output_names) == 1:
            listed = [o for o in outcomes if o.kind == "value" and isinstance(o.value, list)]
            if listed:  # the framework reads a list as several outputs: say what to return
                return self._fail(
                    f"you returned a list or tuple of {len(listed[0].value)} items; return "
                    f"one NumPy array `{self.output_names[0]}` instead (e.g. "
                    f"`np.array({self.output_names[0]})`).", verdict.max_points)
        if verdict.status != "correct":
            return verdict
        message = self.strict(self.probes(level), outcomes) if self.strict else None
        if message is None and self.no_warnings:
            message = _warning_message(self.probes(level), outcomes)
        return verdict if message is None else self._fail(message, verdict.max_points)

    def _fail(self, message: str, max_points: float) -> Verdict:
        return Verdict(0.0, max_points, f"❌ {self.name} ({self.func_name}): {message}\n"
                       f'Need a hint? Run `hint("{self.name}")`.', "incorrect")


def _integers_as_float(o: Outcome) -> Outcome:
    if o.kind == "value" and isinstance(o.value, np.ndarray) and o.value.dtype.kind in "iu":
        if np.all(np.abs(o.value) < 2**53):  # exact in float64
            return dataclasses.replace(o, value=o.value.astype(np.float64))
    return o


def _warning_message(probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> str | None:
    """The first warning a call raised, with what usually causes it; None if none did."""
    for probe, o in zip(probes, outcomes):
        caught = getattr(o, "warnings", ())  # recorded by utils.checks.core.capture
        if caught:
            return (f"the values are right, but your function warned given {probe.given}: "
                    f"{caught[0]}. np.where(cond, A, B) computes A and B on every element, so "
                    "np.exp overflows where its result is then thrown away; compute each "
                    "formula only on its part of the array (pos = a >= 0; "
                    "out[pos] = ...; out[~pos] = ...), so that np.exp only sees numbers ≤ 0.")
    return None


# ----------------------------------------------------------------------------------------
# References and known mistakes


_EXP_MAX = float(np.log(np.finfo(np.float64).max))  # ≈ 709.78: exp overflows above


def sigmoid(a: np.ndarray, *, form: str = "stable") -> np.ndarray:
    """σ(a) elementwise. ``form``: ``"stable"`` (reference: e^a/(1+e^a) for a < 0, never
    overflows), ``"minus_sign"`` (σ(−a)), ``"tanh_fn"`` (tanh(a))."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(over="ignore"):
        if form == "minus_sign":
            return _stable(-a)
        if form == "tanh_fn":
            return np.tanh(a)
    return _stable(a)


def _stable(a: np.ndarray) -> np.ndarray:
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])  # a < 0: e^a <= 1, no overflow
    out[~pos] = e / (1.0 + e)
    return out


def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, b_ih: bool = True,
             b_hh: bool = True, t_ih: bool = False, t_hh: bool = False, swap: bool = False,
             act: str = "tanh") -> np.ndarray:
    """``act(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh)`` → ``(N, H)`` (``torch.nn.RNNCell``).

    Flags give the known mistakes: a missing bias, a transposed weight, the two weights
    swapped (possible at ``H_in = H``), ``act`` = ``"sigmoid"`` or ``"identity"``.
    """
    W_ih, W_hh = (weight_hh, weight_ih) if swap else (weight_ih, weight_hh)
    a = (x_t @ (W_ih if t_ih else W_ih.T) + (bias_ih if b_ih else 0.0)
         + h_prev @ (W_hh if t_hh else W_hh.T) + (bias_hh if b_hh else 0.0))  # (N, H)
    if act == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-a))
    return a if act == "identity" else np.tanh(a)


def param_counts(input_size, hidden_size, *, gates=(1, 3, 4), biases: int = 2,
                 recurrent: bool = True, swap_sizes: bool = False) -> np.ndarray:
    """``(K, 3)`` counts ``G (H H_in + H^2 + biases·H)`` for G in ``gates`` (RNN, GRU, LSTM)."""
    H_in = np.asarray(input_size, dtype=np.int64)
    H = np.asarray(hidden_size, dtype=np.int64)
    if swap_sizes:
        H_in, H = H, H_in
    per_gate = H * H_in + (H * H if recurrent else 0) + biases * H  # (K,)
    return per_gate[:, None] * np.asarray(gates, dtype=np.int64)  # (K, 3)


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
# Probes


def _sigmoid_probes(level: str) -> list[Probe]:
    rng = np.random.default_rng(11 + (0 if level == "public" else 1000))
    if level == "public":
        specs = [
            ("moderate", np.linspace(-6.0, 6.0, 7), "moderate values",
             "a = [-6, -4, -2, 0, 2, 4, 6]"),
            ("extremes", np.array([-1000.0, -720.0, -40.0, 0.0, 40.0, 720.0, 1000.0]),
             "large |a|", "a = [-1000, -720, -40, 0, 40, 720, 1000]"),
        ]
    else:
        grid = rng.normal(0.0, 20.0, (3, 4))
        grid[0, :2] = [-715.0, 715.0]
        specs = [("2-D", grid, "a 2-D input", "a of shape (3, 4) with entries up to ±715"),
                 ("one value", np.array([-710.5]), "a single value", "a = [-710.5]")]
    return [Probe(name, {"a": a}, label, given) for name, a, label, given in specs]


def _cell_probes(level: str) -> list[Probe]:
    rng = np.random.default_rng(12 + (0 if level == "public" else 1000))

    def make(N, H_in, H, *, x=True, h=True, b=True):
        args = {"x_t": rng.normal(0.0, 1.0, (N, H_in)) if x else np.zeros((N, H_in)),
                "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H)),
                "weight_ih": rng.uniform(-0.8, 0.8, (H, H_in)),
                "weight_hh": rng.uniform(-0.8, 0.8, (H, H)),
                "bias_ih": rng.uniform(-0.8, 0.8, H) if b else np.zeros(H),
                "bias_hh": rng.uniform(-0.8, 0.8, H) if b else np.zeros(H)}
        return args

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


def _size_probes(level: str) -> list[Probe]:
    if level == "public":
        sizes = [([1, 3, 10, 64], [1, 4, 20, 7])]  # K = 4: a transposed (3, K) answer
    else:                                          # is a shape error, not a value error
        sizes = [([7, 64, 256, 512, 2], [5, 128, 512, 64, 1000])]
    return [Probe(f"sizes {i}", {"input_size": np.array(h_in), "hidden_size": np.array(h)},
                  "the counts", f"input_size = {h_in}, hidden_size = {h}")
            for i, (h_in, h) in enumerate(sizes)]


def _orthogonal(rng: np.random.Generator, H: int, rho: float) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    return rho * q * np.sign(np.diag(r))


def _gradient_probes(level: str) -> list[Probe]:
    rng = np.random.default_rng(14 + (0 if level == "public" else 1000))
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
# Strict checks and mistakes


def _sigmoid_strict(probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> str | None:
    """Relative precision 1e-9 everywhere, down to the subnormal values near a = −720."""
    for probe, o in zip(probes, outcomes):
        a = probe.args["a"]
        expected = sigmoid(a)
        got = np.asarray(o.value, dtype=np.float64)
        with np.errstate(under="ignore"):  # 1e-9 · a subnormal σ
            bad = np.abs(got - expected) > 1e-9 * np.abs(expected)
        if not np.any(bad):
            continue
        # Name an entry whose cause is unambiguous first: exp(−a) cannot overflow there.
        where = np.argwhere(bad & (-a < _EXP_MAX))
        i = tuple(int(k) for k in (where if len(where) else np.argwhere(bad))[0])
        a_i, e_i, g_i = float(a[i]), float(expected[i]), float(got[i])
        split = ("For a < 0 compute e^a / (1 + e^a), which never overflows; for a ≥ 0, "
                 "1 / (1 + e^−a).")
        if e_i != 0.0 and g_i == 0.0:
            cause = ("a difference such as 1 − σ(−a) cancelled to 0" if -a_i < _EXP_MAX else
                     f"either exp({-a_i:g}) overflowed to inf (NumPy warns \"overflow "
                     "encountered in exp\"), or a difference such as 1 − … cancelled")
            return (f"σ({a_i:g}) = {e_i:.4g}, a tiny number that float64 can hold, but you "
                    f"returned 0 (given {probe.given}): {cause}. {split}")
        exact = f" (e^{a_i:g} is below the smallest float64)" if e_i == 0.0 else ""
        return (f"σ({a_i:g}) = {e_i:.4g} in float64{exact}, but you returned {g_i:.4g} "
                f"(given {probe.given}). Did you clip a, or use an approximation? σ must keep "
                f"full relative precision (1e-9) for every a. {split}")
    return None


def _sigmoid_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(sigmoid, form="minus_sign"), "you computed σ(−a) = 1 / (1 + e^a): the "
                "exponent is −a, so σ(a) = 1 / (1 + e^−a) (σ(0) = 0.5, σ(6) ≈ 0.9975)."),
        Mistake(p(sigmoid, form="tanh_fn"), "you computed tanh(a), whose values lie in (−1, 1); "
                "σ(a) = 1 / (1 + e^−a) lies in (0, 1) (σ(a) = (1 + tanh(a/2)) / 2)."),
    )


def _rnn_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(rnn_step, b_ih=False, b_hh=False), "both biases are missing: add bias_ih and "
                "bias_hh (PyTorch's RNNCell has two bias vectors and adds both)."),
        Mistake(p(rnn_step, b_ih=False), "bias_ih is missing; PyTorch adds both biases, "
                "b_ih and b_hh."),
        Mistake(p(rnn_step, b_hh=False), "bias_hh is missing; PyTorch adds both biases, "
                "b_ih and b_hh."),
        Mistake(p(rnn_step, t_ih=True, t_hh=True), "transposed weights: weight_ih is "
                "(H, H_in) and weight_hh is (H, H), one row per hidden unit, so with batch-first "
                "inputs the terms are `x_t @ weight_ih.T` and `h_prev @ weight_hh.T`."),
        Mistake(p(rnn_step, t_hh=True), "transposed recurrent weight: use "
                "`h_prev @ weight_hh.T` (row i of weight_hh feeds hidden unit i)."),
        Mistake(p(rnn_step, t_ih=True), "transposed input weight: use `x_t @ weight_ih.T`."),
        Mistake(p(rnn_step, swap=True), "weight_ih and weight_hh are swapped: weight_ih "
                "multiplies the input x_t, weight_hh the previous state h_prev."),
        Mistake(p(rnn_step, act="sigmoid"), "you applied the sigmoid; PyTorch's RNNCell uses tanh "
                "(values in (−1, 1))."),
        Mistake(p(rnn_step, act="identity"), "the tanh is missing: h_t = tanh(…)."),
    )


def _count_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(param_counts, biases=1), "you counted one bias vector per gate block; "
                "PyTorch keeps two (bias_ih and bias_hh), so each block has 2H biases: "
                "G·(H·H_in + H·H + 2H)."),
        Mistake(p(param_counts, biases=0), "the biases are missing: each gate block has two "
                "bias vectors of size H (bias_ih and bias_hh)."),
        Mistake(p(param_counts, recurrent=False), "the hidden-to-hidden matrix is missing: "
                "each gate block also has an (H, H) block of weight_hh, i.e. H·H parameters."),
        Mistake(p(param_counts, gates=(1, 4, 3)), "the GRU and LSTM multipliers are swapped: "
                "the GRU has G = 3 blocks (r | z | n), the LSTM G = 4 (i | f | g | o)."),
        Mistake(p(param_counts, gates=(1, 2, 3)), "wrong gate multipliers: you counted the "
                "gates but not the candidate. The GRU has 3 blocks (r, z and the candidate n), "
                "the LSTM 4 (i, f, o and the candidate g)."),
        Mistake(p(param_counts, gates=(1, 2, 4)), "wrong GRU multiplier: the GRU has 3 blocks "
                "(r, z and the candidate n), not 2."),
        Mistake(p(param_counts, gates=(1, 3, 3)), "wrong LSTM multiplier: the LSTM has 4 blocks "
                "(i, f, g and o), not 3."),
        Mistake(p(param_counts, gates=(4, 3, 1)), "the columns are in the wrong order: "
                "row k must hold the counts of the RNN, the GRU and the LSTM, in that order."),
        Mistake(p(param_counts, gates=(1, 1, 1)), "every cell got G = 1: the GRU has 3 blocks "
                "and the LSTM 4, each the size of the RNN's."),
        Mistake(p(param_counts, swap_sizes=True), "input_size and hidden_size are swapped: "
                "weight_ih is (G·H, H_in), weight_hh is (G·H, H) and the biases (G·H,)."),
    )


def _gradient_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(linear_rnn_gradient_norms, norm="frobenius"), "you used the Frobenius norm "
                "(`np.linalg.norm(M)`); the spectral norm is `np.linalg.norm(M, 2)`, the "
                "largest singular value."),
        Mistake(p(linear_rnn_gradient_norms, norm="radius"), "you returned ρ(W)^t, the "
                "eigenvalue estimate. It equals ‖W^t‖₂ only for normal matrices (e.g. a scaled "
                "orthogonal W); in general compute the norm of the matrix power."),
        Mistake(p(linear_rnn_gradient_norms, norm="norm_power"), "you returned ‖W‖₂^t, an "
                "upper bound; compute the norm of the matrix power W^t itself."),
        Mistake(p(linear_rnn_gradient_norms, norm="elementwise"), "`W ** t` raises every "
                "entry to the power t; the matrix power is `np.linalg.matrix_power(W, t)` "
                "(or repeated `@`)."),
        Mistake(p(linear_rnn_gradient_norms, shift=1), "off by one: the entry for step t must "
                "be ‖W^t‖₂ (with ‖W^0‖₂ = ‖I‖₂ = 1 at t = 0), not ‖W^(t+1)‖₂."),
    )


def _hint(text: str) -> str:
    return text.strip()


QUESTIONS: list[Question] = [
    Ch1Question(
        name="q1_1", func_name="sigmoid", title="Exercise 1.1: a numerically stable sigmoid",
        hint=_hint("""
1 / (1 + np.exp(-a)) overflows when a is very negative: np.exp(1000) is inf. Split the array:
for a >= 0 use 1 / (1 + np.exp(-a)); for a < 0 use np.exp(a) / (1 + np.exp(a)). Both only
ever exponentiate a number <= 0. Use a boolean mask (pos = a >= 0) and fill an output array
(out = np.empty_like(a)); np.where would evaluate both formulas everywhere and still warn.
"""),
        probes=_sigmoid_probes, reference=sigmoid, mistakes=_sigmoid_mistakes(),
        output_names=("sigma",), points={"public": 1, "hidden": 1}, strict=_sigmoid_strict,
        no_warnings=True),
    Ch1Question(
        name="q1_2", func_name="rnn_step", title="Exercise 1.2: one tanh-RNN step",
        hint=_hint("""
With the batch in the rows, W x_t is written x_t @ weight_ih.T, shape (N, H); likewise
h_prev @ weight_hh.T. Add both biases (PyTorch keeps two):
h_t = np.tanh(x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh).
"""),
        probes=_cell_probes, reference=rnn_step, mistakes=_rnn_mistakes(),
        output_names=("h_t",), points={"public": 1, "hidden": 1}),
    Ch1Question(
        name="q1_3", func_name="param_counts", title="Exercise 1.3: counting parameters",
        hint=_hint("""
One gate block reads x_t and h_{t-1}: H·H_in input weights, H·H recurrent weights and two
bias vectors of size H (bias_ih, bias_hh), so H·H_in + H·H + 2H. The RNN has G = 1 block, the
GRU 3 (r, z, n), the LSTM 4 (i, f, g, o). With arrays of sizes:
per_block = hidden_size * input_size + hidden_size**2 + 2 * hidden_size      # (K,)
counts = per_block[:, None] * np.array([1, 3, 4])                            # (K, 3)
"""),
        probes=_size_probes, reference=param_counts, mistakes=_count_mistakes(),
        output_names=("counts",), points={"public": 1, "hidden": 1}, integer_output=True),
    Ch1Question(
        name="q1_4", func_name="linear_rnn_gradient_norms",
        title="Exercise 1.4: the gradient norm of a linear RNN",
        hint=_hint("""
For h_t = W h_{t-1} + (terms without h), dh_t/dh_0 = W^t (W multiplied t times). For each t
in steps: W_t = np.linalg.matrix_power(weight_hh, t) (not weight_hh ** t, which is
elementwise), then np.linalg.norm(W_t, 2), the spectral norm (largest singular value).
Return np.array of the K norms; t = 0 gives the identity, norm 1.
"""),
        probes=_gradient_probes, reference=linear_rnn_gradient_norms,
        mistakes=_gradient_mistakes(), output_names=("norms",),
        points={"public": 1, "hidden": 1}),
]
