"""Chapter 1's trained task: the recall generator, the models with a keep-gate bias, the
committed grid behind the recall explorer (``utils.experiments.ch1``, re-run against the code),
and the demo."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils import experiments
from utils.demos import recall
from utils.experiments import ch1
from utils.tasks import RecallTask, keep_gate_model, recall_problem, recall_run


def test_recall_problem_shows_the_sign_once_then_distractors():
    X, y = recall_problem(7, 64, rng=3, noise=0.5)
    assert X.shape == (7, 64, 1) and y.shape == (64, 1)
    assert X.dtype == y.dtype == torch.float32
    torch.testing.assert_close(X[0, :, 0], y[:, 0])
    assert set(y[:, 0].tolist()) == {-1.0, 1.0}
    assert 0.35 < float(X[1:].std()) < 0.65  # distractors of the requested scale
    X2, y2 = recall_problem(7, 64, rng=3, noise=0.5, as_numpy=True)
    np.testing.assert_array_equal(X2, X.numpy())
    np.testing.assert_array_equal(y2, y.numpy())


def test_recall_problem_validates():
    with pytest.raises(ValueError, match="T must be >= 1"):
        recall_problem(0, 2, rng=0)
    with pytest.raises(ValueError, match="noise"):
        recall_problem(3, 2, rng=0, noise=-1.0)
    with pytest.raises(ValueError, match="noise"):
        RecallTask(5, noise=float("nan"))


def test_recall_task_baseline_is_the_variance_of_the_sign():
    task = RecallTask(10)
    X, y = task.sample(4096, np.random.default_rng(0))
    assert task.baseline == 1.0
    assert float(task.loss(torch.zeros_like(y), y)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        task.loss(torch.zeros(4096), y)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_keep_gate_model_biases_the_gate_that_keeps(kind):
    plain = keep_gate_model(kind, 1, 5, seed=1)
    biased = keep_gate_model(kind, 1, 5, gate_bias=3.0, seed=1)
    diff = (biased.cell.bias_ih_l0 - plain.cell.bias_ih_l0).detach()
    expected = torch.zeros(diff.shape)
    expected[5:10] = 3.0  # z in r|z|n, f in i|f|g|o
    torch.testing.assert_close(diff, expected)
    out = biased(torch.zeros(4, 2, 1))
    assert out.shape == (2, 1)


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_keep_gate_model_orthogonal_start_replaces_only_the_recurrent_blocks(kind):
    plain = keep_gate_model(kind, 1, 6, seed=2)
    orth = keep_gate_model(kind, 1, 6, seed=2, recurrent_init="orthogonal")
    for (name, p), (_, q) in zip(plain.named_parameters(), orth.named_parameters()):
        if name != "cell.weight_hh_l0":
            torch.testing.assert_close(p, q, msg=name)
    W = orth.cell.weight_hh_l0.detach().double()
    assert W.shape[0] == 6 * (1 if kind == "rnn" else 3)
    for block in W.split(6):  # every (H, H) block orthogonal: spectral radius 1
        torch.testing.assert_close(block @ block.T, torch.eye(6, dtype=torch.float64),
                                   atol=1e-6, rtol=0)
    rho_default = torch.linalg.eigvals(plain.cell.weight_hh_l0.detach()[:6].double()).abs()
    assert rho_default.max() < 0.9  # PyTorch's default start is well below radius 1
    with pytest.raises(ValueError, match="recurrent_init"):
        keep_gate_model(kind, 1, 6, recurrent_init="identity")


def test_keep_gate_model_validates():
    with pytest.raises(ValueError, match="no gate"):
        keep_gate_model("rnn", 1, 4, gate_bias=1.0)
    with pytest.raises(ValueError, match="kind"):
        keep_gate_model("mgu", 1, 4)


def test_grid_covers_every_configuration_with_provenance():
    data = experiments.load("ch1")
    prov = data["provenance"]
    for key in ("command", "seeds", "versions", "machine", "date", "wall_time_s"):
        assert key in prov, key
    assert prov["command"].startswith("python -m utils.experiments ch1")
    assert prov["seeds"] == sorted({c["seed"] for c in ch1.CONFIGS})
    assert prov["configs"] == len(ch1.CONFIGS)
    keys = [{k: r[k] for k in ("kind", "T", "gate_bias", "seed")} for r in data["rows"]]
    assert keys == ch1.CONFIGS
    assert all(len(r["eval_loss"]) == ch1.STEPS // ch1.EVAL_EVERY + 1 for r in data["rows"])
    assert recall.recall_results() == tuple(data["rows"])
    assert len(ch1.SEQ_LENS) >= 9 and len(ch1.SEEDS) >= 3
    assert not any(k in ch1.RNN_KINDS and b != 0.0 for k, b in ((c["kind"], c["gate_bias"])
                                                                for c in ch1.CONFIGS))
    assert len(ch1.SEEDS) >= 6  # the headline comparison (issue 20) needs them


def test_committed_grid_matches_a_rerun():
    """One cheap configuration re-trained: the committed numbers come from this code."""
    row = experiments.find(experiments.load("ch1"), kind="gru", T=5, gate_bias=3.0, seed=1)[0]
    fresh = experiments.rerun("ch1", row)
    assert experiments.matches(fresh, row, keys=["eval_steps", "eval_loss"],
                               rtol=1e-3, atol=1e-4) == []


def test_committed_grid_matches_a_rerun_of_the_gru_from_an_orthogonal_start():
    """The control for the RNN's orthogonal start (issue 20): one of its runs re-trained."""
    T = ch1.ORTH_LENS[0]
    row = experiments.find(experiments.load("ch1"), kind="gru_orth", T=T, gate_bias=ch1.B_KEEP,
                           seed=0)[0]
    fresh = experiments.rerun("ch1", row)
    assert experiments.matches(fresh, row, keys=["eval_steps", "eval_loss"],
                               rtol=1e-3, atol=1e-4) == []


