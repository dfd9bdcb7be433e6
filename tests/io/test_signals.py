"""gmm-fit stopped by a signal mid-write (issue #12 item 6): no temporary file is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import REPO

from gmm_gui.cli import main

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

# The child blocks inside the fsync of the --labels temporary file (after --out's temporary file
# is written), so the signal always comes mid-write: deterministic, no timing guesses.
_CHILD = """
import os, signal, sys
marker, argv = sys.argv[1], sys.argv[2:]
real_fsync = os.fsync

def fsync_that_waits(fd):
    if "labels.csv" in os.readlink(f"/proc/self/fd/{fd}"):
        open(marker, "w").close()
        signal.pause()  # until the test's signal comes
    real_fsync(fd)

os.fsync = fsync_that_waits
from gmm_gui.cli import main
sys.exit(main(argv))
"""


def _data(path: Path, n: int = 20_000) -> Path:
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (n // 2, 2)), rng.normal(5, 1, (n - n // 2, 2))])
    path.write_text("x,y\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in X) + "\n", "utf-8")
    return path


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until ``path`` exists (polling the child, not sleeping blind); fail if it ends."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the child never reached the --labels write")
        else:
            pytest.fail(f"the child ended early: {proc.stderr.read()}")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGTERM, 128 + signal.SIGTERM, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_during_the_labels_write_leaves_no_temporary_file(
    tmp_path, signum, status, word
):
    data = _data(tmp_path / "data.csv")
    out, labels, marker = tmp_path / "p.json", tmp_path / "labels.csv", tmp_path / "writing"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(marker), str(data), "-k", "2",
         "--out", str(out), "--labels", str(labels)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    try:
        _wait_for(marker, proc)
        temporaries = [p.name for p in tmp_path.iterdir() if ".gmmtmp-" in p.name]
        assert len(temporaries) == 2  # --out's and --labels', mid-write
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status
    assert stderr.strip() == f"gmm-fit: {word}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "writing"]


def test_main_puts_the_sigterm_handler_back(tmp_path, capsys, datasets_dir):
    before = signal.getsignal(signal.SIGTERM)
    assert main([str(datasets_dir / "faithful.csv"), "-k", "2"]) == 0
    capsys.readouterr()
    assert signal.getsignal(signal.SIGTERM) is before
