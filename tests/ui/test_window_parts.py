"""The parts the window is composed of: the overlay API, the dock skeleton, the tool registry,
the workspace as the tools see it and the screenshot writer."""

from __future__ import annotations

import threading

import grimp
import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from gmm_gui.controller.settings import StartOptions
from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.analysis import DockTool, install_tools
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.exports import save_screenshot
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views import PlotView1D, PlotView2D


def _open(context: Workspace, tmp_path, name: str, seed: int):
    rng = np.random.default_rng(seed)
    path = tmp_path / name
    np.savetxt(path, rng.normal(size=(40, 2)), delimiter=",", header="a,b", comments="")
    assert context.open_file(path, n_components=2)
    return context.dataset


@pytest.fixture
def context(qtbot):
    ctx = Workspace()
    yield ctx
    ctx.shutdown()


# ---------------------------------------------------------------------- the workspace
def test_the_workspace_announces_data_and_start_options(qtbot, context, tmp_path):
    with qtbot.waitSignal(context.data_changed) as blocker:
        dataset = _open(context, tmp_path, "one.csv", 0)
    assert blocker.args == [dataset] and context.dataset is dataset
    assert context.session.stepper.n_samples == 40
    states = []
    context.state_changed.connect(states.append)
    context.set_start_options(StartOptions())  # the same options: nothing to say
    assert states == []
    context.set_start_options(StartOptions(3, "random", 7))
    assert len(states) == 1 and context.start_options == StartOptions(3, "random", 7)
    context.new_start()
    assert context.session.wait_idle()
    assert context.session.stepper.start.n_components == 3


# ---------------------------------------------------------------------- the overlay API
def test_overlay_adds_and_removes_items_on_the_current_view(qtbot):
    overlay = ViewOverlay()
    assert overlay.add_markers(np.zeros(1), np.zeros(1)) is None  # no view yet
    assert overlay.view_range() is None and overlay.selected_component() == -1
    view = PlotView2D()
    qtbot.addWidget(view)
    with qtbot.waitSignal(overlay.view_changed) as blocker:
        overlay.set_view(view)
    assert blocker.args == [view] and overlay.is_2d()
    vb = view.plot.getViewBox()
    vb.setRange(xRange=(0, 4), yRange=(-1, 1), padding=0)
    (x0, x1), (y0, y1) = overlay.view_range()
    assert (x0, x1, y0, y1) == pytest.approx(vb.viewRange()[0] + vb.viewRange()[1])
    markers = overlay.add_markers(
        np.array([1.0, 2.0]), np.array([0.0, 0.5]), symbol="x", size=12, z=40
    )
    image = overlay.add_image(
        np.zeros((3, 2, 4), dtype=np.uint8), QRectF(0, 0, 3, 2), opacity=0.4, z=-30
    )
    assert markers.parentItem() is vb.childGroup and image.parentItem() is vb.childGroup
    np.testing.assert_array_equal(markers.getData()[0], [1.0, 2.0])
    assert markers.zValue() == 40 and image.zValue() == -30
    assert image.opacity() == pytest.approx(0.4)
    overlay.remove(markers)
    assert markers.parentItem() is None and image.parentItem() is vb.childGroup
    overlay.remove(markers)  # twice: nothing happens
    # The view is replaced (1-D data now): the image goes with its own view, and removing it
    # later touches only that view; new items go on the new view.
    view_1d = PlotView1D()  # deleted below, as the window deletes a replaced view
    overlay.set_view(view_1d)
    assert not overlay.is_2d()
    overlay.remove(image)
    assert image.parentItem() is None
    again = overlay.add_markers(np.zeros(2), np.zeros(2))
    assert again.parentItem() is view_1d.plot.getViewBox().childGroup
    view_1d.close()
    view_1d.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(view_1d))
    overlay.set_view(None)
    overlay.remove(again)  # its view is gone: safe, and nothing to do


def test_overlay_forwards_range_changes_of_a_2d_view(qtbot):
    overlay = ViewOverlay()
    view = PlotView2D()
    qtbot.addWidget(view)
    overlay.set_view(view)
    with qtbot.waitSignal(overlay.range_changed):
        view.plot.getViewBox().setRange(xRange=(0, 10), yRange=(0, 5), padding=0)


# ---------------------------------------------------------------------- the dock skeleton
class _Probe(AnalysisDock):
    def __init__(self, workspace, overlay):
        super().__init__("probe", workspace, overlay)
        self.results, self.failures, self.data_changes = [], [], 0

    def on_result(self, result):
        self.results.append(result)

    def on_failure(self, message):
        self.failures.append(message)

    def on_data_changed(self):
        self.data_changes += 1


def _held_work(gate: threading.Event, answer: str, fail: bool = False):
    def work(progress, should_cancel):
        assert gate.wait(30)
        progress(3, 4)
        if fail:
            raise RuntimeError("broke")
        return answer

    return work


