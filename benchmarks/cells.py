"""How much slower are the course's own GRUs than ``torch.nn.GRU``? Ratios, not seconds.

Each comparison times our implementation and its reference in the same run, alternating
them repeat by repeat (so a busy neighbour slows both alike), after a warm-up, and reports
the ratio of the medians: ``ratio = own / reference`` (higher is slower).

    python benchmarks/cells.py              # the full run (under a minute on 2 cores)
    python benchmarks/cells.py --quick      # a smoke run: small sizes, few repeats
    python benchmarks/cells.py --threads 0  # the libraries' default thread counts

By default both sides run on one thread (torch *and* NumPy's BLAS): the ratio then compares
the implementations, not how well each library splits small matrices over cores, and it
stays stable on a shared machine, where oversubscribed threads made single timings vary
tenfold. The thread settings must be made before NumPy is imported, which is why NumPy,
torch and ``utils`` are imported inside ``main`` and the benchmark functions.

Output: a few context lines starting with ``#`` (versions, threads, CPU, absolute medians in
ms), then one line per comparison, ``NAME ratio X.XX``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Config:
    T: int = 100
    N: int = 32
    H_in: int = 128
    H: int = 128
    warmup: int = 5
    repeats: int = 30


QUICK = Config(T=10, N=8, H_in=32, H=32, warmup=1, repeats=3)

GOALS = {
    "numpy_gru_forward_vs_torch": 1.3,
    "torch_cells_gru_train_step_vs_torch": 1.5,
}


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what ``platform`` knows elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def compare(own: Callable[[], Any], ref: Callable[[], Any], cfg: Config) -> tuple[float, float]:
    """Median seconds of ``own()`` and ``ref()``, timed alternately after a warm-up."""
    for _ in range(cfg.warmup):
        own()
        ref()
    t_own, t_ref = [], []
    for _ in range(cfg.repeats):
        for fn, times in ((own, t_own), (ref, t_ref)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(t_own), statistics.median(t_ref)


def numpy_gru_forward(cfg: Config) -> tuple[float, float]:
    """NumPy ``GRUCell.forward`` vs ``torch.nn.GRU`` forward, float32, no grad."""
    import numpy as np
    import torch

    from utils import numpy_cells

    torch.manual_seed(0)
    ref = torch.nn.GRU(cfg.H_in, cfg.H)  # float32
    cell = numpy_cells.GRUCell.from_torch(ref, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((cfg.T, cfg.N, cfg.H_in), dtype=np.float32)
    X_t = torch.from_numpy(X)
    with torch.no_grad():
        expected = ref(X_t)[0].numpy()
    got = cell.forward(X)[0]
    if got.dtype != np.float32:
        raise AssertionError(f"NumPy GRUCell.forward: expected float32 output, got {got.dtype}")
    err = float(np.abs(got - expected).max())
    if err > 1e-4:  # same weights, so the two must compute the same thing
        raise AssertionError(f"NumPy GRU differs from torch.nn.GRU by {err:.3g} (> 1e-4)")

    def run_ref() -> None:
        with torch.no_grad():
            ref(X_t)

    return compare(lambda: cell.forward(X), run_ref, cfg)


def torch_cells_gru_train_step(cfg: Config) -> tuple[float, float]:
    """``Recurrent(torch_cells.GRUCell)`` vs ``torch.nn.GRU``: forward + backward, float32."""
    import torch

    from utils import torch_cells

    torch.manual_seed(0)
    ref = torch.nn.GRU(cfg.H_in, cfg.H)
    own = torch_cells.Recurrent(torch_cells.GRUCell(cfg.H_in, cfg.H))
    own.cell.load_state_dict({k.removesuffix("_l0"): v for k, v in ref.state_dict().items()})
    X = torch.randn(cfg.T, cfg.N, cfg.H_in, generator=torch.Generator().manual_seed(0))
    err = (own(X)[0] - ref(X)[0]).abs().max().item()
    if err > 1e-4:
        raise AssertionError(f"torch_cells GRU differs from torch.nn.GRU by {err:.3g} (> 1e-4)")

    def step(module: Any) -> Callable[[], None]:
        def run() -> None:
            module.zero_grad(set_to_none=True)
            H_all = module(X)[0]  # (T, N, H)
            H_all.square().mean().backward()

        return run

    return compare(step(own), step(ref), cfg)


BENCHMARKS = {
    "numpy_gru_forward_vs_torch": numpy_gru_forward,
    "torch_cells_gru_train_step_vs_torch": torch_cells_gru_train_step,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, 3 repeats")
    parser.add_argument("--repeats", type=int, help="timed repeats per implementation")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="threads for torch and NumPy's BLAS (default 1; 0 = the libraries' defaults)",
    )
    args = parser.parse_args(argv)
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads:
        if "numpy" in sys.modules:
            print("# warning: NumPy was imported before main(); its BLAS threads are unchanged")
        for var in THREAD_VARIABLES:
            os.environ[var] = str(args.threads)

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = QUICK if args.quick else Config()
    if args.repeats is not None:
        cfg = Config(**{**cfg.__dict__, "repeats": args.repeats})

    print(f"# torch {torch.__version__}, numpy {np.__version__}, python "
          f"{platform.python_version()}")
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default") if args.threads else "default"
    print(f"# torch threads {torch.get_num_threads()}, BLAS threads {blas}, "
          f"CPU {cpu_model()} ({os.cpu_count()} logical)")
    print(f"# T={cfg.T} N={cfg.N} H_in={cfg.H_in} H={cfg.H}, float32, "
          f"warm-up {cfg.warmup}, median of {cfg.repeats}{' (quick)' if args.quick else ''}")
    results = {}
    for name, bench in BENCHMARKS.items():
        own_s, ref_s = bench(cfg)
        results[name] = own_s / ref_s
        verdict = "met" if results[name] <= GOALS[name] else "missed"
        print(f"# {name}: own {own_s * 1e3:.2f} ms, reference {ref_s * 1e3:.2f} ms, "
              f"goal <= {GOALS[name]:.2f} ({verdict})")
    for name, ratio in results.items():
        print(f"{name} ratio {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
