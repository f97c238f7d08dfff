r"""Chapter 6 demos: the utterance explorer and the training explorer.

**Utterance explorer** (``utterance_explorer``). Pick a speaker and one of their test
utterances of Japanese Vowels: the panel shows its 12 LPC cepstrum coefficients frame by
frame, the update gate :math:`z_t` of every unit of a GRU trained on the 270 training
utterances, and the running class probabilities :math:`\mathrm{softmax}(W_{out} h_t + b_{out})`
(what the classifier would say if the utterance stopped at frame :math:`t`). The gates come
from the course's NumPy ``GRUCell`` holding the trained weights (``utils.gru_reading``).

**Grid explorer** (``grid_explorer``). Move the hidden size and the dropout rate of a
two-layer GRU: the learning curves of that cell of the committed grid (``ch6_grid.json``, three
seeds per cell) beside the same size without dropout, the mean test and training accuracy of
every cell (the trade-off between capacity and regularisation), and the paired verdict of this
cell against no dropout at the same size.

**Training explorer** (``training_explorer``). Pick one of the committed set-ups of
chapter 6 (an addition practitioners make, a wrong read of a padded batch, or an alternative
model at the GRU's parameter budget): its learning curves over every seed beside the plain
GRU's, and each seed's test accuracy, with the verdict of ``utils.verdict`` (paired by seed).
Nothing is trained: the runs are ``utils/results/ch6_{padding,practice,alternatives,
lstm_bias}.json``, and the utterance explorer's GRU is ``ch6_reader.json``'s.

Builders return a widget and display nothing.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from utils import experiments
from utils.gru_reading import numpy_cell, utterance_gates
from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES
from utils.seq_classifier import SequenceClassifier, vowels_task
from utils.widgets import Choice, Demo, DemoWidget, Mode

__all__ = ["READER", "UTTERANCES", "SETUPS", "trained_reader", "running_probabilities",
           "baseline_runs", "utterance_explorer_demo", "utterance_explorer", "setup_runs",
           "training_explorer_demo", "training_explorer", "grid_runs", "grid_means",
           "grid_verdict", "grid_explorer_demo", "grid_explorer"]

# The GRU the chapter reads: the committed run of utils.experiments.ch6_reader (seed 0).
READER = {"hidden_size": 32, "epochs": 30, "lr": 1e-2, "batch_size": 32}
UTTERANCES = tuple(range(9))  # the first nine test utterances of each speaker
T_MAX = 29  # the longest utterance (frames)

# label → (results file, key, value): every set-up of the committed grids
SETUPS: dict[str, tuple[str, str, str]] = {
    "GRU (packed, right padding)": ("ch6_practice", "variant", "plain"),
    "2 layers": ("ch6_practice", "variant", "stacked"),
    "2 layers + dropout 0.3": ("ch6_practice", "variant", "stacked_dropout"),
    "bidirectional": ("ch6_practice", "variant", "bidirectional"),
    "clipping at norm 1": ("ch6_practice", "variant", "clipped"),
    "chrono init": ("ch6_practice", "variant", "chrono"),
    "last padded step (bug)": ("ch6_padding", "readout", "last_padded"),
    "left padding, last step": ("ch6_padding", "readout", "left_padded"),
    "left padding, packed (bug)": ("ch6_padding", "readout", "packed_left"),
    "LSTM": ("ch6_alternatives", "model", "lstm"),
    "LSTM (forget bias 1)": ("ch6_lstm_bias", "model", "lstm_bias1"),
    "minGRU": ("ch6_alternatives", "model", "mingru"),
    "1-D convolution": ("ch6_alternatives", "model", "conv"),
}
BASELINE = "GRU (packed, right padding)"
# the plain GRU each set-up is paired with: the padding grid has its own packed runs; every
# other grid pairs with ch6_practice's plain runs (the same seeds)
_BASELINE_RUNS = {"ch6_padding": ("ch6_padding", "readout", "packed")}

CSS = """
.gru-ue p, .gru-te p, .gru-ge p { margin: 3px 0; font-size: 0.85em; }
"""


@functools.cache
def trained_reader(seed: int = 0) -> tuple[SequenceClassifier, dict[str, Any]]:
    """The packed GRU classifier trained on Japanese Vowels with ``READER``'s recipe (the
    committed run of ``utils.experiments.ch6_reader``), and that run's record (learning
    curve, accuracies, parameters)."""
    from utils.experiments import ch6_reader

    rows = [r for r in _results("ch6_reader")["rows"] if r["seed"] == seed]
    if not rows:
        raise ValueError(f"no committed reader for seed {seed}: expected one of "
                         f"{list(ch6_reader.SEEDS)}")
    model = ch6_reader.load_model(rows[0])
    return model, {k: v for k, v in rows[0].items() if k != "state"}


def running_probabilities(model: SequenceClassifier, h: np.ndarray) -> np.ndarray:
    """``h (L, H)``, the states over one utterance → ``(L, C)``: the class probabilities the
    read-out gives at every frame, ``softmax(W_out h_t + b_out)``."""
    W = model.out.weight.detach().double().numpy()  # (C, H)
    b = model.out.bias.detach().double().numpy()  # (C,)
    if h.ndim != 2 or h.shape[1] != W.shape[1]:
        raise ValueError(f"expected h of shape (L, {W.shape[1]}), got {h.shape}")
    logits = h @ W.T + b  # (L, C)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@functools.cache
def _utterance(seed: int, speaker: int, k: int) -> dict[str, Any]:
    """Speaker ``speaker`` (1–9)'s ``k``-th test utterance: its frames, gates, probabilities."""
    model, _ = trained_reader(seed)
    _, (sequences, labels) = vowels_task()
    index = int(np.flatnonzero(labels == speaker - 1)[k])
    x = sequences[index].astype(np.float64)  # (L, 12), standardised
    gates = utterance_gates(numpy_cell(model), x)
    return {"x": x, "z": gates["z"], "r": gates["r"],
            "p": running_probabilities(model, gates["h"]), "index": index}


