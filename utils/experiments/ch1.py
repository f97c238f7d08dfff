r"""Chapter 1: which cell, once trained, still recalls the first input after T steps.

The task is :class:`utils.tasks.RecallTask`: the sign :math:`s = \pm 1` is shown at the first
step, followed by :math:`T - 1` Gaussian distractors (standard deviation ``NOISE``); after the
last step the model must output :math:`s`. Predicting 0 scores ``MSE = 1`` (the baseline).

``python -m utils.experiments ch1`` trains (:func:`utils.tasks.recall_run`) a one-layer
``torch.nn`` RNN (tanh), GRU or LSTM (``HIDDEN`` units, Adam, ``STEPS`` steps of batch
``BATCH``, gradient norm clipped to 1) for every length in ``SEQ_LENS``. ``kind`` is one of

- ``"rnn"``: tanh RNN with PyTorch's initialisation (spectral radius of ``W_hh`` about 0.6
  at ``H = 16``);
- ``"rnn_orth"``: the same RNN with an orthogonal ``W_hh`` (spectral radius 1), the start
  chapter 1's gradient section uses and the one RNN practitioners use for long memory;
- ``"gru"``, ``"lstm"``: the gated cells with the bias ``b`` of the gate that keeps the old
  state (GRU update gate, LSTM forget gate); the RNNs have no such gate (``b = 0`` only);
- ``"gru_orth"``, ``"lstm_orth"``: the gated cells at ``b = B_KEEP`` with every recurrent
  block orthogonal, as the RNN's (Keras' default start for its GRU and LSTM), at
  ``ORTH_LENS`` only: the control for the RNN's orthogonal start;
- ``"gru_chrono"``, ``"lstm_chrono"``: PyTorch's weights with *chrono* biases (Tallec &
  Ollivier 2018, :func:`utils.timescales.chrono_init_`, :math:`T_{max} = T`): each unit's
  keep-gate bias drawn as :math:`\ln\,\mathcal U[1, T - 1]` (the LSTM's input-gate bias its
  negative), the initialisation practitioners use for long memory, at ``CHRONO_LENS`` only.
  Their rows have ``gate_bias = None``: no one constant bias.

Seeds: ``SEEDS`` (6) by default; ``MANY_SEEDS`` (12) for the GRU at ``b = 3`` and the
orthogonal RNN at ``MANY_LENS``, where the two cross and the chapter gives one verdict per
length, and for the chrono GRU at ``T = 200``; ``HEADLINE_SEEDS`` (24) for the chrono GRU at
``HEADLINE_T`` (150), where its outcome against the orthogonal RNN was most in doubt (24 seeds
of its rivals there did not fit the shared machine's hour: they keep ``MANY_SEEDS``);
``FEW_SEEDS`` (3) for the default RNN and the gated cells at ``b = 0`` (which fail from
``T = 50`` and ``T = 20`` on in every seed), for the other cells at ``T = 200`` and for the
chrono cells below ``MANY_LENS`` (the gated cells from an orthogonal start have ``SEEDS`` at
every length of ``ORTH_LENS``).
``b = 1`` (the LSTM's recommended forget bias) is run at ``B1_LENS`` only, with ``SEEDS``.

Each row records the validation MSE every ``EVAL_EVERY`` steps (``eval_steps``,
``eval_loss``) and the training wall time (``seconds``, machine-dependent).
The LSTM runs go through PyTorch's fused oneDNN kernel, whose rounding depends on the CPU: on
another machine a long LSTM run can end at a different loss, so the drift test re-runs a GRU
configuration.
"""

from __future__ import annotations

from typing import Any

DESCRIPTION = __doc__

SEQ_LENS: tuple[int, ...] = (5, 10, 20, 30, 50, 75, 100, 150, 200)
GATE_BIASES: tuple[float, ...] = (0.0, 3.0)  # every length (the explorer's toggle)
B1_LENS: tuple[int, ...] = (50,)  # b = 1 at these lengths only
SEEDS: tuple[int, ...] = tuple(range(6))
FEW_SEEDS: tuple[int, ...] = (0, 1, 2)
B0_SEEDS = FEW_SEEDS  # the gated cells at b = 0
KINDS: tuple[str, ...] = ("rnn", "rnn_orth", "gru", "lstm", "gru_orth", "lstm_orth",
                          "gru_chrono", "lstm_chrono")
