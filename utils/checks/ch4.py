"""Checkers for chapter 4 (``solutions/ch4_exercises.ipynb``): the LSTM family, beyond what the
chapter computes.

- ``peephole_lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
  peephole)``: one step of the LSTM with diagonal peepholes (Gers, Schraudolph & Schmidhuber,
  2002), PyTorch's blocks i | f | g | o plus ``peephole (3H,)`` stacked i | f | o:

      i_t = σ(W_ii x_t + W_hi h_{t−1} + b_i + p_i ⊙ c_{t−1})
      f_t = σ(W_if x_t + W_hf h_{t−1} + b_f + p_f ⊙ c_{t−1})
      g_t = tanh(W_ig x_t + W_hg h_{t−1} + b_g)          c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
      o_t = σ(W_io x_t + W_ho h_{t−1} + b_o + p_o ⊙ c_t)    h_t = o_t ⊙ tanh(c_t)

  (``b`` = ``bias_ih + bias_hh``); with ``peephole = 0`` it is ``torch.nn.LSTMCell``.
- ``onnx_to_torch(W, R, B, P)``: ONNX's one-direction LSTM parameters (``W (1, 4H, H_in)``,
  ``R (1, 4H, H)`` in gate order i | o | f | c, ``B (1, 8H)`` = ``[Wb | Rb]``, ``P (1, 3H)``
  in order i | o | f) → the five arrays of ``peephole_lstm_step``.
- ``torch_to_tf1(weight_ih, weight_hh, bias_ih, bias_hh)``: PyTorch's LSTM parameters (blocks
  i | f | g | o) → TensorFlow 1's ``BasicLSTMCell`` ``(kernel (H_in + H, 4H), bias (4H,))``,
  which computes ``[x_t, h_{t−1}] @ kernel + bias``, splits it i | j | f | o (j the candidate)
  and adds ``forget_bias = 1`` to f at every step: the f block of the bias is the PyTorch sum
  minus 1.
- ``peephole_cell_jacobian(...)``: the diagonal of ∂c_t/∂c_{t−1} of the peephole LSTM with
  ``x_t`` and ``h_{t−1}`` held fixed, ``(N, H)``:
  f_t + c_{t−1} ⊙ f_t(1 − f_t) ⊙ p_f + g_t ⊙ i_t(1 − i_t) ⊙ p_i.
- ``peephole_grad_c_prev(..., peephole, dh_t, dc_t)``: one step of backpropagation through the
  peephole cell, ∂L/∂c_{t−1} ``(N, H)`` given the gradients ``dh_t`` and ``dc_t`` arriving at
  ``h_t`` and ``c_t`` from later (``x_t``, ``h_{t−1}`` and the parameters held fixed): the total
  gradient on c_t, dc_t + dh_t ⊙ (o_t (1 − tanh² c_t) + tanh c_t ⊙ o_t(1 − o_t) ⊙ p_o), times
  the diagonal of ``peephole_cell_jacobian``.

The references are tested against ``torch.nn.LSTMCell`` and autograd in
float64 (``tests/test_checks_ch4.py``); each known mistake is a small variation of them, with
the message a learner sees.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from .core import Mistake, Outcome, Probe, Question, Verdict, probe_rng, separating_pairs
from .predictions import Prediction, WrongAnswer

ASSIGNMENT = "ch4_exercises"
LSTM_GATES = ("i", "f", "g", "o")
GATE_NAMES = {"i": "input gate i_t", "f": "forget gate f_t", "g": "candidate g_t",
              "o": "output gate o_t"}
ONNX_ROWS = {"i": 0, "o": 1, "f": 2, "c": 3}  # ONNX stacks W, R, Wb, Rb as i | o | f | c


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------------------
# References and their known-wrong variants


def _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """The four pre-activations without peepholes, each (N, H), in the order i, f, g, o."""
    H = np.asarray(weight_hh).shape[1]
    a = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh  # (N, 4H)
    return [a[:, k * H:(k + 1) * H] for k in range(4)]


def peephole_lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, peephole,
                       *, peep_order: tuple[int, int, int] = (0, 1, 2),
                       out_reads: str = "c_t", peeps: str = "ifo",
                       c_from: str = "c", out_tanh: bool = True):
    """``(h_t, c_t)`` of the peephole LSTM; the keywords produce the known mistakes.

    ``peep_order`` gives the peephole blocks read as p_i, p_f, p_o; ``out_reads="c_prev"`` lets
    the output gate peek at the old cell; ``peeps`` lists the gates that get a peephole;
    ``c_from="h"`` scales h_prev instead of c_prev; ``out_tanh=False`` drops tanh(c_t).
    """
    H = np.asarray(weight_hh).shape[1]
    a_i, a_f, a_g, a_o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    p = [peephole[k * H:(k + 1) * H] for k in peep_order]
    p_i, p_f, p_o = (p[k] if gate in peeps else 0.0 * p[k] for k, gate in enumerate("ifo"))
    i_t = _sigmoid(a_i + p_i * c_prev)
    f_t = _sigmoid(a_f + p_f * c_prev)
    g_t = np.tanh(a_g)
    c_t = f_t * (h_prev if c_from == "h" else c_prev) + i_t * g_t
    o_t = _sigmoid(a_o + p_o * (c_prev if out_reads == "c_prev" else c_t))
    h_t = o_t * (np.tanh(c_t) if out_tanh else c_t)
    return h_t, c_t


def onnx_to_torch(W, R, B, P, *, order: str = "iofc", peep_order: str = "iof",
                  bias: str = "both", squeeze: bool = True):
    """ONNX LSTM parameters (one direction) → ``(weight_ih, weight_hh, bias_ih + bias_hh, 0,
    peephole)``, the biases normalised to their sum (PyTorch and ONNX only ever add them).

    ``order``: how the learner reads ONNX's row blocks (``"iofc"`` right, ``"ifco"`` as if
    they were PyTorch's, ``"ifoc"``); ``peep_order``: how P's blocks are read (``"ifo"``:
    left in ONNX's order); ``bias``: ``"both"`` (Wb + Rb, right), ``"wb"`` (Rb dropped),
    ``"blocks"`` (B reordered as four blocks of 2H); ``squeeze=False`` keeps the direction
    axis.
    """
    W, R, B, P = (np.asarray(v, dtype=np.float64) for v in (W, R, B, P))
    H = R.shape[-1]
    W2, R2, B1, P1 = W[0], R[0], B[0], P[0]
    rows = {name: k for k, name in enumerate(order)}  # ONNX block of each of i, f, c, o
    pick = [rows["i"], rows["f"], rows["c"], rows["o"]]

    def blocks(M, size):
        return np.concatenate([M[k * size:(k + 1) * size] for k in pick])

    weight_ih, weight_hh = blocks(W2, H), blocks(R2, H)
    if bias == "blocks":  # B's 8H read as i | o | f | c blocks of 2H, then halved
        whole = blocks(B1, 2 * H)
        total = whole[:4 * H] + whole[4 * H:]
    else:
        total = blocks(B1[:4 * H], H) + (blocks(B1[4 * H:], H) if bias == "both" else 0.0)
    p_rows = {name: k for k, name in enumerate(peep_order)}
    peephole = np.concatenate([P1[p_rows[g] * H:(p_rows[g] + 1) * H] for g in "ifo"])
    out = [weight_ih, weight_hh, total, np.zeros_like(total), peephole]
    if not squeeze:
        out = [v[None] for v in out]
    return tuple(out)


TF1_FORGET_BIAS = 1.0  # BasicLSTMCell's default forget_bias, added to f at every step
TF1_ORDER = "igfo"  # TF1's blocks i | j | f | o in PyTorch's letters (j is the candidate g)


def torch_to_tf1(weight_ih, weight_hh, bias_ih, bias_hh, *, order: str = TF1_ORDER,
                 concat: str = "xh", forget: str = "minus", bias: str = "both",
                 transpose: bool = True):
    """PyTorch's LSTM parameters → ``(kernel (H_in + H, 4H), bias (4H,))`` of TF1's
    ``BasicLSTMCell(forget_bias=1.0)``; the keywords produce the known mistakes.

    ``order``: the PyTorch blocks written as TF's four (``"ifgo"``: left in PyTorch's order);
    ``concat="hx"``: the kernel's rows read ``[h, x]`` (the chapter's order) instead of TF's
    ``[x, h]``; ``forget``: ``"minus"`` (right: TF adds 1 back), ``"none"``, ``"plus"``;
    ``bias="ih"``: ``bias_hh`` dropped; ``transpose=False``: PyTorch's ``(4H, H_in + H)``.
    """
    W_ih, W_hh, b_ih, b_hh = (np.asarray(v, dtype=np.float64)
                              for v in (weight_ih, weight_hh, bias_ih, bias_hh))
    H = W_hh.shape[1]
    pick = ["ifgo".index(gate) for gate in order]  # PyTorch block of each TF block

    def blocks(M):
        return np.concatenate([M[k * H:(k + 1) * H] for k in pick])

    W = np.concatenate([W_hh, W_ih] if concat == "hx" else [W_ih, W_hh], axis=1)
    kernel = blocks(W)  # (4H, H_in + H), rows in TF's block order
    b = blocks(b_ih + (0.0 * b_hh if bias == "ih" else b_hh))
    f = order.index("f")  # where this reading puts the forget gate (TF's is the third block)
    b[f * H:(f + 1) * H] += {"minus": -TF1_FORGET_BIAS, "none": 0.0,
                             "plus": TF1_FORGET_BIAS}[forget]
    return (kernel.T if transpose else kernel), b


def tf1_lstm_step(x_t, h_prev, c_prev, kernel, bias, forget_bias: float = TF1_FORGET_BIAS):
    """One step of TF1's ``BasicLSTMCell``: ``(h_t, c_t)``, from its kernel and bias."""
    H = np.asarray(h_prev).shape[1]
    a = np.concatenate([x_t, h_prev], axis=1) @ kernel + bias  # (N, 4H)
    i, j, f, o = (a[:, k * H:(k + 1) * H] for k in range(4))
    c_t = c_prev * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
    return _sigmoid(o) * np.tanh(c_t), c_t


