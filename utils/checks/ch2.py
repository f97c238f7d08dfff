"""Checkers for chapter 2 (``solutions/ch2_exercises.ipynb``): the two gates, the reset-before
candidate, what ``r_t = 0`` really gives, Keras → PyTorch, and a planted bug to diagnose.

PyTorch's GRU (gates stacked r | z | n in ``weight_ih (3H, H_in)``, ``weight_hh (3H, H)``,
``bias_ih (3H,)``, ``bias_hh (3H,)``):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))      (reset after)
    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t−1}) + b_hn)      (reset before)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

with ``x_t (N, H_in)``, ``h_{t−1}, r_t, z_t, n_t, h_t (N, H)``. The references below are
tested against ``torch.nn.GRUCell`` in float64 (``tests/test_checks_ch2.py``); the known
mistakes are small variations of them, each with the message a learner sees.

A question that builds on an earlier one is graded on its own: the earlier result it needs
(``r_t``) is an argument the grader fills with reference values, and feeding it anything
else (recomputing it) is a known mistake that says so.

Only NumPy is imported: this module ships in the autograder bundle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .core import Mistake, Probe, Question, probe_rng

ASSIGNMENT = "ch2_exercises"
GATES = ("r", "z", "n")
GATE_NAMES = {"r": "reset gate", "z": "update gate", "n": "candidate"}
_PYTORCH_ORDER = ("r", "z", "n")
_KERAS_ORDER = ("z", "r", "n")  # Keras calls the candidate block "h"


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


def gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, order=(0, 1),
          z_one_minus: bool = False, **kw) -> tuple[np.ndarray, np.ndarray]:
    """``(r_t, z_t)``, each ``(N, H)``; ``order`` gives the row blocks used for r and z,
    ``z_one_minus`` returns ``1 − σ(…)`` for the update gate (Chung's z)."""
    args = (x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    r_t = gate(*args, k=order[0], **kw)
    z_t = gate(*args, k=order[1], **kw)
    return r_t, (1.0 - z_t if z_one_minus else z_t)


def candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh, *, k: int = 2,
              act: Callable = np.tanh, reset: str = "after", b_ih: bool = True,
              b_hh: bool = True, t_ih: bool = False, t_hh: bool = False,
              own_r: bool = False) -> np.ndarray:
    """The candidate ``n_t`` → ``(N, H)``.

    ``reset``: ``"after"`` (PyTorch, ``r_t ⊙ (W_hn h_prev + b_hn)``), ``"before"``
    (``W_hn (r_t ⊙ h_prev) + b_hn``), ``"before_gated_bias"``
    (``W_hn (r_t ⊙ h_prev) + r_t ⊙ b_hn``), ``"not_bias"`` (``r_t ⊙ (W_hn h_prev) + b_hn``)
    or ``"none"`` (no reset). ``own_r`` ignores the ``r_t`` argument and recomputes the
    reset gate from the weights.
    """
    H = weight_hh.shape[1]
    if own_r:
        r_t = gate(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, k=0)
    W_hn = weight_hh[_rows(k, H)]
    b_hn = bias_hh[_rows(k, H)] if b_hh else 0.0
    hmat = (lambda v: v @ W_hn) if t_hh else (lambda v: v @ W_hn.T)
    if reset == "after":
        rec = r_t * (hmat(h_prev) + b_hn)
    elif reset == "before":
        rec = hmat(r_t * h_prev) + b_hn
    elif reset == "before_gated_bias":
        rec = hmat(r_t * h_prev) + r_t * b_hn
    elif reset == "not_bias":
        rec = r_t * hmat(h_prev) + b_hn
    else:
        rec = hmat(h_prev) + b_hn
    return act(_affine(x_t, weight_ih, bias_ih, k, H, use_b=b_ih, transpose=t_ih) + rec)


def candidate_before(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh,
                     **kw) -> np.ndarray:
    """The reset-before candidate (Cho et al. 2014 v3, Chung et al., d2l, Keras
    ``reset_after=False``): ``tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_prev) + b_hn)``."""
    kw.setdefault("reset", "before")
    return candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh, **kw)


