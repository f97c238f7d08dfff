"""utils.checks.ch6: the references against torch.nn.GRU, pack_padded_sequence and the chapter's
own modules; every prediction's answer measured; every known mistake named; honest answers in
other forms earn every point; the master scores full marks and its untouched stubs zero."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from notebooks import master_solutions  # tests/notebooks.py
from utils.checks import Prediction, ch6, check, get_question, items, questions
from utils.checks.core import Outcome, _to_plain, set_hidden_seed
from utils.padding import mask, pad

ROOT = Path(__file__).resolve().parents[1]
QS = {q.name: q for q in questions("ch6_exercises")}
ITEMS = items("ch6_exercises")
LEVELS = ("public", "hidden")


def test_registered_in_the_notebooks_order():
    assert [q.name for q in ITEMS] == ["p6_1", "q6_1", "p6_2", "q6_2", "p6_3", "q6_3",
                                       "p6_4", "q6_4", "p6_5", "q6_5"]


def _torch_bidirectional(T: int, lengths: np.ndarray, H_in: int, H: int, seed: int):
    """A bidirectional torch.nn.GRU on a packed, right-padded batch: (output, h_n) as NumPy."""
    torch.manual_seed(seed)
    gru = torch.nn.GRU(H_in, H, bidirectional=True).double()
    rng = np.random.default_rng(seed)
    X = torch.from_numpy(pad([rng.normal(size=(int(L), H_in)) for L in lengths], T=T))
    out, h_n = gru(pack_padded_sequence(X, torch.from_numpy(lengths), enforce_sorted=False))
    output, _ = pad_packed_sequence(out, total_length=T)
    return output.detach().numpy(), h_n.detach().numpy()


# ------------------------------------------------------------------------- references


@pytest.mark.parametrize("level", LEVELS)
def test_masked_mean_is_the_mean_over_the_chapters_mask(level):
    for probe in QS["q6_1"].probes(level):
        ell, L = probe.args["losses"], probe.args["lengths"]
        M = mask(L, ell.shape[0])  # utils.padding: 1 on real frames of a right-padded batch
        got = ch6.masked_mean_loss(ell, L)
        assert got.shape == () and np.isclose(got, (M * ell).sum() / M.sum(), rtol=1e-14)
        frames = np.concatenate([ell[:int(n), i] for i, n in enumerate(L)])
        assert np.isclose(got, frames.mean(), rtol=1e-14)


def _stacked_bigru(L: int, N: int, H: int, seed: int, T: int = 5):
    """A stacked bidirectional torch.nn.GRU on an unpadded batch: (gru, X, output, h_n)."""
    torch.manual_seed(seed)
    gru = torch.nn.GRU(3, H, num_layers=L, bidirectional=True).double()
    X = torch.randn(T, N, 3, dtype=torch.float64)
    with torch.no_grad():
        output, h_n = gru(X)
    return gru, X, output.numpy(), h_n.numpy()


@pytest.mark.parametrize("level", LEVELS)
def test_hn_layout_is_torchs(level):
    for k, probe in enumerate(QS["q6_2"].probes(level)):
        two_L, N, H = probe.args["h_n"].shape
        L = two_L // 2
        _, _, output, h_n = _stacked_bigru(L, N, H, seed=k)
        got = ch6.hn_by_layer(h_n)
        assert got.shape == (L, N, 2 * H)
        # the top layer: its forward half finishes at the last step, its backward at the first
        np.testing.assert_allclose(got[-1, :, :H], output[-1, :, :H], rtol=0, atol=1e-14)
        np.testing.assert_allclose(got[-1, :, H:], output[0, :, H:], rtol=0, atol=1e-14)
        # every layer: torch's documented view(num_layers, num_directions, N, H)
        view = torch.from_numpy(h_n).view(L, 2, N, H).numpy()
        np.testing.assert_array_equal(got, np.concatenate([view[:, 0], view[:, 1]], axis=2))


@pytest.mark.parametrize("level", LEVELS)
def test_forecast_windows_are_the_forecasters_windows_of_the_training_part(level):
    from utils.forecast import holdout
    from utils.gru_forecast import windows

    for probe in QS["q6_5"].probes(level):
        y, h, W = probe.args["y"], int(probe.args["horizon"]), int(probe.args["window"])
        train, _ = holdout(y, h)
        inputs, targets = ch6.forecast_windows(y, h, W)
        X, nxt = windows((train - train.mean()) / train.std(), W)  # (W, N, 1), (N,) float32
        np.testing.assert_allclose(inputs, X[..., 0].numpy().T.astype(np.float64), atol=1e-5)
        np.testing.assert_allclose(targets, nxt.numpy(), atol=1e-5)
        # nothing after the cut matters: change the horizon and the answer stays
        y2 = y.copy()
        y2[-h:] = 1e6
        for a, b in zip(ch6.forecast_windows(y2, h, W), (inputs, targets)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("level", LEVELS)
def test_left_to_right_is_the_right_padded_batch_and_packs_every_frame(level):
    for probe in QS["q6_3"].probes(level):
        X, L = probe.args["X"], probe.args["lengths"]
        T = X.shape[0]
        seqs = [X[T - int(n):, i] for i, n in enumerate(L)]
        got = ch6.left_to_right(X, L)
        np.testing.assert_array_equal(got, pad(seqs, side="right", T=T))
        packed = pack_padded_sequence(torch.from_numpy(got), torch.from_numpy(L),
                                      enforce_sorted=False)
        np.testing.assert_array_equal(np.sort(packed.data.numpy(), axis=None),
                                      np.sort(np.concatenate(seqs), axis=None))


@pytest.mark.parametrize("seed", range(4))
def test_bidirectional_summary_is_h_n_of_torchs_packed_run(seed):
    rng = np.random.default_rng(seed)
    T, H = int(rng.integers(4, 12)), int(rng.integers(1, 5))
    L = ch6._lengths(rng, int(rng.integers(2, 5)), T)
    output, h_n = _torch_bidirectional(T, L, 3, H, seed)
    np.testing.assert_allclose(ch6.bidirectional_summary(output, L),
                               np.concatenate([h_n[0], h_n[1]], axis=1), rtol=1e-12, atol=1e-14)
    # the probes have the structure of such an output: zeros exactly past each length
    for probe in QS["q6_4"].probes("public"):
        out, lengths = probe.args["output"], probe.args["lengths"]
        assert all((out[int(n):, i] == 0).all() and (out[:int(n), i] != 0).all()
                   for i, n in enumerate(lengths))


# ------------------------------------------------------------- the predictions, measured


def test_p6_1_a_frames_weight_in_the_mean_of_means_is_measured():
    """d(loss)/d(loss of one frame) is each frame's weight; the ratio is the answer."""
    ell = torch.ones(29, 2, dtype=torch.float64, requires_grad=True)
    L = np.array([7, 29])
    M = torch.from_numpy(mask(L))
    ((M * ell).sum(0) / torch.from_numpy(L)).mean().backward()
    ratio = float(ell.grad[0, 0] / ell.grad[0, 1])
    assert ratio == pytest.approx(get_question("p6_1").answer, rel=1e-12)


