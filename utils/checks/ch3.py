"""Checkers for chapter 3 (``solutions/ch3_exercises.ipynb``): instances the chapter does not
work through. The bias for a memory in Chung et al.'s sign, the gradient that reaches h_0
when the update gate follows the input, and the step Jacobian and one step of backprop of
the minimal gated unit (MGU), whose one gate is both the reset and the update gate.

The chapter's GRU is PyTorch's (gates r | z | n, ``h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t``).
The MGU (Zhou et al. 2016, ``utils.variants.MGU``), parameters stacked f | n:

    f_t = σ(a_f),  a_f = W_if x_t + W_hf h_{t−1} + b_f
    n_t = tanh(a_n),  a_n = W_in x_t + W_hn (f_t ⊙ h_{t−1}) + b_n
    h_t = (1 − f_t) ⊙ h_{t−1} + f_t ⊙ n_t

The references need NumPy only (the autograder bundle ships ``utils/checks`` alone);
``tests/test_ch3_checks.py`` tests them against PyTorch's autograd in float64. Each known
mistake is a small variation of a reference, with the message a learner reads; the
Jacobian's and the backward step's probes isolate their terms by zeroing blocks of W_hh.
"""

from __future__ import annotations

import functools

import numpy as np

from .core import Mistake, Probe, Question, probe_rng
from .predictions import Prediction, WrongAnswer

ASSIGNMENT = "ch3_exercises"


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------------------
# References, each with flags that turn it into a known mistake.


def chung_bias_for_memory(t_span, kept, *, variant: str = "right"):
    """Chung et al.'s sign (z writes): b_z with (1 − σ(b_z))^t_span = kept.

    Per step the unit keeps k = kept^(1/t_span), so z = 1 − k and b_z = ln((1 − k) / k).
    """
    t = np.asarray(t_span, dtype=np.float64)
    kept = np.asarray(kept, dtype=np.float64)
    k = kept ** (1.0 / t)  # the share kept per step
    if variant == "half":
        k = 0.5 ** (1.0 / t)
    if variant == "power":
        k = kept**t
    if variant == "approx":  # 1 − k ≈ −ln(kept) / t, the near-1 approximation
        return np.log(-np.log(kept) / t / (1.0 + np.log(kept) / t))
    if variant == "pytorch":
        return np.log(k / (1.0 - k))
    if variant == "gate":
        return 1.0 - k
    if variant == "log_gate":
        return np.log(1.0 - k)
    return np.log((1.0 - k) / k)


def recurrence_free_norms(x, weight_ih, bias_ih, bias_hh, *, variant: str = "right"):
    """‖∂h_t/∂h_0‖_2 for t = 1..T of a PyTorch GRU with W_hh = 0, on one sequence x (T, H_in).

    With W_hh = 0 the step Jacobian is D(z_t), so the product is D(∏_s z_s) and its norm
    the largest entry: max_i ∏_{s ≤ t} z_{s,i}.
    """
    x = np.asarray(x, dtype=np.float64)
    H = np.shape(bias_ih)[0] // 3
    rows = slice(0, H) if variant == "r_rows" else slice(H, 2 * H)
    b = bias_ih[rows] + (0.0 if variant == "no_b_hz" else bias_hh[rows])
    z = _sigmoid(x @ weight_ih[rows].T + b)  # (T, H)
    if variant == "chung":
        z = 1.0 - z
    T = len(z)
    steps = np.arange(1, T + 1)[:, None]
    kept = np.cumprod(z, axis=0)  # (T, H): ∏_{s ≤ t} z_s per unit
    if variant == "mean_gate":
        kept = (np.cumsum(z, axis=0) / steps) ** steps
    if variant == "product_of_norms":
        return np.cumprod(z.max(axis=1))
    if variant == "min":
        return kept.min(axis=1)
    if variant == "frobenius":
        return np.sqrt((kept**2).sum(axis=1))
    if variant == "off_by_one":
        return np.concatenate([[1.0], kept.max(axis=1)[:-1]])
    return kept.max(axis=1)


def _mgu_parts(x_t, h_prev, weight_ih, weight_hh, bias, reset="before"):
    H = weight_hh.shape[1]
    gi = x_t @ weight_ih.T + bias  # (N, 2H)
    f_t = _sigmoid(gi[:, :H] + h_prev @ weight_hh[:H].T)
    W_hn = weight_hh[H:]
    hn = h_prev @ W_hn.T  # (N, H), used by the reset-after mistake
    if reset == "before":
        n_t = np.tanh(gi[:, H:] + (f_t * h_prev) @ W_hn.T)
    else:
        n_t = np.tanh(gi[:, H:] + f_t * hn)
    return H, f_t, n_t, hn


