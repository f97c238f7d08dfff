"""Checkers for chapter 5 (``solutions/ch5_exercises.ipynb``): the GRU family, on instances the
chapter did not compute.

- ``minlstm_pair(x_t, weight_ih, bias)``: one minLSTM step (Feng et al., 2024) as the pair of
  ``h_t = a_t ⊙ h_{t−1} + b_t``; blocks f | i | h̃ in ``weight_ih (3H, H_in)``, ``bias (3H,)``:
  :math:`f = \\sigma(\\cdot)`, :math:`i = \\sigma(\\cdot)`, :math:`\\tilde h` linear,
  :math:`a_t = f / (f + i)`, :math:`b_t = i / (f + i) \\odot \\tilde h`.
- ``maxplus_combine(a_first, b_first, a_second, b_second)``: the step
  :math:`h \\mapsto \\max(a + h, b)` of two such steps in a row,
  :math:`(a_1 + a_2, \\max(a_2 + b_1, b_2))`.
- ``matrix_scan(a, b, h0)``: every :math:`h_t = A_t h_{t-1} + b_t` with full ``(H, H)`` matrices
  :math:`A_t`, by :math:`\\lceil \\log_2 T \\rceil` rounds. Right values are not enough: the
  probes are traced (:class:`~utils.checks.core.Traced`), so the depth of the answer is measured
  from the data flow; on the long probes it must grow like :math:`\\log_2 T`
  (:func:`max_scan_depth`), whatever form the code has.

- ``linear_scan_backward(a, b, h0, grad_h)``: the backward pass of
  :math:`h_t = a_t \\odot h_{t-1} + b_t`, :math:`t = 1..T`, for the loss
  :math:`L = \\sum_t \\langle g_t, h_t \\rangle` (``grad_h[t - 1]`` = :math:`g_t`): the total
  gradient :math:`\\delta_t = g_t + a_{t+1} \\odot \\delta_{t+1}` (a linear recurrence run
  backwards), ``grad_a[t] = δ_t ⊙ h_{t−1}``, ``grad_b = δ``, ``grad_h0 = a_1 ⊙ δ_1``.

The references are tested against loops, ``torch`` and brute force in
``tests/test_checks_ch5.py``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict, probe_rng
from .predictions import Prediction, WrongAnswer

ASSIGNMENT = "ch5_exercises"


def _sigmoid(a):
    a = np.asarray(a, dtype=np.float64)
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


@dataclasses.dataclass(frozen=True)
class Ch5Question(Question):
    """A :class:`Question` that names the probe where a value became ``inf``/``nan`` with a
    chapter-specific explanation, and can judge a scan's depth and a tighter tolerance."""

    nonfinite: str | None = None  # message when a probe's result is not finite
    # the answer's depth (traced probes, argument ``a`` of shape (T, ...)) may grow with the
    # number of rounds, log2 T, not with T: at most max_scan_depth(T) on the long probes
    depth_judged: bool = False
    tol: float | None = None  # the statement's tolerance, when tighter than the framework's

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        if self.nonfinite is not None:
            for probe, o in zip(self.probes(level), outcomes):
                parts = o.value if isinstance(o.value, list) else [o.value]
                if o.kind == "value" and any(np.asarray(p).dtype.kind in "fc"
                                             and not np.all(np.isfinite(p)) for p in parts):
                    return Verdict(0.0, float(self.points[level]),
                                   f"❌ {self.name} ({self.func_name}): given {probe.given}, "
                                   f"your result contains inf or nan. {self.nonfinite}\n"
                                   f'Need a hint? Run `hint("{self.name}")`.', "incorrect")
        verdict = super().diagnose(level, outcomes)
        if verdict.status == "correct" and self.tol is not None:
            verdict = self._tolerance_verdict(level, outcomes, verdict)
        if self.depth_judged:
            return self._depth_verdict(level, outcomes, verdict)
        return verdict

    def _tolerance_verdict(self, level: str, outcomes: Sequence[Outcome],
                           verdict: Verdict) -> Verdict:
        """Right to the framework's 1e-8, but the statement promises ``tol``: check that."""
        for probe, o in zip(self.probes(level), outcomes):
            expected = np.asarray(self.reference(**probe.args), dtype=np.float64)
            diff = np.abs(np.asarray(o.value, dtype=np.float64) - expected)
            scale = 1.0 + float(np.abs(expected).max(initial=0.0))
            if diff.size and float(diff.max()) > self.tol * scale:
                return Verdict(0.0, verdict.max_points,
                               f"❌ {self.name} ({self.func_name}): given {probe.given}, your "
                               f"states differ from the loop's by up to {float(diff.max()):.2g}; "
                               f"they must agree to {self.tol:g}. Is a step computed in float32, "
                               "or by an approximation?\n"
                               f'Need a hint? Run `hint("{self.name}")`.', "incorrect")
        return verdict

    def _depth_verdict(self, level: str, outcomes: Sequence[Outcome],
                       verdict: Verdict) -> Verdict:
        """Right values: did they come from about log2 T rounds, or from a chain of T steps?"""
        tag = f"❌ {self.name} ({self.func_name})"
        how_hint = f'Need a hint? Run `hint("{self.name}")`.'
        if verdict.status != "correct":
            # an error from a library that met the traced inputs: say why (TracedValueError
            # explains itself)
            if "TracedValueError" not in verdict.message and (
                    "object arrays" in verdict.message or "dtype('O')" in verdict.message
                    or "dtype=object" in verdict.message or "object" in verdict.message):
                head, sep, tail = verdict.message.partition("\nNeed a hint?")
                return dataclasses.replace(verdict, message=f"{head}\nWhy: {TRACING}{sep}{tail}")
            return verdict
        for probe, o in zip(self.probes(level), outcomes):
            T = probe.args["a"].shape[0]
            if T < LONG_SCAN:
                continue
            if o.depth < 0:
                return Verdict(0.0, verdict.max_points,
                               f"{tag}: the states are right, but the grader could not measure "
                               f"how many dependent steps produced them for T = {T} (no depth "
                               "was recorded), so it cannot award the points of a scan.",
                               "incorrect")
            limit = max_scan_depth(T)
            if o.depth > limit:
                rounds = int(np.ceil(np.log2(T)))
                return Verdict(0.0, verdict.max_points,
                               f"{tag}: the states are right, but for T = {T} some state came "
                               f"out of a chain of {o.depth} dependent operations, one after "
                               f"another (a loop over t takes about 2T = {2 * T}). A scan of "
                               f"{rounds} rounds, each a whole-array combine of every position "
                               f"with the one d earlier, needs about {2 * rounds + 2}; at most "
                               f"{limit} are accepted. It takes a step per position "
                               "somewhere (a loop, a comprehension, a recursion over t, a "
                               "cumulative product), whatever form the code has.\n"
                               f"{how_hint}", "incorrect")
        return verdict


