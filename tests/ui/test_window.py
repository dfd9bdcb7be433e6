"""The main window used as a person would: clicks, drags, keys, menus, files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThread, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

import gmm_gui.controller.halfsteps as halfsteps_module
from gmm_gui.controller.workspace import Workspace
from gmm_gui.io import load_dataset
from gmm_gui.model import e_step, m_step
from gmm_gui.resources import get_sample
from gmm_gui.ui.colors import NEUTRAL, blend, component_colors
from gmm_gui.ui.dialogs import ColumnPickerDialog
from gmm_gui.ui.main_window import MainWindow
from gmm_gui.ui.views import PlotView1D, PlotView2D

# The offscreen platform plugin says this whenever a main window lays itself out; not our bug.


@pytest.fixture
def window(shown_window):
    return shown_window("faithful")


@pytest.fixture
def no_message_boxes(monkeypatch):
    shown = []

    def fake(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(fake))
    # The window's own boxes are plain-text QMessageBox instances (gmm_gui.ui.dialogs.messages).
    monkeypatch.setattr(QMessageBox, "exec", lambda box: fake(None, box.windowTitle(), box.text()))
    return shown


def send_mouse(widget, kind, pos: QPoint, button, buttons) -> None:
    local = QPointF(pos)
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def drag(qtbot, view, start, end, steps: int = 6) -> None:
    """Press at data point ``start``, move in ``steps`` to ``end``, release (left button)."""
    vp = view.viewport()
    left = Qt.MouseButton.LeftButton
    a = view.data_to_viewport(start)
    b = view.data_to_viewport(end)
    send_mouse(vp, QMouseEvent.Type.MouseButtonPress, a, left, left)
    for i in range(1, steps + 1):
        p = QPoint(
            round(a.x() + (b.x() - a.x()) * i / steps), round(a.y() + (b.y() - a.y()) * i / steps)
        )
        send_mouse(vp, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left)
        qtbot.wait(1)
    send_mouse(vp, QMouseEvent.Type.MouseButtonRelease, b, left, Qt.MouseButton.NoButton)


def pixel_size(view) -> np.ndarray:
    """Data units per viewport pixel along x and y."""
    p0 = view.data_to_viewport([0.0, 0.0])
    p1 = view.data_to_viewport([1.0, 10.0])
    return np.abs([1.0 / (p1.x() - p0.x()), 10.0 / (p1.y() - p0.y())])


def test_default_layout_and_tooltips(window):
    assert isinstance(window.view, PlotView2D)
    assert window.session.stepper.start.n_components == 2
    assert window.dataset.columns == ("eruptions", "waiting")
    for action in window.actions_by_name.values():
        assert action.toolTip()
    for widget in (
        window.k_spin,
        window.seed_spin,
        window.method_combo,
        window.new_start_button,
        window.replay_button,
        window.speed_slider,
        window.timeline.slider,
        window.loglik_panel,
        window.component_table,
        window.hint,
    ):
        assert widget.toolTip(), widget.objectName()
    assert "click empty space" in window.hint.text()
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "Run", "View", "Analyse", "Scenes", "Help"]  # issue #13
    samples = [a.text() for a in window.samples_menu.actions()]
    assert "Old Faithful eruptions" in samples and len(samples) == 5


def test_k_box_follows_the_gaussians_on_screen(window, qtbot):
    assert window.k_spin.value() == window.session.stepper.start.n_components == 2
    view = window.view
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.data_to_viewport([5.0, 50.0])
    )
    assert window.session.stepper.start.n_components == 3
    assert window.k_spin.value() == 3  # the next random start and the Analyse tools use 3
    window.actions_by_name["undo"].trigger()
    assert window.k_spin.value() == 2


def test_k_box_follows_more_gaussians_than_there_are_colours(window, qtbot):
    session = window.session
    X = session.stepper.X
    for i in range(26):  # 28 Gaussians, clicked in one by one
        session.add_component(X[(7 * i) % len(X)])
    assert session.stepper.start.n_components == 28 == window.component_table.rowCount()
    assert window.k_spin.value() == 28
    window.new_start_button.click()  # 'New start' draws the K the user sees
    assert session.stepper.start.n_components == 28
    for _ in range(27):  # the new start, then the 26 clicks
        window.actions_by_name["undo"].trigger()
    assert window.k_spin.value() == 2
    window.k_spin.setValue(15)  # typed: at most one Gaussian per colour
    assert window.k_spin.value() == 10


def test_click_to_add_two_gaussians_drag_one_then_step(window, qtbot):
    session = window.session
    session.set_start(None)
    view = window.view
    X = session.stepper.X
    tol = 2.5 * pixel_size(view)
    for point in ([2.0, 55.0], [4.4, 80.0]):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.data_to_viewport(point)
        )
    start = session.stepper.start
    assert start.n_components == 2
    np.testing.assert_allclose(start.means, [[2.0, 55.0], [4.4, 80.0]], atol=tol.max() * 10)
    assert np.all(np.abs(start.means - [[2.0, 55.0], [4.4, 80.0]]) <= tol)
    assert window.component_table.rowCount() == 2

    previews = []
    session.preview_changed.connect(previews.append)
    mean0 = start.means[0].copy()
    drag(qtbot, view, mean0, [2.5, 60.0])
    moved = session.stepper.start
    assert previews, "the E-step must follow the drag"
    assert previews[-1].resp is not None
    assert np.all(np.abs(moved.means[0] - [2.5, 60.0]) <= 4 * tol)  # within ~10 pixels
    np.testing.assert_allclose(moved.means[1], start.means[1])
    assert session.stepper.undo_text == "move Gaussian 1"

    before = view.point_colors().copy()
    assert np.all(before == np.array(NEUTRAL, dtype=np.uint8))
    window.actions_by_name["step_e"].trigger()
    snap = session.snapshot
    resp, _ = e_step(X, moved)
    assert snap.phase == "E"
    np.testing.assert_allclose(snap.resp, resp)
    expected_colors = blend(resp, component_colors(2))
    np.testing.assert_array_equal(view.point_colors(), expected_colors)
    window.actions_by_name["step_m"].trigger()
    snap = session.snapshot
    expected = m_step(X, resp, "full", session.stepper.reg_covar)
    assert snap.phase == "M"
    np.testing.assert_allclose(snap.mixture.means, expected.means)
    np.testing.assert_allclose(snap.mixture.covariances, expected.covariances)
    np.testing.assert_allclose(view.shown_params().means, expected.means)
    window.actions_by_name["step_e"].trigger()
    np.testing.assert_array_equal(
        view.point_colors(), blend(e_step(X, expected)[0], component_colors(2))
    )


def test_undo_restores_a_moved_mean(window, qtbot):
    session = window.session
    view = window.view
    original = session.stepper.start.means.copy()
    drag(qtbot, view, original[1], original[1] + [-0.5, -5.0])
    assert not np.allclose(session.stepper.start.means[1], original[1])
    window.actions_by_name["undo"].trigger()
    np.testing.assert_array_equal(session.stepper.start.means, original)
    np.testing.assert_array_equal(view.shown_params().means, original)
    window.actions_by_name["redo"].trigger()
    assert not np.allclose(session.stepper.start.means[1], original[1])


def test_table_edit_moves_that_gaussian_before_a_run(window):
    table = window.component_table
    row, col = table.cell_of(0, "mean1")
    table.item(row, col).setText("66")
    assert window.session.stepper.start.means[0, 1] == 66.0
    window.actions_by_name["run"].trigger()
    row, col = table.cell_of(0, "mean1")
    assert not table.item(row, col).flags() & Qt.ItemFlag.ItemIsEditable


def test_a_refused_table_value_is_replaced_by_the_model_value(window):
    table = window.component_table
    start = window.session.stepper.start
    for field, text in [("weight", "1.5"), ("sd0", "-2"), ("corr", "1")]:
        row, col = table.cell_of(0, field)
        before = table.item(row, col).text()
        table.item(row, col).setText(text)
        assert window.message_label.text()  # says why
        assert window.session.stepper.start is start
        assert table.item(row, col).text() == before


def test_delete_removes_the_selected_gaussian(window):
    window.component_table.selectRow(1)
    window.actions_by_name["delete"].trigger()
    assert window.session.stepper.start.n_components == 1
    window.actions_by_name["undo"].trigger()
    assert window.session.stepper.start.n_components == 2


def test_history_navigation_does_not_recompute(window, qtbot, monkeypatch):
    session = window.session
    window.actions_by_name["run"].trigger()
    stepper = session.stepper
    n = len(stepper.history)
    assert stepper.snapshot.converged and n > 4

    def forbidden(*args, **kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr(halfsteps_module, "e_step", forbidden)
    monkeypatch.setattr(halfsteps_module, "m_step", forbidden)
    window.timeline.slider.setValue(2)
    assert session.snapshot is stepper.history[2]
    assert window.view.snapshot() is stepper.history[2]
    panel = window.loglik_panel
    with qtbot.waitSignal(panel.iteration_clicked):
        qtbot.mouseClick(
            panel.viewport(),
            Qt.MouseButton.LeftButton,
            pos=panel.data_to_viewport(1, panel.values[1]),
        )
    assert session.snapshot is stepper.history[stepper.index_of_iteration(1)]
    assert panel.current_iteration == 1
    window.actions_by_name["next_iteration"].trigger()
    assert session.snapshot.iteration == 2 and len(stepper.history) == n
    assert window.timeline.index == stepper.index


def test_keyboard_shortcuts_trigger_the_actions(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    session = window.session
    qtbot.keyClick(window, Qt.Key.Key_E)
    assert session.snapshot.phase == "E"
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert session.snapshot.phase == "M" and session.snapshot.iteration == 1
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert session.snapshot.iteration == 2
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert session.snapshot.phase == "start"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert session.playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not session.playing
    session.reset()
    before = session.stepper.start
    window.seed_spin.setValue(5)
    window.new_start_button.click()
    assert session.stepper.start != before
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.stepper.start == before
    qtbot.keyClick(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert session.stepper.start != before
    assert window.shortcut_of("open") == "Ctrl+O"
    assert window.shortcut_of("export_parameters") == "Ctrl+S"
    assert window.shortcut_of("quit") == "Ctrl+Q"


def test_play_then_pause_stops_the_timer(window, qtbot):
    play = window.actions_by_name["play"]
    window.speed_slider.setValue(40)
    play.trigger()
    assert window.session.timer.isActive() and play.isChecked()
    qtbot.waitUntil(lambda: len(window.session.stepper.history) >= 3)
    play.trigger()
    assert not window.session.timer.isActive() and not play.isChecked()


def test_replay_this_start_plays_the_same_start_again(window, qtbot):
    session = window.session
    window.actions_by_name["run"].trigger()
    final = session.snapshot.mixture
    window.speed_slider.setValue(40)
    window.replay_button.click()
    assert session.playing and len(session.stepper.history) == 1
    qtbot.waitUntil(lambda: not session.playing, timeout=20_000)
    assert session.snapshot.mixture == final


def test_export_then_import_gives_the_same_parameters(window, tmp_path):
    session = window.session
    for _ in range(3):
        window.actions_by_name["next_iteration"].trigger()
    exported = session.snapshot.mixture
    path = tmp_path / "params.json"
    assert window.export_parameters(path)
    document = json.loads(path.read_text())
    assert document["columns"] == ["eruptions", "waiting"]
    assert document["fit"]["n_iter"] == 3
    session.reset()
    window.seed_spin.setValue(11)
    window.method_combo.setCurrentIndex(window.method_combo.findData("random"))
    window.new_start()
    assert session.stepper.start != exported
    assert window.import_parameters(path)
    assert session.stepper.start == exported
    assert session.stepper.start_info.method == "imported"
    assert window.message_label.text() == ""
    document["columns"] = ["duration", "gap"]
    path.write_text(json.dumps(document))
    assert window.import_parameters(path)
    assert "duration, gap" in window.message_label.text()


def test_import_parameters_by_the_menu(window, tmp_path, monkeypatch, no_message_boxes):
    from PySide6.QtWidgets import QFileDialog

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    before = window.session.stepper.start
    window.actions_by_name["import_parameters"].trigger()
    assert no_message_boxes and "bad.json" in no_message_boxes[0][1]
    assert window.session.stepper.start == before


def test_export_responsibilities_and_plot(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.actions_by_name["step_e"].trigger()
    out = tmp_path / "resp.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.actions_by_name["export_responsibilities"].trigger()
    lines = out.read_text().splitlines()
    assert lines[0] == "index,component_1,component_2,label"
    assert len(lines) == 1 + window.dataset.n_samples
    first = [float(v) for v in lines[1].split(",")[1:3]]
    np.testing.assert_allclose(first, window.session.snapshot.resp[0])
    for suffix in (".png", ".svg"):
        picture = tmp_path / f"plot{suffix}"
        assert window.export_plot(picture)
        assert picture.stat().st_size > 1000


def test_bad_file_shows_a_message_and_keeps_the_old_data(window, tmp_path, no_message_boxes):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02 binary junk \xff\xfe")
    old_dataset = window.dataset
    old_snapshot = window.session.snapshot
    assert not window.open_file(bad)
    assert len(no_message_boxes) == 1
    title, text = no_message_boxes[0]
    assert "broken.csv" in text
    assert window.dataset is old_dataset
    assert window.session.snapshot is old_snapshot
    assert window.view.snapshot() is old_snapshot
    assert not window.open_file(tmp_path / "missing.csv")
    assert "missing.csv" in no_message_boxes[-1][1]
    assert window.dataset is old_dataset


def test_file_open_dialog_and_recent_files(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    data = tmp_path / "two.csv"
    rng = np.random.default_rng(3)
    rows = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(6, 1, (40, 2))])
    data.write_text("a,b\n" + "\n".join(f"{x},{y}" for x, y in rows) + "\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(data), ""))
    window.actions_by_name["open"].trigger()
    assert window.dataset.columns == ("a", "b") and window.dataset.n_samples == 80
    assert window.recent_files()[0] == str(data.resolve())
    actions = window.recent_menu.actions()
    assert actions and actions[0].text() == "two.csv"
    window.open_sample("davis")
    actions[0].trigger()
    assert window.dataset.name == "two.csv"
    # A second window reads the same list from the settings.
    other = MainWindow()
    assert other.recent_files()[0] == str(data.resolve())
    other.close()


def test_recent_files_of_the_same_name_are_told_apart(window, tmp_path):
    from PySide6.QtGui import QTextDocument

    paths = []
    for folder in ("projA", "projB", "projC/r&d"):
        path = tmp_path / folder / "data.csv"
        path.parent.mkdir(parents=True)
        path.write_text("a\n1\n2\n3\n5\n8\n13\n")
        assert window.open_file(path, interactive=False, n_components=2)
        paths.append(str(path.resolve()))
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n2\n3\n5\n8\n13\n")
    assert window.open_file(other, interactive=False, n_components=2)
    actions = window.recent_menu.actions()
    shown = [a.text().replace("&&", "&") for a in actions]  # as drawn ("&&" shows one "&")
    assert "&" not in actions[1].text().replace("&&", "")  # no shortcut letter from a name
    assert shown[0] == "other.csv"
    assert shown[1:] == [
        "data.csv — …/r&d",
        "data.csv — …/projB",
        "data.csv — …/projA",
    ]
    assert len(set(shown)) == len(shown)
    for action, path in zip(actions, [str(other.resolve()), *reversed(paths)], strict=True):
        assert action.statusTip() == path
        doc = QTextDocument()
        doc.setHtml(action.toolTip())
        assert doc.toPlainText() == path
    actions[3].trigger()  # the entry opens its own file
    assert str(Path(window.dataset.path).resolve()) == paths[0]


def test_menu_labels_show_as_few_folders_as_tell_files_apart():
    from gmm_gui.ui.recent import menu_labels

    sep = os.sep
    root = Path(os.path.abspath(os.sep))
    a = str(root / "home" / "u" / "projA" / "data.csv")
    b = str(root / "home" / "u" / "projB" / "data.csv")
    c = str(root / "work" / "projA" / "data.csv")  # same last folder as a: one more shown
    assert menu_labels([a, b]) == [f"data.csv — …{sep}projA", f"data.csv — …{sep}projB"]
    assert menu_labels([a, c, str(root / "x.csv")]) == [
        f"data.csv — …{sep}{Path('u', 'projA')}",
        f"data.csv — {root / 'work' / 'projA'}",  # only the root left out: shown whole
        "x.csv",
    ]
    assert menu_labels([a]) == ["data.csv"]


def test_a_recent_file_that_is_gone_leaves_the_list(window, tmp_path, no_message_boxes):
    data = tmp_path / "gone.csv"
    data.write_text("a\n1\n2\n3\n5\n8\n")
    assert window.open_file(data)
    assert window.recent_files() == [str(data.resolve())]
    data.unlink()
    window.recent_menu.actions()[0].trigger()
    assert no_message_boxes and "gone.csv" in no_message_boxes[0][1]
    assert window.recent_files() == []
    assert not window.recent_menu.isEnabled()


def test_column_picker_for_more_than_two_columns(window, monkeypatch, datasets_dir):
    iris = datasets_dir / "iris.csv"
    monkeypatch.setattr(ColumnPickerDialog, "choose", staticmethod(lambda *a, **k: None))
    old = window.dataset
    assert not window.open_file(iris)
    assert window.dataset is old
    monkeypatch.setattr(
        ColumnPickerDialog,
        "choose",
        staticmethod(lambda columns, *a, **k: [columns[2], columns[3]]),
    )
    assert window.open_file(iris)
    assert window.dataset.columns == ("Petal.Length", "Petal.Width")
    monkeypatch.setattr(
        ColumnPickerDialog, "choose", staticmethod(lambda columns, *a, **k: [columns[0]])
    )
    assert window.open_file(iris)
    assert isinstance(window.view, PlotView1D)


def test_one_dimensional_data_uses_the_1d_view(window):
    assert window.open_sample("davis")
    assert isinstance(window.view, PlotView1D)
    assert window.session.stepper.n_features == 1
    assert window.component_table.fields == ["weight", "mean0", "sd0"]
    window.actions_by_name["run"].trigger()
    assert window.session.snapshot.converged
    assert window.open_sample("faithful")
    assert isinstance(window.view, PlotView2D)


def test_the_plot_keeps_its_size_from_start_to_run_and_back(window, qtbot):
    """The hint above it changes length (two lines at the start, one while EM runs)."""

    def plot_rect():
        QApplication.sendPostedEvents()  # the layout requests
        window.centralWidget().layout().activate()
        return window.view.geometry()

    at_start = plot_rect()
    hints = {window.hint.text()}
    window.actions_by_name["step_e"].trigger()
    hints.add(window.hint.text())
    assert plot_rect() == at_start
    window.actions_by_name["run"].trigger()
    hints.add(window.hint.text())
    assert plot_rect() == at_start
    window.actions_by_name["reset"].trigger()
    assert plot_rect() == at_start
    assert len(hints) == 3


def test_the_toolbar_does_not_shift_when_play_becomes_pause(window):
    play = window.toolbar.widgetForAction(window.actions_by_name["play"])
    run = window.toolbar.widgetForAction(window.actions_by_name["run"])
    before = (play.width(), run.x())
    window.actions_by_name["play"].trigger()
    assert "Pause" in play.text()
    window.toolbar.layout().activate()
    assert (play.width(), run.x()) == before
    window.actions_by_name["play"].trigger()  # pause again


def test_no_placeholder_is_left_under_the_plot(window):
    labels = [w for w in window.findChildren(QLabel) if w.isVisible()]
    assert not [w for w in labels if "Open a data file" in w.text()]


def test_new_2d_data_with_fewer_gaussians_than_shown(window):
    """Iris (3 Gaussians) then faithful (2): the view drops a Gaussian while the data change."""
    assert window.open_sample("iris")
    assert len(window.view.handles()) == 3
    assert window.open_sample("faithful")
    assert window.view is not None and len(window.view.handles()) == 2
    assert window.session.snapshot.mixture.n_components == 2


def test_rows_dropped_on_load_are_reported(window, tmp_path):
    data = tmp_path / "holes.csv"
    data.write_text("x,y\n1,2\nNA,3\n4,5\n6,\n7,8\n9,10\n2,2\n")
    assert window.open_file(data)
    assert "2 rows dropped" in window.status_panel.data_label.text()


def test_drop_a_file_on_the_window(window, qtbot):
    sample = get_sample("galaxies")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample.path))])
    event = QDropEvent(
        QPointF(100, 100),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.dataset.name == "galaxies.csv"
    assert isinstance(window.view, PlotView1D)


def test_status_line_and_warnings(window):
    window.actions_by_name["next_iteration"].trigger()
    status = window.status_panel
    assert "Iteration 1" in status.step_label.text()
    assert "log-likelihood" in status.ll_label.text() and "change" in status.ll_label.text()
    assert "not converged" in status.converged_label.text()
    assert "272 points" in status.data_label.text()


def test_closing_leaves_no_running_timer_or_thread(qtbot):
    dataset = load_dataset(get_sample("faithful").path, ("eruptions", "waiting"))
    assert dataset.n_samples == 272
    workspace = Workspace(offload_threshold=0)  # every step in the worker thread
    session = workspace.session
    w = MainWindow(workspace)
    qtbot.addWidget(w)
    w.show()
    assert w.open_sample("faithful")
    with qtbot.waitSignal(session.snapshot_changed):
        w.actions_by_name["step_e"].trigger()
    assert session.thread_running
    w.actions_by_name["play"].trigger()
    assert session.playing
    w.close()
    assert not session.playing and not session.thread_running
    assert [t for t in w.findChildren(QTimer) if t.isActive()] == []
    assert [t for t in w.findChildren(QThread) if t.isRunning()] == []


def test_background_run_shows_progress_and_can_be_cancelled(qtbot):
    workspace = Workspace(offload_threshold=0)
    session = workspace.session
    w = MainWindow(workspace)
    qtbot.addWidget(w)
    w.show()
    assert w.open_sample("faithful")
    w.set_animation_ms(0)
    w.actions_by_name["run"].trigger()
    assert session.busy
    assert w.progress_bar.isVisibleTo(w) and w.cancel_button.isVisibleTo(w)
    assert w.actions_by_name["cancel"].isEnabled()
    assert not w.actions_by_name["run"].isEnabled()  # never two runs at once
    qtbot.waitUntil(lambda: not session.busy, timeout=20_000)
    assert not w.progress_bar.isVisibleTo(w) and not w.cancel_button.isVisibleTo(w)
    assert session.snapshot.converged
    assert w.view.snapshot() is session.snapshot
    w.close()
    assert not session.thread_running
