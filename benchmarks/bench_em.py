"""Speed of one EM iteration (E-step + M-step) beside scikit-learn's, and peak memory.

Usage::

    python benchmarks/bench_em.py            # table
    python benchmarks/bench_em.py --json     # one JSON object per line
    python benchmarks/bench_em.py --quick    # skip n = 1e6

For n in 1e3..1e6, d in {1, 2}, K in {2, 5, 10} (full covariances) it prints the median time of
one iteration as fit() runs it (M-step, diagnosis, E-step into a reused buffer) and of
scikit-learn's ``_e_step`` + ``_m_step`` on the same data and mixture, their ratio, and the
E-step alone: public ``e_step(X, mixture)`` on a raw array (checks and set-up included, what a
caller pays per call) and on ``prepare_data(X)`` (what the window pays per mouse move while a
Gaussian is dragged). Finally the peak memory of ``fit`` at n = 1e6, d = 2, K = 5, measured in a
fresh subprocess with tracemalloc (numpy's allocations) and as the process's peak RSS.

scikit-learn is a test dependency only; without it the scikit-learn columns are left empty.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from gmm_gui.model import Mixture, e_step, prepare_data
from gmm_gui.model.diagnostics import _diagnose
from gmm_gui.model.steps import _e_step, _m_step

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _reference import sklearn_iteration  # noqa: E402 - beside this file


def make_problem(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(k, d))
    labels = rng.integers(k, size=n)
    X = centres[labels] + rng.normal(size=(n, d))
    a = rng.normal(scale=0.3, size=(k, d, d))
    covs = np.eye(d) + a @ np.swapaxes(a, 1, 2)
    start = Mixture(np.full(k, 1.0 / k), centres + rng.normal(scale=0.5, size=(k, d)), covs)
    return X, start


def median_ms(func, repeat, warmup=1):
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def bench_case(n, d, k, repeat):
    X, start = make_problem(n, d, k)
    data = prepare_data(X)
    buffer = np.empty((k, n))
    stats = np.empty((data.phi.shape[0], k))
    _e_step(data, start, out=buffer, stats=stats)

    def ours_iteration():
        nk, new = _m_step(data, buffer.T, "full", 1e-6, 1, stats=stats)
        _diagnose(nk, data.data_var, new, 1e-6, 1)
        _e_step(data, new, out=buffer, stats=stats)

    row = {"n": n, "d": d, "k": k}
    row["ours_ms"] = median_ms(ours_iteration, repeat)
    row["e_step_ms"] = median_ms(lambda: e_step(X, start), repeat)
    row["e_step_prepared_ms"] = median_ms(lambda: e_step(data, start), repeat)
    row["sklearn_ms"] = None
    reference = sklearn_iteration(X, start)
    if reference is not None:
        iteration, gm = reference
        row["sklearn_ms"] = median_ms(iteration, repeat)
        row["sklearn_e_step_ms"] = median_ms(lambda: gm._e_step(X), repeat)
    return row


MEMORY_CODE = """
import json, sys, tracemalloc
sys.path.insert(0, {root!r})
from benchmarks.bench_em import make_problem
from gmm_gui.model import fit

def status_mb(key):  # VmRSS / VmHWM of this process (Linux), in MB
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")

X, start = make_problem(1_000_000, 2, 5)
before = status_mb("VmRSS")
tracemalloc.start()
fit(X, start, max_iter=5, tol=0)
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({{"tracemalloc_peak_mb": peak / 2**20, "peak_rss_mb": status_mb("VmHWM"),
                  "rss_before_fit_mb": before, "x_mb": X.nbytes / 2**20}}))
