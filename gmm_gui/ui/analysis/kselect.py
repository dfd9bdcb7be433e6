"""Choosing K: BIC, AIC and held-out log-likelihood against K, one curve per covariance type.

Analyse > "Choose K…" opens a dock. "Compute" fits K = 1 .. K max for each covariance type
ticked (:func:`gmm_gui.model.choose_k`, in the background with progress and Cancel; the held-out
score uses a fixed 20% of the points). A selector picks the criterion drawn: BIC and AIC are
better when lower, the held-out log-likelihood per point when higher. The best K of each type
is ringed and the best of all is a star.

Clicking a point loads that fitted model as the window's *start* (undoable with Edit > Undo):
the plot shows it at once, and E/M or Play then run the window's EM (full covariances) from it,
which for a full-covariance model stays where it is (it is already a maximum), while a
constrained one (diag, spherical, tied) relaxes into a full-covariance fit.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gmm_gui.controller.workspace import Workspace
from gmm_gui.model import COVARIANCE, COVARIANCE_TYPES, KSelection, choose_k
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views.axes import AXIS_NAMES, grid_axes
from gmm_gui.ui.views.base import label_style, style_plot

__all__ = ["CRITERIA", "COVARIANCE_TYPES", "ChooseKDock"]

#: (engine name, text in the selector, y-axis label)
CRITERIA = (
    ("bic", "BIC (lower is better)", "BIC"),
    ("aic", "AIC (lower is better)", "AIC"),
    ("heldout", "held-out log-likelihood (higher is better)", "held-out log-lik. per point"),
)
#: (pen colour, dash style, symbol) per covariance type: not the component colours.
_TYPE_STYLE = {
    "full": ((30, 30, 30), Qt.PenStyle.SolidLine, "o"),
    "diag": ((0, 110, 110), Qt.PenStyle.DashLine, "s"),
    "spherical": ((130, 60, 150), Qt.PenStyle.DotLine, "t1"),
    "tied": ((150, 90, 20), Qt.PenStyle.DashDotLine, "d"),
}


class ChooseKDock(AnalysisDock):
    """The Choose K dock.

    Parameters
    ----------
    workspace : Workspace
        The data scored, and the session a chosen model is loaded into.
    overlay : ViewOverlay
        Not drawn on (every dock is given one).
    parent : QWidget, optional

    Signals
    -------
    candidate_loaded(str, int)
        The model of this covariance type and K was loaded as the start.
    """

    candidate_loaded = Signal(str, int)

    HIDE_PROGRESS_WHEN_IDLE = False
    CANCEL_ON_CLOSE = False

    def __init__(
        self, workspace: Workspace, overlay: ViewOverlay, parent: QWidget | None = None
    ) -> None:
        super().__init__("Choose K", workspace, overlay, parent)
        self.setObjectName("choose_k_dock")
        self.selection: KSelection | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)

        row = QHBoxLayout()
        row.addWidget(QLabel("K from 1 to"))
        self.k_max_spin = QSpinBox()
        self.k_max_spin.setRange(1, 10)
        self.k_max_spin.setValue(6)
        row.addWidget(self.k_max_spin)
        row.addStretch(1)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Covariances"))
        self.type_boxes: dict[str, QCheckBox] = {}
        for name in COVARIANCE_TYPES:
            box = QCheckBox(name)
            box.setChecked(True)
            box.setToolTip(_TYPE_TIPS[name])
            self.type_boxes[name] = box
            row.addWidget(box)
        row.addStretch(1)
        layout.addLayout(row)

        self.run_button = QPushButton("Compute")
        self.run_button.setToolTip("Fit every K and covariance type (3 starts each)")
        self.cancel_button.setEnabled(False)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setValue(0)
        layout.addLayout(self.run_row(self.run_button))

        row = QHBoxLayout()
        row.addWidget(QLabel("Criterion"))
        self.criterion_combo = QComboBox()
        self.criterion_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.criterion_combo.setMinimumContentsLength(18)
        for key, text, _ in CRITERIA:
            self.criterion_combo.addItem(text, key)
        row.addWidget(self.criterion_combo, 1)
        layout.addLayout(row)

        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground("w")
        self.plot_widget.setMinimumSize(300, 240)
        self.plot = self.plot_widget.addPlot(row=0, col=0, axisItems=grid_axes(AXIS_NAMES))
        style_plot(self.plot)
        # the y range can be zoomed with the wheel (a far-off K = 1 squeezes the rest)
        self.plot.setMouseEnabled(x=False, y=True)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "K (number of Gaussians)", **label_style())
        # the legend in a row of its own under the plot: it never covers a curve
        self.legend = pg.LegendItem(colCount=5, labelTextColor=(40, 40, 40), frame=False)
        self.plot_widget.addItem(self.legend, row=1, col=0)
        layout.addWidget(self.plot_widget, 1)
        self.summary = QLabel("Press Compute to score K = 1, 2, … for the data.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        hint = QLabel("Click a point to load that model as the start (Edit > Undo goes back).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)
        body.setMaximumWidth(460)
        self.setWidget(body)

        self.curves: dict[str, pg.PlotDataItem] = {}
        self.points: dict[str, pg.ScatterPlotItem] = {}
        self._best_items: list[pg.GraphicsObject] = []
        #: Hollow markers of the degenerate candidates (no BIC), per covariance type.
        self.degenerate_points: dict[str, pg.ScatterPlotItem] = {}

        self.run_button.clicked.connect(self.run)
        self.criterion_combo.currentIndexChanged.connect(self.redraw)

    # ------------------------------------------------------------------ running
    def covariance_types(self) -> tuple[str, ...]:
        """The covariance types ticked."""
        return tuple(n for n in COVARIANCE_TYPES if self.type_boxes[n].isChecked())

    @Slot()
    def run(self) -> None:
        """Start the computation for the data shown."""
        snap = self.workspace.session.snapshot
        types = self.covariance_types()
        if snap is None:
            self.summary.setText("Open some data first.")
            return
        if not types:
            self.summary.setText("Tick at least one covariance type.")
            return
        X = np.array(snap.X, dtype=np.float64)
        k_max = self.k_max_spin.value()
        self.summary.setText(f"Fitting K = 1 … {k_max} for {', '.join(types)} …")
        # The model settings' regularisation; the fits climb to the engine's own tolerance.
        options = {"reg_covar": self.workspace.settings.reg_covar}

        def work(progress: object, should_cancel: object) -> KSelection:
            return choose_k(
                X, k_max, types, seed=0, progress=progress, should_cancel=should_cancel, **options
            )

        self.start_work(work, total=len(types) * k_max)

    def on_running(self, running: bool) -> None:
        """Compute is for when nothing is being computed."""
        self.run_button.setEnabled(not running)

    def on_result(self, result: object) -> None:
        """Show the scores computed (all, or those done before Cancel)."""
        assert isinstance(result, KSelection)
        self.set_selection(result)

    def on_failure(self, message: str) -> None:
        """Say why K could not be scored."""
        self.summary.setText(f"Could not score K: {message}")

    def on_data_changed(self) -> None:
        """Scores of the old data are not shown."""
        self.set_selection(None)
        self.summary.setText("Press Compute to score K = 1, 2, … for the data.")

    # ------------------------------------------------------------------ drawing
    def criterion(self) -> str:
        """The criterion drawn: "bic", "aic" or "heldout"."""
        return str(self.criterion_combo.currentData())

    def set_selection(self, selection: KSelection | None) -> None:
        """Show the scores of ``selection`` (None clears the plot)."""
        self.selection = selection
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        """Draw the curves of the chosen criterion."""
        for item in [*self.curves.values(), *self.points.values(), *self._best_items]:
            self.plot.removeItem(item)
        self.curves.clear()
        self.points.clear()
        self._best_items = []
        self.degenerate_points = {}
        self.legend.clear()
        selection = self.selection
        criterion = self.criterion()
        ylabel = next(label for key, _, label in CRITERIA if key == criterion)
        self.plot.setLabel("left", ylabel, **label_style())
        if selection is None:
            return
        for cov_type in selection.covariance_types:
            ks, values = selection.curve(criterion, cov_type)
            if not len(ks):
                continue
            rgb, dash, symbol = _TYPE_STYLE[cov_type]
            curve = pg.PlotDataItem(
                ks, values, pen=pg.mkPen(rgb, width=2, style=dash), connect="finite"
            )
            self.plot.addItem(curve)
            self.legend.addItem(curve, cov_type)
            ok = np.isfinite(values)
            scatter = pg.ScatterPlotItem(
                ks[ok].astype(float),
                values[ok],
                data=[(cov_type, int(k)) for k in ks[ok]],
                symbol=symbol,
                size=10,
                pen=pg.mkPen(rgb, width=1.5),
                brush=pg.mkBrush(255, 255, 255),
                hoverable=True,
                hoverSize=14,
                tip=_point_tip,
            )
            scatter.sigClicked.connect(self._on_point_clicked)
            self.plot.addItem(scatter)
            self.curves[cov_type] = curve
            self.points[cov_type] = scatter
            best = selection.best(criterion, cov_type)
            if best is not None:
                ring = pg.ScatterPlotItem(
                    [float(best.n_components)],
                    [best.value(criterion)],
                    symbol="o",
                    size=20,
                    pen=pg.mkPen(rgb, width=2),
                    brush=None,
                )
                ring.setZValue(-1)
                self.plot.addItem(ring)
                self._best_items.append(ring)
            self._draw_degenerate(selection, criterion, cov_type)
        overall = selection.best(criterion)
        if overall is not None:
            star = pg.ScatterPlotItem(
                [float(overall.n_components)],
                [overall.value(criterion)],
                symbol="star",
                size=24,
                pen=pg.mkPen(20, 20, 20, width=1.2),
                brush=pg.mkBrush(255, 200, 40),
            )
            star.setZValue(5)
            # The star sits over the best point and takes its clicks: it loads that model.
            star.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
            best_key = (overall.covariance_type, int(overall.n_components))
            star.sigClicked.connect(lambda *_: self.load(*best_key))
            self.plot.addItem(star)
            self._best_items.append(star)
            self.legend.addItem(star, "best")
        self.plot.getViewBox().setXRange(0.5, selection.k_max + 0.5, padding=0)
        self.plot.getAxis("bottom").setTicks([[(k, str(k)) for k in range(1, selection.k_max + 1)]])
        self.plot.enableAutoRange(axis="y")
        self.summary.setText(self._summary_text(selection))

    def _draw_degenerate(self, selection: KSelection, criterion: str, cov_type: str) -> None:
        """Hollow markers at the raw BIC (AIC) of the degenerate candidates, which have none."""
        if criterion not in ("bic", "aic"):
            return
        cands = [
            c
            for c in selection.candidates
            if c.covariance_type == cov_type and c.degenerate
            and np.isfinite(getattr(c, f"raw_{criterion}"))
        ]
        if not cands:
            return
        rgb = _TYPE_STYLE[cov_type][0]
        name = criterion.upper()
        hollow = pg.ScatterPlotItem(
            [float(c.n_components) for c in cands],
            [float(getattr(c, f"raw_{criterion}")) for c in cands],
            data=[(cov_type, int(c.n_components)) for c in cands],
            symbol="o",
            size=11,
            pen=pg.mkPen(rgb, width=1.5, style=Qt.PenStyle.DotLine),
            brush=None,
            hoverable=True,
            tip=lambda x, y, data: (
                f"K = {data[1]}, {data[0]}: degenerate: {name} not defined, as in mclust "
                f"(from its likelihood: {y:.6g})"
            ),
        )
        hollow.setZValue(-2)
        self.plot.addItem(hollow)
        self._best_items.append(hollow)
        self.degenerate_points[cov_type] = hollow

    @staticmethod
    def _summary_text(selection: KSelection) -> str:
        parts = []
        for key, _, name in CRITERIA:
            best = selection.best(key)
            if best is not None:
                label = "held-out" if key == "heldout" else name
                parts.append(f"{label}: K = {best.n_components} ({best.covariance_type})")
        text = "Best by " + "; ".join(parts) + "." if parts else "No model could be fitted."
        if selection.cancelled:
            text = "Cancelled: only the models fitted so far are shown. " + text
        return text

    # ------------------------------------------------------------------ loading
    def _on_point_clicked(self, item: pg.ScatterPlotItem, points: object, ev: object) -> None:
        if len(points):
            cov_type, k = points[0].data()
            self.load(cov_type, k)

    def load(self, covariance_type: str, n_components: int) -> bool:
        """Load the fitted model of this type and K as the window's start (undoable)."""
        if self.selection is None:
            return False
        cand = self.selection.get(covariance_type, n_components)
        if cand is None or cand.mixture is None:
            return False
        self.workspace.session.set_start(cand.mixture)
        self.view_overlay.show_message(
            f"Loaded K = {n_components} ({covariance_type}) as the start; "
            "Edit > Undo returns to the previous start."
        )
        self.candidate_loaded.emit(covariance_type, int(n_components))
        return True


_TYPE_TIPS = {name: spec.description for name, spec in COVARIANCE.items()}


def _point_tip(x: float, y: float, data: object) -> str:
    cov_type, k = data
    return f"K = {k}, {cov_type}: {y:.6g}\nclick to load this model"