@pytest.mark.parametrize("value, right", [(4, True), (4.14, True), (29 / 7, True),
                                          (3.5, False), (7 / 29, False), (1, False)])
def test_p6_1_accepts_the_rounded_ratio(value, right):
    """29/7 ≈ 4.1: a learner who predicts "about 4 times" has reasoned right."""
    v = check("p6_1", value)
    assert (v.status == "correct") == right, v.message


def test_p6_2_the_row_is_measured_on_torchs_models():
    """Row 3 of a three-layer model's h_n is the backward output, at step 0, of the same
    model cut to its first two layers: the second layer's backward state."""
    gru, X, _, h_n = _stacked_bigru(3, 2, 4, seed=0)
    two = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    two.load_state_dict({k: v for k, v in gru.state_dict().items()
                         if not k.split("_l")[1].startswith("2")})
    with torch.no_grad():
        out_two, _ = two(X)
    row = next(k for k in range(6) if np.allclose(h_n[k], out_two[0, :, 4:].numpy(),
                                                    rtol=0, atol=1e-14))
    assert get_question("p6_2").answer == f"h_n[{row}]" == "h_n[3]"


def test_p6_3_the_window_count_is_the_earliest_origins():
    from utils.experiments.ch6_forecast import GRU, HORIZON, ORIGINS_BACK
    from utils.realdata import sunspots

    years, y = sunspots()
    back = max(ORIGINS_BACK)  # the earliest origin
    assert len(y) == 309 and years[-1] == 2008 and years[len(y) - back] == 1954
    assert HORIZON == 11 and GRU["window"] == 22
    seen = y[:len(y) - back + HORIZON]  # up to 1964: the rest of the series cannot matter
    inputs, targets = ch6.forecast_windows(seen, HORIZON, GRU["window"])
    assert len(inputs) == len(targets) == get_question("p6_5").answer
    # the chapter's own count (the last origin's) is a named wrong answer, not this one
    assert 309 - 11 - 22 in [m.answer for m in get_question("p6_5").mistakes]


