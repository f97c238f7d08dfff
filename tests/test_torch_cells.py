"""utils.torch_cells against torch.nn (float64): cells, sequences, gradients, shapes, models."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from utils import torch_cells as tc

DT = torch.float64
TOL = {"rtol": 1e-12, "atol": 1e-12}
CORE = {
    "rnn": (tc.RNNCell, nn.RNNCell, nn.RNN),
    "gru": (tc.GRUCell, nn.GRUCell, nn.GRU),
    "lstm": (tc.LSTMCell, nn.LSTMCell, nn.LSTM),
}
VARIANT_CELLS = [tc.MGUCell, tc.LiGRUCell, tc.GRU1Cell, tc.GRU2Cell, tc.GRU3Cell,
                 tc.CIFGLSTMCell, tc.MinGRUCell]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int = 0, grad: bool = False) -> torch.Tensor:
    return torch.randn(*shape, generator=gen(seed), dtype=DT).requires_grad_(grad)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs {expected.shape}"
    diff = (actual - expected).abs().max().item() if actual.numel() else 0.0
    assert torch.allclose(actual, expected, **TOL), f"{what}: max |diff| = {diff:.3e}"


def pair(kind: str, H_in: int, H: int, sequence: bool = False):
    """(own cell, torch.nn reference) in float64 with the reference's weights."""
    own_cls, cell_cls, seq_cls = CORE[kind]
    ref = (seq_cls if sequence else cell_cls)(H_in, H, dtype=DT)
    own = own_cls(H_in, H, dtype=DT)
    state = {k.removesuffix("_l0"): v for k, v in ref.state_dict().items()}
    own.load_state_dict(state)  # strict: same names and shapes
    return own, ref


def loss_of(out) -> torch.Tensor:
    # a weighted sum, so every output element gets its own gradient
    outs = out if isinstance(out, tuple) else (out,)
    total = 0
    for i, o in enumerate(outs):
        w = torch.linspace(-1, 1, o.numel(), dtype=DT).reshape(o.shape)
        total = total + ((i + 1) * w * o).sum()
    return total


# --------------------------------------------------------------------------- single cells


@pytest.mark.parametrize("kind", CORE)
@pytest.mark.parametrize("N,H_in,H", [(1, 1, 1), (4, 3, 5), (3, 6, 2)])
def test_cell_matches_torch_outputs_and_grads(kind: str, N: int, H_in: int, H: int) -> None:
    own, ref = pair(kind, H_in, H)
    x = randn(N, H_in, seed=1, grad=True)
    h = randn(N, H, seed=2, grad=True)
    state = (h, randn(N, H, seed=3, grad=True)) if kind == "lstm" else h
    out_own, out_ref = own(x, state), ref(x, state)
    for a, b in zip(out_own if kind == "lstm" else [out_own],
                    out_ref if kind == "lstm" else [out_ref], strict=True):
        assert_close(a, b, f"{kind} output")
    inputs = [x, *(state if kind == "lstm" else [state])]
    g_own = torch.autograd.grad(loss_of(out_own), [*inputs, *own.parameters()])
    g_ref = torch.autograd.grad(loss_of(out_ref), [*inputs, *ref.parameters()])
    names = ["x", "h", "c"][: len(inputs)] + [n for n, _ in own.named_parameters()]
    for name, a, b in zip(names, g_own, g_ref, strict=True):
        assert_close(a, b, f"{kind} grad {name}")


@pytest.mark.parametrize("kind", CORE)
def test_cell_default_state_and_unbatched(kind: str) -> None:
    own, ref = pair(kind, 3, 4)
    x = randn(2, 3, seed=5)
    out_own, out_ref = own(x), ref(x)  # state None -> zeros
    assert_close(out_own[0] if kind == "lstm" else out_own,
                 out_ref[0] if kind == "lstm" else out_ref, f"{kind} zero state")
    x1 = randn(3, seed=6)  # unbatched (H_in,)
    o1, r1 = own(x1), ref(x1)
    a, b = (o1[1], r1[1]) if kind == "lstm" else (o1, r1)
    assert_close(a, b, f"{kind} unbatched")


