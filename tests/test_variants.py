"""utils.variants (NumPy) against utils.torch_cells (float64), minGRU scan == loop, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from utils import torch_cells as tc
from utils import variants as V

TOL = {"rtol": 1e-12, "atol": 1e-12}
PAIRS = [(V.MGU, tc.MGUCell), (V.LiGRU, tc.LiGRUCell), (V.GRU1, tc.GRU1Cell),
         (V.GRU2, tc.GRU2Cell), (V.GRU3, tc.GRU3Cell), (V.CIFGLSTM, tc.CIFGLSTMCell),
         (V.MinGRU, tc.MinGRUCell)]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_close(actual, expected, what: str) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs {expected.shape}"
    diff = np.abs(actual - expected).max() if actual.size else 0.0
    assert np.allclose(actual, expected, **TOL), f"{what}: max |diff| = {diff:.3e}"


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a))


def make_pair(np_cls, torch_cls, H_in: int = 3, H: int = 4):
    """A NumPy cell and its torch twin with the same weights (NumPy → torch → NumPy)."""
    module = torch_cls(H_in, H, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    if isinstance(module, tc.LiGRUCell):  # non-trivial batch norm: affine and running stats
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            module.bn.weight.uniform_(0.5, 1.5, generator=g)
            module.bn.bias.uniform_(-0.5, 0.5, generator=g)
            module.bn.running_mean.uniform_(-0.3, 0.3, generator=g)
            module.bn.running_var.uniform_(0.5, 2.0, generator=g)
    cell = np_cls.from_torch(module)
    return cell, module


@pytest.mark.parametrize("np_cls,torch_cls", PAIRS, ids=[p[0].__name__ for p in PAIRS])
@pytest.mark.parametrize("with_state", [False, True])
def test_numpy_forward_equals_torch(np_cls, torch_cls, with_state: bool) -> None:
    cell, module = make_pair(np_cls, torch_cls)
    module.eval()
    X = rng(1).normal(size=(6, 5, 3))
    h0 = rng(2).normal(size=(5, 4))
    state0 = None
    if with_state:
        state0 = (h0, rng(3).normal(size=(5, 4))) if cell.has_cell_state else h0
    H_all, final = cell.forward(X, state0)
    t_state0 = None if state0 is None else (
        tuple(t(s) for s in state0) if cell.has_cell_state else t(state0))
    with torch.no_grad():
        H_ref, final_ref = tc.run_sequence(module, t(X), t_state0)
    assert_close(H_all, H_ref.numpy(), f"{np_cls.__name__} H_all")
    finals = final if cell.has_cell_state else (final,)
    ref_finals = final_ref if cell.has_cell_state else (final_ref,)
    for a, b in zip(finals, ref_finals, strict=True):
        assert_close(a, b.numpy(), f"{np_cls.__name__} final state")


@pytest.mark.parametrize("np_cls,torch_cls", PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_numpy_step_gates_equal_torch_gates(np_cls, torch_cls) -> None:
    cell, module = make_pair(np_cls, torch_cls)
    module.eval()
    x, h = rng(4).normal(size=(5, 3)), rng(5).normal(size=(5, 4))
    state = (h, rng(6).normal(size=(5, 4))) if cell.has_cell_state else h
    new_state, gates = cell.step(x, state, return_gates=True)
    t_state = tuple(t(s) for s in state) if cell.has_cell_state else t(state)
    with torch.no_grad():
        ref_gates = module.gates(t(x), t_state)
    assert set(gates) <= set(ref_gates)
    for name, value in gates.items():
        assert_close(value, ref_gates[name].numpy(), f"{np_cls.__name__} gate {name}")
    h_new = new_state[0] if cell.has_cell_state else new_state
    assert_close(h_new, ref_gates["h"].numpy(), f"{np_cls.__name__} h")


def test_ligru_training_mode_uses_batch_statistics_like_torch() -> None:
    cell, module = make_pair(V.LiGRU, tc.LiGRUCell)
    X = rng(7).normal(size=(6, 5, 3)) * 2 + 0.5
    module.train()
    with torch.no_grad():
        H_ref, _ = tc.run_sequence(module, t(X))
        h_ref = module(t(X[0]))  # one step: statistics over the N = 5 rows
    running_mean = cell.bn_running_mean.copy()
    H_train, _ = cell.forward(X, training=True)
    assert_close(H_train, H_ref.numpy(), "LiGRU training-mode sequence")
    assert_close(cell.step(X[0], training=True), h_ref.numpy(), "LiGRU training-mode step")
    H_eval, _ = cell.forward(X)  # running statistics: different numbers
    assert np.abs(H_eval - H_train).max() > 1e-3
    # NumPy does not update the running statistics; torch does
    assert np.array_equal(cell.bn_running_mean, running_mean)
    assert not np.allclose(module.bn.running_mean.numpy(), running_mean)


@pytest.mark.parametrize("T", [0, 1, 2, 3, 4, 7, 8, 9, 33])
def test_linear_scan_equals_loop(T: int) -> None:
    g = rng(T)
    a, b, h0 = g.uniform(0, 1.2, size=(T, 3, 2)), g.normal(size=(T, 3, 2)), g.normal(size=(3, 2))
    expected = V.linear_scan_loop(a, b, h0)
    h, manual = h0, []
    for s in range(T):  # the recurrence itself, written out
        h = a[s] * h + b[s]
        manual.append(h)
    assert_close(expected, np.array(manual).reshape(T, 3, 2), "loop vs recurrence")
    np.testing.assert_allclose(V.linear_scan(a, b, h0), expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tc.linear_scan(t(a), t(b), t(h0)).numpy(), expected,
                               rtol=0, atol=1e-10)


def test_linear_scan_does_not_modify_its_inputs() -> None:
    a, b, h0 = np.full((5, 2), 0.5), np.ones((5, 2)), np.zeros(2)
    V.linear_scan(a, b, h0)
    assert (a == 0.5).all() and (b == 1).all()


@pytest.mark.parametrize("T", [1, 5, 16, 50])
def test_mingru_scan_equals_loop(T: int) -> None:
    cell = V.MinGRU(3, 4, rng=rng(8))
    X, h0 = rng(9).normal(size=(T, 2, 3)), rng(10).normal(size=(2, 4))
    H_scan, h_scan, gates = cell.forward(X, h0, method="scan", return_gates=True)
    H_loop, h_loop, gates_loop = cell.forward(X, h0, method="loop", return_gates=True)
    np.testing.assert_allclose(H_scan, H_loop, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_scan, h_loop, rtol=0, atol=1e-10)
    for name in ("z", "n"):
        np.testing.assert_allclose(gates[name], gates_loop[name], rtol=0, atol=1e-12)


@pytest.mark.parametrize("with_state", [False, True])
def test_mingru_backward_equals_autograd(with_state: bool) -> None:
    cell, module = make_pair(V.MinGRU, tc.MinGRUCell)
    X, h0 = rng(11).normal(size=(7, 2, 3)), rng(12).normal(size=(2, 4))
    dH = rng(13).normal(size=(7, 2, 4))
    grads = cell.backward(X, h0 if with_state else None, dH)
    X_t = t(X).requires_grad_(True)
    h0_t = t(h0 if with_state else np.zeros((2, 4))).requires_grad_(True)
    H_all, _ = module.forward_sequence(X_t, h0_t, method="loop")
    inputs = [X_t, h0_t, module.weight_ih, module.bias]
    ref = torch.autograd.grad((H_all * t(dH)).sum(), inputs)
    for name, r in zip(["X", "h0", "weight_ih", "bias"], ref, strict=True):
        assert_close(grads[name], r.numpy(), f"MinGRU.backward d{name}")


@pytest.mark.parametrize("np_cls,torch_cls", PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_to_torch_round_trip(np_cls, torch_cls) -> None:
    cell = np_cls(3, 4, rng=rng(14))
    module = cell.to_torch()
    assert isinstance(module, torch_cls)
    back = np_cls.from_torch(module)
    for name, value in cell.parameters().items():
        assert np.array_equal(getattr(back, name), value), name
    assert sum(v.size for v in cell.parameters().values()) == sum(
        p.numel() for p in module.parameters())


def test_from_torch_rejects_the_wrong_module() -> None:
    with pytest.raises(ValueError, match="expected utils.torch_cells.MGUCell, got .*GRUCell"):
        V.MGU.from_torch(tc.GRUCell(3, 4))


@pytest.mark.parametrize("np_cls", [p[0] for p in PAIRS])
def test_shape_errors_name_expected_and_actual(np_cls) -> None:
    cell = np_cls(3, 4, rng=rng(15))
    name = np_cls.__name__
    with pytest.raises(ValueError, match=rf"{name}.forward: expected X of shape \(T, N, 3\)"
                                         rf".*got \(5, 2, 4\)"):
        cell.forward(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match=rf"{name}.step: expected x of shape \(N, 3\)"):
        cell.step(np.zeros(3))
    bad_h = np.zeros((3, 4))
    state = (bad_h, bad_h) if cell.has_cell_state else bad_h
    with pytest.raises(ValueError, match=r"of shape \(N, 4\).*with N = 2.*got \(3, 4\)"):
        cell.step(np.zeros((2, 3)), state)
    with pytest.raises(ValueError, match="expected input_size to be a positive int"):
        np_cls(0, 4)


@pytest.mark.parametrize("np_cls, name, expected", [
    (V.MGU, "weight_hh", "(8, 4) = (2·H, hidden_size)"),
    (V.GRU3, "weight_hh", "(4, 4) = (H, hidden_size)"),
    (V.CIFGLSTM, "weight_ih", "(12, 3) = (3·H, input_size)"),
    (V.LiGRU, "bn_weight", "(8,) = (2·H,)"),
])
def test_tampered_parameter_names_expected_and_actual(np_cls, name, expected) -> None:
    cell = np_cls(3, 4, rng=rng(0))
    setattr(cell, name, np.zeros((5, 3)))
    message = (f"{np_cls.__name__}.forward: expected parameter {name} of shape {expected}, "
               "got (5, 3)")
    with pytest.raises(ValueError) as info:
        cell.forward(np.zeros((2, 1, 3)))
    assert str(info.value).startswith(message), f"expected {message!r}, got {str(info.value)!r}"


def test_mingru_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="expected method 'scan' or 'loop', got 'fft'"):
        V.MinGRU(2, 3, rng=rng(0)).forward(np.zeros((4, 1, 2)), method="fft")


def test_ligru_batch_norm_epsilon_crosses_over() -> None:
    module = tc.LiGRUCell(3, 4, eps=0.5, dtype=torch.float64).eval()
    cell = V.LiGRU.from_torch(module)
    assert cell.eps == 0.5 and cell.to_torch().bn.eps == 0.5
    X = rng(16).normal(size=(4, 2, 3))
    with torch.no_grad():
        expected = tc.run_sequence(module, t(X))[0].numpy()
    assert_close(cell.forward(X)[0], expected, "LiGRU with eps=0.5")


# ------------------------------------------------------------------------------------------
# Independent references: the variants as special cases of cells validated against torch.nn
# (the tests above only compare utils.variants with utils.torch_cells, written together).
# ------------------------------------------------------------------------------------------


def _gru_before(H_in: int, H: int, weight_ih, weight_hh, bias_ih, bias_hh=None):
    """utils.numpy_cells.GRUCell(reset_after=False) (checked against plain torch ops and
    torch.nn.GRU in test_numpy_cells) with the given parameters."""
    from utils.numpy_cells import GRUCell

    gru = GRUCell(H_in, H, reset_after=False, rng=rng(0))
    gru.weight_ih, gru.weight_hh = np.asarray(weight_ih), np.asarray(weight_hh)
    gru.bias_ih = np.asarray(bias_ih)
    gru.bias_hh = np.zeros(3 * H) if bias_hh is None else np.asarray(bias_hh)
    return gru


def _sequence(seed: int, T: int = 6, N: int = 3, H_in: int = 3, H: int = 4):
    g = rng(seed)
    return g.normal(size=(T, N, H_in)), g.normal(size=(N, H))


def test_mgu_is_a_gru_with_r_equal_f_and_z_equal_one_minus_f() -> None:
    """Zhou et al.: h_t = (1 − f) h_{t−1} + f ñ with ñ = tanh(W_in x + W_hn (f ⊙ h) + b_n):
    a reset-before GRU with r = f and, since σ(−a) = 1 − σ(a), z = 1 − f from −(W_f, b_f)."""
    H_in, H = 3, 4
    mgu = V.MGU(H_in, H, rng=rng(20))
    W_if, W_in = mgu.weight_ih[:H], mgu.weight_ih[H:]
    W_hf, W_hn = mgu.weight_hh[:H], mgu.weight_hh[H:]
    b_f, b_n = mgu.bias[:H], mgu.bias[H:]
    gru = _gru_before(H_in, H, np.concatenate([W_if, -W_if, W_in]),
                      np.concatenate([W_hf, -W_hf, W_hn]), np.concatenate([b_f, -b_f, b_n]))
    X, h0 = _sequence(21)
    assert_close(mgu.forward(X, h0)[0], gru.forward(X, h0)[0], "MGU vs GRU(r = f, z = 1 − f)")


@pytest.mark.parametrize("np_cls", [V.GRU1, V.GRU2, V.GRU3])
def test_dey_salem_variants_are_a_gru_with_terms_removed(np_cls) -> None:
    """GRU1 drops W_ir, W_iz; GRU2 also b_r, b_z; GRU3 keeps only b_r, b_z in the gates."""
    H_in, H = 3, 4
    cell = np_cls(H_in, H, rng=rng(22))
    zeros_ih, zeros_hh = np.zeros((2 * H, H_in)), np.zeros((2 * H, H))
    weight_ih = np.concatenate([zeros_ih, cell.weight_ih])  # only W_in x_t
    if np_cls is V.GRU3:
        weight_hh = np.concatenate([zeros_hh, cell.weight_hh])  # only W_hn (r ⊙ h)
    else:
        weight_hh = cell.weight_hh
    bias = cell.bias if np_cls is not V.GRU2 else np.concatenate([np.zeros(2 * H), cell.bias])
    gru = _gru_before(H_in, H, weight_ih, weight_hh, bias)
    X, h0 = _sequence(23)
    assert_close(cell.forward(X, h0)[0], gru.forward(X, h0)[0], f"{np_cls.__name__} vs GRU")


def test_cifg_lstm_is_torch_lstm_with_forget_gate_minus_input_gate() -> None:
    """f = 1 − i = σ(−a_i): torch.nn.LSTM whose forget-gate rows are the negated input rows."""
    H_in, H = 3, 4
    cifg = V.CIFGLSTM(H_in, H, rng=rng(24))

    def lstm_rows(W):  # i | g | o → i | f = −i | g | o
        i, g, o = W[:H], W[H:2 * H], W[2 * H:]
        return np.concatenate([i, -i, g, o])

    lstm = torch.nn.LSTM(H_in, H, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(t(lstm_rows(cifg.weight_ih)))
        lstm.weight_hh_l0.copy_(t(lstm_rows(cifg.weight_hh)))
        lstm.bias_ih_l0.copy_(t(lstm_rows(cifg.bias)))
        lstm.bias_hh_l0.zero_()
    X, h0 = _sequence(25)
    c0 = rng(26).normal(size=h0.shape)
    H_all, (h_T, c_T) = cifg.forward(X, (h0, c0))
    with torch.no_grad():
        out, (h_n, c_n) = lstm(t(X), (t(h0)[None], t(c0)[None]))
    assert_close(H_all, out.numpy(), "CIFG vs torch.nn.LSTM with f = 1 − i")
    assert_close(c_T, c_n[0].numpy(), "CIFG final c")


def test_mingru_is_the_papers_recurrence_with_the_update_sign_flipped() -> None:
    """Feng et al.: z' = σ(W'x + b'), h̃ = W_h x + b_h, h_t = (1 − z') h_{t−1} + z' h̃,
    written out here, equals the course's minGRU with (W', b') = −(W_iz, b_z)."""
    H_in, H = 3, 4
    cell = V.MinGRU(H_in, H, rng=rng(27))
    W_z, W_h = -cell.weight_ih[:H], cell.weight_ih[H:]
    b_z, b_h = -cell.bias[:H], cell.bias[H:]
    X, h = _sequence(28)
    expected = []
    for x in X:
        z = 1 / (1 + np.exp(-(x @ W_z.T + b_z)))
        h = (1 - z) * h + z * (x @ W_h.T + b_h)
        expected.append(h)
    h0 = _sequence(28)[1]
    for method in ("scan", "loop"):
        assert_close(cell.forward(X, h0, method=method)[0], np.array(expected),
                     f"minGRU ({method}) vs the paper's equations")


