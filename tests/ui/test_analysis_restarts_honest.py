"""Restarts name degenerate runs and keep them out of "Use best" (issue #11)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_analysis_local_maxima import open_dock, run_dock

from gmm_gui.model import RUN_TOL, fit


def test_degenerate_runs_are_marked_and_set_aside(qtbot, shown_window):
    # Galton's heights with K = 4: run to RUN_TOL, some k-means++ starts collapse and some
    # do not. (Davis with K = 2 no longer serves: run to true convergence every k-means++
    # start collapses onto the 57 cm entry, see the next test.)
    window = shown_window("galton")
    window.k_spin.setValue(4)
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 8, kind="kmeans++", seed=0)
    degenerate = [g for g in result.groups if g.degenerate]
    assert degenerate and result.n_degenerate_set_aside > 0  # some starts collapse
    for row, group in enumerate(result.groups):
        assert ("degenerate" in dock.table.item(row, 0).text()) == group.degenerate
        assert ("collapsed" in dock.table.item(row, 0).toolTip()) == group.degenerate
    # hollow markers for the degenerate runs
    ranked = result.ranked()
    brushes = [p.brush().style() for p in dock.dots.points()]
    hollow = [b == Qt.BrushStyle.NoBrush for b in brushes]
    assert hollow == [r.degenerate for r in ranked]
    best = result.best
    assert best is not None and not best.degenerate
    _, by = dock.best_marker.getData()
    assert by[0] == best.mean_log_likelihood
    assert f"{result.n_degenerate_set_aside} run" in dock.status.text()
    assert f"tol = {result.tol:g}" in dock.status.text()
    dock.use_best()
    assert window.session.wait_idle()
    np.testing.assert_array_equal(window.session.stepper.start.means, best.start.means)
    assert "degenerate set aside" in dock.status.text()


def test_use_best_says_when_every_run_was_degenerate(qtbot, shown_window, monkeypatch):
    window = shown_window("davis")
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 4, kind="kmeans++", seed=0)
    # Davis K = 2 run to RUN_TOL: every k-means++ start collapses (as the engine's own test).
    assert all(r.degenerate for r in result.runs) and result.best is None
    assert "Every run was degenerate" in dock.status.text()
    monkeypatch.setattr(type(result), "best", property(lambda self: None))
    dock.set_result(result)
    before = window.session.stepper.start
    dock.use_best()
    assert "Every run was degenerate" in dock.status.text()
    assert window.session.stepper.start is before


def test_a_loaded_run_is_run_to_the_runs_tolerance_and_stays_there(qtbot, shown_window):
    window = shown_window("faithful")
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 6, kind="kmeans++", seed=0)
    stepper = window.session.stepper
    assert result.tol == RUN_TOL and result.tol < stepper.tol
    dock.show_group(0)
    assert window.session.wait_idle()
    run = result.groups[0].representative
    snap = window.session.snapshot
    assert snap.phase == "M" and snap.converged and snap.tol == RUN_TOL
    assert snap.mean_log_likelihood == pytest.approx(run.mean_log_likelihood, abs=1e-9)
    assert f"tol = {RUN_TOL:g}" in dock.status.text()
    # A true fixed point: one more EM iteration from it hardly moves it.
    again = fit(stepper.X, snap.mixture, max_iter=1, tol=0.0)
    np.testing.assert_allclose(again.mixture.means, snap.mixture.means, rtol=0, atol=1e-6)
    # The window's own animation rule is not changed by it.
    assert stepper.tol == window.workspace.settings.tol
