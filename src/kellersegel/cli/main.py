"""The ``kellersegel`` command line."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import traceback
import warnings
from importlib import resources
from pathlib import Path

__all__ = ["main"]


class UserError(Exception):
    """Bad input from the user: reported as one line, exit status 2, no traceback."""


def _examples() -> dict[str, Path]:
    folder = resources.files("kellersegel") / "examples"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def _cmd_run(args: argparse.Namespace) -> int:
    import numpy as np

    from kellersegel.config import load_config
    from kellersegel.experiments import run_particles

    config = load_config(args.config, args.set)  # validated before anything is written
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be ≥ 1, got {args.workers}")
    outdir = _output_folder(args)
    ds = run_particles(
        config,
        outdir,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
        workers=args.workers,
        scheduler=args.scheduler,
        inputs=[args.config],
    )
    events = [str(e) for e in ds["event"].values if e != "none"]
    limit = f", {outdir / 'limit.nc'}" if config.run.limit else ""
    print(f"wrote {outdir / 'run.nc'}{limit} and {outdir / 'config.toml'}")
    if "limit_l1" in ds:
        l1 = ds["limit_l1"].mean("replica")
        last = int(np.flatnonzero(np.isfinite(l1.values))[-1])
        print(
            f"particles against the mean-field PDE ({ds.attrs['limit_solver']} solver): "
            f"∫|ρ_KDE − ρ|dx/M = {float(l1[last]):.3f} at t = {float(ds.time[last]):.3g}, "
            f"{float(ds['limit_l1_floor'][last]):.3f} for N = {config.particles.n} independent draws from ρ "
            "(the estimator's own error)"
        )
    if events:
        print(
            f"{len(events)} of {ds.sizes['replica']} replicas stopped early: {', '.join(sorted(set(events)))}"
        )
    return 0


def _output_folder(args: argparse.Namespace) -> Path:
    if not args.output.strip():
        raise UserError("-o: the output folder is empty text; name a folder")
    if getattr(args, "resume", False) and args.overwrite:
        raise UserError("--resume and --overwrite exclude each other")
    return Path(args.output)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from kellersegel.config import load_config
    from kellersegel.experiments.progress import Progress
    from kellersegel.experiments.sweep import parse_axis, run_sweep
    from kellersegel.plotting.sweep_report import report_sweep

    if args.replicas is not None and args.replicas < 1:
        raise UserError(f"--replicas must be ≥ 1, got {args.replicas}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be ≥ 1, got {args.workers}")
    out = _output_folder(args)
    config = load_config(args.config, args.set)
    over = args.over or config.sweep.over
    if not over:
        raise UserError("a sweep needs at least one --over axis (or [sweep] over in the configuration)")
    axes = [parse_axis(text) for text in over]
    replicas = args.replicas if args.replicas is not None else config.run.replicas

    with Progress("tasks", 0, enabled=not args.quiet) as bar:
        store = run_sweep(
            args.config,
            axes,
            replicas,
            out,
            overrides=args.set,
            scheduler=args.scheduler,
            workers=args.workers,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=lambda done, total: bar.update(done, total),
        )
    print(f"wrote {store}")
    files = report_sweep(out)
    print("wrote " + ", ".join(str(f) for f in files) + f"  (kellersegel report {out} writes them again)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from kellersegel.plotting.sweep_report import report_sweep

    store = Path(args.store)
    if args.output is not None and not args.output.strip():
        raise UserError("-o: the output folder is empty text; name a folder")
    try:
        files = report_sweep(store, args.output)
    except ValueError as err:
        raise UserError(str(err)) from None
    summary = files[-1].read_text(encoding="utf-8")
    print(summary.partition("configuration of the first point")[0], end="")
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def _cmd_pde(args: argparse.Namespace) -> int:
    from kellersegel.config import load_config
    from kellersegel.experiments import choose_pde_solver, solve_pde
    from kellersegel.experiments.outputs import OutputFolder
    from kellersegel.pde import SolveInterrupted
    from kellersegel.plotting import save_pde_figure

    config = load_config(args.config, args.set)
    outdir = _output_folder(args)
    try:
        ds = solve_pde(
            config, outdir, progress=not args.quiet, overwrite=args.overwrite, inputs=[args.config]
        )
    except SolveInterrupted as stop:
        t_last = float(stop.dataset["time"].values[-1])
        print(
            f"kellersegel: interrupted; saved the solution up to t = {t_last:.6g} in {outdir}",
            file=sys.stderr,
        )
        return 130
    folder = OutputFolder.finished(outdir, "pde")
    save_pde_figure(ds, folder.file("pde.png"))
    print(f"{choose_pde_solver(config)} solver: wrote {outdir / 'pde.nc'}, {outdir / 'pde.png'}")
    m2 = ds["second_moment"].values
    print(f"mass {float(ds['mass'].values[-1]):.12g}, second moment {m2[0]:.6g} -> {m2[-1]:.6g}")
    if math.isfinite(ds.attrs.get("blowup_time", math.nan)):
        print(
            f"numerical blow-up at t = {ds.attrs['blowup_time']:.6g} "
            f"(peak density passed {ds.attrs['blowup_threshold']:.3g})"
        )
    return 0


def _cmd_theory(args: argparse.Namespace) -> int:
    from kellersegel.analysis import theory
    from kellersegel.config import load_config
    from kellersegel.experiments.build import build_initial, build_model
    from kellersegel.experiments.plan import replica_rng

    config = load_config(args.config, args.set)
    model = build_model(config)
    n = config.particles.n
    if model.name == "classical" and model.theta > 0 and config.particles.kernel == "exact":
        print(_memory_theory(model, n))
        return 0
    if model.name != "classical" or model.theta != 0 or model.lam != 0:
        raise UserError(
            f"theory: the predictions are for the classical model with theta = 0 and lam = 0, or "
            f"theta > 0 with the exact kernel; this configuration is {model!r}"
        )
    chi, mass = model.chi, model.mass
    x0 = build_initial(config).sample(n, replica_rng(config.run.seed, config.run.replicas, 0))
    m2 = float((x0**2).sum(axis=1).mean())
    lines = [
        f"classical Keller–Segel, N = {n}, chi = {chi:.6g} (= {chi / math.pi:.4g} pi), mass M = {mass:g}",
        f"critical mass 8 pi/chi = {theory.critical_mass(chi):.6g} "
        f"({'above' if mass > theory.critical_mass(chi) else 'not above'}: M = {mass:g})",
        f"global existence of the particle system iff chi <= 8 pi (N-2)/((N-1) M) = "
        f"{theory.global_existence_threshold(n, mass):.6g}: "
        f"{'yes' if chi <= theory.global_existence_threshold(n, mass) else 'no'}",
        "collision dimensions delta_k = (k-1)(2 - chi M k/(4 pi N)) "
        "(k-collisions possible when < 2, a cluster with delta_k <= 0 explodes):",
    ]
    shown = sorted({*range(2, min(n, 8) + 1), n})
    k_star = theory.smallest_exploding_cluster(n, chi, mass)
    if k_star is not None:
        shown = sorted({*shown, k_star})
    lines += [f"  k = {k:>6}: delta_k = {theory.collision_dimension(k, n, chi, mass):.6g}" for k in shown]
    lines.append(
        f"smallest exploding cluster: k = {k_star}" if k_star else "no cluster of <= N particles explodes"
    )
    sizes = theory.collision_sizes(n, chi, mass)
    runs = lambda name: ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in sizes[name]) or "none"  # noqa: E731
    lines += [
        f"  k-collisions possible (delta_k < 2): k = {runs('collide')}",
        f"  left again (0 < delta_k < 2): k = {runs('left')}",
        f"  never left (delta_k <= 0): k = {runs('explode')}",
    ]
    slope = model.virial_slope(n)
    lines.append(
        f"virial: d/dt E[(1/N) sum |X_i|^2] = 4 - chi M (N-1)/(2 pi N) = {slope:.6g}; "
        f"(1/N) sum |X_i(0)|^2 = {m2:.6g} (replica 0)"
    )
    if slope < 0:
        lines.append(f"  the second moment reaches 0 by T* = {m2 / -slope:.6g}: blow-up no later")
    print("\n".join(lines))
    return 0


def _memory_theory(model, n: int) -> str:
    """The θ > 0 statement (singular kernel): χM against the reconstructed χ*_{θ,∞}."""
    from kellersegel.analysis.memory_theory import memory_threshold

    threshold = memory_threshold(model.theta)
    strength = model.chi * model.mass
    verdict = (
        "below: the particle system exists and its empirical measures are tight, every limit point "
        "solving the mean-field problem"
        if strength < threshold
        else "not below: the theorem says nothing"
    )
    lam = (
        ""
        if model.lam == 0
        else " (computed at lam = 0: |grad K| only shrinks with lam, so it holds for lam > 0)"
    )
    return "\n".join(
        [
            f"doubly parabolic Keller–Segel, theta = {model.theta:g}, lam = {model.lam:g}, N = {n}, "
            f"chi = {model.chi:.6g}, mass M = {model.mass:g}",
            f"threshold chi*_(theta,p) = {threshold:.4g} for c0 bounded (p = inf){lam}",
            "  RECONSTRUCTED from the proof's strategy (best constant at each step; "
            "kellersegel.analysis.memory_theory), not a published formula; the published values: "
            "1.39 at theta = 1, 3.28 at theta = 1e-5, about 1.65/sqrt(theta) for large theta",
            f"chi M = {strength:.6g}: {verdict}",
        ]
    )


def _cmd_plot(args: argparse.Namespace) -> int:
    from kellersegel.experiments.outputs import MANIFEST, OutputFolder
    from kellersegel.plotting import save_run_figures

    outdir = Path(args.outdir)
    if not (outdir / MANIFEST).is_file():
        raise UserError(
            f"{outdir}: no kellersegel run here; make one with `kellersegel run CONFIG -o {outdir}`"
        )
    for path in save_run_figures(OutputFolder.finished(outdir, "run")):
        print(f"wrote {path}")
    return 0


def _cmd_animate(args: argparse.Namespace) -> int:
    from kellersegel.experiments.outputs import MANIFEST
    from kellersegel.plotting.animation import save_run_animation

    outdir = Path(args.outdir)
    if not (outdir / MANIFEST).is_file():
        raise UserError(
            f"{outdir}: no kellersegel run here; make one with `kellersegel run CONFIG -o {outdir}`"
        )
    if not args.fps > 0:
        raise UserError(f"--fps must be > 0, got {args.fps}")
    try:
        path = save_run_animation(outdir, replica=args.replica, fps=args.fps, fmt=args.format)
    except ValueError as err:
        raise UserError(str(err)) from None
    print(f"wrote {path}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from kellersegel.experiments.inspect import describe

    print(describe(args.path, config=not args.no_config))
    return 0


def _cmd_example(args: argparse.Namespace) -> int:
    examples = _examples()
    if args.name is None:
        width = max(map(len, examples))
        for name, path in sorted(examples.items()):
            print(f"{name:<{width}}  {_first_sentence(path.read_text(encoding='utf-8'))}")
        return 0
    if args.name not in examples:
        raise UserError(f"unknown example {args.name!r}; allowed: {', '.join(sorted(examples))}")
    sys.stdout.write(examples[args.name].read_text(encoding="utf-8"))
    return 0


def _first_sentence(text: str) -> str:
    """The first sentence of a file's leading ``#`` comment (its lines joined), and the time its
    sentence "Takes about …" gives, if it has one."""
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    joined = " ".join(comment)
    end = re.search(r"\.(\s|$)", joined)
    first = joined[: end.start() + 1] if end else joined
    took = re.search(r"Takes about ([^.]*?)(\.\s|\.$|$)", joined)
    return first + (f" ({took.group(1)})" if took else "")


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(s)) for s in text.split(",")]
    except ValueError:
        raise UserError(f"--n must be comma-separated integers, got {text!r}") from None
    if any(n < 2 for n in sizes):
        raise UserError("--n: every N must be ≥ 2")
    return sizes


def _cmd_bench(args: argparse.Namespace) -> int:
    from kellersegel.experiments.bench import (
        bench_engines,
        bench_kernels,
        bench_step,
        print_steps,
        print_table,
    )
    from kellersegel.fields import ENGINES, FieldEngine

    sizes = _parse_sizes(args.n)
    if args.what == "calibrate":
        return _bench_calibrate(sizes)
    if args.repeats < 1:
        raise UserError("--repeats must be ≥ 1")
    if args.what == "compare":
        return _bench_compare(args, sizes)
    kernels = bench_kernels()
    asked = [args.kernel] if args.what == "step" else (args.kernel or [])
    unknown = [k for k in asked if k not in kernels]
    if unknown:
        raise UserError(f"--kernel: unknown kernel {unknown[0]!r}; allowed: {', '.join(kernels)}")
    if args.what == "step":
        try:
            FieldEngine.check_name(args.engine, also=("auto",))
        except ValueError as err:
            raise UserError(f"--engine: {err}") from None
        rows = [bench_step(n, args.kernel, args.engine, args.repeats) for n in sizes]
        print_steps(rows)
        return 0
    engines = None if args.engine is None else [e for item in args.engine for e in item.split(",")]
    unknown = sorted(set(engines or ()) - set(ENGINES))
    if unknown:
        raise UserError(f"--engine: unknown engine(s) {', '.join(unknown)}; allowed: {', '.join(ENGINES)}")
    print_table(
        bench_engines(
            sizes, kernels=args.kernel, engines=engines, repeats=args.repeats, direct_max=args.direct_max
        )
    )
    return 0


def _bench_calibrate(sizes: list[int]) -> int:
    from kellersegel.experiments.bench import print_costs
    from kellersegel.fields.costs import calibrate

    try:
        costs, path = calibrate(progress=lambda what: print(f"timing {what}", flush=True))
    except FileExistsError as err:
        raise UserError(str(err)) from None
    print_costs(costs, sizes)
    print(f"wrote {path} (auto uses it on this machine; delete it to return to the built-in constants)")
    return 0


def _bench_compare(args: argparse.Namespace, sizes: list[int]) -> int:
    from kellersegel.experiments.bench import (
        bench_compare,
        fmm2d_unavailable,
        machine_description,
        print_compare,
    )

    if not 1e-14 <= args.tolerance < 1:
        raise UserError(f"--tolerance must be in [1e-14, 1), got {args.tolerance}")
    figure = None if args.figure is None else Path(args.figure)
    if figure is not None:
        if figure.exists():
            raise UserError(f"--figure: {figure} exists; name a new file")
        if figure.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise UserError(f"--figure: {figure} must end in .png, .pdf or .svg")
    reason = fmm2d_unavailable()
    if reason:
        print(f"FMM2D skipped: {reason} (pip install fmm2dpy where a NumPy 2 build exists)")
    try:
        lams = tuple(float(v) for v in args.lam.split(","))
    except ValueError:
        raise UserError(f"--lam: not a comma-separated list of numbers: {args.lam!r}") from None
    if any(not (lam >= 0 and math.isfinite(lam)) for lam in lams):
        raise UserError(f"--lam: each λ must be a finite number ≥ 0, got {args.lam!r}")
    rows = bench_compare(sizes, args.tolerance, args.repeats, direct_max=args.direct_max, lams=lams)
    print_compare(rows, args.tolerance)
    if figure is not None:
        from kellersegel.plotting.bench_figures import save_bench_compare

        save_bench_compare(rows, figure, title=f"tolerance {args.tolerance:g}\n{machine_description()}")
        print(f"wrote {figure}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in the package's form: one line, exit status 2."""

    def error(self, message: str):
        self.exit(2, f"kellersegel: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kellersegel",
        description="Particle systems of Keller–Segel chemotaxis in the plane.",
    )
    from kellersegel import __version__

    parser.add_argument("--version", action="version", version=f"kellersegel {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a configuration; writes OUTDIR/run.nc")
    run.add_argument("config", help="TOML configuration (see `kellersegel example`)")
    run.add_argument("-o", "--output", required=True, help="output folder")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one configuration value (TOML syntax); repeatable",
    )
    run.add_argument("--resume", action="store_true", help="keep replicas already finished in OUTDIR")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier run in OUTDIR (only the files kellersegel wrote are deleted)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per core); results do not depend on it",
    )
    run.add_argument("--scheduler", help="address of a Dask distributed scheduler (default: local processes)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_cmd_run)

    sweep = sub.add_parser(
        "sweep",
        help="propagation-of-chaos measurements over a grid of values, into one Zarr store, and its "
        "report (OUT-report)",
    )
    sweep.add_argument("config", help="TOML configuration ([chaos] for the measurements)")
    sweep.add_argument(
        "--over",
        action="append",
        metavar="SECTION.KEY=V1,V2,...",
        help="a swept key and its values (TOML syntax), or SECTION={KEY = V, ...},{...} (patches of a "
        "section); repeatable: the grid is their product (default: [sweep] over of the configuration)",
    )
    sweep.add_argument(
        "--replicas", type=int, default=None, help="replicas per grid point (default: [run] replicas)"
    )
    sweep.add_argument(
        "-o", "--output", required=True, help="output folder: its tasks, then OUT/sweep.zarr (the store)"
    )
    sweep.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a value"
    )
    sweep.add_argument(
        "--scheduler", help="address of a Dask distributed scheduler (default: local processes)"
    )
    sweep.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: one per core)"
    )
    sweep.add_argument("--resume", action="store_true", help="run only the tasks not done yet")
    sweep.add_argument("--overwrite", action="store_true", help="replace an earlier sweep in the folder")
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress")
    sweep.set_defaults(func=_cmd_sweep)

    report = sub.add_parser("report", help="rates, log–log plots and P(τ < T) of a sweep store")
    report.add_argument("store", help="the output folder of `kellersegel sweep` (or its sweep.zarr)")
    report.add_argument(
        "-o", "--output", help="output folder (default: the sweep folder's name plus -report)"
    )
    report.set_defaults(func=_cmd_report)

    pde = sub.add_parser("pde", help="solve the mean-field PDE of a configuration; writes OUTDIR/pde.nc")
    pde.add_argument("config", help="TOML configuration: [model], [initial], [time] and [pde]")
    pde.add_argument("-o", "--output", required=True, help="output folder")
    pde.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a value"
    )
    pde.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier solution in OUTDIR (only the files kellersegel wrote are deleted)",
    )
    pde.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    pde.set_defaults(func=_cmd_pde)

    theory_cmd = sub.add_parser(
        "theory", help="collision dimensions, thresholds and virial time of a configuration"
    )
    theory_cmd.add_argument("config", help="TOML configuration")
    theory_cmd.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a value"
    )
    theory_cmd.set_defaults(func=_cmd_theory)

    plot = sub.add_parser("plot", help="figures of a run: snapshots and second moment")
    plot.add_argument("outdir")
    plot.set_defaults(func=_cmd_plot)

    animate = sub.add_parser(
        "animate", help="a film of a run's particles (over its limit, where solved): OUTDIR/particles.mp4"
    )
    animate.add_argument("outdir", help="a folder made by `kellersegel run`")
    animate.add_argument("--replica", type=int, default=0, help="which replica (default 0)")
    animate.add_argument("--fps", type=float, default=8.0, help="frames (save times) per second")
    animate.add_argument(
        "--format", choices=("mp4", "gif"), default=None, help="default mp4 (gif where no ffmpeg is found)"
    )
    animate.set_defaults(func=_cmd_animate)

    inspect = sub.add_parser(
        "inspect", help="what a run folder, a dataset (.nc) or a sweep store (.zarr) holds; writes nothing"
    )
    inspect.add_argument("path", help="a folder made by run, sweep or pde; or a .nc or .zarr")
    inspect.add_argument("--no-config", action="store_true", help="leave out the configuration")
    inspect.set_defaults(func=_cmd_inspect)

    example = sub.add_parser("example", help="list the ready configurations, or print one")
    example.add_argument("name", nargs="?")
    example.set_defaults(func=_cmd_example)

    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="what", required=True)
    engines = bench_sub.add_parser("engines", help="every field engine against the direct engine")
    engines.add_argument("--n", default="20000,100000", help="comma-separated particle numbers")
    engines.add_argument(
        "--kernel",
        action="append",
        default=None,
        help="kernels, a registered name or NAME-bessel (λ = 1) (repeatable; default: all)",
    )
    engines.add_argument(
        "--engine", action="append", default=None, help="engines, comma-separated (default: all)"
    )
    engines.add_argument("--repeats", type=int, default=3)
    engines.add_argument(
        "--direct-max",
        type=int,
        default=100_000,
        help="above this N, direct is not timed (error on 1000 targets)",
    )
    engines.set_defaults(func=_cmd_bench)
    step = bench_sub.add_parser("step", help="time and peak memory of a full Euler–Maruyama step")
    step.add_argument("--n", default="1000000", help="comma-separated particle numbers")
    step.add_argument("--kernel", default="exact", help="a registered kernel, or NAME-bessel (λ = 1)")
    step.add_argument("--engine", default="auto")
    step.add_argument("--repeats", type=int, default=3)
    step.set_defaults(func=_cmd_bench)
    compare = bench_sub.add_parser(
        "compare", help="the FMMs against pyfmmlib (and FMM2D where installed), one run"
    )
    compare.add_argument("--lam", default="0,1", help="comma-separated λ (0: Laplace, > 0: Yukawa)")
    compare.add_argument("--n", default="10000,100000,1000000", help="comma-separated particle numbers")
    compare.add_argument("--tolerance", type=float, default=1e-7, help="requested relative accuracy")
    compare.add_argument("--repeats", type=int, default=3)
    compare.add_argument("--direct-max", type=int, default=20_000, help="the direct engine up to this N")
    compare.add_argument("--figure", default=None, help="also draw time against N into this new file")
    compare.set_defaults(func=_cmd_bench)
    calibrate = bench_sub.add_parser(
        "calibrate", help="measure the engines' cost constants on this machine, for auto"
    )
    calibrate.add_argument("--n", default="1000,10000,100000,1000000", help="sizes of the table of choices")
    calibrate.set_defaults(func=_cmd_bench)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"kellersegel: warning: {message}", file=sys.stderr)


