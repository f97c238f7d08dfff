"""utils.conventions: Chung ↔ PyTorch, Keras ↔ PyTorch, reset before vs after.

PyTorch (float64) is the reference wherever it implements the convention; where it does not
(Chung's update sign, Keras' layout, reset-before), the test writes the source's own
formula in torch, independently of the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_reference import torch_gru_step  # tests/gru_reference.py

from utils.conventions import (
    MatmulCount,
    cell_from_params,
    check_params,
    chung_step,
    chung_to_pytorch,
    concat_step,
    concat_to_pytorch,
    count_matmuls,
    fused_step,
    keras_step,
    keras_to_pytorch,
    pytorch_to_chung,
    pytorch_to_keras,
    reset_placement_gap,
    with_gate_offsets,
)
from utils.numpy_cells import GRUCell

TOL = 1e-12
SIZES = [(3, 3, 1), (2, 5, 4), (7, 4, 3)]  # (H_in, H, N)


def random_case(H_in: int, H: int, N: int, seed: int):
    """PyTorch-layout parameters (scaled up so the gates are far from 0.5), x and h_prev."""
    rng = np.random.default_rng(seed)
    params = {k: 2 * v for k, v in GRUCell(H_in, H, rng=rng).parameters().items()}
    x = rng.normal(size=(N, H_in))
    h_prev = rng.uniform(-1, 1, size=(N, H))
    return params, x, h_prev


def torch_cell(params) -> torch.nn.GRUCell:
    H3, H_in = np.shape(params["weight_ih"])
    cell = torch.nn.GRUCell(H_in, H3 // 3, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.as_tensor(params[name]))
    return cell


def torch_step(params, x, h_prev) -> np.ndarray:
    with torch.no_grad():
        return torch_cell(params)(torch.as_tensor(x), torch.as_tensor(h_prev)).numpy()


def t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _gates(params, x, h_prev, *, reset_after: bool):
    """``(r, z, n, h_prev)`` as torch tensors, from the plain-torch reference step."""
    h = t(h_prev)
    r, z, n, _ = torch_gru_step(t(x), h, *(t(params[k]) for k in
                                          ("weight_ih", "weight_hh", "bias_ih", "bias_hh")),
                                reset_after=reset_after)
    return r, z, n, h


def reference_reset_before(params, x, h_prev) -> np.ndarray:
    """Cho et al. 2014 (v3) / d2l, in torch: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)."""
    _, z, n, h = _gates(params, x, h_prev, reset_after=False)
    return ((1 - z) * n + z * h).numpy()


def reference_chung(params, x, h_prev, *, reset_after: bool) -> np.ndarray:
    """Chung et al. 2014's blend h = z ⊙ n + (1 − z) ⊙ h_prev, in torch."""
    _, z, n, h = _gates(params, x, h_prev, reset_after=reset_after)
    return (z * n + (1 - z) * h).numpy()


# ------------------------------------------------------------------------------ Chung ↔ PyTorch


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_chung_step_matches_chung_formula(H_in, H, N, seed):
    params, x, h_prev = random_case(H_in, H, N, seed)
    for reset_after in (True, False):
        got = chung_step(params, x, h_prev, reset_after=reset_after)
        want = reference_chung(params, x, h_prev, reset_after=reset_after)
        diff = np.max(np.abs(got - want))
        assert diff < TOL, f"chung_step(reset_after={reset_after}): max |diff| = {diff:.2e}"


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chung_with_negated_update_gate_equals_torch(H_in, H, N, seed):
    chung_params, x, h_prev = random_case(H_in, H, N, seed)
    h_chung = reference_chung(chung_params, x, h_prev, reset_after=True)
    h_torch = torch_step(chung_to_pytorch(chung_params), x, h_prev)
    diff = np.max(np.abs(h_chung - h_torch))
    assert diff < TOL, f"Chung vs torch.nn.GRUCell after conversion: max |diff| = {diff:.2e}"
    # Without the conversion the two conventions really differ (the test can fail).
    unconverted = np.max(np.abs(h_chung - torch_step(chung_params, x, h_prev)))
    assert unconverted > 1e-3, f"expected the raw conventions to differ, got {unconverted:.2e}"


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_chungs_own_gru_is_the_reset_before_cell_with_negated_update_weights(H_in, H, N, seed):
    """Chung et al. 2014 reset *before* the product: the negation is exact against the
    reset-before cell, and that cell is not torch.nn.GRUCell (reset after)."""
    chung_params, x, h_prev = random_case(H_in, H, N, seed)
    h_chung = chung_step(chung_params, x, h_prev)  # the default is Chung's own placement
    np.testing.assert_allclose(h_chung, reference_chung(chung_params, x, h_prev,
                                                        reset_after=False), rtol=0, atol=TOL)
    converted = chung_to_pytorch(chung_params)
    exact = cell_from_params(converted, reset_after=False).step(x, h_prev)
    assert np.max(np.abs(h_chung - exact)) < TOL
    gap = np.max(np.abs(h_chung - torch_step(converted, x, h_prev)))
    assert gap > 1e-5, f"Chung's GRU should differ from torch.nn.GRUCell, gap {gap:.2e}"


