"""utils.seq_classifier: which state each read-out reads, and the committed padding experiment."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from utils.experiments import ch6_padding, load, matches, rerun
from utils.padding import last_index, pad
from utils.seq_classifier import READOUTS, SequenceClassifier, padded_batch, vowels_task

DRIFT_KEYS = ("params", "test_accuracy", "train_accuracy", "losses")


def _sequences(rng, lengths):
    return [rng.normal(size=(L, 3)).astype(np.float32) for L in lengths]


def _read_state(model, sequences):
    """The hidden state the model's read-out layer receives, for each sequence."""
    seen = {}
    handle = model.out.register_forward_pre_hook(lambda m, args: seen.update(h=args[0]))
    with torch.no_grad():
        model(*padded_batch(sequences, model.readout))
    handle.remove()
    return seen["h"]


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_packed_and_left_padded_read_the_last_real_step(rng, kind):
    lengths = [4, 7, 2, 5]
    seqs = _sequences(rng, lengths)
    torch.manual_seed(0)
    packed = SequenceClassifier(3, 6, 4, kind=kind, readout="packed")
    alone = torch.stack([packed.rnn(torch.from_numpy(s)[:, None])[0][-1, 0] for s in seqs])
    torch.testing.assert_close(_read_state(packed, seqs), alone)  # each run on its own
    for readout in ("last_padded", "packed_left"):
        wrong = SequenceClassifier(3, 6, 4, kind=kind, readout=readout)
        wrong.load_state_dict(packed.state_dict())
        gap = (_read_state(wrong, seqs) - alone).abs().amax(dim=1)
        assert gap[1] < 1e-6  # the longest sequence has no padding
        assert (gap[[0, 2, 3]] > 1e-3).all(), readout  # the others do, and it shows
    left = SequenceClassifier(3, 6, 4, kind=kind, readout="left_padded")
    left.load_state_dict(packed.state_dict())
    # left padding reads the last real frame, but a shorter sequence starts from the state the
    # zero frames left (not h_0 = 0): exact only for the longest one
    gap = (_read_state(left, seqs) - alone).abs().amax(dim=1)
    assert gap[1] < 1e-6 and (gap[[0, 2, 3]] > 0).all()


def test_padded_batch_pads_on_the_side_of_the_readout(rng):
    seqs = _sequences(rng, [2, 5])
    for readout in READOUTS:
        X, lengths = padded_batch(seqs, readout)
        side = "left" if "left" in readout else "right"
        np.testing.assert_array_equal(X.numpy(), pad(seqs, side=side, dtype=np.float32))
        assert lengths.tolist() == [2, 5]
        idx = last_index(np.array([2, 5]), 5, side=side)
        np.testing.assert_array_equal(X.numpy()[idx[0], 0], seqs[0][-1])


def test_vowels_task_is_standardised_with_training_statistics():
    (train_seqs, train_y), (test_seqs, test_y) = vowels_task()
    frames = np.concatenate(train_seqs)
    np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(np.concatenate(test_seqs).mean(axis=0), 0, atol=1e-3)
    assert (len(train_seqs), len(test_seqs)) == (270, 370) and train_seqs[0].dtype == np.float32
    assert len(train_y) == 270 and len(test_y) == 370


@pytest.mark.parametrize("kwargs, message", [({"kind": "rnn"}, "kind must be"),
                                             ({"readout": "first"}, "readout must be one of")])
def test_bad_options_name_the_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SequenceClassifier(3, 4, 2, **kwargs)


def test_forward_names_the_expected_shapes():
    model = SequenceClassifier(3, 4, 2)
    with pytest.raises(ValueError, match=r"lengths of shape \(N,\)"):
        model(torch.zeros(5, 2, 3), torch.tensor([5]))


def test_committed_padding_grid_is_complete_with_provenance():
    results = load("ch6_padding")
    prov = results["provenance"]
    assert prov["command"] == "python -m utils.experiments ch6_padding --no-progress"
    assert prov["seeds"] == list(ch6_padding.SEEDS)
    assert len(results["rows"]) == len(ch6_padding.CONFIGS)
    for config in ch6_padding.CONFIGS:
        rows = [r for r in results["rows"] if all(r[k] == v for k, v in config.items())]
        assert len(rows) == 1, config
        assert len(rows[0]["losses"]) == ch6_padding.EPOCHS
        assert 0 < rows[0]["test_accuracy"] <= 1


def test_one_padding_configuration_reproduces_the_committed_numbers():
    committed = next(r for r in load("ch6_padding")["rows"]
                     if r["readout"] == "packed_left" and r["seed"] == 1)
    start = time.perf_counter()
    fresh = rerun("ch6_padding", committed)
    assert time.perf_counter() - start < 90
    assert matches(fresh, committed, keys=DRIFT_KEYS, atol=1.5e-6) == []