def command() -> None:
    """The ``kellersegel`` program: :func:`main`, then exit with its status; a Ctrl-C that comes
    while the interpreter shuts down (its handlers back at the default) no longer kills it."""
    import signal

    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A KeyboardInterrupt that left code run by exec(str) (SciPy imports NumPy that way) marks the
    # interpreter to kill itself with SIGINT when `python -m` ends, though main caught it; a successful
    # exec(str) clears the mark, so the exit status stays 130.
    exec("pass")
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except (KeyboardInterrupt, ImportError) as err:  # also while the modules load, before any work
        if not _caused_by_interrupt(err):  # a C extension's import that Ctrl-C cut short
            raise
        print(
            "kellersegel: interrupted; what was finished is kept (run, sweep: rerun with --resume)",
            file=sys.stderr,
        )
        return 130


def _caused_by_interrupt(err: BaseException) -> bool:
    """Whether a KeyboardInterrupt is in the chain of causes of ``err`` (a C extension whose import
    a Ctrl-C interrupts raises ImportError "initialization failed" from it)."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def _main(argv: list[str] | None) -> int:
    from kellersegel._interrupt import interrupts_kept
    from kellersegel._memory import keep_freed_memory
    from kellersegel.config import ConfigError
    from kellersegel.experiments.outputs import FolderError
    from kellersegel.fields.base import EngineError

    args = build_parser().parse_args(argv)
    keep_freed_memory()
    try:
        with warnings.catch_warnings(), interrupts_kept():
            warnings.showwarning = _one_line_warning
            code = args.func(args)
        sys.stdout.flush()  # here, so that a reader who left (`| head`) is seen in this try
        return code
    except (UserError, ConfigError, EngineError, FolderError) as err:
        print(f"kellersegel: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `kellersegel report … | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit's flush
        return 141
    except Exception as err:
        if _caused_by_interrupt(err):  # Ctrl-C inside an extension's import: "initialization failed"
            raise KeyboardInterrupt from err
        traceback.print_exc()
        print(
            "kellersegel: this is a bug, not a mistake of yours: please report it to the kellersegel "
            "developers with the lines above and the output of `kellersegel --version`",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    command()
