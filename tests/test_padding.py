"""utils.padding against torch.nn.utils.rnn (pad_sequence, pack_padded_sequence)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from utils.padding import last_index, mask, pad, standardiser


def _sequences(rng, lengths, H_in=3):
    return [rng.normal(size=(L, H_in)) for L in lengths]


@pytest.mark.parametrize("lengths", [[3, 5, 1], [4], [2, 2, 7, 6]])
def test_right_padding_is_torchs_pad_sequence(rng, lengths):
    seqs = _sequences(rng, lengths)
    ours = pad(seqs)
    theirs = pad_sequence([torch.from_numpy(s) for s in seqs]).numpy()  # (T, N, H_in)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("lengths", [[3, 5, 1], [2, 2, 7, 6]])
def test_left_padding_is_reversed_right_padding_of_reversed_sequences(rng, lengths):
    seqs = _sequences(rng, lengths)
    left = pad(seqs, side="left")
    right_of_reversed = pad([s[::-1] for s in seqs])
    np.testing.assert_array_equal(left, right_of_reversed[::-1])


@pytest.mark.parametrize("side", ["right", "left"])
def test_mask_marks_exactly_the_real_frames(rng, side):
    lengths = [3, 5, 1, 4]
    seqs = [s + 10 for s in _sequences(rng, lengths)]  # no real frame is all zeros
    X = pad(seqs, side=side, T=6)
    M = mask(lengths, 6, side=side)
    assert M.shape == (6, 4)
    np.testing.assert_array_equal(M.sum(axis=0), lengths)
    np.testing.assert_array_equal(M.astype(bool), (X != 0).all(axis=2))


@pytest.mark.parametrize("side", ["right", "left"])
def test_last_index_holds_each_sequences_last_frame(rng, side):
    lengths = np.array([3, 5, 1, 4])
    seqs = _sequences(rng, lengths)
    X = pad(seqs, side=side)
    idx = last_index(lengths, X.shape[0], side=side)
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(X[idx[i], i], s[-1])


def test_last_real_state_is_packed_h_n(rng):
    """Reading the padded output at last_index gives the h_n of pack_padded_sequence."""
    lengths = np.array([4, 7, 2, 5])
    X = torch.from_numpy(pad(_sequences(rng, lengths)))
    gru = torch.nn.GRU(3, 6, dtype=torch.float64)
    out, _ = gru(X)  # the padded batch, run to the end
    packed_out, h_n = gru(pack_padded_sequence(X, torch.from_numpy(lengths),
                                               enforce_sorted=False))
    gathered = out[torch.from_numpy(last_index(lengths)), torch.arange(4)]
    torch.testing.assert_close(gathered, h_n[0], rtol=1e-12, atol=1e-12)
    # ... and the last padded step is not: the padding changes the state
    assert (out[-1] - h_n[0]).abs().max() > 1e-3
    unpacked, unpacked_lengths = pad_packed_sequence(packed_out)
    np.testing.assert_array_equal(unpacked_lengths.numpy(), lengths)
    torch.testing.assert_close(unpacked * torch.from_numpy(mask(lengths))[..., None],
                               unpacked)  # zeros after each length


def test_standardiser_uses_real_frames_only(rng):
    seqs = _sequences(rng, [3, 5])
    mean, std = standardiser(seqs)
    frames = np.concatenate(seqs)
    np.testing.assert_allclose(mean, frames.mean(axis=0))
    np.testing.assert_allclose(std, frames.std(axis=0))
    padded_mean = pad(seqs).reshape(-1, 3).mean(axis=0)
    assert not np.allclose(mean, padded_mean)


@pytest.mark.parametrize("call, message", [
    (lambda: pad([np.ones((2, 3)), np.ones((2, 4))]), r"\(L_i, 3\).*\(2, 4\) at index 1"),
    (lambda: pad([np.ones((5, 3))], T=4), "T = 4 is shorter"),
    (lambda: pad([np.ones((5, 3))], side="middle"), "side must be one of"),
    (lambda: pad([]), "at least one sequence"),
    (lambda: mask([3, 0]), "positive ints"),
    (lambda: last_index([[3, 2]]), r"shape \(N,\)"),
])
def test_bad_input_names_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_docstring_examples_run():
    import doctest

    import utils.padding
    import utils.realdata

    for module in (utils.padding, utils.realdata):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
