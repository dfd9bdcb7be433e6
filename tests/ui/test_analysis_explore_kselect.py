"""Analyse > Choose K: the curves drawn, the best marked, clicking a point loads the model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky
from window_helpers import work_returned

from gmm_gui.ui.main_window import MainWindow


def sklearn_model(mixture) -> GaussianMixture:
    """A scikit-learn GaussianMixture holding exactly these parameters."""
    kind = mixture.covariance_type
    model = GaussianMixture(n_components=mixture.n_components, covariance_type=kind)
    model.weights_ = np.array(mixture.weights)
    model.means_ = np.array(mixture.means)
    model.covariances_ = mixture.compact_covariances()
    model.precisions_cholesky_ = _compute_precision_cholesky(model.covariances_, kind)
    return model


@pytest.fixture
def computed(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.set_animation_ms(0)
    w.resize(1300, 820)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_sample("faithful")
    w.analysis_actions["choose_k"].trigger()
    dock = w.analysis_tools["choose_k"]
    assert dock.isVisible()
    dock.k_max_spin.setValue(3)
    dock.type_boxes["tied"].setChecked(False)
    dock.type_boxes["spherical"].setChecked(False)
    progress = []
    dock.work_progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(dock.work_finished, timeout=60_000):
        dock.run_button.click()
        assert dock.cancel_button.isEnabled()
    assert progress and progress[-1] == (6, 6)
    assert dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()
    yield w, dock
    w.close()


def test_bic_curves_are_sklearns_bic_of_the_fitted_models(computed):
    w, dock = computed
    X = np.asarray(w.session.snapshot.X)
    assert dock.criterion() == "bic"
    assert set(dock.points) == {"full", "diag"}
    for cov_type, scatter in dock.points.items():
        ks, values = scatter.getData()
        np.testing.assert_array_equal(ks, [1, 2, 3])
        for k, value in zip(ks, values, strict=True):
            cand = dock.selection.get(cov_type, int(k))
            assert cand.mixture.covariance_type == cov_type
            assert value == pytest.approx(sklearn_model(cand.mixture).bic(X), rel=1e-10)
    # the best of all is the lowest BIC drawn
    best_value = min(min(s.getData()[1]) for s in dock.points.values())
    star = dock._best_items[-1]
    assert star.getData()[1][0] == best_value
    assert "Best by BIC: K = " in dock.summary.text()


def test_criterion_selector_switches_the_curves(computed):
    w, dock = computed
    X = np.asarray(w.session.snapshot.X)
    dock.criterion_combo.setCurrentIndex(1)
    assert dock.criterion() == "aic"
    ks, values = dock.points["diag"].getData()
    for k, value in zip(ks, values, strict=True):
        cand = dock.selection.get("diag", int(k))
        assert value == pytest.approx(sklearn_model(cand.mixture).aic(X), rel=1e-10)
    dock.criterion_combo.setCurrentIndex(2)
    ks, values = dock.points["full"].getData()
    np.testing.assert_array_equal(values, dock.selection.curve("heldout", "full")[1])
    # higher is better for the held-out score
    star = dock._best_items[-1]
    assert star.getData()[1][0] == max(np.nanmax(s.getData()[1]) for s in dock.points.values())


def test_clicking_a_point_loads_that_model_as_the_start(computed, qtbot):
    w, dock = computed
    target = dock.selection.get("diag", 3)
    ks, values = dock.points["diag"].getData()
    vb = dock.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(3.0, float(values[2])))
    pos = dock.plot_widget.mapFromScene(scene)
    loaded = []
    dock.candidate_loaded.connect(lambda t, k: loaded.append((t, k)))
    qtbot.mouseClick(dock.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert loaded == [("diag", 3)]
    snap = w.session.snapshot
    assert snap.phase == "start" and snap.editable
    np.testing.assert_array_equal(snap.mixture.means, target.mixture.means)
    np.testing.assert_array_equal(snap.mixture.covariances, target.mixture.covariances)
    np.testing.assert_array_equal(w.view.shown_params().means, target.mixture.means)
    # undoable
    w.session.undo()
    assert w.session.snapshot.mixture.n_components == 2


def test_new_data_clears_the_curves(computed):
    w, dock = computed
    assert w.open_sample("galaxies")
    assert dock.selection is None and not dock.points


def test_a_run_for_data_since_replaced_is_dropped(computed, qtbot):
    w, dock = computed
    with work_returned(qtbot, dock):
        dock.run_button.click()
        assert w.open_sample("galaxies")  # new data while it runs
    assert dock.selection is None and not dock.points


def test_closing_the_window_stops_a_running_computation(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.open_sample("faithful")
    dock = w.analysis_tools["choose_k"]
    dock.k_max_spin.setValue(10)
    dock.run()
    assert dock.running
    w.close()
    assert not dock.running


def test_clicking_the_star_loads_the_best_model(computed, qtbot):
    w, dock = computed
    best = dock.selection.best("bic")
    star = dock._best_items[-1]
    assert star.getData()[1][0] == best.bic
    vb = dock.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(float(best.n_components), float(best.bic)))
    pos = dock.plot_widget.mapFromScene(scene)
    loaded = []
    dock.candidate_loaded.connect(lambda t, k: loaded.append((t, k)))
    qtbot.mouseClick(dock.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert loaded == [(best.covariance_type, best.n_components)]
    np.testing.assert_array_equal(w.session.snapshot.mixture.means, best.mixture.means)


def test_a_degenerate_candidate_has_no_bic_point_but_a_hollow_marker(computed):
    import dataclasses

    _, dock = computed
    selection = dock.selection
    target = selection.get("diag", 3)
    raw = float(target.bic)
    degenerate = dataclasses.replace(
        target, bic=float("nan"), raw_bic=raw, degenerate_components=(0,)
    )
    assert degenerate.degenerate
    cands = tuple(degenerate if c is target else c for c in selection.candidates)
    dock.set_selection(dataclasses.replace(selection, candidates=cands))
    ks, _ = dock.points["diag"].getData()
    assert 3.0 not in list(ks)  # no point: the BIC is not defined
    assert set(dock.degenerate_points) == {"diag"}
    hollow = dock.degenerate_points["diag"]
    hx, hy = hollow.getData()
    assert list(hx) == [3.0] and list(hy) == [raw]
    assert hollow.points()[0].brush().style() == Qt.BrushStyle.NoBrush
    tip = hollow.opts["tip"](3.0, raw, ("diag", 3))
    assert "degenerate: BIC not defined, as in mclust" in tip
