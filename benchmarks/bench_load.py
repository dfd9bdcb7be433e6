"""Time loading a data file into a Dataset (issue 3: a 2-column CSV of a million rows < 2 s).

Cases, each at 1e4, 1e5 and 1e6 rows:

* ``load``: a plain 2-column CSV with a header (the issue's target; NumPy's C reader);
* ``load-r-export``: an R ``write.csv`` export (quoted header and row names), same reader;
* ``load-with-na``: the R export with one ``NA`` cell, which sends it to the careful reader
  that handles missing values and text cell by cell.

Prints one line per case, or with --json one JSON object per line:
{"case": "load", "n": 1000000, "median_ms": ...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from gmm_gui.io import load_dataset


def write_files(folder: Path, n: int) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2)) * [1.1, 13.6] + [3.5, 70.9]
    body = [f"{a:.6g},{b:.6g}" for a, b in X]
    plain = folder / f"plain_{n}.csv"
    plain.write_text("eruptions,waiting\n" + "\n".join(body) + "\n", encoding="utf-8")
    r_rows = [f'"{i + 1}",{line}' for i, line in enumerate(body)]
    r_export = folder / f"r_{n}.csv"
    r_export.write_text('"","eruptions","waiting"\n' + "\n".join(r_rows) + "\n", encoding="utf-8")
    r_rows[n // 2] = f'"{n // 2 + 1}",NA,{X[n // 2, 1]:.6g}'
    with_na = folder / f"na_{n}.csv"
    with_na.write_text('"","eruptions","waiting"\n' + "\n".join(r_rows) + "\n", encoding="utf-8")
    return {"load": plain, "load-r-export": r_export, "load-with-na": with_na}


def time_load(path: Path, repeats: int) -> tuple[float, int]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        data = load_dataset(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0, data.n_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            files = write_files(Path(tmp), n)
            repeats = 7 if n <= 100_000 else 3
            for case, path in files.items():
                median_ms, n_samples = time_load(path, repeats)
                size_mb = path.stat().st_size / 1e6
                if args.json:
                    print(json.dumps({"case": case, "n": n, "median_ms": round(median_ms, 2)}),
                          flush=True)
                else:
                    print(f"{case:14s} n={n:>8d} ({size_mb:6.1f} MB, {n_samples} points kept): "
                          f"median {median_ms:8.1f} ms over {repeats} runs", flush=True)


if __name__ == "__main__":
    main()
