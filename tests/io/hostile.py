"""Test helpers: hostile-file cases run in a child process, so a regression fails safely.

A case that could hang (a FIFO) is bounded by a timeout; one that could eat memory (a zip bomb, a
header claiming 60 GiB, /dev/zero) runs under an address-space limit (``RLIMIT_AS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MEMORY_CAP = 2 * 1024**3  # the child's address space: a regression fails with MemoryError
TIMEOUT = 120  # seconds; a child that blocks (on a pipe) fails the test instead of hanging it

_PRELUDE = """\
import resource, sys
cap = {cap}
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
"""


def run_child(
    code: str, *, memory_cap: int | None = MEMORY_CAP, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` in a fresh interpreter under a memory cap and a timeout.

    Returns the finished process (stdout, stderr as text). A child still running after
    ``timeout`` seconds is killed and the test fails, naming the code.
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    script = _PRELUDE.format(cap=memory_cap or 0) + textwrap.dedent(code)
    try:
        return subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child process did not finish within {timeout} s (it hangs):\n{code}")


def load_in_child(path: Path, *, memory_cap: int | None = MEMORY_CAP, **kwargs: object) -> str:
    """``load_dataset(path, **kwargs)`` in a child; return the DataError message it raised.

    Fails the test if the child loads the file, hangs, or ends in any other exception.
    """
    code = f"""
        from gmm_gui.io import DataError, load_dataset
        try:
            load_dataset({str(path)!r}, **{kwargs!r})
        except DataError as exc:
            print("DataError:", exc)
        else:
            print("loaded")
    """
    done = run_child(code, memory_cap=memory_cap)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DataError: "), done.stdout + done.stderr
    return done.stdout[len("DataError: "):].strip()



def gmm_fit_in_child(
    *argv: object, memory_cap: int | None = MEMORY_CAP
) -> subprocess.CompletedProcess[str]:
    """``gmm-fit ARGV`` in a child under the memory cap and the timeout."""
    code = f"""
        from gmm_gui.cli import main
        sys.exit(main({[str(a) for a in argv]!r}))
    """
    return run_child(code, memory_cap=memory_cap)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``gmm-fit: error: ...`` line of a failed run (exit status 2), checked."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gmm-fit: error: "), lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]
