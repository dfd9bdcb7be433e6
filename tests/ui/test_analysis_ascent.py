"""Analyse > EM as coordinate ascent: the dock follows the half-steps and says what is seen."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.model import e_step, m_step
from gmm_gui.ui.analysis.ascent_dock import AscentDock


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


def test_two_columns_are_not_drawn(qtbot, shown_window):
    w = shown_window("faithful")
    w.analysis_actions["ascent"].trigger()
    dock = w.analysis_tools["ascent"]
    assert dock.curves is None and not dock.running
    assert "for 1-D data" in dock.summary.text()
    assert len(dock.ll_curve.getData()[0] if dock.ll_curve.getData()[0] is not None else []) == 0