# The traced inputs, for the learner's message when an operation drops them.
TRACING = ("the grader runs this question on inputs that record, for every entry, how many "
           "dependent operations produced it, so it can count your rounds. They support NumPy "
           "arithmetic, slicing, `copy`, `concatenate`, `stack`, `where`, `empty_like` and "
           "`.astype(float)`; they refuse other conversions to float (`float()`, "
           "`np.array(..., dtype=float)`, storing into a float array made by "
           "`np.zeros(shape)`), comparisons of values and other libraries (SciPy, `math`).")
LONG_SCAN = 256  # probes at least this long have their depth judged


def max_scan_depth(T: int) -> int:
    """The most dependent operations accepted behind a state of a length-``T`` scan.

    Folding h0 in takes 2 (a multiply, an add); each round of Hillis–Steele, Sklansky or
    Kogge–Stone takes 2 more, so they need 2⌈log₂ T⌉ + 2; Blelloch's up- and down-sweep or a
    recursive halving about twice that. The bound leaves room for a few extra operations per
    round, and stays far below a chain of T steps (2T) or of √T blocks (about 4√T).
    """
    rounds = int(np.ceil(np.log2(max(T, 2))))
    return 6 * rounds + 8


# ----------------------------------------------------------------------------------------
# References, with the flags that produce the known mistakes


