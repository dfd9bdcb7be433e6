"""Analyse > Map of where starts lead: the basins of attraction of EM's local maxima.

For 1-D data and K = 2 the dock maps a grid of the two starting means (the other parameters as in
the current start) to the maximum EM reaches from there (:func:`gmm_gui.model.basin_map_1d`):
one colour per solution, shaded by log-likelihood, with a legend. Clicking a cell starts the
animation from that start. For 2-D data the same is done for the starting position of one chosen
mean over the plot's visible range, the others held fixed (:func:`gmm_gui.model.basin_map_2d`),
and drawn as a translucent overlay behind the points of the main view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gmm_gui.controller.stepper import StartInfo
from gmm_gui.controller.tasks import BackgroundTask
from gmm_gui.model import BasinMap, Mixture, basin_map_1d, basin_map_2d
from gmm_gui.ui.analysis._dock_action import add_dock_action
from gmm_gui.ui.analysis._requests import Requests
from gmm_gui.ui.analysis.restarts_dock import GROUP_COLORS, group_color
from gmm_gui.ui.views.axes import grid_axes

if TYPE_CHECKING:
    from gmm_gui.ui.main_window import MainWindow

__all__ = ["BasinsDock", "basin_colors", "install_basins"]

DEFAULT_GRID = 60
#: Solutions named one per legend row (as many as there are distinct colours); the rest share
#: one grey row.
LEGEND_SOLUTIONS = len(GROUP_COLORS)
#: Opacity of the overlay on the main 2-D view.
OVERLAY_OPACITY = 0.35
#: How far towards white the worst log-likelihood of the map is drawn (the best: not at all).
_SHADE = 0.55
_NOT_COMPUTED = (235, 235, 235, 255)
_FAILED = (60, 60, 60, 255)


def _palette(n: int) -> np.ndarray:
    """Colours of solutions 0..n-1 as in the restarts dock (grey beyond its palette)."""
    rgb = [group_color(i).getRgb()[:3] for i in range(n)]
    return np.array(rgb, dtype=float).reshape(n, 3)


def basin_colors(bmap: BasinMap) -> np.ndarray:
    """RGBA colour of every cell of a map: its solution's colour, paler the lower its likelihood.

    Parameters
    ----------
    bmap : BasinMap

    Returns
    -------
    rgba : uint8 array of shape (n_rows, n_cols, 4)
        Solution ``s`` has colour ``group_color(s)`` (0 the best); cells not computed are light
        grey, cells whose run broke down dark grey.
    """
    ids = bmap.solution_id
    ll = bmap.mean_log_likelihood
    rgba = np.empty(ids.shape + (4,), dtype=np.uint8)
    rgba[...] = _NOT_COMPUTED
    rgba[ids < -1] = _FAILED
    known = ids >= 0
    if not known.any():
        return rgba
    palette = _palette(len(bmap.solutions))
    base = palette[ids[known]]
    values = ll[known]
    finite = np.isfinite(values)
    low = float(values[finite].min()) if finite.any() else 0.0
    high = float(values[finite].max()) if finite.any() else 0.0
    t = np.ones_like(values) if high <= low else (values - low) / (high - low)
    t = np.where(finite, t, 0.0)
    fade = (_SHADE * (1.0 - t))[:, None]
    rgba[known, :3] = np.clip(np.round(base + (255.0 - base) * fade), 0, 255).astype(np.uint8)
    rgba[known, 3] = 255
    return rgba


class BasinsDock(QDockWidget):
    """The "Map of where starts lead" dock of a main window.

    Signals
    -------
    map_changed(object)
        A new :class:`~gmm_gui.model.BasinMap` is shown (``None`` when cleared).
    """

    map_changed = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Map of where starts lead", window)
        self.setObjectName("basins_dock")
        self.setToolTip(
            "Which maximum EM reaches from each start: starts of the same colour lead to the "
            "same solution (a basin of attraction)."
        )
        self._window = window
        self.bmap: BasinMap | None = None
        self._kind = ""  # "1d" or "2d" of the map shown
        self.overlay: pg.ImageItem | None = None
        self._overlay_view: QWidget | None = None
        self.task = BackgroundTask(self)
        self._requests = Requests(self.task)
        self.task.progress.connect(self._on_progress)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.task.running_changed.connect(self._on_running)
        self._build()
        session = window.session
        session.data_changed.connect(self._on_data_changed)
        session.snapshot_changed.connect(self._on_snapshot)
        window.k_spin.valueChanged.connect(self._refresh_mode)
        self._refresh_mode()
        self._on_running(False)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        self.explain = QLabel()
        self.explain.setObjectName("basins_explain")
        self.explain.setWordWrap(True)
        self.explain.setToolTip("What the map shows and what it needs.")
        layout.addWidget(self.explain)

        form = QFormLayout()
        self.grid_spin = QSpinBox()
        self.grid_spin.setObjectName("basins_grid")
        self.grid_spin.setRange(4, 200)
        self.grid_spin.setValue(DEFAULT_GRID)
        self.grid_spin.setToolTip(
            "Cells along each axis: EM is run from every cell of the grid (60 × 60 = 3600 runs)."
        )
        form.addRow(self._label("Grid", self.grid_spin.toolTip()), self.grid_spin)
        self.component_combo = QComboBox()
        self.component_combo.setObjectName("basins_component")
        self.component_combo.setToolTip(
            "2-D data: the Gaussian whose starting mean moves over the plot; the others stay "
            "where they start now."
        )
        self.component_label = self._label("Moving mean", self.component_combo.toolTip())
        form.addRow(self.component_label, self.component_combo)
        layout.addLayout(form)

        row = QHBoxLayout()
        self.compute_button = QPushButton("Compute map")
        self.compute_button.setObjectName("basins_compute")
        self.compute_button.setToolTip("Run EM from every cell of the grid, in the background.")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("basins_cancel")
        self.cancel_button.setToolTip("Stop; the cells done so far are shown.")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("basins_progress")
        self.progress_bar.setToolTip("EM runs finished so far.")
        self.progress_bar.setFormat("%v of %m runs")
        row.addWidget(self.compute_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress_bar, 1)
        layout.addLayout(row)

        self.map_plot = pg.PlotWidget(axisItems=grid_axes())
        self.map_plot.setObjectName("basins_map")
        self.map_plot.setBackground("w")
        self.map_plot.setMinimumHeight(240)
        self.map_plot.setMenuEnabled(False)
        self.map_plot.hideButtons()
        self.map_plot.setAspectLocked(False)
        self.map_plot.setToolTip(
            "Each cell is a start; its colour is the solution EM reaches from there (paler: "
            "lower log-likelihood). The cross is the current start. Click a cell to start EM "
            "there and watch it go."
        )
        self.image = pg.ImageItem(axisOrder="col-major")  # image[x, y], whatever the global
        self.map_plot.addItem(self.image)
        self.start_marker = pg.ScatterPlotItem(
            size=14, symbol="x", brush=pg.mkBrush("k"), pen=pg.mkPen("w", width=1)
        )
        self.start_marker.setZValue(10)
        self.map_plot.addItem(self.start_marker)
        self.diagonal = pg.PlotCurveItem(
            pen=pg.mkPen((0, 0, 0, 90), width=1, style=Qt.PenStyle.DashLine)
        )
        self.map_plot.addItem(self.diagonal)
        self.map_plot.scene().sigMouseClicked.connect(self._on_map_clicked)
        layout.addWidget(self.map_plot, 2)

        self.legend = QTableWidget(0, 3)
        self.legend.setObjectName("basins_legend")
        self.legend.setHorizontalHeaderLabels(["Solution", "Log-lik. / point", "Cells"])
        self.legend.setToolTip(
            "The solutions EM reached, best first: their colour on the map, their mean "
            "log-likelihood per point, and how many starts of the grid lead to each."
        )
        self.legend.verticalHeader().setVisible(False)
        self.legend.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.legend.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.legend.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.legend.setMinimumHeight(170)
        layout.addWidget(self.legend, 1)

        row = QHBoxLayout()
        self.clear_button = QPushButton("Clear overlay")
        self.clear_button.setObjectName("basins_clear")
        self.clear_button.setToolTip("Remove the map drawn over the main plot.")
        self.clear_button.clicked.connect(self.clear_overlay)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.stale_label = QLabel(
            "The start has changed since this map was made (other weights, spreads or means): "
            "press Compute map to map the new start."
        )
        self.stale_label.setObjectName("basins_stale")
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: #8a5a00;")
        self.stale_label.setToolTip(
            "The map holds every parameter but the varied means fixed at the start it was made "
            "for; with another start, starts may lead elsewhere."
        )
        self.stale_label.setVisible(False)
        layout.addWidget(self.stale_label)
        self.status = QLabel("")
        self.status.setObjectName("basins_status")
        self.status.setWordWrap(True)
        self.status.setToolTip("What the map found.")
        layout.addWidget(self.status)
        self.setWidget(body)

    @staticmethod
    def _label(text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    # ------------------------------------------------------------------ what can be mapped
    def problem(self) -> str:
        """Why no map can be made for the data and start open now ("" if one can)."""
        stepper = self._window.session.stepper
        if stepper is None:
            return "Open a data file first (File > Open or File > Samples)."
        start = stepper.start
        if start is None:
            return "Place some Gaussians or press New start first: the map varies that start."
        if stepper.n_features == 1 and start.n_components != 2:
            return (
                "For 1-D data the map needs exactly two Gaussians (one axis per starting "
                f"mean); the current start has {start.n_components}. Set K to 2 in the toolbar "
                "and press New start."
            )
        if stepper.n_features not in (1, 2):
            return "The map is drawn for 1-D and 2-D data only."
        return ""

    @Slot()
    def _refresh_mode(self) -> None:
        stepper = self._window.session.stepper
        two_d = stepper is not None and stepper.n_features == 2
        problem = self.problem()
        if problem:
            self.explain.setText(problem)
        elif two_d:
            self.explain.setText(
                "Where EM goes when one Gaussian's starting mean starts at each place of the "
                "plot's visible area, the other Gaussians held where they start now. Same "
                "colour, same solution; paler means a lower log-likelihood. The map is also "
                "drawn over the main plot."
            )
        else:
            self.explain.setText(
                "Where EM goes from every pair of starting means (the weights and spreads as in "
                "the current start). Starts of the same colour reach the same solution; paler "
                "means a lower log-likelihood. On the diagonal both Gaussians start alike and "
                "EM cannot pull them apart."
            )
        self.component_combo.setVisible(two_d)
        self.component_label.setVisible(two_d)
        self.clear_button.setVisible(two_d)
        self.clear_button.setEnabled(self.overlay is not None)
        start = None if stepper is None else stepper.start
        n = 0 if start is None or not two_d else start.n_components
        if self.component_combo.count() != n:
            current = max(self.component_combo.currentIndex(), 0)
            self.component_combo.clear()
            for k in range(n):
                self.component_combo.addItem(f"Gaussian {k + 1}", k)
            view = self._window.view
            selected = view.selected_component() if view is not None else -1
            self.component_combo.setCurrentIndex(
                selected if 0 <= selected < n else min(current, n - 1)
            )
        self.compute_button.setEnabled(not problem and not self.running)
        self._update_marker()

    # ------------------------------------------------------------------ computing
    @property
    def running(self) -> bool:
        """True while the map is being computed."""
        return self.task.is_running()

    @Slot()
    def compute(self) -> None:
        """Compute the map for the data and start open now."""
        problem = self.problem()
        if problem:
            self.status.setText(problem)
            return
        stepper = self._window.session.stepper
        assert stepper is not None and stepper.start is not None
        X = stepper.X
        start: Mixture = stepper.start
        n = int(self.grid_spin.value())
        options = {"covariance_type": stepper.covariance_type, "reg_covar": stepper.reg_covar}
        if stepper.n_features == 1:
            grid = np.linspace(float(X.min()), float(X.max()), n)
            kind = "1d"

            def work(progress, should_cancel):  # noqa: ANN001, ANN202 - BackgroundTask callables
                return basin_map_1d(
                    X,
                    start,
                    grid,
                    grid,
                    progress=progress,
                    should_cancel=should_cancel,
                    **options,
                )

        else:
            view = self._window.view
            if view is None:
                return
            (x0, x1), (y0, y1) = view.plot.getViewBox().viewRange()
            grid_x = np.linspace(x0, x1, n)
            grid_y = np.linspace(y0, y1, n)
            component = max(int(self.component_combo.currentIndex()), 0)
            kind = "2d"

            def work(progress, should_cancel):  # noqa: ANN001, ANN202 - BackgroundTask callables
                return basin_map_2d(
                    X,
                    start,
                    component,
                    grid_x,
                    grid_y,
                    progress=progress,
                    should_cancel=should_cancel,
                    **options,
                )

        self._pending_kind = kind
        self.progress_bar.setRange(0, n * n)
        self.progress_bar.setValue(0)
        self.status.setText(f"Running EM from {n * n} starts…")
        self._requests.start(work)

    @Slot()
    def cancel(self) -> None:
        """Stop the map; the cells done are shown."""
        self.task.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the computation (on close)."""
        self.task.shutdown()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if not self._requests.is_current():
            return
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)

    @Slot(bool)
    def _on_running(self, running: bool) -> None:
        self.compute_button.setEnabled(not running and not self.problem())
        self.cancel_button.setEnabled(running)
        self.progress_bar.setVisible(running)

    @Slot(object)
    def _on_finished(self, bmap: BasinMap) -> None:
        if self._requests.is_current():  # not a map of data replaced since
            self.set_map(bmap, self._pending_kind)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._requests.is_current():
            self.status.setText(f"The map could not be made: {message}")

    # ------------------------------------------------------------------ showing
    def set_map(self, bmap: BasinMap | None, kind: str = "1d") -> None:
        """Show ``bmap`` (``kind`` "1d" or "2d"); ``None`` clears the map."""
        self.bmap = bmap
        self._kind = kind if bmap is not None else ""
        self.clear_overlay()
        if bmap is None:
            self.image.clear()
            self.diagonal.setData([], [])
            self.legend.setRowCount(0)
            self.status.setText("")
            self._update_marker()
            self.map_changed.emit(None)
            return
        rgba, rect = self._image_of(bmap)
        self.image.setImage(rgba, levels=(0, 255))
        self.image.setRect(rect)
        if kind == "1d":
            column = self._columns()[0]
            self.map_plot.setLabel("bottom", f"start mean 1 ({column})")
            self.map_plot.setLabel("left", f"start mean 2 ({column})")
            self.map_plot.setAspectLocked(True)
            v = bmap.row_values
            self.diagonal.setData([v[0], v[-1]], [v[0], v[-1]])
        else:
            columns = self._columns()
            k = bmap.components[0] + 1
            self.map_plot.setLabel("bottom", f"start of mean {k}: {columns[0]}")
            self.map_plot.setLabel("left", f"start of mean {k}: {columns[1]}")
            self.map_plot.setAspectLocked(False)
            self.diagonal.setData([], [])
            self._show_overlay(rgba, rect)
        self.map_plot.setRange(rect, padding=0.02)
        self._fill_legend(bmap)
        self._update_marker()
        self.status.setText(self._summary(bmap))
        self.clear_button.setEnabled(self.overlay is not None)
        self.map_changed.emit(bmap)

    def _columns(self) -> list[str]:
        dataset = self._window.dataset
        return list(dataset.columns) if dataset is not None else ["x", "y"]

    def _image_of(self, bmap: BasinMap) -> tuple[np.ndarray, QRectF]:
        """The map as a column-major image (x first) and its rectangle in data coordinates."""
        rgba = basin_colors(bmap)
        xs, ys = self._axes(bmap)
        if self._kind_of(bmap) == "2d":
            rgba = rgba.transpose(1, 0, 2)  # [iy, ix] -> [x, y]
        dx = (xs[-1] - xs[0]) / (xs.size - 1) if xs.size > 1 else 1.0
        dy = (ys[-1] - ys[0]) / (ys.size - 1) if ys.size > 1 else 1.0
        rect = QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * xs.size, dy * ys.size)
        return np.ascontiguousarray(rgba), rect

    @staticmethod
    def _kind_of(bmap: BasinMap) -> str:
        return "1d" if len(bmap.components) == 2 else "2d"

    def _axes(self, bmap: BasinMap) -> tuple[np.ndarray, np.ndarray]:
        """Grid values along the map's x and y axes."""
        if self._kind_of(bmap) == "1d":
            return bmap.row_values, bmap.col_values
        return bmap.col_values, bmap.row_values

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The ``(row, col)`` of the map cell at plot coordinates ``(x, y)``, or ``None``."""
        bmap = self.bmap
        if bmap is None:
            return None
        xs, ys = self._axes(bmap)
        ix, iy = self._nearest(xs, x), self._nearest(ys, y)
        if ix is None or iy is None:
            return None
        return (ix, iy) if self._kind_of(bmap) == "1d" else (iy, ix)

    def cell_center(self, row: int, col: int) -> tuple[float, float]:
        """Plot coordinates of the centre of cell ``(row, col)`` (for tests)."""
        assert self.bmap is not None
        if self._kind_of(self.bmap) == "1d":
            return float(self.bmap.row_values[row]), float(self.bmap.col_values[col])
        return float(self.bmap.col_values[col]), float(self.bmap.row_values[row])

    @staticmethod
    def _nearest(values: np.ndarray, v: float) -> int | None:
        step = (values[-1] - values[0]) / (values.size - 1) if values.size > 1 else 1.0
        if not values[0] - step / 2 <= v <= values[-1] + step / 2:
            return None
        return int(np.argmin(np.abs(values - v)))

    def _fill_legend(self, bmap: BasinMap) -> None:
        rows: list[tuple[QColor, str, str, str, str]] = []
        total = bmap.shape[0] * bmap.shape[1]
        palette = _palette(len(bmap.solutions))
        columns = self._columns()
        named = min(len(bmap.solutions), LEGEND_SOLUTIONS)
        for s, solution in enumerate(bmap.solutions[:named]):
            color = QColor(*[int(c) for c in palette[s]])
            means = "; ".join(
                "(" + ", ".join(f"{v:.4g}" for v in mean) + ")" for mean in solution.mixture.means
            )
            name = f"{s + 1}" + ("  best" if s == 0 else "")
            tip = (
                f"Solution {s + 1}: means {means} ({', '.join(columns)}); reached from "
                f"{solution.count} of {total} starts."
            )
            rows.append(
                (color, name, f"{solution.mean_log_likelihood:.4f}", f"{solution.count}", tip)
            )
        others = bmap.solutions[named:]
        if others:
            lls = [o.mean_log_likelihood for o in others]
            rows.append(
                (
                    group_color(named),
                    f"{named + 1}–{len(bmap.solutions)}",
                    f"{min(lls):.4f} … {max(lls):.4f}",
                    f"{sum(o.count for o in others)}",
                    f"{len(others)} more solutions, each reached from few starts, drawn in grey "
                    "(often a Gaussian left with almost no points).",
                )
            )
        failed = int(np.count_nonzero(bmap.solution_id < -1))
        if failed:
            rows.append(
                (
                    QColor(*_FAILED[:3]),
                    "broke down",
                    "",
                    f"{failed}",
                    "Starts from which EM broke down (a Gaussian collapsed).",
                )
            )
        missing = total - bmap.n_done
        if missing:
            rows.append(
                (
                    QColor(*_NOT_COMPUTED[:3]),
                    "not computed",
                    "",
                    f"{missing}",
                    "Cells not computed: the map was cancelled first.",
                )
            )
        self.legend.setRowCount(len(rows))
        for r, (color, name, ll, count, tip) in enumerate(rows):
            swatch = QPixmap(14, 14)
            swatch.fill(color)
            first = QTableWidgetItem(name)
            first.setIcon(swatch)
            for c, item in enumerate((first, QTableWidgetItem(ll), QTableWidgetItem(count))):
                item.setToolTip(tip)
                self.legend.setItem(r, c, item)

    @staticmethod
    def _summary(bmap: BasinMap) -> str:
        total = bmap.shape[0] * bmap.shape[1]
        head = f"Cancelled: {bmap.n_done} of {total} cells done. " if bmap.cancelled else ""
        n = len(bmap.solutions)
        if n == 0:
            return head + "No start reached a maximum."
        if n == 1:
            return head + "Every start reached the same solution. Click a cell to watch EM."
        best = bmap.solutions[0]
        text = head + f"{n} solutions; the best is reached from {best.count} of {total} starts"
        common = max(range(n), key=lambda i: bmap.solutions[i].count)
        if common != 0:
            text += f", solution {common + 1} from the most ({bmap.solutions[common].count})"
        return text + ". Click a cell to start EM there and watch where it goes."

    # ------------------------------------------------------------------ overlay on the main view
    def _show_overlay(self, rgba: np.ndarray, rect: QRectF) -> None:
        view = self._window.view
        if view is None:
            return
        item = pg.ImageItem(rgba, levels=(0, 255), axisOrder="col-major")
        item.setRect(rect)
        item.setOpacity(OVERLAY_OPACITY)
        item.setZValue(-30)  # behind the fills (-10), the points (0) and the outlines
        view.plot.getViewBox().addItem(item, ignoreBounds=True)
        self.overlay = item
        self._overlay_view = view

    @Slot()
    def clear_overlay(self) -> None:
        """Remove the overlay from the main view."""
        item, view = self.overlay, self._overlay_view
        self.overlay = None
        self._overlay_view = None
        if item is not None and view is not None and shiboken6.isValid(view):
            view.plot.getViewBox().removeItem(item)
        self.clear_button.setEnabled(False)

    # ------------------------------------------------------------------ the current start
    @Slot(object)
    def _on_snapshot(self, _snap: object) -> None:
        self._refresh_mode()

    def is_stale(self) -> bool:
        """True when the current start differs from the map's in what the map holds fixed."""
        bmap = self.bmap
        stepper = self._window.session.stepper
        start = None if stepper is None else stepper.start
        if bmap is None or start is None:
            return False
        if start.means.shape != bmap.start.means.shape:
            return True
        fixed = np.ones(start.n_components, dtype=bool)
        fixed[list(bmap.components)] = False
        return not (
            np.array_equal(start.weights, bmap.start.weights)
            and np.array_equal(start.covariances, bmap.start.covariances)
            and np.array_equal(start.means[fixed], bmap.start.means[fixed])
        )

    def _update_marker(self) -> None:
        bmap = self.bmap
        stepper = self._window.session.stepper
        start = None if stepper is None else stepper.start
        stale = self.is_stale()
        self.stale_label.setVisible(stale)
        if bmap is None or start is None or start.n_features != bmap.start.n_features:
            self.start_marker.setData([], [])
            return
        if self._kind_of(bmap) == "1d":
            a, b = bmap.components
            if start.n_components <= max(a, b):
                self.start_marker.setData([], [])
                return
            self.start_marker.setData([float(start.means[a, 0])], [float(start.means[b, 0])])
        else:
            k = bmap.components[0]
            if start.n_components <= k:
                self.start_marker.setData([], [])
                return
            self.start_marker.setData([float(start.means[k, 0])], [float(start.means[k, 1])])

    def start_from_cell(self, row: int, col: int) -> None:
        """Use the start of cell ``(row, col)`` and play EM from it."""
        bmap = self.bmap
        session = self._window.session
        if bmap is None or session.stepper is None:
            return
        mixture = bmap.start_at(row, col)
        if mixture.n_features != session.stepper.n_features:
            return
        session.set_start(mixture, StartInfo("edited", mixture.n_components))
        session.play()
        solution = bmap.solution_at(row, col)
        if solution is not None:
            s = bmap.solutions.index(solution) + 1
            self.status.setText(
                f"EM started from this cell: it should reach solution {s} "
                f"({solution.mean_log_likelihood:.4f} per point)."
            )

    def _on_map_clicked(self, event: object) -> None:
        if self.bmap is None or event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        pos = self.map_plot.getPlotItem().vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        cell = self.cell_at(pos.x(), pos.y())
        if cell is not None:
            self.start_from_cell(*cell)

    # ------------------------------------------------------------------ lifecycle
    @Slot()
    def _on_data_changed(self) -> None:
        # A map still being computed is of the old data: stopped, and never shown.
        self._requests.drop()
        self.set_map(None)
        self._refresh_mode()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Closing the dock cancels the computation and removes the overlay."""
        self.task.cancel()
        self.clear_overlay()
        super().closeEvent(event)


def install_basins(window: MainWindow) -> None:
    """Add Analyse > Map of where starts lead… to ``window``."""
    add_dock_action(
        window,
        BasinsDock,
        "basins_dock",
        "&Map of where starts lead…",
        "Ctrl+Shift+M",
        "Run EM from a whole grid of starts and colour each start by the maximum it reaches: "
        "the basins of attraction of the likelihood's local maxima.",
        tab_with="restarts_dock",
        before_show=lambda dock: dock._refresh_mode(),
    )