def gru_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, order=(0, 1, 2),
             swap_z: bool = False, reset: str = "after") -> np.ndarray:
    """``h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev`` → ``(N, H)`` (PyTorch's ``GRUCell``).

    ``order`` gives the row blocks used for r, z, n; ``swap_z`` uses Chung's
    ``h_t = z_t ⊙ n_t + (1 − z_t) ⊙ h_prev``.
    """
    args = (x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    r_t = gate(*args, k=order[0])
    z_t = gate(*args, k=order[1])
    n_t = candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh, k=order[2],
                    reset=reset)
    if swap_z:
        return z_t * n_t + (1.0 - z_t) * h_prev
    return (1.0 - z_t) * n_t + z_t * h_prev


def buggy_gru_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> np.ndarray:
    """Exercise 2.5's planted bug: the update gate is computed as ``1 − σ(…)``."""
    r_t, z_t = gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, z_one_minus=True)
    n_t = candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh)
    return (1.0 - z_t) * n_t + z_t * h_prev


def reset_closed_vs_first_step(x_t, r_t, weight_ih, weight_hh, bias_ih, bias_hh, *,
                               closed_keeps_b_hn: bool = False, first_ignores_r: bool = False,
                               first_drops_b_hn: bool = False,
                               swap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's candidate with the reset gate closed, ``tanh(W_in x_t + b_in)`` (any
    ``h_{t−1}``), and at a first step, ``tanh(W_in x_t + b_in + r_t ⊙ b_hn)``
    (``h_{t−1} = 0``); each ``(N, H)``. The flags are known mistakes."""
    H = weight_hh.shape[1]
    a_in = x_t @ weight_ih[2 * H:].T + bias_ih[2 * H:]  # (N, H)
    b_hn = bias_hh[2 * H:]  # (H,)
    n_closed = np.tanh(a_in + b_hn if closed_keeps_b_hn else a_in)
    gated = a_in if first_drops_b_hn else a_in + (b_hn if first_ignores_r else r_t * b_hn)
    n_first = np.tanh(gated)
    return (n_first, n_closed) if swap else (n_closed, n_first)


def _reorder(a: np.ndarray, src: tuple[str, ...], dst: tuple[str, ...]) -> np.ndarray:
    """Reorder the three gate blocks along the last axis from order ``src`` to ``dst``."""
    parts = dict(zip(src, np.split(a, 3, axis=-1)))
    return np.concatenate([parts[g] for g in dst], axis=-1)


def keras_to_pytorch(kernel, recurrent_kernel, bias, *, reorder: bool = True,
                     transpose: str = "T", swap_bias_rows: bool = False,
                     order: tuple[str, ...] = _PYTORCH_ORDER,
                     negate_z: bool = False) -> tuple[np.ndarray, ...]:
    """Keras ``GRU(reset_after=True)`` weights → PyTorch's four arrays.

    ``kernel (H_in, 3H)``, ``recurrent_kernel (H, 3H)``, ``bias (2, 3H)``, blocks z | r | h.
    The flags are known mistakes: ``transpose="reshape"`` reshapes instead of transposing,
    ``reorder=False`` keeps Keras' order, ``order`` reorders to another order,
    ``swap_bias_rows`` takes the recurrent bias row as the input one, ``negate_z`` negates
    the update gate's rows (the fix for Chung et al.'s sign, which Keras does not use).
    """
    bias = np.asarray(bias, dtype=np.float64)
    b_ih, b_hh = (bias[1], bias[0]) if swap_bias_rows else (bias[0], bias[1])
    dst = order if reorder else _KERAS_ORDER

    def mat(m):
        m = _reorder(np.asarray(m, dtype=np.float64), _KERAS_ORDER, dst)
        return m.T.copy() if transpose == "T" else m.reshape(m.shape[1], m.shape[0])

    out = (mat(kernel), mat(recurrent_kernel), _reorder(b_ih, _KERAS_ORDER, dst),
           _reorder(b_hh, _KERAS_ORDER, dst))
    if negate_z:
        H = np.asarray(recurrent_kernel).shape[0]
        for p in out:
            p[_rows(1, H)] = -p[_rows(1, H)]
    return out


def chung_to_pytorch(weight_ih, weight_hh, bias_ih, bias_hh, *,
                     which=("weight_ih", "weight_hh", "bias_ih", "bias_hh"), k: int = 1,
                     op: str = "neg"):
    """Negate the z rows (``H:2H``) of the parameters named in ``which`` → 4 new arrays.

    This is also the fix of exercise 2.5: a cell whose update gate is ``1 − σ(a)`` computes
    what PyTorch's computes with ``a → −a``.
    """
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
# Every random input comes from ``probe_rng(level, question name)``.


def _params(rng, H_in, H, scale=0.8):
    return {"weight_ih": rng.uniform(-scale, scale, (3 * H, H_in)),
            "weight_hh": rng.uniform(-scale, scale, (3 * H, H)),
            "bias_ih": rng.uniform(-scale, scale, 3 * H),
            "bias_hh": rng.uniform(-scale, scale, 3 * H)}


def _cell_probes(level: str, salt: str, with_r: bool, with_h: bool = True) -> list[Probe]:
    rng = probe_rng(level, salt)

    def make(N, H_in, H, *, x=True, h=True, b=True, scale=1.0):
        p = _params(rng, H_in, H)
        if not b:
            p["bias_ih"][:] = 0.0
            p["bias_hh"][:] = 0.0
        args = {"x_t": rng.normal(0, scale, (N, H_in)) if x else np.zeros((N, H_in))}
        if with_h:
            args["h_prev"] = rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H))
        if with_r:
            args["r_t"] = rng.uniform(0.05, 0.95, (N, H))
        return args | p

    def shapes(a):
        return ", ".join(f"{k} {a[k].shape}" for k in ("x_t", "h_prev", "r_t") if k in a)

    if level == "public":
        specs = [("biases only", make(2, 4, 4, x=False, h=False), "the bias term",
                  "x_t = 0" + (" and h_prev = 0" if with_h else "") + " (only the biases act)"),
                 ("input term", make(2, 4, 4, h=False, b=False), "the input term W_i· x_t",
                  ("h_prev = 0 and " if with_h else "") + "zero biases (only the input term "
                  "acts)")]
        if with_h:
            specs.append(("hidden term", make(2, 4, 4, x=False, b=False),
                          "the recurrent term W_h· h_prev",
                          "x_t = 0 and zero biases (only the recurrent term acts)"))
        specs.append(("all terms", make(3, 3, 5), "the combination of the terms", None))
    else:
        specs = [("batch of one", make(1, 5, 2), "the combination of the terms", None),
                 ("wide input", make(4, 7, 3, scale=2.0), "the combination of the terms", None),
                 ("square", make(5, 6, 6), "the combination of the terms", None)]
    return [Probe(name, args, label, f"{given or 'random inputs'} ({shapes(args)})")
            for name, args, label, given in specs]


def _keras_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q2_4")
    sizes = [(4, 4), (3, 2)] if level == "public" else [(1, 1), (5, 3), (2, 6)]
    probes = []
    for H_in, H in sizes:
        args = {"kernel": rng.uniform(-1, 1, (H_in, 3 * H)),
                "recurrent_kernel": rng.uniform(-1, 1, (H, 3 * H)),
                "bias": rng.uniform(-1, 1, (2, 3 * H))}
        probes.append(Probe(f"H_in={H_in}, H={H}", args, "the conversion",
                            f"Keras weights with H_in = {H_in}, H = {H} (kernel "
                            f"{(H_in, 3 * H)}, recurrent_kernel {(H, 3 * H)}, bias "
                            f"{(2, 3 * H)})"))
    return probes


def _param_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q2_5")
    sizes = [(3, 2), (4, 3)] if level == "public" else [(1, 1), (5, 4)]
    return [Probe(f"H_in={H_in}, H={H}", _params(rng, H_in, H), "the conversion",
                  f"the buggy cell's parameters with H_in = {H_in}, H = {H} (weight_ih "
                  f"{(3 * H, H_in)}, weight_hh {(3 * H, H)})")
            for H_in, H in sizes]


# ----------------------------------------------------------------------------------------
# Known mistakes, each with what the learner reads.

_P = functools.partial


def _gates_mistakes() -> tuple[Mistake, ...]:
    return (
        Mistake(_P(gates, z_one_minus=True), "your z_t is 1 − σ(…): that is the update gate of "
                "Chung et al.'s convention, where z takes the new state. In PyTorch's "
                "convention z_t = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz) is the share of the "
                "old state that is kept (the chapter's 'Which way the update gate points')."),
        Mistake(_P(gates, order=(1, 0)), "r_t and z_t are swapped: PyTorch stacks the gates "
                "r | z | n, so the reset gate uses rows 0:H and the update gate rows H:2H "
                "(Keras' order z | r | h is the other way round)."),
        Mistake(_P(gates, order=(0, 2)), "your z_t uses rows 2H:3H, which belong to the "
                "candidate; the update gate is the second block, rows H:2H (order r | z | n)."),
        Mistake(_P(gates, order=(2, 1)), "your r_t uses rows 2H:3H, which belong to the "
                "candidate; the reset gate is the first block, rows 0:H (order r | z | n)."),
        Mistake(_P(gates, order=(0, 0)), "r_t and z_t are identical: both use rows 0:H. "
                "The update gate has its own block, rows H:2H."),
        Mistake(_P(gates, act=np.tanh), "you applied tanh; the gates use the sigmoid "
                "σ(a) = 1 / (1 + exp(−a)), so their values lie in (0, 1)."),
        Mistake(_P(gates, b_ih=False, b_hh=False), "the biases are missing: each gate adds its "
                "block of bias_ih and of bias_hh."),
        Mistake(_P(gates, b_ih=False), "bias_ih is missing; PyTorch has two biases per gate "
                "and both are added."),
        Mistake(_P(gates, b_hh=False), "bias_hh is missing; PyTorch has two biases per gate "
                "and both are added."),
        Mistake(_P(gates, t_ih=True, t_hh=True), "transposed weights: the rows of weight_ih "
                "(3H, H_in) and weight_hh (3H, H) are per unit, so with batch-first x_t the "
                "input term is x_t times the transpose of the gate's block."),
        Mistake(_P(gates, t_hh=True), "transposed recurrent weights: h_prev multiplies the "
                "transpose of the gate's (H, H) block of weight_hh."),
        Mistake(_P(gates, t_ih=True), "transposed input weights: x_t multiplies the transpose "
                "of the gate's (H, H_in) block of weight_ih."),
    )


def _candidate_before_mistakes() -> tuple[Mistake, ...]:
    return (
        Mistake(_P(candidate_before, own_r=True), "you computed r_t yourself instead of using "
                "the r_t argument. The grader passes reset-gate values of its own so that this "
                "exercise is graded apart from exercise 2.1: use the argument."),
        Mistake(_P(candidate_before, reset="after"), "that is PyTorch's candidate, reset after "
                "the product: r_t ⊙ (W_hn h_prev + b_hn). Here the reset gate scales h_prev "
                "before it meets W_hn, and b_hn is added outside."),
        Mistake(_P(candidate_before, reset="not_bias"), "you scaled the product W_hn h_prev "
                "by r_t; in the reset-before cell r_t scales h_prev itself, before the "
                "product (the two differ unless every unit has the same r_t)."),
        Mistake(_P(candidate_before, reset="before_gated_bias"), "b_hn is gated too: in the "
                "reset-before cell only h_prev is scaled by r_t; b_hn is added as it is."),
        Mistake(_P(candidate_before, reset="none"), "the reset gate r_t is not used."),
        Mistake(_P(candidate_before, act=_sigmoid), "you applied the sigmoid; the candidate "
                "uses tanh, so its values lie in (−1, 1)."),
        Mistake(_P(candidate_before, k=0), "you used rows 0:H (the reset gate's); the "
                "candidate uses rows 2H:3H (order r | z | n)."),
        Mistake(_P(candidate_before, k=1), "you used rows H:2H (the update gate's); the "
                "candidate uses rows 2H:3H (order r | z | n)."),
        Mistake(_P(candidate_before, b_ih=False, b_hh=False), "both biases b_in and b_hn are "
                "missing."),
        Mistake(_P(candidate_before, b_ih=False), "b_in (from bias_ih) is missing."),
        Mistake(_P(candidate_before, b_hh=False), "b_hn (from bias_hh) is missing."),
        Mistake(_P(candidate_before, t_ih=True, t_hh=True), "transposed weights: each (H, ·) "
                "block has one row per unit, so batch-first vectors multiply its transpose."),
        Mistake(_P(candidate_before, t_hh=True), "transposed recurrent weight W_hn."),
        Mistake(_P(candidate_before, t_ih=True), "transposed input weight W_in."),
    )


def _first_step_mistakes() -> tuple[Mistake, ...]:
    f = reset_closed_vs_first_step
    return (
        Mistake(_P(f, swap=True), "the two arrays are in the wrong order: return "
                "(n_closed, n_first)."),
        Mistake(_P(f, closed_keeps_b_hn=True), "with r_t = 0 PyTorch's candidate loses the "
                "whole product r_t ⊙ (W_hn h_prev + b_hn), b_hn included. Keeping b_hn is "
                "what the reset-before cell does."),
        Mistake(_P(f, first_ignores_r=True), "at a first step h_prev = 0 removes W_hn h_prev, "
                "but b_hn is still inside the reset product: it is scaled by r_t."),
        Mistake(_P(f, first_drops_b_hn=True), "at a first step only W_hn h_prev vanishes; "
                "b_hn stays, scaled by r_t."),
        Mistake(_P(f, closed_keeps_b_hn=True, first_ignores_r=True), "both candidates keep "
                "b_hn unscaled, which is the reset-before cell; in PyTorch's cell b_hn sits "
                "inside r_t ⊙ (…)."),
    )


def _keras_mistakes() -> tuple[Mistake, ...]:
    return (
        Mistake(_P(keras_to_pytorch, reorder=False), "the gate blocks are still in Keras' order "
                "z | r | h; PyTorch's is r | z | n, so the first two blocks trade places."),
        Mistake(_P(keras_to_pytorch, order=("n", "z", "r")), "the gate blocks are in the "
                "wrong order: PyTorch's is r | z | n."),
        Mistake(_P(keras_to_pytorch, transpose="reshape"), "you reshaped the matrices to the "
                "new shape; that scrambles the entries. Keras multiplies x @ kernel, PyTorch "
                "x @ weight_ih.T, so the matrix is transposed."),
        Mistake(_P(keras_to_pytorch, transpose="reshape", reorder=False), "you reshaped the "
                "matrices (they must be transposed) and kept Keras' gate order z | r | h."),
        Mistake(_P(keras_to_pytorch, swap_bias_rows=True), "the bias rows are swapped: Keras' "
                "bias row 0 is the input bias (bias_ih), row 1 the recurrent one (bias_hh)."),
        Mistake(_P(keras_to_pytorch, negate_z=True), "you negated the update gate's rows "
                "(rows H:2H of every array), the fix for Chung et al.'s sign. Keras uses the same "
                "update rule as PyTorch (z_t keeps the old state), so z needs no change: only "
                "the block order and the transposes differ."),
        Mistake(_P(keras_to_pytorch, swap_bias_rows=True, reorder=False), "the bias rows are "
                "swapped (row 0 is bias_ih) and the blocks are still in Keras' order z | r | h."),
    )


def _fix_mistakes() -> tuple[Mistake, ...]:
    return (
        Mistake(_P(chung_to_pytorch, which=()), "the parameters are returned unchanged, but the "
                "buggy cell computes 1 − σ(a) where torch.nn.GRUCell computes σ(a). "
                "Which change of the weights turns σ(a) into 1 − σ(a)?"),
        Mistake(_P(chung_to_pytorch, which=("weight_ih", "weight_hh")), "the weights are "
                "converted but not the biases: the update pre-activation includes b_iz and "
                "b_hz, so all four of its terms change sign."),
        Mistake(_P(chung_to_pytorch, which=("weight_ih", "weight_hh", "bias_ih")), "bias_hh's "
                "z rows are not negated; both biases enter z_t."),
        Mistake(_P(chung_to_pytorch, which=("weight_ih", "weight_hh", "bias_hh")), "bias_ih's "
                "z rows are not negated; both biases enter z_t."),
        Mistake(_P(chung_to_pytorch, which=("weight_ih", "bias_ih", "bias_hh")), "weight_hh's z "
                "rows are not negated; the recurrent term enters z_t too."),
        Mistake(_P(chung_to_pytorch, which=("weight_hh", "bias_ih", "bias_hh")), "weight_ih's z "
                "rows are not negated; the input term enters z_t too."),
        Mistake(_P(chung_to_pytorch, k=0), "you changed rows 0:H (the reset gate); the bug is "
                "in the update gate, rows H:2H (order r | z | n)."),
        Mistake(_P(chung_to_pytorch, k=2), "you changed rows 2H:3H (the candidate); the bug is "
                "in the update gate, rows H:2H (order r | z | n)."),
        Mistake(_P(chung_to_pytorch, k=-1), "you negated every row; only the update gate is "
                "wrong in the buggy cell, r and n are computed as in PyTorch."),
        Mistake(_P(chung_to_pytorch, op="one_minus"), "you computed 1 − W_z; but 1 − σ(a) = "
                "σ(−a), so the pre-activation changes sign: W_z → −W_z, b_z → −b_z."),
    )


def _hint(lines: str) -> str:
    return lines.strip()


QUESTIONS: list[Question] = [
    Question(
        name="q2_1", func_name="gru_gates", title="Exercise 2.1: both gates",
        hint=_hint("""