def concat_by_hand(W_r, W_z, W_h, b, x, h_prev):
    """The tutorials' equations, in torch, written from the formulas (z takes the new state)."""
    W_r, W_z, W_h, x, h = t(W_r), t(W_z), t(W_h), t(x), t(h_prev)
    b_r, b_z, b_h = (t(v) for v in b)
    hx = torch.cat([h, x], dim=1)
    r = torch.sigmoid(hx @ W_r.T + b_r)
    z = torch.sigmoid(hx @ W_z.T + b_z)
    h_tilde = torch.tanh(torch.cat([r * h, x], dim=1) @ W_h.T + b_h)
    return ((1 - z) * h + z * h_tilde).numpy()


@pytest.mark.parametrize("H_in, H, N", SIZES)
def test_concatenated_notation_maps_onto_weight_ih_and_weight_hh(H_in, H, N):
    rng = np.random.default_rng(H_in * 10 + H)
    W_r, W_z, W_h = (rng.uniform(-1, 1, (H, H + H_in)) for _ in range(3))
    b = tuple(rng.uniform(-1, 1, H) for _ in range(3))
    x, h_prev = rng.normal(size=(N, H_in)), rng.uniform(-1, 1, (N, H))
    want = concat_by_hand(W_r, W_z, W_h, b, x, h_prev)
    got = concat_step(W_r, W_z, W_h, x, h_prev, b_r=b[0], b_z=b[1], b_h=b[2])
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    params = concat_to_pytorch(W_r, W_z, W_h, input_size=H_in, b_r=b[0], b_z=b[1], b_h=b[2])
    assert params["weight_ih"].shape == (3 * H, H_in) and params["weight_hh"].shape == (3 * H, H)
    np.testing.assert_array_equal(params["weight_hh"][:H], W_r[:, :H])  # r block, h columns
    np.testing.assert_array_equal(params["weight_ih"][H:2 * H], -W_z[:, H:])  # z negated
    np.testing.assert_array_equal(params["bias_hh"], 0.0)
    np.testing.assert_allclose(cell_from_params(params, reset_after=False).step(x, h_prev),
                               want, rtol=0, atol=TOL)
    # without the sign flip the blend is the other way round; in torch (reset after) it differs
    keep = concat_to_pytorch(W_r, W_z, W_h, input_size=H_in, b_r=b[0], b_z=b[1], b_h=b[2],
                             z_takes=False)
    assert np.max(np.abs(cell_from_params(keep, reset_after=False).step(x, h_prev) - want)) > 1e-3
    assert np.max(np.abs(torch_step(params, x, h_prev) - want)) > 1e-3
    # biases default to zero, as in texts that omit them
    np.testing.assert_allclose(concat_step(W_r, W_z, W_h, x, h_prev),
                               concat_by_hand(W_r, W_z, W_h, (np.zeros(H),) * 3, x, h_prev),
                               rtol=0, atol=TOL)


def test_concatenated_notation_validates_shapes():
    with pytest.raises(ValueError, match=r"expected W_r of shape \(H, H \+ H_in\)"):
        concat_to_pytorch(np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4)), input_size=2)
    with pytest.raises(ValueError, match="W_h"):
        concat_to_pytorch(np.zeros((3, 5)), np.zeros((3, 5)), np.zeros((3, 4)), input_size=2)
    with pytest.raises(ValueError, match="h_prev"):
        concat_step(*(np.zeros((3, 5)),) * 3, np.zeros((2, 2)), np.zeros((2, 4)))


