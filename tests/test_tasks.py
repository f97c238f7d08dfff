"""Tests for utils.tasks: the adding and copy generators, their baselines, the training loop."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from utils.tasks import (
    AddingTask,
    CopyTask,
    History,
    adding_baseline_mse,
    adding_problem,
    copy_baseline_ce,
    copy_task,
    train,
)


class TinyRNN(nn.Module):
    """Test-only model: torch.nn.GRU + linear head, readout "last" (N, O) or "all" (T, N, O)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, readout: str):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size)
        self.head = nn.Linear(hidden_size, output_size)
        self.readout = readout

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(X)  # (T, N, H)
        return self.head(out[-1] if self.readout == "last" else out)


def tiny_model(task, hidden_size: int = 8, seed: int = 0) -> TinyRNN:
    torch.manual_seed(seed)
    return TinyRNN(task.input_size, hidden_size, task.output_size, task.readout)


# --------------------------------------------------------------------------------------------
# Adding problem
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T, N", [(2, 1), (3, 5), (10, 7), (51, 16)])
def test_adding_shapes_and_dtypes(T, N):
    X, y = adding_problem(T, N, rng=0)
    assert isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)
    assert X.shape == (T, N, 2), f"expected X shape {(T, N, 2)}, got {tuple(X.shape)}"
    assert y.shape == (N, 1), f"expected y shape {(N, 1)}, got {tuple(y.shape)}"
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    Xn, yn = adding_problem(T, N, rng=0, as_numpy=True)
    assert isinstance(Xn, np.ndarray) and Xn.dtype == np.float32 and yn.dtype == np.float32
    np.testing.assert_array_equal(Xn, X.numpy())
    np.testing.assert_array_equal(yn, y.numpy())


@pytest.mark.parametrize("T", [2, 3, 4, 9, 100])
def test_adding_marker_invariants(T):
    N = 500
    X, _ = adding_problem(T, N, rng=np.random.default_rng(1), as_numpy=True)
    values, markers = X[..., 0], X[..., 1]
    assert np.all((values >= 0) & (values < 1)), "values must lie in [0, 1)"
    assert set(np.unique(markers)) <= {0.0, 1.0}, f"markers not 0/1: {np.unique(markers)}"
    half = T // 2
    first_half = markers[:half].sum(axis=0)
    second_half = markers[half:].sum(axis=0)
    assert np.all(first_half == 1), f"first-half marker counts: {np.unique(first_half)}"
    assert np.all(second_half == 1), f"second-half marker counts: {np.unique(second_half)}"
    # Every admissible position is used somewhere (positions are not stuck).
    used = np.flatnonzero(markers.sum(axis=1))
    np.testing.assert_array_equal(used, np.arange(T))


def test_adding_target_recomputed():
    X, y = adding_problem(37, 256, rng=3, as_numpy=True)
    expected = (X[..., 0].astype(np.float64) * X[..., 1]).sum(axis=0)  # (N,)
    got = y[:, 0].astype(np.float64)
    err = np.abs(got - expected).max()
    assert err < 1e-6, f"target differs from sum of marked values by up to {err:.3g}"


@pytest.mark.parametrize(
    "make, T, N, seed, varies",  # varies: the item that must change with the seed
    [(adding_problem, 20, 8, 5, 0), (copy_task, 10, 4, 9, 1)],
    ids=["adding", "copy"],
)
def test_task_deterministic(make, T, N, seed, varies):
    a = make(T, N, rng=seed)
    b = make(T, N, rng=np.random.default_rng(seed))
    c = make(T, N, rng=seed + 1)
    for u, v in zip(a, b, strict=True):
        torch.testing.assert_close(u, v, rtol=0, atol=0)
    assert not torch.equal(a[varies], c[varies]), "different seeds gave the same batch"


def test_adding_baseline_formula():
    # Var(U) = 1/12 for U ~ U[0, 1); the two marked values are independent.
    assert Fraction(adding_baseline_mse()).limit_denominator(1000) == 2 * Fraction(1, 12)
    assert adding_baseline_mse() == pytest.approx(1 / 6, abs=1e-15)
    assert AddingTask(10).baseline == adding_baseline_mse()


def test_adding_baseline_empirical():
    # Constant-1 predictor on a large seeded sample. (S - 1) is triangular on [-1, 1]:
    # Var((S - 1)^2) = E[(S - 1)^4] - (1/6)^2 = 1/15 - 1/36 = 7/180, so the standard error of
    # the sample MSE is sqrt(7/180 / N); allow 5 of them.
    task, N = AddingTask(20), 200_000
    X, y = task.sample(N, np.random.default_rng(2026))
    mse = task.loss(torch.ones(N, 1), y).item()
    tol = 5 * math.sqrt(7 / 180 / N)
    assert abs(mse - adding_baseline_mse()) < tol, (
        f"empirical constant-1 MSE {mse:.5f}, expected {adding_baseline_mse():.5f} ± {tol:.5f}"
    )


