"""utils.numpy_training: the NumPy GRU trained on Japanese Vowels matches torch.nn.GRU, float64.

The reference is PyTorch: ``torch.nn.GRU`` on ``pack_padded_sequence`` batches, autograd and
``torch.optim.Adam``, from the same initial weights, on the same batches.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils.numpy_training import (Adam, GRUClassifier, batch_schedule, torch_losses,
                                  torch_twin, train_numpy)
from utils.padding import pad, standardiser
from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES, japanese_vowels

LOSS_RTOL = 1e-10  # the tolerance the chapter states for the step-by-step agreement


@pytest.fixture(scope="module")
def vowels():
    train = japanese_vowels("train")
    mean, std = standardiser(train.sequences)
    return [(s - mean) / std for s in train.sequences], train.labels


def _torch_loss_and_grads(model, X, lengths, y):
    gru, readout = torch_twin(model)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        torch.from_numpy(X), torch.from_numpy(lengths), enforce_sorted=False)
    _, h_n = gru(packed)
    loss = torch.nn.functional.cross_entropy(readout(h_n[0]), torch.from_numpy(y))
    loss.backward()
    grads = {name: getattr(gru, name + "_l0").grad.numpy()
             for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    grads["W_out"], grads["b_out"] = readout.weight.grad.numpy(), readout.bias.grad.numpy()
    return loss.item(), grads


@pytest.mark.parametrize("hidden_size, batch", [(8, slice(0, 16)), (5, slice(100, 131))])
def test_gradients_match_autograd_on_a_real_padded_batch(vowels, rng, hidden_size, batch):
    sequences, labels = vowels
    chosen = sequences[batch]
    X, lengths = pad(chosen), np.array([len(s) for s in chosen])
    assert len(set(lengths.tolist())) > 1  # a truly variable-length batch
    model = GRUClassifier(VOWELS_FEATURES, hidden_size, VOWELS_CLASSES, rng=rng)
    loss, grads = model.loss_and_grads(X, lengths, labels[batch])
    ref_loss, ref_grads = _torch_loss_and_grads(model, X, lengths, labels[batch])
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_reading_the_last_padded_step_would_be_caught(vowels, rng):
    """A model that read H_all[-1] instead of the last real step gives another loss: the
    comparison above can fail."""
    sequences, labels = vowels
    X, lengths = pad(sequences[:16]), np.array([len(s) for s in sequences[:16]])
    model = GRUClassifier(VOWELS_FEATURES, 8, VOWELS_CLASSES, rng=rng)
    right = model.loss_and_grads(X, lengths, labels[:16])[0]
    wrong = model.loss_and_grads(X, np.full_like(lengths, X.shape[0]), labels[:16])[0]
    assert abs(right - wrong) > 1e-4


def test_training_losses_match_torch_step_by_step(vowels):
    """Three epochs of mini-batches: NumPy BPTT + NumPy Adam against torch, same weights."""
    sequences, labels = vowels
    batches = batch_schedule(len(sequences), 30, epochs=3, seed=1)
    model = GRUClassifier(VOWELS_FEATURES, 12, VOWELS_CLASSES, rng=np.random.default_rng(1))
    reference = torch_losses(model, sequences, labels, batches, lr=1e-2)  # model unchanged
    losses = train_numpy(model, sequences, labels, batches, lr=1e-2)
    assert len(losses) == len(reference) == 27
    np.testing.assert_allclose(losses, reference, rtol=LOSS_RTOL, atol=0)
    assert losses[-1] < 0.6 * losses[0]  # it learned: the comparison is not of two flat lines


def test_numpy_adam_is_torch_adam(rng):
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(20)]
    params = {"p": p0.copy()}
    optimiser = Adam(params, lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    ref = torch.tensor(p0, requires_grad=True)
    torch_optimiser = torch.optim.Adam([ref], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    for g in grads:
        optimiser.step({"p": g})
        ref.grad = torch.from_numpy(g)
        torch_optimiser.step()
    np.testing.assert_allclose(params["p"], ref.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_batch_schedule_covers_every_example_once_per_epoch():
    batches = batch_schedule(270, 32, epochs=2, seed=0)
    assert [len(b) for b in batches[:9]] == [32] * 8 + [14]
    for epoch in (batches[:9], batches[9:]):
        assert sorted(np.concatenate(epoch).tolist()) == list(range(270))
    assert not np.array_equal(batches[0], batches[9])  # a fresh order each epoch
    assert all(np.array_equal(a, b) for a, b in zip(batches, batch_schedule(270, 32, 2, 0)))


@pytest.mark.parametrize("call, message", [
    (lambda m: m.logits(np.zeros((5, 2, 12)), np.array([5])), r"lengths of shape \(N,\)"),
    (lambda m: m.loss_and_grads(np.zeros((5, 2, 12)), np.array([5, 3]), np.array([0])),
     r"y of shape \(2,\)"),
    (lambda m: Adam(m.parameters()).step({"W_out": m.W_out}), "expected gradients for"),
])
def test_bad_input_names_what_was_expected(rng, call, message):
    model = GRUClassifier(VOWELS_FEATURES, 4, VOWELS_CLASSES, rng=rng)
    with pytest.raises(ValueError, match=message):
        call(model)