@pytest.mark.parametrize("kind", CORE)
def test_gates_recompute_the_same_step(kind: str) -> None:
    own, ref = pair(kind, 3, 4)
    x, h = randn(5, 3, seed=7), randn(5, 4, seed=8)
    state = (h, randn(5, 4, seed=9)) if kind == "lstm" else h
    new_state, gates = own(x, state, return_gates=True)
    expected = ref(x, state)
    if kind == "lstm":
        assert set(gates) == {"i", "f", "g", "o", "c", "h"}
        assert_close(gates["c"], expected[1], "lstm gates c")
        assert_close(new_state[0], expected[0], "lstm gates h")
    else:
        assert_close(new_state, expected, f"{kind} gates h")
    if kind == "gru":
        assert set(gates) == {"r", "z", "n", "h"}
        # the update rule in terms of the returned gates: z keeps the old state
        assert_close(gates["h"], (1 - gates["z"]) * gates["n"] + gates["z"] * h, "gru rule")
        assert ((gates["r"] > 0) & (gates["r"] < 1)).all()
    assert torch.equal(own.gates(x, state)["h"], gates["h"])


def gru_reset_before_reference(cell: tc.GRUCell, X: torch.Tensor, h: torch.Tensor):
    """Cho et al. (2014) v3 / d2l, written from plain ops, independent of the module."""
    W_ir, W_iz, W_in = cell.weight_ih.chunk(3)
    W_hr, W_hz, W_hn = cell.weight_hh.chunk(3)
    b_ir, b_iz, b_in = cell.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = cell.bias_hh.chunk(3)
    outs = []
    for x in X:
        r = 1 / (1 + torch.exp(-(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)))
        z = 1 / (1 + torch.exp(-(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)))
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs)


def test_reset_after_false_matches_plain_ops_reference() -> None:
    cell = tc.GRUCell(3, 4, reset_after=False, dtype=DT, generator=gen(3))
    X, h0 = randn(6, 2, 3, seed=10, grad=True), randn(2, 4, seed=11, grad=True)
    H_all, h_T = tc.run_sequence(cell, X, h0)
    H_ref = gru_reset_before_reference(cell, X, h0)
    assert_close(H_all, H_ref, "reset_after=False outputs")
    assert_close(h_T, H_ref[-1], "reset_after=False final state")
    inputs = [X, h0, *cell.parameters()]
    for a, b in zip(torch.autograd.grad(loss_of(H_all), inputs),
                    torch.autograd.grad(loss_of(H_ref), inputs), strict=True):
        assert_close(a, b, "reset_after=False grad")
    # the gates path must agree too, and differ from reset_after=True on the same weights
    assert_close(cell(X[0], h0, return_gates=True)[1]["h"], H_ref[0], "gates path")
    after = tc.GRUCell(3, 4, reset_after=True, dtype=DT)
    after.load_state_dict(cell.state_dict())
    assert (after(X[0], h0) - H_ref[0]).abs().max() > 1e-6


# --------------------------------------------------------------------------- sequences


@pytest.mark.parametrize("kind", CORE)
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("T,N,H_in,H", [(1, 1, 2, 3), (7, 4, 3, 5)])
def test_sequence_matches_torch_nn(kind, with_state, T, N, H_in, H) -> None:
    own, ref = pair(kind, H_in, H, sequence=True)
    X = randn(T, N, H_in, seed=12, grad=True)
    h0 = randn(N, H, seed=13, grad=True)
    c0 = randn(N, H, seed=14, grad=True)
    state0 = ((h0, c0) if kind == "lstm" else h0) if with_state else None
    ref_state0 = None
    if with_state:
        ref_state0 = (h0[None], c0[None]) if kind == "lstm" else h0[None]
    H_all, final = tc.Recurrent(own)(X, state0)
    out, h_n = ref(X, ref_state0)
    assert_close(H_all, out, f"{kind} outputs")
    finals = final if kind == "lstm" else (final,)
    ref_finals = h_n if kind == "lstm" else (h_n,)
    for a, b in zip(finals, ref_finals, strict=True):
        assert_close(a, b[0], f"{kind} final state")
    inputs = [X] + ([h0, c0][: 2 if kind == "lstm" else 1] if with_state else [])
    loss_own = loss_of(H_all) + loss_of(finals)
    loss_ref = loss_of(out) + loss_of(tuple(s[0] for s in ref_finals))
    g_own = torch.autograd.grad(loss_own, [*inputs, *own.parameters()])
    g_ref = torch.autograd.grad(loss_ref, [*inputs, *ref.parameters()])
    for i, (a, b) in enumerate(zip(g_own, g_ref, strict=True)):
        assert_close(a, b, f"{kind} grad #{i}")