# --------------------------------------------------------------------------------------------
# Copy task
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T, N", [(1, 1), (5, 3), (50, 8)])
def test_copy_shapes_and_dtypes(T, N):
    L = T + 20
    X, y = copy_task(T, N, rng=0)
    assert X.shape == (L, N, 10), f"expected one-hot X shape {(L, N, 10)}, got {tuple(X.shape)}"
    assert X.dtype == torch.float32
    assert y.shape == (L, N) and y.dtype == torch.int64
    Xi, yi = copy_task(T, N, rng=0, one_hot=False)
    assert Xi.shape == (L, N) and Xi.dtype == torch.int64
    torch.testing.assert_close(X.argmax(dim=-1), Xi, rtol=0, atol=0)
    torch.testing.assert_close(X.sum(dim=-1), torch.ones(L, N), rtol=0, atol=0)
    torch.testing.assert_close(yi, y, rtol=0, atol=0)
    Xn, yn = copy_task(T, N, rng=0, one_hot=False, as_numpy=True)
    np.testing.assert_array_equal(Xn, Xi.numpy())
    np.testing.assert_array_equal(yn, y.numpy())


@pytest.mark.parametrize("T", [1, 2, 7, 30])
def test_copy_layout_and_target_recomputed(T):
    N = 64
    x, y = copy_task(T, N, rng=np.random.default_rng(4), one_hot=False, as_numpy=True)
    symbols = x[:10]
    assert np.all((symbols >= 1) & (symbols <= 8)), "first 10 inputs must be symbols 1..8"
    assert set(np.unique(symbols)) == set(range(1, 9)), "all 8 symbols should occur"
    assert np.all(x[10 : 10 + T - 1] == 0), "T - 1 blanks expected after the symbols"
    assert np.all(x[10 + T - 1] == 9), f"delimiter 9 expected at step {10 + T - 1}"
    assert np.all(x[10 + T :] == 0), "10 blanks expected after the delimiter"
    assert np.all(np.isin(x, np.arange(10)))
    # Independent recomputation of the target from the input.
    expected = np.zeros_like(x)
    expected[T + 10 :] = x[:10]
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("T", [1, 10, 100, 1000])
def test_copy_baseline_formula(T):
    assert copy_baseline_ce(T) == pytest.approx(10 * math.log(8) / (T + 20), rel=1e-15)
    assert CopyTask(T).baseline == copy_baseline_ce(T)


@pytest.mark.parametrize("T", [1, 10, 100])
def test_copy_baseline_empirical(T):
    # Memoryless predictor: blank with probability 1 until the last 10 steps, then uniform
    # over the 8 symbols. Scored by the task's own loss, it must give the formula.
    task, N = CopyTask(T), 128
    _, y = task.sample(N, np.random.default_rng(T))
    logits = torch.full((T + 20, N, 10), -math.inf, dtype=torch.float64)
    logits[: T + 10, :, 0] = 0.0
    logits[T + 10 :, :, 1:9] = 0.0
    ce = task.loss(logits, y).item()
    assert ce == pytest.approx(copy_baseline_ce(T), rel=1e-12), (
        f"memoryless CE {ce:.6f}, expected {copy_baseline_ce(T):.6f}"
    )
    # A model that knows nothing at all (uniform over 10 classes) does worse: ln 10 per step.
    ce_uniform = task.loss(torch.zeros(T + 20, N, 10, dtype=torch.float64), y).item()
    assert ce_uniform == pytest.approx(math.log(10), rel=1e-12)
    assert ce_uniform > copy_baseline_ce(T)


def test_copy_accuracy():
    task = CopyTask(3)
    _, y = task.sample(16, 0)
    perfect = torch.nn.functional.one_hot(y, 10).double()
    assert task.accuracy(perfect, y) == 1.0
    wrong = torch.nn.functional.one_hot(torch.full_like(y, 9), 10).double()
    assert task.accuracy(wrong, y) == 0.0