def mgu_step_jacobian(x_t, h_prev, weight_ih, weight_hh, bias, *, highway: bool = True,
                      gate: bool = True, candidate: bool = True, through_f: bool = True,
                      tanh_slope: bool = True, gate_slope: bool = True,
                      gate_sign: float = 1.0, reset: str = "before", pytorch: bool = False,
                      transpose: bool = False):
    """∂h_t/∂h_{t−1} of one MGU step, ``(N, H, H)``:

    D(1 − f) + D((n − h) ⊙ σ'(a_f)) W_hf + D(f ⊙ (1 − n²)) (W_hn D(f) + W_hn D(h ⊙ σ') W_hf).
    """
    H, f_t, n_t, hn = _mgu_parts(x_t, h_prev, weight_ih, weight_hh, bias, reset)
    W_hf, W_hn = weight_hh[:H], weight_hh[H:]
    keep, take = (f_t, 1.0 - f_t) if pytorch else (1.0 - f_t, f_t)
    d_hf = (h_prev - n_t) if pytorch else (n_t - h_prev)  # ∂h_t/∂f_t through the update
    df = f_t * (1.0 - f_t) if gate_slope else np.ones_like(f_t)
    J = np.zeros((h_prev.shape[0], H, H))
    if highway:
        J = J + keep[:, :, None] * np.eye(H)
    if gate:
        J = J + (gate_sign * d_hf * df)[:, :, None] * W_hf
    if candidate:
        if reset == "before":
            da_n = W_hn * f_t[:, None, :]  # W_hn D(f): f scales the columns
            if through_f:
                da_n = da_n + (W_hn * (h_prev * df)[:, None, :]) @ W_hf
        else:
            da_n = f_t[:, :, None] * W_hn
            if through_f:
                da_n = da_n + (hn * df)[:, :, None] * W_hf
        slope = (1.0 - n_t**2) if tanh_slope else np.ones_like(n_t)
        J = J + (take * slope)[:, :, None] * da_n
    return np.swapaxes(J, 1, 2) if transpose else J


def mgu_backward_step(x_t, h_prev, dh_t, weight_ih, weight_hh, bias, *,
                      highway: bool = True, update_role: bool = True, reset_role: bool = True,
                      f_in_candidate: bool = True, transpose: bool = False,
                      pytorch: bool = False, update_sign: float = 1.0, f_slope: bool = True,
                      n_slope: bool = True, reset: str = "before",
                      order: tuple[int, ...] = (0, 1, 2)):
    """Given δh_t (N, H): (δh_{t−1}, δa_f, δa_n) of one MGU step, each (N, H).

    δa_n = δh ⊙ f ⊙ (1 − n²); g = δa_n W_hn (the gradient of f ⊙ h_{t−1});
    δa_f = (δh ⊙ (n − h_{t−1}) + g ⊙ h_{t−1}) ⊙ σ'(a_f);
    δh_{t−1} = δh ⊙ (1 − f) + g ⊙ f + δa_f W_hf.
    Each wrong factor also flows into what is computed from it, as in a learner's code.
    """
    H, f_t, n_t, hn = _mgu_parts(x_t, h_prev, weight_ih, weight_hh, bias, reset)
    W_hf, W_hn = weight_hh[:H], weight_hh[H:]
    keep, take = (f_t, 1.0 - f_t) if pytorch else (1.0 - f_t, f_t)
    d_hf = (h_prev - n_t) if pytorch else (n_t - h_prev)

    def mat(v, W):  # v W, or the transposed mistake v W^T
        return v @ W.T if transpose else v @ W

    da_n = dh_t * take * ((1.0 - n_t**2) if n_slope else 1.0)
    if reset == "before":
        g = mat(da_n, W_hn)  # δ(f ⊙ h_{t−1})
        from_reset = g * h_prev
        cand = g * f_t if f_in_candidate else g
    else:
        from_reset = da_n * hn
        cand = mat(da_n * f_t if f_in_candidate else da_n, W_hn)
    df = np.zeros_like(f_t)
    if update_role:
        df = df + update_sign * dh_t * d_hf
    if reset_role:
        df = df + from_reset
    da_f = df * (f_t * (1.0 - f_t) if f_slope else 1.0)
    dh_prev = cand + mat(da_f, W_hf)
    if highway:
        dh_prev = dh_prev + dh_t * keep
    outputs = (dh_prev, da_f, da_n)
    return tuple(outputs[k] for k in order)