RNN_KINDS: tuple[str, ...] = ("rnn", "rnn_orth")
GATED_ORTH_KINDS: tuple[str, ...] = ("gru_orth", "lstm_orth")
CHRONO_KINDS: tuple[str, ...] = ("gru_chrono", "lstm_chrono")
B_KEEP = 3.0  # the gated cells' keep-gate bias in the headline comparison
ORTH_LENS: tuple[int, ...] = (50, 75, 100, 150, 200)  # the gated cells from orthogonal W_hh
MANY_SEEDS: tuple[int, ...] = tuple(range(12))
MANY_LENS: tuple[int, ...] = (100, 150, 200)  # where the GRU and the orthogonal RNN cross
CHRONO_LENS: tuple[int, ...] = ORTH_LENS  # the chrono-initialised gated cells
HEADLINE_T = 150  # the length where the chrono GRU's outcome is most in doubt
HEADLINE_SEEDS: tuple[int, ...] = tuple(range(24))
HIDDEN, STEPS, BATCH, LR, NOISE = 16, 250, 32, 1e-2, 0.5
EVAL_EVERY = 25


def _seeds(kind: str, T: int, b: float | None) -> tuple[int, ...]:
    if kind in CHRONO_KINDS:
        if b is not None or T not in CHRONO_LENS:
            return ()
        if T < min(MANY_LENS):  # every run of the GRU at b = 3 solves these lengths
            return FEW_SEEDS
        if kind == "gru_chrono":
            return HEADLINE_SEEDS if T == HEADLINE_T else MANY_SEEDS if T == max(SEQ_LENS) \
                else SEEDS
        return SEEDS
    if b is None:
        return ()
    if kind in GATED_ORTH_KINDS:
        return SEEDS if b == B_KEEP and T in ORTH_LENS else ()
    if T in MANY_LENS and (kind == "rnn_orth" or (kind == "gru" and b == B_KEEP)):
        return MANY_SEEDS
    if kind == "rnn" or (kind != "rnn_orth" and b == 0.0) or T == max(SEQ_LENS):
        return FEW_SEEDS
    return SEEDS


CONFIGS: list[dict[str, Any]] = [
    {"kind": kind, "T": T, "gate_bias": b, "seed": seed}
    for T in SEQ_LENS for kind in KINDS
    for b in ((None,) if kind in CHRONO_KINDS
              else sorted({*GATE_BIASES, 1.0}) if T in B1_LENS else GATE_BIASES)
    for seed in _seeds(kind, T, b)
    if not (kind in RNN_KINDS and b != 0.0)
]
QUICK = [c for c in CONFIGS if c["T"] == 5 and c["seed"] == 0]


def chrono_model(kind: str, T: int, seed: int) -> Any:
    r"""The recall model of ``kind`` (``"gru"`` or ``"lstm"``) with PyTorch's weights and
    chrono biases for :math:`T_{max} = T` (:func:`utils.timescales.chrono_init_`).

    The weights are :func:`utils.tasks.keep_gate_model`'s for ``seed`` (no added bias); the
    biases are drawn from their own generator, seeded with ``seed``.
    """
    import torch

    from utils.tasks import keep_gate_model
    from utils.timescales import chrono_init_

    model = keep_gate_model(kind, 1, HIDDEN, seed=seed)
    chrono_init_(model.cell, float(T), generator=torch.Generator().manual_seed(seed))
    return model


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration: the validation losses during training and the wall time."""
    from utils.tasks import RecallTask, recall_run, train

    kind, init = config["kind"], "default"
    if kind in CHRONO_KINDS:
        model = chrono_model(kind.removesuffix("_chrono"), config["T"], config["seed"])
        history = train(model, RecallTask(config["T"], NOISE), steps=STEPS, batch_size=BATCH,
                        lr=LR, seed=config["seed"], progress=False, eval_every=EVAL_EVERY)
    else:
        if kind.endswith("_orth"):
            kind, init = kind.removesuffix("_orth"), "orthogonal"
        history = recall_run(kind, config["T"], gate_bias=config["gate_bias"],
                             seed=config["seed"], hidden_size=HIDDEN, steps=STEPS,
                             batch_size=BATCH, lr=LR, noise=NOISE, eval_every=EVAL_EVERY,
                             recurrent_init=init)
    return {"eval_steps": history.eval_steps,
            "eval_loss": [round(v, 6) for v in history.eval_loss],
            "seconds": round(history.seconds, 2)}
