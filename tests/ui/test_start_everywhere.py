"""One initialiser (issue #11): one start kind and seed give one start everywhere.

The toolbar's New start, a run of Analyse > Restarts, the start the start map varies, and
``gmm-fit -k K --seed S`` (its start read back with ``--max-iter 0``) all hold the start of
:func:`gmm_gui.model.draw_start`, to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gmm_gui.cli import main as gmm_fit
from gmm_gui.controller.stepper import START_METHODS
from gmm_gui.io import read_mixture
from gmm_gui.model import Mixture, draw_start
from gmm_gui.ui.analysis.basins_dock import BasinsDock
from gmm_gui.ui.analysis.restarts_dock import START_KINDS, RestartsDock

K = 3
SEEDS = (0, 1, 2)
#: gmm-fit's spelling of each start kind.
CLI_METHOD = {"kmeans++": "kmeans++", "random": "random", "random_from_data": "random-from-data"}


def assert_same_start(got: Mixture, expected: Mixture) -> None:
    assert got.covariance_type == expected.covariance_type
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(expected, name), rtol=1e-12, atol=1e-12, err_msg=name
        )


def open_dock(window, name: str, cls):
    action = next(a for a in window.analysis_menu.actions() if a.objectName() == f"action_{name}")
    action.trigger()
    dock = window.findChild(cls, f"{name}_dock")
    assert dock is not None and dock.isVisible()
    return dock


def toolbar_start(qtbot, window, kind: str, seed: int) -> Mixture:
    window.k_spin.setValue(K)
    window.method_combo.setCurrentIndex(window.method_combo.findData(kind))
    window.seed_spin.setValue(seed)
    qtbot.mouseClick(window.new_start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.stepper.start_info.seed == seed
                    and window.session.stepper.start_info.method == kind)
    return window.session.stepper.start


def restarts_runs(qtbot, dock: RestartsDock, kind: str, seed: int):
    dock.n_spin.setValue(2)
    dock.kind_combo.setCurrentIndex(dock.kind_combo.findData(kind))
    dock.seed_spin.setValue(seed)
    with qtbot.waitSignal(dock.result_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0].runs


def start_map_start(qtbot, dock: BasinsDock) -> Mixture:
    dock.grid_spin.setValue(4)
    with qtbot.waitSignal(dock.map_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.compute_button, Qt.MouseButton.LeftButton)
    return blocker.args[0].start


def gmm_fit_start(tmp_path, capsys, path, kind: str, seed: int) -> Mixture:
    out = tmp_path / f"start-{kind}-{seed}.json"
    argv = [str(path), "--columns", "eruptions,waiting", "-k", str(K), "--init-method",
            CLI_METHOD[kind], "--seed", str(seed), "--max-iter", "0", "--out", str(out)]
    assert gmm_fit(argv) == 0
    capsys.readouterr()
    return read_mixture(out)[0]


def test_every_kind_the_window_offers_is_one_gmm_fit_knows():
    assert {kind for kind, _ in START_METHODS} == {kind for kind, _ in START_KINDS}
    assert set(CLI_METHOD) == {kind for kind, _ in START_METHODS}


@pytest.mark.parametrize("kind", [kind for kind, _ in START_METHODS])
def test_one_kind_and_seed_give_one_start_everywhere(
    qtbot, shown_window, tmp_path, capsys, datasets_dir, kind
):
    window = shown_window("faithful")
    X = window.session.stepper.X
    restarts = open_dock(window, "restarts", RestartsDock)
    basins = open_dock(window, "basins", BasinsDock)
    for seed in SEEDS:
        expected = draw_start(X, K, kind, seed=seed)
        # the toolbar's New start, and the start map made from it
        assert_same_start(toolbar_start(qtbot, window, kind, seed), expected)
        assert_same_start(start_map_start(qtbot, basins), expected)
        # gmm-fit -k K --seed S
        assert_same_start(gmm_fit_start(tmp_path, capsys, datasets_dir / "faithful.csv",
                                        kind, seed), expected)
        # Restarts: each run's start is the toolbar's start for that run's seed (the seed the
        # toolbar shows when the run is loaded)
        for run in restarts_runs(qtbot, restarts, kind, seed):
            assert_same_start(run.start, draw_start(X, K, kind, seed=run.seed))
            assert_same_start(toolbar_start(qtbot, window, kind, run.seed), run.start)
    if kind != "random":
        # the rule the one initialiser keeps: a Gaussian on a single point is given a visible
        # spread (a quarter of the data's sd per axis), in every consumer alike
        sd = X.std(axis=0)
        np.testing.assert_allclose(
            np.diagonal(expected.covariances, axis1=1, axis2=2), np.tile((sd / 4) ** 2, (K, 1))
        )


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "tied"])
def test_gmm_fit_and_restarts_start_as_draw_start_for_every_type(
    tmp_path, capsys, datasets_dir, covariance_type
):
    from gmm_gui.io import load_dataset
    from gmm_gui.model import run_restarts

    X = load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values
    out = tmp_path / "start.json"
    assert gmm_fit([str(datasets_dir / "faithful.csv"), "-k", "2", "--seed", "1",
                    "--covariance-type", covariance_type, "--max-iter", "0",
                    "--out", str(out)]) == 0
    capsys.readouterr()
    expected = draw_start(X, 2, "kmeans++", seed=1, covariance_type=covariance_type)
    assert_same_start(read_mixture(out)[0], expected)
    # the widened start keeps to its type: round in data units, or shared
    covs = expected.covariances
    if covariance_type == "spherical":
        assert covs[0][0, 0] == covs[0][1, 1] and covs[0][0, 1] == 0.0
    if covariance_type == "tied":
        np.testing.assert_array_equal(covs[0], covs[1])
    run = run_restarts(X, 2, 1, "kmeans++", seed=1, covariance_type=covariance_type).runs[0]
    assert_same_start(run.start, draw_start(X, 2, "kmeans++", seed=run.seed,
                                            covariance_type=covariance_type))
