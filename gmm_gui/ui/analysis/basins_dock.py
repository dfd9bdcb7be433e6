"""Analyse > Map of where starts lead: the basins of attraction of EM's local maxima.

For 1-D data and K = 2 the dock maps a grid of the two starting means (the other parameters as in
the current start) to the maximum EM reaches from there (:func:`gmm_gui.model.basin_map_1d`):
one colour per solution, shaded by log-likelihood, with a legend. Clicking a cell starts the
animation from that start. For 2-D data the same is done for the starting position of one chosen
mean over the plot's visible range, the others held fixed (:func:`gmm_gui.model.basin_map_2d`),
and drawn as a translucent overlay behind the points of the main view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gmm_gui.controller.stepper import StartInfo
from gmm_gui.controller.workspace import Workspace
from gmm_gui.model import BasinMap, Mixture, basin_map_1d, basin_map_2d
from gmm_gui.ui.analysis.basins_legend import (
    LEGEND_SOLUTIONS,
    basin_colors,
    legend_rows,
    map_summary,
    solution_numbers,
)
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views.axes import grid_axes
from gmm_gui.ui.views.export import escape_markup

__all__ = ["LEGEND_SOLUTIONS", "BasinsDock", "basin_colors"]

DEFAULT_GRID = 60
#: Opacity of the overlay on the main 2-D view.
OVERLAY_OPACITY = 0.35


class BasinsDock(AnalysisDock):
    """The "Map of where starts lead" dock.

    Parameters
    ----------
    workspace : Workspace
        The data and the session whose start is varied.
    overlay : ViewOverlay
        The main plot: a 2-D map is drawn over it, for its visible range.
    parent : QWidget, optional

    Signals
    -------
    map_changed(object)
        A new :class:`~gmm_gui.model.BasinMap` is shown (``None`` when cleared).
    """

    map_changed = Signal(object)

    def __init__(
        self, workspace: Workspace, overlay: ViewOverlay, parent: QWidget | None = None
    ) -> None:
        super().__init__("Map of where starts lead", workspace, overlay, parent)
        self.setObjectName("basins_dock")
        self.setToolTip(
            "Which maximum EM reaches from each start: starts of the same colour lead to the "
            "same solution (a basin of attraction)."
        )
        self.bmap: BasinMap | None = None
        self._kind = ""  # "1d" or "2d" of the map shown
        self._pending_kind = ""
        #: The map drawn over the main plot (2-D), or None.
        self.overlay: pg.ImageItem | None = None
        self._build()
        workspace.session.snapshot_changed.connect(self._on_snapshot)
        workspace.state_changed.connect(self._on_snapshot)
        self.refresh_mode()
        self.sync_running()

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

        self.compute_button = QPushButton("Compute map")
        self.compute_button.setObjectName("basins_compute")
        self.compute_button.setToolTip("Run EM from every cell of the grid, in the background.")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button.setObjectName("basins_cancel")
        self.cancel_button.setToolTip("Stop; the cells done so far are shown.")
        self.progress_bar.setObjectName("basins_progress")
        self.progress_bar.setToolTip("EM runs finished so far.")
        self.progress_bar.setFormat("%v of %m runs")
        layout.addLayout(self.run_row(self.compute_button))

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
        stepper = self.workspace.session.stepper
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

    def about_to_show(self) -> None:
        """Bring the explanation and the controls up to date before the dock shows."""
        self.refresh_mode()

    def refresh_mode(self) -> None:
        """Explain what can be mapped for the data and start open now; enable the controls."""
        stepper = self.workspace.session.stepper
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
            selected = self.view_overlay.selected_component()
            self.component_combo.setCurrentIndex(
                selected if 0 <= selected < n else min(current, n - 1)
            )
        self.compute_button.setEnabled(not problem and not self.running)
        self._update_marker()

    # ------------------------------------------------------------------ computing
    @Slot()
    def compute(self) -> None:
        """Compute the map for the data and start open now."""
        problem = self.problem()
        if problem:
            self.status.setText(problem)
            return
        stepper = self.workspace.session.stepper
        assert stepper is not None and stepper.start is not None
        X = stepper.X
        start: Mixture = stepper.start
        n = int(self.grid_spin.value())
        options = {"covariance_type": stepper.covariance_type, "reg_covar": stepper.reg_covar}
        if stepper.n_features == 1:
            grid = np.linspace(float(X.min()), float(X.max()), n)
            kind = "1d"

            def work(progress, should_cancel):  # noqa: ANN001, ANN202 - the job runner's Work
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
            visible = self.view_overlay.view_range()
            if visible is None:
                return
            (x0, x1), (y0, y1) = visible
            grid_x = np.linspace(x0, x1, n)
            grid_y = np.linspace(y0, y1, n)
            component = max(int(self.component_combo.currentIndex()), 0)
            kind = "2d"

            def work(progress, should_cancel):  # noqa: ANN001, ANN202 - the job runner's Work
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
        self.status.setText(f"Running EM from {n * n} starts…")
        self.start_work(work, total=n * n)

    def on_running(self, running: bool) -> None:
        """Compute map is for when no map is being made and one can be."""
        self.compute_button.setEnabled(not running and not self.problem())

    def on_result(self, result: object) -> None:
        """Show the map made (whole, or the cells done before Cancel)."""
        assert isinstance(result, BasinMap)
        self.set_map(result, self._pending_kind)

    def on_failure(self, message: str) -> None:
        """Say why the map could not be made."""
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
            self.map_plot.setLabel("bottom", f"start mean 1 ({escape_markup(column)})")
            self.map_plot.setLabel("left", f"start mean 2 ({escape_markup(column)})")
            self.map_plot.setAspectLocked(True)
            v = bmap.row_values
            self.diagonal.setData([v[0], v[-1]], [v[0], v[-1]])
        else:
            columns = self._columns()
            k = bmap.components[0] + 1
            self.map_plot.setLabel("bottom", f"start of mean {k}: {escape_markup(columns[0])}")
            self.map_plot.setLabel("left", f"start of mean {k}: {escape_markup(columns[1])}")
            self.map_plot.setAspectLocked(False)
            self.diagonal.setData([], [])
            self._show_overlay(rgba, rect)
        self.map_plot.setRange(rect, padding=0.02)
        self._fill_legend(bmap)
        self._update_marker()
        self.status.setText(map_summary(bmap))
        self.clear_button.setEnabled(self.overlay is not None)
        self.map_changed.emit(bmap)

    def _columns(self) -> list[str]:
        dataset = self.workspace.dataset
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
        rows = legend_rows(bmap, self._columns())
        self.legend.setRowCount(len(rows))
        for r, (color, name, ll, count, tip) in enumerate(rows):
            swatch = QPixmap(14, 14)
            swatch.fill(color)
            first = QTableWidgetItem(name)
            first.setIcon(swatch)
            for c, item in enumerate((first, QTableWidgetItem(ll), QTableWidgetItem(count))):
                item.setToolTip(tip)
                self.legend.setItem(r, c, item)

    # ------------------------------------------------------------------ overlay on the main view
    def _show_overlay(self, rgba: np.ndarray, rect: QRectF) -> None:
        # behind the fills (-10), the points (0) and the outlines
        self.overlay = self.view_overlay.add_image(rgba, rect, opacity=OVERLAY_OPACITY, z=-30)

    @Slot()
    def clear_overlay(self) -> None:
        """Remove the overlay from the main view."""
        item, self.overlay = self.overlay, None
        self.view_overlay.remove(item)
        self.clear_button.setEnabled(False)

    # ------------------------------------------------------------------ the current start
    @Slot(object)
    def _on_snapshot(self, _snap: object = None) -> None:
        self.refresh_mode()

    def is_stale(self) -> bool:
        """True when the current start differs from the map's in what the map holds fixed."""
        bmap = self.bmap
        stepper = self.workspace.session.stepper
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
        stepper = self.workspace.session.stepper
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
        session = self.workspace.session
        if bmap is None or session.stepper is None:
            return
        mixture = bmap.start_at(row, col)
        if mixture.n_features != session.stepper.n_features:
            return
        session.set_start(mixture, StartInfo("edited", mixture.n_components))
        session.play()
        solution = bmap.solution_at(row, col)
        if solution is not None:
            number = solution_numbers(bmap)[bmap.solutions.index(solution)]
            if number is None:
                self.status.setText(
                    "EM started from this cell: a Gaussian should collapse onto a point "
                    "(a degenerate solution, not a maximum)."
                )
            else:
                self.status.setText(
                    f"EM started from this cell: it should reach solution {number} "
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
    def on_data_changed(self) -> None:
        """A map of the old data is not shown."""
        self.set_map(None)
        self.refresh_mode()

    def on_closed(self) -> None:
        """Closing the dock removes the overlay."""
        self.clear_overlay()