def utterance_explorer_demo(seed: int = 0) -> Demo:
    """The ``Demo`` behind :func:`utterance_explorer`: 9 speakers × 9 utterances."""
    H = READER["hidden_size"]

    def setup(fig: Figure, speaker: int, utterance: int) -> Callable[..., None]:
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.11, top=0.93, hspace=0.55)
        ax_x, ax_z, ax_p = fig.subplots(3, 1, sharex=True)
        blank_x, blank_z = np.zeros((VOWELS_FEATURES, T_MAX)), np.zeros((H, T_MAX))
        im_x = ax_x.imshow(blank_x, aspect="auto", cmap="coolwarm", vmin=-2.5, vmax=2.5,
                           origin="lower", extent=(0.5, T_MAX + 0.5, 0.5, 12.5),
                           animated=True)
        ax_x.set(ylabel="coefficient", xlim=(0.5, T_MAX + 0.5))
        t_x = ax_x.set_title("", fontsize=8, animated=True)
        im_z = ax_z.imshow(blank_z, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                           origin="lower", extent=(0.5, T_MAX + 0.5, -0.5, H - 0.5),
                           animated=True)
        ax_z.set(ylabel="unit")
        ax_z.set_title("update gate $z_t$ of each unit (dark: overwrite, bright: keep)",
                       fontsize=8)
        (true_line,) = ax_p.plot([], [], color="#2ca02c", lw=2.0, marker="o", ms=3,
                                 label="the speaker", animated=True)
        (other_line,) = ax_p.plot([], [], color="#d62728", lw=1.2, ls="--",
                                  label="strongest other speaker", animated=True)
        ax_p.set(ylim=(0, 1.02), xlabel="frame t", ylabel="probability")
        ax_p.legend(loc="lower right", fontsize=7, frameon=False, ncols=2)
        t_p = ax_p.set_title("", fontsize=8, animated=True)

        def update(speaker: int, utterance: int) -> None:
            u = _utterance(seed, speaker, utterance)
            L = len(u["x"])
            shown_x, shown_z = np.full_like(blank_x, np.nan), np.full_like(blank_z, np.nan)
            shown_x[:, :L], shown_z[:, :L] = u["x"].T, u["z"].T
            im_x.set_data(shown_x)
            im_z.set_data(shown_z)
            t_x.set_text(f"speaker {speaker}, test utterance {utterance + 1}: "
                         f"{L} frames of 12 LPC cepstrum coefficients (standardised)")
            frames = np.arange(1, L + 1)
            p = u["p"]
            others = np.delete(p, speaker - 1, axis=1).max(axis=1)
            true_line.set_data(frames, p[:, speaker - 1])
            other_line.set_data(frames, others)
            said = int(p[-1].argmax()) + 1
            t_p.set_text(f"running class probabilities: the GRU says speaker {said} "
                         f"at the last frame ({'right' if said == speaker else 'wrong'})")

        return update

    def render(speaker: int, utterance: int) -> str:
        u = _utterance(seed, speaker, utterance)
        p = u["p"]
        said = p.argmax(axis=1) + 1
        settled = int(np.flatnonzero(said != said[-1]).max() + 2) if (said != said[-1]).any() \
            else 1
        mean_z = float(u["z"].mean())
        return (f"<div class='gru-ue'><p>Its final answer, speaker {said[-1]} "
                f"(probability {p[-1].max():.2f}), holds from frame {settled} of {len(p)} "
                f"on. Mean update gate over this utterance: {mean_z:.2f}.</p></div>")

    return Demo(
        controls={"speaker": Choice(list(range(1, VOWELS_CLASSES + 1)), value=1,
                                    description="speaker"),
                  "utterance": Choice(list(UTTERANCES), value=0,
                                      labels=[str(k + 1) for k in UTTERANCES],
                                      description="test utterance")},
        setup=setup, render=render, css=CSS, figsize=(6.4, 4.6), dpi=64, colors=24,
        quantize="median", budget_bytes=1_150_000)


