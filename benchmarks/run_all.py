"""Run every benchmark in this folder, one after another, and print their figures.

    python benchmarks/run_all.py           # human-readable tables
    python benchmarks/run_all.py --json    # one JSON object per line, for comparing runs

Each ``bench_*.py`` runs in its own interpreter so that peak-memory figures are its own.
Run it on an otherwise idle machine: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("names", nargs="*", help="only these benchmarks (e.g. bench_em)")
    args = parser.parse_args(argv)

    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        wanted = {n.removesuffix(".py") for n in args.names}
        scripts = [s for s in scripts if s.stem in wanted]
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    failed = []
    for script in scripts:
        if not args.json:
            print(f"\n=== {script.name}", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, str(script)] + (["--json"] if args.json else [])
        result = subprocess.run(cmd, env=env, check=False)
        if result.returncode != 0:
            failed.append(script.name)
        if not args.json:
            print(f"--- {script.name}: {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
