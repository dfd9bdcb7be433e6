"""Soak: 2,000 half-steps played at full speed on 100,000 points in a window, memory flat.

EM never converges here (``tol=0``), so the whole run stays in one history of 2,001 states:
without the stepper's budget for responsibilities (4 MB per E-step at this size) it would hold
about 4 GB. Warnings are errors in the test run and Qt warnings fail the test, so the run is
also free of both.
"""

from __future__ import annotations

import os

import numpy as np

from gmm_gui.controller.stepper import DEFAULT_RESP_CACHE_BYTES, Stepper
from gmm_gui.model import Mixture, e_step
from gmm_gui.ui.main_window import MainWindow

N_SAMPLES = 100_000
HALF_STEPS = 2_000
WARM_UP = 400  # by then the budget for responsibilities (64 E-steps here) is full


def rss_mb() -> float:
    """Resident memory of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def data() -> tuple[np.ndarray, Mixture]:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.5, 4.0], [5.0, 5.0], [-2.0, 3.5]])
    labels = rng.integers(0, 5, size=N_SAMPLES)
    X = centres[labels] + rng.normal(scale=0.8, size=(N_SAMPLES, 2))
    start = Mixture(
        np.full(5, 0.2),
        centres + rng.normal(scale=0.8, size=(5, 2)),
        np.repeat(np.eye(2)[None] * 1.5, 5, axis=0),
    )
    return X, start


def test_two_thousand_half_steps_at_full_speed_keep_memory_flat(qtbot, tmp_path):
    X, start = data()
    path = tmp_path / "soak.npy"
    np.save(path, X)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(720, 480)
    window.show()
    qtbot.waitExposed(window)
    session = window.session
    assert N_SAMPLES < session.offload_threshold  # every half-step and frame on the UI thread
    window.set_animation_ms(0)
    assert window.open_file(path)
    window.wait_loaded()
    assert window.view is not None and window.dataset.n_samples == N_SAMPLES
    session.set_stepper(Stepper(window.dataset.values, start, tol=0.0, max_iter=10_000))
    stepper = session.stepper
    one_e_step = N_SAMPLES * 5 * 8
    assert HALF_STEPS * one_e_step / 2 > 10 * DEFAULT_RESP_CACHE_BYTES  # far over the budget
    session.set_speed(100.0)  # the fastest the session plays
    painted = []
    session.snapshot_changed.connect(lambda snap: painted.append(window.view.snapshot() is snap))
    session.play()
    assert session.playing
    qtbot.waitUntil(lambda: len(stepper.history) > WARM_UP, timeout=120_000)
    before = rss_mb()
    qtbot.waitUntil(lambda: len(stepper.history) > HALF_STEPS, timeout=300_000)
    session.pause()
    after = rss_mb()
    growth = after - before
    print(
        f"\nsoak: {len(stepper.history) - 1} half-steps, RSS {before:.0f} MB after warm-up, "
        f"{after:.0f} MB at the end ({growth:+.1f} MB), "
        f"responsibilities held {stepper.resp_bytes / 2**20:.0f} MB"
    )
    assert growth < 50.0
    assert stepper.resp_bytes <= DEFAULT_RESP_CACHE_BYTES
    assert len(painted) >= HALF_STEPS and all(painted)  # every state reached the view
    snap = session.snapshot
    assert snap.iteration >= HALF_STEPS // 2 - 1 and not snap.converged
    assert np.isfinite(snap.mean_log_likelihood)
    lls = stepper.log_likelihoods()
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[1:]))  # EM never went downhill
    # Every half-step is still there; an early one comes back with the right colours.
    session.go_to(1)
    shown = window.view.snapshot()
    assert shown is session.snapshot and shown.phase == "E"
    np.testing.assert_array_equal(shown.resp, e_step(stepper.X, start)[0])
    window.close()
