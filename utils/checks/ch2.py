"""Checkers for chapter 2 (``solutions/ch2_exercises.ipynb``): the two gates, the candidate,
one full step and the Chung → PyTorch parameter conversion.

PyTorch's GRU (gates stacked r | z | n in ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``,
``bias_ih (3H,)``, ``bias_hh (3H,)``):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

with ``x_t (N, H_in)``, ``h_{t−1}, r_t, z_t, n_t, h_t (N, H)``. The reference below is tested
against ``torch.nn.GRUCell`` in float64 (``tests/test_checks_ch2.py``); the known mistakes are
small variations of it, each with the message a learner sees.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .core import Mistake, Probe, Question

ASSIGNMENT = "ch2_exercises"
GATES = ("r", "z", "n")
GATE_NAMES = {"r": "reset gate", "z": "update gate", "n": "candidate"}
_CELL_ARGS = ("x_t", "h_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _rows(k: int, H: int) -> slice:
    return slice(k * H, (k + 1) * H)


def _affine(x, W, b, k, H, *, use_b=True, transpose=False):
    """``x W_k^T + b_k`` for gate ``k`` (``transpose`` forgets the ``.T``)."""
    W_k = W[_rows(k, H)]
    out = x @ W_k if transpose else x @ W_k.T
    return out + b[_rows(k, H)] if use_b else out


def gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, k: int = 0,
         act: Callable = _sigmoid, b_ih: bool = True, b_hh: bool = True,
         t_ih: bool = False, t_hh: bool = False) -> np.ndarray:
    """``act(W_ik x_t + b_ik + W_hk h_prev + b_hk)`` for rows ``k·H:(k+1)·H`` → ``(N, H)``."""
    H = weight_hh.shape[1]
    return act(_affine(x_t, weight_ih, bias_ih, k, H, use_b=b_ih, transpose=t_ih)
               + _affine(h_prev, weight_hh, bias_hh, k, H, use_b=b_hh, transpose=t_hh))


def candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh, *, k: int = 2,
              act: Callable = np.tanh, reset: str = "after", b_ih: bool = True,
              b_hh: bool = True, t_ih: bool = False, t_hh: bool = False) -> np.ndarray:
    """``n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))`` → ``(N, H)``.

    ``reset``: ``"after"`` (PyTorch), ``"before"`` (``W_hn (r_t ⊙ h_prev) + b_hn``),
    ``"not_bias"`` (``r_t ⊙ (W_hn h_prev) + b_hn``) or ``"none"`` (no reset).
    """
    H = weight_hh.shape[1]
    W_hn = weight_hh[_rows(k, H)]
    b_hn = bias_hh[_rows(k, H)] if b_hh else 0.0
    hmat = (lambda v: v @ W_hn) if t_hh else (lambda v: v @ W_hn.T)
    if reset == "after":
        rec = r_t * (hmat(h_prev) + b_hn)
    elif reset == "before":
        rec = hmat(r_t * h_prev) + b_hn
    elif reset == "not_bias":
        rec = r_t * hmat(h_prev) + b_hn
    else:
        rec = hmat(h_prev) + b_hn
    return act(_affine(x_t, weight_ih, bias_ih, k, H, use_b=b_ih, transpose=t_ih) + rec)


def gru_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, order=(0, 1, 2),
             swap_z: bool = False, reset: str = "after", gate_act: Callable = _sigmoid,
             cand_act: Callable = np.tanh, b_ih: bool = True, b_hh: bool = True,
             t_ih: bool = False, t_hh: bool = False) -> np.ndarray:
    """``h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev`` → ``(N, H)`` (PyTorch's ``GRUCell``).

    ``order`` gives the row blocks used for r, z, n; ``swap_z`` uses Chung's
    ``h_t = z_t ⊙ n_t + (1 − z_t) ⊙ h_prev``.
    """
    kw = dict(b_ih=b_ih, b_hh=b_hh, t_ih=t_ih, t_hh=t_hh)
    args = (x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    r_t = gate(*args, k=order[0], act=gate_act, **kw)
    z_t = gate(*args, k=order[1], act=gate_act, **kw)
    n_t = candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh, k=order[2],
                    act=cand_act, reset=reset, **kw)
    if swap_z:
        return z_t * n_t + (1.0 - z_t) * h_prev
    return (1.0 - z_t) * n_t + z_t * h_prev


def chung_to_pytorch(weight_ih, weight_hh, bias_ih, bias_hh, *,
                     which=("weight_ih", "weight_hh", "bias_ih", "bias_hh"), k: int = 1,
                     op: str = "neg"):
    """Negate the z rows (``H:2H``) of the parameters named in ``which`` → 4 new arrays."""
    H = weight_hh.shape[1]
    out = []
    for name, p in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                       (weight_ih, weight_hh, bias_ih, bias_hh)):
        p = np.array(p, dtype=np.float64, copy=True)
        if name in which:
            rows = slice(None) if k < 0 else _rows(k, H)
            p[rows] = -p[rows] if op == "neg" else 1.0 - p[rows]
        out.append(p)
    return tuple(out)


# ----------------------------------------------------------------------------------------
# Probes: term isolation (square sizes, so a missing transpose gives values, not errors),
# then all terms at non-square sizes; hidden probes use other sizes and a batch of one.


def _params(rng, H_in, H, scale=0.8):
    return {"weight_ih": rng.uniform(-scale, scale, (3 * H, H_in)),
            "weight_hh": rng.uniform(-scale, scale, (3 * H, H)),
            "bias_ih": rng.uniform(-scale, scale, 3 * H),
            "bias_hh": rng.uniform(-scale, scale, 3 * H)}


def _cell_probes(level: str, seed: int, with_r: bool) -> list[Probe]:
    rng = np.random.default_rng(seed + (0 if level == "public" else 1000))

    def make(N, H_in, H, *, x=True, h=True, b=True, scale=1.0):
        p = _params(rng, H_in, H)
        if not b:
            p["bias_ih"][:] = 0.0
            p["bias_hh"][:] = 0.0
        args = {"x_t": rng.normal(0, scale, (N, H_in)) if x else np.zeros((N, H_in)),
                "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H))}
        if with_r:
            args["r_t"] = rng.uniform(0.05, 0.95, (N, H))
        return args | p

    def shapes(a):
        return ", ".join(f"{k} {a[k].shape}" for k in ("x_t", "h_prev") + (
            ("r_t",) if with_r else ()))

    if level == "public":
        specs = [("biases only", make(2, 4, 4, x=False, h=False), "the bias term",
                  "x_t = 0 and h_prev = 0 (only the biases act)"),
                 ("input term", make(2, 4, 4, h=False, b=False), "the input term W_i· x_t",
                  "h_prev = 0 and zero biases (only the input term acts)"),
                 ("hidden term", make(2, 4, 4, x=False, b=False),
                  "the recurrent term W_h· h_prev",
                  "x_t = 0 and zero biases (only the recurrent term acts)"),
                 ("all terms", make(3, 3, 5), "the combination of the terms", None)]
    else:
        specs = [("batch of one", make(1, 5, 2), "the combination of the terms", None),
                 ("wide input", make(4, 7, 3, scale=2.0), "the combination of the terms", None),
                 ("square", make(5, 6, 6), "the combination of the terms", None)]
    return [Probe(name, args, label, f"{given or 'random inputs'} ({shapes(args)})")
            for name, args, label, given in specs]


def _param_probes(level: str) -> list[Probe]:
    rng = np.random.default_rng(25 + (0 if level == "public" else 1000))
    sizes = [(3, 2), (4, 3)] if level == "public" else [(1, 1), (5, 4)]
    probes = []
    for H_in, H in sizes:
        probes.append(Probe(f"H_in={H_in}, H={H}", _params(rng, H_in, H),
                            "the conversion", f"Chung-convention parameters with H_in = {H_in}, "
                            f"H = {H} (weight_ih {(3 * H, H_in)}, weight_hh {(3 * H, H)})"))
    return probes


# ----------------------------------------------------------------------------------------
# Known mistakes, each with what the learner reads.


def _gate_mistakes(k: int) -> tuple[Mistake, ...]:
    g = GATES[k]
    name = GATE_NAMES[g]
    p = functools.partial
    wrong_slices = tuple(
        Mistake(p(gate, k=j), f"you used rows {j}·H:{j + 1}·H of the stacked parameters, which "
                f"belong to the {GATE_NAMES[GATES[j]]}. PyTorch stacks the gates r | z | n, so "
                f"the {name} uses rows {k}·H:{k + 1}·H (`weight_ih[{k}*H:{k + 1}*H]`, ...).")
        for j in range(3) if j != k)
    return wrong_slices + (
        Mistake(p(gate, k=k, act=np.tanh), f"you applied tanh; the {name} {g}_t uses the "
                "sigmoid σ(a) = 1 / (1 + exp(−a)), so its values lie in (0, 1)."),
        Mistake(p(gate, k=k, b_ih=False, b_hh=False),
                f"both biases are missing: add b_i{g} and b_h{g} (slices of bias_ih and "
                "bias_hh)."),
        Mistake(p(gate, k=k, b_ih=False), f"b_i{g} (from bias_ih) is missing; PyTorch has two "
                "biases and both are added."),
        Mistake(p(gate, k=k, b_hh=False), f"b_h{g} (from bias_hh) is missing; PyTorch has two "
                "biases and both are added."),
        Mistake(p(gate, k=k, t_ih=True, t_hh=True), "transposed weights: the rows of weight_ih "
                "(3H, H_in) and weight_hh (3H, H) are per gate, so with batch-first x_t the "
                f"term is `x_t @ W_i{g}.T` (and `h_prev @ W_h{g}.T`)."),
        Mistake(p(gate, k=k, t_hh=True), f"transposed recurrent weight: use `h_prev @ W_h{g}.T` "
                f"where W_h{g} = weight_hh[{k}*H:{k + 1}*H] has shape (H, H)."),
        Mistake(p(gate, k=k, t_ih=True), f"transposed input weight: use `x_t @ W_i{g}.T` "
                f"where W_i{g} = weight_ih[{k}*H:{k + 1}*H] has shape (H, H_in)."),
    )


def _candidate_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(candidate, reset="before"), "the reset gate is applied before the product "
                "(W_hn (r_t ⊙ h_prev), Cho 2014 / d2l, `reset_after=False`). This course uses "
                "PyTorch's convention: n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))."),
        Mistake(p(candidate, reset="not_bias"), "b_hn must be inside the reset product: "
                "r_t ⊙ (W_hn h_prev + b_hn), not r_t ⊙ (W_hn h_prev) + b_hn."),
        Mistake(p(candidate, reset="none"), "the reset gate r_t is not used: "
                "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))."),
        Mistake(p(candidate, act=_sigmoid), "you applied the sigmoid; the candidate uses tanh, "
                "so its values lie in (−1, 1)."),
        Mistake(p(candidate, k=0), "you used rows 0·H:1·H (the reset gate's); the candidate "
                "uses rows 2·H:3·H (order r | z | n)."),
        Mistake(p(candidate, k=1), "you used rows 1·H:2·H (the update gate's); the candidate "
                "uses rows 2·H:3·H (order r | z | n)."),
        Mistake(p(candidate, b_ih=False, b_hh=False), "both biases b_in and b_hn are missing."),
        Mistake(p(candidate, b_ih=False), "b_in (from bias_ih) is missing."),
        Mistake(p(candidate, b_hh=False), "b_hn (from bias_hh) is missing; it goes inside the "
                "reset product."),
        Mistake(p(candidate, t_ih=True, t_hh=True), "transposed weights: use `x_t @ W_in.T` and "
                "`h_prev @ W_hn.T` (weights are (3H, H_in) and (3H, H), one row per unit)."),
        Mistake(p(candidate, t_hh=True), "transposed recurrent weight: use `h_prev @ W_hn.T`."),
        Mistake(p(candidate, t_ih=True), "transposed input weight: use `x_t @ W_in.T`."),
    )


def _step_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(gru_step, swap_z=True), "z_t and 1 − z_t are swapped: that is Chung et al.'s "
                "convention. PyTorch keeps the old state with z_t: "
                "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev."),
        Mistake(p(gru_step, reset="before"), "the reset gate is applied before the product "
                "(W_hn (r_t ⊙ h_prev)); PyTorch applies it after: r_t ⊙ (W_hn h_prev + b_hn)."),
        Mistake(p(gru_step, reset="not_bias"), "b_hn must be inside the reset product: "
                "r_t ⊙ (W_hn h_prev + b_hn)."),
        Mistake(p(gru_step, order=(1, 0, 2)), "r and z are swapped: PyTorch stacks the gates "
                "r | z | n (rows 0:H reset, H:2H update, 2H:3H candidate); Keras uses z | r | h."),
        Mistake(p(gru_step, order=(1, 0, 2), swap_z=True), "r and z rows are swapped (order is "
                "r | z | n) and so are z_t and 1 − z_t."),
        Mistake(p(gru_step, gate_act=np.tanh, cand_act=_sigmoid), "sigmoid and tanh are "
                "swapped: the gates r_t, z_t use σ, the candidate n_t uses tanh."),
        Mistake(p(gru_step, cand_act=_sigmoid), "the candidate uses σ; it should use tanh."),
        Mistake(p(gru_step, gate_act=np.tanh), "the gates use tanh; they should use σ."),
        Mistake(p(gru_step, reset="none"), "the reset gate is not used in the candidate."),
        Mistake(p(gru_step, b_ih=False, b_hh=False), "the biases are missing (bias_ih and "
                "bias_hh are both added, per gate)."),
        Mistake(p(gru_step, b_ih=False), "bias_ih is missing (PyTorch adds both biases)."),
        Mistake(p(gru_step, b_hh=False), "bias_hh is missing (PyTorch adds both biases)."),
        Mistake(p(gru_step, t_ih=True, t_hh=True), "transposed weights: use `x_t @ W.T` and "
                "`h_prev @ U.T` (one row of weight_ih/weight_hh per unit)."),
        Mistake(p(gru_step, t_hh=True), "transposed recurrent weights: use `h_prev @ W_h·.T`."),
        Mistake(p(gru_step, t_ih=True), "transposed input weights: use `x_t @ W_i·.T`."),
    )


def _conversion_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(chung_to_pytorch, which=()), "the parameters are returned unchanged; negate "
                "the update-gate rows H:2H, since 1 − σ(a) = σ(−a)."),
        Mistake(p(chung_to_pytorch, which=("weight_ih", "weight_hh")), "the weights are "
                "converted but not the biases: z_t = σ(W_iz x + b_iz + W_hz h + b_hz), so "
                "1 − z_t = σ(−W_iz x − b_iz − W_hz h − b_hz) needs both biases negated too."),
        Mistake(p(chung_to_pytorch, which=("weight_ih", "weight_hh", "bias_ih")), "bias_hh's "
                "z rows are not negated; both biases enter z_t."),
        Mistake(p(chung_to_pytorch, which=("weight_ih", "weight_hh", "bias_hh")), "bias_ih's "
                "z rows are not negated; both biases enter z_t."),
        Mistake(p(chung_to_pytorch, which=("weight_ih", "bias_ih", "bias_hh")), "weight_hh's z "
                "rows are not negated; the recurrent term enters z_t too."),
        Mistake(p(chung_to_pytorch, which=("weight_hh", "bias_ih", "bias_hh")), "weight_ih's z "
                "rows are not negated; the input term enters z_t too."),
        Mistake(p(chung_to_pytorch, k=0), "you negated rows 0:H (the reset gate); the update "
                "gate z is rows H:2H (order r | z | n)."),
        Mistake(p(chung_to_pytorch, k=2), "you negated rows 2H:3H (the candidate); the update "
                "gate z is rows H:2H (order r | z | n)."),
        Mistake(p(chung_to_pytorch, k=-1), "you negated every row; only the update gate's rows "
                "H:2H change (r and n are the same in both conventions)."),
        Mistake(p(chung_to_pytorch, op="one_minus"), "you computed 1 − W_z; but 1 − σ(a) = "
                "σ(−a), so the z rows are negated: W_z → −W_z, b_z → −b_z."),
    )


def _hint(lines: str) -> str:
    return lines.strip()


QUESTIONS: list[Question] = [
    Question(
        name="q2_1", func_name="reset_gate", title="Exercise 2.1: the reset gate",
        hint=_hint("""
H = weight_hh.shape[1]. The reset gate uses the first block of rows: W_ir = weight_ih[:H],
W_hr = weight_hh[:H], b_ir = bias_ih[:H], b_hr = bias_hh[:H]. With batch-first inputs
(x_t is (N, H_in)) the input term is x_t @ W_ir.T, shape (N, H). Then
r_t = sigmoid(x_t @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr), sigmoid(a) = 1 / (1 + np.exp(-a)).
"""),
        probes=functools.partial(_cell_probes, seed=21, with_r=False),
        reference=functools.partial(gate, k=0), mistakes=_gate_mistakes(0),
        output_names=("r_t",), points={"public": 1, "hidden": 1}),
    Question(
        name="q2_2", func_name="update_gate", title="Exercise 2.2: the update gate",
        hint=_hint("""
Same as the reset gate with the second block of rows, H:2*H (PyTorch stacks r | z | n):
z_t = sigmoid(x_t @ weight_ih[H:2*H].T + bias_ih[H:2*H]
              + h_prev @ weight_hh[H:2*H].T + bias_hh[H:2*H]).
"""),
        probes=functools.partial(_cell_probes, seed=22, with_r=False),
        reference=functools.partial(gate, k=1), mistakes=_gate_mistakes(1),
        output_names=("z_t",), points={"public": 1, "hidden": 1}),
    Question(
        name="q2_3", func_name="candidate_state", title="Exercise 2.3: the candidate state",
        hint=_hint("""
Third block of rows, 2*H:3*H. Compute the recurrent part with its bias first,
W_hn h_prev + b_hn = h_prev @ weight_hh[2*H:].T + bias_hh[2*H:], then multiply it by r_t
(reset *after* the product), add x_t @ weight_ih[2*H:].T + bias_ih[2*H:], and apply np.tanh.
"""),
        probes=functools.partial(_cell_probes, seed=23, with_r=True),
        reference=candidate, mistakes=_candidate_mistakes(),
        output_names=("n_t",), points={"public": 1, "hidden": 1}),
    Question(
        name="q2_4", func_name="gru_cell_step", title="Exercise 2.4: one GRU step",
        hint=_hint("""
Reuse your functions: r_t = reset_gate(...), z_t = update_gate(...),
n_t = candidate_state(x_t, h_prev, r_t, ...). Then interpolate with z_t keeping the old state:
h_t = (1 - z_t) * n_t + z_t * h_prev. This matches torch.nn.GRUCell to 1e-8 in float64.
"""),
        probes=functools.partial(_cell_probes, seed=24, with_r=False),
        reference=gru_step, mistakes=_step_mistakes(),
        output_names=("h_t",), points={"public": 1, "hidden": 2}),
    Question(
        name="q2_5", func_name="chung_to_pytorch", title="Exercise 2.5: Chung → PyTorch",
        hint=_hint("""
Chung's z is PyTorch's 1 - z, and 1 - sigmoid(a) = sigmoid(-a). So negate the update-gate rows
H:2*H of weight_ih, weight_hh, bias_ih and bias_hh, leave r and n rows alone, and work on copies:
w = weight_ih.copy(); w[H:2*H] *= -1 (same for the other three); return the four arrays.
"""),
        probes=_param_probes, reference=chung_to_pytorch, mistakes=_conversion_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        points={"public": 1, "hidden": 1}),
]