def minlstm_pair(x_t, weight_ih, bias, *, form: str = "right", rows=(0, 1, 2),
                 cand_act=None):
    """``(a_t, b_t)`` of one minLSTM step, blocks f | i | h̃; flags give the known mistakes.

    ``form``: ``"right"`` (a = f/(f+i), b = i/(f+i) h̃), ``"raw"`` (no normalisation),
    ``"raw_b"`` (a normalised, b not), ``"swapped"`` (the roles of f and i exchanged).
    ``rows`` gives the blocks read as f, i, h̃; ``cand_act`` squashes the candidate.
    """
    W = np.asarray(weight_ih, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    x = np.asarray(x_t, dtype=np.float64)
    H = W.shape[0] // 3

    def proj(k):
        return x @ W[k * H:(k + 1) * H].T + b[k * H:(k + 1) * H]

    f_t, i_t, h_tilde = _sigmoid(proj(rows[0])), _sigmoid(proj(rows[1])), proj(rows[2])
    if cand_act is not None:
        h_tilde = cand_act(h_tilde)
    if form == "swapped":
        f_t, i_t = i_t, f_t
    if form == "raw":
        return f_t, i_t * h_tilde
    total = f_t + i_t
    if form == "raw_b":
        return f_t / total, i_t * h_tilde
    return f_t / total, i_t / total * h_tilde


def maxplus_combine(a_first, b_first, a_second, b_second, *, form: str = "right"):
    """The step ``h ↦ max(a + h, b)`` equal to the first step followed by the second:
    ``(a1 + a2, max(a2 + b1, b2))``. ``form``: ``"max_b"`` (max(b1, b2)), ``"reversed"`` (the
    second step applied first), ``"times"`` (the affine scan's products), ``"max_a"``
    (max(a1, a2))."""
    a1, b1 = np.asarray(a_first, np.float64), np.asarray(b_first, np.float64)
    a2, b2 = np.asarray(a_second, np.float64), np.asarray(b_second, np.float64)
    if form == "max_b":
        return a1 + a2, np.maximum(b1, b2)
    if form == "reversed":
        return a1 + a2, np.maximum(a1 + b2, b1)
    if form == "times":
        return a1 * a2, np.maximum(a2 * b1, b2)
    if form == "max_a":
        return np.maximum(a1, a2), np.maximum(a2 + b1, b2)
    return a1 + a2, np.maximum(a2 + b1, b2)


def _apply(A, h, *, rows: bool = False):
    """``A h`` for stacks of matrices ``(..., H, H)`` and vectors ``(..., H)`` (``rows``: the
    row-vector convention ``h A``, the mistake)."""
    if rows:
        return (h[..., None, :] @ A)[..., 0, :]
    return (A @ h[..., None])[..., 0]


def matrix_scan(a, b, h0, *, form: str = "right"):
    """Every h_t of h_t = A_t h_{t−1} + b_t (A_t of shape (N, H, H)) by Hillis–Steele rounds
    d = 1, 2, 4, ...

    ``form`` gives the known mistakes: ``"matrix_order"`` (the combined matrix multiplied the
    wrong way round, A_{t−d} A_t), ``"hadamard"`` (matrices multiplied entry by entry),
    ``"row_vector"`` (h A instead of A h), ``"no_h0"``, ``"one_round_short"``,
    ``"in_place"`` (positions updated one block at a time, ascending, reading values of the
    current round), ``"a_first"`` (A updated before B in a round).
    """
    dtype = object if np.asarray(a).dtype == object else np.float64
    A, B, h0 = (np.array(v, dtype=dtype) for v in (a, b, h0))
    rows = form == "row_vector"
    T = A.shape[0]
    if T == 0:
        return B
    if form != "no_h0":
        B[0] = _apply(A[0], h0, rows=rows) + B[0]

    def matmul(later, earlier):
        if form == "hadamard":
            return later * earlier
        if form == "matrix_order":
            return earlier @ later
        if rows:
            return earlier @ later  # h A1 A2: the earlier matrix first
        return later @ earlier

    d = 1
    limit = T / 2 if form == "one_round_short" else T
    while d < limit:
        if form == "in_place":
            for start in range(d, T, d):
                now, before = slice(start, min(start + d, T)), slice(start - d,
                                                                    min(start, T - d))
                B[now] = _apply(A[now], B[before], rows=rows) + B[now]
                A[now] = matmul(A[now], A[before])
        elif form == "a_first":
            A[d:] = matmul(A[d:], A[:-d])
            B[d:] = _apply(A[d:], B[:-d]) + B[d:]
        else:
            B[d:] = _apply(A[d:], B[:-d], rows=rows) + B[d:]
            A[d:] = matmul(A[d:], A[:-d])
        d *= 2
    return B


def _log_sigmoid(k):
    """log σ(k) = −softplus(−k), finite for any k."""
    return -np.logaddexp(0.0, -k)


def _log_g(x):
    """log g(x): log(x + 1/2) for x ≥ 0, log σ(x) for x < 0 (Feng et al.'s positive g)."""
    return np.where(x >= 0, np.log(np.maximum(x, 0.0) + 0.5), _log_sigmoid(np.minimum(x, 0.0)))


def log_minlstm_pair(x_t, weight_ih, bias, *, form: str = "right"):
    """``(log a_t, log b_t)`` of one minLSTM step in log space (blocks f | i | h̃), finite for
    any pre-activation. ``form``: ``"no_norm"`` (the gates not normalised), ``"swapped"``
    (f and i exchanged), ``"no_g"`` (h̃ taken as the log of the candidate), ``"sign"``
    (log σ(k) written −softplus(k))."""
    W = np.asarray(weight_ih, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    x = np.asarray(x_t, dtype=np.float64)
    H = W.shape[0] // 3
    pre = x @ W.T + b
    k_f, k_i, h_tilde = pre[:, :H], pre[:, H:2 * H], pre[:, 2 * H:]
    if form == "swapped":
        k_f, k_i = k_i, k_f
    log_sig = (lambda k: -np.logaddexp(0.0, k)) if form == "sign" else _log_sigmoid
    log_f, log_i = log_sig(k_f), log_sig(k_i)
    log_cand = h_tilde if form == "no_g" else _log_g(h_tilde)
    if form == "no_norm":
        return log_f, log_i + log_cand
    log_total = np.logaddexp(log_f, log_i)
    return log_f - log_total, log_i - log_total + log_cand


def linear_scan_backward(a, b, h0, grad_h, *, form: str = "right"):
    """``(grad_a, grad_b, grad_h0)`` of :math:`L = \\sum_t \\langle g_t, h_t \\rangle` for
    :math:`h_t = a_t \\odot h_{t-1} + b_t`; ``a``, ``b``, ``grad_h`` are ``(T, N, H)``,
    ``h0`` is ``(N, H)``.

    ``form`` gives the known mistakes: ``"forward"`` (the gradient accumulated from the first
    step to the last), ``"same_a"`` (δ_{t+1} passed back through a_t instead of a_{t+1}),
    ``"h_t"`` (grad_a reads h_t instead of h_{t−1}), ``"local"`` (no accumulation: δ = g),
    ``"h0_no_a"`` (grad_h0 = δ_1, without a_1).
    """
    a, b, h0, g = (np.asarray(v, dtype=np.float64) for v in (a, b, h0, grad_h))
    T = a.shape[0]
    h, states = h0, []
    for t in range(T):
        h = a[t] * h + b[t]
        states.append(h)
    before = np.array([h0, *states[:-1]]) if T else np.zeros_like(a)  # h_{t−1} of each step
    delta = np.empty_like(g)
    order = range(T) if form == "forward" else range(T - 1, -1, -1)
    carry = np.zeros_like(h0)
    for t in order:
        delta[t] = g[t] + (0.0 if form == "local" else carry)
        nxt = t - 1 if form == "forward" else t  # the step whose a passes δ_t on
        if form == "same_a":
            carry = a[t - 1] * delta[t] if t > 0 else 0.0 * delta[t]
        elif form == "forward":
            carry = a[t + 1] * delta[t] if t + 1 < T else 0.0 * delta[t]
        else:
            carry = a[nxt] * delta[t]
    grad_a = delta * (np.array(states) if form == "h_t" else before)
    grad_h0 = delta[0] if form == "h0_no_a" else a[0] * delta[0]
    return grad_a, delta, grad_h0


def matrix_loop(a, b, h0):
    """The same states by the plain loop (for the tests)."""
    h = np.asarray(h0, dtype=np.float64)
    out = []
    for A_t, b_t in zip(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)):
        h = _apply(A_t, h) + b_t
        out.append(h)
    return np.stack(out)


# ----------------------------------------------------------------------------------------
# Probes


def _given(args: dict, names: Sequence[str], extra: str = "") -> str:
    shapes = ", ".join(f"{k} {np.shape(args[k])}" for k in names)
    return f"{extra}{' (' if extra else ''}{shapes}{')' if extra else ''}"


def _minlstm_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_1")

    def make(N, H_in, H, *, b=True, x=True):
        return {"x_t": rng.normal(0, 1.5, (N, H_in)) if x else np.zeros((N, H_in)),
                "weight_ih": rng.uniform(-0.9, 0.9, (3 * H, H_in)),
                "bias": rng.uniform(-1.5, 1.5, 3 * H) if b else np.zeros(3 * H)}

    names = ("x_t", "weight_ih", "bias")
    if level == "public":
        specs = [("bias only", make(2, 3, 3, x=False), "the bias term", "x_t = 0"),
                 ("no bias", make(2, 3, 3, b=False), "the input term", "zero bias"),
                 ("all", make(3, 4, 2), "the combination", "random inputs")]
    else:
        specs = [("batch of one", make(1, 5, 3), "the combination", "random inputs"),
                 ("wide", make(4, 6, 5), "the combination", "random inputs")]
    return [Probe(n, a, label, _given(a, names, given)) for n, a, label, given in specs]


def _maxplus_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_2")

    def make(shape, *, b2_low=False):
        args = {"a_first": rng.normal(0, 1.5, shape), "b_first": rng.normal(0, 2, shape),
                "a_second": rng.normal(0, 1.5, shape), "b_second": rng.normal(0, 2, shape)}
        if b2_low:
            args["b_second"] = args["b_second"] - 100.0
        return args

    if level == "public":
        specs = [("second floor low", make((2, 3), b2_low=True), "the first step's b",
                  "b_second far below everything else, so the second step never takes it"),
                 ("random", make((4,)), "the combined pair", "random pairs")]
    else:
        specs = [("random", make((1, 5)), "the combined pair", "random pairs"),
                 ("random 3-d", make((3, 2, 2)), "the combined pair", "random pairs")]
    return [Probe(n, a, label, f"{given} of shape {a['a_first'].shape}")
            for n, a, label, given in specs]


def _matrix_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_3")
    # the last probe is long, so a chain of T steps shows in the answer's depth (traced)
    Ts = [1, 2, 5, 8, 13, 512] if level == "public" else \
        [3, 16, 33, int(rng.integers(LONG_SCAN + 1, 700))]
    out = []
    for T in Ts:
        N, H = (2, 3) if level == "public" else (int(rng.integers(1, 3)), int(rng.integers(2, 4)))
        if T >= LONG_SCAN:
            N, H = 1, 2
        # matrices of spectral norm below 1, so the states stay of order one over long runs
        A = rng.normal(0, 1, (T, N, H, H))
        A = 0.9 * A / np.linalg.norm(A, ord=2, axis=(-2, -1))[..., None, None]
        args = {"a": A, "b": rng.normal(0, 1, (T, N, H)), "h0": rng.normal(0, 1, (N, H))}
        out.append(Probe(f"T={T}", args, "the states",
                         f"T = {T} steps (a {A.shape}, b {args['b'].shape}, "
                         f"h0 {args['h0'].shape})", traced=True))
    return out


def _log_pair_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_4")

    def make(N, H_in, H, scale):
        return {"x_t": rng.normal(0, scale, (N, H_in)),
                "weight_ih": rng.uniform(-0.9, 0.9, (3 * H, H_in)),
                "bias": rng.uniform(-1.5, 1.5, 3 * H)}

    names = ("x_t", "weight_ih", "bias")
    specs = ([("moderate", make(2, 3, 3, 1.0), "moderate pre-activations", "x_t of order 1"),
              ("extreme", make(3, 4, 2, 2000.0), "extreme pre-activations",
               "x_t of order 2000, so pre-activations reach the thousands")]
             if level == "public" else
             [("batch of one", make(1, 5, 3, 1.0), "moderate pre-activations", "x_t of order 1"),
              ("extreme", make(4, 6, 4, 3000.0), "extreme pre-activations",
               "x_t of order 3000")])
    return [Probe(n, a, label, _given(a, names, given)) for n, a, label, given in specs]


def _backward_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_5")

    def make(T, N, H, *, g_last_only=False):
        g = rng.normal(0, 1, (T, N, H))
        if g_last_only:
            g[:-1] = 0.0
        return {"a": rng.uniform(-1.2, 1.2, (T, N, H)), "b": rng.normal(0, 1, (T, N, H)),
                "h0": rng.normal(0, 1, (N, H)), "grad_h": g}

    names = ("a", "b", "h0", "grad_h")
    if level == "public":
        specs = [("one step", make(1, 2, 3), "a single step", "T = 1"),
                 ("loss on the last state", make(5, 2, 3, g_last_only=True),
                  "how the gradient travels back", "grad_h is 0 except at the last step"),
                 ("loss on every state", make(6, 3, 2), "the accumulation",
                  "random inputs")]
    else:
        specs = [("long", make(17, 2, 3), "the accumulation", "random inputs"),
                 ("batch of one", make(4, 1, 5), "the accumulation", "random inputs")]
    return [Probe(n, a, label, _given(a, names, given)) for n, a, label, given in specs]


# ----------------------------------------------------------------------------------------
# Known mistakes


def _minlstm_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(minlstm_pair, form="raw"), "the gates are not normalised: minLSTM divides "
                "both by their sum, f_t + i_t, so that what is kept and what is written add "
                "up to one (without it the state can grow over a long sequence)."),
        Mistake(p(minlstm_pair, form="raw_b"), "a_t is normalised but b_t is not: the input "
                "gate is divided by the same sum f_t + i_t before it scales the candidate."),
        Mistake(p(minlstm_pair, form="swapped"), "the forget gate and the input gate are "
                "exchanged (the rows you took for them, or their roles): rows 0:H are the "
                "forget gate, whose share multiplies h_{t−1} (that is a_t); rows H:2H are the "
                "input gate, whose share multiplies the candidate."),
        Mistake(p(minlstm_pair, rows=(0, 2, 1)), "the input gate and the candidate are "
                "swapped: rows H:2H are the input gate, rows 2H:3H the candidate h̃."),
        Mistake(p(minlstm_pair, cand_act=np.tanh), "the candidate has no tanh in minLSTM: "
                "it is a plain linear map of x_t, as in minGRU."),
    )


