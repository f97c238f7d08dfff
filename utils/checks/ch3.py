"""Checkers for chapter 3 (``solutions/ch3_exercises.ipynb``): half-lives, the bias for a
half-life, the GRU step Jacobian, one step of BPTT, a closed-form gradient prediction and
chrono initialisation.

PyTorch's GRU (gates stacked r | z | n), with ``a_r, a_z, a_n`` the pre-activations:

    r_t = σ(a_r),  z_t = σ(a_z),  n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
    h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t

The references below need NumPy only (the autograder bundle ships ``utils/checks`` alone);
``tests/test_ch3_checks.py`` tests them against ``utils.jacobians``, ``utils.timescales`` and
PyTorch's autograd. Each known mistake is a small variation of a reference, with the message
a learner reads; the Jacobian's probes isolate its three terms.
"""

from __future__ import annotations

import functools

import numpy as np

from .core import Mistake, Probe, Question, probe_rng

ASSIGNMENT = "ch3_exercises"


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------------------
# References, each with flags that turn it into a known mistake.


def half_life(z, *, variant: str = "right"):
    """Steps until z^t = 1/2: ln(1/2) / ln z, for every entry of ``z``."""
    z = np.asarray(z, dtype=np.float64)
    if variant == "char_time":
        return 1.0 / (1.0 - z)
    if variant == "approx":
        return np.log(2.0) / (1.0 - z)
    if variant == "chung":
        return np.log(0.5) / np.log(1.0 - z)
    if variant == "sign":
        return np.log(2.0) / np.log(z)
    if variant == "half_z":
        return 0.5 / (1.0 - z)
    return np.log(0.5) / np.log(z)


def bias_for_half_life(t_half, *, variant: str = "right"):
    """The update-gate bias b_z with σ(b_z)^t_half = 1/2: logit(2^(−1/t_half))."""
    t = np.asarray(t_half, dtype=np.float64)
    z = 0.5 ** (1.0 / t)
    if variant == "gate":
        return z
    if variant == "chung":
        return -np.log(z / (1.0 - z))
    if variant == "log_z":
        return np.log(z)
    if variant == "char_time":
        return np.log(t - 1.0)
    if variant == "half":
        return t * np.log(0.5) - np.log1p(-(0.5 ** t))  # logit(0.5^t)
    return np.log(z / (1.0 - z))


def _gru_parts(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, reset="after"):
    H = weight_hh.shape[1]
    gi = x_t @ weight_ih.T + bias_ih  # (N, 3H)
    r_t = _sigmoid(gi[:, :H] + h_prev @ weight_hh[:H].T + bias_hh[:H])
    z_t = _sigmoid(gi[:, H:2 * H] + h_prev @ weight_hh[H:2 * H].T + bias_hh[H:2 * H])
    W_hn, b_hn = weight_hh[2 * H:], bias_hh[2 * H:]
    if reset == "after":
        hn = h_prev @ W_hn.T + b_hn
        n_t = np.tanh(gi[:, 2 * H:] + r_t * hn)
    else:
        hn = (r_t * h_prev) @ W_hn.T + b_hn
        n_t = np.tanh(gi[:, 2 * H:] + hn)
    return H, r_t, z_t, n_t, hn


def step_jacobian(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *,
                  highway: bool = True, update: bool = True, candidate: bool = True,
                  through_r: bool = True, tanh_slope: bool = True, gate_slope: bool = True,
                  update_sign: float = 1.0, reset: str = "after", swap_z: bool = False,
                  transpose: bool = False):
    """∂h_t/∂h_{t−1}, ``(N, H, H)``: highway D(z) + update-gate term + candidate term."""
    H, r_t, z_t, n_t, hn = _gru_parts(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                                      reset)
    W_hr, W_hz, W_hn = weight_hh[:H], weight_hh[H:2 * H], weight_hh[2 * H:]
    keep = 1.0 - z_t if swap_z else z_t  # the weight of h_{t−1}
    take = z_t if swap_z else 1.0 - z_t  # the weight of n_t
    dz = z_t * (1.0 - z_t) if gate_slope else np.ones_like(z_t)
    dr = r_t * (1.0 - r_t)
    J = np.zeros((h_prev.shape[0], H, H))
    if highway:
        J = J + keep[:, :, None] * np.eye(H)
    if update:
        d_hz = (h_prev - n_t) if not swap_z else (n_t - h_prev)
        J = J + (update_sign * d_hz * dz)[:, :, None] * W_hz
    if candidate:
        if reset == "after":
            da_n = r_t[:, :, None] * W_hn
            if through_r:
                da_n = da_n + (hn * dr)[:, :, None] * W_hr
        else:
            da_n = W_hn * r_t[:, None, :]
            if through_r:
                da_n = da_n + (W_hn * (h_prev * dr)[:, None, :]) @ W_hr
        slope = (1.0 - n_t**2) if tanh_slope else np.ones_like(n_t)
        J = J + (take * slope)[:, :, None] * da_n
    return np.swapaxes(J, 1, 2) if transpose else J


