"""The main window: composes the plot area, the panels, the toolbar, the menus and the tools.

No maths, no file parsing and no state of its own here: the window owns one
:class:`~gmm_gui.controller.workspace.Workspace`, which opens the files and owns the
:class:`~gmm_gui.controller.session.Session` through which every EM computation and every edit of
the Gaussians goes. The panels, the actions and the toolbar show the workspace's immutable
:class:`~gmm_gui.controller.workspace.WorkspaceState`, the views draw the snapshots the session
hands out, and the analysis tools are given the workspace and the overlay API, not the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSplitter, QVBoxLayout, QWidget

from gmm_gui.controller.jobs import describe_exception
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.workspace import Workspace, WorkspaceState
from gmm_gui.io import Dataset
from gmm_gui.ui.actions import make_actions, update_actions
from gmm_gui.ui.analysis import install_tools
from gmm_gui.ui.busy import BusyIndicator, ProblemLabel
from gmm_gui.ui.colors import BLEND_CACHE
from gmm_gui.ui.dialogs.messages import show_plain_warning
from gmm_gui.ui.exports import Exports
from gmm_gui.ui.menus import build_menus
from gmm_gui.ui.model_settings import ModelSettingsBar
from gmm_gui.ui.opening import DATA_FILTER, FileOpener
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.panels import ComponentTable, LogLikelihoodPanel, StatusPanel, Timeline
from gmm_gui.ui.plot_area import PlotArea, step_caption
from gmm_gui.ui.recent import RecentFiles
from gmm_gui.ui.scenes import ScenePlayer, make_caption
from gmm_gui.ui.selection import ComponentSelection
from gmm_gui.ui.toolbar import EmToolbar
from gmm_gui.ui.view_menu import install_view_menu
from gmm_gui.ui.views import PlotView1D, PlotView2D

__all__ = ["DATA_FILTER", "MainWindow"]

ANIMATION_MS = 250


class MainWindow(QMainWindow):
    """The gmm-gui window.

    Parameters
    ----------
    workspace : Workspace, optional
        The data, the session and the jobs; one is made (owned by the window) if not given.
    parent : QWidget, optional

    Attributes
    ----------
    workspace : Workspace
    session : Session
        The workspace's session (an alias).
    """

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("gmm-gui")
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.workspace = workspace if workspace is not None else Workspace(self)
        if self.workspace.parent() is None:
            self.workspace.setParent(self)
        self.session = self.workspace.session
        self._shown_dataset: Dataset | None = None
        self._drawn: WorkspaceState | None = None  # the state the panels show
        # Large data: the worker that computes a half-step also blends its colours.
        self.session.set_prepare(lambda snapshot: BLEND_CACHE.prepare(snapshot.resp))
        self.last_problem = ""
        self._animation_ms = ANIMATION_MS
        self.actions_by_name: dict[str, QAction] = make_actions(self)
        self.overlay = ViewOverlay(self, self)
        self._build_central()
        self.toolbar = EmToolbar(self.actions_by_name, self)
        self.addToolBar(self.toolbar)
        self.addToolBarBreak()
        self.model_bar = ModelSettingsBar(self.workspace, self)
        self.addToolBar(self.model_bar)
        t = self.toolbar
        self.k_spin, self.method_combo, self.seed_spin = t.k_spin, t.method_combo, t.seed_spin
        self.new_start_button, self.replay_button = t.new_start_button, t.replay_button
        self.speed_slider, self.speed_label = t.speed_slider, t.speed_label
        self.use_start_of = t.use_start_of
        self.opener = FileOpener(
            self, self.workspace, self.k_spin.value, self.use_start_of, self.show_error
        )
        self.open_dialog, self.open_file = self.opener.open_dialog, self.opener.open_file
        self.open_sample = self.opener.open_sample
        self._build_menus()
        self._build_status()
        self.exports = Exports(self.workspace, self.overlay, self)
        e = self.exports
        self.import_parameters, self.export_parameters = e.import_parameters, e.export_parameters
        self.export_plot, self.export_responsibilities = e.export_plot, e.export_responsibilities
        self.recent_files, self.wait_loaded = self.recent.files, self.workspace.wait_loaded
        self._wire()
        installed = install_tools(self, self.analysis_menu, self.workspace, self.overlay)
        self.analysis_actions, self.analysis_tools = installed.actions, installed.tools
        self.scene_caption = make_caption(self.plot_area)
        self.plot_area.layout().insertWidget(1, self.scene_caption)  # under the title
        self.scenes = ScenePlayer(self, self.scene_caption, self)
        self.play_scene = self.scenes.play
        self.view_options = install_view_menu(self, self.analysis_menu)  # pies, presentation
        self._on_state()

    # ================================================================== building
    def _build_central(self) -> None:
        self.loglik_panel = LogLikelihoodPanel()
        self.component_table = ComponentTable()
        self.timeline = Timeline()
        self.plot_area = PlotArea()
        self.selection = ComponentSelection(self.component_table, lambda: self.view, self)
        self.hint = self.plot_area.hint
        # The title names the file and its columns: text from the file, shown as plain text.
        self.plot_area.view_title.setTextFormat(Qt.TextFormat.PlainText)
        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.setObjectName("side_splitter")
        self.side.addWidget(self.loglik_panel)
        self.side.addWidget(self.component_table)
        self.side.setStretchFactor(0, 3)
        self.side.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.plot_area)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([800, 480])
        self.side.setSizes([450, 250])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        menus = build_menus(
            self.menuBar(),
            self.actions_by_name,
            self.open_sample,
            open_scene=lambda name: self.play_scene(name),
            window=self,
        )
        self.samples_menu, self.analysis_menu = menus.samples, menus.analysis
        self.scenes_menu, self.help_menu = menus.scenes, menus.help
        self.recent = RecentFiles(menus.recent, self.open_file)
        self.recent_menu = self.recent.menu

    def _build_status(self) -> None:
        self.status_panel = StatusPanel()
        self.statusBar().addWidget(self.status_panel, 1)
        self.busy = BusyIndicator(
            self.statusBar(), self.workspace, self.actions_by_name["cancel"]
        )
        self.progress_bar, self.cancel_button = self.busy.progress_bar, self.busy.cancel_button
        self.message_label = ProblemLabel()
        self.statusBar().addPermanentWidget(self.message_label)

    def _wire(self) -> None:
        a, s, e, ws = self.actions_by_name, self.session, self.exports, self.workspace
        a["open"].triggered.connect(self.open_dialog)
        a["import_parameters"].triggered.connect(e.import_parameters_dialog)
        a["export_parameters"].triggered.connect(e.export_parameters_dialog)
        a["export_responsibilities"].triggered.connect(e.export_responsibilities_dialog)
        a["export_plot"].triggered.connect(e.export_plot_dialog)
        a["quit"].triggered.connect(self.close)
        a["undo"].triggered.connect(s.undo)
        a["redo"].triggered.connect(s.redo)
        a["delete"].triggered.connect(self.delete_selected)
        a["step_e"].triggered.connect(s.step_e)
        a["step_m"].triggered.connect(s.step_m)
        a["next_iteration"].triggered.connect(s.next_iteration)
        a["play"].triggered.connect(s.toggle_play)
        a["run"].triggered.connect(s.run_to_convergence)
        a["reset"].triggered.connect(s.reset)
        a["cancel"].triggered.connect(self.cancel)
        self.cancel_button.clicked.connect(self.cancel)
        # Before the tools connect: the view for the new data is made before they hear of it.
        ws.data_changed.connect(self._on_data_changed)
        self.toolbar.start_options_changed.connect(ws.set_start_options)
        ws.set_start_options(self.toolbar.start_options())
        self.new_start_button.clicked.connect(self.new_start)
        self.replay_button.clicked.connect(s.replay)
        self.toolbar.speed_changed.connect(self._on_speed)
        self._on_speed(self.toolbar.speed)
        s.snapshot_changed.connect(self._on_snapshot)
        s.preview_changed.connect(self._on_preview)
        ws.state_changed.connect(self._on_state)
        s.error.connect(self.show_problem)
        self.timeline.index_requested.connect(s.go_to)
        self.loglik_panel.iteration_clicked.connect(s.go_to_iteration)
        self.component_table.value_edited.connect(s.set_table_value)
        self.component_table.invalid_value.connect(self.show_problem)
        self.model_bar.message.connect(self.show_message)
        self.model_bar.problem.connect(self.show_problem)

    # ================================================================== properties
    @property
    def dataset(self) -> Dataset | None:
        """The data open, or ``None``."""
        return self.workspace.dataset

    @property
    def view(self) -> PlotView1D | PlotView2D | None:
        """The plot view shown, or ``None`` before any data."""
        return self.plot_area.view

    @property
    def loading(self) -> bool:
        """True while a file is being read in the background."""
        return self.workspace.loading

    @property
    def start_method(self) -> str:
        """The engine name of the start method chosen in the toolbar."""
        return self.toolbar.start_method

    # ================================================================== data
    @Slot()
    def cancel(self) -> None:
        """Cancel (Esc): stop the file being loaded, or the run in progress."""
        if self.workspace.cancel():  # its result, when it comes, is dropped
            self.show_message("Loading cancelled; the data open is kept.")

    @Slot(object)
    def _on_data_changed(self, dataset: Dataset) -> None:
        """New data: its view (made before the tools and the snapshot hear of the data)."""
        self._shown_dataset = dataset
        self.k_spin.setValue(self.workspace.start_options.n_components)
        self.selection.forget()
        if self.plot_area.ensure_view(dataset.n_features, self._animation_ms):
            view = self.plot_area.view
            assert view is not None
            view.add_requested.connect(self.session.add_component)
            view.remove_requested.connect(self.session.remove_component)
            view.component_dragged.connect(self.session.preview_component)
            view.component_drag_finished.connect(self.session.finish_component_edit)
            view.component_selected.connect(self.selection.select)
            self.overlay.set_view(view)
        self.overlay.set_axis_labels(dataset.columns)
        self.component_table.set_columns(dataset.columns)
        self.plot_area.show_dataset(dataset, self.workspace.title)
        self.setWindowTitle(f"gmm-gui — {dataset.name}")
        self.status_panel.set_dataset(dataset)
        self.recent.add(dataset.path, dataset.columns)

    @Slot()
    def new_start(self) -> None:
        """Draw a new start with the toolbar's K, method and seed."""
        self.workspace.new_start()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        """Accept a dragged local file."""
        self.opener.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Open a file dropped on the window."""
        self.opener.drop(event)

    # ================================================================== reacting
    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        """The session shows a state (perhaps the same again, after a refused edit)."""
        n_components = 0 if snap.mixture is None else snap.mixture.n_components
        self.selection.fit(n_components)
        if self.view is not None:
            self.view.set_snapshot(snap, animate=self._animation_ms > 0)
        self.component_table.set_mixture(snap.mixture, snap.editable)
        self.plot_area.show_snapshot_text(snap)

    @Slot(object)
    def _on_preview(self, snap: Snapshot) -> None:
        if self.view is not None:
            self.view.set_snapshot(snap, animate=False)
        self.component_table.set_mixture(snap.mixture, False)

    @Slot()
    @Slot(object)
    def _on_state(self, _state: WorkspaceState | None = None) -> None:
        """Show the workspace's state: actions, K box, timeline, log-likelihoods, status line."""
        state = self.workspace.state  # the newest, also when called back re-entrantly
        update_actions(self.actions_by_name, state, has_view=self.view is not None)
        self.toolbar.set_enabled_for(state.snapshot is not None, state.has_mixture)
        snap, drawn = state.snapshot, self._drawn
        if snap is None or (
            drawn is not None
            and drawn.snapshot is snap
            and drawn.index == state.index
            and drawn.history_length == state.history_length
            and drawn.converged_at == state.converged_at
        ):
            return  # the panels show this already
        self._drawn = state
        self.toolbar.follow_components(0 if snap.mixture is None else snap.mixture.n_components)
        lls = state.log_likelihoods
        self.loglik_panel.set_log_posterior(snap.log_posterior)
        self.loglik_panel.set_values(lls, snap.iteration, state.converged_at)
        previous = None
        if snap.phase != "start" and snap.iteration >= 1:
            previous = float(lls[snap.iteration - 1])
        self.status_panel.set_snapshot(snap, previous)
        self.timeline.set_position(state.index, state.history_length, step_caption(snap))

    @Slot()
    def delete_selected(self) -> None:
        """Edit > Delete: remove the selected Gaussian from the start."""
        k = self.selection.current()
        if k < 0:
            self.show_problem("Select a Gaussian first: click its centre or its row in the table.")
            return
        self.selection.forget()
        self.session.remove_component(k)

    @Slot(float)
    def _on_speed(self, speed: float) -> None:
        self.session.set_speed(speed)
        self.set_animation_ms(min(ANIMATION_MS, int(0.8 * 1000 / speed)))

    def set_animation_ms(self, ms: int) -> None:
        """Duration of the glide between two states (0: jump)."""
        self._animation_ms = int(ms)
        if self.view is not None:
            self.view.set_animation_ms(self._animation_ms)

    # ================================================================== messages
    def show_error(self, title: str, text: str, interactive: bool = True) -> None:
        """A message box for a problem the user must read (a file that cannot be opened).

        The text is shown as plain text: it often quotes a file (its name, a header).
        """
        self.last_problem = text
        if interactive:
            show_plain_warning(self, title, text)

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """A short problem shown in the status bar for a few seconds."""
        self.message_label.show_problem(text)

    def report_fault(self, exc: BaseException) -> str:
        """Tell the user about a fault raised on the UI thread; the window stays usable.

        Play stops, as it does when the same fault happens in the worker, and the sentence is
        the worker's (:func:`~gmm_gui.controller.jobs.describe_exception`), in the problem line.
        Returns the sentence.
        """
        text = describe_exception(exc)
        self.session.pause()
        self.last_problem = text
        self.show_problem(text)
        return text

    def show_message(self, text: str) -> None:
        """A short confirmation in the status bar."""
        self.statusBar().showMessage(text, 4000)

    # ================================================================== closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop the timer, the worker threads and the animations before closing.

        Every job (the session's, a background load, the Analyse tools') runs in the
        workspace's job runner, stopped and waited for here, so no tool needs its own close hook.
        """
        self.workspace.shutdown()
        self.busy.stop()
        self.message_label.stop()
        if self.view is not None and self.view.isVisible():
            self.view.close()
        super().closeEvent(event)

    def shortcut_of(self, name: str) -> str:
        """Portable text of an action's shortcut (for tests and the help)."""
        return self.actions_by_name[name].shortcut().toString(
            QKeySequence.SequenceFormat.PortableText
        )