def _maxplus_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(maxplus_combine, form="max_b"), "the second step adds a_second to whatever "
                "the first step produced, its floor b_first included: the b part compares "
                "a_second + b_first with b_second."),
        Mistake(p(maxplus_combine, form="reversed"), "the order is reversed: you applied the "
                "second step first. Write h after both steps, the first one innermost, and "
                "read off the new pair."),
        Mistake(p(maxplus_combine, form="times"), "that is the affine scan's rule, where "
                "gates multiply. Here a step *adds* a to h: two steps add their a's, and the "
                "second step adds a_second to the first step's floor."),
        Mistake(p(maxplus_combine, form="max_a"), "the shifts of two steps add up (h goes "
                "through both); they do not take a maximum."),
    )


def _matrix_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(matrix_scan, form="matrix_order"), "the combined matrix is multiplied the "
                "wrong way round. Two steps give A_t (A_{t−d} h + b) + ...: the later step's "
                "matrix stands on the left, A_t A_{t−d}. Matrices do not commute; the "
                "diagonal gates of the chapter did."),
        Mistake(p(matrix_scan, form="hadamard"), "you multiplied the matrices entry by entry "
                "(`*`); composing two linear maps is the matrix product (`@`)."),
        Mistake(p(matrix_scan, form="row_vector"), "you applied the matrices to row vectors, "
                "h A; the recurrence is A_t h_{t−1}: entry i of the result is the sum over j "
                "of A_t[i, j] h[j]."),
        Mistake(p(matrix_scan, form="no_h0"), "h0 is missing: fold it into the first pair "
                "before the rounds."),
        Mistake(p(matrix_scan, form="one_round_short"), "off by one in the rounds: you stopped "
                "one round early, so the last positions miss their earliest steps. Keep going "
                "while the distance is smaller than T."),
        Mistake(p(matrix_scan, form="in_place"), "you updated positions one by one in place, "
                "so later positions read values already combined in this round. Every "
                "position of a round must read the previous round's arrays."),
        Mistake(p(matrix_scan, form="a_first"), "in a round you updated the matrices before "
                "using them for the vectors: both must read the values of the previous round."),
    )


