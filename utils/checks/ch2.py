"""Checkers for chapter 2 (``solutions/ch2_exercises.ipynb``): read the update gate off a
step, recover the reset gate from a candidate (two inversions the chapter does not show), what
``r_t = 0`` really gives, Keras → PyTorch, and a planted bug to diagnose; with four graded
predictions (``PREDICTIONS``), each before the exercise that measures it.

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

import dataclasses
import functools
from collections.abc import Callable, Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict, probe_rng
from .core import close as _close
from .predictions import Prediction, WrongAnswer

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
    """Exercise 2.5's planted bug: the reset gate is computed as ``1 − σ(…)``."""
    r_t, z_t = gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    r_t = 1.0 - r_t
    n_t = candidate(x_t, h_prev, r_t, weight_ih, weight_hh, bias_ih, bias_hh)
    return (1.0 - z_t) * n_t + z_t * h_prev


def update_gate_from_step(h_prev, n_t, h_t, *, rule: str = "keeps") -> np.ndarray:
    """The update gate a step used, read off its blend ``h_t = (1 − z_t) n_t + z_t h_prev``:
    ``z_t = (h_t − n_t) / (h_prev − n_t)``, each ``(N, H)``. ``rule`` selects known mistakes:
    ``"takes"`` (Chung's z, ``1 − z_t``), ``"inverted"`` (the ratio upside down),
    ``"ratio"`` (``h_t / h_prev``), ``"no_n_below"`` (``n_t`` left out of the denominator)."""
    if rule == "takes":
        return (h_t - h_prev) / (n_t - h_prev)
    if rule == "inverted":
        return (h_prev - n_t) / (h_t - n_t)
    if rule == "ratio":
        return h_t / h_prev
    if rule == "no_n_below":
        return (h_t - n_t) / h_prev
    return (h_t - n_t) / (h_prev - n_t)


def reset_gate_from_candidate(x_t, h_prev, n_t, weight_ih, weight_hh, bias_ih, bias_hh, *,
                              placement: str = "after", inverse: str = "arctanh",
                              b_ih: bool = True, k: int = 2,
                              t_hh: bool = False) -> np.ndarray:
    """The reset gate PyTorch's cell used, recovered from its candidate
    ``n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))``:
    ``r_t = (artanh(n_t) − W_in x_t − b_in) / (W_hn h_prev + b_hn)``, ``(N, H)``. The flags are
    known mistakes: ``placement="bias_outside"`` (``b_hn`` not gated), ``inverse`` ``"none"``
    or ``"tanh"`` (the tanh not undone), ``b_ih=False``, ``k`` (other rows), ``t_hh``."""
    H = weight_hh.shape[1]
    a_in = x_t @ weight_ih[_rows(k, H)].T + (bias_ih[_rows(k, H)] if b_ih else 0.0)
    W_hn = weight_hh[_rows(k, H)]
    product = h_prev @ W_hn if t_hh else h_prev @ W_hn.T  # (N, H)
    b_hn = bias_hh[_rows(k, H)]
    undone = {"arctanh": np.arctanh, "none": lambda v: v, "tanh": np.tanh}[inverse](n_t)
    if placement == "bias_outside":
        return (undone - a_in - b_hn) / product
    return (undone - a_in) / (product + b_hn)


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
    """Negate the rows of block ``k`` (1: z, ``H:2H``) of the parameters named in ``which``
    → 4 new arrays: Chung et al.'s update gate in PyTorch's convention (``k=-1``: every row;
    ``op="one_minus"``: ``1 − p`` instead of ``−p``, a mistake)."""
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


def _blend_probes(level: str) -> list[Probe]:
    """Steps of a GRU's blend: ``z_t`` in (0.05, 0.95), ``h_prev`` and ``n_t`` in (−0.95,
    0.95) at least 0.25 apart (the gate is then well determined), ``h_t`` their blend."""
    rng = probe_rng(level, "q2_1")

    def make(N, H, *, n_zero=False):
        z = rng.uniform(0.05, 0.95, (N, H))
        h_prev = rng.uniform(-0.95, 0.95, (N, H))
        n_t = np.zeros((N, H)) if n_zero else rng.uniform(-0.95, 0.95, (N, H))
        for _ in range(1000):  # redraw the entries that sit too close
            close = (np.abs(h_prev - n_t) < 0.25) | (np.abs(h_prev) < 0.1)
            if not close.any():
                break
            h_prev = np.where(close, rng.uniform(-0.95, 0.95, (N, H)), h_prev)
        h_t = (1.0 - z) * n_t + z * h_prev
        return {"h_prev": h_prev, "n_t": n_t, "h_t": h_t}

    if level == "public":
        specs = [("candidate zero", make(2, 3, n_zero=True), "a step whose candidate is zero",
                  "n_t = 0, so h_t = z_t ⊙ h_prev"),
                 ("a step", make(3, 4), "a step of the blend", "random h_prev, n_t and z_t")]
    else:
        specs = [("batch of one", make(1, 5), "a step of the blend", "one sequence"),
                 ("wide", make(4, 7), "a step of the blend", "random h_prev, n_t and z_t")]
    return [Probe(name, args, label, f"{given} (h_prev, n_t, h_t of shape "
                  f"{args['h_t'].shape})") for name, args, label, given in specs]