# ----------------------------------------------------------------------------------------
# Probes: every random input from probe_rng(level, question name).


def _memory_probes(level: str) -> list[Probe]:
    # every known mistake stays finite on these (kept^t_span does not underflow, and the
    # near-1 approximation's share written stays below 1), so each is recognised
    rng = probe_rng(level, "q3_1")
    if level == "public":
        specs = [("table", np.array([10.0, 100.0, 100.0, 1000.0, 3.0]),
                  np.array([0.5, 0.5, 0.1, 0.9, 0.2]),
                  "t_span = [10, 100, 100, 1000, 3] and kept = [0.5, 0.5, 0.1, 0.9, 0.2]"),
                 ("random", rng.uniform(2.0, 300.0, 5), rng.uniform(0.2, 0.95, 5),
                  "5 random spans in (2, 300) and shares kept in (0.2, 0.95)")]
    else:
        specs = [("short", rng.uniform(1.5, 5.0, 4), rng.uniform(0.3, 0.6, 4),
                  "4 spans under 5 steps, shares kept in (0.3, 0.6)"),
                 ("2-D", rng.uniform(2.0, 400.0, (2, 3)), rng.uniform(0.3, 0.95, (2, 3)),
                  "(2, 3) arrays of spans up to 400 steps and shares kept")]
    return [Probe(name, {"t_span": t, "kept": k}, "the biases", given)
            for name, t, k, given in specs]


def _sequence_args(rng, T, H_in, H, *, z_bias=0.0, scale=1.0):
    """One sequence and PyTorch-layout input parameters (W_hh = 0 is implied)."""
    bias_ih = rng.uniform(-scale, scale, 3 * H)
    bias_ih[H:2 * H] += z_bias
    return {"x": rng.normal(0.0, 1.0, (T, H_in)),
            "weight_ih": rng.uniform(-scale, scale, (3 * H, H_in)),
            "bias_ih": bias_ih, "bias_hh": rng.uniform(-scale, scale, 3 * H)}


def _norm_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q3_2")
    if level == "public":
        specs = [("short", (6, 2, 3, 0.0, 1.0), "6 steps, H_in = 2, H = 3"),
                 ("slow units", (40, 3, 5, 3.0, 1.5), "40 steps, H = 5, update gates near 1")]
    else:
        specs = [("one unit", (12, 1, 1, 1.0, 2.0), "12 steps, one unit"),
                 ("long", (200, 4, 8, 4.0, 2.0), "200 steps, H_in = 4, H = 8, slow units")]
    probes = []
    for name, (T, H_in, H, zb, scale), given in specs:
        args = _sequence_args(rng, T, H_in, H, z_bias=zb, scale=scale)
        probes.append(Probe(name, args, "the norms", given))
    return probes


def _mgu_args(rng, N, H_in, H, scale=1.0, zero=()):
    """Inputs and MGU parameters (f | n); ``zero`` names blocks of weight_hh set to 0."""
    args = {"x_t": rng.normal(0.0, 1.0, (N, H_in)),
            "h_prev": rng.uniform(-1.0, 1.0, (N, H)),
            "weight_ih": rng.uniform(-scale, scale, (2 * H, H_in)),
            "weight_hh": rng.uniform(-scale, scale, (2 * H, H)),
            "bias": rng.uniform(-scale, scale, 2 * H)}
    for block in zero:
        k = "fn".index(block)
        args["weight_hh"][k * H:(k + 1) * H] = 0.0
    return args


_MGU_ISOLATION = [
    # name, zeroed blocks of weight_hh, label, given
    ("highway", "fn", "the highway term", "weight_hh = 0, so only the highway term is left"),
    ("gate", "n", "the gate's update path (through W_hf, with W_hn = 0)",
     "W_hn = 0, so only the highway and the gate's paths through W_hf are left"),
    ("candidate, direct", "f", "the candidate's direct path (through W_hn, with W_hf = 0)",
     "W_hf = 0, so only the highway and the candidate's direct path are left"),
]