def peephole_cell_jacobian(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                           peephole, *, terms: str = "fFI", prime: str = "s(1-s)",
                           f_term: str = "c_prev"):
    """The diagonal of ∂c_t/∂c_{t−1} (x_t, h_prev held fixed), ``(N, H)``.

    ``terms`` lists the terms kept: ``f`` (f_t itself), ``F`` (through f's peephole), ``I``
    (through i's peephole), ``O`` (a spurious term through o's peephole); ``prime="s"`` uses
    σ instead of σ' = σ(1 − σ); ``f_term="none"`` drops the factor c_{t−1} of the F term.
    """
    H = np.asarray(weight_hh).shape[1]
    a_i, a_f, a_g, a_o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    p_i, p_f, p_o = (peephole[k * H:(k + 1) * H] for k in range(3))
    i_t = _sigmoid(a_i + p_i * c_prev)
    f_t = _sigmoid(a_f + p_f * c_prev)
    g_t = np.tanh(a_g)

    def d(s):
        return s if prime == "s" else s * (1.0 - s)

    out = f_t if "f" in terms else 0.0 * f_t
    if "F" in terms:
        out = out + (c_prev if f_term == "c_prev" else 1.0) * d(f_t) * p_f
    if "I" in terms:
        out = out + g_t * d(i_t) * p_i
    if "O" in terms:
        c_t = f_t * c_prev + i_t * g_t
        o_t = _sigmoid(a_o + p_o * c_t)
        out = out + d(o_t) * p_o
    return out


