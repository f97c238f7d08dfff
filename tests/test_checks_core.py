"""The checker framework itself: outcomes as plain data, and a transport that refuses
anything but numeric arrays of bounded size."""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest

from utils.checks.core import (MAX_ELEMENTS, Outcome, Probe, capture, compare, decode_outcomes,
                               encode_outcomes)

PROBE = Probe("p", {"a": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}, "the term", "a, b")


@pytest.mark.parametrize("fn, kind", [
    (lambda a, b: a + b, "value"),
    (lambda a, b: b.sum(), "value"),  # a NumPy scalar counts as a 0-d array
    (lambda a, b: None, "none"),
    (lambda a, b: [a, b], "value"),
    (lambda a, b: "text", "wrong_type"),
    (lambda a, b: a.tolist(), "wrong_type"),
    (lambda a, b: np.array(["x"]), "wrong_type"),
    (lambda a, b: 1 / 0, "error"),
    (lambda a, b: a.__iadd__(1), "mutated"),
    (lambda a, b: sys.setprofile(None), "tampered"),
    ("not a function", "missing"),
])
def test_capture_records_what_happened_as_data(fn, kind):
    [outcome] = capture(fn, [PROBE])
    assert outcome.kind == kind, outcome


def test_capture_does_not_let_the_function_touch_the_probe():
    capture(lambda a, b: a.fill(7.0), [PROBE])
    assert PROBE.args["a"][0, 1] == 1.0


def test_not_implemented_is_its_own_outcome():
    def stub(a, b):
        raise NotImplementedError("Exercise 9.9")
    assert capture(stub, [PROBE])[0].kind == "not_implemented"


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3), np.array([np.nan, np.inf]),
                                   np.array(3.5), np.arange(12.0).reshape(3, 4).T[::2],
                                   np.zeros((0, 3), np.float32), np.array([1, 2], np.int64),
                                   [np.ones(2), np.zeros((2, 2))]])
def test_transport_round_trip_is_exact(value):
    outcomes = [Outcome("value", value), Outcome("error", None, "ValueError: x")]
    back = decode_outcomes(json.loads(json.dumps(encode_outcomes(outcomes))), 2)
    got = back[0].value
    for g, v in zip(got if isinstance(got, list) else [got],
                    value if isinstance(value, list) else [value]):
        assert g.dtype == v.dtype and g.shape == v.shape
        np.testing.assert_array_equal(g, v)
    assert back[1].kind == "error" and back[1].value is None


@pytest.mark.parametrize("bad", [
    [{"kind": "value", "value": {"dtype": "|O", "shape": [1], "b64": ""}}],
    [{"kind": "value", "value": {"dtype": "<f8", "shape": [MAX_ELEMENTS + 1], "b64": ""}}],
    [{"kind": "value", "value": {"dtype": "<f8", "shape": [2], "b64": "!!"}}],
    [{"kind": "value", "value": {"dtype": "<f8", "shape": [2], "b64": "AAAA"}}],
    [{"kind": "value"}],
    {"kind": "value"},
    [],
])
def test_transport_refuses_malformed_data(bad):
    with pytest.raises((ValueError, KeyError, TypeError)):
        decode_outcomes(bad, 1)


def test_compare_checks_shape_then_dtype_then_nan_then_values():
    e = np.zeros((2, 3))
    assert compare(e, np.zeros((3, 2)), "`x`", "g").startswith("Wrong shape")
    assert compare(e, np.zeros((2, 3), np.float32), "`x`", "g").startswith("Wrong dtype")
    assert compare(e, np.full((2, 3), np.nan), "`x`", "g").startswith("Got NaN")
    msg = compare(e, e + np.array([0, 0, 0.5]), "`x`", "g")
    assert "largest difference 0.5 at index (0, 2)" in msg
    assert compare(e, e + 1e-12, "`x`", "g") is None