def test_p6_4_packing_a_left_padded_column_feeds_zeros_then_the_start():
    frames = np.arange(1, 21, dtype=np.float64)[:, None]  # an utterance of 20 frames
    longest = np.full((29, 1), 100.0)
    X = torch.from_numpy(pad([longest, frames], side="left"))  # (29, 2, 1)
    packed = pack_padded_sequence(X, torch.tensor([29, 20]), enforce_sorted=False)
    read, _ = pad_packed_sequence(packed)
    fed = read[:20, 1, 0].numpy()
    np.testing.assert_array_equal(fed, np.r_[np.zeros(9), np.arange(1, 12)])
    assert get_question("p6_3").answer == "9 zeros, then its first 11 frames"


def test_p6_5_pad_packed_sequence_puts_zeros_past_each_length():
    output, _ = _torch_bidirectional(6, np.array([6, 3]), 2, 2, seed=0)
    assert (output[-1, 1] == 0).all() and (output[-1, 0] != 0).all()
    assert get_question("p6_4").answer == "zeros"


# ------------------------------------------------------------------------- the mistakes


def outcomes_of(fn, probes):
    out = []
    for probe in probes:
        try:
            result = fn(**probe.args)
        except Exception as exc:
            out.append(Outcome("error", detail=f"{type(exc).__name__}: {exc}"))
            continue
        out.append(_to_plain(result))
    return out


@pytest.mark.parametrize("name", sorted(QS))
def test_every_known_mistake_gets_its_message(name):
    q = QS[name]
    assert len(q.mistakes) >= 4
    for mistake in q.mistakes:
        v = q.diagnose("public", outcomes_of(mistake.fn, q.probes("public")))
        assert v.points == 0 and mistake.message in v.message, (mistake.message, v.message)


@pytest.mark.parametrize("seed", range(40))
def test_the_hidden_probes_separate_every_mistake_on_every_run(seed):
    """Each known mistake differs from the answer and from every other mistake on some probe
    of the run (so no mistake scores, and its learner reads its own message)."""
    from utils.checks.core import close

    def same(a, b):
        a, b = (x if isinstance(x, tuple) else (x,) for x in (a, b))
        return len(a) == len(b) and all(close(np.asarray(u, np.float64), np.asarray(w))
                                        for u, w in zip(a, b))

    set_hidden_seed(seed)
    try:
        for q in QS.values():
            probes = q.probes("hidden")
            fns = [q.reference, *(m.fn for m in q.mistakes)]
            outs = [[fn(**p.args) for p in probes] for fn in fns]
            for j in range(len(fns)):
                for k in range(j):
                    assert not all(same(a, b) for a, b in zip(outs[j], outs[k])), (q.name, j, k)
    finally:
        set_hidden_seed(None)


def test_every_known_wrong_prediction_gets_its_message():
    for p in (q for q in ITEMS if isinstance(q, Prediction)):
        assert p.mistakes and p.reveals in QS
        for wrong in p.mistakes:
            v = check(p.name, wrong.answer)
            assert v.points == 0 and wrong.message in v.message and "Why: " in v.message


def test_a_wrong_shape_names_the_expected_shape():
    def transposed(y, horizon, window):
        inputs, targets = honest_windows(y, horizon, window)
        return inputs.T.copy(), targets

    v = check("q6_5", transposed)
    assert v.points == 0 and "expected `inputs` of shape (29, 5)" in v.message, v.message

    def flat(output, lengths):
        return honest_summary(output, lengths).reshape(-1)

    v = check("q6_4", flat)
    assert v.points == 0 and "of shape (2, 2)" in v.message, v.message


def test_a_wrong_shape_in_q6_2_names_the_expected_one():
    v = check("q6_2", lambda h_n: h_n[-2:])  # the top layer's rows, not laid out
    assert v.points == 0 and "Wrong shape" in v.message, v.message
    v = check("q6_2", lambda h_n: "states")
    assert v.points == 0 and v.status == "incorrect", v.message


# ------------------------------------------------------------------- master and stubs


@pytest.fixture(scope="module")
def solutions() -> dict:
    return master_solutions(ROOT / "solutions" / "ch6_exercises.ipynb")