def peephole_grad_c_prev(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, peephole,
                         dh_t, dc_t, *, o_path: str = "through_c", h_path: bool = True,
                         c_path: bool = True, tanh_prime: bool = True, jacobian: str = "fFI"):
    """∂L/∂c_{t−1} ``(N, H)`` from ``dh_t`` and ``dc_t``; the keywords produce the mistakes.

    ``o_path``: the output gate's peephole path, ``"through_c"`` (right: it reads c_t, so its
    term joins the gradient on c_t), ``"none"`` (dropped) or ``"direct"`` (added to the result
    as if the output gate read c_{t−1}); ``h_path=False`` drops ``dh_t``; ``c_path=False`` drops
    ``dc_t``; ``tanh_prime=False`` forgets tanh's derivative; ``jacobian`` is the ``terms`` of
    :func:`peephole_cell_jacobian` (``"f"``: the cell without peepholes).
    """
    H = np.asarray(weight_hh).shape[1]
    a_i, a_f, a_g, a_o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    p_i, p_f, p_o = (peephole[k * H:(k + 1) * H] for k in range(3))
    c_t = _sigmoid(a_f + p_f * c_prev) * c_prev + _sigmoid(a_i + p_i * c_prev) * np.tanh(a_g)
    o_t = _sigmoid(a_o + p_o * c_t)
    tanh_c = np.tanh(c_t)
    via_tanh = o_t * (1.0 - tanh_c ** 2) if tanh_prime else o_t
    via_gate = tanh_c * o_t * (1.0 - o_t) * p_o
    on_c = (dc_t if c_path else 0.0 * dc_t) + (dh_t * via_tanh if h_path else 0.0 * dh_t)
    if o_path == "through_c" and h_path:
        on_c = on_c + dh_t * via_gate
    jac = peephole_cell_jacobian(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                                 peephole, terms=jacobian)
    out = on_c * jac
    if o_path == "direct":
        out = out + dh_t * via_gate
    return out


# ----------------------------------------------------------------------------------------
# Question types that normalise what the learner returns before the usual checks


@dataclasses.dataclass(frozen=True)
class OnnxQuestion(Question):
    """ONNX and PyTorch only ever add the two bias vectors: outputs 2 and 3 (``bias_ih``,
    ``bias_hh``) are checked as their sum, so any split of ``Wb + Rb`` is right."""

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        fixed = []
        for o in outcomes:
            if o.kind == "value" and isinstance(o.value, list) and len(o.value) == 5 and all(
                    isinstance(v, np.ndarray) and v.dtype.kind in "iuf" for v in o.value) \
                    and o.value[2].shape == o.value[3].shape:
                v = list(o.value)
                v[2], v[3] = (v[2] + v[3]).astype(v[2].dtype), np.zeros_like(v[3])
                o = dataclasses.replace(o, value=v)
            fixed.append(o)
        return super().diagnose(level, fixed)


# ----------------------------------------------------------------------------------------
# Probes (every random input drawn from probe_rng)