def utterance_explorer(seed: int = 0, *, mode: Mode | None = None) -> DemoWidget:
    """Speaker × test utterance → coefficients, update gates, running class probabilities."""
    return utterance_explorer_demo(seed).build(mode)


@functools.cache
def _results(name: str) -> dict[str, Any]:
    return experiments.load(name)


def _runs(name: str, key: str, value: str) -> list[dict[str, Any]]:
    rows = [r for r in _results(name)["rows"] if r.get(key) == value]
    return sorted(rows, key=lambda r: r["seed"])


def setup_runs(label: str) -> list[dict[str, Any]]:
    """The committed runs of one set-up of ``SETUPS``, sorted by seed."""
    if label not in SETUPS:
        raise ValueError(f"expected a set-up among {list(SETUPS)}, got {label!r}")
    return _runs(*SETUPS[label])


def baseline_runs(label: str) -> list[dict[str, Any]]:
    """The plain GRU's runs that ``label``'s runs are paired with (same grid where it has
    them), sorted by seed."""
    name = SETUPS[label][0] if label in SETUPS else None
    if name is None:
        raise ValueError(f"expected a set-up among {list(SETUPS)}, got {label!r}")
    return _runs(*_BASELINE_RUNS.get(name, SETUPS[BASELINE]))


@functools.cache
def _verdict(label: str) -> Any:
    from utils.verdict import compare

    base = {r["seed"]: r["test_accuracy"] for r in baseline_runs(label)}
    runs = {r["seed"]: r["test_accuracy"] for r in setup_runs(label)}
    if sorted(base) != sorted(runs):
        raise ValueError(f"{label}: seeds {sorted(runs)} do not pair with {sorted(base)}")
    seeds = sorted(runs)
    return compare(label, [runs[s] for s in seeds], "the plain GRU", [base[s] for s in seeds],
                   metric="test accuracy", seeds=seeds, paired=True)