@pytest.mark.parametrize("name", sorted(QS))
def test_master_solution_earns_every_point(solutions, name):
    v = check(name, solutions[QS[name].func_name], "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


def test_master_predictions_are_the_answers():
    nb = nbformat.read(ROOT / "solutions" / "ch6_exercises.ipynb", as_version=4)
    for p in (q for q in ITEMS if isinstance(q, Prediction)):
        [src] = [c.source for c in nb.cells if c.source.startswith(f"{p.var_name} = ")]
        ns: dict = {}
        exec(src, ns)  # noqa: S102 (our own master)
        v = check(p.name, ns[p.var_name])
        assert v.status == "correct", v.message


def test_untouched_stubs_score_zero_as_not_attempted():
    nb = nbformat.read(ROOT / "exercises" / "ch6_exercises.ipynb", as_version=4)
    answers = [c.source for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(ITEMS)
    for src, q in zip(answers, ITEMS):
        ns: dict = {"np": np}
        exec(compile(src, "<stub>", "exec"), ns)  # noqa: S102 (our own stub)
        if isinstance(q, Prediction):
            v = check(q.name, ns[q.var_name])
        else:
            v = check(q.name, ns[q.func_name], "all")
            assert "raise NotImplementedError" in src and f"Exercise 6.{q.name[-1]}:" in src
        assert v.status == "not attempted" and v.points == 0, v.message


def test_the_master_example_matches_torchs_h_n(solutions):
    """The statement of 6.5 says the example's summary equals h_n's two directions."""
    nb = nbformat.read(ROOT / "solutions" / "ch6_exercises.ipynb", as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "rng = np.random.default_rng" in cell.source:
            exec("import numpy as np\nimport torch\nfrom torch.nn.utils.rnn import "  # noqa: S102
                 "pack_padded_sequence, pad_packed_sequence\n" + cell.source, ns)
    summary = solutions["bidirectional_summary"](ns["output"], ns["lengths"])
    np.testing.assert_allclose(summary, np.concatenate([ns["h_n"][0], ns["h_n"][1]], axis=1),
                               atol=1e-12)


# ---------------------------------------------------------------------- honest answers


def honest_loss(losses, lengths):
    total, count = 0.0, 0
    for i, L in enumerate(lengths):
        total += float(losses[:int(L), i].sum())
        count += int(L)
    return total / count


def honest_loss_with_the_courses_mask(losses, lengths):
    M = mask(lengths, losses.shape[0])  # a course module, used to build part of the answer
    return float((M * losses).sum() / M.sum())


def honest_hn(h_n):
    """Another honest form: the rows picked by index, then stacked."""
    L = h_n.shape[0] // 2
    return np.stack([np.hstack([h_n[2 * k], h_n[2 * k + 1]]) for k in range(L)])


def honest_windows(y, horizon, window):
    train = y[:-int(horizon)]
    u = (train - np.mean(train)) / np.sqrt(np.mean((train - np.mean(train)) ** 2))
    view = np.lib.stride_tricks.sliding_window_view(u, int(window))[:-1]
    return view.copy(), u[int(window):].copy()


def honest_align(X, lengths):
    out = X.copy()
    for i, L in enumerate(lengths):
        out[:, i] = np.roll(X[:, i], -(X.shape[0] - int(L)), axis=0)  # zeros wrap to the end
    return out


def honest_summary(output, lengths):
    H = output.shape[-1] // 2
    return np.stack([np.r_[output[int(L) - 1, i, :H], output[0, i, H:]]
                     for i, L in enumerate(lengths)])


@pytest.mark.parametrize("name, fn", [
    ("q6_1", honest_loss), ("q6_1", honest_loss_with_the_courses_mask),
    ("q6_2", honest_hn), ("q6_5", honest_windows), ("q6_3", honest_align),
    ("q6_4", honest_summary)])
def test_honest_alternatives_earn_every_point(name, fn):
    v = check(name, fn, "all")
    assert v.status == "correct" and v.points == v.max_points, v.message


def test_returning_the_courses_reference_is_flagged():
    """Returning the output of a course reference as the answer costs the points (comparing
    with it while debugging does not: honest_loss_with_the_courses_mask above)."""
    def from_reference(output, lengths):
        return ch6.bidirectional_summary(output, lengths)

    v = check("q6_4", from_reference)
    assert v.points == 0 and "reference implementation" in v.message, v.message
