"""utils.gru_reading against torch.nn.GRU and scipy's one-way ANOVA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from utils.gru_reading import numpy_cell, unit_summary, utterance_gates
from utils.seq_classifier import SequenceClassifier
from utils.timescales import half_life


@pytest.fixture
def model():
    torch.manual_seed(0)
    return SequenceClassifier(3, 5, 2).double()


def test_gates_of_an_utterance_match_torch(rng, model):
    cell = numpy_cell(model)
    seq = rng.normal(size=(6, 3))
    gates = utterance_gates(cell, seq)
    out, _ = model.rnn(torch.from_numpy(seq)[:, None])
    np.testing.assert_allclose(gates["h"], out[:, 0].detach().numpy(), rtol=1e-12, atol=1e-12)
    assert set(gates) == {"r", "z", "n", "h"} and gates["z"].shape == (6, 5)
    assert ((gates["z"] > 0) & (gates["z"] < 1)).all()


def test_unit_summary_is_the_anova_f_and_the_half_life(rng, model):
    cell = numpy_cell(model)
    seqs = [rng.normal(loc=y, size=(int(rng.integers(3, 9)), 3)) for y in [0, 1, 2] * 6]
    labels = np.array([0, 1, 2] * 6)
    summary = unit_summary(cell, seqs, labels)
    finals = np.stack([utterance_gates(cell, s)["h"][-1] for s in seqs])
    for j in range(5):
        F, _ = stats.f_oneway(*[finals[labels == c, j] for c in range(3)])
        assert summary["F"][j] == pytest.approx(F, rel=1e-10)
    z = np.concatenate([utterance_gates(cell, s)["z"] for s in seqs]).mean(axis=0)
    np.testing.assert_allclose(summary["mean_z"], z)
    np.testing.assert_allclose(summary["half_life"], half_life(z))


def test_bad_input_names_the_expected_shape(model):
    with pytest.raises(ValueError, match=r"\(L, 3\)"):
        utterance_gates(numpy_cell(model), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="two classes"):
        unit_summary(numpy_cell(model), [np.zeros((2, 3))], np.array([0]))
