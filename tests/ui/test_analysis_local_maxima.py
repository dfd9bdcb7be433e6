"""Analyse > Restarts: the dock runs many starts in the background and loads any of them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication
from window_helpers import hold_after_first_progress, work_returned

from gmm_gui.model import RUN_MAX_ITER, RUN_TOL, run_restarts
from gmm_gui.ui.analysis import restarts_dock
from gmm_gui.ui.analysis.restarts_dock import RestartsDock


@pytest.fixture
def window(shown_window):
    return shown_window("galaxies")


def open_dock(window) -> RestartsDock:
    action = next(a for a in window.analysis_menu.actions() if a.objectName() == "action_restarts")
    assert action.shortcut().toString() == "Ctrl+Shift+R"
    action.trigger()
    dock = window.findChild(RestartsDock, "restarts_dock")
    assert dock is not None and dock.isVisible()
    return dock


def run_dock(qtbot, dock, n_starts: int, kind: str = "random_from_data", seed: int = 3):
    dock.n_spin.setValue(n_starts)
    dock.kind_combo.setCurrentIndex(dock.kind_combo.findData(kind))
    dock.seed_spin.setValue(seed)
    with qtbot.waitSignal(dock.result_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_table_and_chart_show_the_groups_of_the_result(qtbot, window):
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 8)
    stepper = window.session.stepper
    # The same runs made directly by the engine: same groups, same counts. The runs climb to
    # the engine's RUN_TOL, not the animation's tol (issue #11).
    oracle = run_restarts(
        stepper.X,
        window.k_spin.value(),
        8,
        "random_from_data",
        seed=3,
        tol=RUN_TOL,
        max_iter=RUN_MAX_ITER,
    )
    assert (result.tol, result.max_iter) == (RUN_TOL, RUN_MAX_ITER)
    assert result.tol < stepper.tol
    assert [g.members for g in result.groups] == [g.members for g in oracle.groups]
    assert len(result.groups) >= 2  # galaxies with K=4: several maxima from 8 starts
    assert dock.table.rowCount() == len(result.groups)
    for row, group in enumerate(result.groups):
        assert dock.table.item(row, 2).text() == f"×{group.count}"
        assert float(dock.table.item(row, 1).text()) == pytest.approx(
            group.best_log_likelihood, abs=1e-4
        )
    lls = [float(dock.table.item(r, 1).text()) for r in range(dock.table.rowCount())]
    assert lls == sorted(lls, reverse=True)
    x, y = dock.dots.getData()
    assert len(x) == 8
    assert np.all(np.diff(y) <= 0)  # ranked best first
    bx, by = dock.best_marker.getData()
    assert by[0] == pytest.approx(result.best.mean_log_likelihood)
    # Issue #11: only converged, non-degenerate groups are called maxima.
    maxima = sum(g.converged and not g.degenerate for g in result.groups)
    assert f"{maxima} different maxima" in dock.status.text()
    assert f"tol = {result.tol:g}" in dock.status.text()
    assert not dock.running and dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_clicking_a_group_loads_its_start_and_use_best_gives_the_best(qtbot, window):
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 6)
    last = len(result.groups) - 1
    run = result.groups[last].representative
    rect = dock.table.visualItemRect(dock.table.item(last, 1))
    qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    session = window.session
    assert session.wait_idle()
    np.testing.assert_array_equal(session.stepper.start.means, run.start.means)
    np.testing.assert_array_equal(session.stepper.start.covariances, run.start.covariances)
    assert session.stepper.start_info.seed == run.seed
    assert session.snapshot.converged
    # Run to convergence in the window ends where the listed run ended.
    assert session.snapshot.mean_log_likelihood == pytest.approx(run.mean_log_likelihood, abs=1e-9)
    # Crosses on the main view mark where the run's means started (1-D: on the axis).
    assert dock.start_markers.parentItem() is window.view.plot.getViewBox().childGroup
    mx, my = dock.start_markers.getData()
    np.testing.assert_array_equal(mx, run.start.means[:, 0])
    np.testing.assert_array_equal(my, 0.0)

    qtbot.mouseClick(dock.best_button, Qt.MouseButton.LeftButton)
    assert session.wait_idle()
    best = result.best
    np.testing.assert_array_equal(session.stepper.start.means, best.start.means)
    assert session.snapshot.mean_log_likelihood == pytest.approx(best.mean_log_likelihood, abs=1e-9)
    assert session.snapshot.mean_log_likelihood >= max(r.mean_log_likelihood for r in result.runs)

    # The toolbar says the stopping rule the run shown used (issue #11), and Replay climbing
    # to convergence ends where it did.
    assert window.workspace.settings.tol == result.tol
    assert window.workspace.settings.max_iter == result.max_iter
    assert float(window.model_bar.tol_edit.text()) == result.tol
    assert window.model_bar.max_iter_spin.value() == result.max_iter
    shown_iterations = session.snapshot.iteration
    qtbot.mouseClick(dock.replay_button, Qt.MouseButton.LeftButton)
    session.pause()
    session.run_to_convergence()
    assert session.wait_idle()
    assert session.snapshot.iteration == shown_iterations
    assert session.snapshot.mean_log_likelihood == pytest.approx(best.mean_log_likelihood, abs=1e-9)

    # Replay goes back to the loaded start and plays.
    qtbot.mouseClick(dock.replay_button, Qt.MouseButton.LeftButton)
    assert session.playing and session.snapshot.phase == "start"
    session.pause()
    assert dock.start_markers is not None  # same start: the crosses stay
    markers = dock.start_markers
    window.new_start()  # another start: the crosses no longer apply
    assert dock.start_markers is None and markers.parentItem() is None


def test_cancel_stops_the_runs_and_keeps_those_finished(qtbot, window, monkeypatch):
    hold_after_first_progress(monkeypatch, restarts_dock, "run_restarts")
    dock = open_dock(window)
    dock.n_spin.setValue(500)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        qtbot.mouseClick(dock.run_button, Qt.MouseButton.LeftButton)
    assert dock.running and dock.cancel_button.isEnabled() and not dock.run_button.isEnabled()
    with qtbot.waitSignal(dock.result_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.cancel_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.cancelled
    assert 1 <= len(result.runs) < 500
    assert "Cancelled after" in dock.status.text()
    assert not dock.running and dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()
    assert sum(g.count for g in result.groups) == len(result.runs)


def test_new_data_clears_the_result(qtbot, window):
    dock = open_dock(window)
    run_dock(qtbot, dock, 3)
    assert window.open_sample("davis")
    assert dock.result is None and dock.table.rowCount() == 0
    assert not dock.best_button.isEnabled()


def test_closing_the_window_leaves_no_thread_running(qtbot, window, monkeypatch):
    hold_after_first_progress(monkeypatch, restarts_dock, "run_restarts")
    dock = open_dock(window)
    dock.n_spin.setValue(500)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        dock.run()
    thread = dock.thread
    assert thread is not None and thread.isRunning()
    window.close()
    assert not thread.isRunning()
    assert not dock.running


def test_every_control_has_a_tooltip(qtbot, window):
    dock = open_dock(window)
    for widget in (
        dock.n_spin,
        dock.kind_combo,
        dock.k_label,
        dock.seed_spin,
        dock.run_button,
        dock.cancel_button,
        dock.progress_bar,
        dock.table,
        dock.chart,
        dock.replay_button,
        dock.best_button,
    ):
        assert widget.toolTip(), widget.objectName()


def test_clicking_a_dot_of_the_chart_loads_that_run(qtbot, window):
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 6)
    ranked = result.ranked()
    rank = len(ranked) - 1  # the worst run: another start than the best's
    run = ranked[rank]
    vb = dock.chart.getPlotItem().vb
    scene = vb.mapViewToScene(QPointF(rank + 1, run.mean_log_likelihood))
    qtbot.mouseClick(
        dock.chart.viewport(), Qt.MouseButton.LeftButton, pos=dock.chart.mapFromScene(scene)
    )
    assert window.session.wait_idle()
    np.testing.assert_array_equal(window.session.stepper.start.means, run.start.means)
    selected = dock.table.selectionModel().selectedRows()
    assert [i.row() for i in selected] == [result.group_of(run.index)]


@pytest.mark.parametrize("second", ["davis", "faithful"])
def test_runs_of_data_replaced_while_they_run_are_never_shown(
    qtbot, shown_window, monkeypatch, second
):
    # iris (2-D) -> davis (1-D) and iris -> faithful (2-D): the cancelled iris runs come back
    # after the new data is open; they must be dropped, not listed, drawn or loaded.
    real = restarts_dock.run_restarts
    hold_after_first_progress(monkeypatch, restarts_dock, "run_restarts")
    w = shown_window("iris")
    dock = open_dock(w)
    dock.n_spin.setValue(500)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        dock.run()
    shown = []
    dock.result_changed.connect(shown.append)
    with work_returned(qtbot, dock):  # the iris runs, cut short
        assert w.open_sample(second)
    assert shown == [None]
    assert dock.result is None and dock.table.rowCount() == 0
    assert dock.status.text() == "Press Run to fit the data from many random starts."
    assert not dock.running and dock.run_button.isEnabled() and not dock.best_button.isEnabled()
    start = w.session.stepper.start
    dock.use_best()
    assert dock.start_markers is None and w.session.stepper.start is start
    # A run made for the new data is shown as usual.
    monkeypatch.setattr(restarts_dock, "run_restarts", real)
    result = run_dock(qtbot, dock, 3)
    assert dock.result is result
    assert result.n_samples == w.session.stepper.n_samples
    assert result.runs[0].start.n_features == w.session.stepper.n_features


def test_the_dock_takes_k_from_the_workspace_which_follows_the_toolbar(qtbot, window):
    dock = open_dock(window)
    window.k_spin.setValue(3)
    assert window.workspace.start_options.n_components == 3
    assert dock.k_label.text().startswith("3 ")
    window.seed_spin.setValue(9)
    assert window.workspace.start_options.seed == 9


def test_the_table_and_the_counts_fit_the_dock_at_its_default_size(qtbot, shown_window):
    window = shown_window("faithful")  # the restarts scene's runs: 20 starts, K = 3
    window.k_spin.setValue(3)
    dock = open_dock(window)
    result = run_dock(qtbot, dock, 20, seed=0)
    assert len(result.groups) >= 3
    QApplication.processEvents()
    window.grab()  # laid out and painted (the counts' transforms follow the chart)
    table, header = dock.table, dock.table.horizontalHeader()
    for column in range(table.columnCount()):
        width = table.columnWidth(column)
        name = table.horizontalHeaderItem(column).text()
        assert header.sectionSizeHint(column) <= width, name
        assert table.sizeHintForColumn(column) <= width, name
    assert header.length() <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    box = dock.chart.getViewBox().sceneBoundingRect()
    labels = dock._group_labels
    assert len(labels) == len(result.groups)
    for label in labels:
        assert box.contains(label.sceneBoundingRect()), (label.toPlainText(), box)
    dock.chart.resize(dock.chart.width() - 60, dock.chart.height())  # narrower: still inside
    window.grab()
    box = dock.chart.getViewBox().sceneBoundingRect()
    for label in labels:
        assert box.contains(label.sceneBoundingRect()), (label.toPlainText(), box)