def test_chung_conversion_negates_only_the_update_block_and_is_an_involution():
    params, _, _ = random_case(4, 5, 1, 0)
    H = 5
    converted = chung_to_pytorch(params)
    for name, value in params.items():
        np.testing.assert_array_equal(converted[name][:H], value[:H], err_msg=f"{name} r")
        np.testing.assert_array_equal(converted[name][H:2 * H], -value[H:2 * H],
                                      err_msg=f"{name} z")
        np.testing.assert_array_equal(converted[name][2 * H:], value[2 * H:], err_msg=f"{name} n")
        np.testing.assert_array_equal(pytorch_to_chung(converted)[name], value)
    # The input is not modified in place.
    np.testing.assert_array_equal(params["bias_hh"], random_case(4, 5, 1, 0)[0]["bias_hh"])


# ------------------------------------------------------------------------------ Keras layout


def keras_from_torch_by_hand(params, *, reset_after: bool):
    """Keras arrays built slice by slice (gate order z, r, h; transposed), not via the module."""
    W_ir, W_iz, W_in = np.split(np.asarray(params["weight_ih"]), 3)
    W_hr, W_hz, W_hn = np.split(np.asarray(params["weight_hh"]), 3)
    b_ir, b_iz, b_in = np.split(np.asarray(params["bias_ih"]), 3)
    b_hr, b_hz, b_hn = np.split(np.asarray(params["bias_hh"]), 3)
    kernel = np.hstack([W_iz.T, W_ir.T, W_in.T])  # (H_in, 3H)
    recurrent_kernel = np.hstack([W_hz.T, W_hr.T, W_hn.T])  # (H, 3H)
    if reset_after:
        bias = np.vstack([np.concatenate([b_iz, b_ir, b_in]),
                          np.concatenate([b_hz, b_hr, b_hn])])  # (2, 3H)
    else:
        bias = np.concatenate([b_iz + b_hz, b_ir + b_hr, b_in + b_hn])  # (3H,)
    return kernel, recurrent_kernel, bias