def _mgu_probes(level: str, *, with_dh: bool = False, salt: str = "q3_4") -> list[Probe]:
    rng = probe_rng(level, salt)

    def shapes(a):
        return f"x_t {a['x_t'].shape}, h_prev {a['h_prev'].shape}"

    def add_dh(args):
        if not with_dh:
            return args
        N, H = args["h_prev"].shape
        return {"x_t": args["x_t"], "h_prev": args["h_prev"],
                "dh_t": rng.normal(0.0, 1.0, (N, H))} | {k: v for k, v in args.items()
                                                         if k not in ("x_t", "h_prev")}

    probes = []
    if level == "public":
        for name, zero, label, given in _MGU_ISOLATION:
            args = add_dh(_mgu_args(rng, 2, 3, 4, zero=zero))
            probes.append(Probe(name, args, label, f"{given} ({shapes(args)})"))
        args = add_dh(_mgu_args(rng, 3, 2, 5))
        probes.append(Probe("all paths", args, "all paths together (the path through f "
                            "inside the candidate appears only here)",
                            f"random inputs ({shapes(args)})"))
    else:
        for name, (N, H_in, H, scale) in (("batch of one", (1, 3, 2, 1.0)),
                                          ("large weights", (4, 5, 6, 2.0))):
            args = add_dh(_mgu_args(rng, N, H_in, H, scale=scale))
            probes.append(Probe(name, args, "all paths together",
                                f"random inputs ({shapes(args)})"))
    return probes


# ----------------------------------------------------------------------------------------
# Known mistakes, with what the learner reads.

p = functools.partial

_MEMORY_MISTAKES = (
    Mistake(p(chung_bias_for_memory, variant="pytorch"), "your biases have PyTorch's sign. "
            "In Chung et al.'s convention z_t is the share *written* (h_t = (1 − z_t) h_{t−1} "
            "+ z_t n_t): a long memory needs a small z, so a negative bias."),
    Mistake(p(chung_bias_for_memory, variant="half"), "you solved for a half-life: the share "
            "kept after t_span steps is `kept`, not 1/2."),
    Mistake(p(chung_bias_for_memory, variant="power"), "you used kept^t_span as the share kept "
            "per step; the share per step is the t_span-th root of `kept`, since t_span steps "
            "multiply it t_span times."),
    Mistake(p(chung_bias_for_memory, variant="approx"), "you used the near-1 approximation "
            "(the share written per step ≈ −ln(kept) / t_span); it is off for short spans and "
            "small shares kept. Take the exact root."),
    Mistake(p(chung_bias_for_memory, variant="gate"), "you returned the gate value z, which "
            "lies in (0, 1); the question asks for the bias b_z with σ(b_z) = z: invert the "
            "sigmoid."),
    Mistake(p(chung_bias_for_memory, variant="log_gate"), "ln z is not the inverse of the "
            "sigmoid: the bias is the log-odds of z."),
)

_NORM_MISTAKES = (
    Mistake(p(recurrence_free_norms, variant="mean_gate"), "you raised each unit's mean gate "
            "to the power t. That is exact only for a constant gate: a product of gates that "
            "vary is smaller than the mean gate to the power t (the geometric mean is at most "
            "the arithmetic mean). Multiply the gates step by step."),
    Mistake(p(recurrence_free_norms, variant="product_of_norms"), "you multiplied the norms "
            "of the single steps (the largest gate at each step). The norm of a product is at "
            "most the product of the norms, equal only when the same unit is slowest at every "
            "step: take each unit's product first, then the largest."),
    Mistake(p(recurrence_free_norms, variant="chung"), "you used 1 − z as the share kept "
            "(Chung et al.'s sign); in PyTorch's GRU each step keeps z_t of h_{t−1}."),
    Mistake(p(recurrence_free_norms, variant="min"), "the smallest product belongs to the unit "
            "that forgets fastest, the smallest singular value; the spectral norm is the "
            "largest."),
    Mistake(p(recurrence_free_norms, variant="frobenius"), "that is the Frobenius norm of the "
            "diagonal product; the spectral norm of a diagonal matrix is its largest entry in "
            "absolute value."),
    Mistake(p(recurrence_free_norms, variant="off_by_one"), "your norms are one step late: "
            "entry t − 1 must be ‖∂h_t/∂h_0‖ for t = 1, …, T, so the first one already "
            "includes the first step's gate (∂h_0/∂h_0 = I is not in the list)."),
    Mistake(p(recurrence_free_norms, variant="no_b_hz"), "the update gate's bias is "
            "b_iz + b_hz: with W_hh = 0, W_hz h_{t−1} vanishes but b_hz does not."),
    Mistake(p(recurrence_free_norms, variant="r_rows"), "you read the reset gate's rows: the "
            "gates are stacked r | z | n, so the update gate is rows H:2H."),
)

