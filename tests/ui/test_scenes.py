"""The lecture's scenes: one click or ``--scene`` each, and what the caption says, in numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gmm_gui.model.metrics import point_breakdown
from gmm_gui.ui.app import main
from gmm_gui.ui.main_window import MainWindow
from gmm_gui.ui.scenes import SCENES, get_scene, scene_names


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.set_animation_ms(0)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def play(qtbot, window: MainWindow, name: str) -> None:
    """Pick the scene from the Scenes menu and wait until its actions are done."""
    action = next(a for a in window.scenes_menu.actions() if a.objectName() == f"scene_{name}")
    action.trigger()
    qtbot.waitUntil(lambda: not window.scenes.busy, timeout=60_000)
    assert window.session.wait_idle()
    assert window.scene_caption.isVisible()
    assert window.scene_caption.text() == get_scene(name).caption


def stepper_max(window: MainWindow) -> float:
    return float(window.session.stepper.X[:, 0].max())


def run_to_convergence(window: MainWindow) -> None:
    window.session.run_to_convergence()
    assert window.session.wait_idle()
    assert window.session.snapshot.converged


def test_every_scene_is_in_the_menu_with_its_caption(window):
    names = [a.objectName() for a in window.scenes_menu.actions()]
    assert names == [f"scene_{s.name}" for s in SCENES]
    assert scene_names() == ("heights", "bad-start", "restarts", "three-in-2d", "sampling")
    with pytest.raises(KeyError, match="heights, bad-start"):
        get_scene("nope")


def test_heights_the_nearer_gaussian_claims_the_outlier(qtbot, window):
    play(qtbot, window, "heights")
    stepper = window.session.stepper
    np.testing.assert_allclose(stepper.start.means[:, 0], [175.0, 180.0])
    np.testing.assert_allclose(np.sqrt(stepper.start.covariances[:, 0, 0]), [5.0, 5.0])
    X = stepper.X[:, 0]
    outlier = int(np.argmin(X))
    assert X[outlier] == 57.0
    window.session.step_e()
    assert window.session.wait_idle()
    snap = window.session.snapshot
    assert snap.phase == "E"
    resp = stepper.responsibilities(snap)[outlier]
    nearer = int(np.argmin(np.abs(stepper.start.means[:, 0] - X[outlier])))
    assert resp[nearer] > 0.99
    breakdown = point_breakdown(stepper.X[outlier], snap.mixture)
    assert np.all(breakdown.density < 0.02)
    np.testing.assert_allclose(breakdown.posterior, resp, atol=1e-12)


def test_bad_start_one_wide_gaussian_owns_nearly_everything(qtbot, window):
    play(qtbot, window, "bad-start")
    assert window.workspace.settings.prior
    start = window.session.stepper.start
    assert np.all(start.means[:, 0] < window.session.stepper.X[:, 0].min())
    # the start is seen: both Gaussians, one sd either side, inside the plot it opens with
    (x0, x1), _ = window.view.plot.getViewBox().viewRange()
    sd = np.sqrt(start.covariances[:, 0, 0])
    assert x0 <= float(np.min(start.means[:, 0] - sd)) and x1 >= stepper_max(window)
    run_to_convergence(window)
    snap = window.session.snapshot
    weights = snap.mixture.weights
    sds = np.sqrt(snap.mixture.covariances[:, 0, 0])
    owner = int(np.argmax(weights))
    assert weights[owner] > 0.9
    assert owner == int(np.argmax(sds))
    assert not snap.degenerate
    curve = window.workspace.state.log_likelihoods
    assert len(curve) > 2
    assert np.all(np.diff(curve) >= 0)


def test_restarts_keeps_the_best_of_twenty(qtbot, window):
    play(qtbot, window, "restarts")
    dock = window.analysis_tools["restarts"]
    assert dock.isVisible()
    result = dock.result
    assert result is not None and len(result.runs) == 20
    assert len(result.groups) > 1  # several maxima: the point of restarting
    assert dock.loaded is result.best
    snap = window.session.snapshot
    assert snap.mixture.n_components == 3
    np.testing.assert_allclose(
        window.session.stepper.start.means, result.best.start.means, rtol=0, atol=0
    )
    assert snap.converged


def test_three_in_2d_climbs(qtbot, window):
    play(qtbot, window, "three-in-2d")
    snap = window.session.snapshot
    assert snap.n_features == 2 and snap.mixture.n_components == 3
    run_to_convergence(window)
    curve = window.workspace.state.log_likelihoods
    assert curve[-1] > curve[0]
    assert np.all(np.diff(curve) >= -1e-12)


def test_sampling_draws_as_many_points_as_the_data(qtbot, window):
    play(qtbot, window, "sampling")
    assert window.session.snapshot.converged
    explore = window.analysis_tools["explore"]
    n = window.session.stepper.n_samples
    assert explore.samples is not None and explore.samples.shape == (n, 2)


def test_a_scene_replaces_another_and_other_data_clear_the_caption(qtbot, window):
    play(qtbot, window, "bad-start")
    play(qtbot, window, "heights")
    assert not window.workspace.settings.prior  # each scene brings its own settings
    assert window.open_sample("faithful")
    assert not window.scene_caption.isVisible()
    assert window.scenes.scene is None


def test_command_line_scene_screenshot(qtbot, tmp_path, capsys):
    out = tmp_path / "heights.png"
    assert main(["--scene", "heights", "--steps", "1", "--screenshot", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size[0] > 400 and image.size[1] > 300


def test_command_line_unknown_scene_is_one_line(capsys):
    assert main(["--scene", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert all(name in err[0] for name in scene_names())


def test_command_line_settings_apply_over_a_scenes_own(qtbot, tmp_path, capsys):
    """`--scene bad-start --tol 1e-10`, as its caption suggests: the scene keeps its data,
    start and prior, and takes the tol given (it was silently dropped)."""
    out = tmp_path / "p.json"
    assert main(["--scene", "bad-start", "--tol", "1e-10", "--max-iter", "7",
                 "--steps", "2", "--export", str(out)]) == 0
    import json

    fit = json.loads(out.read_text())["fit"]
    assert fit["tol"] == 1e-10 and fit["max_iter"] == 7 and "prior" in fit


def test_a_bad_command_line_is_one_line(capsys):
    assert main(["--tol", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("gmm-gui: error: argument --tol: --tol must be a finite number >= 0")