@pytest.mark.parametrize("kind", CORE)
def test_sequence_unbatched_matches_batch_of_one(kind: str) -> None:
    own, ref = pair(kind, 3, 4, sequence=True)
    X = randn(5, 3, seed=15)
    H_all, final = tc.run_sequence(own, X)
    out, _ = ref(X)
    assert H_all.shape == (5, 4)
    assert_close(H_all, out, f"{kind} unbatched sequence")
    assert (final[0] if kind == "lstm" else final).shape == (4,)


@pytest.mark.parametrize("cls", VARIANT_CELLS + [tc.RNNCell, tc.GRUCell, tc.LSTMCell])
def test_sequence_equals_repeated_gates_steps(cls) -> None:
    cell = cls(3, 4, dtype=DT, generator=gen(1)).eval()
    X, N = randn(6, 2, 3, seed=16), 2
    H_all, final = tc.run_sequence(cell, X)
    state = cell.initial_state((N,), X)
    for t in range(6):
        state, gates = cell(X[t], state, return_gates=True)
        assert_close(gates["h"], H_all[t], f"{cls.__name__} step {t}")
    f = final if isinstance(final, tuple) else (final,)
    s = state if isinstance(state, tuple) else (state,)
    for a, b in zip(f, s, strict=True):
        assert_close(a, b, f"{cls.__name__} final")


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize("cls", VARIANT_CELLS)
def test_variant_gradcheck(cls) -> None:
    cell = cls(2, 3, dtype=DT, generator=gen(2))
    if isinstance(cell, tc.LiGRUCell):
        with torch.no_grad():  # non-trivial batch-norm affine parameters
            cell.bn.weight.uniform_(0.5, 1.5, generator=gen(3))
            cell.bn.bias.uniform_(-0.5, 0.5, generator=gen(4))
    X = randn(3, 2, 2, seed=17, grad=True)
    h0 = randn(2, 3, seed=18, grad=True)
    state0 = (h0, randn(2, 3, seed=19, grad=True)) if cell.has_cell_state else (h0,)
    seq = tc.Recurrent(cell)
    names = [n for n, _ in seq.named_parameters()]
    buffers = dict(seq.named_buffers())

    def run(X, *rest):
        # parameters are inputs too, so gradcheck checks their gradients as well
        n_state = len(state0)
        state = tuple(rest[:n_state]) if cell.has_cell_state else rest[0]
        params = dict(zip(names, rest[n_state:], strict=True))
        return torch.func.functional_call(seq, {**params, **buffers}, (X, state))[0]

    params = (p.detach().clone().requires_grad_(True) for p in seq.parameters())
    assert torch.autograd.gradcheck(run, (X, *state0, *params), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13])
def test_mingru_scan_equals_loop(T: int) -> None:
    cell = tc.MinGRUCell(3, 4, dtype=DT, generator=gen(5))
    X, h0 = randn(T, 2, 3, seed=20, grad=True), randn(2, 4, seed=21, grad=True)
    H_scan, h_scan = cell.forward_sequence(X, h0, method="scan")
    H_loop, h_loop = cell.forward_sequence(X, h0, method="loop")
    torch.testing.assert_close(H_scan, H_loop, rtol=0, atol=1e-10)
    torch.testing.assert_close(h_scan, h_loop, rtol=0, atol=1e-10)
    inputs = [X, h0, *cell.parameters()]
    for a, b in zip(torch.autograd.grad(loss_of(H_scan), inputs),
                    torch.autograd.grad(loss_of(H_loop), inputs), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_linear_scan_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"h0 of shape \(\*batch\).*h0 \(3,\)"):
        tc.linear_scan(torch.ones(4, 2), torch.ones(4, 2), torch.ones(3))