@pytest.mark.parametrize("training", [False, True])
def test_ligru_is_the_papers_equations_with_torch_batchnorm(training: bool) -> None:
    """Ravanelli et al.: z = σ(BN(W_z x) + U_z h), ñ = ReLU(BN(W_h x) + U_h h),
    h = z h + (1 − z) ñ, with torch.nn.BatchNorm1d over all T·N rows of W x (training) or
    its running statistics (eval), written out here."""
    cell, module = make_pair(V.LiGRU, tc.LiGRUCell)
    H_in, H = 3, 4
    bn = torch.nn.BatchNorm1d(2 * H, dtype=torch.float64)
    bn.load_state_dict(module.bn.state_dict())
    bn.train(training)
    X, h = _sequence(29, T=5, N=3)
    h0 = h
    with torch.no_grad():
        a = bn(t(X.reshape(-1, H_in)) @ t(cell.weight_ih).T).numpy().reshape(5, 3, 2 * H)
    U_z, U_h = cell.weight_hh[:H], cell.weight_hh[H:]
    expected = []
    for a_t in a:
        z = 1 / (1 + np.exp(-(a_t[:, :H] + h @ U_z.T)))
        n = np.maximum(a_t[:, H:] + h @ U_h.T, 0)
        h = z * h + (1 - z) * n
        expected.append(h)
    assert_close(cell.forward(X, h0, training=training)[0], np.array(expected),
                 f"Li-GRU (training={training}) vs the paper's equations")
