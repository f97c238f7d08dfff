"""How fast do the demos react? The pilot demo (chapter 1's parameter-budget explorer).

Live mode: one control change = ``update`` + blitting the animated artists + PNG encoding +
the HTML table, i.e. what happens in the kernel between a slider move and the new image
(the browser's share, a few ms, is not measured). It is timed against the naive way, in the
same run and alternating repeat by repeat (a busy neighbour slows both alike): a new
figure drawn in full and ``savefig``-ed to PNG for every change, what ``interact`` with
pyplot does. The goal is an absolute one, a median update of at most 50 ms, so both the
wall-clock and the CPU time (``time.process_time``, what the demo itself costs on a shared
machine) are printed.

Static mode: the time to pre-render every frame and the size the frames add to the page.

    python benchmarks/widgets.py            # the full run (about a minute on 2 cores)
    python benchmarks/widgets.py --quick    # a smoke run

Output: context lines starting with ``#``, then ``NAME value`` lines:
``widgets_live_update_ms``, ``widgets_live_update_cpu_ms`` (median, goal <= 50),
``widgets_live_update_vs_full_redraw ratio`` (lower is faster), ``widgets_static_build_s``,
``widgets_static_frames``, ``widgets_static_state_kB``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import time

GOAL_MS = 50.0


def _timed(fn: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, no static build")
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error(f"--repeats must be at least 2 (a median, a percentile), got {args.repeats}")
    repeats = 6 if args.quick else args.repeats

    import ipywidgets
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from utils import widgets
    from utils.demos import ch1

    demo = ch1.param_budget_demo()
    box = ch1.param_budget_explorer("live")
    rng = random.Random(0)

    def walk(n: int) -> list[tuple[str, object, dict]]:
        """A random walk from the current values, one control per step, always moving."""
        current = box.values()
        steps = []
        for step in range(n):
            name = list(current)[step % len(current)]
            value = rng.choice([v for v in demo.controls[name].options if v != current[name]])
            current = {**current, name: value}
            steps.append((name, value, current))
        return steps

    def full_redraw(values: dict) -> bytes:
        fig = Figure(figsize=demo.figsize, dpi=demo.dpi)
        FigureCanvasAgg(fig)
        update = ch1._setup_figure(fig, **values)
        update(**values)
        for artist in fig.findobj(lambda a: a.get_animated()):
            artist.set_animated(False)  # savefig skips animated artists
        out = io.BytesIO()
        fig.savefig(out, format="png")
        out.write(demo.html(**values).encode())
        return out.getvalue()

    # warm-up: fonts, caches, the first draw of each
    for name, value, values in walk(3):
        box.controls[name].value = value
        full_redraw(values)

    changes = walk(repeats)
    live_wall, live_cpu, ref_wall, ref_cpu = [], [], [], []
    for name, value, values in changes:
        control = box.controls[name]
        wall, cpu = _timed(lambda: setattr(control, "value", value))  # observer redraws
        assert box.values() == values
        live_wall.append(wall)
        live_cpu.append(cpu)
        wall, cpu = _timed(lambda: full_redraw(values))
        ref_wall.append(wall)
        ref_cpu.append(cpu)

    def ms(xs: list[float]) -> float:
        return 1e3 * statistics.median(xs)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# python {platform.python_version()}, matplotlib {matplotlib.__version__}, "
          f"ipywidgets {ipywidgets.__version__}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"# pilot: {len(demo.positions())} positions, {repeats} changes, figure "
          f"{demo.figsize[0]}x{demo.figsize[1]} in at {demo.dpi} dpi")
    print(f"# live update: median {ms(live_wall):.1f} ms wall, {ms(live_cpu):.1f} ms CPU; "
          f"90th percentile {1e3 * statistics.quantiles(live_wall, n=10)[-1]:.1f} ms wall")
    print(f"# full redraw + savefig (reference): median {ms(ref_wall):.1f} ms wall, "
          f"{ms(ref_cpu):.1f} ms CPU")
    verdict = "ok" if ms(live_cpu) <= GOAL_MS else "OVER"
    print(f"widgets_live_update_ms {ms(live_wall):.1f}")
    print(f"widgets_live_update_cpu_ms {ms(live_cpu):.1f}  (goal <= {GOAL_MS:.0f}: {verdict})")
    print(f"widgets_live_update_vs_full_redraw ratio {ms(live_wall) / ms(ref_wall):.2f}")

    if not args.quick:
        start = time.perf_counter()
        static = ch1.param_budget_explorer("static")
        elapsed = time.perf_counter() - start
        report = static.report
        print(f"# static: {report}")
        print(f"widgets_static_build_s {elapsed:.1f}")
        print(f"widgets_static_frames {report.frames}")
        print(f"widgets_static_state_kB {report.state_bytes / 1e3:.0f}  "
              f"(page budget {widgets.PAGE_BUDGET_BYTES / 1e3:.0f} for all demos of a page)")


if __name__ == "__main__":
    main()
