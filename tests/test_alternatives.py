"""utils.alternatives: the non-GRU models read only real frames, and budgets are matched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.alternatives import (ConvClassifier, MinGRUClassifier, logistic_summary,
                                param_total, size_for_budget, summary_features)
from utils.seq_classifier import SequenceClassifier, padded_batch


def _sequences(rng, lengths):
    return [rng.normal(size=(L, 3)).astype(np.float32) for L in lengths]


@pytest.mark.parametrize("make", [lambda: MinGRUClassifier(3, 6, 4),
                                  lambda: ConvClassifier(3, 5, 4)])
def test_padding_does_not_change_a_sequences_logits(rng, make):
    """Each sequence alone and inside a longer padded batch gives the same logits."""
    torch.manual_seed(0)
    model = make()
    seqs = _sequences(rng, [4, 9, 2])
    with torch.no_grad():
        batch = model(*padded_batch(seqs, "packed"))
        for i, s in enumerate(seqs):
            alone = model(*padded_batch([s], "packed"))
            torch.testing.assert_close(batch[i], alone[0], rtol=1e-5, atol=1e-6)


def test_conv_would_notice_unmasked_padding(rng):
    """Without the mask the mean over frames would include padding: the test above can fail."""
    torch.manual_seed(0)
    model = ConvClassifier(3, 5, 4)
    seqs = _sequences(rng, [2, 9])
    X, lengths = padded_batch(seqs, "packed")
    with torch.no_grad():
        masked = model(X, lengths)[0]
        unmasked = model(X, torch.full_like(lengths, X.shape[0]))[0]
    assert (masked - unmasked).abs().max() > 1e-3


@pytest.mark.parametrize("build", [
    lambda k: SequenceClassifier(12, k, 9, kind="lstm"),
    lambda k: MinGRUClassifier(12, k, 9),
    lambda k: ConvClassifier(12, k, 9),
])
def test_size_for_budget_is_the_largest_that_fits(build):
    budget = param_total(SequenceClassifier(12, 32, 9))
    k = size_for_budget(build, budget)
    assert param_total(build(k)) <= budget < param_total(build(k + 1))


def test_size_for_budget_refuses_an_impossible_budget():
    with pytest.raises(ValueError, match="more than 10 parameters"):
        size_for_budget(lambda k: ConvClassifier(12, k, 9), 10)


def test_summary_features_are_mean_spread_first_last(rng):
    seqs = [rng.normal(size=(5, 3)), rng.normal(size=(7, 3))]
    F = summary_features(seqs)
    assert F.shape == (2, 12)
    np.testing.assert_allclose(F[1], np.concatenate([seqs[1].mean(0), seqs[1].std(0),
                                                      seqs[1][0], seqs[1][-1]]))


def test_summary_features_keep_the_chosen_parts_in_order(rng):
    seqs = [rng.normal(size=(5, 3)), rng.normal(size=(7, 3))]
    F = summary_features(seqs, ("last", "mean"))
    assert F.shape == (2, 6)
    np.testing.assert_allclose(F[0], np.concatenate([seqs[0][-1], seqs[0].mean(0)]))
    with pytest.raises(ValueError, match="non-empty selection"):
        summary_features(seqs, ("median",))
    with pytest.raises(ValueError, match="non-empty selection"):
        summary_features(seqs, ())


def test_logistic_summary_parts_change_what_it_sees(rng):
    def make(n):  # the class shows only in the last frame
        labels = np.arange(n) % 2
        seqs = [rng.normal(size=(6, 3)) for _ in labels]
        for s, y in zip(seqs, labels):
            s[-1] += 6.0 * y
        return seqs, labels

    train, test = make(60), make(60)
    last = logistic_summary(train, test, parts=("last",))
    first = logistic_summary(train, test, parts=("first",))
    assert last["test_accuracy"] >= 0.95 and first["test_accuracy"] < 0.8
    assert last["params"] == 3 + 1 and len(last["test_correct"]) == 60
    assert np.mean(last["test_correct"]) == pytest.approx(last["test_accuracy"])


def test_logistic_summary_learns_a_separable_toy(rng):
    def make(n):
        labels = np.arange(n) % 2
        seqs = [rng.normal(loc=2.0 * y, size=(int(rng.integers(3, 8)), 3)) for y in labels]
        return seqs, labels

    result = logistic_summary(make(40), make(40))
    assert result["test_accuracy"] >= 0.95 and result["params"] == 12 + 1  # binary: one row


def test_forward_names_expected_shapes():
    with pytest.raises(ValueError, match=r"lengths of shape \(N,\)"):
        ConvClassifier(3, 4, 2)(torch.zeros(5, 2, 3), torch.tensor([5]))