# --------------------------------------------------------------------------------------------
# Argument errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: adding_problem(1, 4, rng=0), ValueError, "T must be >= 2, got 1"),
        (lambda: adding_problem(10, 0, rng=0), ValueError, "N must be >= 1, got 0"),
        (lambda: adding_problem(10.0, 4, rng=0), TypeError, "T must be an int"),
        (lambda: adding_problem(10, 4, rng="seed"), TypeError, "np.random.Generator"),
        (lambda: copy_task(0, 4, rng=0), ValueError, "T must be >= 1, got 0"),
        (lambda: copy_task(5, -1, rng=0), ValueError, "N must be >= 1, got -1"),
        (lambda: copy_baseline_ce(0), ValueError, "T must be >= 1"),
        (lambda: AddingTask(1), ValueError, "T must be >= 2"),
        (lambda: CopyTask(0), ValueError, "T must be >= 1"),
    ],
)
def test_generator_argument_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_loss_shape_errors_name_expected_and_actual():
    adding = AddingTask(5)
    _, y = adding.sample(4, 0)
    msg = r"expected model output of shape \(4, 1\).*got \(5, 4, 1\)"
    with pytest.raises(ValueError, match=msg):
        adding.loss(torch.zeros(5, 4, 1), y)
    copy = CopyTask(2)
    _, y = copy.sample(3, 0)
    with pytest.raises(ValueError, match=r"shape \(22, 3, 10\).*got \(3, 10\)"):
        copy.loss(torch.zeros(3, 10), y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(steps=0, batch_size=4), "steps must be >= 1"),
        (dict(steps=2, batch_size=0), "batch_size must be >= 1"),
        (dict(steps=2, batch_size=4, lr=0), "lr must be a positive number"),
        (dict(steps=2, batch_size=4, clip=-1.0), "clip must be"),
        (dict(steps=2, batch_size=4, optimizer="lbfgs"), "optimizer must be one of"),
        (dict(steps=2, batch_size=4, eval_every=0), "eval_every must be >= 1"),
    ],
)
def test_train_argument_errors(kwargs, match):
    task = AddingTask(4)
    with pytest.raises(ValueError, match=match):
        train(tiny_model(task), task, progress=False, **kwargs)


# --------------------------------------------------------------------------------------------
# Training loop
# --------------------------------------------------------------------------------------------


def test_train_history_layout():
    task = AddingTask(6)
    h = train(tiny_model(task), task, steps=10, batch_size=4, eval_every=4, progress=False,
              eval_size=16)
    assert isinstance(h, History)
    assert len(h.loss) == 10 and all(math.isfinite(v) for v in h.loss)
    assert h.eval_steps == [0, 4, 8, 10]
    assert len(h.eval_loss) == 4
    assert h.baseline == adding_baseline_mse()
    assert h.task == "adding(T=6)" and h.seconds > 0
    assert h.loss_name == "mean squared error"


@pytest.mark.parametrize("task", [AddingTask(8), CopyTask(3)], ids=["adding", "copy"])
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_train_deterministic(task, optimizer):
    kw = dict(steps=15, batch_size=8, seed=3, optimizer=optimizer, eval_every=5,
              progress=False, eval_size=32)
    h1 = train(tiny_model(task), task, **kw)
    h2 = train(tiny_model(task), task, **kw)
    assert h1.loss == h2.loss, "same seed and init gave different training losses"
    assert h1.eval_loss == h2.eval_loss
    h3 = train(tiny_model(task), task, **{**kw, "seed": 4})
    assert h3.loss != h1.loss, "a different seed should give different batches"
    # The validation batch depends on the seed only, not on the model: same step-0 loss
    # for the same init and seed.
    assert h1.eval_loss[0] == h2.eval_loss[0]


@pytest.mark.parametrize(
    "progress, ci, mode, expected",
    [(True, None, None, None), (True, "true", None, True), (True, "false", None, None),
     (False, None, None, True), (True, None, "static", True), (True, None, "live", None)],
)
def test_train_progress_bar_disabling(progress, ci, mode, expected, monkeypatch):
    # disable=None lets tqdm show the bar in Jupyter and on a terminal, hide it elsewhere.
    import tqdm.auto

    seen = {}
    real = tqdm.auto.tqdm

    def recording_tqdm(*args, **kwargs):
        seen["disable"] = kwargs.get("disable")
        return real(*args, **{**kwargs, "disable": True})

    monkeypatch.setattr(tqdm.auto, "tqdm", recording_tqdm)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    if mode is None:
        monkeypatch.delenv("GRU_DEMO_MODE", raising=False)
    else:
        monkeypatch.setenv("GRU_DEMO_MODE", mode)
    task = AddingTask(4)
    h = train(tiny_model(task), task, steps=3, batch_size=2, progress=progress, eval_size=4)
    assert len(h.loss) == 3
    assert seen == {"disable": expected}, f"expected tqdm(disable={expected}), got {seen}"


def test_train_restores_thread_count():
    task = AddingTask(4)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train(tiny_model(task), task, steps=2, batch_size=2, progress=False, eval_size=4,
              num_threads=1)
        assert torch.get_num_threads() == 2, "train did not restore the thread count"
    finally:
        torch.set_num_threads(before)