def _peephole_args(rng, N, H_in, H, *, x=True, h=True, c=True, b=True, p=True, scale=0.8):
    args = {"x_t": rng.normal(0, 1, (N, H_in)) if x else np.zeros((N, H_in)),
            "h_prev": rng.uniform(-1, 1, (N, H)) if h else np.zeros((N, H)),
            "c_prev": rng.normal(0, 1.5, (N, H)) if c else np.zeros((N, H)),
            "weight_ih": rng.uniform(-scale, scale, (4 * H, H_in)),
            "weight_hh": rng.uniform(-scale, scale, (4 * H, H)),
            "bias_ih": rng.uniform(-scale, scale, 4 * H) if b else np.zeros(4 * H),
            "bias_hh": rng.uniform(-scale, scale, 4 * H) if b else np.zeros(4 * H),
            "peephole": rng.uniform(-1.5, 1.5, 3 * H) if p else np.zeros(3 * H)}
    return args


def _shapes(a: dict) -> str:
    return ", ".join(f"{k} {a[k].shape}" for k in ("x_t", "h_prev", "c_prev", "peephole"))


def _peephole_probes(level: str, *, salt: str) -> list[Probe]:
    rng = probe_rng(level, salt)
    make = functools.partial(_peephole_args, rng)
    if level == "public":
        specs = [
            ("no peepholes", make(2, 3, 4, p=False), "the LSTM without peepholes",
             "peephole = 0 (the step is torch.nn.LSTMCell's)"),
            ("peepholes only", make(2, 3, 4, x=False, h=False, b=False),
             "the peephole terms",
             "x_t = 0, h_prev = 0 and zero biases (only the peepholes feed the gates)"),
            ("no old cell", make(2, 3, 4, c=False), "the output gate's peephole",
             "c_prev = 0 (only the output gate's peephole can see a cell)"),
            ("all terms", make(3, 5, 3), "the combination of the terms", "random inputs"),
        ]
    else:
        specs = [("batch of one", make(1, 4, 2), "the combination of the terms",
                  "random inputs"),
                 ("wide input", make(4, 7, 3), "the combination of the terms", "random inputs"),
                 ("as many samples as units", make(3, 5, 3), "the combination of the terms",
                  "random inputs")]
    return [Probe(name, args, label, f"{given} ({_shapes(args)})")
            for name, args, label, given in specs]


def _backward_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_5")

    def make(N, H_in, H, *, dh=True, dc=True, **kw):
        args = _peephole_args(rng, N, H_in, H, **kw)
        args["dh_t"] = rng.normal(0, 1, (N, H)) if dh else np.zeros((N, H))
        args["dc_t"] = rng.normal(0, 1, (N, H)) if dc else np.zeros((N, H))
        return args

    if level == "public":
        specs = [
            ("no peepholes", make(2, 3, 4, p=False), "the LSTM without peepholes",
             "peephole = 0 (the backward step of torch.nn.LSTMCell)"),
            ("loss on c_t only", make(2, 3, 4, dh=False), "the gradient arriving at c_t",
             "dh_t = 0 (the loss reaches this step through c_t only)"),
            ("loss on h_t only", make(2, 3, 4, dc=False), "the gradient arriving at h_t",
             "dc_t = 0 (the loss reaches this step through h_t only)"),
            ("all terms", make(3, 5, 3), "the combination of the paths", "random inputs"),
        ]
    else:
        specs = [("batch of one", make(1, 4, 2), "the combination of the paths",
                  "random inputs"),
                 ("wide input", make(4, 7, 3), "the combination of the paths", "random inputs"),
                 ("loss on h_t only", make(3, 2, 5, dc=False), "the gradient arriving at h_t",
                  "dc_t = 0")]
    return [Probe(name, args, label,
                  f"{given} ({_shapes(args)}, dh_t {args['dh_t'].shape}, "
                  f"dc_t {args['dc_t'].shape})")
            for name, args, label, given in specs]


def _onnx_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_2")
    sizes = [(3, 4), (2, 2)] if level == "public" else [(1, 1), (5, 3), (2, 6)]
    probes = []
    for H_in, H in sizes:
        args = {"W": rng.normal(0, 0.5, (1, 4 * H, H_in)), "R": rng.normal(0, 0.5, (1, 4 * H, H)),
                "B": rng.normal(0, 0.5, (1, 8 * H)), "P": rng.normal(0, 0.5, (1, 3 * H))}
        probes.append(Probe(f"H_in={H_in}, H={H}", args, "the conversion",
                            f"W {args['W'].shape}, R {args['R'].shape}, B {args['B'].shape}, "
                            f"P {args['P'].shape} (H_in = {H_in}, H = {H})"))
    return probes


def _tf1_probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "q4_3")
    sizes = [(3, 2), (4, 4), (2, 5)] if level == "public" else [(1, 3), (5, 2), (3, 3)]
    probes = []
    for H_in, H in sizes:
        args = {"weight_ih": rng.normal(0, 0.5, (4 * H, H_in)),
                "weight_hh": rng.normal(0, 0.5, (4 * H, H)),
                "bias_ih": rng.normal(0, 0.5, 4 * H), "bias_hh": rng.normal(0, 0.5, 4 * H)}
        probes.append(Probe(f"H_in={H_in}, H={H}", args, "the conversion",
                            f"weight_ih {args['weight_ih'].shape}, weight_hh "
                            f"{args['weight_hh'].shape}, bias_ih and bias_hh ({4 * H},) "
                            f"(H_in = {H_in}, H = {H})"))
    return probes


