"""The main window: composes the plot view, the panels and the actions, and wires them.

No maths and no file parsing here: data comes from :mod:`gmm_gui.io`, every EM computation and
every edit of the Gaussians goes through the :class:`~gmm_gui.controller.session.Session`, and the
views draw the snapshots the session hands out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QSettings,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gmm_gui.controller.session import Session
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import START_METHODS, StartInfo, Stepper
from gmm_gui.controller.tasks import BackgroundTask
from gmm_gui.io import ColumnChoiceRequired, DataError, Dataset, load_dataset
from gmm_gui.io.mixture_file import read_mixture, write_mixture
from gmm_gui.io.responsibilities import write_responsibilities
from gmm_gui.model import Mixture
from gmm_gui.resources import SAMPLES, Sample, get_sample
from gmm_gui.ui.actions import make_actions
from gmm_gui.ui.analysis import install_analysis
from gmm_gui.ui.colors import BLEND_CACHE, PALETTE
from gmm_gui.ui.dialogs.columns import ColumnPickerDialog
from gmm_gui.ui.panels import ComponentTable, LogLikelihoodPanel, StatusPanel, Timeline
from gmm_gui.ui.views import PlotView1D, PlotView2D

__all__ = ["MainWindow", "DATA_FILTER", "MAX_RECENT"]

DATA_FILTER = "Data files (*.csv *.tsv *.txt *.dat *.npy *.npz);;All files (*)"
PARAMETER_FILTER = "Parameter files (*.json);;All files (*)"
MAX_RECENT = 8
ANIMATION_MS = 250
#: Files of at least this many bytes are read, and their first start built, off the UI thread
#: (a CSV of about 100,000 rows; loading it takes longer than a frame).
BACKGROUND_LOAD_BYTES = 2_000_000
#: A background load, half-step, preview or new start that lasts longer than this shows the
#: progress bar and Cancel (a run to convergence shows them at once).
LOAD_PROGRESS_DELAY_MS = 1000
#: The largest K the K box takes when typed: one Gaussian per colour of the palette (beyond
#: that, colours repeat). The box grows past it to show the Gaussians on screen (clicked in,
#: imported, however many: the table and the weight labels number them all), so that New start
#: and the Analyse tools use the K the user sees.
K_BOX_MAX = len(PALETTE)


@dataclass(frozen=True)
class _LoadRequest:
    path: str
    columns: tuple[str, ...] | None
    n_components: int
    method: str
    seed: int
    title: str | None
    start: Mixture | None = None


@dataclass(frozen=True)
class _Loaded:
    """What a background load hands back: the data and its stepper, or the problem."""

    request: _LoadRequest
    dataset: Dataset | None = None
    stepper: Stepper | None = None
    error: ValueError | None = None


def _load(request: _LoadRequest, should_cancel: Callable[[], bool]) -> _Loaded | None:
    """Read the file and build its first start (runs in a worker thread; no Qt here)."""
    try:
        dataset = load_dataset(request.path, request.columns)
        if should_cancel():
            return None
        _check_features(dataset, request.path)
        stepper = _first_stepper(
            dataset, request.n_components, request.method, request.seed, request.start
        )
    except ValueError as exc:  # DataError is a ValueError, so is a bad K
        return _Loaded(request, error=exc)
    return _Loaded(request, dataset, stepper)


def _first_stepper(
    dataset: Dataset, n_components: int, method: str, seed: int, start: Mixture | None
) -> Stepper:
    """The stepper of newly opened data: from a given start, or one drawn by ``method``."""
    if start is not None:
        if start.n_features != dataset.n_features:
            raise DataError(
                f"the start has {start.n_features} dimensions, the data {dataset.n_features}"
            )
        return Stepper(dataset.values, start, start_info=StartInfo("placed", start.n_components))
    return Stepper.from_method(dataset.values, n_components, method, seed)


def _check_features(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    if dataset.n_features not in (1, 2):
        raise DataError(
            f"{path}: {dataset.n_features} columns chosen; the window shows one or two"
        )


def _settings() -> QSettings:
    """The app's settings; ``$GMM_GUI_SETTINGS_DIR/gmm-gui.ini`` when that variable is set.

    Qt reads ``XDG_CONFIG_HOME`` only once per process, so tests (and users who want portable
    settings) name the folder with ``GMM_GUI_SETTINGS_DIR`` instead.
    """
    folder = os.environ.get("GMM_GUI_SETTINGS_DIR")
    if folder:
        return QSettings(str(Path(folder) / "gmm-gui.ini"), QSettings.Format.IniFormat)
    return QSettings("gmm-gui", "gmm-gui")


class MainWindow(QMainWindow):
    """The gmm-gui window.

    Parameters
    ----------
    session : Session, optional
        The controller; one is made (owned by the window) if not given.
    parent : QWidget, optional
    """

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("gmm-gui")
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.session = session if session is not None else Session(self)
        if self.session.parent() is None:
            self.session.setParent(self)
        # Large data: the worker that computes a half-step also blends its colours.
        self.session.set_prepare(lambda snapshot: BLEND_CACHE.prepare(snapshot.resp))
        self.dataset: Dataset | None = None
        self.view: PlotView1D | PlotView2D | None = None
        self._selected = -1
        self.last_problem = ""
        self._animation_ms = ANIMATION_MS
        self.background_load_bytes = BACKGROUND_LOAD_BYTES
        self.load_progress_delay_ms = LOAD_PROGRESS_DELAY_MS
        self._loader = BackgroundTask(self)
        self._loading: _LoadRequest | None = None  # the load asked for last
        self._load_running: _LoadRequest | None = None  # the load in the worker
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self._refresh_busy_widgets)
        self._busy_since_timer = QTimer(self)
        self._busy_since_timer.setSingleShot(True)
        self._busy_since_timer.timeout.connect(self._refresh_busy_widgets)
        self.actions_by_name: dict[str, QAction] = make_actions(self)
        self._build_central()
        self._build_toolbar()
        self._build_menus()
        self._build_status()
        self._wire()
        install_analysis(self)
        self._update_actions()

    # ================================================================== building
    def _build_central(self) -> None:
        self.loglik_panel = LogLikelihoodPanel()
        self.component_table = ComponentTable()
        self.timeline = Timeline()
        self.view_title = QLabel("")
        self.view_title.setObjectName("view_title")
        self.view_title.setToolTip("The data open and what the plot shows.")
        self.view_title.setStyleSheet("font-weight: 600; padding: 2px 6px;")
        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #444; padding: 0 6px 2px 6px;")
        self.hint.setToolTip("What you can do now.")
        # Room for two lines always: a hint of one line after one of two would make the plot
        # taller and repaint and re-rasterise all of it (and it would jump under the mouse).
        self.hint.setMinimumHeight(2 * self.hint.fontMetrics().lineSpacing() + 4)
        self._view_box = QWidget()
        self._view_layout = QVBoxLayout(self._view_box)
        self._view_layout.setContentsMargins(0, 0, 0, 0)
        self._view_layout.setSpacing(0)
        self.warning_banner = QLabel("")
        self.warning_banner.setObjectName("warning_banner")
        self.warning_banner.setWordWrap(True)
        self.warning_banner.setStyleSheet(
            "background: #fff4ce; color: #5c3c00; border: 1px solid #e0b94f; "
            "border-radius: 3px; padding: 4px 8px; margin: 2px 6px;"
        )
        self.warning_banner.setToolTip(
            "The engine noticed something wrong with a Gaussian; the sentence says what to do."
        )
        self.warning_banner.setVisible(False)
        self._view_layout.addWidget(self.view_title)
        self._view_layout.addWidget(self.hint)
        self._view_layout.addWidget(self.warning_banner)
        self._view_placeholder = QLabel("Open a data file (File > Open) or a sample.")
        self._view_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._view_layout.addWidget(self._view_placeholder, 1)

        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.setObjectName("side_splitter")
        self.side.addWidget(self.loglik_panel)
        self.side.addWidget(self.component_table)
        self.side.setStretchFactor(0, 3)
        self.side.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self._view_box)
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

    def _build_toolbar(self) -> None:
        a = self.actions_by_name
        bar = QToolBar("EM")
        bar.setObjectName("em_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar = bar
        bar.addAction(a["open"])
        bar.addSeparator()
        for name in ("step_e", "step_m", "next_iteration", "play", "run", "reset"):
            bar.addAction(a[name])
        # Play and Pause share a button: as wide as the wider, so the toolbar does not shift
        play = bar.widgetForAction(a["play"])
        text = a["play"].text()
        widths = []
        for label in ("&Play", "&Pause"):
            a["play"].setText(label)
            widths.append(play.sizeHint().width())
        a["play"].setText(text)
        play.setMinimumWidth(max(widths))
        bar.addSeparator()
        bar.addWidget(self._label(" K ", "Number of Gaussians (K) in a new random start."))
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("k_spin")
        self.k_spin.setRange(1, K_BOX_MAX)
        self.k_spin.setValue(2)
        self.k_spin.setToolTip(
            f"Number of Gaussians (K) in a new random start (up to {K_BOX_MAX}, one per "
            "colour; more when more are on the plot)."
        )
        bar.addWidget(self.k_spin)
        bar.addWidget(self._label(" Start ", "How a new start is drawn."))
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("method_combo")
        for method, label in START_METHODS:
            self.method_combo.addItem(label, method)
        self.method_combo.setCurrentIndex(self.method_combo.findData("kmeans++"))
        self.method_combo.setToolTip(
            "How a new start is drawn: Random (means anywhere in the data's range), k-means++ "
            "(means spread over the data), From data (means at random data points)."
        )
        bar.addWidget(self.method_combo)
        bar.addWidget(self._label(" Seed ", "Seed of the random start."))
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seed_spin")
        self.seed_spin.setRange(0, 2_147_483_647)
        self.seed_spin.setValue(0)
        self.seed_spin.setFixedWidth(90)
        self.seed_spin.setToolTip(
            "Seed of the random start: the same seed gives the same start again."
        )
        bar.addWidget(self.seed_spin)
        self.new_start_button = QPushButton("New start")
        self.new_start_button.setObjectName("new_start_button")
        self.new_start_button.setToolTip(
            "Draw new starting Gaussians with this K, start method and seed (undoable)."
        )
        bar.addWidget(self.new_start_button)
        self.replay_button = QPushButton("Replay this start")
        self.replay_button.setObjectName("replay_button")
        self.replay_button.setToolTip(
            "Go back to the start and play EM again from it: after dragging a start mean, this "
            "shows where EM ends from there (perhaps another local maximum)."
        )
        bar.addWidget(self.replay_button)
        bar.addSeparator()
        bar.addWidget(self._label(" Speed ", "Play speed: half-steps per second."))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speed_slider")
        self.speed_slider.setRange(1, 40)  # quarter half-steps per second
        self.speed_slider.setValue(8)
        self.speed_slider.setFixedWidth(90)
        self.speed_slider.setToolTip("Play speed: half-steps per second (0.25 to 10).")
        bar.addWidget(self.speed_slider)
        self.speed_label = QLabel()
        self.speed_label.setToolTip("Play speed in half-steps per second.")
        bar.addWidget(self.speed_label)
        self.addToolBar(bar)

    @staticmethod
    def _label(text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    def _build_menus(self) -> None:
        a = self.actions_by_name
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(a["open"])
        self.samples_menu = file_menu.addMenu("&Samples")
        self.samples_menu.setToolTipsVisible(True)
        for sample in SAMPLES:
            action = self.samples_menu.addAction(sample.title)
            action.setObjectName(f"sample_{sample.key}")
            action.setToolTip(sample.description)
            action.setStatusTip(sample.description)
            action.triggered.connect(lambda _=False, key=sample.key: self.open_sample(key))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setToolTipsVisible(True)
        self._rebuild_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(a["import_parameters"])
        file_menu.addAction(a["export_parameters"])
        file_menu.addAction(a["export_responsibilities"])
        file_menu.addAction(a["export_plot"])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit_menu = menu.addMenu("&Edit")
        for name in ("undo", "redo", "delete"):
            edit_menu.addAction(a[name])
        run_menu = menu.addMenu("&Run")
        for name in ("step_e", "step_m", "next_iteration", "play", "run", "reset", "cancel"):
            run_menu.addAction(a[name])
        self.analysis_menu = menu.addMenu("&Analyse")
        for m in (file_menu, edit_menu, run_menu, self.analysis_menu):
            m.setToolTipsVisible(True)

    def _build_status(self) -> None:
        self.status_panel = StatusPanel()
        self.statusBar().addWidget(self.status_panel, 1)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress_bar")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setToolTip("Progress of the computation running in the background.")
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setToolTip("Stop the computation in progress (Esc).")
        self.cancel_button.setVisible(False)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.message_label = QLabel("")
        self.message_label.setObjectName("message_label")
        self.message_label.setStyleSheet("color: #b00020;")
        self.message_label.setToolTip("The last problem reported.")
        self.statusBar().addPermanentWidget(self.message_label)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.message_label.setText(""))

    def _wire(self) -> None:
        a = self.actions_by_name
        s = self.session
        a["open"].triggered.connect(self.open_dialog)
        a["import_parameters"].triggered.connect(self.import_parameters_dialog)
        a["export_parameters"].triggered.connect(self.export_parameters_dialog)
        a["export_responsibilities"].triggered.connect(self.export_responsibilities_dialog)
        a["export_plot"].triggered.connect(self.export_plot_dialog)
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
        self._loader.finished.connect(self._on_loaded)
        self._loader.failed.connect(self._on_load_failed)
        self.new_start_button.clicked.connect(self.new_start)
        self.replay_button.clicked.connect(s.replay)
        self.speed_slider.valueChanged.connect(self._on_speed)
        self._on_speed(self.speed_slider.value())
        s.snapshot_changed.connect(self._on_snapshot)
        s.preview_changed.connect(self._on_preview)
        s.state_changed.connect(self._update_actions)
        s.busy_changed.connect(self._on_busy)
        s.progress.connect(self._on_progress)
        s.error.connect(self.show_problem)
        self.timeline.index_requested.connect(s.go_to)
        self.loglik_panel.iteration_clicked.connect(s.go_to_iteration)
        self.component_table.value_edited.connect(s.set_table_value)
        self.component_table.invalid_value.connect(self.show_problem)
        self.component_table.component_selected.connect(self._on_component_selected)

    # ================================================================== data
    def open_dialog(self) -> None:
        """File > Open."""
        start = str(Path(self.dataset.path).parent) if self.dataset else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open data", start, DATA_FILTER)
        if path:
            self.open_file(path)

    def open_file(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None = None,
        *,
        n_components: int | None = None,
        title: str | None = None,
        interactive: bool = True,
        ask_columns: bool | None = None,
        start: Mixture | None = None,
    ) -> bool:
        """Load a data file and show it with a new start; on failure keep the data open.

        Parameters
        ----------
        path : str or path-like
        columns : sequence of str, optional
            The columns to fit; a file with more than two numeric columns asks (column picker)
            when ``interactive``, otherwise fails.
        n_components : int, optional
            K of the first start (default: the K box).
        title : str, optional
            Shown above the plot instead of the file name.
        interactive : bool
            Problems are shown in a message box (else raised as ``DataError``).
        ask_columns : bool, optional
            Show the column picker for a file with more than two numeric columns (default:
            ``interactive``).
        start : Mixture, optional
            The first start (a sample's hand-placed one); default: drawn by the toolbar's
            method and seed with ``n_components`` Gaussians.

        Returns
        -------
        bool
            True if the file was opened.
        """
        if start is not None:
            n_components = start.n_components
        if n_components is None:
            n_components = self.k_spin.value()
        if interactive and self._large(path):
            self._start_load(path, columns, int(n_components), title, start)
            return True
        try:
            try:
                dataset = load_dataset(path, columns)
            except ColumnChoiceRequired as exc:
                if not (interactive if ask_columns is None else ask_columns):
                    raise
                chosen = ColumnPickerDialog.choose(exc.numeric_columns, Path(path).name, self)
                if not chosen:
                    return False
                dataset = load_dataset(path, chosen)
            _check_features(dataset, path)
            stepper = _first_stepper(
                dataset, int(n_components), self.start_method, self.seed_spin.value(), start
            )
        except ValueError as exc:  # DataError is a ValueError, so is a bad K
            if not interactive:
                raise
            self.show_error("Cannot open the file", str(exc))
            return False
        self.k_spin.setValue(int(n_components))
        self._install(dataset, stepper, title)
        self._add_recent(str(path), dataset.columns)
        return True

    # ------------------------------------------------------------ background loading
    @property
    def loading(self) -> bool:
        """True while a file is being read in the background."""
        return self._loading is not None

    def wait_loaded(self, timeout_ms: int = 60_000) -> bool:
        """Block until a background load has ended (for scripts and tests); True if it has."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._loading is not None and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return self._loading is None

    def _large(self, path: str | os.PathLike[str]) -> bool:
        try:
            return os.path.getsize(path) >= self.background_load_bytes
        except OSError:
            return False  # the ordinary path says what is wrong with it

    def _start_load(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None,
        n_components: int,
        title: str | None,
        start: Mixture | None = None,
    ) -> None:
        """Read ``path`` and build its first start in a worker; a newer load replaces it."""
        request = _LoadRequest(
            str(path),
            None if columns is None else tuple(columns),
            n_components,
            self.start_method,
            self.seed_spin.value(),
            title,
            start,
        )
        self._loading = request
        if self._loader.is_running():
            # Queued, never stacked: the load in flight is cancelled and this one starts when it
            # has ended (a newer request replaces this one meanwhile).
            self._loader.cancel()
        else:
            self._run_load(request)
        self.statusBar().showMessage(f"Loading {Path(path).name}…")
        self._load_timer.start(max(0, self.load_progress_delay_ms))
        self._refresh_busy_widgets()

    def _run_load(self, request: _LoadRequest) -> None:
        self._load_running = request
        self._loader.start(lambda _progress, should_cancel: _load(request, should_cancel))

    def _next_load(self) -> None:
        """The loader has ended: start the request waiting, if any."""
        if self._loading is not None and not self._loader.is_running():
            self._run_load(self._loading)

    def _end_load(self) -> None:
        self._loading = None
        self._load_timer.stop()
        self.statusBar().clearMessage()
        self._refresh_busy_widgets()

    @Slot(object)
    def _on_loaded(self, result: object) -> None:
        self._load_running = None
        if not isinstance(result, _Loaded) or result.request is not self._loading:
            self._next_load()
            return  # cancelled, or overtaken by a newer load
        self._end_load()
        request = result.request
        error = result.error
        if isinstance(error, ColumnChoiceRequired):
            chosen = ColumnPickerDialog.choose(
                error.numeric_columns, Path(request.path).name, self
            )
            if chosen:
                self._start_load(request.path, chosen, request.n_components, request.title)
            return
        if error is not None or result.dataset is None or result.stepper is None:
            self.show_error("Cannot open the file", str(error))
            return
        self.k_spin.setValue(request.n_components)
        self._install(result.dataset, result.stepper, request.title)
        self._add_recent(request.path, result.dataset.columns)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        if self._loading is None:
            return
        ran, self._load_running = self._load_running, None
        if ran is not self._loading:
            self._next_load()
            return
        path = self._loading.path
        self._end_load()
        self.show_error("Cannot open the file", f"{path}: {message}")

    @Slot()
    def cancel(self) -> None:
        """Cancel (Esc): stop the file being loaded, or the run in progress."""
        if self._loading is not None:
            self._loader.cancel()
            self._end_load()  # its result, when it comes, is dropped
            self.show_message("Loading cancelled; the data open is kept.")
            return
        self.session.cancel()

    def open_sample(self, key: str) -> bool:
        """Open a bundled sample with its columns and its usual K."""
        sample: Sample = get_sample(key)
        self.use_start_of(sample)
        return self.open_file(
            sample.path,
            sample.columns,
            n_components=sample.n_components,
            title=sample.title,
            start=sample.start_mixture(),
        )

    def use_start_of(self, sample: Sample) -> None:
        """Set the toolbar's start method and seed to the sample's default start."""
        self.method_combo.setCurrentIndex(self.method_combo.findData(sample.start_method))
        self.seed_spin.setValue(sample.seed)

    def _install(self, dataset: Dataset, stepper: Stepper, title: str | None) -> None:
        self.dataset = dataset
        self._selected = -1
        self._ensure_view(dataset.n_features)
        assert self.view is not None
        self.view.set_axis_labels(dataset.columns)
        self.component_table.set_columns(dataset.columns)
        name = title or dataset.name
        axes = " × ".join(dataset.columns)
        self.view_title.setText(f"{name} — {axes}, {dataset.n_samples} points")
        self.setWindowTitle(f"gmm-gui — {dataset.name}")
        dropped = ""
        if dataset.n_dropped:
            dropped = f", {dataset.n_dropped} rows dropped"
        self.status_panel.set_data_text(
            f"{dataset.name}: {dataset.n_samples} points{dropped}",
            "\n".join(dataset.drop_reasons) or "No rows were dropped.",
        )
        self.session.set_stepper(stepper)

    def _ensure_view(self, n_features: int) -> None:
        cls = PlotView1D if n_features == 1 else PlotView2D
        if isinstance(self.view, cls):
            return
        if self.view is not None:
            self._view_layout.removeWidget(self.view)
            self.view.close()
            self.view.deleteLater()
        if self._view_placeholder is not None:
            self._view_layout.removeWidget(self._view_placeholder)
            # Hidden now: deleteLater waits for the event loop, and until then the label would
            # lie under the plot, making every change around it repaint the whole plot.
            self._view_placeholder.hide()
            self._view_placeholder.deleteLater()
            self._view_placeholder = None
        view = cls()
        view.setObjectName("plot_view")
        # No widget tooltip here: it would cover the view's own tooltips (a point's
        # responsibilities, the handles); the hint line above the plot says what to do.
        view.set_animation_ms(self._animation_ms)
        view.add_requested.connect(self.session.add_component)
        view.remove_requested.connect(self.session.remove_component)
        view.component_edited.connect(self.session.edit_component)
        view.component_selected.connect(self._on_component_selected)
        self._view_layout.addWidget(view, 1)
        self.view = view

    @property
    def start_method(self) -> str:
        """The engine name of the start method chosen in the toolbar."""
        return str(self.method_combo.currentData())

    @Slot()
    def new_start(self) -> None:
        """Draw a new start with the toolbar's K, method and seed."""
        self.session.new_start(self.k_spin.value(), self.start_method, self.seed_spin.value())

    # ================================================================== files
    def import_parameters_dialog(self) -> None:
        """File > Import parameters."""
        path, _ = QFileDialog.getOpenFileName(self, "Import parameters", "", PARAMETER_FILTER)
        if path:
            self.import_parameters(path)

    def import_parameters(
        self, path: str | os.PathLike[str], *, interactive: bool = True
    ) -> bool:
        """Use the mixture of a parameter file as the start (undoable).

        A problem is shown in a message box (or only kept in :attr:`last_problem` when not
        ``interactive``); the start then stays as it was.
        """
        stepper = self.session.stepper
        if stepper is None:
            self.show_error("Cannot import parameters", "Open a data file first.", interactive)
            return False
        try:
            mixture, info = read_mixture(path, n_features=stepper.n_features)
        except ValueError as exc:
            self.show_error("Cannot import parameters", str(exc), interactive)
            return False
        self.session.set_start(mixture, StartInfo("imported", mixture.n_components))
        if self.dataset is not None and tuple(info.columns) != tuple(self.dataset.columns):
            self.show_problem(
                f"Note: the parameters were saved for columns {', '.join(info.columns)}; "
                f"the data open has {', '.join(self.dataset.columns)}."
            )
        return True

    def export_parameters_dialog(self) -> None:
        """File > Export parameters."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export parameters", self._suggest("parameters.json"), PARAMETER_FILTER
        )
        if path:
            self.export_parameters(path)

    def export_parameters(self, path: str | os.PathLike[str]) -> bool:
        """Write the Gaussians shown to a parameter file."""
        stepper, snap = self.session.stepper, self.session.snapshot
        if stepper is None or snap is None or snap.mixture is None or self.dataset is None:
            self.show_error("Nothing to export", "There are no Gaussians to export yet.")
            return False
        try:
            write_mixture(path, snap.mixture, self.dataset.columns, stepper.fit_info(snap))
        except (OSError, ValueError) as exc:
            self.show_error("Cannot export parameters", f"{path}: {exc}")
            return False
        self.show_message(f"Parameters saved to {path}")
        return True

    def export_responsibilities_dialog(self) -> None:
        """File > Export responsibilities."""
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export responsibilities",
            self._suggest("responsibilities.csv"),
            "CSV files (*.csv);;All files (*)",
        )
        if path:
            self.export_responsibilities(path)

    def export_responsibilities(self, path: str | os.PathLike[str]) -> bool:
        """Write each point's responsibilities for the Gaussians shown as CSV."""
        stepper, snap = self.session.stepper, self.session.snapshot
        if stepper is None or snap is None or snap.mixture is None or self.dataset is None:
            self.show_error("Nothing to export", "There are no Gaussians yet.")
            return False
        try:
            resp = stepper.responsibilities(snap)
            write_responsibilities(path, resp, self.dataset.row_index)
        except (OSError, ValueError) as exc:
            self.show_error("Cannot export responsibilities", f"{path}: {exc}")
            return False
        self.show_message(f"Responsibilities saved to {path}")
        return True

    def export_plot_dialog(self) -> None:
        """File > Export plot."""
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export plot",
            self._suggest("plot.png"),
            "PNG image (*.png);;SVG drawing (*.svg)",
        )
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if "SVG" in chosen else ".png"
        self.export_plot(path)

    def export_plot(self, path: str | os.PathLike[str]) -> bool:
        """Save the plot as PNG or SVG (by suffix)."""
        if self.view is None:
            self.show_error("Nothing to export", "Open a data file first.")
            return False
        try:
            self.view.export_image(path)
        except (OSError, ValueError) as exc:
            self.show_error("Cannot export the plot", f"{path}: {exc}")
            return False
        self.show_message(f"Plot saved to {path}")
        return True

    def save_screenshot(self, path: str | os.PathLike[str]) -> None:
        """Save the whole window as a PNG, atomically (for ``--screenshot``).

        Raises
        ------
        OSError
            If the picture cannot be written.
        """
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp.png")
        if not self.grab().save(str(tmp), "PNG"):
            tmp.unlink(missing_ok=True)
            raise OSError(f"{path}: cannot write the picture")
        os.replace(tmp, target)

    def _suggest(self, name: str) -> str:
        if self.dataset is None:
            return name
        source = Path(self.dataset.path)
        return str(Path.cwd() / f"{source.stem}-{name}")

    # ================================================================== recent files
    def recent_files(self) -> list[str]:
        """Recently opened files, newest first (from QSettings)."""
        value = _settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str, columns: Sequence[str]) -> None:
        from gmm_gui.resources import sample_path

        try:
            if any(Path(path) == sample_path(s.filename) for s in SAMPLES):
                return  # the samples have their own menu
        except FileNotFoundError:
            pass
        entry = str(Path(path).resolve())
        recent = [p for p in self.recent_files() if p != entry]
        recent.insert(0, entry)
        settings = _settings()
        settings.setValue("recent_files", recent[:MAX_RECENT])
        settings.setValue(f"columns/{entry}", list(columns))
        settings.sync()
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(recent))

    def _open_recent(self, path: str) -> None:
        columns = _settings().value(f"columns/{path}", None)
        if isinstance(columns, str):
            columns = [columns]
        if not self.open_file(path, list(columns) if columns else None) and not Path(path).exists():
            settings = _settings()
            settings.setValue("recent_files", [p for p in self.recent_files() if p != path])
            settings.remove(f"columns/{path}")
            settings.sync()
            self._rebuild_recent_menu()

    # ================================================================== drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        """Accept a dragged local file."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Open a file dropped on the window."""
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_file(urls[0].toLocalFile())

    # ================================================================== reacting
    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        stepper = self.session.stepper
        if stepper is None:
            return
        n_components = 0 if snap.mixture is None else snap.mixture.n_components
        if self._selected >= n_components:
            self._selected = -1
            self.component_table.select_component(-1)
            if self.view is not None:
                self.view.set_selected_component(-1)
        if self.view is not None:
            self.view.set_snapshot(snap, animate=self._animation_ms > 0)
        self.component_table.set_mixture(snap.mixture, snap.editable)
        if n_components and self.k_spin.value() != n_components:
            # K follows the Gaussians on screen (added, removed, imported, a loaded run), so
            # the next random start and the Analyse tools use the K the user sees.
            self.k_spin.setMaximum(max(K_BOX_MAX, n_components))
            self.k_spin.setValue(n_components)
        lls = stepper.log_likelihoods()
        self.loglik_panel.set_values(lls, snap.iteration, stepper.converged_at())
        previous = None
        if snap.phase != "start" and snap.iteration >= 1:
            previous = float(lls[snap.iteration - 1])
        self.status_panel.set_snapshot(snap, previous)
        self.timeline.set_position(stepper.index, len(stepper.history), self._caption(snap))
        self.hint.setText(self._hint(snap))
        self._show_warnings(snap)

    def _show_warnings(self, snap: Snapshot) -> None:
        if snap.warnings:
            self.warning_banner.setText("⚠ " + "<br>⚠ ".join(snap.warnings))
            self.warning_banner.setVisible(True)
        else:
            self.warning_banner.setText("")
            self.warning_banner.setVisible(False)

    @Slot(object)
    def _on_preview(self, snap: Snapshot) -> None:
        if self.view is not None:
            self.view.set_snapshot(snap, animate=False)
        self.component_table.set_mixture(snap.mixture, False)

    @staticmethod
    def _caption(snap: Snapshot) -> str:
        if snap.phase == "start":
            return "start"
        if snap.phase == "E":
            return f"iteration {snap.iteration + 1}: E-step"
        return f"iteration {snap.iteration}: M-step" + (" (converged)" if snap.converged else "")

    def _hint(self, snap: Snapshot) -> str:
        if snap.mixture is None:
            return "Click on the plot to place a Gaussian, or press New start."
        if snap.editable:
            return (
                "Start: click empty space to add a Gaussian, drag a centre to move it (the "
                "points show which Gaussian would claim them), drag a square handle to reshape "
                "it, right-click a centre to remove it. Then press E, or Space to play."
            )
        if snap.converged:
            return (
                "EM has converged: a local maximum of the likelihood. Drag the timeline to look "
                "back, or Reset, move a start mean and Replay to look for another maximum."
            )
        if snap.phase == "E":
            return "Each point is coloured by the Gaussians responsible for it. Press M next."
        return "The Gaussians moved to fit the points they are responsible for. Press E next."

    @Slot()
    def _update_actions(self) -> None:
        a = self.actions_by_name
        stepper = self.session.stepper
        busy = self.session.busy
        has = stepper is not None
        next_phase = stepper.next_phase if has else None
        editable = has and stepper.editable
        has_mixture = has and stepper.snapshot.mixture is not None
        a["step_e"].setEnabled(next_phase == "E")
        a["step_m"].setEnabled(next_phase == "M")
        a["next_iteration"].setEnabled(next_phase is not None)
        can_play = next_phase is not None or self.session.playing
        a["play"].setEnabled(can_play)
        # blockSignals, not QSignalBlocker: with PySide6 6.12 on Python 3.11 every
        # QSignalBlocker drops one reference to None, which aborts the process after a while.
        was_blocked = a["play"].blockSignals(True)
        a["play"].setChecked(self.session.playing)
        a["play"].blockSignals(was_blocked)
        a["play"].setText("&Pause" if self.session.playing else "&Play")
        a["run"].setEnabled(next_phase is not None and not busy)
        a["reset"].setEnabled(has and len(stepper.history) > 1)
        a["cancel"].setEnabled(busy or self.session.playing or self._loading is not None)
        a["undo"].setEnabled(has and stepper.can_undo)
        a["redo"].setEnabled(has and stepper.can_redo)
        a["undo"].setText(f"&Undo {stepper.undo_text}" if has and stepper.can_undo else "&Undo")
        a["redo"].setText(f"&Redo {stepper.redo_text}" if has and stepper.can_redo else "&Redo")
        a["delete"].setEnabled(bool(editable and has_mixture))
        for name in ("export_parameters", "export_responsibilities"):
            a[name].setEnabled(bool(has_mixture))
        a["export_plot"].setEnabled(self.view is not None)
        a["import_parameters"].setEnabled(has)
        self.new_start_button.setEnabled(has)
        self.replay_button.setEnabled(bool(has_mixture))

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.progress_bar.setRange(0, 0)  # busy indicator until a figure arrives
            # A run to convergence shows its progress at once; a half-step, a drag preview or
            # a new start on a large data set only if it lasts (no flicker while playing).
            self._busy_since_timer.start(max(0, self.load_progress_delay_ms))
        else:
            self._busy_since_timer.stop()
        self._refresh_busy_widgets()

    @Slot()
    def _refresh_busy_widgets(self) -> None:
        """Progress bar and Cancel: shown while the session works, or a load lasts long."""
        load_shown = self._loading is not None and not self._load_timer.isActive()
        if load_shown:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setToolTip(f"Loading {Path(self._loading.path).name}…")
        else:
            self.progress_bar.setToolTip("Progress of the computation running in the background.")
        session_shown = self.session.busy and (
            self.session.job_kind == "run" or not self._busy_since_timer.isActive()
        )
        shown = session_shown or load_shown
        self.progress_bar.setVisible(shown)
        self.cancel_button.setVisible(shown)
        self.actions_by_name["cancel"].setEnabled(
            shown or self._loading is not None or self.session.playing
        )

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"iteration {done}")

    @Slot(int)
    def _on_component_selected(self, k: int) -> None:
        self._selected = int(k)
        if self.sender() is not self.component_table:
            self.component_table.select_component(k)
        if self.view is not None and self.sender() is not self.view:
            self.view.set_selected_component(k)

    @Slot()
    def delete_selected(self) -> None:
        """Edit > Delete: remove the selected Gaussian from the start."""
        k = self._selected
        if k < 0:
            k = self.component_table.selected_component()
        if k < 0:
            self.show_problem("Select a Gaussian first: click its centre or its row in the table.")
            return
        self._selected = -1
        self.session.remove_component(k)

    @Slot(int)
    def _on_speed(self, value: int) -> None:
        speed = value / 4.0
        self.session.set_speed(speed)
        self.speed_label.setText(f" {speed:g}/s ")
        self.set_animation_ms(min(ANIMATION_MS, int(0.8 * 1000 / speed)))

    def set_animation_ms(self, ms: int) -> None:
        """Duration of the glide between two states (0: jump)."""
        self._animation_ms = int(ms)
        if self.view is not None:
            self.view.set_animation_ms(self._animation_ms)

    # ================================================================== messages
    def show_error(self, title: str, text: str, interactive: bool = True) -> None:
        """A message box for a problem the user must read (a file that cannot be opened)."""
        self.last_problem = text
        if interactive:
            QMessageBox.warning(self, title, text)

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """A short problem shown in the status bar for a few seconds."""
        self.message_label.setText(text)
        self._message_timer.start(8000)

    def show_message(self, text: str) -> None:
        """A short confirmation in the status bar."""
        self.statusBar().showMessage(text, 4000)

    # ================================================================== closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop the timer, the worker threads and the animations before closing.

        Every :class:`BackgroundTask` below the window (the loader's, the Analyse tools') is
        cancelled and waited for here, so no tool needs its own close hook.
        """
        self.session.shutdown()
        for task in self.findChildren(BackgroundTask):
            task.shutdown()
        self._loading = None
        self._load_timer.stop()
        self._busy_since_timer.stop()
        self._message_timer.stop()
        if self.view is not None and self.view.isVisible():
            self.view.close()
        super().closeEvent(event)

    def menu_for(self, title: str) -> QMenu | None:
        """The menu whose title (without '&') is ``title`` (for tests)."""
        for action in self.menuBar().actions():
            if action.text().replace("&", "") == title:
                return action.menu()
        return None

    def shortcut_of(self, name: str) -> str:
        """Portable text of an action's shortcut (for tests and the help)."""
        return self.actions_by_name[name].shortcut().toString(
            QKeySequence.SequenceFormat.PortableText
        )