def _recover_probes(level: str) -> list[Probe]:
    """Candidates of PyTorch's cell made with known reset gates in (0.05, 0.95), drawn so
    that every unit's ``W_hn h_prev + b_hn`` is at least 0.15 from zero (where it is zero,
    the candidate holds no trace of ``r_t``: prediction 2.2)."""
    rng = probe_rng(level, "q2_2")

    def make(N, H_in, H, *, x=True, b=True):
        for _ in range(5000):
            p = _params(rng, H_in, H, scale=0.6)
            if not b:
                p["bias_ih"][:] = 0.0
                p["bias_hh"][:] = 0.0
            x_t = rng.normal(0, 0.8, (N, H_in)) if x else np.zeros((N, H_in))
            h_prev = rng.uniform(-1, 1, (N, H))
            rec = h_prev @ p["weight_hh"][2 * H:].T + p["bias_hh"][2 * H:]
            if np.abs(rec).min() >= 0.15:
                break
        r_t = rng.uniform(0.05, 0.95, (N, H))
        a = x_t @ p["weight_ih"][2 * H:].T + p["bias_ih"][2 * H:] + r_t * rec
        return {"x_t": x_t, "h_prev": h_prev, "n_t": np.tanh(a)} | p

    if level == "public":
        specs = [("input zero", make(2, 3, 3, x=False), "the recurrent term",
                  "x_t = 0 (only b_in, the reset product and its b_hn act)"),
                 ("no biases", make(2, 3, 3, b=False), "the products alone",
                  "zero biases (only W_in x_t and W_hn h_prev act)"),
                 ("all terms", make(3, 4, 2), "the combination of the terms",
                  "random inputs")]
    else:
        specs = [("batch of one", make(1, 5, 3), "the combination of the terms", "one sequence"),
                 ("wide", make(4, 2, 5), "the combination of the terms", "random inputs")]
    return [Probe(name, args, label, f"{given} (x_t {args['x_t'].shape}, h_prev and n_t "
                  f"{args['n_t'].shape})") for name, args, label, given in specs]


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


def _blend_mistakes() -> tuple[Mistake, ...]:
    f = update_gate_from_step
    return (
        Mistake(_P(f, rule="takes"), "you returned 1 − z_t: the share of the candidate, which "
                "is Chung et al.'s z. In PyTorch's convention z_t is the share of h_prev that "
                "is kept: h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev."),
        Mistake(_P(f, rule="inverted"), "your ratio is upside down: you get 1 / z_t. Solve "
                "the blend for z_t: what multiplies it once n_t is moved to the other side?"),
        Mistake(_P(f, rule="ratio"), "h_t / h_prev is z_t only when the candidate is zero: the "
                "candidate's share (1 − z_t) ⊙ n_t is also in h_t."),
        Mistake(_P(f, rule="no_n_below"), "n_t is missing from the denominator: after moving "
                "n_t to the left, z_t multiplies (h_prev − n_t), not h_prev."),
    )


