"""EM past one machine's memory: in-memory, chunked and Dask fits beside scikit-learn (issue #14).

Usage::

    python benchmarks/bench_scale.py              # n = 1e6 and 1e7
    python benchmarks/bench_scale.py --big        # and n = 1e8 (a 1.6 GB .npy, memory-mapped)
    python benchmarks/bench_scale.py --json       # one JSON object per line
    python benchmarks/bench_scale.py --ns 1e6     # only these sizes

For d = 2, K = 5 (full covariances) the data are written as an ``.npy`` to a temporary folder
(in chunks: the parent never holds them) and every case runs in its own subprocess, so that its
peak memory (the process's peak resident set, ``VmHWM``; ``ru_maxrss`` where there is no /proc,
which on Linux would include the parent's memory at the fork) is its own:

* ``in-memory``: ``fit(X, start)`` on the array loaded whole (not at 1e8);
* ``chunked``: ``fit_chunked`` over ``NpyChunks`` (the ``.npy`` memory-mapped, 2**18 rows a chunk);
* ``dask``: ``fit_dask`` on a ``LocalCluster`` of 2 threaded workers reading the file's blocks;
* ``sklearn``: ``GaussianMixture(..., tol=0).fit`` from the same start (not at 1e8).

Time per iteration is marginal: ``(time(k + m iterations) - time(k)) / m`` from the same start in
the same process (best of two of each), so set-up, first pass and initialisation cancel; ``m`` is
``--extra`` at 1e7 points and above, and as many more below as keep ``m * n`` at 4e7
(40 at 1e6). Ratios are to the in-memory engine and to scikit-learn measured in the same run (the
machine is shared: compare ratios, not absolute times). Targets: chunked peak memory under 400 MB
at 1e7, chunked time per iteration within 1.5x of in-memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
D, K = 2, 5
CHUNK_ROWS = 1 << 18
KINDS = ("in-memory", "chunked", "dask", "sklearn")


def write_problem(folder: Path, n: int, seed: int = 0) -> tuple[Path, Path]:
    """Blobs (K = 5 in 2-D) written in chunks to ``folder/x_<n>.npy``, the start beside them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(K, D))
    a = rng.normal(scale=0.3, size=(K, D, D))
    covs = np.eye(D) + a @ np.swapaxes(a, 1, 2)
    means = centres + rng.normal(scale=0.5, size=(K, D))
    start = folder / f"start_{n}.npz"
    np.savez(start, weights=np.full(K, 1.0 / K), means=means, covariances=covs)
    path = folder / f"x_{n}.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, D))
    step = 1 << 20
    for i in range(0, n, step):
        m = min(step, n - i)
        labels = rng.integers(K, size=m)
        out[i : i + m] = centres[labels] + rng.normal(size=(m, D))
    out.flush()
    del out
    return path, start


def _load_start(path):
    from gmm_gui.model import Mixture

    with np.load(path, allow_pickle=False) as f:
        return Mixture(f["weights"], f["means"], f["covariances"])