# ----------------------------------------------------------------------------------------
# Known mistakes, each with what the learner reads


def _peephole_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(peephole_lstm_step, out_reads="c_prev"), "the output gate peeks at the old "
                "cell c_prev. It is computed after the cell has been updated, so its peephole "
                "reads the new one: p_o ⊙ c_t."),
        Mistake(p(peephole_lstm_step, peep_order=(0, 2, 1)), "the forget and output gates' "
                "peepholes are swapped: this cell stacks peephole as p_i | p_f | p_o (ONNX "
                "writes i | o | f; not here)."),
        Mistake(p(peephole_lstm_step, peeps=""), "the peepholes are missing: this is "
                "torch.nn.LSTMCell's step. The input, forget and output gates each add their "
                "peephole times a cell state."),
        Mistake(p(peephole_lstm_step, peeps="if"), "the output gate has no peephole: it adds "
                "p_o ⊙ c_t, the peephole times the *new* cell."),
        Mistake(p(peephole_lstm_step, peeps="io"), "the forget gate has no peephole: it adds "
                "p_f ⊙ c_prev."),
        Mistake(p(peephole_lstm_step, peeps="fo"), "the input gate has no peephole: it adds "
                "p_i ⊙ c_prev."),
        Mistake(p(peephole_lstm_step, c_from="h"), "the forget gate scales the wrong state: "
                "the new cell keeps a share of the old *cell* c_prev, not of h_prev."),
        Mistake(p(peephole_lstm_step, out_tanh=False), "h_t = o_t ⊙ c_t is missing the "
                "tanh: the output shows a squashed copy of the new cell."),
    )


def _onnx_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(onnx_to_torch, order="ifco"), "you kept ONNX's row blocks in place, as if "
                "they were stacked like PyTorch's; ONNX stacks them i | o | f | c, so each "
                "block must move: PyTorch wants i | f | g | o (ONNX calls the candidate c)."),
        Mistake(p(onnx_to_torch, order="ifoc"), "you read ONNX's blocks as i | f | o | c; "
                "ONNX stacks them i | o | f | c (the output gate second, the forget gate "
                "third)."),
        Mistake(p(onnx_to_torch, peep_order="ifo"), "the weights are right but the peepholes "
                "are not: P is stacked in ONNX's order too, i | o | f, and this cell wants "
                "p_i | p_f | p_o."),
        Mistake(p(onnx_to_torch, bias="wb"), "half of the bias is lost: B holds two vectors, "
                "Wb (its first 4H entries) and Rb (the last 4H), and the gates see their sum."),
        Mistake(p(onnx_to_torch, bias="blocks"), "B is not four blocks of 2H: it is Wb "
                "(first 4H entries) followed by Rb (last 4H), each stacked i | o | f | c. Split "
                "it in halves first, then reorder each half."),
        Mistake(p(onnx_to_torch, squeeze=False), "you kept ONNX's leading num_directions axis "
                "(of size 1): PyTorch's weight_ih is (4H, H_in), not (1, 4H, H_in). Take the "
                "one direction, W[0]."),
    )


def _tf1_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(torch_to_tf1, forget="none"), "the weights are right, but TF1's "
                "BasicLSTMCell adds forget_bias = 1 to f at every step, on top of the bias you "
                "store: your forget gate starts one unit higher than PyTorch's. Store the sum "
                "minus that 1 in the f block."),
        Mistake(p(torch_to_tf1, forget="plus"), "the forget block is off by 2: TF1 adds "
                "forget_bias = 1 itself, so the stored bias must be one *less* than PyTorch's "
                "sum, not one more."),
        Mistake(p(torch_to_tf1, order="ifgo"), "the blocks are still in PyTorch's order "
                "i | f | g | o; TF1 splits its four blocks i | j | f | o, the candidate (j) "
                "second and the forget gate third."),
        Mistake(p(torch_to_tf1, concat="hx"), "the kernel's rows read [h, x], the order of "
                "the chapter's concatenated W; TF1 concatenates [x_t, h_{t−1}], the input "
                "first, so weight_ih's columns become the first H_in rows."),
        Mistake(p(torch_to_tf1, bias="ih"), "half of the bias is lost: TF1 has one bias, so "
                "it must hold bias_ih + bias_hh (PyTorch adds both to every gate)."),
        Mistake(p(torch_to_tf1, transpose=False), "TF1 multiplies the row vector [x, h] by "
                "the kernel, [x, h] @ kernel: the kernel is (H_in + H, 4H), the transpose of "
                "PyTorch's (4H, H_in + H) layout."),
    )