@pytest.mark.parametrize("fail", [False, True])
def test_a_dock_drops_what_work_for_replaced_data_reports(qtbot, context, tmp_path, fail):
    _open(context, tmp_path, "one.csv", 0)
    dock = _Probe(context, ViewOverlay())
    qtbot.addWidget(dock)
    gate = threading.Event()
    dock.start_work(_held_work(gate, "old", fail), total=4)
    assert dock.running and dock.cancel_button.isEnabled()
    assert dock.progress_bar.maximum() == 4 and dock.progress_bar.value() == 0
    _open(context, tmp_path, "two.csv", 1)  # other data while the work runs
    assert dock.data_changes == 1
    gate.set()
    qtbot.waitUntil(lambda: not dock.running)
    assert dock.results == [] and dock.failures == []
    assert dock.progress_bar.value() == 0  # its progress was not shown either
    assert not dock.cancel_button.isEnabled()
    # Work started for the data open now is shown.
    with qtbot.waitSignal(dock.work_failed if fail else dock.work_finished):
        dock.start_work(_quick_work("new", fail))
    assert (dock.failures == ["broke"]) if fail else (dock.results == ["new"])
    assert dock.progress_bar.value() == 4
    dock.shutdown()


def _quick_work(answer: str, fail: bool):
    def work(progress, should_cancel):
        progress(4, 4)
        if fail:
            raise RuntimeError("broke")
        return answer

    return work


# ---------------------------------------------------------------------- the tool registry
class _Dock(QDockWidget):
    def __init__(self, workspace, overlay, parent, name):
        super().__init__(name, parent)
        self.setObjectName(f"{name}_dock")
        self.workspace, self.overlay = workspace, overlay
        self.shown_times = 0

    def about_to_show(self):
        self.shown_times += 1


def test_a_tool_is_one_registration_line(qtbot, context):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    menu = window.menuBar().addMenu("Analyse")
    overlay = ViewOverlay()
    tools = (
        DockTool("first", lambda w, o, p: _Dock(w, o, p, "first"), "&First…", "Ctrl+Shift+F"),
        DockTool(
            "second",
            lambda w, o, p: _Dock(w, o, p, "second"),
            "Second…",
            tip="the second",
            tab_with="first_dock",
            separated=True,
        ),
        DockTool("third", lambda w, o, p: _Dock(w, o, p, "third"), "Third…", eager=True),
    )
    installed = install_tools(window, menu, context, overlay, tools)
    names = [a.objectName() for a in menu.actions()]
    assert names == ["action_first", "", "action_second", "action_third"]  # "" : separator
    assert installed.actions["first"].shortcut().toString() == "Ctrl+Shift+F"
    assert installed.actions["second"].toolTip() == "the second"
    assert window.findChild(QDockWidget, "first_dock") is None  # made when first asked for
    third = window.findChild(QDockWidget, "third_dock")
    assert third is not None and not third.isVisible() and installed.tools["third"] is third
    installed.actions["first"].trigger()
    first = window.findChild(QDockWidget, "first_dock")
    assert first.isVisible() and installed.tools["first"] is first
    assert first.workspace is context and first.overlay is overlay
    installed.actions["first"].trigger()  # the same dock again, brought up to date
    assert window.findChildren(_Dock, "first_dock") == [first] and first.shown_times == 2
    installed.actions["second"].trigger()
    second = installed.tools["second"]
    assert second in window.tabifiedDockWidgets(first)


# ---------------------------------------------------------------------- screenshots
def test_a_screenshot_never_follows_a_planted_temporary_name(qtbot, tmp_path):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.resize(60, 40)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / ".shot.png.tmp.png"  # the fixed name the old writer used
    planted.symlink_to(victim)
    out = tmp_path / "shot.png"
    save_screenshot(widget, out)
    assert victim.read_text() == "keep me" and planted.is_symlink()
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".shot.png.tmp.png", "shot.png", "victim.txt"]  # no temporary file left


def test_a_screenshot_that_cannot_be_written_leaves_nothing(qtbot, tmp_path):
    widget = QWidget()
    qtbot.addWidget(widget)
    with pytest.raises(OSError):
        save_screenshot(widget, tmp_path / "missing" / "shot.png")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- messages
class _Messages:
    def __init__(self):
        self.said = []

    def show_message(self, text):
        self.said.append(("message", text))

    def show_problem(self, text):
        self.said.append(("problem", text))

    def show_error(self, title, text, interactive=True):
        self.said.append(("error", title, text, interactive))


def test_the_tools_messages_go_to_the_window_through_the_overlay(qtbot):
    sink = _Messages()
    overlay = ViewOverlay(sink)
    overlay.show_message("saved")
    overlay.show_problem("odd")
    overlay.show_error("Cannot", "why", interactive=False)
    assert sink.said == [
        ("message", "saved"),
        ("problem", "odd"),
        ("error", "Cannot", "why", False),
    ]
    ViewOverlay().show_error("Cannot", "nobody listens")  # no window: said nowhere, no error


# ---------------------------------------------------------------------- layering
def test_the_analysis_tools_never_import_the_window():
    graph = grimp.build_graph("gmm_gui")  # type-checking imports included
    for module in sorted(graph.find_descendants("gmm_gui.ui.analysis")) + [
        "gmm_gui.ui.analysis",
        "gmm_gui.ui.overlay",
    ]:
        chain = graph.find_shortest_chain(importer=module, imported="gmm_gui.ui.main_window")
        assert chain is None, chain