def test_recall_run_is_reproducible_and_the_chapter_slice_is_in_the_grid():
    a = recall_run("lstm", 5, gate_bias=3.0, seed=0, steps=20, eval_every=10)
    b = recall_run("lstm", 5, gate_bias=3.0, seed=0, steps=20, eval_every=10)
    assert a.eval_loss == b.eval_loss and a.eval_steps == [0, 10, 20]
    assert 50 in ch1.SEQ_LENS and 3.0 in ch1.GATE_BIASES


def test_what_the_grid_shows():
    """What chapter 1 says about the grid (issue 20, point 1): the default-initialised RNN
    solves none of its runs from T = 50 on; the orthogonal start reaches further; the gated cells at b = 3 solve
    T = 50 in every seed and fail with b = 0; b = 1 is not enough at T = 50."""
    rows = recall.recall_results()

    def finals(kind, T, b=0.0):
        return [r["eval_loss"][-1] for r in rows
                if r["kind"] == kind and r["T"] == T and r["gate_bias"] == b]

    assert all(v > 0.9 for v in finals("rnn", 50))
    assert all(recall.solved(v) for v in finals("rnn", 5))
    assert any(recall.solved(v) for T in (75, 100, 150) for v in finals("rnn_orth", T))
    # the crossover chapter 1 reports per length: the GRU at b = 3 solves more runs than the
    # orthogonal RNN at T = 100, fewer at the longest lengths
    rate = {(kind, T): np.mean([recall.solved(v) for v in finals(kind, T, b)])
            for kind, b in (("gru", 3.0), ("rnn_orth", 0.0)) for T in (100, 150, 200)}
    assert rate["gru", 100] > rate["rnn_orth", 100]
    assert rate["gru", 150] < rate["rnn_orth", 150] and rate["gru", 200] < rate["rnn_orth", 200]
    for kind in ch1.GATED_ORTH_KINDS:  # run where stated, at b = B_KEEP only
        assert {r["T"] for r in rows if r["kind"] == kind} == set(ch1.ORTH_LENS)
        assert {r["gate_bias"] for r in rows if r["kind"] == kind} <= {ch1.B_KEEP}
    for kind in ("gru", "lstm"):
        assert all(recall.solved(v) for v in finals(kind, 50, 3.0))
        assert all(v > 0.9 for v in finals(kind, 50, 0.0))
        assert sum(map(recall.solved, finals(kind, 50, 1.0))) < len(finals(kind, 50, 1.0))


def test_recall_demo_static_build_and_live_extremes():
    widget = recall.recall_explorer("static")
    assert widget.report.frames == len(ch1.SEQ_LENS) * len(ch1.GATE_BIASES)
    assert widget.report.state_bytes <= 900_000, str(widget.report)
    live = recall.recall_explorer("live")
    first = bytes(live.image.value)
    for name, value in [("seq_len", ch1.SEQ_LENS[0]), ("gate_bias", 0.0),
                        ("seq_len", ch1.SEQ_LENS[-1])]:
        live.controls[name].value = value
        assert live.error.value == "", live.error.value
    assert bytes(live.image.value) != first


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_chrono_model_draws_log_uniform_keep_biases(kind):
    """The chrono cells (Tallec & Ollivier 2018, PyTorch's sign): the keep gate's bias in
    [0, ln(T − 1)], its bias_hh zero, the LSTM's input-gate bias its negative; the weights are
    keep_gate_model's for the seed, and the draw is seeded."""
    T, H = 150, ch1.HIDDEN
    model = ch1.chrono_model(kind, T, seed=4)
    plain = keep_gate_model(kind, 1, H, seed=4)
    b_ih, b_hh = model.cell.bias_ih_l0.detach(), model.cell.bias_hh_l0.detach()
    keep = b_ih[H:2 * H]
    assert float(keep.min()) >= 0.0 and float(keep.max()) <= np.log(T - 1) + 1e-6
    assert float(keep.std()) > 0.3  # spread over units, not one constant
    torch.testing.assert_close(b_hh[H:2 * H], torch.zeros(H))
    if kind == "lstm":
        torch.testing.assert_close(b_ih[:H], -keep)
        torch.testing.assert_close(b_hh[:H], torch.zeros(H))
    torch.testing.assert_close(model.cell.weight_hh_l0, plain.cell.weight_hh_l0)
    torch.testing.assert_close(model.cell.bias_ih_l0[2 * H:], plain.cell.bias_ih_l0[2 * H:])
    again = ch1.chrono_model(kind, T, seed=4)
    torch.testing.assert_close(again.cell.bias_ih_l0, model.cell.bias_ih_l0)
    other = ch1.chrono_model(kind, T, seed=5)
    assert not torch.equal(other.cell.bias_ih_l0[H:2 * H], keep)