def _log_pair_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(log_minlstm_pair, form="no_norm"), "the gates are not normalised: in log "
                "space dividing by f_t + i_t is subtracting log(f_t + i_t), a log-sum-exp "
                "of log f_t and log i_t."),
        Mistake(p(log_minlstm_pair, form="swapped"), "the forget gate and the input gate are "
                "exchanged: log a_t comes from the forget gate (rows 0:H), log b_t from the "
                "input gate (rows H:2H) and the candidate."),
        Mistake(p(log_minlstm_pair, form="no_g"), "h̃ is the candidate itself, not its "
                "logarithm: pass it through g (positive) and take log g(h̃), without forming "
                "g where it would underflow."),
        Mistake(p(log_minlstm_pair, form="sign"), "log σ(k) is −softplus(−k), not "
                "−softplus(k) (that is log(1 − σ(k)))."),
    )


def _backward_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(linear_scan_backward, form="forward"), "you accumulated the gradient from "
                "the first step to the last. A state's gradient collects what the *later* "
                "states owe to it, so the accumulation runs from the last step back to the "
                "first."),
        Mistake(p(linear_scan_backward, form="same_a"), "the gradient of h_t passes back "
                "through the wrong gate: h_t enters the *next* step, h_{t+1} = a_{t+1} ⊙ h_t "
                "+ b_{t+1}, so it is that step's a that carries the gradient back."),
        Mistake(p(linear_scan_backward, form="h_t"), "grad_a uses the state the step "
                "produced; a_t multiplies the state the step was given, h_{t−1} (h0 for the "
                "first step)."),
        Mistake(p(linear_scan_backward, form="local"), "only the direct gradients are "
                "counted: h_t also changes every later state, so its total gradient adds what "
                "comes back from the next step."),
        Mistake(p(linear_scan_backward, form="h0_no_a"), "grad_h0 misses a factor: h0 "
                "reaches the loss only through the first step, which multiplies it by a_1."),
    )


