"""Analyse > Map of where starts lead: the basin map of 1-D and 2-D data, in a dock."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from window_helpers import hold_after_first_progress, work_returned

from gmm_gui.model import Mixture, basin_map_1d
from gmm_gui.ui.analysis import basins_dock
from gmm_gui.ui.analysis.basins_dock import LEGEND_SOLUTIONS, BasinsDock, basin_colors


@pytest.fixture
def window(shown_window):
    return shown_window("davis")


def legend_rows(bmap) -> int:
    """Rows the legend should have: one per solution up to the palette, then one for the rest,
    then one for the degenerate cells if any (issue #11)."""
    n = sum(not sol.degenerate for sol in bmap.solutions)  # degenerate ones are not numbered
    degenerate = bool(np.any(np.asarray(bmap.degenerate, dtype=bool) & (bmap.solution_id >= 0)))
    return min(n, LEGEND_SOLUTIONS) + (n > LEGEND_SOLUTIONS) + degenerate


def open_dock(window) -> BasinsDock:
    action = next(a for a in window.analysis_menu.actions() if a.objectName() == "action_basins")
    action.trigger()
    dock = window.findChild(BasinsDock, "basins_dock")
    assert dock is not None and dock.isVisible()
    return dock


def compute(qtbot, dock, grid: int):
    dock.grid_spin.setValue(grid)
    with qtbot.waitSignal(dock.map_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.compute_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def click_map(qtbot, dock, x: float, y: float) -> None:
    vb = dock.map_plot.getPlotItem().vb
    scene = vb.mapViewToScene(QPointF(x, y))
    pos = dock.map_plot.mapFromScene(scene)
    qtbot.mouseClick(dock.map_plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_davis_map_matches_the_engine_and_a_click_starts_there(qtbot, window):
    dock = open_dock(window)
    stepper = window.session.stepper
    start = stepper.start
    bmap = compute(qtbot, dock, 12)
    X = stepper.X
    grid = np.linspace(X.min(), X.max(), 12)
    oracle = basin_map_1d(X, start, grid, grid)
    np.testing.assert_array_equal(bmap.solution_id, oracle.solution_id)
    np.testing.assert_allclose(bmap.row_values, grid)
    assert len(bmap.solutions) >= 2  # the outlier at 57 cm makes a second maximum
    assert dock.legend.rowCount() == legend_rows(bmap)
    proper = [sol for sol in bmap.solutions if not sol.degenerate]
    for row, solution in enumerate(proper[:LEGEND_SOLUTIONS]):
        assert dock.legend.item(row, 2).text() == str(solution.count)
        assert float(dock.legend.item(row, 1).text()) == pytest.approx(
            solution.mean_log_likelihood, abs=1e-4
        )
    assert "start mean 1" in dock.map_plot.getPlotItem().getAxis("bottom").labelText
    assert "start mean 2" in dock.map_plot.getPlotItem().getAxis("left").labelText
    # The image holds one colour per solution, the same for cells of the same solution and ll.
    image = dock.image.image
    assert image.shape[:2] == (12, 12)
    np.testing.assert_array_equal(image, basin_colors(bmap))
    # The cross marks the current start.
    mx, my = dock.start_marker.getData()
    assert (mx[0], my[0]) == (start.means[0, 0], start.means[1, 0])

    row, col = 2, 9
    click_map(qtbot, dock, *dock.cell_center(row, col))
    new = window.session.stepper.start
    np.testing.assert_allclose(new.means[:, 0], [grid[row], grid[col]])
    np.testing.assert_array_equal(new.covariances, start.covariances)
    assert window.session.playing
    window.session.pause()
    mx, my = dock.start_marker.getData()
    assert (mx[0], my[0]) == pytest.approx((grid[row], grid[col]))


def test_one_d_with_k_other_than_two_is_explained(qtbot, window):
    window.k_spin.setValue(3)
    window.new_start()
    dock = open_dock(window)
    assert "exactly two" in dock.explain.text()
    assert not dock.compute_button.isEnabled()
    dock.compute()  # asked anyway: said in words, nothing runs
    assert "exactly two" in dock.status.text() and not dock.running
    window.k_spin.setValue(2)
    window.new_start()
    assert dock.compute_button.isEnabled()


def test_cancel_keeps_the_cells_done(qtbot, window, monkeypatch):
    hold_after_first_progress(monkeypatch, basins_dock, "basin_map_1d")
    dock = open_dock(window)
    dock.grid_spin.setValue(200)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        dock.compute()
    assert dock.cancel_button.isEnabled() and not dock.compute_button.isEnabled()
    with qtbot.waitSignal(dock.map_changed, timeout=60_000) as blocker:
        qtbot.mouseClick(dock.cancel_button, Qt.MouseButton.LeftButton)
    bmap = blocker.args[0]
    assert bmap.cancelled and bmap.n_done < 200 * 200
    assert dock.legend.item(dock.legend.rowCount() - 1, 0).text() == "not computed"
    assert "Cancelled" in dock.status.text()
    assert dock.compute_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_two_d_overlay_appears_on_the_view_and_clear_removes_it(qtbot, window):
    assert window.open_sample("faithful")
    dock = open_dock(window)
    assert dock.component_combo.count() == 2 and dock.component_combo.isVisible()
    dock.component_combo.setCurrentIndex(1)
    (x0, x1), (y0, y1) = window.view.plot.getViewBox().viewRange()
    bmap = compute(qtbot, dock, 12)
    assert bmap.components == (1,)
    np.testing.assert_allclose(bmap.col_values, np.linspace(x0, x1, 12))
    np.testing.assert_allclose(bmap.row_values, np.linspace(y0, y1, 12))
    assert dock.legend.rowCount() == legend_rows(bmap)
    vb = window.view.plot.getViewBox()
    assert dock.overlay is not None and dock.overlay.parentItem() is vb.childGroup
    assert dock.overlay.zValue() < 0 and dock.overlay.opacity() < 1
    rect = dock.overlay.mapRectToParent(dock.overlay.boundingRect())
    assert rect.left() < x0 and rect.right() > x1
    # The overlay's pixel under each cell's data position has that cell's colour.
    colors = basin_colors(bmap)
    assert not np.array_equal(colors, colors.transpose(1, 0, 2))  # orientation matters
    for row, col in np.ndindex(*bmap.shape):
        x, y = dock.cell_center(row, col)
        for item in (dock.overlay, dock.image):
            pixel = item.mapFromParent(QPointF(x, y))
            np.testing.assert_array_equal(
                item.image[int(pixel.x()), int(pixel.y())], colors[row, col]
            )
    # A cell of the dock's map moves mean 2's start there, the other mean stays.
    before = window.session.stepper.start.means.copy()
    click_map(qtbot, dock, *dock.cell_center(3, 7))
    after = window.session.stepper.start.means
    np.testing.assert_allclose(after[1], [bmap.col_values[7], bmap.row_values[3]])
    np.testing.assert_array_equal(after[0], before[0])
    window.session.pause()

    overlay = dock.overlay
    qtbot.mouseClick(dock.clear_button, Qt.MouseButton.LeftButton)
    assert dock.overlay is None and overlay.parentItem() is None
    assert not dock.clear_button.isEnabled()


def test_new_data_removes_the_overlay(qtbot, window):
    assert window.open_sample("faithful")
    dock = open_dock(window)
    compute(qtbot, dock, 8)
    vb = window.view.plot.getViewBox()
    overlay = dock.overlay
    assert overlay.parentItem() is vb.childGroup
    assert window.open_sample("iris")
    assert dock.overlay is None and overlay.parentItem() is None and dock.bmap is None


def test_closing_the_window_leaves_no_thread_running(qtbot, window, monkeypatch):
    hold_after_first_progress(monkeypatch, basins_dock, "basin_map_1d")
    dock = open_dock(window)
    dock.grid_spin.setValue(200)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        dock.compute()
    thread = dock.thread
    assert thread is not None and thread.isRunning()
    window.close()
    assert not thread.isRunning() and not dock.running


def test_every_control_has_a_tooltip(qtbot, window):
    dock = open_dock(window)
    for widget in (
        dock.explain,
        dock.grid_spin,
        dock.component_combo,
        dock.compute_button,
        dock.cancel_button,
        dock.progress_bar,
        dock.map_plot,
        dock.legend,
        dock.clear_button,
        dock.status,
    ):
        assert widget.toolTip(), widget.objectName()


def test_the_map_says_when_the_start_has_changed(qtbot, window):
    window.seed_spin.setValue(4)
    window.new_start()  # a k-means++ start: the next one differs only in its means
    dock = open_dock(window)
    compute(qtbot, dock, 6)
    assert not dock.stale_label.isVisible()
    dock.start_from_cell(1, 4)  # only the mapped means move: the map still applies
    window.session.pause()
    assert not dock.stale_label.isVisible()
    window.seed_spin.setValue(5)
    window.new_start()  # new means, same weights and spreads: the map still applies
    assert not dock.stale_label.isVisible()
    start = window.session.stepper.start
    wider = Mixture(start.weights, start.means, start.covariances * 4.0, start.covariance_type)
    window.session.set_start(wider)
    assert dock.is_stale() and dock.stale_label.isVisible()


def test_an_iris_map_counts_every_cell_once(qtbot, window):
    assert window.open_sample("iris")
    dock = open_dock(window)
    bmap = compute(qtbot, dock, 20)
    assert any(sol.degenerate for sol in bmap.solutions)  # iris, K=3: some starts collapse
    assert dock.legend.rowCount() == legend_rows(bmap)
    cells = sum(int(dock.legend.item(r, 2).text()) for r in range(dock.legend.rowCount()))
    assert cells == bmap.n_done == 400  # every cell counted once, degenerate ones included


def test_many_solutions_list_the_rare_ones_in_one_row_and_collapses_in_another(qapp):
    """Twelve maxima and two collapses: nine numbered rows, one for the rare maxima, one for
    the collapses (not numbered, issue #11); each cell is counted once."""
    from gmm_gui.model.basins import BasinMap, BasinSolution
    from gmm_gui.ui.analysis.basins_legend import legend_rows as rows_of
    from gmm_gui.ui.analysis.basins_legend import map_summary, solution_numbers

    start = Mixture([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    degenerate_ids = {1, 6}
    solutions = tuple(
        BasinSolution(start, -1.0 - 0.1 * i, 10, degenerate=i in degenerate_ids)
        for i in range(14)
    )
    ids = np.repeat(np.arange(14), 10).reshape(10, 14)
    bmap = BasinMap(
        start, (0, 1), np.arange(10.0), np.arange(14.0), -1.0 - 0.1 * ids, ids,
        np.ones(ids.shape, dtype=int), np.ones(ids.shape, dtype=bool), solutions,
        degenerate=np.isin(ids, list(degenerate_ids)),
    )
    numbers = solution_numbers(bmap)
    assert numbers[:3] == [1, None, 2] and numbers[6] is None and numbers[-1] == 12
    rows = rows_of(bmap, ["x"])
    names = [r[1] for r in rows]
    assert names[0] == "1  best" and names[1] == "2"
    assert names[LEGEND_SOLUTIONS] == f"{LEGEND_SOLUTIONS + 1}–12"
    assert names[-1] == "degenerate (collapsed)" and rows[-1][3] == "20"
    assert len(rows) == LEGEND_SOLUTIONS + 2
    assert sum(int(r[3]) for r in rows) == 140
    summary = map_summary(bmap)
    assert summary.startswith("12 solutions; the best is reached from 10 of 140 starts.")
    assert "20 of 140 starts collapsed" in summary


@pytest.mark.parametrize("second", ["davis", "faithful"])
def test_a_map_of_data_replaced_while_it_is_made_is_never_shown(
    qtbot, shown_window, monkeypatch, second
):
    # iris (2-D) -> davis (1-D) and iris -> faithful (2-D): the cancelled iris map comes back
    # after the new data is open; it must be dropped, not drawn in the dock or over the view.
    real = basins_dock.basin_map_2d
    hold_after_first_progress(monkeypatch, basins_dock, "basin_map_2d")
    w = shown_window("iris")
    dock = open_dock(w)
    dock.grid_spin.setValue(200)
    with qtbot.waitSignal(dock.work_progress, timeout=60_000):
        dock.compute()
    shown = []
    dock.map_changed.connect(shown.append)
    with work_returned(qtbot, dock):  # the iris map, cut short
        assert w.open_sample(second)
    assert shown == [None]
    assert dock.bmap is None and dock.overlay is None and dock.legend.rowCount() == 0
    assert dock.status.text() == ""
    assert not dock.running and not dock.cancel_button.isEnabled()
    if second == "faithful":
        # A map made for the new data is shown as usual.
        monkeypatch.setattr(basins_dock, "basin_map_2d", real)
        bmap = compute(qtbot, dock, 6)
        assert dock.bmap is bmap and dock.overlay is not None
        np.testing.assert_array_equal(bmap.start.means, w.session.stepper.start.means)


def test_degenerate_cells_are_hatched_with_a_legend_row(qtbot, window):
    from gmm_gui.ui.analysis.basins_legend import DEGENERATE, basin_colors

    dock = open_dock(window)
    bmap = compute(qtbot, dock, 12)
    degenerate = np.asarray(bmap.degenerate, dtype=bool) & (bmap.solution_id >= 0)
    assert degenerate.any()  # Davis: a start near the 57 cm outlier collapses onto it
    rgba = basin_colors(bmap)
    rows, cols = np.indices(degenerate.shape)
    dark = (rows + cols) % 2 == 0
    assert np.all(rgba[degenerate & dark] == DEGENERATE)
    assert np.all(rgba[degenerate & ~dark] == 255)
    assert not np.any(np.all(rgba[~degenerate] == DEGENERATE, axis=-1))
    names = [dock.legend.item(r, 0).text() for r in range(dock.legend.rowCount())]
    row = names.index("degenerate (collapsed)")
    assert dock.legend.item(row, 2).text() == f"{int(degenerate.sum())}"
    # a collapse is not a numbered solution, and no cell is counted twice (issue #11)
    proper = [sol for sol in bmap.solutions if not sol.degenerate]
    numbered = [n for n in names if n.split()[0][0].isdigit()]
    assert len(numbered) == min(len(proper), LEGEND_SOLUTIONS) + (len(proper) > LEGEND_SOLUTIONS)
    cells = sum(int(dock.legend.item(r, 2).text()) for r in range(dock.legend.rowCount()))
    assert cells == bmap.n_done == 144
    summary = dock.status.text()
    what = "1 solution;" if len(proper) == 1 else f"{len(proper)} solutions;"
    assert what in summary or "Every start" in summary
    assert f"{int(degenerate.sum())} of 144 starts collapsed" in summary
    assert "best is reached from" not in summary or f"from {proper[0].count} of" in summary