"""


def measure_memory():
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CODE.format(root=root)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_s(func, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_limit(n=1_000_000, d=2, k=5, base=2, extra=8, repeat=3):
    """The engine at its limit (issue #14): marginal fit iteration, public steps on a raw array,
    scikit-learn's bare iteration and the exp floor, all in this process, as ratios."""
    from gmm_gui.model import fit, m_step

    X, start = make_problem(n, d, k)
    row = {"n": n, "d": d, "k": k}
    t_base = best_s(lambda: fit(X, start, max_iter=base, tol=0), repeat)
    t_more = best_s(lambda: fit(X, start, max_iter=base + extra, tol=0), repeat)
    row["fit_marginal_ms"] = 1e3 * (t_more - t_base) / extra

    def public_steps():
        resp, _ = e_step(X, start)
        m_step(X, resp)

    row["public_steps_ms"] = median_ms(public_steps, 2 * repeat)
    work = np.empty(n * k)
    work[:] = -1.0

    def exp_floor():
        np.exp(work, out=work)
        work[:] = -1.0

    fill = median_ms(lambda: work.__setitem__(slice(None), -1.0), 2 * repeat)
    row["exp_floor_ms"] = median_ms(exp_floor, 2 * repeat) - fill
    reference = sklearn_iteration(X, start)
    row["sklearn_ms"] = None
    if reference is not None:
        row["sklearn_ms"] = median_ms(reference[0], repeat)
        for key in ("fit_marginal_ms", "public_steps_ms"):
            row[key.replace("_ms", "_vs_sklearn")] = row[key] / row["sklearn_ms"]
    for key in ("fit_marginal_ms", "public_steps_ms"):
        row[key.replace("_ms", "_vs_exp_floor")] = row[key] / row["exp_floor_ms"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--quick", action="store_true", help="skip n = 1e6")
    parser.add_argument("--repeat", type=int, default=None, help="timings per case")
    args = parser.parse_args(argv)

    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    if not args.json:
        print(
            f"{'n':>8} {'d':>2} {'K':>3} | {'iter ms':>9} {'sklearn':>9} {'ratio':>6} | "
            f"{'e_step(X)':>9} {'prepared':>9} {'sk E':>9}"
        )
    for n in sizes:
        repeat = args.repeat or (3 if n >= 10**6 else 7 if n >= 10**5 else 15)
        for d in (1, 2):
            for k in (2, 5, 10):
                row = bench_case(n, d, k, repeat)
                sk = row["sklearn_ms"]
                ratio = row["ours_ms"] / sk if sk else None
                if args.json:
                    base = {"n": n, "d": d, "k": k}
                    print(json.dumps({"case": "iteration", **base, "median_ms": row["ours_ms"],
                                      "sklearn_ms": sk, "ratio": ratio}))
                    print(json.dumps({"case": "e_step", **base, "median_ms": row["e_step_ms"]}))
                    print(json.dumps({"case": "e_step_prepared", **base,
                                      "median_ms": row["e_step_prepared_ms"]}))
                else:
                    sk_s = f"{sk:9.2f}" if sk else f"{'-':>9}"
                    ratio_s = f"{ratio:6.3f}" if ratio else f"{'-':>6}"
                    ske = row.get("sklearn_e_step_ms")
                    ske_s = f"{ske:9.2f}" if ske else f"{'-':>9}"
                    print(
                        f"{n:>8} {d:>2} {k:>3} | {row['ours_ms']:9.2f} {sk_s} {ratio_s} | "
                        f"{row['e_step_ms']:9.2f} {row['e_step_prepared_ms']:9.2f} {ske_s}",
                        flush=True,
                    )
    if not args.quick:
        lim = bench_limit()
        if args.json:
            print(json.dumps({"case": "limit", "median_ms": lim["fit_marginal_ms"], **lim}))
        else:
            sk = lim["sklearn_ms"]
            print(
                f"\nn=1e6, d=2, K=5 full, in one process: fit's marginal iteration "
                f"{lim['fit_marginal_ms']:.1f} ms, public e_step + m_step on a raw array "
                f"{lim['public_steps_ms']:.1f} ms, scikit-learn's _e_step + _m_step "
                + (f"{sk:.0f} ms" if sk else "-")
                + f", exp of n*K = 5e6 values {lim['exp_floor_ms']:.1f} ms"
            )
            if sk:
                print(
                    f"  ratios to scikit-learn: fit {lim['fit_marginal_vs_sklearn']:.3f}x "
                    f"(target <= 0.07), public steps {lim['public_steps_vs_sklearn']:.3f}x "
                    "(target <= 0.15)"
                )
            print(
                f"  ratios to the exp floor: fit {lim['fit_marginal_vs_exp_floor']:.1f}x, "
                f"public steps {lim['public_steps_vs_exp_floor']:.1f}x"
            )
        mem = measure_memory()
        mem["fit_extra_rss_mb"] = mem["peak_rss_mb"] - mem["rss_before_fit_mb"]
        if args.json:
            print(json.dumps({"case": "peak_memory_fit", "n": 10**6, "k": 5, "d": 2,
                              "median_ms": None, **mem}))
        else:
            print(
                f"\nfit(n=1e6, d=2, K=5, 5 iterations): tracemalloc peak "
                f"{mem['tracemalloc_peak_mb']:.0f} MB allocated during the fit (X itself, "
                f"{mem['x_mb']:.0f} MB, before it); process peak RSS {mem['peak_rss_mb']:.0f} MB, "
                f"{mem['fit_extra_rss_mb']:.0f} MB above the {mem['rss_before_fit_mb']:.0f} MB "
                "before the fit"
            )


if __name__ == "__main__":
    main()
