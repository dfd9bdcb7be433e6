"""Analyse > EM as coordinate ascent: the dock follows the half-steps and says what is seen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from window_helpers import hold_after_first_progress

from gmm_gui.controller.halfsteps import HalfSteps
from gmm_gui.model import Mixture, e_step, m_step
from gmm_gui.model.ascent import ascent_curves
from gmm_gui.ui.analysis.ascent_dock import AscentDock, AscentRequest, describe


def drawn_for(dock: AscentDock, snapshot) -> bool:
    return dock.request is not None and dock.request.snapshot is snapshot and not dock.running


def open_dock(qtbot, w) -> AscentDock:
    w.analysis_actions["ascent"].trigger()
    dock = w.analysis_tools["ascent"]
    assert isinstance(dock, AscentDock) and dock.isVisible()
    qtbot.waitUntil(lambda: drawn_for(dock, w.session.snapshot), timeout=30_000)
    return dock


def test_follows_each_half_step(qtbot, shown_window):
    w = shown_window("davis")
    dock = open_dock(qtbot, w)
    start = w.session.snapshot
    X = np.asarray(start.X)
    # the start: the log-likelihood only, no bound yet
    assert dock.curves.bound is None
    assert dock.curves.current == pytest.approx(start.mixture.means[0, 0], abs=0)
    assert "no bound yet" in dock.summary.text()
    assert dock.bound_curve.getData()[0] is None or len(dock.bound_curve.getData()[0]) == 0

    w.session.step_e()  # the E-step: the bound appears, tight at the current mean
    qtbot.waitUntil(lambda: w.session.snapshot.phase == "E", timeout=30_000)
    snap_e = w.session.snapshot
    qtbot.waitUntil(lambda: drawn_for(dock, snap_e), timeout=30_000)
    curves = dock.curves
    assert curves.bound is not None and abs(curves.gap) <= 1e-10
    assert np.all(curves.bound <= curves.log_likelihood + 1e-12)
    assert curves.current == snap_e.mixture.means[0, 0]
    xs, ys = dock.bound_curve.getData()
    np.testing.assert_array_equal(xs, curves.values)
    np.testing.assert_array_equal(ys, curves.bound)
    assert "touches it at μ1" in dock.summary.text()
    assert "That is where the M-step will put μ1" in dock.summary.text()
    peak_e = curves.peak
    q, _ = e_step(X, snap_e.mixture)
    assert peak_e == pytest.approx(m_step(X, q, "full", 1e-6).means[0, 0], abs=1e-8)

    w.session.step_m()  # the M-step: the mean moved to the bound's peak, L rose
    qtbot.waitUntil(lambda: w.session.snapshot.phase == "M", timeout=30_000)
    snap_m = w.session.snapshot
    qtbot.waitUntil(lambda: drawn_for(dock, snap_m), timeout=30_000)
    curves = dock.curves
    assert curves.current == snap_m.mixture.means[0, 0]
    assert curves.current == pytest.approx(peak_e, abs=1e-8)
    assert curves.peak == pytest.approx(curves.current, abs=1e-8)
    assert curves.log_likelihood_at_current > snap_e.mean_log_likelihood
    text = dock.summary.text()
    assert "at the bound's peak" in text and "rose" in text
    assert "next E-step will make it touch again" in text
    assert dock.current_line.value() == curves.current


def test_parameter_and_component_choices_redraw(qtbot, shown_window):
    w = shown_window("davis")
    dock = open_dock(qtbot, w)
    w.session.step_e()
    qtbot.waitUntil(lambda: w.session.snapshot.phase == "E", timeout=30_000)
    snap = w.session.snapshot
    qtbot.waitUntil(lambda: drawn_for(dock, snap), timeout=30_000)
    dock.component_combo.setCurrentIndex(1)
    dock.parameter_combo.setCurrentIndex(dock.parameter_combo.findData("sd"))
    qtbot.waitUntil(
        lambda: (
            drawn_for(dock, snap) and (dock.curves.component, dock.curves.parameter) == (1, "sd")
        ),
        timeout=30_000,
    )
    assert dock.curves.current == pytest.approx(np.sqrt(snap.mixture.covariances[1, 0, 0]))
    assert abs(dock.curves.gap) <= 1e-10
    assert "σ2" in dock.summary.text()
    assert "standard deviation of Gaussian 2" in dock.plot.getAxis("bottom").labelText


def assert_not_drawn_here(dock: AscentDock, w) -> None:
    """Two columns: nothing computed, the controls off, the plot's place says why."""
    assert dock.curves is None and not dock.running and not dock.drawable()
    assert dock.message.isVisible() and not dock.plot_widget.isVisible()
    text = dock.message.text()
    assert text.startswith("EM as coordinate ascent is drawn for 1-D data")
    assert "have 2 columns" in text and "Davis heights" in text and "File > Samples" in text
    assert dock.message.textFormat() == Qt.TextFormat.PlainText
    assert dock.message.alignment() & Qt.AlignmentFlag.AlignCenter == Qt.AlignmentFlag.AlignCenter
    assert not dock.summary.isVisible()
    for control in (dock.component_combo, dock.parameter_combo, dock.cancel_button):
        assert not control.isEnabled()
    # no empty boxes: the Gaussians of the fit are listed (not to choose), the parameter named
    k = w.session.snapshot.mixture.n_components
    assert dock.component_combo.count() == k and dock.component_combo.currentText()
    assert dock.parameter_combo.currentText() == "its mean μ"
    assert len(dock.ll_curve.getData()[0] if dock.ll_curve.getData()[0] is not None else []) == 0