_MGU_JACOBIAN_MISTAKES = (
    Mistake(p(mgu_step_jacobian, pytorch=True), "you used PyTorch's GRU sign (the gate keeps "
            "h_{t−1}); in the MGU f_t *writes*: h_t = (1 − f_t) h_{t−1} + f_t n_t, so the "
            "highway is D(1 − f_t)."),
    Mistake(p(mgu_step_jacobian, highway=False), "the highway term is missing: h_t contains "
            "(1 − f_t) ⊙ h_{t−1}, whose derivative holds h_{t−1} fixed inside the gate."),
    Mistake(p(mgu_step_jacobian, gate=False), "the gate's update path is missing: f_t depends "
            "on h_{t−1} through W_hf, and moving f_t moves h_t by n_t − h_{t−1}."),
    Mistake(p(mgu_step_jacobian, gate_sign=-1.0), "the gate's update path has the wrong sign: "
            "with h_t = (1 − f) h_{t−1} + f n, ∂h_t/∂f = n_t − h_{t−1}."),
    Mistake(p(mgu_step_jacobian, candidate=False), "the candidate term is missing: n_t "
            "depends on h_{t−1} (through W_hn, and through f_t inside the reset)."),
    Mistake(p(mgu_step_jacobian, through_f=False), "the candidate misses its path through the "
            "gate: f_t ⊙ h_{t−1} changes when h_{t−1} moves f_t too, which brings W_hf into the "
            "candidate term."),
    Mistake(p(mgu_step_jacobian, reset="after"), "this is the Jacobian of a reset-after cell "
            "(f_t ⊙ (W_hn h_{t−1})). The MGU resets h_{t−1} before the product with W_hn, so "
            "f_t scales the columns of W_hn, not its rows."),
    Mistake(p(mgu_step_jacobian, tanh_slope=False), "the candidate term misses the tanh slope "
            "1 − n_t²."),
    Mistake(p(mgu_step_jacobian, gate_slope=False), "the paths through f_t miss the sigmoid's "
            "slope f_t (1 − f_t)."),
    Mistake(p(mgu_step_jacobian, transpose=True), "your Jacobian is transposed: J[n, i, j] "
            "must be ∂h_t[n, i] / ∂h_{t−1}[n, j] (rows: outputs, columns: inputs)."),
)

_MGU_BACKWARD_MISTAKES = (
    Mistake(p(mgu_backward_step, reset_role=False), "`da_f` misses the gate's second role: "
            "f_t is also the reset, so the gradient that reaches f_t ⊙ h_{t−1} from the "
            "candidate adds to δf_t (and then to `dh_prev` through W_hf)."),
    Mistake(p(mgu_backward_step, update_role=False), "`da_f` misses the gate's update role: "
            "moving f_t moves h_t by n_t − h_{t−1}, even with the candidate held fixed."),
    Mistake(p(mgu_backward_step, update_sign=-1.0), "the update role of `da_f` has the wrong "
            "sign: ∂h_t/∂f_t = n_t − h_{t−1} when f_t writes."),
    Mistake(p(mgu_backward_step, pytorch=True), "you used PyTorch's GRU sign (the gate keeps "
            "h_{t−1}); in the MGU f_t writes: h_t = (1 − f_t) h_{t−1} + f_t n_t."),
    Mistake(p(mgu_backward_step, highway=False), "`dh_prev` misses the highway: "
            "(1 − f_t) ⊙ h_{t−1} passes δh_t back scaled by 1 − f_t."),
    Mistake(p(mgu_backward_step, f_in_candidate=False), "the candidate's share of `dh_prev` "
            "must go through the reset: W_hn multiplies f_t ⊙ h_{t−1}, so the gradient that "
            "reaches h_{t−1} that way is scaled by f_t."),
    Mistake(p(mgu_backward_step, reset="after"), "this is backprop through a reset-after cell "
            "(f_t ⊙ (W_hn h_{t−1})); the MGU resets h_{t−1} before the product with W_hn."),
    Mistake(p(mgu_backward_step, transpose=True), "transposed weights: with row vectors, a "
            "gradient goes back through a = h W^T as δa W (no .T)."),
    Mistake(p(mgu_backward_step, f_slope=False), "`da_f` misses the sigmoid's slope "
            "f_t (1 − f_t), so its share of `dh_prev` is off too."),
    Mistake(p(mgu_backward_step, n_slope=False), "`da_n` misses the tanh's slope 1 − n_t², "
            "and what is computed from it inherits the error."),
    Mistake(p(mgu_backward_step, order=(0, 2, 1)), "`da_f` and `da_n` are swapped: return "
            "(dh_prev, da_f, da_n), in the gate order f | n."),
    Mistake(p(mgu_backward_step, order=(1, 2, 0)), "the outputs are in the wrong order: "
            "`dh_prev` comes first, return (dh_prev, da_f, da_n)."),
)