def training_explorer_demo() -> Demo:
    """The ``Demo`` behind :func:`training_explorer`: one position per set-up of ``SETUPS``."""
    labels = list(SETUPS)
    max_runs = max(len(setup_runs(label)) for label in labels)

    def setup(fig: Figure, setup: str) -> Callable[..., None]:
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.88, wspace=0.3)
        ax_l, ax_a = fig.subplots(1, 2, width_ratios=[1.6, 1])
        base = setup_runs(BASELINE)
        for r in base:
            ax_l.plot(np.arange(1, len(r["losses"]) + 1), r["losses"], color="#7f7f7f",
                      lw=0.8, label="the GRU" if r is base[0] else None)
        lines = [ax_l.plot([], [], color="#1f77b4", lw=1.0, animated=True,
                           label="this set-up" if k == 0 else None)[0]
                 for k in range(max_runs)]
        ax_l.set(yscale="log", ylim=(3e-3, 3), xlabel="epoch",
                 ylabel="training loss (nats)")
        ax_l.legend(fontsize=7, frameon=False, loc="upper right")
        t_l = ax_l.set_title("", fontsize=8, animated=True)
        accuracies = [r["test_accuracy"] for label in labels for r in setup_runs(label)]
        (base_dots,) = ax_a.plot([], [], "o", color="#7f7f7f", ms=4, animated=True)
        (dots,) = ax_a.plot([], [], "o", color="#1f77b4", ms=4, animated=True)
        ax_a.set(xlim=(-0.6, 1.6), ylim=(min(accuracies) - 0.02, 1.0), xticks=[0, 1],
                 xticklabels=["the GRU", "this set-up"], ylabel="test accuracy")
        ax_a.set_title("each seed's test accuracy", fontsize=8)

        def update(setup: str) -> None:
            runs = setup_runs(setup)
            for k, line in enumerate(lines):
                if k < len(runs):
                    line.set_data(np.arange(1, len(runs[k]["losses"]) + 1),
                                  runs[k]["losses"])
                else:
                    line.set_data([], [])
            paired = baseline_runs(setup)
            base_dots.set_data(np.zeros(len(paired)), [r["test_accuracy"] for r in paired])
            dots.set_data(np.ones(len(runs)), [r["test_accuracy"] for r in runs])
            t_l.set_text(f"{setup}: learning curves over {len(runs)} seeds")

        return update

    def render(setup: str) -> str:
        runs = setup_runs(setup)
        acc = np.array([r["test_accuracy"] for r in runs])
        text = (f"{html.escape(setup)}: {runs[0]['params']:,} parameters, test accuracy "
                f"{acc.mean():.3f} ± {acc.std(ddof=1):.3f} (mean ± sd over {len(runs)} seeds).")
        if setup != BASELINE:
            text += " " + html.escape(_verdict(setup).sentence(3))
        return f"<div class='gru-te'><p>{text}</p></div>"

    return Demo(controls={"setup": Choice(labels, widget="dropdown", description="set-up")},
                setup=setup, render=render, css=CSS, figsize=(6.4, 3.0), dpi=72,
                colors=16, budget_bytes=400_000)


def training_explorer(*, mode: Mode | None = None) -> DemoWidget:
    """A committed set-up of chapter 6 → its learning curves and test accuracies."""
    return training_explorer_demo().build(mode)


def grid_runs(hidden_size: int, dropout: float) -> list[dict[str, Any]]:
    """The committed runs of one cell of ``ch6_grid`` (a two-layer GRU), sorted by seed."""
    from utils.experiments import ch6_grid

    if hidden_size not in ch6_grid.HIDDEN_SIZES or dropout not in ch6_grid.DROPOUTS:
        raise ValueError(f"expected a hidden size among {ch6_grid.HIDDEN_SIZES} and a dropout "
                         f"among {ch6_grid.DROPOUTS}, got {hidden_size} and {dropout}")
    rows = [r for r in _results("ch6_grid")["rows"]
            if r["hidden_size"] == hidden_size and r["dropout"] == dropout]
    return sorted(rows, key=lambda r: r["seed"])


def grid_means(key: str = "test_accuracy") -> np.ndarray:
    """``(len(DROPOUTS), len(HIDDEN_SIZES))``: the mean of ``key`` over the seeds of each cell
    of ``ch6_grid`` (rows: dropout rates, columns: hidden sizes)."""
    from utils.experiments import ch6_grid

    return np.array([[np.mean([r[key] for r in grid_runs(h, d)]) for h in ch6_grid.HIDDEN_SIZES]
                     for d in ch6_grid.DROPOUTS])


@functools.cache
def grid_verdict(hidden_size: int, dropout: float) -> Any:
    """This cell of ``ch6_grid`` against the same hidden size without dropout, on test
    accuracy, paired seed for seed (``utils.verdict.compare``)."""
    from utils.verdict import compare

    runs, base = grid_runs(hidden_size, dropout), grid_runs(hidden_size, 0.0)
    seeds = [r["seed"] for r in runs]
    if seeds != [r["seed"] for r in base]:
        raise ValueError(f"seeds {seeds} do not pair with {[r['seed'] for r in base]}")
    return compare(f"dropout {dropout:g}", [r["test_accuracy"] for r in runs], "no dropout",
                   [r["test_accuracy"] for r in base], metric="test accuracy", seeds=seeds,
                   paired=True)