def keras_step_reference(kernel, recurrent_kernel, bias, x, h_prev, *,
                         reset_after: bool) -> np.ndarray:
    """keras.layers.GRUCell.call (implementation 2), transcribed in NumPy."""
    units = recurrent_kernel.shape[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    matrix_x = x @ kernel + input_bias
    x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
    if reset_after:
        matrix_inner = h_prev @ recurrent_kernel + recurrent_bias
    else:
        matrix_inner = h_prev @ recurrent_kernel[:, : 2 * units]
    recurrent_z, recurrent_r = matrix_inner[:, :units], matrix_inner[:, units:2 * units]
    z = 1 / (1 + np.exp(-(x_z + recurrent_z)))
    r = 1 / (1 + np.exp(-(x_r + recurrent_r)))
    if reset_after:
        recurrent_h = r * matrix_inner[:, 2 * units:]
    else:
        recurrent_h = (r * h_prev) @ recurrent_kernel[:, 2 * units:]
    hh = np.tanh(x_h + recurrent_h)
    return z * h_prev + (1 - z) * hh


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_to_pytorch_recovers_the_hand_built_weights(H_in, H, N, reset_after):
    params, x, h_prev = random_case(H_in, H, N, 3)
    kernel, rk, bias = keras_from_torch_by_hand(params, reset_after=reset_after)
    converted = keras_to_pytorch(kernel, rk, bias, reset_after=reset_after)
    assert {k: v.shape for k, v in converted.items()} == {k: v.shape for k, v in params.items()}
    np.testing.assert_array_equal(converted["weight_ih"], params["weight_ih"])
    np.testing.assert_array_equal(converted["weight_hh"], params["weight_hh"])
    if reset_after:
        np.testing.assert_array_equal(converted["bias_ih"], params["bias_ih"])
        np.testing.assert_array_equal(converted["bias_hh"], params["bias_hh"])
    else:  # one Keras bias: it all lands in bias_ih
        np.testing.assert_allclose(converted["bias_ih"], params["bias_ih"] + params["bias_hh"],
                                   rtol=0, atol=TOL)
        np.testing.assert_array_equal(converted["bias_hh"], np.zeros(3 * H))


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_converted_keras_weights_compute_the_same_h(H_in, H, N, reset_after):
    params, x, h_prev = random_case(H_in, H, N, 4)
    kernel, rk, bias = keras_from_torch_by_hand(params, reset_after=reset_after)
    h_keras = keras_step_reference(kernel, rk, bias, x, h_prev, reset_after=reset_after)
    converted = keras_to_pytorch(kernel, rk, bias, reset_after=reset_after)
    if reset_after:
        h_ours = torch_step(converted, x, h_prev)
        h_torch_original = torch_step(params, x, h_prev)
        assert np.max(np.abs(h_torch_original - h_keras)) < TOL
    else:
        h_ours = cell_from_params(converted, reset_after=False).step(x, h_prev)
        assert np.max(np.abs(reference_reset_before(params, x, h_prev) - h_keras)) < TOL
    diff = np.max(np.abs(h_ours - h_keras))
    assert diff < TOL, f"Keras vs converted (reset_after={reset_after}): max |diff| = {diff:.2e}"


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_step_is_keras_equations_and_matches_pytorch(H_in, H, N, reset_after):
    """utils.conventions.keras_step = this file's transcription of Keras' GRUCell.call, and
    on hand-built Keras weights it computes what the PyTorch-layout cell computes."""
    params, x, h_prev = random_case(H_in, H, N, 5)
    kernel, rk, bias = keras_from_torch_by_hand(params, reset_after=reset_after)
    h = keras_step(kernel, rk, bias, x, h_prev, reset_after=reset_after)
    assert h.shape == (N, H)
    want = keras_step_reference(kernel, rk, bias, x, h_prev, reset_after=reset_after)
    assert np.max(np.abs(h - want)) < TOL
    ref = (torch_step(params, x, h_prev) if reset_after
           else reference_reset_before(params, x, h_prev))
    assert np.max(np.abs(want - ref)) < TOL
    with pytest.raises(ValueError, match="bias"):
        keras_step(kernel, rk, bias[0] if reset_after else bias[:-1], x, h_prev,
                   reset_after=reset_after)
    with pytest.raises(ValueError, match="h_prev"):
        keras_step(kernel, rk, bias, x, h_prev[:, :-1], reset_after=reset_after)


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_round_trips(reset_after):
    params, x, h_prev = random_case(3, 4, 2, 5)
    keras = pytorch_to_keras(params, reset_after=reset_after)
    H = 4
    assert keras["kernel"].shape == (3, 3 * H)
    assert keras["recurrent_kernel"].shape == (H, 3 * H)
    assert keras["bias"].shape == ((2, 3 * H) if reset_after else (3 * H,))
    hand = keras_from_torch_by_hand(params, reset_after=reset_after)
    for name, want in zip(("kernel", "recurrent_kernel", "bias"), hand):
        np.testing.assert_allclose(keras[name], want, rtol=0, atol=TOL, err_msg=name)
    back = keras_to_pytorch(**keras, reset_after=reset_after)
    again = pytorch_to_keras(back, reset_after=reset_after)
    for name in keras:  # Keras → PyTorch → Keras is exact
        np.testing.assert_array_equal(again[name], keras[name], err_msg=name)
    if reset_after:  # PyTorch → Keras → PyTorch is exact when no bias is merged
        for name in params:
            np.testing.assert_array_equal(back[name], params[name], err_msg=name)


def test_keras_shapes_are_validated_with_expected_and_actual():
    params, _, _ = random_case(3, 4, 1, 0)
    kernel, rk, bias = keras_from_torch_by_hand(params, reset_after=True)
    with pytest.raises(ValueError, match=r"kernel of shape \(H_in, 12\).*got \(3, 11\)"):
        keras_to_pytorch(kernel[:, :11], rk, bias)
    with pytest.raises(ValueError, match=r"recurrent_kernel of shape \(H, 3H\).*got \(4, 11\)"):
        keras_to_pytorch(kernel, rk[:, :11], bias)
    with pytest.raises(ValueError, match=r"bias \(reset_after=True\) of shape \(2, 12\).*"
                                         r"got \(12,\)"):
        keras_to_pytorch(kernel, rk, bias[0])
    with pytest.raises(ValueError, match=r"bias \(reset_after=False\) of shape \(12,\).*"
                                         r"got \(2, 12\)"):
        keras_to_pytorch(kernel, rk, bias, reset_after=False)


def test_pytorch_params_are_validated():
    params, _, _ = random_case(3, 4, 1, 0)
    with pytest.raises(ValueError, match="missing"):
        check_params({k: v for k, v in params.items() if k != "bias_hh"}, where="here")
    bad = dict(params, weight_hh=params["weight_hh"][:, :3])
    with pytest.raises(ValueError, match=r"weight_hh of shape \(3H, H\).*got \(12, 3\)"):
        pytorch_to_keras(bad)
    bad = dict(params, bias_ih=params["bias_ih"][:-1])
    with pytest.raises(ValueError, match=r"bias_ih of shape \(12,\).*got \(11,\)"):
        chung_to_pytorch(bad)


# ------------------------------------------------------------------------------ reset placement


@pytest.mark.parametrize("H_in, H, N", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_reset_after_and_before_each_match_their_reference(H_in, H, N, seed):
    params, x, h_prev = random_case(H_in, H, N, seed)
    h_after_torch = torch_step(params, x, h_prev)
    h_before_ref = reference_reset_before(params, x, h_prev)
    checks = {
        "fused_step(after) vs torch.nn.GRUCell": (
            fused_step(params, x, h_prev, reset_after=True), h_after_torch),
        "GRUCell(reset_after=True) vs torch.nn.GRUCell": (
            cell_from_params(params).step(x, h_prev), h_after_torch),
        "fused_step(before) vs reference": (
            fused_step(params, x, h_prev, reset_after=False), h_before_ref),
        "GRUCell(reset_after=False) vs reference": (
            cell_from_params(params, reset_after=False).step(x, h_prev), h_before_ref),
    }
    for label, (got, want) in checks.items():
        diff = np.max(np.abs(got - want))
        assert diff < TOL, f"{label}: max |diff| = {diff:.2e}"
    gap = np.max(np.abs(h_after_torch - h_before_ref))
    assert gap > 1e-4, f"expected reset-after and reset-before to differ, max |diff| = {gap:.2e}"


def test_placements_agree_when_the_reset_gate_is_open_and_b_hn_is_zero_or_r_is_one():
    # r = 1 exactly: r ⊙ (W h + b) = W (r ⊙ h) + b, so the two models coincide.
    params, x, h_prev = random_case(3, 4, 2, 7)
    open_r = with_gate_offsets(params, r=1000.0)
    after = fused_step(open_r, x, h_prev, reset_after=True)
    before = fused_step(open_r, x, h_prev, reset_after=False)
    assert np.max(np.abs(after - before)) < TOL


def test_count_matmuls_traces_the_products():
    assert count_matmuls(reset_after=True) == MatmulCount(total=2, on_state=1, chain=1)
    assert count_matmuls(reset_after=False) == MatmulCount(total=3, on_state=2, chain=2)
    assert count_matmuls(reset_after=False, input_size=5, hidden_size=7).total == 3


def test_gate_offsets_saturate_exactly():
    params, x, h_prev = random_case(3, 4, 2, 8)
    _, gates = cell_from_params(with_gate_offsets(params, r=-1000.0)).step(
        x, h_prev, return_gates=True)
    assert np.all(gates["r"] == 0.0), f"expected r_t = 0, got max {gates['r'].max():.2e}"
    h_t = cell_from_params(with_gate_offsets(params, z=1000.0)).step(x, h_prev)
    np.testing.assert_array_equal(h_t, h_prev)  # z = 1: the step is skipped
    _, gates = cell_from_params(with_gate_offsets(params, z=-1000.0)).step(
        x, h_prev, return_gates=True)
    np.testing.assert_allclose(cell_from_params(with_gate_offsets(params, z=-1000.0)).step(
        x, h_prev), gates["n"], rtol=0, atol=TOL)  # z = 0: replaced by the candidate


def test_reset_placement_gap_is_seeded_and_vanishes_without_weights():
    a = reset_placement_gap(3, 5, rng=np.random.default_rng(0), trials=6, steps=2)
    b = reset_placement_gap(3, 5, rng=np.random.default_rng(0), trials=6, steps=2)
    assert a.shape == (6,)
    np.testing.assert_array_equal(a, b)
    assert np.all(a > 0)
    zero = reset_placement_gap(3, 5, rng=np.random.default_rng(0), trials=3, weight_scale=0.0)
    np.testing.assert_array_equal(zero, np.zeros(3))
    with pytest.raises(ValueError, match="Generator"):
        reset_placement_gap(3, 5, rng=0)  # type: ignore[arg-type]