def _recover_mistakes() -> tuple[Mistake, ...]:
    f = reset_gate_from_candidate
    return (
        Mistake(_P(f, placement="bias_outside"), "you left b_hn outside the reset gate "
                "(r_t ⊙ W_hn h_prev + b_hn). In PyTorch's cell the reset gate scales the whole "
                "(W_hn h_prev + b_hn), bias included."),
        Mistake(_P(f, inverse="none"), "the tanh is not undone: n_t is tanh of the "
                "pre-activation, so first apply the inverse of tanh to it."),
        Mistake(_P(f, inverse="tanh"), "you applied tanh to n_t again; undo it with its "
                "inverse, artanh."),
        Mistake(_P(f, b_ih=False), "b_in (rows 2H:3H of bias_ih) is missing from what you "
                "subtract: it sits outside the reset product."),
        Mistake(_P(f, k=0), "you used rows 0:H (the reset gate's own weights); the candidate "
                "uses rows 2H:3H (order r | z | n)."),
        Mistake(_P(f, k=1), "you used rows H:2H (the update gate's); the candidate uses rows "
                "2H:3H (order r | z | n)."),
        Mistake(_P(f, t_hh=True), "transposed recurrent weight: with the batch in the rows the "
                "product is h_prev times the transpose of W_hn."),
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


def fix_reset_sign(weight_ih, weight_hh, bias_ih, bias_hh, *,
                   which=("weight_ih", "weight_hh", "bias_ih", "bias_hh"), k: int = 0,
                   op: str = "neg"):
    """Exercise 2.5's fix: the buggy cell's reset gate is ``1 − σ(a_r) = σ(−a_r)``, so negate
    the r rows (``0:H``) of all four parameters; the keywords give the known mistakes (as in
    :func:`chung_to_pytorch`)."""
    return chung_to_pytorch(weight_ih, weight_hh, bias_ih, bias_hh, which=which, k=k, op=op)


def _fix_mistakes() -> tuple[Mistake, ...]:
    return (
        Mistake(_P(fix_reset_sign, which=()), "the parameters are returned unchanged, but the "
                "buggy cell computes 1 − σ(a) for one gate where torch.nn.GRUCell computes "
                "σ(a). Which change of the weights turns σ(a) into 1 − σ(a)?"),
        Mistake(_P(fix_reset_sign, which=("weight_ih", "weight_hh")), "the weights are "
                "converted but not the biases: the reset pre-activation includes b_ir and "
                "b_hr, so all four of its terms change sign."),
        Mistake(_P(fix_reset_sign, which=("weight_ih", "weight_hh", "bias_ih")), "bias_hh's "
                "r rows are not negated; both biases enter r_t."),
        Mistake(_P(fix_reset_sign, which=("weight_ih", "weight_hh", "bias_hh")), "bias_ih's "
                "r rows are not negated; both biases enter r_t."),
        Mistake(_P(fix_reset_sign, which=("weight_ih", "bias_ih", "bias_hh")), "weight_hh's r "
                "rows are not negated; the recurrent term enters r_t too."),
        Mistake(_P(fix_reset_sign, which=("weight_hh", "bias_ih", "bias_hh")), "weight_ih's r "
                "rows are not negated; the input term enters r_t too."),
        Mistake(_P(fix_reset_sign, k=1), "you changed rows H:2H, the update gate, as if this "
                "were Chung et al.'s convention; but the buggy z_t line is PyTorch's. The "
                "bug is in the reset gate, rows 0:H (order r | z | n)."),
        Mistake(_P(fix_reset_sign, k=2), "you changed rows 2H:3H (the candidate); the bug is "
                "in the reset gate, rows 0:H (order r | z | n)."),
        Mistake(_P(fix_reset_sign, k=-1), "you negated every row; only the reset gate is "
                "wrong in the buggy cell, z and n are computed as in PyTorch."),
        Mistake(_P(fix_reset_sign, op="one_minus"), "you computed 1 − W_r; but 1 − σ(a) = "
                "σ(−a), so the pre-activation changes sign: W_r → −W_r, b_r → −b_r."),
    )


def _summed_gate_biases(parts):
    """PyTorch's GRU adds ``bias_ih`` and ``bias_hh`` in the r and z rows (``0:2H``); only the
    candidate's rows keep them apart (``b_hn`` sits inside the reset product). So a list
    ``[weight_ih, weight_hh, bias_ih, bias_hh]`` is put in one form: the r and z rows of
    ``bias_hh`` moved into ``bias_ih``. Anything else is returned as it is."""
    if not (isinstance(parts, (list, tuple)) and len(parts) == 4 and all(
            isinstance(v, np.ndarray) and v.dtype.kind in "iuf" for v in parts)):
        return parts
    b_ih, b_hh = parts[2], parts[3]
    if b_ih.shape != b_hh.shape or b_ih.ndim != 1 or b_ih.shape[0] % 3:
        return parts
    k = 2 * (b_ih.shape[0] // 3)
    kind = np.result_type(b_ih, b_hh)
    b_ih, b_hh = b_ih.astype(kind), b_hh.astype(kind)  # copies, in the answer's precision
    b_ih[:k] += b_hh[:k]
    b_hh[:k] = 0.0
    out = [parts[0], parts[1], b_ih, b_hh]
    return tuple(out) if isinstance(parts, tuple) else out


def _split_like(parts, reference):
    """``parts`` with each r or z row of ``bias_ih``/``bias_hh`` whose sum matches the
    reference's sum given the reference's split; every other entry is the learner's own."""
    summed, ref = _summed_gate_biases(parts), _summed_gate_biases(list(reference))
    if summed is parts or len(ref) != 4 or np.shape(summed[2]) != np.shape(ref[2]):
        return parts
    k = 2 * (np.shape(ref[2])[0] // 3)
    same = np.zeros(np.shape(ref[2]), dtype=bool)
    same[:k] = [_close(np.asarray(r, dtype=np.float64), np.asarray(g))
                for r, g in zip(ref[2][:k], summed[2][:k])]
    b_ih, b_hh = (np.where(same, np.asarray(r, dtype=np.float64), g).astype(g.dtype)
                  for r, g in ((reference[2], parts[2]), (reference[3], parts[3])))
    out = [parts[0], parts[1], b_ih, b_hh]
    return tuple(out) if isinstance(parts, tuple) else out


def _on_summed_biases(fn: Callable) -> Callable:
    return lambda **kw: _summed_gate_biases(fn(**kw))


@dataclasses.dataclass(frozen=True)
class GRUParamsQuestion(Question):
    """An exercise that returns ``torch.nn.GRUCell``'s four parameters. Its r and z rows only
    ever use ``bias_ih + bias_hh``, so any split of those sums is right: the learner's
    answer, the reference and every known mistake are compared in one form
    (:func:`_summed_gate_biases`)."""

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        fixed = [dataclasses.replace(o, value=_summed_gate_biases(o.value))
                 if o.kind == "value" else o for o in outcomes]
        same = dataclasses.replace(
            self, reference=_on_summed_biases(self.reference),
            mistakes=tuple(Mistake(_on_summed_biases(m.fn), m.message) for m in self.mistakes))
        verdict = Question.diagnose(same, level, fixed)
        if verdict.status != "incorrect" or any(m.message in verdict.message
                                                for m in self.mistakes):
            return verdict
        # An unnamed miss: the message shows the learner's own four arrays, so that a wrong
        # row of ``bias_hh`` is reported in ``bias_hh``. Only the r and z rows whose sums are
        # right take the reference's split (any split of a right sum is right).
        aligned = [dataclasses.replace(o, value=_split_like(o.value, self.reference(**p.args)))
                   if o.kind == "value" else o for p, o in zip(self.probes(level), outcomes)]
        return Question.diagnose(dataclasses.replace(self, mistakes=()), level, aligned)


def _hint(lines: str) -> str:
    return lines.strip()


QUESTIONS: list[Question] = [
    Question(
        name="q2_1", func_name="update_gate_from_step",
        title="Exercise 2.1: read the update gate off a step",
        hint=(_hint("""
Write the blend of PyTorch's cell for one unit: h_t is a weighted average of two values, and
z_t is the weight of one of them. Which one, in this convention?
"""), _hint("""
Move the candidate's term to the other side, so that z_t multiplies a single difference. The
whole step is elementwise, unit by unit: no weights are needed.
""")),
        probes=_blend_probes, reference=update_gate_from_step, mistakes=_blend_mistakes(),
        output_names=("z_t",), points={"public": 1, "hidden": 1},
        every_probe="which state z_t weighs, and the difference it multiplies"),
    Question(
        name="q2_2", func_name="reset_gate_from_candidate",
        title="Exercise 2.2: recover the reset gate from a candidate",
        hint=(_hint("""
Work backwards through the candidate: the last thing the cell did was a tanh, so undo that
first. Then ask which terms of the pre-activation the reset gate does not touch.
"""), _hint("""
What is left after removing the input term and its bias is r_t times one quantity, unit by
unit. In PyTorch's cell that quantity includes a bias: which one? Take the candidate's rows of
the stacked weights (order r | z | n).
""")),
        probes=_recover_probes, reference=reset_gate_from_candidate,
        mistakes=_recover_mistakes(), output_names=("r_t",), points={"public": 1, "hidden": 1},
        every_probe="the inverse of tanh, the rows you slice, where b_hn sits"),
    Question(
        name="q2_3", func_name="reset_closed_vs_first_step",
        title="Exercise 2.3: r_t = 0 is not a first step",
        hint=(_hint("""
Write PyTorch's candidate and cross out what vanishes. With a closed reset gate, everything
the reset gate multiplies is gone, whatever the previous state is.
"""), _hint("""
At a first step the previous state is zero: which part of the reset product is still there?
That is why neither result needs h_prev.
""")),
        probes=functools.partial(_cell_probes, salt="q2_3", with_r=True, with_h=False),
        reference=reset_closed_vs_first_step, mistakes=_first_step_mistakes(),
        output_names=("n_closed", "n_first"), points={"public": 1, "hidden": 1},
        every_probe="the activation, a sign, the rows you slice"),
    GRUParamsQuestion(
        name="q2_4", func_name="keras_to_pytorch", title="Exercise 2.4: Keras → PyTorch",
        hint=(_hint("""
Three things differ: which side the matrices multiply from, the order of the three gate
blocks, and how the two biases are stored. The update rule is the same in both libraries.
"""), _hint("""
Take one of the three differences at a time. Write the shape Keras stores each array in next to
the shape torch.nn.GRUCell wants, and label the blocks of each along its 3H axis with the gate
they belong to. What does each labelled block need in order to land where PyTorch reads it?
""")),
        probes=_keras_probes, reference=keras_to_pytorch, mistakes=_keras_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        points={"public": 1, "hidden": 1},
        every_probe="the order of the gate blocks, a transpose, the biases"),
    GRUParamsQuestion(
        name="q2_5", func_name="fix_weights", title="Exercise 2.5: diagnose a planted bug",
        hint=(_hint("""
Compare the buggy cell with the equations line by line: one gate is not what PyTorch
computes. Rewrite its wrong expression as a sigmoid of something.
"""), _hint("""
Which parameters produce that something, and what must happen to them so that PyTorch's gate
equals the buggy one? Only that gate's rows change; work on copies.
""")),
        probes=_param_probes, reference=fix_reset_sign, mistakes=_fix_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        points={"public": 1, "hidden": 1},
        every_probe="the order of the gate blocks, a transpose, the biases"),
]


# ----------------------------------------------------------------------------------------
# Graded predictions, each before the exercise that measures it.

_NEAR = ("h_prev", "n_t", "halfway between them")
_TRACE = ("its exact value", "only its sign", "nothing")
_GAP = ("exactly zero", "small but not zero", "as large as with b_hn drawn at random")
_LINES = ("r_t", "z_t", "n_t", "the blend h_t")

PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p2_1", var_name="predicted_near", reveals="q2_1",
        title="Prediction 2.1: where h_t lands when z_t = 0.99",
        hint=(_hint("""
Write h_t as a weighted average of h_prev and n_t. In PyTorch's convention, which of the two
does z_t weigh?
"""), _hint("""
The chapter's section on which way the update gate points settles it: near 1, is the old state
kept or replaced?
""")),
        kind="choice", answer="h_prev", options=_NEAR,
        explanation=_hint("""
In PyTorch's convention z_t is the share of the old state that is kept: h_t = (1 − z_t) ⊙ n_t
+ z_t ⊙ h_prev. At z_t = 0.99 the unit keeps 99% of h_prev and takes 1% of the candidate, so it
copies its value through the step. Exercise 2.1 reads z_t back off such a blend.
"""),
        mistakes=(WrongAnswer("n_t", _hint("""
that is Chung et al.'s convention, where z takes the new state. PyTorch's, Keras' and Cho et
al.'s z keeps the old one.""")),
                  WrongAnswer("halfway between them", _hint("""
halfway is z_t = 0.5; at 0.99 one of the two has almost all the weight.""")))),
    Prediction(
        name="p2_2", var_name="predicted_trace", reveals="q2_2",
        title="Prediction 2.2: a unit whose reset product is zero",
        hint=(_hint("""
Find every place r_t enters PyTorch's candidate. What does it multiply?
"""), _hint("""
If the thing r_t multiplies is zero for a unit, does changing r_t change the candidate at all?
""")),
        kind="choice", answer="nothing", options=_TRACE,
        explanation=_hint("""
r_t enters PyTorch's candidate only as r_t ⊙ (W_hn h_prev + b_hn). Where that bracket is zero
for a unit, every value of r_t gives the same n_t: the candidate holds no trace of the reset
gate, and no inversion can recover it. Near zero the recovery is ill-conditioned, which is why
the grader's probes keep the bracket away from zero.
"""),
        mistakes=(WrongAnswer("its exact value", _hint("""
recovering r_t means dividing by W_hn h_prev + b_hn; where that is zero, r_t multiplies zero
and any value gives the same candidate.""")),
                  WrongAnswer("only its sign", _hint("""
the sign of r_t is not in doubt (a sigmoid is positive); what is lost is every trace of its
value, since r_t multiplies zero.""")))),
    Prediction(
        name="p2_3", var_name="predicted_gap", reveals="q2_3",
        title="Prediction 2.3: r_t = 0 against a first step when b_hn = 0",
        hint=(_hint("""
Write PyTorch's candidate at a first step, where the previous state is zero. What is left of
the reset product?
"""), _hint("""
Now set b_hn to zero as well: does anything inside the reset product still depend on r_t?
""")),
        kind="choice", answer="exactly zero", options=_GAP,
        explanation=_hint("""
At a first step h_prev = 0, so PyTorch's reset product is r_t ⊙ (0 + b_hn). With b_hn = 0 it is
zero whatever r_t is, exactly as when r_t = 0: the two candidates are identical. Chung et
al.'s sentence holds only for a cell without b_hn; PyTorch's cell has one, and then a closed
reset gate is not a first step. The cell after exercise 2.3 measures both cases.
"""),
        mistakes=(WrongAnswer("small but not zero", _hint("""
nothing is left to differ: with h_prev = 0 and b_hn = 0 the whole reset product is zero in
both cases, so the two candidates are equal to the last bit.""")),
                  WrongAnswer("as large as with b_hn drawn at random", _hint("""
the difference between the two comes only from r_t ⊙ b_hn at the first step; without b_hn
there is none.""")))),
    Prediction(
        name="p2_5", var_name="predicted_line", reveals="q2_5",
        title="Prediction 2.5: which line of the buggy step is wrong",
        hint=(_hint("""
Compare each line of the buggy step with the chapter's equations, one gate at a time. Which
line does something the equations do not?
"""), _hint("""
One line subtracts a sigmoid from one. Which gate is it, and does any convention write that
gate that way?
""")),
        kind="choice", answer="r_t", options=_LINES,
        explanation=_hint("""
The r_t line computes 1 − σ(a_r). No convention writes the reset gate that way: Chung et
al.'s 1 − σ is an update-gate convention, and the z_t line here is PyTorch's own σ of the
second block. The buggy reset gate is close to 1 where PyTorch's is close to 0: exercise 2.5
finds the weights that reproduce it.
"""),
        mistakes=(WrongAnswer("the blend h_t", _hint("""
the blend (1 − z_t) ⊙ n_t + z_t ⊙ h_prev is PyTorch's own; the gate it is fed is not.""")),
                  WrongAnswer("n_t", _hint("""
the candidate line is PyTorch's reset-after candidate: r_t scales the n block of
gh = h_prev W_hh^T + b_hh, bias included.""")),
                  WrongAnswer("z_t", _hint("""
the z_t line is σ of the second block, as in PyTorch: its share keeps the old state, which
is what the blend below it expects.""")))),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 2 says none of them. (The chapter does state the update gate's fix, negating
# its rows, for Chung et al.'s convention: exercise 2.5 plants its bug in the reset gate.)
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q2_1": (r"z_t=\(h_t-n_t\)/\(h_t-1-n_t\)", r"z_t=\(n_t-h_t\)/\(n_t-h_t-1\)",
             # one division away: the blend's two differences, written out
             r"h_t-n_t=z_t\(h_t-1-n_t\)", r"h_t-h_t-1=\(1-z_t\)\(n_t-h_t-1\)"),
    "q2_2": (r"r_t=\(arctanh|r_t=\(atanh|r_t=\(tanh\^?-1",),
    "q2_3": (r"leaving(exactly)?tanh\(w_inx_t\+b_in\)",
             r"firststep(keeps|leaves|has|adds)r_tb_hn",
             r"r_t=0[^.]{0,60}(=|gives|leaves)tanh\(w_inx_t\+b_in\)"),
    "q2_4": (r"z\|r\|h[^.]{0,80}r\|z\|n", r"swap[^.]{0,40}(first|z|update)[^.]{0,30}blocks",
             r"kernel\.t[^.]{0,40}weight_ih"),
    "q2_5": (r"reset(gate)?'?s?(weights|rows|parameters|pre-activation)[^.]{0,60}negat",
             r"negat\w*[^.]{0,40}reset(gate|rows)", r"1-sigma\(a_r\)"),
}