def _jacobian_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(peephole_cell_jacobian, terms="f"), "that is f_t alone, the derivative of a "
                "cell *without* peepholes. Here both the forget gate and the input gate read "
                "c_{t−1}, so each contributes a term of its own through its peephole."),
        Mistake(p(peephole_cell_jacobian, terms="fF"), "the term through the input gate is "
                "missing: i_t reads c_{t−1} through p_i, and it multiplies g_t."),
        Mistake(p(peephole_cell_jacobian, terms="fI"), "the term through the forget gate's "
                "peephole is missing: f_t itself depends on c_{t−1}, and it multiplies "
                "c_{t−1}."),
        Mistake(p(peephole_cell_jacobian, terms="fFIO"), "the output gate does not take part: "
                "it acts on h_t after c_t is made, so it cannot change ∂c_t/∂c_{t−1}."),
        Mistake(p(peephole_cell_jacobian, prime="s"), "the derivative of σ is σ(1 − σ), not "
                "σ: for the gate terms use the gate times one minus the gate."),
        Mistake(p(peephole_cell_jacobian, f_term="none"), "the term through the forget gate's "
                "peephole misses a factor: the product rule on f_t ⊙ c_{t−1} gives the change "
                "of f_t *times c_{t−1}*."),
    )


def _backward_mistakes() -> tuple[Mistake, ...]:
    p = functools.partial
    return (
        Mistake(p(peephole_grad_c_prev, o_path="none"), "the path through the output gate's "
                "peephole is missing: o_t reads c_t through p_o, so h_t = o_t ⊙ tanh(c_t) "
                "depends on c_t twice, and dh_t reaches c_t along both."),
        Mistake(p(peephole_grad_c_prev, o_path="direct"), "the output gate's peephole reads "
                "the new cell c_t, not c_{t−1}: its term belongs to the gradient on c_t, which "
                "then passes back through the cell's Jacobian like the rest."),
        Mistake(p(peephole_grad_c_prev, h_path=False), "dh_t is ignored: the loss also reaches "
                "c_t through h_t = o_t ⊙ tanh(c_t)."),
        Mistake(p(peephole_grad_c_prev, c_path=False), "dc_t is ignored: c_t also passes on "
                "to the next step directly, and the gradient from there arrives as dc_t."),
        Mistake(p(peephole_grad_c_prev, tanh_prime=False), "the derivative of tanh(c_t) is "
                "missing: through the tanh, dh_t reaches c_t scaled by o_t times tanh's "
                "derivative, not by o_t alone."),
        Mistake(p(peephole_grad_c_prev, jacobian="f"), "the gradient on c_t passes back "
                "through f_t alone, as in a cell without peepholes; in this cell the input and "
                "forget gates read c_{t−1} too (Exercise 4.4)."),
    )


def _hint(*steps: str) -> tuple[str, ...]:
    """A stepped hint: each call of ``hint(...)`` shows one more step."""
    return tuple(" ".join(step.split()) for step in steps)