def test_warnings_raised_by_the_call_are_recorded_and_transported():
    def overflowing(a, b):
        for _ in range(1000):  # repeated warnings are kept once
            np.exp(a * 1000.0)
        return 1.0 / (1.0 + np.exp(-a * 1000.0))

    with np.errstate(all="ignore"):  # the notebook's own setting does not hide them
        [outcome] = capture(overflowing, [PROBE])
    assert outcome.kind == "value"
    assert outcome.warnings == ("RuntimeWarning: overflow encountered in exp",), outcome
    [back] = decode_outcomes(json.loads(json.dumps(encode_outcomes([outcome]))), 1)
    assert back.warnings == outcome.warnings
    [quiet] = capture(lambda a, b: a + b, [PROBE])
    assert quiet.warnings == ()


def test_probe_rng_public_fixed_hidden_follows_the_run_seed():
    from utils.checks.core import probe_rng, set_hidden_seed

    def draw(level, salt="q"):
        return probe_rng(level, salt).normal(size=4)

    try:
        np.testing.assert_array_equal(draw("public"), draw("public"))
        assert not np.array_equal(draw("public"), draw("public", "other question"))
        default_hidden = draw("hidden")
        assert not np.array_equal(default_hidden, draw("public"))
        set_hidden_seed(12345)
        first = draw("hidden")
        np.testing.assert_array_equal(first, draw("hidden"))
        assert not np.array_equal(first, default_hidden)
        np.testing.assert_array_equal(draw("public"), probe_rng("public", "q").normal(size=4))
        set_hidden_seed(54321)
        assert not np.array_equal(first, draw("hidden"))
        with pytest.raises(ValueError, match="level"):
            probe_rng("secret", "q")
    finally:
        set_hidden_seed(None)
    np.testing.assert_array_equal(draw("hidden"), default_hidden)


# --------------------------------------------------------------------------------------
# Issue 10: honest answers keep their points, non-spec answers lose them, feedback is precise.

from utils.checks.core import Question  # noqa: E402


def _linear_probes(level):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    x = rng.normal(size=(2, 3))
    return [Probe("bias", {"x": np.zeros((2, 3)), "W": W, "b": b}, "the bias term", "x = 0"),
            Probe("input", {"x": x, "W": W, "b": np.zeros(3)}, "the input term W x",
                  "zero bias"),
            Probe("all", {"x": x, "W": W, "b": b}, "the combination of the terms", "all")]


def _linear_reference(x, W, b):
    return x @ W.T + b


LINEAR = Question(name="q_test", func_name="affine", title="Exercise 0.1: affine", hint="-",
                  probes=_linear_probes, reference=_linear_reference, mistakes=(),
                  output_names=("y",), points={"public": 1})


def _verdict(fn):
    return LINEAR.diagnose("public", capture(fn, LINEAR.probes("public")))


def test_printing_through_the_grader_output_capture_is_not_reference_use():
    """The batch runner's capped writer lives in utils/grading: a print() inside an answer
    goes through it and must not count as calling the reference."""
    import io

    from utils.grading.runner import _CappedWriter

    sink = _CappedWriter(io.StringIO())

    def chatty(x, W, b):
        print("debugging", x.shape, file=sink)
        return x @ W.T + b

    v = _verdict(chatty)
    assert v.status == "correct" and v.points == 1, v.message


def test_reference_use_costs_points_only_when_the_answer_comes_from_it():
    from utils import numpy_cells

    def from_reference(x, W, b):
        return numpy_cells.sigmoid(x @ W.T + b)  # the answer IS the reference's output

    def beside_reference(x, W, b):
        numpy_cells.sigmoid(np.zeros(3))  # e.g. a comparison while debugging
        return x @ W.T + b

    [flagged] = capture(from_reference, [PROBE_LINEAR])
    assert flagged.kind == "reference_call" and "numpy_cells.py:sigmoid" in flagged.detail
    v = _verdict(beside_reference)
    assert v.status == "correct" and v.points == 1, v.message
    assert "Note: your function called utils/numpy_cells.py:sigmoid" in v.message
    assert "nothing was deducted" in v.message


PROBE_LINEAR = _linear_probes("public")[2]


