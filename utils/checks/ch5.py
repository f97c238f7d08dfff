"""Checkers for chapter 5 (``solutions/ch5_exercises.ipynb``): the GRU family.

- ``mgu_step(x_t, h_prev, weight_ih, weight_hh, bias)``: one step of the minimal gated unit
  in the course's convention, parameters stacked f | n (``(2H, H_in)``, ``(2H, H)``,
  ``(2H,)``): :math:`f_t = \\sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f)`,
  :math:`n_t = \\tanh(W_{in} x_t + W_{hn} (f_t \\odot h_{t-1}) + b_n)`,
  :math:`h_t = (1 - f_t) \\odot h_{t-1} + f_t \\odot n_t` — as ``utils.variants.MGU``.
- ``param_savings(input_size, hidden_size)``: sizes ``(K,)`` → ``(K, 3)``, the parameters
  GRU1, GRU2, GRU3 save against the one-bias GRU :math:`3(H H_{in} + H^2 + H)`:
  :math:`2 H H_{in}`, :math:`2 H H_{in} + 2H`, :math:`2 H H_{in} + 2H^2`.
- ``mingru_pair(x_t, weight_ih, bias)``: one minGRU step as the pair
  :math:`(a_t, b_t) = (z_t, (1 - z_t) \\odot n_t)` with :math:`h_t = a_t h_{t-1} + b_t`.
- ``combine(a_first, b_first, a_second, b_second)``: the pair of two steps in a row,
  :math:`(a_2 a_1, a_2 b_1 + b_2)`.
- ``parallel_scan(a, b, h0)``: all :math:`h_t` by :math:`\\lceil \\log_2 T \\rceil` rounds.
  Right values are not enough: the probes are traced (:class:`~utils.checks.core.Traced`), so
  the depth of the answer, the longest chain of dependent operations behind any state, is
  measured from the data flow. On the long probes it must grow like :math:`\\log_2 T`
  (:func:`max_scan_depth`); a chain of ``T`` steps scores 0 with its own message, in whatever
  form it is written (a loop, unrolled lines, a thread, ``cumprod``).
- ``log_scan(log_a, log_b, log_h0)``: :math:`\\log h_t` in log space, accurate where the
  product of the gates underflows.

The references are tested against ``utils.variants`` and ``torch`` in
``tests/test_checks_ch5.py``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict, probe_rng

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


def mgu_step(x_t, h_prev, weight_ih, weight_hh, bias, *, keep: str = "one_minus_f",
             reset: str = "before", rows: tuple[int, int] = (0, 1), cand_act=np.tanh,
             gate_act=_sigmoid, bias_on: bool = True, t_ih: bool = False,
             t_hh: bool = False):
    """One MGU step (course convention), with flags for the known mistakes.

    ``keep``: ``"one_minus_f"`` (reference: h = (1 − f) h_prev + f n), ``"f"`` (the roles of
    f and 1 − f swapped). ``reset``: ``"before"`` (reference: W_hn (f ⊙ h_prev)), ``"after"``
    (f ⊙ (W_hn h_prev)), ``"none"`` (no reset). ``rows``: blocks used for (f, n).
    """
    H = np.asarray(weight_hh).shape[1]
    W_ih = np.asarray(weight_ih, dtype=np.float64)
    W_hh = np.asarray(weight_hh, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64) if bias_on else np.zeros(2 * H)
    x, h = np.asarray(x_t, dtype=np.float64), np.asarray(h_prev, dtype=np.float64)

    def blk(W, k, transposed):
        B = W[k * H:(k + 1) * H]
        return B if transposed else B.T

    kf, kn = rows
    f_t = gate_act(x @ blk(W_ih, kf, t_ih) + h @ blk(W_hh, kf, t_hh) + b[kf * H:(kf + 1) * H])
    W_hn = blk(W_hh, kn, t_hh)
    if reset == "before":
        rec = (f_t * h) @ W_hn
    elif reset == "after":
        rec = f_t * (h @ W_hn)
    else:
        rec = h @ W_hn
    n_t = cand_act(x @ blk(W_ih, kn, t_ih) + rec + b[kn * H:(kn + 1) * H])
    if keep == "f":
        return f_t * h + (1.0 - f_t) * n_t
    return (1.0 - f_t) * h + f_t * n_t


def param_savings(input_size, hidden_size, *, variant: str = "right"):
    """``(K, 3)``: parameters GRU1, GRU2, GRU3 save against the one-bias GRU.

    ``variant`` gives the known mistakes: ``"torch_gru"`` (against PyTorch's two-bias GRU),
    ``"gru2_no_bias"`` (GRU2 keeps its gate biases), ``"gru3_no_input"`` (GRU3 keeps the
    input weights), ``"one_gate"`` (only one of the two gates counted), ``"counts"`` (the
    variants' counts instead of the savings), ``"swapped"`` (H_in and H exchanged).
    """
    i = np.asarray(input_size, dtype=np.int64)
    h = np.asarray(hidden_size, dtype=np.int64)
    if variant == "swapped":
        i, h = h, i
    gate_x, gate_h = h * i, h * h  # input weights and recurrent weights of one gate
    s1, s2, s3 = 2 * gate_x, 2 * gate_x + 2 * h, 2 * gate_x + 2 * gate_h
    if variant == "torch_gru":  # PyTorch's GRU has 3H more biases; all of them drop
        s1, s2, s3 = s1 + 2 * h, s2 + 2 * h, s3 + 2 * h
    elif variant == "gru2_no_bias":
        s2 = 2 * gate_x
    elif variant == "gru3_no_input":
        s3 = 2 * gate_h
    elif variant == "one_gate":
        s1, s2, s3 = s1 // 2, s2 // 2, s3 // 2
    elif variant == "counts":
        gru = 3 * (gate_x + gate_h + h)
        s1, s2, s3 = gru - s1, gru - s2, gru - s3
    return np.stack([s1, s2, s3], axis=-1)


def mingru_pair(x_t, weight_ih, bias, *, sign: str = "course", cand_act=None,
                b_form: str = "right", rows: tuple[int, int] = (0, 1),
                transposed: bool = False):
    """``(a_t, b_t)`` of one minGRU step; flags give the known mistakes."""
    W = np.asarray(weight_ih, dtype=np.float64)
    H = W.shape[0] // 2
    bias = np.asarray(bias, dtype=np.float64)
    x = np.asarray(x_t, dtype=np.float64)
    kz, kn = rows

    def proj(k):
        B = W[k * H:(k + 1) * H]
        return x @ (B if transposed else B.T) + bias[k * H:(k + 1) * H]

    z_t = _sigmoid(proj(kz))
    n_t = proj(kn)
    if cand_act is not None:
        n_t = cand_act(n_t)
    if sign == "chung":
        z_t = 1.0 - z_t
    a_t = z_t
    b_t = n_t if b_form == "no_gate" else (z_t * n_t if b_form == "z" else (1.0 - z_t) * n_t)
    return a_t, b_t


def combine(a_first, b_first, a_second, b_second, *, form: str = "right"):
    """The pair of "first step, then second step": ``(a2 a1, a2 b1 + b2)``."""
    a1, b1 = np.asarray(a_first, np.float64), np.asarray(b_first, np.float64)
    a2, b2 = np.asarray(a_second, np.float64), np.asarray(b_second, np.float64)
    if form == "reversed":  # the second step applied first
        return a1 * a2, a1 * b2 + b1
    if form == "sum_a":
        return a1 + a2, a2 * b1 + b2
    if form == "sum_b":
        return a1 * a2, b1 + b2
    if form == "a1b1":
        return a1 * a2, a1 * b1 + b2
    return a2 * a1, a2 * b1 + b2


def parallel_scan(a, b, h0, *, form: str = "right"):
    """Every h_t of h_t = a_t h_{t-1} + b_t by Hillis–Steele rounds d = 1, 2, 4, ...

    ``form`` gives the known mistakes: ``"reversed"`` (the earlier pair applied after the
    later one), ``"one_round_short"`` (stops at d < T/2), ``"offset_plus"`` (combines t with
    t − d + 1), ``"no_h0"`` (h0 not folded in), ``"a_first"`` (A updated before B in a
    round), ``"in_place"`` (positions updated one by one, ascending, so later positions
    read values of the current round), ``"d_plus_one"`` (d = 1, 2, 3, 4, ...).
    """
    # float64 copies; traced inputs (object arrays, the checker's tests) stay traced
    A, B, h0 = (np.array(v, dtype=object if np.asarray(v).dtype == object else np.float64)
                for v in (a, b, h0))
    T = A.shape[0]
    if T == 0:
        return B
    if form != "no_h0":
        B[0] = A[0] * h0 + B[0]
    d = 1
    limit = T / 2 if form == "one_round_short" else T
    while d < limit:
        if form == "in_place":  # as t = d, d + 1, ... one by one, a block of d at a time
            for start in range(d, T, d):
                now, before = slice(start, min(start + d, T)), slice(start - d,
                                                                    min(start, T - d))
                B[now] = A[now] * B[before] + B[now]
                A[now] = A[now] * A[before]
        elif form == "offset_plus":
            s = d - 1
            if s > 0:
                B[s:] = A[s:] * B[:-s] + B[s:]
                A[s:] = A[s:] * A[:-s]
        elif form == "reversed":
            B[d:] = A[:-d] * B[d:] + B[:-d]
            A[d:] = A[d:] * A[:-d]
        elif form == "a_first":
            A[d:] = A[d:] * A[:-d]
            B[d:] = A[d:] * B[:-d] + B[d:]
        else:
            B[d:] = A[d:] * B[:-d] + B[d:]
            A[d:] = A[d:] * A[:-d]
        d = d + 1 if form == "d_plus_one" else 2 * d
    return B


def log_scan(log_a, log_b, log_h0, *, form: str = "right"):
    """log h_t for positive a, b, h0, in log space (Heinsen 2023); flags: ``"exclusive"``
    (a*_t without log a_t), ``"no_h0"`` (h0 left out)."""
    la = np.asarray(log_a, dtype=np.float64)
    lb = np.asarray(log_b, dtype=np.float64)
    lh0 = np.asarray(log_h0, dtype=np.float64)
    a_star = np.cumsum(la, axis=0)
    if form == "exclusive":
        a_star = a_star - la
    terms = lb - a_star
    if form != "no_h0":
        terms = np.concatenate([lh0[None], terms])
        return a_star + np.logaddexp.accumulate(terms, axis=0)[1:]
    return a_star + np.logaddexp.accumulate(terms, axis=0)


# ----------------------------------------------------------------------------------------
# Probes


def _given(args: dict, names: Sequence[str], extra: str = "") -> str:
    shapes = ", ".join(f"{k} {np.shape(args[k])}" for k in names)
    return f"{extra}{' (' if extra else ''}{shapes}{')' if extra else ''}"


def _mgu_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_1")

    def make(N, H_in, H, *, x=True, h=True, b=True):
        args = {"x_t": rng.normal(0, 1, (N, H_in)) if x else np.zeros((N, H_in)),
                "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H)),
                "weight_ih": rng.uniform(-0.9, 0.9, (2 * H, H_in)),
                "weight_hh": rng.uniform(-0.9, 0.9, (2 * H, H)),
                "bias": rng.uniform(-0.9, 0.9, 2 * H) if b else np.zeros(2 * H)}
        return args

    names = ("x_t", "h_prev", "weight_ih", "weight_hh")
    if level == "public":
        specs = [("bias only", make(2, 4, 4, x=False, h=False), "the bias term",
                  "x_t = 0 and h_prev = 0 (only the biases act)"),
                 ("input only", make(2, 4, 4, h=False, b=False), "the input term",
                  "h_prev = 0 and zero bias (only W·x_t acts)"),
                 ("state only", make(2, 4, 4, x=False, b=False),
                  "the recurrent term and the blend", "x_t = 0 and zero bias"),
                 ("all terms", make(3, 3, 5), "the combination", "random inputs")]
    else:
        specs = [("batch of one", make(1, 5, 2), "the combination", "random inputs"),
                 ("wide input", make(4, 7, 3), "the combination", "random inputs"),
                 ("square", make(5, 6, 6), "the combination", "random inputs")]
    return [Probe(n, a, label, _given(a, names, given)) for n, a, label, given in specs]


def _size_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_2")
    if level == "public":
        i, h = np.array([2, 10, 64]), np.array([16, 24, 128])
    else:
        i = rng.integers(1, 300, size=4)
        h = rng.integers(1, 300, size=4)
    return [Probe("sizes", {"input_size": i.astype(np.int64), "hidden_size": h.astype(np.int64)},
                  "the savings", f"input_size = {i.tolist()}, hidden_size = {h.tolist()}")]


def _pair_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_3")

    def make(N, H_in, H, *, b=True, x=True):
        return {"x_t": rng.normal(0, 1.5, (N, H_in)) if x else np.zeros((N, H_in)),
                "weight_ih": rng.uniform(-0.9, 0.9, (2 * H, H_in)),
                "bias": rng.uniform(-1, 1, 2 * H) if b else np.zeros(2 * H)}

    names = ("x_t", "weight_ih", "bias")
    if level == "public":
        specs = [("bias only", make(2, 3, 3, x=False), "the bias term", "x_t = 0"),
                 ("no bias", make(2, 3, 3, b=False), "the input term", "zero bias"),
                 ("all", make(3, 4, 2), "the combination", "random inputs")]
    else:
        specs = [("batch of one", make(1, 5, 3), "the combination", "random inputs"),
                 ("wide", make(4, 6, 5), "the combination", "random inputs")]
    return [Probe(n, a, label, _given(a, names, given)) for n, a, label, given in specs]


def _combine_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_4")

    def make(shape):
        return {"a_first": rng.uniform(0.05, 0.95, shape), "b_first": rng.normal(0, 1, shape),
                "a_second": rng.uniform(0.05, 0.95, shape), "b_second": rng.normal(0, 1, shape)}

    shapes = [(2, 3), (4,)] if level == "public" else [(1, 5), (3, 2, 2)]
    out = []
    for shape in shapes:
        args = make(shape)
        out.append(Probe(f"shape {shape}", args, "the combined pair",
                         f"pairs of shape {shape}"))
    return out


def _scan_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_5")
    # the last probe is long, so a chain of T steps shows in the answer's depth (traced)
    Ts = [1, 2, 5, 8, 13, 1024] if level == "public" else \
        [3, 16, 33, 100, int(rng.integers(LONG_SCAN + 1, 1500))]
    out = []
    for T in Ts:
        N, H = (2, 3) if level == "public" else (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        if T >= LONG_SCAN:
            N, H = 1, 2
        args = {"a": rng.uniform(0.1, 0.99, (T, N, H)), "b": rng.normal(0, 1, (T, N, H)),
                "h0": rng.normal(0, 1, (N, H))}
        out.append(Probe(f"T={T}", args, "the states",
                         f"T = {T} steps (a {args['a'].shape}, h0 {args['h0'].shape})",
                         traced=True))
    return out


def _log_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q5_6")
    specs = [(6, 0.1, 0.99), (3000, 0.2, 0.6)] if level == "public" else \
        [(1, 0.1, 0.99), (40, 0.01, 0.99), (5000, 0.3, 0.7)]
    out = []
    for T, lo, hi in specs:
        a = rng.uniform(lo, hi, (T, 2, 3))
        b = rng.uniform(0.05, 1.0, (T, 2, 3))
        h0 = rng.uniform(0.1, 1.0, (2, 3))
        args = {"log_a": np.log(a), "log_b": np.log(b), "log_h0": np.log(h0)}
        smallest = float(np.log10(a).sum(axis=0).min())
        out.append(Probe(f"T={T}", args, "log h",
                         f"T = {T} steps, a_t in ({lo}, {hi}) (the product of all a_t is "
                         f"about 10^{smallest:.0f})"))
    return out


# ----------------------------------------------------------------------------------------
# Known mistakes


def _mgu_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(mgu_step, keep="f"), "f_t and 1 − f_t are swapped in the blend. In the MGU "
                "the forget gate f_t is the share of the *candidate* taken (it replaces the "
                "GRU's 1 − z_t): h_t = (1 − f_t) ⊙ h_prev + f_t ⊙ n_t."),
        Mistake(p(mgu_step, reset="after"), "f_t multiplies the product W_hn h_prev (reset "
                "after, PyTorch's GRU); the MGU resets the state before the product: "
                "W_hn (f_t ⊙ h_prev), as Zhou et al. write it."),
        Mistake(p(mgu_step, reset="none"), "the candidate ignores f_t: in the MGU the one gate "
                "also plays the reset gate's role, n_t = tanh(W_in x_t + W_hn (f_t ⊙ h_prev) "
                "+ b_n)."),
        Mistake(p(mgu_step, rows=(1, 0)), "the two blocks are swapped: rows 0:H belong to the "
                "forget gate f, rows H:2H to the candidate n (order f | n)."),
        Mistake(p(mgu_step, cand_act=_sigmoid, gate_act=np.tanh), "σ and tanh are swapped: "
                "the gate f_t uses σ (values in (0, 1)), the candidate n_t uses tanh."),
        Mistake(p(mgu_step, cand_act=_sigmoid), "the candidate uses σ; it uses tanh."),
        Mistake(p(mgu_step, bias_on=False), "the bias is missing (one bias per block: "
                "bias[:H] for f, bias[H:] for n)."),
        Mistake(p(mgu_step, t_ih=True, t_hh=True), "transposed weights: with the batch in "
                "the rows the input term is x_t @ W.T for a block W of shape (H, H_in)."),
        Mistake(p(mgu_step, t_hh=True), "transposed recurrent weights: use h @ W_h.T for a "
                "block W_h of shape (H, H)."),
    )


def _savings_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(param_savings, variant="torch_gru"), "you compared against PyTorch's GRU "
                "(two biases per gate). Dey & Salem's GRU, like the variants, has one bias "
                "per gate: 3·(H·H_in + H·H + H)."),
        Mistake(p(param_savings, variant="gru2_no_bias"), "GRU2's saving is too small: its "
                "gates lose their biases as well as their input weights."),
        Mistake(p(param_savings, variant="gru3_no_input"), "GRU3's saving is too small: its "
                "gates keep only the bias, so they lose their input weights as well as their "
                "recurrent weights."),
        Mistake(p(param_savings, variant="one_gate"), "every saving is half the right one: "
                "two gates (r and z) lose their terms, not one."),
        Mistake(p(param_savings, variant="counts"), "you returned the variants' parameter "
                "counts; the question asks how many parameters each one *saves* against "
                "the GRU."),
        Mistake(p(param_savings, variant="swapped"), "input_size and hidden_size are "
                "exchanged: an input weight block is H × H_in, a recurrent block H × H."),
    )


def _pair_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(mingru_pair, sign="chung"), "you used the paper's sign (its z takes the "
                "new value). In the course's convention z_t keeps the old state: "
                "a_t = z_t, b_t = (1 − z_t) ⊙ n_t."),
        Mistake(p(mingru_pair, b_form="no_gate"), "b_t is the candidate alone; the share "
                "1 − z_t of it enters the state, so b_t = (1 − z_t) ⊙ n_t."),
        Mistake(p(mingru_pair, b_form="z"), "b_t uses z_t; the candidate enters with the "
                "weight 1 − z_t (z_t is the share of h_{t-1} kept)."),
        Mistake(p(mingru_pair, cand_act=np.tanh), "the candidate has no tanh in minGRU: "
                "n_t = W_in x_t + b_n (a plain linear map)."),
        Mistake(p(mingru_pair, rows=(1, 0)), "the blocks are swapped: rows 0:H are the gate "
                "z, rows H:2H the candidate n (order z | n)."),
    )


def _combine_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(combine, form="reversed"), "the order is reversed: you applied the second "
                "step first. Write h after both steps: h = a_second (a_first h + b_first) + "
                "b_second, and read off the new pair."),
        Mistake(p(combine, form="sum_b"), "the b part is b_first + b_second: b_first is "
                "still scaled by the second step's gate."),
        Mistake(p(combine, form="a1b1"), "b_first is scaled by its own gate a_first; it "
                "is the *second* step that scales what the first produced."),
        Mistake(p(combine, form="sum_a"), "the gates of two steps multiply (each keeps a "
                "share of what it received), they do not add."),
    )


def _scan_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(parallel_scan, form="reversed"), "wrong operator order: in each round "
                "position t must apply its own pair *after* the pair of t − d, "
                "B[t] ← A[t]·B[t−d] + B[t]; you applied it before. (The values agree only "
                "where all gates are equal.)"),
        Mistake(p(parallel_scan, form="one_round_short"), "off by one in the rounds: you "
                "stopped one round early, so positions t ≥ 2^(R−1) miss their earliest "
                "steps. Keep going while d < T: ⌈log₂ T⌉ rounds."),
        Mistake(p(parallel_scan, form="offset_plus"), "off by one in the offsets: in the "
                "round with distance d, position t combines with t − d (not t − d + 1)."),
        Mistake(p(parallel_scan, form="d_plus_one"), "the distance must double each round "
                "(d = 1, 2, 4, ...): after round k each position covers 2^k steps."),
        Mistake(p(parallel_scan, form="no_h0"), "h0 is missing: fold it into the first pair "
                "before the rounds (b_1 ← a_1 h0 + b_1)."),
        Mistake(p(parallel_scan, form="a_first"), "in a round you updated A before using it "
                "for B: both must read the values of the previous round (compute the new B "
                "from the old A)."),
        Mistake(p(parallel_scan, form="in_place"), "you updated positions one by one in "
                "place, so later positions read values already combined in this round. "
                "Every position of a round must read the previous round's arrays (work on "
                "slices, or copy first)."),
    )


def _log_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(log_scan, form="exclusive"), "off by one in the cumulative sum: "
                "a*_t = log a_1 + ... + log a_t includes log a_t."),
        Mistake(p(log_scan, form="no_h0"), "h0 is missing: its term e^{log h0} enters the "
                "log-sum-exp first."),
    )


NONFINITE_LOG = ("A product of thousands of gates (or e to a large power) leaves the float64 "
                 "range: ∏ a_t underflows to 0 and b_t / ∏ a_t overflows. Stay in log space "
                 "from start to end: cumulative sums of logs, and a running log-sum-exp "
                 "that never exponentiates a large number.")

QUESTIONS: list[Question] = [
    Ch5Question(
        name="q5_1", func_name="mgu_step", title="Exercise 5.1: one MGU step",
        hint=("The MGU keeps one gate and lets it do both jobs. Ask which GRU gate each of "
              "its uses replaces: where it scales the state inside the candidate it is the "
              "reset gate; in the blend it stands for the share of the candidate, which in "
              "the course's convention is one minus the update gate. The first block of "
              "rows belongs to the gate, the second to the candidate."),
        probes=_mgu_probes, reference=mgu_step, mistakes=_mgu_mistakes(),
        output_names=("h_t",), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    Ch5Question(
        name="q5_2", func_name="param_savings",
        title="Exercise 5.2: what GRU1, GRU2 and GRU3 save",
        hint=("Count one gate of the GRU as three kinds of parameters: its input weights, its "
              "recurrent weights and its bias. For each variant, list which of those the two "
              "gates (reset and update) lose; the candidate never changes. Work with arrays "
              "so that every size pair gives a row."),
        probes=_size_probes, reference=param_savings, mistakes=_savings_mistakes(),
        output_names=("savings",), points={"public": 1, "hidden": 1}, integer_output=True),
    Ch5Question(
        name="q5_3", func_name="mingru_pair",
        title="Exercise 5.3: one minGRU step as a pair (a_t, b_t)",
        hint=("Write h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ n_t and match it term by term with "
              "a_t ⊙ h_{t-1} + b_t: whatever multiplies h_{t-1} is a_t, the rest is b_t. "
              "Neither may depend on h_{t-1}. minGRU's candidate is a plain linear map of "
              "x_t."),
        probes=_pair_probes, reference=mingru_pair, mistakes=_pair_mistakes(),
        output_names=("a_t", "b_t"), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    Ch5Question(
        name="q5_4", func_name="combine",
        title="Exercise 5.4: combining two steps",
        hint=("Start from a state h, apply the first step, then the second, and expand: the "
              "result is again 'something times h plus something'. Those two somethings are "
              "the answer. Check the order with a gate of 0 in the second step: the result "
              "must not depend on the first step at all."),
        probes=_combine_probes, reference=combine, mistakes=_combine_mistakes(),
        output_names=("a", "b"), points={"public": 1, "hidden": 1}),
    Ch5Question(
        name="q5_5", func_name="parallel_scan",
        title="Exercise 5.5: a whole sequence by a parallel scan",
        hint=("First fold h0 into the first step's b, so every position holds a pair. Then "
              "repeat rounds with a distance that doubles, starting at one: in a round, every "
              "position at least that far from the start combines its pair with the pair "
              "that distance earlier, the earlier pair acting first. Every position must read "
              "the values of the previous round, so update whole slices at once. Stop once "
              "the distance reaches the length."),
        probes=_scan_probes, reference=parallel_scan, mistakes=_scan_mistakes(),
        output_names=("h",), points={"public": 1, "hidden": 2},
        depth_judged=True, tol=1e-10),
    Ch5Question(
        name="q5_6", func_name="log_scan",
        title="Exercise 5.6: the log-space scan",
        hint=("Unroll the recurrence: h_t is the product of all gates up to t times (h0 plus "
              "a sum of b_k divided by the product of the gates up to k). Take the log of "
              "that expression. Products of gates become cumulative sums of their logs; the "
              "log of a running sum of exponentials is a running log-sum-exp, which NumPy "
              "computes without ever exponentiating a large number."),
        probes=_log_probes, reference=log_scan, mistakes=_log_mistakes(),
        output_names=("log_h",), points={"public": 1, "hidden": 1}, nonfinite=NONFINITE_LOG),
]
