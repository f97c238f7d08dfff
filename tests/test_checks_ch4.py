"""utils.checks.ch4: references against torch / utils, every known mistake caught and named,
honest answers (other formulations, Python ints, any bias split) get full marks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from utils.budget import concat_to_torch as budget_concat
from utils.budget import hidden_for_budget, param_count_as
from utils.checks import check, questions
from utils.checks import ch4
from utils.checks.core import Outcome, _matches, _to_plain, set_hidden_seed
from utils.variants import CIFGLSTM

QS = {q.name: q for q in questions("ch4_exercises")}


def test_registered():
    assert list(QS) == ["q4_1", "q4_2", "q4_3", "q4_4", "q4_5"]


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_lstm_reference_is_torch(level):
    for probe in QS["q4_1"].probes(level):
        a = probe.args
        H, H_in = a["weight_hh"].shape[1], a["weight_ih"].shape[1]
        cell = torch.nn.LSTMCell(H_in, H, dtype=torch.float64)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(torch.from_numpy(a[name]))
            h, c = cell(torch.from_numpy(a["x_t"]),
                        (torch.from_numpy(a["h_prev"]), torch.from_numpy(a["c_prev"])))
        h_ref, c_ref = ch4.lstm_step(**a)
        np.testing.assert_allclose(h_ref, h.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(c_ref, c.numpy(), rtol=1e-12, atol=1e-13)


def test_cifg_reference_is_utils_variant():
    for probe in QS["q4_2"].probes("public"):
        a = probe.args
        H, H_in = a["weight_hh"].shape[1], a["weight_ih"].shape[1]
        cell = CIFGLSTM(H_in, H, rng=np.random.default_rng(0))
        cell.weight_ih, cell.weight_hh, cell.bias = a["weight_ih"], a["weight_hh"], a["bias"]
        h, c = cell.step(a["x_t"], (a["h_prev"], a["c_prev"]))
        h_ref, c_ref = ch4.cifg_step(**a)
        np.testing.assert_allclose(h_ref, h, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(c_ref, c, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_count_references_are_utils_budget(level):
    for probe in QS["q4_3"].probes(level):
        i, h = int(probe.args["input_size"]), int(probe.args["lstm_hidden"])
        expected = hidden_for_budget("gru", i, param_count_as("lstm", i, h))
        assert float(ch4.gru_hidden_for_lstm_budget(i, h)) == expected
    for probe in QS["q4_4"].probes(level):
        i, h = int(probe.args["input_size"]), int(probe.args["hidden_size"])
        assert float(ch4.chung_lstm_params(i, h)) == param_count_as("lstm", i, h, "peephole")
    assert float(ch4.chung_lstm_params(20, 195)) == 169_065


def test_concat_reference_is_utils_budget():
    for probe in QS["q4_5"].probes("public"):
        a = probe.args
        ref = ch4.concat_to_torch(**a)
        util = budget_concat(a["W"], a["b"], int(a["hidden_size"]), order="xh")
        np.testing.assert_array_equal(ref[0], util["weight_ih"])
        np.testing.assert_array_equal(ref[1], util["weight_hh"])
        np.testing.assert_array_equal(ref[2], util["bias_ih"] + util["bias_hh"])


def outcomes_of(fn, probes):
    """What ``capture`` records for ``fn``, computed without the tracer (``fn`` lives in
    utils, which the tracer would flag as a reference call)."""
    out = []
    for probe in probes:
        try:
            result = fn(**probe.args)
        except Exception as exc:  # a mistake that raises on some shapes, as capture records
            out.append(Outcome("error", detail=f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(result, (int, float)):
            result = np.asarray(result)
        out.append(_to_plain(result))
    return out


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
@pytest.mark.parametrize("name", ["q4_1", "q4_2", "q4_3", "q4_4", "q4_5"])
def test_no_mistake_equals_the_reference_on_every_probe(name, seed):
    """A mistake that matched the right answer everywhere would fail honest learners."""
    q = QS[name]
    set_hidden_seed(seed)
    try:
        for level in ("public", "hidden"):
            probes = q.probes(level)
            right = outcomes_of(q.reference, probes)
            assert all(o.kind == "value" for o in right)
            for mistake in q.mistakes:
                assert not _matches(mistake, probes, right), (
                    f"{name} {level} seed {seed}: the mistake '{mistake.message[:60]}' "
                    "equals the reference on every probe")
            assert q.diagnose(level, right).status == "correct"
    finally:
        set_hidden_seed(None)


@pytest.mark.parametrize("name", ["q4_1", "q4_2", "q4_3", "q4_4", "q4_5"])
def test_every_mistake_is_named(name):
    q = QS[name]
    for mistake in q.mistakes:
        verdict = q.diagnose("public", outcomes_of(mistake.fn, q.probes("public")))
        assert verdict.status == "incorrect", mistake.message
        assert mistake.message in verdict.message


def test_stub_is_not_attempted():
    def stub(*args):
        raise NotImplementedError("Exercise 4.1: compute one LSTM step")

    assert check("q4_1", stub).status == "not attempted"


# ---------------------------------------------------------------------- honest answers


def honest_lstm(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    print("computing a step")  # prints are fine
    H = weight_hh.shape[1]
    a = np.einsum("nk,gk->ng", x_t, weight_ih) + np.einsum("nk,gk->ng", h_prev, weight_hh)
    a = a + bias_ih + bias_hh
    i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))
    sigma = lambda v: 0.5 * (1 + np.tanh(v / 2))  # noqa: E731 (another exact form of σ)
    c = sigma(f) * c_prev + sigma(i) * np.tanh(g)
    return sigma(o) * np.tanh(c), c


def honest_cifg(x_t, h_prev, c_prev, weight_ih, weight_hh, bias):
    H = weight_hh.shape[1]
    W_i, W_g, W_o = np.split(weight_ih, 3)
    U_i, U_g, U_o = np.split(weight_hh, 3)
    b_i, b_g, b_o = np.split(bias, 3)
    i = 1 / (1 + np.exp(-(x_t @ W_i.T + h_prev @ U_i.T + b_i)))
    g = np.tanh(x_t @ W_g.T + h_prev @ U_g.T + b_g)
    o = 1 / (1 + np.exp(-(x_t @ W_o.T + h_prev @ U_o.T + b_o)))
    f = 1 - i
    c = f * c_prev + i * g
    assert c.shape[1] == H
    return o * np.tanh(c), c


def honest_budget_loop(input_size, lstm_hidden):
    budget = 4 * (lstm_hidden * input_size + lstm_hidden ** 2 + 2 * lstm_hidden)
    H = 0
    while 3 * ((H + 1) * input_size + (H + 1) ** 2 + 2 * (H + 1)) <= budget:
        H += 1
    return int(H)  # a Python int


def honest_budget_formula(input_size, lstm_hidden):
    i, h = float(input_size), float(lstm_hidden)
    budget = 4 * (h * i + h * h + 2 * h)
    root = (-(i + 2) + math.sqrt((i + 2) ** 2 + 4 * budget / 3)) / 2
    H = math.floor(root)
    while 3 * ((H + 1) * i + (H + 1) ** 2 + 2 * (H + 1)) <= budget:
        H += 1
    while 3 * (H * i + H * H + 2 * H) > budget:
        H -= 1
    return H


def honest_chung(input_size, hidden_size):
    per_gate = hidden_size * input_size + hidden_size ** 2 + hidden_size
    return int(4 * per_gate + 3 * hidden_size)


def honest_concat_half(W, b, hidden_size):
    H = int(hidden_size)
    return W[:, :-H].copy(), W[:, -H:].copy(), b / 2, b / 2


def honest_concat_hh(W, b, hidden_size):
    H_in = W.shape[1] - int(hidden_size)
    weight_ih, weight_hh = np.split(W, [H_in], axis=1)
    return weight_ih, weight_hh, np.zeros_like(b), b.copy()


@pytest.mark.parametrize("name, fn", [
    ("q4_1", honest_lstm), ("q4_2", honest_cifg), ("q4_3", honest_budget_loop),
    ("q4_3", honest_budget_formula), ("q4_4", honest_chung), ("q4_5", honest_concat_half),
    ("q4_5", honest_concat_hh)])
def test_honest_answers_get_full_marks(name, fn):
    verdict = check(name, fn, "all")
    assert verdict.status == "correct", verdict.message
    assert verdict.points == verdict.max_points


def test_integer_answer_that_is_not_whole_is_wrong():
    verdict = check("q4_3", lambda i, h: honest_budget_formula(i, h) + 0.5, "public")
    assert verdict.status == "incorrect"