def backward_step(x_t, h_prev, dh_t, weight_ih, weight_hh, bias_ih, bias_hh, *,
                  highway: bool = True, r_in_product: bool = True, transpose: bool = False,
                  swap_z: bool = False, hn_factor: bool = True, reset: str = "after",
                  z_sign: float = 1.0, z_slope: bool = True, r_slope: bool = True,
                  n_slope: bool = True, order: tuple[int, ...] = (0, 1, 2, 3)):
    """Given δh_t (N, H): (δh_{t−1}, δa_r, δa_z, δa_n), each (N, H).

    The flags give the known mistakes; each wrong factor also flows into what is computed
    from it (δa_n into δa_r, every δa into δh_{t−1}), as in a learner's code. ``z_sign = −1``
    flips ∂h_t/∂z_t; ``z_slope``, ``r_slope``, ``n_slope`` drop σ'(a_z), σ'(a_r), tanh'(a_n);
    ``order`` returns the four outputs in another order.
    """
    H, r_t, z_t, n_t, hn = _gru_parts(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                                      reset)
    W_hr, W_hz, W_hn = weight_hh[:H], weight_hh[H:2 * H], weight_hh[2 * H:]
    keep = 1.0 - z_t if swap_z else z_t
    take = z_t if swap_z else 1.0 - z_t
    d_hz = (h_prev - n_t) if not swap_z else (n_t - h_prev)

    def mat(v, W):  # v W, or the transposed mistake v W^T
        return v @ W.T if transpose else v @ W

    da_n = dh_t * take * ((1.0 - n_t**2) if n_slope else 1.0)
    da_z = z_sign * dh_t * d_hz * (z_t * (1.0 - z_t) if z_slope else 1.0)
    dr = r_t * (1.0 - r_t) if r_slope else 1.0
    if reset == "after":
        da_r = da_n * (hn if hn_factor else 1.0) * dr
        cand = mat(da_n * r_t if r_in_product else da_n, W_hn)
    else:
        d_rh = mat(da_n, W_hn)
        da_r = d_rh * h_prev * dr
        cand = d_rh * r_t
    dh_prev = mat(da_z, W_hz) + mat(da_r, W_hr) + cand
    if highway:
        dh_prev = dh_prev + dh_t * keep
    outputs = (dh_prev, da_r, da_z, da_n)
    return tuple(outputs[k] for k in order)


def constant_gate_norm(z, steps, *, variant: str = "right"):
    """‖∂h_T/∂h_0‖_2 = max_i z_i^T for a GRU with W_hh = 0 and constant gates z, per T."""
    z = np.asarray(z, dtype=np.float64)
    T = np.asarray(steps, dtype=np.float64)[:, None]  # (K, 1)
    powers = z[None, :] ** T  # (K, H)
    if variant == "mean":
        return powers.mean(axis=1)
    if variant == "frobenius":
        return np.sqrt((powers**2).sum(axis=1))
    if variant == "product":
        return powers.prod(axis=1)
    if variant == "chung":
        return ((1.0 - z[None, :]) ** T).max(axis=1)
    if variant == "min":
        return powers.min(axis=1)
    if variant == "sum":
        return powers.sum(axis=1)
    return powers.max(axis=1)