def grid_explorer_demo() -> Demo:
    """The ``Demo`` behind :func:`grid_explorer`: hidden size × dropout of ``ch6_grid``."""
    from utils.experiments import ch6_grid

    sizes, rates = ch6_grid.HIDDEN_SIZES, ch6_grid.DROPOUTS
    seeds = len(grid_runs(sizes[0], rates[0]))

    def setup(fig: Figure, hidden_size: int, dropout: float) -> Callable[..., None]:
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.16, top=0.87, wspace=0.35)
        ax_l, ax_m = fig.subplots(1, 2, width_ratios=[1.5, 1])
        base = [ax_l.plot([], [], color="#7f7f7f", lw=0.9, animated=True,
                          label="same size, no dropout" if k == 0 else None)[0]
                for k in range(seeds)]
        lines = [ax_l.plot([], [], color="#1f77b4", lw=1.1, animated=True,
                           label="this cell" if k == 0 else None)[0] for k in range(seeds)]
        ax_l.set(yscale="log", ylim=(3e-3, 3), xlabel="epoch", ylabel="training loss (nats)")
        ax_l.legend(fontsize=7, frameon=False, loc="upper right")
        t_l = ax_l.set_title("", fontsize=8, animated=True)
        test = grid_means("test_accuracy")
        ax_m.imshow(test, cmap="viridis", origin="lower", aspect="auto",
                    vmin=test.min(), vmax=test.max())
        for i in range(len(rates)):
            for j in range(len(sizes)):
                ax_m.text(j, i, f"{test[i, j]:.3f}", ha="center", va="center", fontsize=7,
                          color="white" if test[i, j] < test.mean() else "black")
        ax_m.set(xticks=range(len(sizes)), xticklabels=[str(h) for h in sizes],
                 yticks=range(len(rates)), yticklabels=[f"{d:g}" for d in rates],
                 xlabel="hidden size", ylabel="dropout between layers")
        ax_m.set_title(f"mean test accuracy ({seeds} seeds a cell)", fontsize=8)
        (box,) = ax_m.plot([], [], color="#d62728", lw=2.0, animated=True)

        def update(hidden_size: int, dropout: float) -> None:
            runs, ref = grid_runs(hidden_size, dropout), grid_runs(hidden_size, 0.0)
            for line, r in zip(lines, runs):
                line.set_data(np.arange(1, len(r["losses"]) + 1), r["losses"])
            for line, r in zip(base, ref):
                line.set_data(np.arange(1, len(r["losses"]) + 1), r["losses"])
            j, i = sizes.index(hidden_size), rates.index(dropout)
            box.set_data([j - 0.5, j + 0.5, j + 0.5, j - 0.5, j - 0.5],
                         [i - 0.5, i - 0.5, i + 0.5, i + 0.5, i - 0.5])
            t_l.set_text(f"hidden size {hidden_size}, dropout {dropout:g}: "
                         f"learning curves over {len(runs)} seeds")

        return update

    def render(hidden_size: int, dropout: float) -> str:
        runs = grid_runs(hidden_size, dropout)
        test = np.array([r["test_accuracy"] for r in runs])
        train = np.array([r["train_accuracy"] for r in runs])
        text = (f"Two layers of {hidden_size} units, dropout {dropout:g}: "
                f"{runs[0]['params']:,} parameters. Test accuracy {test.mean():.3f} ± "
                f"{test.std(ddof=1):.3f}, training accuracy {train.mean():.3f} (mean ± sd and "
                f"mean over {len(runs)} seeds).")
        if dropout != 0:
            text += " " + html.escape(grid_verdict(hidden_size, dropout).sentence(3))
        return f"<div class='gru-ge'><p>{text}</p></div>"

    return Demo(controls={"hidden_size": Choice(list(sizes), value=sizes[-1], widget="toggle",
                                                description="hidden size"),
                          "dropout": Choice(list(rates), widget="toggle",
                                            labels=[f"{d:g}" for d in rates],
                                            description="dropout")},
                setup=setup, render=render, css=CSS, figsize=(6.4, 3.0), dpi=72,
                colors=16, quantize="median", budget_bytes=400_000)


def grid_explorer(*, mode: Mode | None = None) -> DemoWidget:
    """Hidden size × dropout of a two-layer GRU → learning curves, accuracies, verdict."""
    return grid_explorer_demo().build(mode)