NONFINITE_LOG_PAIR = ("Large pre-activations push σ to exactly 0 or 1 in float64 (σ(−800) "
                      "underflows), and the log of 0 is −inf. Never form σ, f_t + i_t or g "
                      "and then take a log: compute every log from the pre-activations "
                      "(log σ(k) = −softplus(−k), NumPy's logaddexp for the sum of two "
                      "gates).")


def _hint(*steps: str) -> tuple[str, ...]:
    """A stepped hint: each call of ``hint(...)`` shows one more step."""
    return tuple(" ".join(step.split()) for step in steps)


QUESTIONS: list[Question] = [
    Ch5Question(
        name="q5_1", func_name="minlstm_pair",
        title="Exercise 5.1: one minLSTM step as a pair (a_t, b_t)",
        hint=_hint("""Compute the two gates and the candidate from x_t alone, as minGRU does,
one block of rows each.""", """Then normalise: divide each gate by the sum of the two, so that
the share kept and the share written add up to one. Whatever multiplies h_{t−1} is a_t; the
rest is b_t."""),
        probes=_minlstm_probes, reference=minlstm_pair, mistakes=_minlstm_mistakes(),
        output_names=("a_t", "b_t"), points={"public": 1, "hidden": 1},
        every_probe="the rows you slice, the normalisation"),
    Ch5Question(
        name="q5_2", func_name="maxplus_combine",
        title="Exercise 5.2: combining two max-plus steps",
        hint=_hint("""Start from a state h, apply the first step, then the second, and
simplify until the result has the form of one step again.""", """Adding a number to a
maximum adds it to each of its arguments, and a maximum of a maximum is one maximum. Which
parts depend on h and which do not?"""),
        probes=_maxplus_probes, reference=maxplus_combine, mistakes=_maxplus_mistakes(),
        output_names=("a", "b"), points={"public": 1, "hidden": 1}),
    Ch5Question(
        name="q5_3", func_name="matrix_scan",
        title="Exercise 5.3: a parallel scan with full matrices",
        hint=_hint("""The chapter's scan carries a pair per position and combines each with the
pair a distance d earlier, for d = 1, 2, 4, ... Nothing in that schedule needs the gates to be
diagonal; only the combine changes.""", """Apply two steps to a state h, the earlier one
innermost, and expand: one part of the result multiplies h, the rest does not, and those two
parts are the combined step. Which of the two matrices stands on the left, given that matrices
do not commute? And where does h0 have to enter, so that the rounds never need it?"""),
        probes=_matrix_probes, reference=matrix_scan, mistakes=_matrix_mistakes(),
        output_names=("h",), points={"public": 1, "hidden": 2},
        depth_judged=True, tol=1e-10),
    Ch5Question(
        name="q5_4", func_name="log_minlstm_pair",
        title="Exercise 5.4: the minLSTM pair in log space",
        hint=_hint("""Take the logarithm of each factor of a_t and b_t from Exercise 5.1: a
log of a ratio is a difference of logs, and the log of a sum of two gates is a log-sum-exp of
their logs.""", """Write each log from the pre-activations directly, never from σ or g
themselves: the chapter shows the stable form of log σ, and log g has a stable form on each
side of 0."""),
        probes=_log_pair_probes, reference=log_minlstm_pair, mistakes=_log_pair_mistakes(),
        output_names=("log_a", "log_b"), points={"public": 1, "hidden": 1},
        nonfinite=NONFINITE_LOG_PAIR),
    Ch5Question(
        name="q5_5", func_name="linear_scan_backward",
        title="Exercise 5.5: the backward pass of a linear recurrence",
        hint=_hint("""Start at the last state: only its direct gradient reaches it. Then walk
back one step at a time and ask what each earlier state owes to the states after it.""",
                   """Each state enters exactly one later step, as the thing that step's gate
multiplies. The gradient of a step's gate needs what that gate multiplied; the gradient of its
b needs nothing from the forward pass. Write the walk back as a recurrence: of what form is
it?"""),
        probes=_backward_probes, reference=linear_scan_backward,
        mistakes=_backward_mistakes(),
        output_names=("grad_a", "grad_b", "grad_h0"), points={"public": 1, "hidden": 2},
        every_probe="the direction of the walk and which gate passes the gradient back"),
]


PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p5_1", var_name="predicted_is_mingru",
        title="Prediction 5.1: is a minLSTM step a minGRU step?",
        kind="choice", answer="yes", options=("yes", "no"),
        explanation="Yes. After the normalisation the share kept, f/(f + i), and the share "
                    "written, i/(f + i), add up to one, so a step is h_t = z_t ⊙ h_{t−1} + "
                    "(1 − z_t) ⊙ h̃_t with z_t = f/(f + i), a number in (0, 1) computed from "
                    "x_t alone: minGRU's form. What differs is how that gate is computed from "
                    "x_t (two sigmoids and a ratio, one more block of weights), not the "
                    "recurrence, which is why the same scan runs both.",
        mistakes=(WrongAnswer("no", "Two gates look like the LSTM, but after the "
                              "normalisation they are tied: one is one minus the other."),),
        hint=("Add the two normalised gates. What does that make the step look like?",
              "Compare with minGRU's step, a blend of h_{t−1} and a candidate by one gate "
              "computed from x_t. Does any part of the minLSTM step read h_{t−1} other than "
              "through a_t?"),
        reveals="q5_1"),
    Prediction(
        name="p5_2", var_name="predicted_scannable",
        title="Prediction 5.2: can a max-plus recurrence run as a scan?",
        kind="choice", answer="yes", options=("yes", "no"),
        explanation="Yes. A scan needs only that two steps in a row are again one step of the "
                    "same form (an associative combine), not that the step be linear. Adding "
                    "a number to a maximum adds it to every argument, so max(a2 + max(a1 + h, "
                    "b1), b2) is again a shift of h with a floor. The same schedule of rounds "
                    "then computes every state in about log2(T) rounds.",
        mistakes=(WrongAnswer("no", "max is not linear, but the scan does not need linearity: "
                              "only that composing two steps gives a step of the same form."),),
        hint=("What does a parallel scan need from the step: linearity, or something "
              "else?",
              "Apply two max-plus steps in a row to a state h. Can you rewrite the result as "
              "one step of the same kind, a shift and a floor?"),
        reveals="q5_2"),
    Prediction(
        name="p5_3", var_name="predicted_extra_work",
        title="Prediction 5.3: what full matrices cost a scan",
        kind="choice", answer="about H*log2(T) times",
        options=("about the same", "about log2(T) times", "about H*log2(T) times",
                 "about T times"),
        explanation="The loop does one matrix-vector product per step, H² multiply-adds. The "
                    "scan combines every position in each of about log2(T) rounds, and a "
                    "combine now multiplies two H × H matrices, H³ multiply-adds: about "
                    "H log2(T) times the loop's work in all. With diagonal gates a combine "
                    "costs H, as much as a step of the loop, and the scan does only log2(T) "
                    "times more. That is why the cells that run as scans keep their gates "
                    "elementwise.",
        mistakes=(WrongAnswer("about log2(T) times", "That is the diagonal case. Here a "
                              "combine multiplies two matrices, H³, while a step of the loop "
                              "is a matrix-vector product, H²."),
                  WrongAnswer("about the same", "Each of the log2(T) rounds touches every "
                              "position, and a combine costs more than a step of the loop."),
                  WrongAnswer("about T times", "A scan has about log2(T) rounds, not T: the "
                              "distance doubles each round.")),
        hint=("Count the multiply-adds of one step of the loop and of one combine.",
              "How many combines does each position take part in?"),
        reveals="q5_3"),
    Prediction(
        name="p5_4", var_name="predicted_naive_log_a",
        title="Prediction 5.4: log a_t the direct way, at a large pre-activation",
        kind="choice", answer="-inf", options=("about -799.3", "-inf", "nan", "0"),
        explanation="-inf. In float64, exp(800) overflows to inf, so σ(−800) = 1/(1 + inf) "
                    "rounds to exactly 0; a_t = 0/(0 + 0.5) = 0, and log 0 = −inf (NumPy "
                    "warns and carries on). The true value is log σ(−800) − log(σ(−800) + "
                    "σ(0)) ≈ −800 + log 2 ≈ −799.3, perfectly representable: it is lost only "
                    "because σ was formed before the log. A scan fed −inf gives −inf or nan "
                    "states. Exercise 5.4 computes every log from the pre-activations, so "
                    "that nothing rounds to 0 first.",
        mistakes=(WrongAnswer("about -799.3", "That is the true value, and a log-space "
                              "formula gets it; but the direct way forms σ(−800) first, and "
                              "in float64 that rounds to exactly 0."),
                  WrongAnswer("nan", "nan would need 0/0 or inf − inf: the input gate is "
                              "σ(0) = 0.5, so the denominator is not 0; the numerator is."),
                  WrongAnswer("0", "log a_t = 0 would mean a_t = 1, keeping everything; "
                              "with the forget gate that shut, a_t is about 0.")),
        hint=("Follow the direct computation step by step in float64: what is exp(800), and "
              "so what is σ(−800)?",
              "Once the forget gate is stored as a float, what is a_t, and what is the "
              "logarithm of that number?"),
        reveals="q5_4"),
    Prediction(
        name="p5_5", var_name="predicted_needs_states",
        title="Prediction 5.5: what the backward pass of a scan needs to keep",
        kind="choice", answer="grad_a only",
        options=("none of them", "grad_a only", "grad_b only", "grad_a and grad_b"),
        explanation="Only grad_a. The total gradient on each state is a linear recurrence "
                    "run from the last step back, whose coefficients are the gates a_t "
                    "themselves: it needs no state. grad_b is that total gradient, since b_t "
                    "enters h_t with factor 1. grad_a multiplies it by what a_t multiplied, "
                    "the state h_{t−1}, so the forward states (or a second forward scan) are "
                    "needed for it. The backward pass is itself a scan, and can run in "
                    "log2(T) rounds too.",
        mistakes=(WrongAnswer("grad_a and grad_b", "b_t enters h_t added, with factor 1: "
                              "its gradient is the gradient on h_t, which the gates alone "
                              "carry back."),
                  WrongAnswer("grad_b only", "b_t is added, so its gradient needs no state; "
                              "a_t multiplies a state, and the product rule brings that "
                              "state into its gradient."),
                  WrongAnswer("none of them", "a_t multiplies h_{t−1}: by the product rule, "
                              "its gradient contains h_{t−1}.")),
        hint=("In h_t = a_t ⊙ h_{t−1} + b_t, what does each of a_t and b_t multiply?",
              "By the product rule, the gradient of a factor contains the other factor. "
              "Which gradient then contains a state, and which contains only gradients and "
              "gates?"),
        reveals="q5_5"),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 5 says none of them.
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q5_1": (r"f_t/\(f_t\+i_t\)", r"i_t/\(f_t\+i_t\)"),
    "q5_2": (r"max\(a_2\+b_1", r"a_1\+a_2,max"),
    "q5_3": (r"a_ta_t-d", r"a_t-da_t"),
    "q5_4": (r"logaddexp\(log_?f", r"log\(f_t\+i_t\)"),
    "q5_5": (r"a_t\+1(delta|δ|g_t|grad)", r"(delta|δ)_t=g_t\+",
             r"backward[^.]{0,60}(recurrence|scan)[^.]{0,40}(reverse|lasttothefirst)"),
}