def test_ligru_batch_norm_equals_torch_batchnorm1d_in_both_modes() -> None:
    cell = tc.LiGRUCell(3, 4, dtype=DT, generator=gen(6))
    with torch.no_grad():
        cell.bn.weight.uniform_(0.5, 1.5, generator=gen(7))
        cell.bn.bias.uniform_(-0.5, 0.5, generator=gen(8))
    ref = nn.BatchNorm1d(8, dtype=DT)
    ref.load_state_dict(cell.bn.state_dict())
    for step in range(3):
        a = (randn(10, 8, seed=30 + step) * 3 + 1).requires_grad_(True)
        out, expected = cell.batch_norm(a), ref(a)
        assert_close(out, expected, f"BN training output, batch {step}")
        g = torch.autograd.grad(loss_of(out), [a, cell.bn.weight, cell.bn.bias])
        g_ref = torch.autograd.grad(loss_of(expected), [a, ref.weight, ref.bias])
        for x, y in zip(g, g_ref, strict=True):
            assert_close(x, y, f"BN training grad, batch {step}")
        for name, buf in ref.named_buffers():  # running statistics updated the same way
            assert torch.allclose(cell.bn.get_buffer(name).to(buf.dtype), buf, **TOL), name
    cell.eval(), ref.eval()
    a = randn(5, 8, seed=40)
    assert_close(cell.batch_norm(a), ref(a), "BN eval output")
    with pytest.raises(ValueError, match=r"more than 1 row.*got input of shape \(1, 8\)"):
        cell.train().batch_norm(a[:1])


def test_ligru_sequence_normalises_over_all_steps_and_batch() -> None:
    cell = tc.LiGRUCell(3, 4, dtype=DT, generator=gen(6))
    X = randn(5, 8, 3, seed=22) * 3 + 1
    proj = cell.input_projection(X).reshape(-1, 8)  # training: stats over T·N = 40 rows
    assert_close(proj.mean(0), torch.zeros(8, dtype=DT), "BN batch mean")
    # variance v / (v + eps) ≈ 1; per-step (N-row) statistics would not give this overall
    assert torch.allclose(proj.var(0, unbiased=False), torch.ones(8, dtype=DT), atol=1e-4)
    H_train, _ = tc.run_sequence(cell, X)
    H_eval, _ = tc.run_sequence(cell.eval(), X)
    assert (H_train - H_eval).abs().max() > 1e-3  # running stats differ from batch stats


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm", "mgu", "gru1", "cifg", "mingru"])
def test_init_is_uniform_within_one_over_sqrt_h(kind: str) -> None:
    H = 16
    a = tc.make_cell(kind, 5, H, generator=gen(0))
    b = tc.make_cell(kind, 5, H, generator=gen(0))
    k = 1 / math.sqrt(H)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert p.abs().max() <= k, f"{kind}.{name} exceeds 1/sqrt(H)"
        assert p.abs().max() > 0.5 * k, f"{kind}.{name} not spread over ±1/sqrt(H)"
        assert torch.equal(p, q), f"{kind}.{name}: same generator seed, different init"


# --------------------------------------------------------------------------- errors


def test_cell_shape_errors_name_expected_and_actual() -> None:
    cell = tc.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, H_in=3\).*got \(2, 5\)"):
        cell(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"got \(2, 2, 3\)"):
        cell(torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match=r"expected state h of shape \(2, 4\), got \(3, 4\)"):
        cell(torch.zeros(2, 3), torch.zeros(3, 4))
    lstm = tc.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"tuple \(h, c\)"):
        lstm(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"expected state c of shape \(2, 4\), got \(2, 5\)"):
        lstm(torch.zeros(2, 3), (torch.zeros(2, 4), torch.zeros(2, 5)))
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        tc.GRUCell(3, 0)


def test_sequence_shape_errors() -> None:
    cell = tc.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"expected X of shape \(T, N, H_in=3\).*got \(5, 2, 4\)"):
        tc.run_sequence(cell, torch.zeros(5, 2, 4))
    with pytest.raises(ValueError, match=r"got \(5,\)"):
        tc.Recurrent(cell)(torch.zeros(5))
    with pytest.raises(ValueError, match=r"expected state h of shape \(2, 4\), got \(1, 2, 4\)"):
        tc.run_sequence(cell, torch.zeros(5, 2, 3), torch.zeros(1, 2, 4))