QUESTIONS: list[Question] = [
    Question(
        name="q3_1", func_name="chung_bias_for_memory",
        title="Exercise 3.1: the bias for a memory, in Chung et al.'s sign",
        hint=("Two steps back from the memory you want: first the share of h_0 the unit must "
              "keep at each single step, then the gate value that gives it in this convention.",
              "Which gate value makes a unit keep almost everything when z is the share "
              "written? Small or large? The bias is whatever the sigmoid maps to that value: "
              "invert the sigmoid (the log-odds)."),
        probes=_memory_probes, reference=chung_bias_for_memory, mistakes=_MEMORY_MISTAKES,
        output_names=("b_z",), points={"public": 1, "hidden": 1}),
    Question(
        name="q3_2", func_name="recurrence_free_norms",
        title="Exercise 3.2: the gradient that reaches h_0 when the gate follows the input",
        hint=("With W_hh = 0, which of the step Jacobian's three terms survive? Each of the "
              "others contains a block of W_hh.",
              "What is left is diagonal at every step, so the product over t steps is diagonal "
              "too, unit by unit. The spectral norm of a diagonal matrix is easy to read off; "
              "compute the gate at every step from the input, do not average it."),
        probes=_norm_probes, reference=recurrence_free_norms, mistakes=_NORM_MISTAKES,
        output_names=("norms",), points={"public": 1, "hidden": 1}),
    Question(
        name="q3_4", func_name="mgu_step_jacobian",
        title="Exercise 3.4: the step Jacobian of the minimal gated unit",
        hint=("Find every place h_{t-1} appears in h_t, and the place where f_t appears: one "
              "term of the product rule for each. Keep the MGU's sign: f_t is the share "
              "written.",
              "Inside the candidate, h_{t-1} is multiplied by f_t before W_hn, and f_t itself "
              "depends on h_{t-1}: two paths. A diagonal on the right of W_hn scales its "
              "columns, on the left its rows."),
        probes=_mgu_probes, reference=mgu_step_jacobian, mistakes=_MGU_JACOBIAN_MISTAKES,
        output_names=("J",), points={"public": 1, "hidden": 1},
        every_probe="the highway D(1 − f_t), the slopes σ' = f(1 − f) and tanh' = 1 − n², a "
                    "sign, the order of J's axes"),
    Question(
        name="q3_5", func_name="mgu_backward_step",
        title="Exercise 3.5: one step of backprop through the MGU",
        hint=("Go through the step backwards, one intermediate at a time: first what δh_t "
              "gives n_t and its pre-activation, then the product f_t ⊙ h_{t-1}, then f_t.",
              "f_t is used twice, as the update and inside the reset: its gradient is the sum "
              "of both uses. h_{t-1} is used three times (the highway, inside the reset "
              "product, inside a_f): δh_{t-1} collects all three."),
        probes=functools.partial(_mgu_probes, with_dh=True, salt="q3_5"),
        reference=mgu_backward_step, mistakes=_MGU_BACKWARD_MISTAKES,
        output_names=("dh_prev", "da_f", "da_n"), points={"public": 1, "hidden": 1},
        every_probe="the slopes σ' = f(1 − f) and tanh' = 1 − n², the sign of ∂h_t/∂f_t, the "
                    "order of the outputs"),
]


# ----------------------------------------------------------------------------------------
# Graded predictions, each given before the exercise that measures it, and the diagnosis of
# a planted bug (3.3), graded as a choice of line.

_COLLEAGUE_LINES = ("A", "B", "C", "D", "E", "F", "G")

PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p3_1", var_name="predicted_chung_bias", reveals="q3_1",
        title="Prediction 3.1: the bias for a half-life of 100 steps, in Chung et al.'s sign",
        kind="choice", options=("+5", "-5", "+0.7", "-0.007"), answer="-5",
        explanation="To keep half of h_0 after 100 steps the unit keeps 0.5^(1/100) ≈ 0.9931 "
                    "of its state per step, so it writes z ≈ 0.0069 per step. The log-odds of "
                    "0.0069 is about −4.97: the size of PyTorch's bias for the same memory, "
                    "with the sign flipped, because σ(−b) = 1 − σ(b).",
        mistakes=(
            WrongAnswer("+5", "That is the bias in PyTorch's sign, where z keeps the state. "
                        "Here z is the share written: a long memory needs z near 0."),
            WrongAnswer("+0.7", "σ(0.7) ≈ 0.67 would write two thirds of the state at every "
                        "step: after 100 steps nothing of h_0 is left."),
            WrongAnswer("-0.007", "About 0.007 is the share written per step, not the bias: "
                        "σ(−0.007) ≈ 0.5 writes half the state at every step.")),
        hint=("Which gate value keeps a unit's state for long when z is the share written: "
              "near 0 or near 1?",
              "The sigmoid reaches values near 0 only for large negative arguments; how large "
              "did the chapter's table need the bias for a memory of about 100 steps?")),
    Prediction(
        name="p3_2", var_name="predicted_longer_memory", reveals="q3_2",
        title="Prediction 3.2: a constant gate or a gate that follows the input?",
        kind="choice", options=("A", "B", "the same"), answer="A",
        explanation="Over two steps A keeps 0.9 × 0.9 = 0.81 of h_0 and B keeps "
                    "0.99 × 0.81 ≈ 0.802; after 100 steps that is about 2.7e-5 against "
                    "1.6e-5. A product of gates is set by their geometric mean, which is below "
                    "the arithmetic mean whenever the gate varies: the mean gate to the power t "
                    "overestimates the memory of a unit whose gate follows the input.",
        mistakes=(
            WrongAnswer("the same", "The means are equal, but memory multiplies: what counts "
                        "is the product of the gates, not their sum."),
            WrongAnswer("B", "The steps at 0.99 do not make up for the steps at 0.81: compare "
                        "what each unit keeps over a pair of steps.")),
        hint=("Over t steps a unit keeps the product of its t gates. Compare the two units "
              "over two steps first.",
              "Two numbers with the same mean: is their product larger when they are equal "
              "or when they are spread apart? Try 0.5 and 0.5 against 0.1 and 0.9.")),
    Prediction(
        name="q3_3", var_name="buggy_line", reveals="q3_4", points=2,
        title="Exercise 3.3: find the planted bug",
        kind="choice", options=_COLLEAGUE_LINES, answer="C",
        explanation="`da_r` is wrong on every probe, `dh_prev` only when W_hr ≠ 0, so the "
                    "error starts in `da_r` and reaches `dh_prev` through (F), which is right "
                    "given `da_r`. Line (C) multiplies by the candidate n_t = tanh(a_n); but "
                    "r_t multiplies W_hn h_{t−1} + b_hn inside a_n, so ∂a_n/∂r_t is that "
                    "vector (`hn`), not n_t.",
        mistakes=(
            WrongAnswer("A", "(A) is right: n_t enters h_t with weight 1 − z_t, then comes the "
                        "tanh's slope. Were it wrong, `da_n` would be wrong too."),
            WrongAnswer("B", "(B) is right: ∂h_t/∂z_t = h_{t−1} − n_t, then σ'. Were it wrong, "
                        "`da_z` would be wrong too."),
            WrongAnswer("D", "(D) is right: the highway is δh_t ⊙ z_t. An error there would "
                        "show with weight_hh = 0 in `dh_prev`, and `da_r` would be right."),
            WrongAnswer("E", "(E) is right, and it does not touch `da_r`, which is wrong on "
                        "every probe."),
            WrongAnswer("F", "(F) is right given `da_r`: δa_r W_hr. It only passes on an error "
                        "made earlier; `da_r` is already wrong on every probe, even with "
                        "W_hr = 0."),
            WrongAnswer("G", "(G) is right: a_n contains r_t ⊙ (W_hn h_{t−1} + b_hn), so the "
                        "candidate's share of δh_{t−1} is (δa_n ⊙ r_t) W_hn; and it does not "
                        "touch `da_r`.")),
        hint=("Read the table the check cell prints: which outputs are wrong, and on which "
              "probes? An output that is wrong even with weight_hh = 0 is wrong before any "
              "product with W_hh.",
              "Among the lines that compute that output, ask what r_t multiplies inside a_n, "
              "and what the line multiplies by.")),
    Prediction(
        name="p3_4", var_name="predicted_closed_gate_jacobian", reveals="q3_4",
        title="Prediction 3.4: the MGU's step Jacobian as its gate closes",
        kind="choice", options=("0", "I", "D(1 - n_t^2) W_hn", "W_hf"), answer="I",
        explanation="h_t = (1 − f) h_{t−1} + f n_t: as f → 0 the step copies h_{t−1}. The "
                    "highway D(1 − f_t) tends to I, the gate's path carries the slope "
                    "f_t (1 − f_t) → 0, and the candidate enters with weight f_t → 0 (and "
                    "sees only f_t ⊙ h_{t−1}). A closed MGU gate is the GRU's open update gate "
                    "(z → 1): a highway for the gradient.",
        mistakes=(
            WrongAnswer("0", "That would be PyTorch's sign, where z → 0 takes the candidate. "
                        "In the MGU f is the share written: f → 0 keeps h_{t−1}."),
            WrongAnswer("D(1 - n_t^2) W_hn", "The candidate enters h_t with weight f_t, and "
                        "W_hn only sees f_t ⊙ h_{t−1}: both vanish as f → 0."),
            WrongAnswer("W_hf", "The gate's path carries the sigmoid's slope f_t (1 − f_t), "
                        "which vanishes as f → 0.")),
        hint=("Put f_t = 0 into the step h_t = (1 − f_t) h_{t-1} + f_t n_t first: what does "
              "the step do then?",
              "A step that does that to every unit: how does a small change of h_{t-1} come "
              "out in h_t? Then ask whether the paths through f_t and n_t still carry "
              "anything as f_t → 0 (what factor stands in front of each?).")),
    Prediction(
        name="p3_5", var_name="predicted_path_count", reveals="q3_5",
        title="Prediction 3.5: how many paths lead from h_{t-1} to h_t in the MGU?",
        kind="number", answer=4, tolerance=0.0, unit="paths",
        explanation="Four: (1) the highway (1 − f_t) ⊙ h_{t−1}; (2) through f_t as the share "
                    "written; (3) through the product f_t ⊙ h_{t−1} into the candidate, "
                    "directly; (4) through f_t inside that product. So δh_{t−1} sums four "
                    "contributions, and δa_f sums two, one per use of f_t.",
        mistakes=(
            WrongAnswer(3, "That is one short: f_t reaches h_t twice (as the share written and "
                        "inside the reset), and h_{t−1} enters the product f_t ⊙ h_{t−1} both "
                        "directly and through f_t."),
            WrongAnswer(2, "f_t depends on h_{t−1} too (through W_hf), and every use of f_t is "
                        "a path.")),
        hint=("Draw the step as a graph: h_{t-1}, a_f, f_t, the product f_t ⊙ h_{t-1}, a_n, "
              "n_t, h_t. Count the routes from h_{t-1} to h_t.",
              "h_{t-1} is used in three places in the step; follow each use forward to h_t. "
              "One of the uses reaches h_t by two different routes: count both.")),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 3 says none of them. The chapter derives the GRU's step Jacobian and backward