def test_chrono_configurations_are_where_the_module_says():
    chrono = [c for c in ch1.CONFIGS if c["kind"] in ch1.CHRONO_KINDS]
    assert chrono and all(c["gate_bias"] is None and c["T"] in ch1.CHRONO_LENS for c in chrono)
    seeds = {(c["kind"], c["T"]): sum(1 for d in chrono if (d["kind"], d["T"]) == (c["kind"],
                                                                               c["T"]))
             for c in chrono}
    assert seeds["gru_chrono", ch1.HEADLINE_T] == len(ch1.HEADLINE_SEEDS) >= 24
    for kind in ("rnn_orth", "gru"):  # the chrono GRU's rivals at the long lengths
        b = 0.0 if kind == "rnn_orth" else ch1.B_KEEP
        for T in ch1.MANY_LENS:
            assert sum(1 for c in ch1.CONFIGS if (c["kind"], c["T"], c["gate_bias"])
                       == (kind, T, b)) == len(ch1.MANY_SEEDS) >= 12


def test_committed_grid_matches_a_rerun_of_the_chrono_gru():
    """Drift test for the chrono rows: one of them re-trained from the code."""
    T = ch1.CHRONO_LENS[0]
    row = experiments.find(experiments.load("ch1"), kind="gru_chrono", T=T, seed=0)[0]
    fresh = experiments.rerun("ch1", row)
    assert experiments.matches(fresh, row, keys=["eval_steps", "eval_loss"],
                               rtol=1e-3, atol=1e-4) == []


def test_chrono_gru_reaches_further_than_the_constant_bias():
    """What chapter 1 says (expert rerun of issue 20): at the long lengths the GRU with chrono
    biases solves more runs than the same GRU at constant b = 3, decided by Fisher's exact
    test at the headline length; the constant-bias GRU never solves more runs there."""
    from utils.verdict import compare_rates

    chrono = recall.solved_counts("gru_chrono", None)
    const = recall.solved_counts("gru", ch1.B_KEEP)
    for T in (150, 200):
        assert chrono[T][0] / chrono[T][1] > const[T][0] / const[T][1], T
    v = compare_rates("chrono", *chrono[ch1.HEADLINE_T], "b = 3", *const[ch1.HEADLINE_T])
    assert v.direction == "chrono" and v.p < 0.01


def test_verdict_cell_formats_one_way():
    from utils.verdict import compare_rates

    v = compare_rates("GRU", 2, 24, "RNN", 14, 24)
    cell = recall.rate_cell(v, {"GRU": "GRU", "RNN": "RNN"})
    assert cell.startswith("−") and "-" not in cell and cell.endswith(": RNN")
    assert recall.p_text(1.0) == "p = 1.000" and recall.p_text(1e-5) == "p < 0.001"
    assert recall.p_text(0.0171) == "p = 0.017"
    assert recall.points(0.25) == "+25" and recall.points(-0.004) == "0"
    tie = compare_rates("GRU", 6, 6, "RNN", 6, 6)
    assert recall.rate_cell(tie, {"GRU": "GRU", "RNN": "RNN"}).endswith(": –")
    with pytest.raises(ValueError):
        recall.p_text(1.5)


def test_spans_and_lead_sentences():
    from utils.verdict import compare_rates

    L = [50, 75, 100, 150, 200]
    assert recall.spans([50, 75, 150], L) == "$T$ = 50–75 and $T$ = 150"
    assert recall.spans([], L) == ""
    with pytest.raises(ValueError):
        recall.spans([60], L)
    counts = {50: (6, 6, 6, 6), 75: (6, 6, 6, 6), 100: (11, 12, 7, 12), 150: (2, 24, 14, 24),
              200: (0, 12, 3, 12)}
    v = {T: compare_rates("GRU", a, n, "RNN", b, m) for T, (a, n, b, m) in counts.items()}
    text = recall.lead_sentences("The GRU", v, L, "the RNN")
    assert text.startswith("The GRU solves as many runs as the RNN at $T$ = 50–75.")
    assert "It solves more at $T$ = 100." in text and "It solves fewer at $T$ = 150–200." in text
    assert text.endswith("The seeds decide the lead of the RNN at $T$ = 150.")
    undecided = {T: compare_rates("GRU", 1, 3, "RNN", 2, 3) for T in (50, 75)}
    assert recall.lead_sentences("The GRU", undecided, L, "the RNN").endswith(
        "The seeds decide none of these leads.")