The two gates are the same computation on different rows of the stacked parameters: find
which block of rows belongs to which gate from the order PyTorch stacks them in. With a
batch in the rows, a vector times a weight matrix is written with the matrix transposed. Ask
yourself which way z_t points in this convention: near 1, is the old state kept or
replaced?
"""),
        probes=functools.partial(_cell_probes, salt="q2_1", with_r=False),
        reference=gates, mistakes=_gates_mistakes(),
        output_names=("r_t", "z_t"), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    Question(
        name="q2_2", func_name="candidate_reset_before",
        title="Exercise 2.2: the reset-before candidate",
        hint=_hint("""
In this variant the reset gate acts on the state, not on the result of the product: scale
h_prev unit by unit first, then let W_hn act on what is left. Which bias sits inside the
reset and which outside? Here neither is gated. Use the r_t you are given, not one of your
own.
"""),
        probes=functools.partial(_cell_probes, salt="q2_2", with_r=True),
        reference=candidate_before, mistakes=_candidate_before_mistakes(),
        output_names=("n_t",), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    Question(
        name="q2_3", func_name="reset_closed_vs_first_step",
        title="Exercise 2.3: r_t = 0 is not a first step",
        hint=_hint("""
Write PyTorch's candidate and cross out what vanishes. With a closed reset gate, everything
the reset gate multiplies is gone, whatever the previous state is. At a first step the
previous state is zero: which part of the reset product is still there? That is why neither
result needs h_prev.
"""),
        probes=functools.partial(_cell_probes, salt="q2_3", with_r=True, with_h=False),
        reference=reset_closed_vs_first_step, mistakes=_first_step_mistakes(),
        output_names=("n_closed", "n_first"), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    Question(
        name="q2_4", func_name="keras_to_pytorch", title="Exercise 2.4: Keras → PyTorch",
        hint=_hint("""
Three things differ: the matrices multiply from the other side (so each is transposed, not
reshaped), the three gate blocks come in another order (split them, then put them back in
PyTorch's order), and the bias holds two rows, one per PyTorch bias. The update rule is the
same in both libraries, so no sign changes.
"""),
        probes=_keras_probes, reference=keras_to_pytorch, mistakes=_keras_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        points={"public": 1, "hidden": 1},
        every_probe="the order of the gate blocks, a transpose, the biases"),
    Question(
        name="q2_5", func_name="fix_weights", title="Exercise 2.5: diagnose a planted bug",
        hint=_hint("""
Compare the buggy cell with the equations line by line: one gate is not what PyTorch
computes. Rewrite its wrong expression as a sigmoid of something, then ask which parameters
produce that something and what happens to them. Only that gate's rows change; work on
copies.
"""),
        probes=_param_probes, reference=chung_to_pytorch, mistakes=_fix_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        points={"public": 1, "hidden": 1},
        every_probe="the order of the gate blocks, a transpose, the biases"),
]
