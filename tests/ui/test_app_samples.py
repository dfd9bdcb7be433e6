"""Bundled samples open with a start worth seeing: Davis's first run tells the lecture's story."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.resources import SAMPLES, get_sample, match_sample
from gmm_gui.ui.app import build_parser, build_window, run_iterations
from gmm_gui.ui.main_window import MainWindow


def check_davis_story(window: MainWindow) -> None:
    stepper = window.session.stepper
    X = stepper.X[:, 0]
    outlier = int(np.argmin(X))
    assert X[outlier] == 57.0  # the known data-entry error
    window.session.run_to_convergence()
    assert window.session.wait_idle()
    snap = window.session.snapshot
    assert snap.converged and not snap.warnings
    mixture = snap.mixture
    sds = np.sqrt(mixture.covariances[:, 0, 0])
    assert mixture.n_components == 2 and sds.min() > 1.0  # nothing collapsed onto the outlier
    assert np.all((mixture.means[:, 0] > 150) & (mixture.means[:, 0] < 190))
    nearer = int(np.argmin(mixture.means[:, 0]))
    resp = stepper.responsibilities(snap)[outlier]
    assert resp[nearer] > 0.99  # claimed almost entirely by the nearer Gaussian


def test_davis_from_the_samples_menu(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    action = window.samples_menu.actions()[[s.key for s in SAMPLES].index("davis")]
    action.trigger()
    sample = get_sample("davis")
    assert window.seed_spin.value() == sample.seed and window.start_method == sample.start_method
    assert window.session.stepper.start_info.seed == sample.seed
    check_davis_story(window)
    window.close()


def test_davis_file_on_the_command_line_uses_the_sample_start(qtbot):
    path = get_sample("davis").path
    window = build_window(build_parser().parse_args([str(path), "--columns", "height"]))
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    assert window.session.stepper.start_info.seed == get_sample("davis").seed
    check_davis_story(window)
    window.close()
    # An explicit seed wins over the sample's.
    args = build_parser().parse_args([str(path), "--columns", "height", "--seed", "0"])
    window = build_window(args)
    qtbot.addWidget(window)
    run_iterations(window, 3)
    assert window.session.stepper.start_info.seed == 0
    window.close()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.key)
def test_every_sample_first_run_converges_without_a_collapse(qtbot, sample):
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    assert window.open_sample(sample.key)
    window.session.run_to_convergence()
    snap = window.session.snapshot
    assert snap.converged and not snap.warnings
    assert match_sample(sample.path, sample.columns) is sample
    assert match_sample(sample.path, ("nope",)) is None
    window.close()
