"""Time the basin-of-attraction maps (60 x 60 starts) on the bundled real data sets.

Prints one line per case, or with --json one JSON object per line:
{"case": "basin_map_1d", "data": ..., "n": ..., "k": 2, "grid": 60, "seconds": ..., ...}

The target (issue 5) is a 60 x 60 map of a few hundred points within about 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from gmm_gui.model import Mixture
from gmm_gui.model.basins import BasinMap, basin_map_1d, basin_map_2d

SAMPLES = Path(__file__).resolve().parent.parent / "gmm_gui" / "resources" / "samples"


def load(name: str, columns: list[str]) -> np.ndarray:
    """The numeric columns of a bundled R-exported CSV, rows with NA dropped."""
    with open(SAMPLES / f"{name}.csv", newline="", encoding="utf-8") as handle:
        rows = [[row[c] for c in columns] for row in csv.DictReader(handle)]
    values = np.array([[np.nan if v == "NA" else float(v) for v in row] for row in rows])
    return values[np.all(np.isfinite(values), axis=1)]


def start_1d(X: np.ndarray, symmetric: bool) -> Mixture:
    """Two components with the data's variance and equal weights (symmetric: cells (i, j) and
    (j, i) are mirror images and only half are fitted), or with unequal weights and variances
    (every cell fitted)."""
    var = float(X.var())
    lo, hi = np.percentile(X, [25, 75])
    if symmetric:
        return Mixture([0.5, 0.5], [[lo], [hi]], [[[var]], [[var]]])
    return Mixture([0.4, 0.6], [[lo], [hi]], [[[var]], [[0.5 * var]]])


def start_2d(X: np.ndarray) -> Mixture:
    cov = np.cov(X.T)
    lo, hi = np.percentile(X, [25, 75], axis=0)
    return Mixture([0.5, 0.5], [lo, hi], [cov, cov])


def summary(bmap: BasinMap) -> dict:
    return {
        "solutions": len(bmap.solutions),
        "median_iter": float(np.median(bmap.n_iter)),
        "max_iter_seen": int(bmap.n_iter.max()),
        "converged": float(np.mean(bmap.converged)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--grid", type=int, default=60)
    args = parser.parse_args()
    m = args.grid

    cases = []
    for name, column in (("Davis", "height"), ("GaltonFamilies", "childHeight")):
        X = load(name, [column])
        grid = np.linspace(X.min(), X.max(), m)
        for symmetric in (True, False):
            start = start_1d(X, symmetric)
            cases.append(("basin_map_1d", f"{name}.{column}", symmetric, X,
                          lambda X=X, g=grid, s=start: basin_map_1d(X, s, g, g)))
    X2 = load("faithful", ["eruptions", "waiting"])
    gx = np.linspace(X2[:, 0].min(), X2[:, 0].max(), m)
    gy = np.linspace(X2[:, 1].min(), X2[:, 1].max(), m)
    s2 = start_2d(X2)
    cases.append(("basin_map_2d", "faithful", False, X2,
                  lambda: basin_map_2d(X2, s2, 0, gx, gy)))

    for case, data, mirrored, X, run in cases:
        t0 = time.perf_counter()
        bmap = run()
        seconds = time.perf_counter() - t0
        record = {"case": case, "data": data, "n": int(X.shape[0]), "k": 2, "grid": m,
                  "mirrored": mirrored, "seconds": round(seconds, 3), **summary(bmap)}
        if args.json:
            print(json.dumps(record))
        else:
            half = " (mirrored half)" if mirrored else ""
            print(f"{case:13s} {data + half:44s} n={X.shape[0]:4d} {m}x{m}: {seconds:6.2f} s "
                  f"({record['solutions']} solutions, median {record['median_iter']:.0f} "
                  f"iterations, {100 * record['converged']:.0f}% converged)")


if __name__ == "__main__":
    main()