def chrono_bias(t_max, u, *, variant: str = "right"):
    """b_z = ln(1 + u (T_max − 2)) for u ~ U[0, 1): ln U[1, T_max − 1], PyTorch's sign."""
    t_max = np.asarray(t_max, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if variant == "chung":
        return -np.log(1.0 + u * (t_max - 2.0))
    if variant == "upto_tmax":
        return np.log(1.0 + u * (t_max - 1.0))
    if variant == "log_T":
        return np.log(2.0 + u * (t_max - 2.0))
    if variant == "no_log":
        return 1.0 + u * (t_max - 2.0)
    if variant == "from_zero":
        return np.log(u * t_max)
    return np.log(1.0 + u * (t_max - 2.0))


# ----------------------------------------------------------------------------------------
# Probes: every random input from probe_rng(level, question name).


def _z_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q3_1")
    if level == "public":
        specs = [("table", np.array([0.5, 0.9, 0.99, 0.999]), "z = [0.5, 0.9, 0.99, 0.999]"),
                 ("random", rng.uniform(0.05, 0.95, 5), "5 random gates in (0.05, 0.95)")]
    else:
        specs = [("2-D", rng.uniform(0.01, 0.9999, (3, 4)), "a (3, 4) array of gates"),
                 ("one", rng.uniform(0.3, 0.99, 1), "a single gate")]
    return [Probe(name, {"z": z}, "the half-life", given) for name, z, given in specs]


def _t_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q3_2")
    if level == "public":
        specs = [("whole", np.array([1.5, 2.0, 10.0, 100.0]), "t_half = [1.5, 2, 10, 100]"),
                 ("random", rng.uniform(1.5, 300.0, 5), "5 random half-lives in (1.5, 300)")]
    else:
        specs = [("long", rng.uniform(1.5, 2000.0, 6), "6 half-lives up to 2000 steps"),
                 ("short", rng.uniform(1.2, 3.0, 3), "3 half-lives under 3 steps")]
    return [Probe(name, {"t_half": t}, "the bias", given) for name, t, given in specs]


def _gru_args(rng, N, H_in, H, scale=1.0, zero=()):
    """Inputs and PyTorch-layout parameters; ``zero`` names blocks of weight_hh set to 0."""
    args = {"x_t": rng.normal(0.0, 1.0, (N, H_in)),
            "h_prev": rng.uniform(-1.0, 1.0, (N, H)),
            "weight_ih": rng.uniform(-scale, scale, (3 * H, H_in)),
            "weight_hh": rng.uniform(-scale, scale, (3 * H, H)),
            "bias_ih": rng.uniform(-scale, scale, 3 * H),
            "bias_hh": rng.uniform(-scale, scale, 3 * H)}
    for block in zero:
        k = "rzn".index(block)
        args["weight_hh"][k * H:(k + 1) * H] = 0.0
    return args


_ISOLATION = [
    # name, zeroed blocks of weight_hh, label, given
    ("highway", "rzn", "the highway term D(z_t)",
     "weight_hh = 0, so only the highway term is left"),
    ("update gate", "rn", "the update-gate term",
     "W_hr = W_hn = 0, so only the highway and the update-gate term are left"),
    ("candidate, direct", "rz", "the candidate term (its direct path through W_hn)",
     "W_hr = W_hz = 0, so only the highway and the candidate's direct path are left"),
    ("candidate, through r", "z", "the candidate term (its path through the reset gate, W_hr)",
     "W_hz = 0, so only the highway and the candidate term are left"),
]


# The same probes for backprop (3.4), labelled by the δ paths they isolate.
_BACKWARD_ISOLATION = [
    ("highway", "rzn", "the δ's without recurrent products",
     "weight_hh = 0, so dh_prev is the highway δh_t ⊙ z_t alone"),
    ("update gate", "rn", "the update-gate path (da_z W_hz)",
     "W_hr = W_hn = 0, so dh_prev is the highway and da_z W_hz"),
    ("candidate, direct", "rz", "the candidate's path ((da_n ⊙ r_t) W_hn)",
     "W_hr = W_hz = 0, so dh_prev is the highway and (da_n ⊙ r_t) W_hn"),
    ("candidate, through r", "z", "the reset-gate path (da_r W_hr)",
     "W_hz = 0, so dh_prev is the highway, (da_n ⊙ r_t) W_hn and da_r W_hr"),
]


def _jacobian_probes(level: str, *, with_dh: bool = False, salt: str = "q3_3") -> list[Probe]:
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
        for name, zero, label, given in _BACKWARD_ISOLATION if with_dh else _ISOLATION:
            args = add_dh(_gru_args(rng, 2, 4, 4, zero=zero))
            probes.append(Probe(name, args, label, f"{given} ({shapes(args)})"))
        args = add_dh(_gru_args(rng, 3, 2, 5))
        probes.append(Probe("all terms", args, "all paths together" if with_dh else
                            "the sum of the three terms",
                            f"random inputs ({shapes(args)})"))
    else:
        for name, (N, H_in, H, scale) in (("batch of one", (1, 3, 2, 1.0)),
                                          ("large weights", (4, 6, 6, 2.0))):
            args = add_dh(_gru_args(rng, N, H_in, H, scale=scale))
            probes.append(Probe(name, args, "the sum of the three terms",
                                f"random inputs ({shapes(args)})"))
    return probes


def _norm_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q3_5")
    if level == "public":
        specs = [("three gates", np.array([0.5, 0.9, 0.99]), np.array([0, 1, 10, 100]),
                  "z = [0.5, 0.9, 0.99] and steps = [0, 1, 10, 100]"),
                 ("random", rng.uniform(0.1, 0.999, 6), np.array([5, 50, 500]),
                  "6 random gates and steps = [5, 50, 500]")]
    else:
        specs = [("one unit", rng.uniform(0.5, 0.99, 1), np.arange(0, 40, 7),
                  "one unit and steps = [0, 7, ..., 35]"),
                 ("many", rng.uniform(0.0, 0.9999, 12), np.array([1000, 3, 30]),
                  "12 random gates and steps = [1000, 3, 30]"),
                 # few short steps: the smallest gate's and the product's powers stay apart
                 ("few", rng.uniform(0.3, 0.95, 4), np.array([1, 2, 5]),
                  "4 random gates in (0.3, 0.95) and steps = [1, 2, 5]")]
    return [Probe(name, {"z": z, "steps": steps}, "the norm", given)
            for name, z, steps, given in specs]


def _chrono_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q3_6")
    if level == "public":
        specs = [("ends", 100.0, np.array([0.001, 0.5, 0.999999]),
                  "T_max = 100 and u = [0.001, 0.5, 0.999999]"),
                 ("random", 1000.0, rng.uniform(0.001, 1.0, 6), "T_max = 1000 and 6 random u")]
    else:
        specs = [("short", 10.0, rng.uniform(0.001, 1.0, 4), "T_max = 10 and 4 random u"),
                 ("long", 5000.0, rng.uniform(0.001, 1.0, 8), "T_max = 5000 and 8 random u")]
    return [Probe(name, {"t_max": np.array(t), "u": u}, "the biases", given)
            for name, t, u, given in specs]


# ----------------------------------------------------------------------------------------
# Known mistakes, with what the learner reads.

p = functools.partial

_HALF_LIFE_MISTAKES = (
    Mistake(p(half_life, variant="char_time"), "you returned 1 / (1 − z), the characteristic "
            "time (after which a fraction 1/e is left, not 1/2). The half-life solves z^t = 1/2."),
    Mistake(p(half_life, variant="approx"), "ln 2 / (1 − z) is the approximation for z close "
            "to 1 (ln z ≈ −(1 − z)); it is off for z = 0.5. Solve z^t = 1/2 exactly."),
    Mistake(p(half_life, variant="chung"), "you used 1 − z as the share kept: that is Chung "
            "et al.'s sign. In PyTorch's convention z_t keeps the old state, so h_0 is "
            "scaled by z^t."),
    Mistake(p(half_life, variant="sign"), "your half-lives are negative: ln 2 / ln z has the "
            "wrong sign (ln z < 0 for z < 1); use ln(1/2) / ln z."),
    Mistake(p(half_life, variant="half_z"), "z^t = 1/2 is solved with logarithms, not by "
            "dividing 1/2 by 1 − z."),
)

_BIAS_MISTAKES = (
    Mistake(p(bias_for_half_life, variant="gate"), "you returned the gate value z, which lies "
            "in (0, 1). The question asks for the bias b_z with σ(b_z) = z: invert the "
            "sigmoid."),
    Mistake(p(bias_for_half_life, variant="chung"), "the sign is flipped: that is the bias in "
            "Chung et al.'s convention (z takes the candidate). In PyTorch's, a long memory "
            "needs z near 1, so a large positive b_z."),
    Mistake(p(bias_for_half_life, variant="log_z"), "ln z is not the inverse of the sigmoid: "
            "σ(b) = z gives b = ln(z / (1 − z))."),
    Mistake(p(bias_for_half_life, variant="char_time"), "ln(t − 1) makes t the characteristic "
            "time 1/(1 − z) (that is chrono's mapping), not the half-life."),
    Mistake(p(bias_for_half_life, variant="half"), "you used z = (1/2)^t; the gate that halves "
            "the state after t steps is z = (1/2)^(1/t)."),
)

_JACOBIAN_MISTAKES = (
    Mistake(p(step_jacobian, highway=False), "the highway term is missing: h_t contains "
            "z_t ⊙ h_{t−1}, whose derivative with respect to h_{t−1} is the diagonal D(z_t)."),
    Mistake(p(step_jacobian, update=False), "the update-gate term is missing: z_t depends on "
            "h_{t−1} through W_hz, and ∂h_t/∂z_t = h_{t−1} − n_t."),
    Mistake(p(step_jacobian, candidate=False), "the candidate term is missing: n_t depends on "
            "h_{t−1} (through W_hn and through r_t), and enters h_t with weight 1 − z_t."),
    Mistake(p(step_jacobian, through_r=False), "the candidate term misses its path through "
            "the reset gate: r_t depends on h_{t−1} too, which adds "
            "D((W_hn h_{t−1} + b_hn) ⊙ r_t(1 − r_t)) W_hr inside the candidate term."),
    Mistake(p(step_jacobian, tanh_slope=False), "the candidate term misses the tanh slope "
            "1 − n_t² (the derivative of tanh at the candidate's pre-activation)."),
    Mistake(p(step_jacobian, gate_slope=False), "the update-gate term misses the sigmoid "
            "slope z_t (1 − z_t)."),
    Mistake(p(step_jacobian, update_sign=-1.0), "the update-gate term has the wrong sign: "
            "∂h_t/∂z_t = h_{t−1} − n_t, not n_t − h_{t−1}."),
    Mistake(p(step_jacobian, reset="before"), "this is the Jacobian of the reset-before cell "
            "(W_hn (r_t ⊙ h_{t−1})): in PyTorch's cell the reset multiplies W_hn h_{t−1} + b_hn, "
            "so it scales the rows of W_hn, not its columns."),
    Mistake(p(step_jacobian, swap_z=True), "z_t and 1 − z_t are swapped (Chung et al.'s "
            "sign). In PyTorch's convention h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t."),
    Mistake(p(step_jacobian, transpose=True), "your Jacobian is transposed: J[n, i, j] must "
            "be ∂h_t[n, i] / ∂h_{t−1}[n, j] (rows: outputs, columns: inputs)."),
)

_BACKWARD_MISTAKES = (
    Mistake(p(backward_step, highway=False), "δh_{t−1} misses the highway: h_{t−1} reaches "
            "h_t directly through z_t ⊙ h_{t−1}, which contributes δh_t ⊙ z_t."),
    Mistake(p(backward_step, r_in_product=False), "the candidate's contribution to "
            "δh_{t−1} must go through r_t: it is (δa_n ⊙ r_t) W_hn, since a_n contains "
            "r_t ⊙ (W_hn h_{t−1} + b_hn)."),
    Mistake(p(backward_step, transpose=True), "transposed weights: with row vectors, a "
            "gradient goes back through a = h W^T as δa W (no .T)."),
    Mistake(p(backward_step, swap_z=True), "z_t and 1 − z_t are swapped (Chung et al.'s "
            "sign): in PyTorch's convention z_t keeps h_{t−1}."),
    Mistake(p(backward_step, hn_factor=False), "δa_r misses the factor W_hn h_{t−1} + b_hn: "
            "∂a_n/∂r_t is that vector, elementwise."),
    Mistake(p(backward_step, reset="before"), "this is backprop through the reset-before cell; "
            "PyTorch's resets after the product: r_t ⊙ (W_hn h_{t−1} + b_hn)."),
    Mistake(p(backward_step, z_sign=-1.0), "`da_z` has the wrong sign, and so has its share "
            "of `dh_prev` (da_z W_hz): the factor ∂h_t/∂z_t is h_{t−1} − n_t (z_t weights "
            "h_{t−1}), not n_t − h_{t−1}."),
    Mistake(p(backward_step, z_slope=False), "`da_z` misses the sigmoid's slope "
            "σ'(a_z) = z_t (1 − z_t), so its share of `dh_prev` (da_z W_hz) is off too: "
            "da_z = δh_t ⊙ (h_{t−1} − n_t) ⊙ z_t (1 − z_t)."),
    Mistake(p(backward_step, r_slope=False), "`da_r` misses the sigmoid's slope "
            "σ'(a_r) = r_t (1 − r_t), so its share of `dh_prev` (da_r W_hr) is off too."),
    Mistake(p(backward_step, n_slope=False), "`da_n` misses the tanh's slope "
            "tanh'(a_n) = 1 − n_t², and `da_r` and `dh_prev`, computed from it, inherit the "
            "error: da_n = δh_t ⊙ (1 − z_t) ⊙ (1 − n_t²)."),
    Mistake(p(backward_step, z_slope=False, r_slope=False), "`da_r` and `da_z` miss the "
            "sigmoid's slopes σ'(a) = s (1 − s) (r_t (1 − r_t) and z_t (1 − z_t)), and "
            "`dh_prev` inherits both."),
    Mistake(p(backward_step, z_slope=False, r_slope=False, n_slope=False), "every δa misses "
            "its activation's slope: σ' = s (1 − s) for `da_r` and `da_z`, tanh' = 1 − n_t² for "
            "`da_n` (and `dh_prev` inherits them). The pre-activations are the arguments of σ, "
            "σ and tanh, so each δa ends with that slope."),
    Mistake(p(backward_step, order=(0, 2, 1, 3)), "`da_r` and `da_z` are swapped in the "
            "returned tuple: return (dh_prev, da_r, da_z, da_n), in the gate order r | z | n."),
    Mistake(p(backward_step, order=(1, 2, 3, 0)), "the outputs are in the wrong order: "
            "`dh_prev` comes first, return (dh_prev, da_r, da_z, da_n)."),
    Mistake(p(backward_step, order=(3, 2, 1, 0)), "the outputs are in reverse order: return "
            "(dh_prev, da_r, da_z, da_n)."),
)

_NORM_MISTAKES = (
    Mistake(p(constant_gate_norm, variant="mean"), "the spectral norm of a diagonal matrix "
            "is its largest entry in absolute value, not the mean of its entries."),
    Mistake(p(constant_gate_norm, variant="frobenius"), "that is the Frobenius norm; the "
            "question asks for the spectral norm (largest singular value)."),
    Mistake(p(constant_gate_norm, variant="product"), "the product of the entries is the "
            "determinant, not the norm: the slowest unit alone sets the spectral norm."),
    Mistake(p(constant_gate_norm, variant="chung"), "you used 1 − z as the share kept "
            "(Chung et al.'s sign); in PyTorch's convention each step multiplies by z."),
    Mistake(p(constant_gate_norm, variant="min"), "the fastest unit (smallest z) sets the "
            "smallest singular value; the norm is the largest, set by the slowest unit."),
    Mistake(p(constant_gate_norm, variant="sum"), "summing z_i^T over units is neither the "
            "spectral nor the Frobenius norm."),
)

_CHRONO_MISTAKES = (
    Mistake(p(chrono_bias, variant="chung"), "the sign is flipped: −ln U[1, T_max − 1] is the "
            "bias for a gate that *takes* the candidate (Chung et al.'s z). PyTorch's z keeps "
            "the state, so its bias is +ln U[1, T_max − 1]."),
    Mistake(p(chrono_bias, variant="upto_tmax"), "your uniform draw goes up to T_max; chrono "
            "draws from U[1, T_max − 1] (characteristic times from 2 to T_max)."),
    Mistake(p(chrono_bias, variant="log_T"), "you used ln T; σ(b) = 1 − 1/T gives "
            "b = ln(T − 1)."),
    Mistake(p(chrono_bias, variant="no_log"), "the bias is the logarithm of the uniform "
            "draw: σ(b) = 1 − 1/T needs e^b = T − 1."),
    Mistake(p(chrono_bias, variant="from_zero"), "your uniform draw starts at 0; chrono's "
            "starts at 1 (a characteristic time of at least 2 steps)."),
)


QUESTIONS: list[Question] = [
    Question(
        name="q3_1", func_name="half_life", title="Exercise 3.1: the half-life of a unit",
        hint="After t steps with a constant gate, what fraction of h_0 is left? Set that "
             "fraction to one half and solve for t; a logarithm brings t down from the "
             "exponent. Check the sign: the answer is a positive number of steps.",
        probes=_z_probes, reference=half_life, mistakes=_HALF_LIFE_MISTAKES,
        output_names=("t_half",), points={"public": 1, "hidden": 1}),
    Question(
        name="q3_2", func_name="bias_for_half_life",
        title="Exercise 3.2: the bias for a target half-life",
        hint="Work backwards in two steps: first the gate value whose powers halve after "
             "t_half steps, then the pre-activation that the sigmoid turns into that value "
             "(the inverse of the sigmoid is the log-odds).",
        probes=_t_probes, reference=bias_for_half_life, mistakes=_BIAS_MISTAKES,
        output_names=("b_z",), points={"public": 1, "hidden": 1}),
    Question(
        name="q3_3", func_name="gru_step_jacobian", title="Exercise 3.3: the GRU step Jacobian",
        hint="h_{t-1} appears three times in h_t: as itself (weighted by z_t), inside z_t, and "
             "inside n_t; write one term per appearance with the product rule. Inside n_t it "
             "appears twice again: directly and through r_t. A diagonal matrix D(v) times W "
             "scales the rows of W; broadcasting over a new last axis does that for a batch.",
        probes=_jacobian_probes, reference=step_jacobian, mistakes=_JACOBIAN_MISTAKES,
        output_names=("J",), points={"public": 1, "hidden": 1},
        every_probe="the highway D(z_t), the slopes σ' = s(1 − s) and tanh' = 1 − n², a "
                    "sign, the order of J's axes"),
    Question(
        name="q3_4", func_name="gru_backward_step", title="Exercise 3.4: one step of GRU backprop",
        hint="Follow the forward step backwards: from δh_t to the candidate and the update "
             "gate (what multiplies them in h_t?), through their activations' slopes, then to "
             "r_t (what does r_t multiply?). δh_{t-1} collects every place h_{t-1} was used: "
             "the highway, and each product with a block of W_hh.",
        probes=functools.partial(_jacobian_probes, with_dh=True, salt="q3_4"),
        reference=backward_step, mistakes=_BACKWARD_MISTAKES,
        output_names=("dh_prev", "da_r", "da_z", "da_n"), points={"public": 1, "hidden": 1},
        every_probe="the slopes σ' = s(1 − s) and tanh' = 1 − n², the sign of "
                    "∂h_t/∂z_t = h_{t−1} − n_t, the order of the outputs"),
    Question(
        name="q3_5", func_name="predicted_gradient_norm",
        title="Exercise 3.5: predict the gradient that reaches h_0",
        hint="With W_hh = 0, which of the three terms of the step Jacobian are left? Multiply "
             "T copies of what is left; the result is diagonal. The spectral norm of a "
             "diagonal matrix is easy to read off.",
        probes=_norm_probes, reference=constant_gate_norm, mistakes=_NORM_MISTAKES,
        output_names=("norms",), points={"public": 1, "hidden": 1}),
    Question(
        name="q3_6", func_name="chrono_bias", title="Exercise 3.6: chrono initialisation",
        hint="Turn u into a characteristic time uniform on [2, T_max]. Then ask which gate "
             "value forgets a share 1/T per step, and which bias the sigmoid maps to it. Mind "
             "the sign convention: PyTorch's z keeps the state.",
        probes=_chrono_probes, reference=chrono_bias, mistakes=_CHRONO_MISTAKES,
        output_names=("b_z",), points={"public": 1, "hidden": 1}),
]
