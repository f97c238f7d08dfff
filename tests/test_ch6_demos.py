"""utils.demos.ch6: the utterance explorer and the training explorer, live and static, and
the committed runs behind them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.demos import ch6
from utils.experiments import ch6_reader, load
from utils.gru_reading import numpy_cell, utterance_gates
from utils.seq_classifier import padded_batch, vowels_task
from utils.widgets import DemoWidget


def test_controls_have_at_least_nine_positions():
    assert len(ch6.UTTERANCES) >= 9 and len(ch6.SETUPS) >= 9
    demo = ch6.utterance_explorer_demo()
    assert demo.shape == (9, len(ch6.UTTERANCES))


def test_the_reader_is_the_committed_run_and_the_practice_grids_first_seed():
    model, record = ch6.trained_reader(0)
    practice = next(r for r in load("ch6_practice")["rows"]
                    if r["variant"] == "plain" and r["seed"] == 0)
    assert record["test_accuracy"] == practice["test_accuracy"]
    assert record["losses"] == practice["losses"]
    _, (test_x, test_y) = vowels_task()
    with torch.no_grad():
        predicted = model(*padded_batch(test_x, "packed")).argmax(dim=1).numpy()
    assert np.mean(predicted == test_y) == pytest.approx(record["test_accuracy"], abs=1e-6)
    with pytest.raises(ValueError, match="no committed reader for seed 5"):
        ch6.trained_reader(5)


def test_reader_drift_one_epoch_reproduces_the_start_of_the_committed_curve():
    """The committed weights come from the code: a fresh run's first epochs match."""
    from utils.seq_classifier import fit_classifier

    train, test = vowels_task()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    fresh = fit_classifier(ch6_reader.build(), train, test, seed=0, epochs=2)
    committed = load("ch6_reader")["rows"][0]["losses"][:2]
    assert fresh["losses"] == pytest.approx(committed, abs=2e-6)


def test_running_probabilities_end_at_the_models_answer():
    model, _ = ch6.trained_reader(0)
    _, (test_x, _) = vowels_task()
    x = test_x[0].astype(np.float64)
    gates = utterance_gates(numpy_cell(model), x)
    p = ch6.running_probabilities(model, gates["h"])
    assert p.shape == (len(x), 9) and np.allclose(p.sum(axis=1), 1)
    with torch.no_grad():
        logits = model(*padded_batch([test_x[0]], "packed"))[0].double().numpy()
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert np.allclose(p[-1], expected, atol=1e-5)
    with pytest.raises(ValueError, match=r"expected h of shape \(L, 32\)"):
        ch6.running_probabilities(model, gates["h"][:, :5])


@pytest.mark.parametrize("speaker", [1, 9])
@pytest.mark.parametrize("utterance", [min(ch6.UTTERANCES), max(ch6.UTTERANCES)])
def test_utterance_explorer_is_safe_at_the_ends(speaker, utterance):
    demo = ch6.utterance_explorer_demo()
    assert demo.png(speaker=speaker, utterance=utterance)[:4] == b"\x89PNG"
    text = demo.html(speaker=speaker, utterance=utterance)
    assert "Its final answer, speaker" in text


def test_setup_runs_pair_with_their_baseline():
    for label in ch6.SETUPS:
        runs, base = ch6.setup_runs(label), ch6.baseline_runs(label)
        assert runs and [r["seed"] for r in runs] == [r["seed"] for r in base], label
    padding = ch6.baseline_runs("last padded step (bug)")
    assert len(padding) == 10 and all(r["readout"] == "packed" for r in padding)
    assert len(ch6.baseline_runs("minGRU")) == 16
    with pytest.raises(ValueError, match="expected a set-up among"):
        ch6.setup_runs("GRU with attention")


@pytest.mark.parametrize("setup", list(ch6.SETUPS))
def test_training_explorer_renders_every_setup(setup):
    demo = ch6.training_explorer_demo()
    assert demo.png(setup=setup)[:4] == b"\x89PNG"
    text = demo.html(setup=setup)
    assert f"over {len(ch6.setup_runs(setup))} seeds" in text
    if setup == "left padding, packed (bug)":
        assert "the plain GRU scores higher" in text


@pytest.mark.parametrize("hidden_size", [8, 32])
@pytest.mark.parametrize("dropout", [0.0, 0.6])
def test_grid_explorer_is_safe_at_the_corners(hidden_size, dropout):
    demo = ch6.grid_explorer_demo()
    assert demo.shape == (3, 3)
    assert demo.png(hidden_size=hidden_size, dropout=dropout)[:4] == b"\x89PNG"
    text = demo.html(hidden_size=hidden_size, dropout=dropout)
    assert f"Two layers of {hidden_size} units, dropout {dropout:g}" in text
    assert ("than no dropout" in text or "do not settle" in text) == (dropout != 0)


def test_grid_explorer_reads_the_committed_cells():
    means = ch6.grid_means()
    runs = ch6.grid_runs(16, 0.3)
    assert means.shape == (3, 3) and len(runs) == 3
    assert means[1, 1] == pytest.approx(np.mean([r["test_accuracy"] for r in runs]))
    v = ch6.grid_verdict(16, 0.3)
    assert v.paired and v.values_a == tuple(r["test_accuracy"] for r in runs)
    with pytest.raises(ValueError, match="expected a hidden size among"):
        ch6.grid_runs(64, 0.0)


def test_static_builds_stay_within_the_page_budget():
    box_u = ch6.utterance_explorer(mode="static")
    box_t = ch6.training_explorer(mode="static")
    box_g = ch6.grid_explorer(mode="static")
    assert all(isinstance(b, DemoWidget) for b in (box_u, box_t, box_g))
    assert box_u.report.frames == 9 * len(ch6.UTTERANCES)
    assert box_t.report.frames == len(ch6.SETUPS)
    assert box_g.report.frames == 9
    total = sum(b.report.state_bytes for b in (box_u, box_t, box_g))
    assert total < 1.5 * 2**20, total  # leaves room for the chapter's figures under 2 MB


def test_live_builds_display_nothing():
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        ch6.utterance_explorer(mode="live")
        ch6.training_explorer(mode="live")
        ch6.grid_explorer(mode="live")
    assert not captured.outputs and not captured.stdout
