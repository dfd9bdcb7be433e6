"""``gmm-gui``'s model settings flags and ``--export`` (issue #11): the same fit as gmm-fit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gmm_gui.cli import main as gmm_fit
from gmm_gui.io.mixture_file import read_mixture, write_mixture
from gmm_gui.model import Mixture
from gmm_gui.ui.app import build_parser, build_window, main


def write_data(path, n: int = 120, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    rows = np.vstack([rng.normal([0, 0], [1.0, 0.4], (n // 2, 2)),
                      rng.normal([4, 2], [0.5, 1.2], (n // 2, 2))])
    path.write_text("a,b\n" + "\n".join(f"{x:.6f},{y:.6f}" for x, y in rows) + "\n")


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "two.csv"
    write_data(path)
    return path


@pytest.fixture
def diag_start(tmp_path):
    path = tmp_path / "start.json"
    start = Mixture([0.5, 0.5], [[0.5, 0.5], [3.0, 1.5]], [np.eye(2), np.diag([0.5, 2.0])], "diag")
    write_mixture(path, start, ["a", "b"])
    return path


@pytest.mark.parametrize("prior", [False, True])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_steps_export_equal_gmm_fit(qapp, tmp_path, capsys, data, covariance_type, prior):
    start_path = tmp_path / "start.json"
    base = Mixture([0.5, 0.5], [[0.5, 0.5], [3.0, 1.5]], [np.eye(2), np.diag([0.5, 2.0])], "diag")
    write_mixture(start_path, base.as_type(covariance_type), ["a", "b"])
    flags = ["--prior"] if prior else []
    ours = tmp_path / "p.json"
    argv = [str(data), "--init", str(start_path), "--covariance-type", covariance_type,
            "--tol", "0", "--reg-covar", "1e-4", "--steps", "5", "--export", str(ours), *flags]
    assert main(argv) == 0
    theirs = tmp_path / "q.json"
    assert gmm_fit([str(data), "--init", str(start_path), "--max-iter", "5", "--tol", "0",
                    "--reg-covar", "1e-4", "--out", str(theirs), *flags]) == 0
    capsys.readouterr()
    mine, _ = read_mixture(ours)
    fitted, _ = read_mixture(theirs)
    assert mine.covariance_type == covariance_type == fitted.covariance_type
    assert json.loads(ours.read_text())["fit"]["n_iter"] == 5
    assert ("prior" in json.loads(ours.read_text())["fit"]) is prior
    np.testing.assert_allclose(mine.weights, fitted.weights, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mine.means, fitted.means, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mine.covariances, fitted.covariances, rtol=0, atol=1e-8)
    if covariance_type == "diag":  # a diag run stays diagonal
        off = mine.covariances - np.einsum("kii->ki", mine.covariances)[..., None] * np.eye(2)
        assert np.all(off == 0)


def test_kmeans_start_with_settings_equal_gmm_fit(qapp, tmp_path, capsys, data):
    ours = tmp_path / "p.json"
    assert main([str(data), "-k", "2", "--seed", "0", "--covariance-type", "spherical",
                 "--tol", "0", "--steps", "4", "--export", str(ours)]) == 0
    theirs = tmp_path / "q.json"
    assert gmm_fit([str(data), "-k", "2", "--seed", "0", "--covariance-type", "spherical",
                    "--max-iter", "4", "--tol", "0", "--out", str(theirs)]) == 0
    capsys.readouterr()
    mine, _ = read_mixture(ours)
    fitted, _ = read_mixture(theirs)
    assert mine.covariance_type == "spherical"
    np.testing.assert_allclose(mine.means, fitted.means, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mine.covariances, fitted.covariances, rtol=0, atol=1e-8)


def test_the_settings_reach_the_first_start(qtbot, data):
    args = build_parser().parse_args([str(data), "-k", "2", "--covariance-type", "tied",
                                      "--reg-covar", "0.01", "--tol", "1e-5", "--max-iter", "7"])
    window = build_window(args)
    qtbot.addWidget(window)
    settings = window.session.stepper.settings
    assert (settings.covariance_type, settings.reg_covar, settings.tol, settings.max_iter) == (
        "tied", 0.01, 1e-5, 7
    )
    assert window.session.stepper.start.covariance_type == "tied"
    window.close()


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--covariance-type", "round"], "invalid choice"),
        (["--reg-covar", "-1"], "--reg-covar must be a finite number >= 0"),
        (["--reg-covar", "1e308"], "--reg-covar must be at most"),
        (["--tol", "nan"], "--tol must be a finite number >= 0"),
        (["--max-iter", "0"], "--max-iter must be at least 1"),
        (["--max-iter", "2.5"], "--max-iter must be a whole number"),
    ],
)
def test_bad_settings_exit_2_as_gmm_fit_says(qapp, capsys, data, flags, needle):
    assert main([str(data), *flags]) == 2
    assert needle in capsys.readouterr().err


def test_init_of_another_covariance_type_is_refused(qapp, capsys, tmp_path, data, diag_start):
    out = tmp_path / "p.json"
    argv = [str(data), "--init", str(diag_start), "--covariance-type", "full", "--export",
            str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gmm-gui: error: {diag_start} holds diag covariances")
    assert not out.exists()


def test_export_that_cannot_be_written_exits_1(qapp, capsys, tmp_path, data):
    out = tmp_path / "missing" / "p.json"
    assert main([str(data), "-k", "2", "--export", str(out)]) == 1
    assert str(out) in capsys.readouterr().err
    assert not out.parent.exists()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_reg_covar_zero_from_the_command_line_starts_like_the_window(
    qapp, tmp_path, capsys, data, covariance_type
):
    """k-means++ starts each Gaussian on one point; with reg_covar 0 it has no spread until
    the start gives it one, so the start must not be refused as a collapse (issue #11)."""
    ours = tmp_path / "p.json"
    argv = [str(data), "-k", "2", "--covariance-type", covariance_type, "--reg-covar", "0",
            "--tol", "0", "--steps", "2", "--export", str(ours)]
    assert main(argv) == 0
    fit = json.loads(ours.read_text())["fit"]
    assert fit["reg_covar"] == 0.0 and fit["n_iter"] == 2
    theirs = tmp_path / "q.json"
    assert gmm_fit([str(data), "-k", "2", "--covariance-type", covariance_type, "--seed", "0",
                    "--reg-covar", "0", "--max-iter", "2", "--tol", "0",
                    "--out", str(theirs)]) == 0
    capsys.readouterr()
    mine, _ = read_mixture(ours)
    fitted, _ = read_mixture(theirs)
    np.testing.assert_allclose(mine.means, fitted.means, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mine.covariances, fitted.covariances, rtol=0, atol=1e-8)


def test_the_app_collects_garbage_on_its_ui_thread_only(qapp):
    """Automatic collection is off while the app runs, and the UI-thread timer collects."""
    import gc

    from gmm_gui.ui.app import collect_garbage_on_ui_thread

    was = gc.isenabled()
    gc.enable()
    try:
        collector = collect_garbage_on_ui_thread(interval_s=0.01)
        assert not gc.isenabled() and collector.timer.isActive()

        class Cycle:
            pass

        for _ in range(3 * gc.get_threshold()[0]):
            a = Cycle()
            a.me = a
        del a
        before = gc.get_count()[0]
        collector.check()  # what the timer calls
        assert gc.get_count()[0] < before
        collector.timer.stop()
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
