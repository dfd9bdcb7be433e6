"""Bundled samples open with a start worth seeing: Davis's first run tells the lecture's story."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.resources import SAMPLES, get_sample, match_sample
from gmm_gui.ui.app import build_parser, build_window, run_iterations
from gmm_gui.ui.main_window import MainWindow


def check_davis_story(window: MainWindow) -> None:
    """The lecture's story on the real data, from the sample's hand-placed start."""
    stepper = window.session.stepper
    assert stepper.start_info.method == "placed"
    np.testing.assert_array_equal(stepper.start.means[:, 0], [160.0, 180.0])
    X = stepper.X[:, 0]
    outlier = int(np.argmin(X))
    assert X[outlier] == 57.0  # the known data-entry error
    # First E-step: both Gaussians find the far-left point unlikely, yet the nearer one claims it.
    window.session.step_e()
    resp = stepper.responsibilities(window.session.snapshot)[outlier]
    assert resp[0] > 0.99
    # Then the nearer Gaussian widens towards it, peels off and collapses onto that one point:
    # a singular covariance, reported in words.
    window.session.run_to_convergence()
    assert window.session.wait_idle()
    snap = window.session.snapshot
    collapsed = int(np.argmin(snap.mixture.covariances[:, 0, 0]))
    assert snap.mixture.means[collapsed, 0] == pytest.approx(57.0)
    assert any("collapsed" in w for w in snap.warnings)
    assert snap.mixture.means[1 - collapsed, 0] == pytest.approx(np.mean(np.delete(X, outlier)))


def test_davis_from_the_samples_menu(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    action = window.samples_menu.actions()[[s.key for s in SAMPLES].index("davis")]
    action.trigger()
    check_davis_story(window)
    window.close()


def test_davis_file_on_the_command_line_uses_the_sample_start(qtbot):
    path = get_sample("davis").path
    window = build_window(build_parser().parse_args([str(path), "--columns", "height"]))
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    check_davis_story(window)
    window.close()
    # An explicit seed asks for a drawn start instead of the sample's.
    args = build_parser().parse_args([str(path), "--columns", "height", "--seed", "0"])
    window = build_window(args)
    qtbot.addWidget(window)
    run_iterations(window, 3)
    assert window.session.stepper.start_info.method == "kmeans++"
    assert window.session.stepper.start_info.seed == 0
    window.close()


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.key != "davis"], ids=lambda s: s.key
)
def test_every_other_sample_first_run_converges_without_a_collapse(qtbot, sample):
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