def test_two_columns_are_not_drawn_and_one_column_is_again(qtbot, shown_window):
    w = shown_window("faithful")
    w.analysis_actions["ascent"].trigger()
    dock = w.analysis_tools["ascent"]
    assert_not_drawn_here(dock, w)
    assert w.open_sample("davis")  # 1-D: works as before
    qtbot.waitUntil(lambda: drawn_for(dock, w.session.snapshot), timeout=30_000)
    assert dock.drawable() and dock.plot_widget.isVisible() and not dock.message.isVisible()
    assert dock.component_combo.isEnabled() and dock.parameter_combo.isEnabled()
    assert dock.summary.isVisible() and "no bound yet" in dock.summary.text()
    assert len(dock.ll_curve.getData()[0]) == len(dock.curves.values)
    assert w.open_sample("faithful")  # and back to two columns
    qtbot.waitUntil(lambda: w.session.snapshot is not None and w.session.snapshot.n_features == 2)
    QApplication.processEvents()
    assert_not_drawn_here(dock, w)
    assert w.open_sample("galton")
    qtbot.waitUntil(lambda: drawn_for(dock, w.session.snapshot), timeout=30_000)
    assert dock.drawable() and dock.curves is not None


def test_cancel_draws_nothing_half_done(qtbot, shown_window, monkeypatch):
    from gmm_gui.ui.analysis import ascent_dock

    w = shown_window("davis")
    dock = open_dock(qtbot, w)
    from gmm_gui.model import ascent

    # blocks of ten values (as for a large data set): the work can stop part-way
    monkeypatch.setattr(ascent, "_BLOCK_ELEMENTS", 10 * len(w.session.snapshot.X))
    hold_after_first_progress(monkeypatch, ascent_dock, "ascent_curves")
    w.session.step_e()
    qtbot.waitUntil(lambda: dock.running, timeout=30_000)
    with qtbot.waitSignal(dock.work_finished, timeout=30_000):
        dock.cancel_button.click()
    assert dock.curves is None
    assert dock.ll_curve.getData()[0] is None or len(dock.ll_curve.getData()[0]) == 0
    assert dock.summary.text().startswith("Cancelled")


def snapshot_pair(prior: bool):
    """An E state and the M state after it, on two clusters, with or without the prior."""
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0.0, 1.0, 120), rng.normal(5.0, 1.0, 80)][:, None]
    steps = HalfSteps(X, prior=prior)
    start = steps.start_snapshot(Mixture([0.5, 0.5], [[1.0], [3.0]], [[[1.0]], [[1.0]]]))
    snap_e = steps.next(start, start.mean_log_likelihood)
    snap_m = steps.next(snap_e, start.mean_log_likelihood)
    return start, snap_e, snap_m


@pytest.mark.parametrize("prior", [False, True])
def test_words_claim_the_m_step_lands_on_the_peak_only_when_it_does(prior):
    start, snap_e, snap_m = snapshot_pair(prior)
    X = snap_e.X
    request = AscentRequest(snap_e, 0, "mean")
    curves = ascent_curves(X, snap_e.mixture, snap_e.resp, 0, "mean")
    text = describe(request, curves)
    assert "touches it at μ1" in text
    claims = "That is where the M-step will put μ1" in text
    lands = abs(snap_m.mixture.means[0, 0] - curves.peak) <= 1e-8
    assert claims == lands == (not prior)
    request = AscentRequest(snap_m, 0, "mean", before=snap_e.mean_log_likelihood)
    curves = ascent_curves(X, snap_m.mixture, snap_m.resp, 0, "mean")
    text = describe(request, curves)
    assert ("at the bound's peak" in text) == (not prior)
    assert ("the prior pulls it" in text) == prior
    assert ("log-posterior per point rose" in text) == prior
    assert ("log-likelihood per point rose" in text) == (not prior)
    assert snap_m.mean_log_likelihood > snap_e.mean_log_likelihood