# --------------------------------------------------------------------------- SequenceModel


@pytest.mark.parametrize("kind", list(tc.CELL_KINDS))
@pytest.mark.parametrize("readout", ["last", "all"])
def test_sequence_model_shapes_and_backward(kind: str, readout: str) -> None:
    model = tc.SequenceModel(kind, 2, 6, 3, readout=readout, generator=gen(0))
    X = torch.randn(5, 4, 2, generator=gen(1))
    Y = model(X)
    assert Y.shape == ((4, 3) if readout == "last" else (5, 4, 3))
    Y.square().mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{kind}: no gradient for {name}"


def test_sequence_model_torch_gru_equals_own_gru() -> None:
    a = tc.SequenceModel("torch-gru", 2, 5, 1, generator=gen(3)).double()
    b = tc.SequenceModel("gru", 2, 5, 1).double()
    b.cell.load_state_dict({k.removesuffix("_l0"): v for k, v in a.cell.state_dict().items()})
    b.head.load_state_dict(a.head.state_dict())
    X = randn(9, 3, 2, seed=23)
    assert_close(b(X), a(X), "torch-gru vs gru model")


def test_sequence_model_accepts_a_cell_and_validates() -> None:
    cell = tc.GRUCell(2, 5, reset_after=False)
    model = tc.SequenceModel(cell, output_size=4, readout="all")
    assert model.cell is cell and model(torch.zeros(3, 1, 2)).shape == (3, 1, 4)
    with pytest.raises(ValueError, match="hidden_size=6 does not match the cell's 5"):
        tc.SequenceModel(cell, 2, 6, 1)
    with pytest.raises(ValueError, match="readout must be 'last' or 'all'"):
        tc.SequenceModel("gru", 2, 5, 1, readout="first")
    with pytest.raises(ValueError, match="expected input_size and hidden_size with the cell "
                                         "kind 'gru', got input_size=2, hidden_size=None"):
        tc.SequenceModel("gru", 2)
    with pytest.raises(ValueError, match=r"cell_kwargs \['reset_after'\] need a cell kind .* got "
                                         "a GRUCell instance"):
        tc.SequenceModel(cell, reset_after=True)
    with pytest.raises(ValueError, match="unknown cell kind 'tcn'"):
        tc.SequenceModel("tcn", 2, 5, 1)
    with pytest.raises(ValueError, match=r"expected X of shape \(T, N, H_in=2\)"):
        tc.SequenceModel("torch-gru", 2, 5, 1)(torch.zeros(3, 1, 7))


def test_sequence_model_accepts_torch_modules_but_not_bidirectional() -> None:
    model = tc.SequenceModel(nn.LSTM(2, 5, num_layers=2), output_size=3, readout="all")
    assert model(torch.zeros(4, 2, 2)).shape == (4, 2, 3)
    with pytest.raises(ValueError, match="unidirectional.*bidirectional=True"):
        tc.SequenceModel("torch-gru", 2, 5, 1, bidirectional=True)
    with pytest.raises(ValueError, match="batch_first=True"):
        tc.SequenceModel(nn.GRU(2, 5, batch_first=True))


def test_forward_sequence_validates_and_supports_unbatched() -> None:
    cell = tc.MinGRUCell(3, 4, dtype=DT, generator=gen(9))
    X = randn(6, 3, seed=50)
    H_scan, h_scan = cell.forward_sequence(X)
    H_loop, h_loop = cell.forward_sequence(X, method="loop")
    assert H_scan.shape == (6, 4) and h_scan.shape == (4,) and cell.method == "scan"
    torch.testing.assert_close(H_scan, H_loop, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match=r"expected X of shape \(T, N, H_in=3\)"):
        cell.forward_sequence(randn(6, 2, 5))
    with pytest.raises(ValueError, match="method must be 'scan' or 'loop', got 'fft'"):
        cell.forward_sequence(X, method="fft")


def test_sizes_accept_numpy_integers() -> None:
    import numpy as np

    cell = tc.GRUCell(np.int64(3), np.int32(4))
    assert (cell.input_size, cell.hidden_size) == (3, 4)
    assert type(cell.input_size) is int