def test_readout_verdicts_pair_the_seeds_and_come_from_the_shared_helper():
    from utils.verdict import Comparison

    rows = load("ch6_padding")["rows"]
    verdicts = ch6_padding.readout_verdicts(rows)
    assert set(verdicts) == set(READOUTS[1:])
    for readout, v in verdicts.items():
        assert isinstance(v, Comparison) and v.paired
        assert v.seeds == ch6_padding.SEEDS
        mine = [r["test_accuracy"] for r in sorted(rows, key=lambda r: r["seed"])
                if r["readout"] == readout]
        assert list(v.values_b) == mine
    dropped = [r for r in rows if not (r["readout"] == "last_padded" and r["seed"] == 3)]
    with pytest.raises(ValueError, match="expected runs for seeds"):
        ch6_padding.readout_verdicts(dropped)


def test_bidirectional_reads_forward_last_real_step_and_backward_first_step(rng):
    lengths = [4, 7, 2]
    seqs = _sequences(rng, lengths)
    torch.manual_seed(0)
    model = SequenceClassifier(3, 5, 4, bidirectional=True)
    state = _read_state(model, seqs)  # (N, 2H)
    assert state.shape == (3, 10)
    for i, s in enumerate(seqs):
        x = torch.from_numpy(s)[:, None]  # (L, 1, 3): the sequence alone, no padding
        out, _ = model.rnn(x)  # (L, 1, 2H): forward | backward
        torch.testing.assert_close(state[i, :5], out[-1, 0, :5])  # forward, last frame
        torch.testing.assert_close(state[i, 5:], out[0, 0, 5:])  # backward, first frame


def test_stacked_reads_the_top_layer(rng):
    seqs = _sequences(rng, [3, 6])
    torch.manual_seed(0)
    model = SequenceClassifier(3, 5, 4, num_layers=2, dropout=0.3).eval()
    state = _read_state(model, seqs)
    for i, s in enumerate(seqs):
        out, _ = model.rnn(torch.from_numpy(s)[:, None])
        torch.testing.assert_close(state[i], out[-1, 0])


def test_chrono_and_forget_bias_initialisations():
    gen = torch.Generator().manual_seed(3)
    gru = SequenceClassifier(3, 8, 2, init="chrono", t_max=29.0, generator=gen).rnn
    b_z = gru.bias_ih_l0[8:16].detach()
    assert (b_z >= 0).all() and (b_z <= np.log(28) + 1e-6).all()
    assert (gru.bias_hh_l0[8:16] == 0).all()
    lstm = SequenceClassifier(3, 8, 2, kind="lstm", init="forget_bias_1").rnn
    assert (lstm.bias_ih_l0[8:16] == 1).all() and (lstm.bias_hh_l0[8:16] == 0).all()
    with pytest.raises(ValueError, match="LSTM's"):
        SequenceClassifier(3, 8, 2, kind="gru", init="forget_bias_1")


def test_bidirectional_refuses_a_read_of_the_padded_end():
    with pytest.raises(ValueError, match="readout='packed'"):
        SequenceClassifier(3, 4, 2, bidirectional=True, readout="last_padded")


def test_clipping_bounds_every_update(rng, monkeypatch):
    """With clip, the gradient norm that reaches Adam never exceeds it."""
    from utils.seq_classifier import train_classifier

    norms = []
    real_step = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        grads = [p.grad for group in self.param_groups for p in group["params"]]
        norms.append(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(g) for g in grads])).item())
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    seqs = [s * 50 for s in _sequences(rng, [3, 6, 4, 5])]
    labels = np.array([0, 1, 0, 1])
    train_classifier((seqs, labels), (seqs, labels), hidden_size=4, classes=2, seed=0,
                     epochs=3, batch_size=2, clip=0.01)
    assert len(norms) == 6 and max(norms) <= 0.01 * (1 + 1e-5)


def test_practice_verdicts_pair_each_variant_with_the_plain_gru():
    from utils.experiments import ch6_practice

    rows = [{"variant": v, "seed": s, "test_accuracy": 0.9 + 0.01 * s + (0.02 if v == "chrono"
                                                                        else 0)}
            for v in ch6_practice.VARIANTS for s in ch6_practice.SEEDS]
    verdicts = ch6_practice.variant_verdicts(rows)
    assert set(verdicts) == set(ch6_practice.VARIANTS) - {"plain"}
    assert verdicts["chrono"].direction == "chrono init"
    assert verdicts["chrono"].diff == pytest.approx(0.02)
    assert verdicts["stacked"].direction == "unresolved"  # identical runs decide nothing
