"""Restarts name degenerate runs and keep them out of "Use best" (issue #11)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from test_analysis_local_maxima import open_dock, run_dock


def test_davis_degenerate_runs_are_marked_and_set_aside(qtbot, shown_window):
    window = shown_window("davis")
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 8, kind="kmeans++", seed=0)
    degenerate = [g for g in result.groups if g.degenerate]
    assert degenerate and result.n_degenerate_set_aside > 0  # Davis K=2 from k-means++ collapses
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
    monkeypatch.setattr(type(result), "best", property(lambda self: None))
    dock.set_result(result)
    before = window.session.stepper.start
    dock.use_best()
    assert "Every run was degenerate" in dock.status.text()
    assert window.session.stepper.start is before
