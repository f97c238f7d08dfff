"""The checker framework itself: outcomes as plain data, and a transport that refuses
anything but numeric arrays of bounded size."""

from __future__ import annotations

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


def test_capture_counts_the_learners_lines_and_transport_keeps_them():
    def looped(x):
        total = 0.0
        for v in x:
            total += v
        return np.array(total)

    probe = Probe("x", {"x": np.ones(40)}, "", "")
    [o] = capture(looped, [probe])
    assert o.lines >= 80  # the loop's two lines, 40 times
    [back] = decode_outcomes(json.loads(json.dumps(encode_outcomes([o]))), 1)
    assert back.lines == o.lines
    old = {k: v for k, v in encode_outcomes([o])[0].items() if k != "lines"}  # older runner
    assert decode_outcomes([old], 1)[0].lines == -1