# step; the exercises ask for the MGU's, whose gate is written f_t.
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q3_1": (r"chung[^.]{0,80}b_?z=-?log\(?1-", r"(1-sigma\(b_z\)\)\^t_?span)=",),
    "q3_2": (r"w_hh=0[^.]{0,80}(onlythehighway|d\(z_t\)alone|justd\(z_t\))",
             r"max_i[^.]{0,20}prod[^.]{0,20}z"),
    "q3_3": (r"line\(?c\)?(is|holds)(the)?(bug|wrong)", r"da_r=da_nn_t",
             r"(bug|wrong)[^.]{0,40}n_tinsteadof"),
    # the MGU resets before the product: the GRU's reset-before code, printed, is most of
    # 3.4's and 3.5's answers (the chapter prints the reset-after branch only)
    "q3_4": (r"f_t\(1-f_t\)", r"partialh_t/partialh_t-1=d\(f_t\)",
             r"mgu[^.]{0,40}jacobian[^.]{0,20}=", r"da_n=w_hnr_t\[:,none,:\]",
             r"w_hnd\(r_t\)\+w_hnd"),
    "q3_5": (r"deltaa_f=", r"deltaa_n=", r"mgu[^.]{0,60}backward(step|pass)[^.]{0,20}=",
             r"d_rh=da_n@w_hn", r"dr=d_rhh_prev"),
}