def test_train_validation_batch_is_independent_of_training_batches():
    # The validation batch comes from its own seeded stream: its size does not change the
    # training batches, and the batch size does not change the validation batch.
    task = AddingTask(6)
    kw = dict(steps=5, progress=False, seed=2)
    a = train(tiny_model(task), task, batch_size=4, eval_size=8, **kw)
    b = train(tiny_model(task), task, batch_size=4, eval_size=16, **kw)
    c = train(tiny_model(task), task, batch_size=7, eval_size=8, **kw)
    assert a.loss == b.loss, "eval_size changed the training batches"
    assert a.eval_loss[0] == c.eval_loss[0], "batch_size changed the validation batch"
    assert a.eval_loss[0] != b.eval_loss[0]


def test_train_restores_global_torch_rng():
    task = AddingTask(4)
    model = tiny_model(task)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(model, task, steps=3, batch_size=2, progress=False, eval_size=4)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def test_train_clips_gradient_norm():
    # With SGD and clip c, one step moves the parameters by at most lr * c in L2 norm.
    task = AddingTask(5)
    model = tiny_model(task)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    train(model, task, steps=1, batch_size=16, lr=1.0, clip=1e-3, optimizer="sgd",
          progress=False, eval_size=4)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    moved = (after - before).norm().item()
    assert 0 < moved <= 1e-3 * (1 + 1e-5), f"step of norm {moved:.3g} with clip 1e-3, lr 1"


def test_train_learns_adding_problem():
    # A tiny GRU on a short adding problem must beat the constant-1 baseline clearly.
    task = AddingTask(10)
    h = train(tiny_model(task, hidden_size=16), task, steps=200, batch_size=32, lr=1e-2,
              seed=0, progress=False, eval_size=256)
    assert h.final_eval_loss < 0.25 * h.baseline, (
        f"validation MSE {h.final_eval_loss:.4f} after 200 steps, "
        f"expected < 0.25 x baseline {h.baseline:.4f}"
    )
    assert h.eval_loss[0] > 0.5 * h.baseline, "the untrained model should not already be good"


def test_train_copy_task_reduces_loss():
    # Copy task, readout "all": the loop must drive the loss from ln 10 towards the baseline.
    task = CopyTask(2)
    h = train(tiny_model(task, hidden_size=16), task, steps=80, batch_size=32, lr=2e-2,
              seed=0, progress=False, eval_size=128)
    assert h.eval_loss[0] > 2.0, f"untrained CE {h.eval_loss[0]:.3f}, expected about ln 10"
    assert h.final_eval_loss < 1.2 * h.baseline, (
        f"validation CE {h.final_eval_loss:.4f}, expected < 1.2 x baseline {h.baseline:.4f}"
    )


def course_model(task, kind: str = "gru", hidden_size: int = 16, seed: int = 0) -> nn.Module:
    from utils.torch_cells import SequenceModel

    return SequenceModel(kind, task.input_size, hidden_size, task.output_size,
                         readout=task.readout, generator=torch.Generator().manual_seed(seed))


def test_train_course_sequence_model_learns_and_is_deterministic():
    # The model the chapters use: utils.torch_cells.SequenceModel with the course's GRU cell.
    task = AddingTask(10)
    kw = dict(steps=200, batch_size=32, lr=1e-2, seed=0, progress=False, eval_size=256)
    h1 = train(course_model(task), task, **kw)
    assert h1.final_eval_loss < 0.25 * h1.baseline, (
        f"SequenceModel('gru'): validation MSE {h1.final_eval_loss:.4f}, "
        f"expected < 0.25 x baseline {h1.baseline:.4f}"
    )
    h2 = train(course_model(task), task, **{**kw, "steps": 20})
    assert h2.loss == h1.loss[:20], "same seed and init should give the same first 20 losses"


@pytest.mark.parametrize("kind", ["rnn", "lstm", "torch-gru"])
def test_train_accepts_every_sequence_model_readout_all(kind):
    task = CopyTask(2)
    h = train(course_model(task, kind, hidden_size=8), task, steps=3, batch_size=4,
              progress=False, eval_size=8)
    assert len(h.loss) == 3 and all(math.isfinite(v) for v in h.loss)


def test_history_plot_draws_train_validation_and_baseline():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = History(task="adding(T=5)", loss=[0.3, 0.2, 0.1], eval_steps=[0, 3],
                eval_loss=[0.4, 0.1], baseline=1 / 6)
    ax = h.plot()
    try:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"train", "validation", "baseline"}
        np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(lines["validation"].get_ydata(), [0.4, 0.1])
        assert lines["baseline"].get_ydata()[0] == pytest.approx(1 / 6)
        assert ax.get_title() == "adding(T=5)" and ax.get_xlabel() == "training step"
        assert ax.get_ylabel() == "loss"  # History built by hand: no task to name the loss
        copy = train(tiny_model(CopyTask(2)), CopyTask(2), steps=2, batch_size=2,
                     progress=False, eval_size=4)
        ax_copy = copy.plot()
        assert ax_copy.get_ylabel() == "cross-entropy (nats per step)"
        plt.close(ax_copy.figure)
    finally:
        plt.close(ax.figure)