QUESTIONS: list[Question] = [
    Question(
        name="q4_1", func_name="peephole_lstm_step",
        title="Exercise 4.1: one step of the peephole LSTM",
        hint=_hint("""
Start from the LSTM step of the chapter and add one term to each gate's pre-activation: the
gate's peephole times a cell state, unit by unit.""", """
Which cell state exists at the moment each gate is computed? The input and forget gates are
needed to make the new cell, so they can only see the old one; the output gate comes after
the update."""),
        probes=functools.partial(_peephole_probes, salt="q4_1"),
        reference=peephole_lstm_step, mistakes=_peephole_mistakes(),
        output_names=("h_t", "c_t"), points={"public": 1, "hidden": 1},
        every_probe="the rows you slice, which cell each peephole reads"),
    OnnxQuestion(
        name="q4_2", func_name="onnx_to_torch",
        title="Exercise 4.2: ONNX's LSTM weights → PyTorch's layout",
        hint=_hint("""
Write the two orders one under the other and draw an arrow from each ONNX block to its place
in PyTorch's. The leading axis of every ONNX array counts directions: there is one.""", """
The same arrows apply to W, to R and to each half of B (which two vectors does B hold?); P
has only three blocks, in the same kind of order."""),
        probes=_onnx_probes, reference=onnx_to_torch, mistakes=_onnx_mistakes(),
        output_names=("weight_ih", "weight_hh", "bias_ih + bias_hh", "(zeros)", "peephole"),
        points={"public": 1, "hidden": 1},
        every_probe="the order of the blocks, the direction axis"),
    Question(
        name="q4_3", func_name="torch_to_tf1",
        title="Exercise 4.3: PyTorch's LSTM weights → TensorFlow 1's BasicLSTMCell",
        hint=_hint("""
Write out, for one sample, the pre-activation each library computes: TF multiplies the
concatenated row vector by its kernel, PyTorch multiplies each of its two matrices by a column.
Which rows of the kernel meet x_t, and which block of its columns feeds each gate?""", """
Now compare the two forget gates, not just the matrices: TF adds a constant of its own inside
the σ at every step. For the two cells to agree, what must the stored forget bias make up
for?"""),
        probes=_tf1_probes, reference=torch_to_tf1, mistakes=_tf1_mistakes(),
        output_names=("kernel", "bias"), points={"public": 1, "hidden": 1},
        every_probe="the block order, the row order and the forget bias"),
    Question(
        name="q4_4", func_name="peephole_cell_jacobian",
        title="Exercise 4.4: how the peephole cell passes a gradient back",
        hint=_hint("""
Hold x_t and h_{t−1} fixed and follow every path from c_{t−1} to c_t. One is direct, through
the product with the forget gate. Which gates read c_{t−1} themselves?""", """
Each gate that reads c_{t−1} adds a path: the product rule on the term it multiplies, and the
chain rule through σ, give that path's term. Every path stays inside one unit, so the Jacobian
is diagonal. The output gate acts after c_t is made. Compare with autograd before you
check."""),
        probes=functools.partial(_peephole_probes, salt="q4_4"),
        reference=peephole_cell_jacobian, mistakes=_jacobian_mistakes(),
        output_names=("dc_dc_prev",), points={"public": 1, "hidden": 2},
        every_probe="the terms you add and the derivative of σ"),
    Question(
        name="q4_5", func_name="peephole_grad_c_prev",
        title="Exercise 4.5: one step of backprop through the peephole cell",
        hint=_hint("""
First gather the whole gradient that reaches c_t: what arrives at c_t directly, and what
arrives at h_t and passes on to c_t. Then pass that sum back to c_{t−1} as in Exercise 4.4.""",
                   """
Count the ways h_t depends on c_t in this cell: in the standard LSTM there is one, inside the
tanh. Which gate reads c_t here? Each way is one term (chain rule through tanh, or through σ),
and every term is unit by unit. Compare with autograd before you check."""),
        probes=_backward_probes, reference=peephole_grad_c_prev, mistakes=_backward_mistakes(),
        output_names=("dL_dc_prev",), points={"public": 1, "hidden": 2},
        every_probe="the paths from h_t to c_t and the Jacobian you pass the sum through"),
]


