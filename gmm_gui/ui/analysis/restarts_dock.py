"""Analyse > Restarts: many EM runs from random starts, ranked and grouped by the maximum reached.

EM climbs to a local maximum that depends on its start; the remedy is to start many times and
keep the best. The dock runs :func:`gmm_gui.model.run_restarts` in the background and shows the
final log-likelihoods ranked, runs that reached the same maximum grouped and counted ("×14"), as
a table and a small chart. Clicking a group (or a dot) loads that run's start into the session
and runs EM from it to its result; "Replay" animates the climb; "Use best" keeps the best run.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
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
    QVBoxLayout,
    QWidget,
)

from gmm_gui.controller.stepper import StartInfo
from gmm_gui.controller.workspace import Workspace
from gmm_gui.model import (
    RUN_MAX_ITER,
    RUN_TOL,
    Prior,
    RestartRun,
    RestartsResult,
    run_restarts,
)
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.analysis.restarts_groups import (
    GROUP_COLORS,
    fill_groups_table,
    group_color,
    place_count_labels,
)
from gmm_gui.ui.colors import component_colors
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views.axes import grid_axes

__all__ = ["GROUP_COLORS", "RestartsDock", "group_color"]

#: Start kinds offered, as (engine name, label).
START_KINDS: tuple[tuple[str, str], ...] = (
    ("random", "Random"),
    ("kmeans++", "k-means++"),
    ("random_from_data", "From data"),
)


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


class RestartsDock(AnalysisDock):
    """The Restarts dock.

    Parameters
    ----------
    workspace : Workspace
        The data, the session and the start options (K) the runs use.
    overlay : ViewOverlay
        The main plot, where the loaded run's start is marked.
    parent : QWidget, optional

    Signals
    -------
    result_changed(object)
        A new :class:`~gmm_gui.model.RestartsResult` is shown (or ``None`` when cleared).
    """

    result_changed = Signal(object)

    def __init__(
        self, workspace: Workspace, overlay: ViewOverlay, parent: QWidget | None = None
    ) -> None:
        super().__init__("Restarts: many starts, many maxima", workspace, overlay, parent)
        self.setObjectName("restarts_dock")
        self.setToolTip(
            "EM climbs to a local maximum that depends on where it starts. Run it from many "
            "random starts and compare where they end."
        )
        self.result: RestartsResult | None = None
        self._ranked: list[RestartRun] = []
        self.loaded: RestartRun | None = None
        self.start_markers: pg.ScatterPlotItem | None = None
        self._build()
        workspace.state_changed.connect(self._update_k_label)
        workspace.session.snapshot_changed.connect(self._on_snapshot)
        self._update_k_label()
        self.sync_running()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)

        form = QFormLayout()
        self.n_spin = QSpinBox()
        self.n_spin.setObjectName("restarts_n")
        self.n_spin.setRange(2, 500)
        self.n_spin.setValue(20)
        self.n_spin.setToolTip("How many times EM is run, each from its own random start.")
        form.addRow(self._label("Runs", self.n_spin.toolTip()), self.n_spin)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("restarts_kind")
        for kind, label in START_KINDS:
            self.kind_combo.addItem(label, kind)
        current = self.kind_combo.findData(self.workspace.start_options.method)
        self.kind_combo.setCurrentIndex(current if current >= 0 else 1)
        self.kind_combo.setToolTip(
            "How each random start is drawn: Random (random responsibilities, so every mean "
            "starts near the middle), k-means++ (means spread over the data), From data (means "
            "at random data points)."
        )
        form.addRow(self._label("Starts", self.kind_combo.toolTip()), self.kind_combo)
        self.k_label = QLabel()
        self.k_label.setObjectName("restarts_k")
        self.k_label.setToolTip("Number of Gaussians, taken from the K box in the toolbar.")
        form.addRow(self._label("K", self.k_label.toolTip()), self.k_label)
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("restarts_seed")
        self.seed_spin.setRange(0, 2_147_483_647)
        self.seed_spin.setValue(0)
        self.seed_spin.setToolTip(
            "Seed of the whole set of runs: the same seed gives the same starts again."
        )
        form.addRow(self._label("Seed", self.seed_spin.toolTip()), self.seed_spin)
        layout.addLayout(form)

        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("restarts_run")
        self.run_button.setToolTip("Run EM from every start, in the background.")
        self.run_button.clicked.connect(self.run)
        self.cancel_button.setObjectName("restarts_cancel")
        self.cancel_button.setToolTip("Stop; the runs finished so far are kept and shown.")
        self.progress_bar.setObjectName("restarts_progress")
        self.progress_bar.setToolTip("Runs finished so far.")
        self.progress_bar.setFormat("%v of %m runs")
        layout.addLayout(self.run_row(self.run_button))

        self.status = QLabel("Press Run to fit the data from many random starts.")
        self.status.setObjectName("restarts_status")
        self.status.setWordWrap(True)
        self.status.setToolTip("What the runs found.")
        layout.addWidget(self.status)

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("restarts_table")
        # a short header, said in full in its tooltip: the dock is narrow
        self.table.setHorizontalHeaderLabels(["Rank", "Log-lik.", "Runs", "Iterations"])
        self.table.horizontalHeaderItem(0).setToolTip("1 is the best maximum found.")
        self.table.horizontalHeaderItem(1).setToolTip(
            "Log-likelihood: the final mean log-likelihood per point of the group's best run "
            "(higher is better)."
        )
        self.table.horizontalHeaderItem(2).setToolTip(
            "How many runs ended at this same maximum (same log-likelihood and same means, "
            "whatever the order of the Gaussians)."
        )
        self.table.horizontalHeaderItem(3).setToolTip(
            "How many EM iterations the group's runs took (fewest to most); "
            "'(2 stopped)': two of them stopped at max_iter without converging."
        )
        self.table.setToolTip(
            "The distinct maxima the runs reached, best first. Click a row to load its best "
            "run's start and show where EM goes from it."
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the last column takes the room left (a stretched last section would not shrink below
        # the default section size, 100 px, and push the table past the dock's edge)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._on_row_clicked)
        layout.addWidget(self.table, 2)

        self.chart = pg.PlotWidget(axisItems=grid_axes())
        self.chart.setObjectName("restarts_chart")
        self.chart.setBackground("w")
        self.chart.setMinimumHeight(150)
        self.chart.setLabel("bottom", "run, ranked by final log-likelihood")
        self.chart.setLabel("left", "log-lik. / point")
        self.chart.setMenuEnabled(False)
        self.chart.hideButtons()
        self.chart.setToolTip(
            "Each dot is one run's final log-likelihood, best on the left; runs that reached "
            "the same maximum share a colour. The star is the best run. Click a dot to load "
            "that run."
        )
        self.chart.showGrid(x=False, y=True, alpha=0.3)
        self.dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=0.5))
        self.dots.sigClicked.connect(self._on_dot_clicked)
        self.best_marker = pg.ScatterPlotItem(
            size=18, symbol="star", brush=pg.mkBrush("#FFD400"), pen=pg.mkPen("k", width=1)
        )
        self.best_marker.setZValue(5)
        self.chart.addItem(self.dots)
        self.chart.addItem(self.best_marker)
        self._group_labels: list[pg.TextItem] = []
        self.chart.getViewBox().sigResized.connect(self._place_group_labels)
        layout.addWidget(self.chart, 2)

        row = QHBoxLayout()
        self.replay_button = QPushButton("Replay")
        self.replay_button.setObjectName("restarts_replay")
        self.replay_button.setToolTip(
            "Back to the loaded run's start and play EM again, half-step by half-step, to "
            "watch it climb to its maximum."
        )
        self.replay_button.clicked.connect(self.workspace.session.replay)
        self.best_button = QPushButton("Use best")
        self.best_button.setObjectName("restarts_best")
        self.best_button.setToolTip(
            "Keep the run with the highest log-likelihood: load its start and run EM to its "
            "result (undo with Edit > Undo)."
        )
        self.best_button.clicked.connect(self.use_best)
        row.addWidget(self.replay_button)
        row.addWidget(self.best_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.setWidget(body)

    @staticmethod
    def _label(text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    # ------------------------------------------------------------------ running
    @Slot()
    def run(self) -> None:
        """Start the runs with the dock's settings and the start options' K."""
        stepper = self.workspace.session.stepper
        if stepper is None:
            self.status.setText("Open a data file first (File > Open or File > Samples).")
            return
        X = stepper.X
        n_components = int(self.workspace.start_options.n_components)
        n_starts = int(self.n_spin.value())
        init = str(self.kind_combo.currentData())
        seed = int(self.seed_spin.value())
        covariance_type = stepper.covariance_type
        reg_covar = stepper.reg_covar
        # Every run climbs until it has truly converged (issue #11), far tighter than the
        # animation's tol; a run loaded from the list is run in the window to the same rule
        # (show_run), so it ends where the list says.
        tol, max_iter = RUN_TOL, RUN_MAX_ITER
        prior = Prior.default(X, n_components) if stepper.prior else None
        self.status.setText(f"Running EM from {n_starts} {self.kind_combo.currentText()} starts…")

        def work(progress, should_cancel):  # noqa: ANN001, ANN202 - the job runner's Work
            return run_restarts(
                X,
                n_components,
                n_starts,
                init,
                covariance_type=covariance_type,
                seed=seed,
                reg_covar=reg_covar,
                tol=tol,
                max_iter=max_iter,
                progress=progress,
                should_cancel=should_cancel,
                prior=prior,
            )

        self.start_work(work, total=n_starts)

    def on_running(self, running: bool) -> None:
        """Run, Replay and Use best are for when no runs are being made."""
        self.run_button.setEnabled(not running)
        has = self.result is not None and bool(self.result.runs)
        self.best_button.setEnabled(has and not running)
        self.replay_button.setEnabled(has and not running)

    def on_result(self, result: object) -> None:
        """Show the runs made (all of them, or those done before Cancel)."""
        assert isinstance(result, RestartsResult)
        self.set_result(result)

    def on_failure(self, message: str) -> None:
        """Say why the runs stopped."""
        self.status.setText(f"The runs stopped: {message}")

    # ------------------------------------------------------------------ showing
    def set_result(self, result: RestartsResult | None) -> None:
        """Show ``result`` in the table and the chart (``None`` clears them)."""
        self.result = result
        self.clear_start_markers()
        self._ranked = [] if result is None else result.ranked()
        self._fill_table()
        self._fill_chart()
        self.status.setText(self._summary())
        self.sync_running()
        self.result_changed.emit(result)

    def _summary(self) -> str:
        result = self.result
        if result is None:
            return "Press Run to fit the data from many random starts."
        done = len(result.runs)
        if done == 0:
            return "Cancelled before any run finished."
        head = (
            f"Cancelled after {done} of {result.n_starts} runs. "
            if result.cancelled
            else f"{done} runs. "
        )
        head += (
            f"EM ran to tol = {result.tol:g} (at most {result.max_iter} iterations"
            + (", with the prior" if result.prior is not None else "")
            + "). "
        )
        best_run = result.best
        if best_run is None:
            return head + (
                "Every run was degenerate: a Gaussian collapsed in each, so there is no maximum "
                "to keep. Turn on the prior or raise reg_covar."
            )
        set_aside = result.n_degenerate_set_aside
        aside = f" {_runs(set_aside)} degenerate (collapsed), set aside." if set_aside else ""
        best = result.groups[result.group_of(best_run.index)]
        maxima = sum(not g.degenerate and g.converged for g in result.groups)
        others = len(result.groups) - maxima
        if len(result.groups) == 1:
            return head + "Every run reached the same maximum." + aside
        ends = ""
        if others:
            ends = f" and {others} other end{'' if others == 1 else 's'} (degenerate, or stopped "
            ends += "at max_iter)"
        return (
            head + f"They reached {maxima} different maxima{ends}; the best "
            f"({best.best_log_likelihood:.4f} per point) by {best.count} of {done}.{aside} "
            "Click a row to see where a run ends."
        )

    def _fill_table(self) -> None:
        fill_groups_table(self.table, self.result)

    def _fill_chart(self) -> None:
        for label in self._group_labels:
            self.chart.removeItem(label)
        self._group_labels.clear()
        result = self.result
        if result is None or not self._ranked:
            self.dots.setData([], [])
            self.best_marker.setData([], [])
            return
        ranked = self._ranked
        x = np.arange(1, len(ranked) + 1, dtype=float)
        y = np.array([r.mean_log_likelihood for r in ranked], dtype=float)
        finite = np.isfinite(y)
        positions = [result.group_of(r.index) for r in ranked]
        # A degenerate run is a hollow ring (no maximum there), a run stopped by max_iter a
        # triangle; a converged proper run a filled dot.
        brushes = [
            pg.mkBrush(None) if r.degenerate else pg.mkBrush(group_color(p))
            for r, p in zip(ranked, positions, strict=True)
        ]
        pens = [
            pg.mkPen(group_color(p), width=2) if r.degenerate else pg.mkPen("w", width=0.5)
            for r, p in zip(ranked, positions, strict=True)
        ]
        symbols = ["t" if not r.converged else "o" for r in ranked]
        keep = [bool(f) for f in finite]
        self.dots.setData(
            x=x[finite],
            y=y[finite],
            brush=[b for b, f in zip(brushes, keep, strict=True) if f],
            pen=[p for p, f in zip(pens, keep, strict=True) if f],
            symbol=[m for m, f in zip(symbols, keep, strict=True) if f],
            data=[r.index for r, f in zip(ranked, keep, strict=True) if f],
        )
        best = result.best
        if best is None:
            self.best_marker.setData([], [])
        else:
            i = next(j for j, r in enumerate(ranked) if r.index == best.index)
            self.best_marker.setData(x=[x[i]], y=[y[i]], data=[best.index])
        seen: set[int] = set()
        for xi, yi, p in zip(x, y, positions, strict=True):
            if p in seen or not np.isfinite(yi):
                continue
            seen.add(p)
            group = result.groups[p]
            label = pg.TextItem(
                f"×{group.count}", color=group_color(p).darker(120), anchor=(0, 1.1)
            )
            label.setPos(float(xi), float(yi))
            self.chart.addItem(label)
            self._group_labels.append(label)
        span = float(np.ptp(y[finite])) if finite.any() else 1.0
        pad = 0.15 * span if span > 0 else 0.05
        self.chart.setXRange(0.5, len(ranked) + 1.5, padding=0)
        if finite.any():
            self.chart.setYRange(float(y[finite].min()) - pad, float(y[finite].max()) + pad)
        self._place_group_labels()

    def _place_group_labels(self, *_args: object) -> None:
        place_count_labels(self.chart.getViewBox(), self._group_labels)

    @Slot(object)
    def _update_k_label(self, _state: object = None) -> None:
        k = self.workspace.start_options.n_components
        self.k_label.setText(f"{k}  (the K box in the toolbar)")

    # ------------------------------------------------------------------ loading runs
    def run_by_index(self, index: int) -> RestartRun:
        """The run with ``index`` (its position in the order made)."""
        assert self.result is not None
        for run in self.result.runs:
            if run.index == index:
                return run
        raise KeyError(index)

    def show_run(self, run: RestartRun, *, to_result: bool = True) -> None:
        """Load ``run``'s start into the session and (by default) run EM to its result, with
        the runs' own stopping rule (``result.tol``, ``result.max_iter``), so that it ends
        where the list says."""
        session = self.workspace.session
        result = self.result
        if session.stepper is None or result is None:
            return
        info = StartInfo(result.init, run.start.n_components, run.seed)
        # The window's stopping rule becomes the runs' own, so that the toolbar says what the
        # run shown used and Replay climbs the same way (one undoable settings change).
        before = self.workspace.settings
        self.workspace.set_settings(replace(before, tol=result.tol, max_iter=result.max_iter))
        session.set_start(run.start, info)
        if to_result:
            session.run_to_convergence()
        self._show_start_markers(run)
        position = result.group_of(run.index)
        changed = (before.tol, before.max_iter) != (result.tol, result.max_iter)
        self.status.setText(
            f"Run #{run.index + 1} (solution {position + 1}, log-likelihood "
            f"{run.mean_log_likelihood:.4f} per point) loaded and run to tol = {result.tol:g} "
            f"as the runs were (at most {result.max_iter} iterations)"
            + (
                f"; the toolbar's tol and max_iter are set to these (they were {before.tol:g} "
                f"and {before.max_iter}: Undo restores them)"
                if changed
                else ""
            )
            + ". The crosses mark where its means started (the first state of the timeline); "
            "press Replay to watch EM climb from it."
        )

    def show_group(self, position: int) -> None:
        """Load the best run of group ``position`` (0 = the best maximum)."""
        if self.result is None or not 0 <= position < len(self.result.groups):
            return
        self.table.selectRow(position)
        self.show_run(self.result.groups[position].representative)

    @Slot()
    def use_best(self) -> None:
        """Load the best run that is not degenerate and run EM to its result."""
        result = self.result
        if result is None or not result.runs:
            return
        best = result.best
        if best is None:
            self.status.setText(
                f"Every run was degenerate ({_runs(len(result.runs))}: a Gaussian collapsed in "
                "each), so there is no best maximum to load. Turn on the prior or raise "
                "reg_covar, and Run again."
            )
            return
        self.table.selectRow(result.group_of(best.index))
        self.show_run(best)
        set_aside = result.n_degenerate_set_aside
        if set_aside:
            self.status.setText(
                self.status.text() + f" {_runs(set_aside)} degenerate set aside."
            )

    def _show_start_markers(self, run: RestartRun) -> None:
        """Mark where ``run``'s means started on the main view (crosses in their colours)."""
        self.clear_start_markers()
        if not self.view_overlay.has_view():
            return
        means = np.asarray(run.start.means, dtype=float)
        x = means[:, 0]
        y = means[:, 1] if means.shape[1] > 1 else np.zeros(means.shape[0])
        colors = component_colors(means.shape[0])
        self.start_markers = self.view_overlay.add_markers(
            x,
            y,
            symbol="x",
            size=20,
            pen=pg.mkPen("k", width=1),
            brushes=[pg.mkBrush(*c) for c in colors],
            z=40,
        )
        self.loaded = run

    def clear_start_markers(self) -> None:
        """Remove the start crosses from the main view."""
        item, self.start_markers = self.start_markers, None
        self.loaded = None
        self.view_overlay.remove(item)

    @Slot(object)
    def _on_snapshot(self, _snap: object) -> None:
        stepper = self.workspace.session.stepper
        run = self.loaded
        if run is None:
            return
        start = None if stepper is None else stepper.start
        if start is None or not (
            start.means.shape == run.start.means.shape
            and np.array_equal(start.means, run.start.means)
            and np.array_equal(start.covariances, run.start.covariances)
        ):
            self.clear_start_markers()  # the start was changed: the crosses no longer apply

    @Slot(int, int)
    def _on_row_clicked(self, row: int, _column: int) -> None:
        self.show_group(row)

    def _on_dot_clicked(self, _item: object, points: object) -> None:
        points = list(points)  # type: ignore[call-overload]
        if points and self.result is not None:
            run = self.run_by_index(int(points[0].data()))
            self.table.selectRow(self.result.group_of(run.index))
            self.show_run(run)

    # ------------------------------------------------------------------ lifecycle
    def on_data_changed(self) -> None:
        """Runs of the old data are not shown."""
        self.set_result(None)

    def on_closed(self) -> None:
        """Closing the dock removes the start crosses."""
        self.clear_start_markers()