def test_torch_gru_cell_output_returned_is_flagged_unrelated_use_is_a_note():
    torch = pytest.importorskip("torch")

    def via_torch(x, W, b):
        cell = torch.nn.GRUCell(3, 1).double()
        out = cell(torch.from_numpy(x))
        return out.detach().numpy()

    def torch_then_own(x, W, b):
        torch.nn.GRUCell(3, 1).double()(torch.from_numpy(x))
        return x @ W.T + b

    assert capture(via_torch, [PROBE_LINEAR])[0].kind == "reference_call"
    [own] = capture(torch_then_own, [PROBE_LINEAR])
    assert own.kind == "value" and own.notes and "rnn.py" in own.notes[0]
    back = decode_outcomes(json.loads(json.dumps(encode_outcomes([own]))), 1)[0]
    assert back.notes == own.notes


def test_one_array_wrapped_in_a_list_or_tuple_is_rejected():
    for wrap in (lambda y: [y], lambda y: (y,)):
        v = _verdict(lambda x, W, b, wrap=wrap: wrap(x @ W.T + b))
        assert v.status == "incorrect" and v.points == 0, v.message
        assert "sequence of 1 item" in v.message and "not `[y]`" in v.message, v.message


def test_wrong_type_messages_read_well():
    v = _verdict(lambda x, W, b: [x @ W.T + b, [1, 2]])
    assert "a list of 2 items, including a list" in v.message, v.message
    assert "containing value" not in v.message
    v = _verdict(lambda x, W, b: "text")
    assert "got builtins.str instead" in v.message


def test_too_large_output_names_the_expected_shape():
    v = _verdict(lambda x, W, b: np.zeros((1001, 1000)))
    assert "expected a NumPy array `y` of shape (2, 3)" in v.message, v.message
    assert "got an array of shape (1001, 1000)" in v.message
    assert "but got shape" not in v.message


def test_float32_level_differences_say_float32_not_a_term():
    v = _verdict(lambda x, W, b: (x.astype(np.float32) @ W.T.astype(np.float32)
                                  + b.astype(np.float32)).astype(np.float64))
    assert v.status == "incorrect" and "float32 precision" in v.message, v.message
    assert "Problem in" not in v.message


def test_several_failing_term_probes_are_all_listed():
    # wrong bias AND wrong W: the bias, the input and the combined probes all fail
    v = _verdict(lambda x, W, b: 2 * x @ W.T + 0.5 * b)
    assert "every probe is wrong" in v.message and "two mistakes" in v.message, v.message
    assert ("Problem in the bias term, and also in the input term W x and the combination of "
            "the terms") in v.message and "Problem in the bias term." not in v.message
    # wrong bias only: the input-only probe passes; both failing probes are named
    v = _verdict(lambda x, W, b: x @ W.T + 0.5 * b)
    assert "Problem in the bias term, and also in the combination of the terms" in v.message


def test_importing_the_answer_key_says_so():
    def imports(x, W, b):
        from utils.checks import ch2  # noqa: F401  (stands for any module of the answer key)
        raise ModuleNotFoundError("No module named 'utils.checks.ch2'")

    v = _verdict(imports)
    assert "imports `utils.checks.ch2`, part of the grader's answer key" in v.message, v.message
    assert "reference implementations are out of their reach" in v.message


def test_reference_called_from_a_thread_is_seen():
    import threading

    from utils import numpy_cells

    def threaded(x, W, b):
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("y", numpy_cells.sigmoid(x)))
        t.start()
        t.join()
        return out["y"]

    [outcome] = capture(threaded, [PROBE_LINEAR])
    assert outcome.kind == "reference_call", outcome


def test_comparing_with_torch_while_debugging_keeps_the_points():
    torch = pytest.importorskip("torch")

    def compares(x, W, b):
        mine = x @ W.T + b
        cell = torch.nn.GRUCell(3, 3)  # float32, as people usually build it
        theirs = cell(torch.from_numpy(x).float()).detach().numpy()
        print("torch says", theirs.shape, "mine", mine.shape)
        return mine

    v = _verdict(compares)
    assert v.status == "correct" and v.points == 1, v.message
    assert "Note: your function called torch/nn/modules/rnn.py" in v.message