PREDICTIONS: list[Prediction] = [
    Prediction(
        name="p4_1", var_name="predicted_share_kept",
        title="Prediction 4.1: what a forget-gate peephole does to a negative memory",
        kind="choice", answer="about 0.25%",
        options=("about 100%", "about 88%", "about 50%", "about 0.25%"),
        explanation="f_t = σ(0 + p_f · c_{t−1}) = σ(2 × (−3)) = σ(−6) ≈ 0.0025: the unit "
                    "forgets a negative memory almost at once, while the same unit holding "
                    "+3 would keep σ(6) ≈ 99.75% of it. Through a peephole a gate depends on "
                    "the sign and size of its own unit's memory, which the standard LSTM's "
                    "gates never see. Try it with your peephole_lstm_step.",
        mistakes=(WrongAnswer("about 50%", "The rest of the gate's input adds up to 0, but the "
                              "peephole adds p_f · c_{t−1} to it."),
                  WrongAnswer("about 88%", "That is σ(p_f) = σ(2): the peephole weight "
                              "multiplies the cell state, it is not the input of σ by itself."),
                  WrongAnswer("about 100%", "That would be the unit holding +3: here the "
                              "memory is negative, and so is p_f · c_{t−1}.")),
        hint=("The forget gate is σ of the sum of its inputs; only one of them is not 0.",
              "What is p_f · c_{t−1} here, and what is σ of a large negative number?"),
        reveals="q4_1"),
    Prediction(
        name="p4_2", var_name="predicted_forget_rows",
        title="Prediction 4.2: where ONNX keeps the forget gate",
        kind="choice", answer="W[0, 2H:3H]",
        options=("W[0, 0:H]", "W[0, H:2H]", "W[0, 2H:3H]", "W[0, 3H:4H]"),
        explanation="ONNX stacks its blocks i | o | f | c, so its forget-gate rows are the "
                    "third block, W[0, 2H:3H], and they move to PyTorch's second block, "
                    "weight_ih[H:2H]. The same rows of R, Wb and Rb move with them.",
        mistakes=(WrongAnswer("W[0, H:2H]", "Those are the forget gate's rows in PyTorch's "
                              "order (i | f | g | o); in ONNX's i | o | f | c they hold the "
                              "output gate."),
                  WrongAnswer("W[0, 3H:4H]", "The last block is ONNX's c, the candidate.")),
        hint=("Read ONNX's order from the table: which position does f take?",
              "Each block is H rows tall: block k (counting from 0) spans rows k·H to "
              "(k + 1)·H. Which k is the forget gate's in ONNX's order?"),
        reveals="q4_2"),
    Prediction(
        name="p4_3", var_name="predicted_tf_share_kept",
        title="Prediction 4.3: a bias copied as it stands into TensorFlow 1",
        kind="choice", answer="about 73%",
        options=("about 27%", "50%", "about 73%", "100%"),
        explanation="σ(0 + 1) = σ(1) ≈ 0.73. TF1's BasicLSTMCell computes "
                    "f = σ(pre-activation + forget_bias) with forget_bias = 1 by default, added "
                    "at every step and stored nowhere: the copied weights and bias give the "
                    "same pre-activation, 0, but TF's cell keeps 73% of c_{t−1} where "
                    "PyTorch's keeps 50%. A faithful conversion stores the forget bias minus "
                    "1 (Exercise 4.3).",
        mistakes=(WrongAnswer("50%", "The stored numbers are the same, so the pre-activation "
                              "is 0 in both; but TF1 adds forget_bias to it inside the σ."),
                  WrongAnswer("about 27%", "σ(−1): TF *adds* its forget_bias, it does not "
                              "subtract it."),
                  WrongAnswer("100%", "forget_bias shifts the pre-activation by 1; σ(1) is "
                              "still well below 1.")),
        hint=("The two cells see the same weights and the same stored bias. Where does TF1's "
              "forget gate differ from PyTorch's, in the equation given above?",
              "What is σ of the pre-activation once TF has added its constant?"),
        reveals="q4_3"),
    Prediction(
        name="p4_4", var_name="predicted_can_exceed_one",
        title="Prediction 4.4: can the peephole cell amplify a gradient?",
        kind="choice", answer="yes", options=("yes", "no"),
        explanation="Yes. Without peepholes the derivative along the cell is f_t < 1, so a "
                    "gradient on c only shrinks. With peepholes the forget and input gates "
                    "move with c_{t−1} themselves, and each adds a term of its own, of either "
                    "sign; with positive peepholes, a positive memory and a positive candidate "
                    "the sum passes 1. Exercise 4.4 finds those terms.",
        mistakes=(WrongAnswer("no", "That holds for the standard LSTM, whose cell passes a "
                              "gradient back through f_t alone; here two of the gates read "
                              "c_{t−1}."),),
        hint=("Which factors of the cell update (the kept part and the written part) change "
              "when c_{t−1} changes, in the peephole cell?",
              "Without peepholes the only factor is f_t, below 1. With them, can the extra "
              "terms be positive, and how large can a gate's slope times its peephole be?"),
        reveals="q4_4"),
    Prediction(
        name="p4_5", var_name="predicted_peepholes_that_matter",
        title="Prediction 4.5: which peepholes reach the gradient on c_{t−1}?",
        kind="choice", answer="p_i, p_f and p_o",
        options=("none of them", "p_i and p_f only", "p_o only", "p_i, p_f and p_o"),
        explanation="All three. p_i and p_f act as in Exercise 4.4: those gates read c_{t−1}, "
                    "so they change ∂c_t/∂c_{t−1}. p_o does not change that Jacobian, but the "
                    "loss reads h_t = o_t ⊙ tanh(c_t), and o_t reads c_t through p_o: the "
                    "gradient that reaches c_t, and so the one passed back to c_{t−1}, has a "
                    "term through the output gate too. Exercise 4.5 adds it up.",
        mistakes=(WrongAnswer("p_i and p_f only", "Those are the peepholes in ∂c_t/∂c_{t−1} "
                              "(Exercise 4.4). But the loss reaches c_t through h_t as well, "
                              "and the output gate reads c_t."),
                  WrongAnswer("p_o only", "The input and forget gates read c_{t−1}: they "
                              "change how c_t passes a gradient back (Exercise 4.4)."),
                  WrongAnswer("none of them", "Each peephole makes a gate depend on a cell "
                              "state; a dependence is a path for the gradient.")),
        hint=("List where the loss can meet c_t in this step, and which gates read a cell "
              "state: c_{t−1} or c_t.",
              "A gate that reads c_t cannot change ∂c_t/∂c_{t−1}; can it still change how "
              "much gradient reaches c_t from h_t?"),
        reveals="q4_5"),
]


# Phrases that would state an answer in the chapter's prose, as regular expressions on the
# folded prose (tests/exercise_copies.py, ``fold_prose``): tests/test_exercise_copies.py checks
# that chapter 4 says none of them.
GIVEAWAYS: dict[str, tuple[str, ...]] = {
    "q4_1": (r"p_o(c_t|c_t\))", r"sigma\([^)]{0,40}\+p_oc_t"),
    "q4_2": (r"i\|o\|f\|c", r"onnx[^.]{0,80}order"),
    "q4_3": (r"(subtract|minus)[^.]{0,40}forget_?bias",
             r"forget_?bias[^.]{0,40}(subtract|minus)", r"b_f-1", r"\[x_?t?,h_?t?-?1?\]@kernel"),
    "q4_4": (r"f_t\(1-f_t\)", r"i_t\(1-i_t\)", r"partialc_t/partialc_t-1=f_t\+"),
    "q4_5": (r"o_t\(1-o_t\)", r"1-tanh\^2\(?c_t"),
}