def run_case(kind: str, path: str, start_path: str, k: int, m: int) -> dict:
    """In the child: time k and k + m iterations of one kind (best of two each)."""
    start = _load_start(start_path)
    runner = None
    cleanup = []
    if kind == "in-memory":
        from gmm_gui.model import fit

        X = np.load(path, allow_pickle=False)

        def runner(iters):
            return fit(X, start, max_iter=iters, tol=0).n_iter
    elif kind == "chunked":
        from gmm_gui.io.chunks import NpyChunks
        from gmm_gui.model import fit_chunked

        reader = NpyChunks(path, CHUNK_ROWS)

        def runner(iters):
            return fit_chunked(reader, start, max_iter=iters, tol=0).n_iter
    elif kind == "dask":
        from dask.distributed import Client, LocalCluster

        from gmm_gui.dask_em import fit_dask, npy_array

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        client = Client(cluster)
        cleanup += [client, cluster]
        arr = npy_array(path, 4 * CHUNK_ROWS)

        def runner(iters):
            return fit_dask(arr, start, client=client, max_iter=iters, tol=0).n_iter
    elif kind == "sklearn":
        from sklearn.mixture import GaussianMixture

        X = np.load(path, allow_pickle=False)

        def runner(iters):
            gm = GaussianMixture(K, covariance_type="full", tol=0, max_iter=iters,
                                 weights_init=start.weights, means_init=start.means,
                                 precisions_init=start.precisions,
                                 init_params="random_from_data", random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gm.fit(X)
            return gm.n_iter_
    else:
        raise ValueError(kind)
    times = {k: [], k + m: []}
    for _ in range(2):
        for iters in (k, k + m):
            t0 = time.perf_counter()
            done = runner(iters)
            times[iters].append(time.perf_counter() - t0)
            assert done == iters, (kind, done, iters)
    for thing in cleanup:
        thing.close()
    best_k, best_km = min(times[k]), min(times[k + m])
    return {
        "kind": kind,
        "t_k_s": best_k,
        "t_km_s": best_km,
        "ms_per_iteration": 1e3 * (best_km - best_k) / m,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """The process's peak resident set, VmHWM (Linux); else ru_maxrss.

    Not ru_maxrss first: Linux keeps it across fork and exec, so a child started by a parent
    that holds 1.6 GB reports 1.6 GB whatever it does itself; VmHWM belongs to this program.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind, path, start, n, k, m):
    cmd = [sys.executable, __file__, "--child", kind, path, start, str(k), str(m)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        return {"kind": kind, "n": n, "error": out.stderr.strip().splitlines()[-1:]}
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["n"] = n
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--big", action="store_true", help="also n = 1e8 (1.6 GB on disk)")
    parser.add_argument("--ns", default=None, help="sizes, e.g. 1e6,1e7")
    parser.add_argument("--iters", type=int, default=1, help="k, the base iterations")
    parser.add_argument("--extra", type=int, default=4,
                        help="m, the extra iterations at 1e7 points (scaled up for fewer points)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="cases to run")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path, start, k, m = args.child
        print(json.dumps(run_case(kind, path, start, int(k), int(m))))
        return
    sizes = [int(float(s)) for s in args.ns.split(",")] if args.ns else [10**6, 10**7]
    if args.big and 10**8 not in sizes:
        sizes.append(10**8)
    kinds = args.kinds.split(",")
    folder = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        for n in sizes:
            need = n * D * 8
            free = shutil.disk_usage(folder).free
            if need > free // 2:
                print(f"n = {n:.0e}: skipped, {need / 2**30:.1f} GB needed on disk and "
                      f"{free / 2**30:.1f} GB free")
                continue
            path, start = write_problem(folder, n)
            rows = {}
            for kind in kinds:
                if n >= 10**8 and kind in ("in-memory", "sklearn"):
                    continue  # 1.6 GB of data and 4 GB of responsibilities: not "where it fits"
                # The same amount of extra work at every size (at least 1e7 point-iterations),
                # so that the marginal time at 1e6 is not 4 short iterations lost in the noise.
                extra = max(args.extra, -(-args.extra * 10**7 // n) if args.extra else 0)
                rows[kind] = child(kind, str(path), str(start), n, args.iters, extra)
            base = rows.get("in-memory", {}).get("ms_per_iteration")
            sk = rows.get("sklearn", {}).get("ms_per_iteration")
            for kind, row in rows.items():
                t = row.get("ms_per_iteration")
                row["vs_in_memory"] = t / base if t and base else None
                row["vs_sklearn"] = t / sk if t and sk else None
                if args.json:
                    print(json.dumps(row), flush=True)
                elif "error" in row:
                    print(f"n = {n:.0e} {kind:>10}: failed: {row['error']}", flush=True)
                else:
                    vm = f"{row['vs_in_memory']:.2f}x" if row["vs_in_memory"] else "-"
                    vs = f"{row['vs_sklearn']:.3f}x" if row["vs_sklearn"] else "-"
                    print(f"n = {n:.0e} {kind:>10}: {t:9.1f} ms/iteration, peak RSS "
                          f"{row['peak_rss_mb']:7.0f} MB, vs in-memory {vm:>6}, vs scikit-learn "
                          f"{vs:>7}", flush=True)
            path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if 10**8 not in sizes and not args.json:
        print("n = 1e8 not run (pass --big: a 1.6 GB .npy in a temporary folder)")


if __name__ == "__main__":
    main()
