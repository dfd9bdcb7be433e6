"""Issue 13's window behaviour: tabbed docks, shortcuts after a dialog, pies, presentation."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget

from gmm_gui.ui.colors import component_colors
from gmm_gui.ui.help import show_text
from gmm_gui.ui.views.items import EllipseSetItem
from gmm_gui.ui.views.pies import PIE_MAX_POINTS, PIE_STEPS, PieMarkersItem, pie_counts

_REAL_EXEC = QDialog.exec  # before the autouse fixture refuses modal dialogs


@pytest.fixture
def window(shown_window):
    return shown_window("faithful")


def test_analysis_docks_are_tabbed_and_the_table_stays_readable(window):
    for name in ("restarts", "choose_k", "basins"):
        window.analysis_actions[name].trigger()
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible()]
    assert len(docks) == 3
    first = docks[0]
    assert set(window.tabifiedDockWidgets(first)) == set(docks[1:])  # one column, as tabs
    table = window.component_table
    QApplication.processEvents()
    fm = table.fontMetrics()
    for col in range(1, table.columnCount()):
        text = table.item(0, col).text()
        assert table.columnWidth(col) >= fm.horizontalAdvance(text), (col, text)
    assert table.width() >= table.readable_width()


def test_a_shortcut_acts_right_after_a_dialog_closes(window, qtbot, monkeypatch):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    def exec_and_close(dialog):
        QTimer.singleShot(30, dialog.reject)
        return _REAL_EXEC(dialog)

    monkeypatch.setattr(QDialog, "exec", exec_and_close)
    show_text(window, "Keys", "text")
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_E)
    assert window.session.snapshot.phase == "E"


def test_pie_portions_equal_the_responsibilities():
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=500)
    counts = pie_counts(resp)
    assert np.all(counts.sum(axis=1) == PIE_STEPS)
    assert np.all(np.abs(counts / PIE_STEPS - resp) < 1.0 / PIE_STEPS)
    item = PieMarkersItem()
    item.set_pies(rng.normal(size=(500, 2)), resp, component_colors(3))
    for i in (0, 17, 499):
        assert np.abs(item.portions(i) - resp[i]).max() < 1.0 / PIE_STEPS


def test_pies_with_more_mixes_than_the_cache_holds_are_drawn_once_each(qtbot, monkeypatch):
    """5,000 points of K = 4 have thousands of distinct mixes: a repaint draws none again
    (a pass over more mixes than an LRU cache holds used to miss on every one)."""
    import pyqtgraph as pg

    import gmm_gui.ui.views.pies as pies

    monkeypatch.setattr(pies, "_CACHE_SIZE", 64)  # far fewer than the mixes shown
    rng = np.random.default_rng(2)
    resp = rng.dirichlet(np.ones(4), size=PIE_MAX_POINTS)
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = PieMarkersItem()
    item.set_pies(rng.normal(size=(PIE_MAX_POINTS, 2)), resp, component_colors(4))
    widget.addItem(item)
    widget.resize(400, 300)
    widget.grab()
    assert len(item._unique) > 64
    drawn = []
    real_pixmap = pies.QPixmap

    def counting_pixmap(*args):
        drawn.append(args)
        return real_pixmap(*args)

    monkeypatch.setattr(pies, "QPixmap", counting_pixmap)  # a pie drawn anew makes one
    widget.grab()
    assert drawn == []


def test_a_drawn_pie_is_coloured_in_proportion():
    item = PieMarkersItem(radius=40.0)
    colors = component_colors(2)
    item.set_pies(np.zeros((1, 2)), np.array([[0.75, 0.25]]), colors)
    pix = item.pie_pixmap(pie_counts(np.array([[0.75, 0.25]]))[0])
    image = pix.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    rgb = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
    rgb = rgb[:, : image.width()] & 0xFFFFFF
    packed = [int(c[0]) << 16 | int(c[1]) << 8 | int(c[2]) for c in colors]
    first, second = (int(np.count_nonzero(rgb == c)) for c in packed)
    assert first > 0 and second > 0
    assert first / (first + second) == pytest.approx(0.75, abs=0.03)


def test_pies_follow_the_run_and_are_limited(window):
    pies = window.view_options.pies
    assert pies.action.isEnabled() and window.dataset.n_samples <= PIE_MAX_POINTS
    pies.action.setChecked(True)
    assert pies.item is None  # no E-step yet: the grey of "no responsibilities"
    window.actions_by_name["step_e"].trigger()
    assert window.session.wait_idle()
    item = pies.item
    resp = window.session.snapshot.resp
    assert item is not None and item.count == window.dataset.n_samples
    assert np.abs(item.portions(5) - resp[5]).max() < 1.0 / PIE_STEPS
    pies.action.setChecked(False)
    assert pies.item is None


def _pie_portions(item):
    return np.array([item.portions(i) for i in range(item.count)])


def test_pies_glide_with_the_colours_when_a_step_is_animated(window):
    pies, view = window.view_options.pies, window.view
    pies.action.setChecked(True)
    for name in ("step_e", "step_m"):
        window.actions_by_name[name].trigger()
        assert window.session.wait_idle()
    old = np.array(window.session.snapshot.resp)
    window.set_animation_ms(600_000)  # the test draws the frames itself
    window.actions_by_name["step_e"].trigger()
    assert window.session.wait_idle()
    new = np.array(window.session.snapshot.resp)
    assert view.is_animating()
    assert np.abs(new - old).max() > 4 / PIE_STEPS  # a change the pies can show
    view._on_frame(0.0)
    np.testing.assert_array_equal(_pie_portions(pies.item), pie_counts(old) / PIE_STEPS)
    view._on_frame(0.5)
    half = old + 0.5 * (new - old)
    assert np.abs(_pie_portions(pies.item) - half).max() < 1 / PIE_STEPS
    view.finish_animation()
    assert not view.is_animating()
    np.testing.assert_array_equal(_pie_portions(pies.item), pie_counts(new) / PIE_STEPS)


def test_a_glide_cut_short_leaves_the_pies_at_the_new_state(window):
    pies, view = window.view_options.pies, window.view
    pies.action.setChecked(True)
    for name in ("step_e", "step_m"):
        window.actions_by_name[name].trigger()
        assert window.session.wait_idle()
    window.set_animation_ms(600_000)
    window.actions_by_name["step_e"].trigger()
    assert window.session.wait_idle()
    view._on_frame(0.3)
    snap = window.session.snapshot
    view.set_snapshot(snap, animate=False)  # the same state again, without a glide
    pies.refresh()
    np.testing.assert_array_equal(_pie_portions(pies.item), pie_counts(snap.resp) / PIE_STEPS)


def test_pies_give_way_to_an_analysis_tools_colours(window):
    pies = window.view_options.pies
    pies.action.setChecked(True)
    window.actions_by_name["step_e"].trigger()
    assert window.session.wait_idle()
    assert pies.item is not None
    explore = window.analysis_tools["explore"]
    explore.uncertainty_action.setChecked(True)
    assert window.view.color_override() is not None
    assert pies.item is None  # the uncertainty colours are seen, not covered by pies
    window.actions_by_name["step_m"].trigger()
    assert window.session.wait_idle()
    assert pies.item is None and pies.action.isChecked()
    explore.uncertainty_action.setChecked(False)
    assert window.view.color_override() is None
    item = pies.item
    assert item is not None and item.count == window.dataset.n_samples
    resp = window.session.snapshot.resp
    assert np.abs(_pie_portions(item) - resp).max() < 1 / PIE_STEPS
    window.overlay.set_color_override(np.full(window.dataset.n_samples, 0xFF808080, np.uint32))
    assert pies.item is None
    window.overlay.set_color_override(None)
    assert pies.item is not None


def test_presentation_mode_enlarges_and_restores(window, qtbot):
    presentation = window.view_options.presentation
    view = window.view
    outlines = [i for i in view.scene().items() if isinstance(i, EllipseSetItem)]
    size = window.font().pointSizeF()
    radius = view.points_item.style.radius
    assert not window.model_bar.isHidden()
    assert not window.toolbar.widgetForAction(window.toolbar.actions()[-1]).isHidden()
    bar = window.toolbar
    k_action = next(a for a in bar.actions() if bar.widgetForAction(a) is window.k_spin)
    assert k_action.isVisible()
    title_size = window.plot_area.view_title.font().pointSizeF()
    splitter_sizes = window.splitter.sizes()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert presentation.active and window.font().pointSizeF() > 1.4 * size
    assert all(o.line_scale >= 2.0 for o in outlines)
    assert view.points_item.style.radius > radius
    assert window.model_bar.isHidden() and not k_action.isVisible()
    assert window.actions_by_name["step_e"].isVisible()  # the Run buttons stay
    # the title over the plot and the axis titles (each styled on its own) grow too; the
    # table of numbers makes way for the plot
    assert window.plot_area.view_title.font().pointSizeF() > 1.4 * title_size
    assert view.plot.getAxis("bottom").labelStyle["font-size"] == "11pt"  # kept as asked...
    assert "17.6pt" in view.plot.getAxis("bottom").label.toHtml()  # ...and drawn larger
    view.set_axis_labels(("a", "b"))  # axes named anew while the mode is on: large still
    assert "17.6pt" in view.plot.getAxis("left").label.toHtml()
    assert window.component_table.isHidden()
    plot_share = window.splitter.sizes()[0] / sum(window.splitter.sizes())
    assert plot_share > 0.6
    presentation.set_active(False)
    assert window.plot_area.view_title.font().pointSizeF() == title_size
    assert "11pt" in view.plot.getAxis("left").label.toHtml()
    assert not window.component_table.isHidden()
    assert window.splitter.sizes() == splitter_sizes
    assert window.font().pointSizeF() == size
    assert all(o.line_scale == 1.0 for o in outlines)
    assert view.points_item.style.radius == radius
    assert not window.model_bar.isHidden() and k_action.isVisible()
