"""The panels around the plot, each on its own."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import Mixture
from gmm_gui.ui.colors import qcolor
from gmm_gui.ui.dialogs import ColumnPickerDialog
from gmm_gui.ui.panels import ComponentTable, LogLikelihoodPanel, StatusPanel, Timeline
from gmm_gui.ui.panels.loglik import decreases


def mixture_2d() -> Mixture:
    cov2 = np.array([[4.0, -1.2], [-1.2, 1.0]])
    return Mixture([0.3, 0.7], [[1.0, 2.0], [5.0, -1.0]], [np.eye(2), cov2])


def test_decreases_are_found_beyond_round_off():
    v = np.array([-5.0, -4.0, -4.0 - 1e-13, -4.5, -3.0, -3.2])
    np.testing.assert_array_equal(decreases(v), [3, 5])
    assert decreases(np.array([-1.0])).size == 0


def test_loglik_panel_marks_current_convergence_and_decreases(qtbot):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 250)
    panel.show()
    qtbot.waitExposed(panel)
    values = np.array([-3.0, -2.0, -1.5, -1.6, -1.4])
    panel.set_values(values, current_iteration=2, converged_at=4)
    np.testing.assert_array_equal(panel.flagged, [3])
    assert panel.current_iteration == 2 and panel.converged_visible
    panel.set_values(values[:3], current_iteration=1)
    assert panel.flagged.size == 0 and not panel.converged_visible


def test_clicking_the_loglik_panel_goes_to_that_iteration(qtbot):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 250)
    panel.show()
    qtbot.waitExposed(panel)
    values = np.array([-3.0, -2.0, -1.5, -1.4, -1.35])
    panel.set_values(values, current_iteration=4)
    for t in (1, 3):
        with qtbot.waitSignal(panel.iteration_clicked) as blocker:
            qtbot.mouseClick(
                panel.viewport(),
                Qt.MouseButton.LeftButton,
                pos=panel.data_to_viewport(t, values[t]),
            )
        assert blocker.args == [t]


def test_component_table_shows_and_edits(qtbot):
    table = ComponentTable()
    qtbot.addWidget(table)
    table.set_columns(["eruptions", "waiting"])
    assert table.fields == ["weight", "mean0", "mean1", "sd0", "sd1", "corr"]
    mixture = mixture_2d()
    table.set_mixture(mixture, editable=True)
    assert table.rowCount() == 2
    assert table.value(1, "sd0") == pytest.approx(2.0)
    assert table.value(1, "corr") == pytest.approx(-0.6)
    assert table.value(0, "weight") == pytest.approx(0.3)
    row, col = table.cell_of(1, "mean1")
    assert float(table.item(row, col).text()) == pytest.approx(-1.0)
    assert table.item(1, 0).background().color().rgb() == qcolor(1, 35).rgb()
    assert table.item(1, 0).data(Qt.ItemDataRole.DecorationRole) == qcolor(1)
    with qtbot.waitSignal(table.value_edited) as blocker:
        table.item(row, col).setText("2.5")
    assert blocker.args == [1, "mean1", 2.5]
    with qtbot.waitSignal(table.invalid_value):
        table.item(row, col).setText("abc")
    assert float(table.item(row, col).text()) == pytest.approx(-1.0)
    table.set_mixture(mixture, editable=False)
    assert not table.item(row, col).flags() & Qt.ItemFlag.ItemIsEditable


def test_component_table_shows_the_mixture_again_after_a_typed_value(qtbot):
    # A value the controller refuses leaves the mixture as it was: set_mixture with the same
    # mixture must put its number back in the cell, not keep what was typed.
    table = ComponentTable()
    qtbot.addWidget(table)
    table.set_columns(["eruptions", "waiting"])
    mixture = mixture_2d()
    table.set_mixture(mixture, editable=True)
    row, col = table.cell_of(0, "weight")
    with qtbot.waitSignal(table.value_edited):
        table.item(row, col).setText("1.5")
    table.set_mixture(mixture, editable=True)
    assert float(table.item(row, col).text()) == pytest.approx(0.3)


def test_component_table_in_one_dimension(qtbot):
    table = ComponentTable()
    qtbot.addWidget(table)
    table.set_columns(["height"])
    assert table.fields == ["weight", "mean0", "sd0"]
    m = Mixture([0.5, 0.5], [[160.0], [178.0]], [[[36.0]], [[49.0]]])
    table.set_mixture(m, editable=True)
    assert table.value(1, "sd0") == pytest.approx(7.0)
    table.set_mixture(None, editable=True)
    assert table.rowCount() == 0


def test_timeline_reports_only_user_moves(qtbot):
    timeline = Timeline()
    qtbot.addWidget(timeline)
    moves = []
    timeline.index_requested.connect(moves.append)
    timeline.set_position(3, 7, "iteration 2: E-step")
    assert moves == [] and timeline.index == 3 and timeline.count == 7
    assert "4 of 7" in timeline.caption.text()
    timeline.slider.setValue(5)
    assert moves == [5]


def test_status_panel_says_where_em_is(qtbot):
    status = StatusPanel()
    qtbot.addWidget(status)
    X = np.zeros((3, 2))
    snap = Snapshot(
        X=X,
        mixture=mixture_2d(),
        phase="M",
        iteration=4,
        mean_log_likelihood=-2.5,
        history=(-3.0, -2.7, -2.6, -2.5),
        converged=True,
        warnings=("component 2 has collapsed onto a single point.",),
        editable=False,
    )
    status.set_snapshot(snap, previous_ll=-2.6)
    assert "Iteration 4" in status.step_label.text() and "M-step" in status.step_label.text()
    assert "-2.50000" in status.ll_label.text() and "(change +0.100)" in status.ll_label.text()
    assert "converged" in status.converged_label.text()
    assert "collapsed" in status.warning_label.text()
    start = Snapshot(X=X, mixture=None)
    status.set_snapshot(start, None)
    assert "click on the plot" in status.step_label.text()
    assert status.warning_label.text() == ""


def test_column_picker_needs_one_or_two_columns(qtbot):
    dialog = ColumnPickerDialog(["a", "b", "c", "d"], "iris.csv")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.selected_columns() == ["a", "b"] and ok.isEnabled()
    dialog.set_selected(["a", "c", "d"])
    assert not ok.isEnabled()
    dialog.set_selected([])
    assert not ok.isEnabled()
    dialog.set_selected(["d"])
    assert ok.isEnabled() and dialog.selected_columns() == ["d"]


def test_status_labels_keep_their_place_from_one_half_step_to_the_next(qtbot):
    """E- and M-step texts differ in length; the labels must not move (a relayout per frame)."""
    status = StatusPanel()
    qtbot.addWidget(status)
    status.resize(1200, 24)
    status.show()
    qtbot.waitExposed(status)
    X = np.zeros((3, 2))
    m = mixture_2d()
    geometries = []
    for snap, previous in (
        (Snapshot(X=X, mixture=m, phase="E", iteration=0, mean_log_likelihood=-2.5), None),
        (Snapshot(X=X, mixture=m, phase="M", iteration=1, mean_log_likelihood=-12.25), -2.5),
        (
            Snapshot(X=X, mixture=m, phase="E", iteration=1, mean_log_likelihood=-12.25,
                     converged=True),
            -12.25,
        ),
    ):
        status.set_snapshot(snap, previous)
        status.layout().activate()
        geometries.append(
            [w.geometry() for w in (status.step_label, status.ll_label, status.converged_label)]
        )
    assert geometries[0] == geometries[1] == geometries[2]


@pytest.mark.parametrize("width", [1000, 1280])
def test_status_labels_never_overlap_and_fit_in_a_wide_window(qtbot, width):
    status = StatusPanel()
    qtbot.addWidget(status)
    status.set_data_text("faithful.csv: 272 points")
    status.resize(width, 24)
    status.show()
    qtbot.waitExposed(status)
    assert status.width() == width  # not held wider by the labels' minimum widths
    X = np.zeros((3, 2))
    for phase in ("E", "M"):
        snap = Snapshot(X=X, mixture=mixture_2d(), phase=phase, iteration=99,
                        mean_log_likelihood=-12.3456)
        status.set_snapshot(snap, -12.5)
        status.layout().activate()
        labels = [status.step_label, status.ll_label, status.converged_label, status.data_label]
        for left, right in zip(labels[:-1], labels[1:], strict=True):
            assert left.geometry().right() < right.geometry().left(), (phase, left.objectName())
        if width >= 1280:  # the whole sentence is seen
            assert status.step_label.width() >= status.step_label.sizeHint().width()