def test_own_float64_answer_checked_against_a_float32_reference_is_not_flagged():
    """Right to 1e-7 is not "obtained from": only a bit-identical array is."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(3, 2)  # float32

    def by_hand(x, W, b):
        w_ih, w_hh = (p.detach().double().numpy() for p in (cell.weight_ih, cell.weight_hh))
        b_ih, b_hh = (p.detach().double().numpy() for p in (cell.bias_ih, cell.bias_hh))
        h = np.zeros((x.shape[0], 2))
        gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = 1 / (1 + np.exp(-(gi[:, :2] + gh[:, :2])))
        z = 1 / (1 + np.exp(-(gi[:, 2:4] + gh[:, 2:4])))
        n = np.tanh(gi[:, 4:] + r * gh[:, 4:])
        mine = (1 - z) * n + z * h
        theirs = cell(torch.from_numpy(x).float()).detach().numpy()
        assert np.allclose(mine, theirs, rtol=1e-5, atol=1e-6)  # the learner's own check
        return mine

    [outcome] = capture(by_hand, [PROBE_LINEAR])
    assert outcome.kind == "value" and outcome.notes, outcome


def test_a_right_answer_is_never_diagnosed_as_a_known_mistake():
    """Random probes can make a known mistake coincide with the reference (here: a missing
    bias, on probes whose bias is zero); the right answer still gets its points."""
    from utils.checks.core import Mistake

    def zero_bias_probes(level):
        return [dataclasses.replace(p, args=dict(p.args, b=np.zeros(3)))
                for p in _linear_probes(level)]

    q = dataclasses.replace(LINEAR, probes=zero_bias_probes, mistakes=(
        Mistake(lambda x, W, b: x @ W.T, "you forgot the bias"),))
    v = q.diagnose("public", capture(lambda x, W, b: x @ W.T + b, q.probes("public")))
    assert v.status == "correct", v.message
    wrong = q.diagnose("public", capture(lambda x, W, b: 2 * x @ W.T, q.probes("public")))
    assert wrong.status == "incorrect"


def test_traced_probes_measure_the_depth_of_the_answer_and_transport_keeps_it():
    def looped(x):  # a chain of 40 additions
        total = 0.0
        for v in x:
            total = total + v
        return np.array([total])

    def whole(x):  # one round: depth 1, however many entries
        return x * 2.0

    probe = Probe("x", {"x": np.ones(40)}, "", "", traced=True)
    [chain], [flat] = capture(looped, [probe]), capture(whole, [probe])
    assert (chain.kind, chain.depth, float(chain.value[0])) == ("value", 40, 40.0)
    assert flat.kind == "value" and flat.depth == 1 and flat.value.dtype == np.float64
    np.testing.assert_array_equal(flat.value, np.full(40, 2.0))
    [back] = decode_outcomes(json.loads(json.dumps(encode_outcomes([chain]))), 1)
    assert back.depth == chain.depth
    old = {k: v for k, v in encode_outcomes([chain])[0].items() if k != "depth"}  # older runner
    assert decode_outcomes([old], 1)[0].depth == -1
    [plain] = capture(looped, [Probe("x", {"x": np.ones(4)}, "", "")])
    assert plain.depth == -1  # untraced probes are not measured


def test_traced_values_refuse_what_would_lose_their_depth():
    probe = Probe("x", {"x": np.linspace(0.1, 1.0, 5)}, "", "", traced=True)
    for fn in (lambda x: np.array(x, dtype=np.float64) * 2,  # a conversion in C
               lambda x: x.astype(np.int64),
               lambda x: np.array([float(v) for v in x]),
               lambda x: x[x > 0.5]):
        [o] = capture(fn, [probe])
        assert o.kind == "error" and o.detail.startswith("TracedValueError"), o
    [o] = capture(lambda x: np.zeros(5), [probe])  # an answer not made from the inputs
    assert o.kind == "untraced" and "float64 array" in o.detail
    [o] = capture(lambda x: np.concatenate([x[:2] * 1.0, np.zeros(3, dtype=object)]), [probe])
    assert o.kind == "untraced" and "plain numbers" in o.detail
    [o] = capture(lambda x: x.astype(float).copy() + 1.0, [probe])  # astype keeps the trace
    assert o.kind == "value" and o.depth == 1
    np.testing.assert_allclose(o.value, probe.args["x"] + 1.0)

    def in_place(x):
        x[1:] = x[1:] * x[:-1]
        return x

    [o] = capture(in_place, [probe])
    assert o.kind == "mutated" and o.detail == "x"
