"""Exploring a fit: sampling from it, k-means beside it, known labels, uncertainty and density.

:class:`ExploreTools` adds its actions to the Analyse menu it is given; it reads the data and
the session from the workspace and draws through the overlay API
(:class:`~gmm_gui.ui.overlay.ViewOverlay`: ``set_overlay_points``, ``set_color_override``,
``set_point_symbols``, ``set_marker_points``, ``set_density_map``, ``set_caption``). The choice
of K has its own dock (:mod:`gmm_gui.ui.analysis.kselect`).

- *Sample from the model*: N points drawn from the mixture shown, drawn over the data as dark
  crosses (2-D) or crosses in the data strip (1-D); they can be hidden again or exported as CSV.
- *Show k-means (hard) assignment*: k-means with the same K, beside EM
  (:mod:`gmm_gui.ui.analysis.kmeans_beside`): EM's colours stay on the main plot; a small plot
  in a dock shows every point in the colour of its k-means cluster, renamed to the EM component
  it overlaps most (Hungarian matching), the points where the two disagree ringed; the k-means
  centres are drawn as stars on both. The caption says on how many points they agree.
- *Show known labels*: a label column of the file (sex, species, ...) as marker shapes, the
  colours staying those of the fit, with a legend and the adjusted Rand index between the
  labels and the clusters (each point's most responsible component).
- *Show uncertainty*: every point coloured from light grey (sure) to dark red (1 minus its
  largest responsibility as large as it can be).
- *Show density* (2-D): the mixture's density as a heat map with contour lines behind the
  points, over the visible range.

Only uncertainty recolours the main plot's points; k-means sits beside, so both can be on.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from gmm_gui.controller.workspace import Workspace
from gmm_gui.io import atomic_write
from gmm_gui.model import (
    adjusted_rand_index,
    density_grid,
    hard_labels,
    sample,
    uncertainty,
)
from gmm_gui.ui import colors
from gmm_gui.ui.analysis.kmeans_beside import (
    KMeansBeside,
    align_to_components,
    component_mapping,
)
from gmm_gui.ui.overlay import ViewOverlay
from gmm_gui.ui.views.plot2d import DENSITY_LEVEL_FRACTIONS

if TYPE_CHECKING:
    from gmm_gui.controller.snapshot import Snapshot

__all__ = [
    "DENSITY_GRID",
    "ExploreTools",
    "align_to_components",
    "component_mapping",
]

#: Grid of the density heat map (points per side).
DENSITY_GRID = 160
_MAX_SAMPLES = 2_000_000


class ExploreTools(QObject):
    """The explore actions of the Analyse menu and the state behind them.

    Parameters
    ----------
    workspace : Workspace
        The data and the session explored (k-means of many points runs in a lane of its
        job runner).
    overlay : ViewOverlay
        The main plot, where the tools draw.
    menu : QMenu
        The Analyse menu: the tools' actions are added to it.
    parent : QWidget
        The parent of the tools and of their dialogs (the tools stop when it closes).

    Signals
    -------
    kmeans_finished(object)
        k-means run in the background for the data open has ended (its result).
    """

    kmeans_finished = Signal(object)

    def __init__(
        self, workspace: Workspace, overlay: ViewOverlay, menu: QMenu, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.view_overlay = overlay
        self._parent = parent
        self.samples: np.ndarray | None = None
        self.sample_labels: np.ndarray | None = None
        self.label_column: str | None = None
        self.ari: float | None = None
        self._label_codes: tuple | None = None
        #: k-means beside EM: its computing and its dock.
        self.kmeans = KMeansBeside(
            workspace, parent, lambda: self.kmeans_action.setChecked(False), overlay.show_problem
        )
        self.kmeans.finished.connect(self.kmeans_finished)
        self._symbols_key: tuple | None = None
        self._seed = 0

        self.sample_action = QAction("Sample from the model…", self)
        self.sample_action.setToolTip("Draw points from the mixture shown and plot them as crosses")
        self.hide_samples_action = QAction("Hide samples", self)
        self.export_samples_action = QAction("Export samples as CSV…", self)
        self.kmeans_action = QAction("Show k-means (hard) assignment", self, checkable=True)
        self.labels_menu = QMenu("Show known labels", parent)
        self.labels_group = QActionGroup(self)
        self.labels_group.setExclusive(True)
        self.uncertainty_action = QAction("Show uncertainty", self, checkable=True)
        self.density_action = QAction("Show density", self, checkable=True)

        menu.addSeparator()
        menu.addAction(self.sample_action)
        menu.addAction(self.hide_samples_action)
        menu.addAction(self.export_samples_action)
        menu.addSeparator()
        menu.addAction(self.kmeans_action)
        menu.addMenu(self.labels_menu)
        menu.addAction(self.uncertainty_action)
        menu.addAction(self.density_action)

        #: The note shown in the plot's corner (what the colours and shapes mean now).
        self.caption_text = ""

        self._density_timer = QTimer(self)
        self._density_timer.setSingleShot(True)
        self._density_timer.setInterval(80)
        self._density_timer.timeout.connect(self._update_density)

        self.sample_action.triggered.connect(self.sample_dialog)
        self.hide_samples_action.triggered.connect(self.hide_samples)
        self.export_samples_action.triggered.connect(self.export_samples_dialog)
        self.kmeans_action.toggled.connect(self._on_kmeans_toggled)
        self.uncertainty_action.toggled.connect(self._on_uncertainty_toggled)
        self.density_action.toggled.connect(self._on_density_toggled)
        self.labels_group.triggered.connect(self._on_label_chosen)
        workspace.data_changed.connect(self._on_data_changed)
        workspace.session.snapshot_changed.connect(self._on_snapshot)
        workspace.state_changed.connect(self._update_actions)
        overlay.range_changed.connect(self._on_range_changed)
        parent.installEventFilter(self)
        self._rebuild_labels_menu()
        self._update_actions()

    # ------------------------------------------------------------------ state
    def _snapshot(self) -> Snapshot | None:
        return self.workspace.session.snapshot

    @Slot(object)
    def _update_actions(self, _state: object = None) -> None:
        snap = self._snapshot()
        has_model = snap is not None and snap.mixture is not None
        self.sample_action.setEnabled(has_model)
        self.hide_samples_action.setEnabled(self.samples is not None)
        self.export_samples_action.setEnabled(self.samples is not None)
        self.kmeans_action.setEnabled(has_model or self.kmeans_action.isChecked())
        self.uncertainty_action.setEnabled(has_model or self.uncertainty_action.isChecked())
        two_d = snap is not None and snap.n_features == 2
        self.density_action.setEnabled(two_d)
        self.density_action.setToolTip(
            "" if two_d else "1-D data: the mixture density is the dark curve already drawn"
        )

    @Slot(object)
    def _on_data_changed(self, _dataset: object = None) -> None:
        self.samples = self.sample_labels = None
        self.kmeans.forget()  # for the data before: what it reports is dropped
        self._symbols_key = None
        self._label_codes = None
        self.label_column = None
        self.ari = None
        self.view_overlay.set_overlay_points(None)
        self.view_overlay.set_marker_points(None)
        self._rebuild_labels_menu()
        self._update_actions()

    @Slot(object)
    def _on_snapshot(self, _snap: object = None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Bring the view up to date with the tools switched on (after every snapshot)."""
        view = self.view_overlay
        snap = self._snapshot()
        if not view.has_view() or snap is None:
            self.caption_text = ""
            return
        parts: list[str] = []
        if self.kmeans_action.isChecked() and snap.mixture is not None:
            parts.append(self.kmeans.show(view, snap, self.refresh))
        else:
            self.kmeans.hide(view)
        if self.uncertainty_action.isChecked() and snap.resp is not None:
            parts.append(self._show_uncertainty(view, snap))
        elif view.color_override() is not None:
            view.set_color_override(None)
        label_text = self._show_labels(view, snap)
        if label_text:
            parts.append(label_text)
        if self.samples is not None:
            parts.append(f"× {len(self.samples)} points drawn from the model")
        if self.density_action.isChecked() and snap.n_features == 2:
            parts.append(
                "shading: the mixture's density (darker = denser); thin lines: its contours at "
                + ", ".join(f"{f:.0%}" for f in DENSITY_LEVEL_FRACTIONS)
                + " of the peak"
            )
        if self.density_action.isChecked():
            self._density_timer.start()  # coalesces the snapshots of a fast Play
        self.caption_text = "<br>".join(parts)
        view.set_caption(self.caption_text)
        self._update_actions()

    # ------------------------------------------------------------------ sampling
    @Slot()
    def sample_dialog(self) -> None:
        """Ask how many points to draw, then draw them."""
        snap = self._snapshot()
        if snap is None or snap.mixture is None:
            self.view_overlay.show_message(
                "Place some Gaussians first: there is no model to sample."
            )
            return
        n, ok = QInputDialog.getInt(
            self._parent,
            "Sample from the model",
            "Number of points to draw from the mixture:",
            len(snap.X),
            1,
            _MAX_SAMPLES,
        )
        if ok:
            self.draw_samples(int(n))

    def draw_samples(self, n: int, seed: int | None = None) -> np.ndarray | None:
        """Draw ``n`` points from the mixture shown and plot them over the data.

        Parameters
        ----------
        n : int
        seed : int, optional
            A new seed each time when not given.

        Returns
        -------
        array of shape (n, n_features), or None when there is no mixture
        """
        snap = self._snapshot()
        if snap is None or snap.mixture is None or not self.view_overlay.has_view():
            return None
        if seed is None:
            seed = self._seed
            self._seed += 1
        X, labels = sample(snap.mixture, n, seed=seed)
        self.samples, self.sample_labels = X, labels
        self.view_overlay.set_overlay_points(X)
        self.refresh()
        return X

    @Slot()
    def hide_samples(self) -> None:
        """Remove the drawn points."""
        self.samples = self.sample_labels = None
        self.view_overlay.set_overlay_points(None)
        self.refresh()

    @Slot()
    def export_samples_dialog(self) -> None:
        """Ask for a file name and write the drawn points there as CSV."""
        if self.samples is None:
            return
        start = ""
        dataset = self.workspace.dataset
        if dataset is not None and dataset.path:
            source = Path(dataset.path)
            start = str(source.with_name(f"{source.stem}-samples.csv"))
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Export samples as CSV", start, "CSV files (*.csv);;All files (*)"
        )
        if not path:
            return
        try:
            self.export_samples(path)
        except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL byte in the name
            self.view_overlay.show_error("Export samples", f"Could not write {path}: {exc}")
            return
        self.view_overlay.show_message(f"Wrote {len(self.samples)} samples to {path}")

    def export_samples(self, path: str | Path) -> None:
        """Write the drawn points as CSV (atomically): the data's columns and ``component``.

        Parameters
        ----------
        path : str or Path
        """
        if self.samples is None:
            raise ValueError("no samples have been drawn")
        dataset = self.workspace.dataset
        d = self.samples.shape[1]
        names = list(dataset.columns) if dataset is not None else []
        if len(names) != d:
            names = [f"x{i + 1}" for i in range(d)]
        buf = io.StringIO()
        buf.write(",".join(_csv_field(n) for n in [*names, "component"]) + "\n")
        table = np.column_stack([self.samples, self.sample_labels + 1])
        fmt = ["%.17g"] * d + ["%d"]
        np.savetxt(buf, table, fmt=fmt, delimiter=",")
        atomic_write(path, buf.getvalue())

    # ------------------------------------------------------------------ k-means
    @Slot(bool)
    def _on_kmeans_toggled(self, _on: bool) -> None:
        self.refresh()

    @property
    def kmeans_running(self) -> bool:
        """True while k-means runs in the background."""
        return self.kmeans.running

    @property
    def agreement(self) -> float | None:
        """Share of the points where k-means and EM's hard labels agree (None: not shown)."""
        return self.kmeans.agreement

    # ------------------------------------------------------------------ uncertainty
    @Slot(bool)
    def _on_uncertainty_toggled(self, _on: bool) -> None:
        self.refresh()

    def _show_uncertainty(self, view: ViewOverlay, snap: Snapshot) -> str:
        resp = np.asarray(snap.resp)
        u = uncertainty(resp)
        view.set_color_override(colors.uncertainty_argb32(u, resp.shape[1]))
        top = 1.0 - 1.0 / max(resp.shape[1], 2)
        swatches = "".join(
            f"<span style='color:{_hex(c)}; font-size:large'>&#9632;</span>"
            for c in colors.UNCERTAINTY_STOPS
        )
        return (
            f"uncertainty = 1 − largest responsibility: 0 (sure) {swatches} {top:.2f} "
            f"(shared equally) · mean {u.mean():.3f}, {int(np.sum(u > 0.2))} points above 0.2"
        )

    # ------------------------------------------------------------------ known labels
    def _rebuild_labels_menu(self) -> None:
        for action in self.labels_group.actions():
            self.labels_group.removeAction(action)
        self.labels_menu.clear()
        dataset = self.workspace.dataset
        columns = list(dataset.labels) if dataset is not None else []
        none = QAction("None", self, checkable=True)
        none.setData(None)
        none.setChecked(True)
        self.labels_group.addAction(none)
        self.labels_menu.addAction(none)
        for name in columns:
            action = QAction(name, self, checkable=True)
            action.setData(name)
            self.labels_group.addAction(action)
            self.labels_menu.addAction(action)
        self.labels_menu.setEnabled(bool(columns))
        self.labels_menu.menuAction().setToolTip(
            "Marker shapes by a label column of the file"
            if columns
            else "The file has no label column (text such as sex or species)"
        )

    @Slot(QAction)
    def _on_label_chosen(self, action: QAction) -> None:
        self.show_labels(action.data())

    def show_labels(self, column: str | None) -> None:
        """Draw the points' shapes by label column ``column`` (None: plain discs)."""
        for action in self.labels_group.actions():
            if action.data() == column and not action.isChecked():
                action.setChecked(True)
        self.label_column = column
        self._symbols_key = None
        self.refresh()

    def _fitted_resp(self, snap: Snapshot) -> np.ndarray:
        """The responsibilities of the mixture shown: after an M-step, those of its new
        Gaussians (what an exported model gives), not the ones the points are coloured by."""
        stepper = self.workspace.session.stepper
        if snap.phase != "M" or snap.mixture is None or stepper is None:
            return np.asarray(snap.resp)
        return stepper.responsibilities(snap)

    def _show_labels(self, view: ViewOverlay, snap: Snapshot) -> str:
        dataset = self.workspace.dataset
        column = self.label_column
        values = None
        if column is not None and dataset is not None:
            values = dataset.labels.get(column)
        if values is None or len(values) != len(snap.X):
            self.ari = None
            if self._symbols_key is not None or view.point_symbols_shown():
                view.set_point_symbols(None)
                self._symbols_key = None
            return ""
        if self._label_codes is None or self._label_codes[0] is not values:
            names, codes = np.unique(np.asarray(values), return_inverse=True)
            self._label_codes = (values, names, codes.reshape(-1))
        _, names, codes = self._label_codes
        key = (view.view_key(), column, id(values))
        if self._symbols_key != key or not view.point_symbols_shown():
            view.set_point_symbols(codes, [str(n) for n in names], title=column)
            self._symbols_key = key
        note = ""
        if view.points_drawn_as_squares():
            note = " (too many points to draw shapes)"
        if snap.resp is None:
            self.ari = None
            return f"{column}: marker shapes, no clusters yet{note}"
        self.ari = adjusted_rand_index(codes, hard_labels(self._fitted_resp(snap)))
        return f"ARI = {self.ari:.2f} ({column} vs clusters){note}"

    # ------------------------------------------------------------------ density
    @Slot(bool)
    def _on_density_toggled(self, on: bool) -> None:
        if not on:
            self.view_overlay.set_density_map(None)
        self.refresh()
        self._density_timer.stop()
        self._update_density()

    @Slot()
    def _on_range_changed(self) -> None:
        if self.density_action.isChecked():
            self._density_timer.start()

    @Slot()
    def _update_density(self) -> None:
        view = self.view_overlay
        snap = self._snapshot()
        visible = view.view_range()
        if not view.is_2d() or visible is None:
            return
        if not self.density_action.isChecked() or snap is None or snap.mixture is None:
            view.set_density_map(None)
            return
        (x0, x1), (y0, y1) = visible
        xs = np.linspace(x0, x1, DENSITY_GRID)
        ys = np.linspace(y0, y1, DENSITY_GRID)
        view.set_density_map(xs, ys, density_grid(snap.mixture, xs, ys))

    # ------------------------------------------------------------------ closing
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Stop the density timer when the window closes (the window stops k-means)."""
        if watched is self._parent and event.type() == QEvent.Type.Close:
            self._density_timer.stop()
        return False


def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def _csv_field(text: str) -> str:
    text = str(text)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text

