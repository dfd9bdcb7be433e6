"""k-means beside EM (Analyse > Show k-means (hard) assignment), issue #11.

EM's colours stay on the main plot. k-means with the same K runs on the data and its hard
assignment is drawn *beside* them, in a small plot of the same data in a dock of its own
(:class:`KMeansDock`): every point in the colour of its k-means cluster, each cluster renamed
to the EM component it overlaps most (Hungarian matching, :func:`align_to_components`), the
points where the two disagree ringed, and the k-means centres as stars (also drawn on the main
plot, next to EM's means). :class:`KMeansBeside` owns the computing: up to
:data:`KMEANS_INLINE_MAX` points k-means runs at once, above in a lane of the workspace's job
runner.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget
from scipy.optimize import linear_sum_assignment

from gmm_gui.controller.jobs import Kind, Policy
from gmm_gui.model import hard_labels, kmeans
from gmm_gui.ui import colors
from gmm_gui.ui.views.base import style_plot
from gmm_gui.ui.views.export import escape_markup

if TYPE_CHECKING:
    from gmm_gui.controller.snapshot import Snapshot
    from gmm_gui.controller.workspace import Workspace
    from gmm_gui.ui.overlay import ViewOverlay

__all__ = [
    "KMEANS_INLINE_MAX",
    "PANEL_MAX_POINTS",
    "KMeansBeside",
    "KMeansDock",
    "align_to_components",
    "component_mapping",
]

#: Up to this many points k-means runs on the UI thread; above, in the background.
KMEANS_INLINE_MAX = 50_000
#: The panel draws at most this many points (every n-th point of more, and says so).
PANEL_MAX_POINTS = 20_000
#: The dock's width when it first appears, in pixels.
DOCK_WIDTH = 330

_serial = itertools.count(1)
_RING_PEN = (25, 25, 25, 230)


def align_to_components(reference: np.ndarray, labels: np.ndarray, n_components: int) -> np.ndarray:
    """Rename cluster numbers to the components they overlap most (one to one).

    Parameters
    ----------
    reference : int array of shape (n_samples,)
        Each point's component, values in ``0 .. n_components - 1`` (e.g. EM's hard labels).
    labels : int array of shape (n_samples,)
        Cluster numbers in ``0 .. n_components - 1`` (e.g. k-means' labels).
    n_components : int

    Returns
    -------
    int array of shape (n_samples,)
        ``labels`` renamed so that the number of points with the same value in both is as large
        as possible; still in ``0 .. n_components - 1``, also when a component owns no point.
    """
    return component_mapping(reference, labels, n_components)[np.asarray(labels, dtype=np.intp)]


def component_mapping(reference: np.ndarray, labels: np.ndarray, n_components: int) -> np.ndarray:
    """The renaming of :func:`align_to_components`: int array of shape (n_components,).

    ``mapping[j]`` is the component cluster ``j`` is renamed to.
    """
    table = np.zeros((n_components, n_components), dtype=np.int64)
    np.add.at(table, (np.asarray(labels, dtype=np.intp), np.asarray(reference, dtype=np.intp)), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = np.empty(n_components, dtype=np.intp)
    mapping[rows] = cols
    return mapping


def kmeans_or_problem(X: np.ndarray, k: int) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """``(labels, centres, "")`` of k-means with ``k`` clusters, or ``(None, None, why not)``.

    ``labels`` has shape (n_samples,), ``centres`` (k, n_features).
    """
    try:
        result = kmeans(X, k, seed=0)
    except ValueError as exc:  # k is more than the distinct points (each cluster needs one)
        n_distinct = len(np.unique(X, axis=0))
        if n_distinct >= k:
            return None, None, f"k-means could not be made: {exc}"
        why = (
            f"k-means needs at least K = {k} distinct points, and the data have only "
            f"{n_distinct}; use fewer Gaussians to compare with k-means"
        )
        return None, None, why
    return np.asarray(result.labels), np.asarray(result.centers), ""


class KMeansDock(QDockWidget):
    """A small plot of the data in k-means' hard assignment, beside the main plot.

    Parameters
    ----------
    parent : QWidget, optional

    Signals
    -------
    closed()
        The user closed the dock.
    """

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("k-means beside EM", parent)
        self.setObjectName("kmeans_dock")
        self.setAllowedAreas(
            Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.LeftDockWidgetArea
        )
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 6)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("kmeans_plot")
        self.plot.setMinimumSize(240, 220)
        self.plot.setToolTip(
            "k-means with the same K: each point in its cluster's colour (each cluster named "
            "after the Gaussian it overlaps most), ringed where EM's most responsible Gaussian "
            "is another one; ☆ the k-means centres. EM's own colours stay on the main plot."
        )
        item = self.plot.getPlotItem()
        style_plot(item)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        self._points = pg.ScatterPlotItem(size=6, pen=None, pxMode=True)
        self._rings = pg.ScatterPlotItem(
            size=11, symbol="o", pen=pg.mkPen(*_RING_PEN, width=1.3), brush=None, pxMode=True
        )
        self._stars = pg.ScatterPlotItem(
            size=17, symbol="star", pen=pg.mkPen(15, 15, 15, width=1.5),
            brush=pg.mkBrush(255, 255, 255), pxMode=True,
        )
        for z, it in enumerate((self._points, self._rings, self._stars)):
            it.setZValue(z)
            item.addItem(it)
        self.text = QLabel()
        self.text.setObjectName("kmeans_text")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.text)
        self.setWidget(body)
        self._colors = np.empty((0, 3), dtype=np.uint8)
        self._shown = np.empty(0, dtype=np.intp)
        self._differ = np.empty(0, dtype=np.intp)

    def show_assignment(
        self,
        X: np.ndarray,
        labels: np.ndarray,
        centers: np.ndarray,
        em_labels: np.ndarray | None,
        names: tuple[str, ...],
    ) -> None:
        """Draw the points of ``X`` in the colours of ``labels``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features), 1 or 2 features
        labels : int array of shape (n_samples,)
            k-means' clusters, already named after EM's components.
        centers : array of shape (n_clusters, n_features)
            In the order of ``labels``' names.
        em_labels : int array of shape (n_samples,), optional
            EM's hard labels: the points where they differ from ``labels`` are ringed.
        names : tuple of str
            The data's column names (axis labels).
        """
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        k = centers.shape[0]
        step = max(1, -(-n // PANEL_MAX_POINTS))
        shown = np.arange(0, n, step)
        palette = colors.component_colors(k)
        self._colors = palette[labels[shown]]
        self._shown = shown
        xy = self._positions(X[shown])
        brushes = [pg.mkBrush(*c) for c in palette]
        self._points.setData(
            pos=xy, brush=[brushes[j] for j in labels[shown]], pen=None, size=6
        )
        if em_labels is None:
            differ = np.empty(0, dtype=bool)
        else:
            differ = labels[shown] != np.asarray(em_labels)[shown]
        self._differ = shown[differ]
        self._rings.setData(pos=xy[differ] if differ.size else np.empty((0, 2)))
        self._stars.setData(pos=self._positions(centers, spread=False))
        item = self.plot.getPlotItem()
        item.setLabel("bottom", escape_markup(names[0]) if names else "x")
        item.setLabel("left", escape_markup(names[1]) if d == 2 and len(names) > 1 else "")
        item.getAxis("left").setStyle(showValues=d == 2)
        item.enableAutoRange()
        lines = [f"k-means, K = {k}: each point in its cluster's colour, ☆ its centres."]
        if em_labels is not None:
            agree = float(np.mean(labels == np.asarray(em_labels)))
            where = (
                f"ringed: the {self._differ.size} where they differ"
                + (" (of the points drawn)." if step > 1 else ".")
                if self._differ.size
                else "none ringed."
            )
            lines.append(
                f"Same cluster as EM's most responsible Gaussian: {agree:.1%} of the points; "
                + where
            )
        if step > 1:
            lines.append(f"Every {step}th of the {n} points is drawn.")
        self.text.setText(" ".join(lines))

    def show_message(self, text: str) -> None:
        """No assignment to draw (k-means runs, or cannot be made): say so, plainly."""
        for it in (self._points, self._rings, self._stars):
            it.setData(pos=np.empty((0, 2)))
        self._colors = np.empty((0, 3), dtype=np.uint8)
        self._shown = np.empty(0, dtype=np.intp)
        self._differ = np.empty(0, dtype=np.intp)
        self.text.setText(text)

    def _positions(self, X: np.ndarray, spread: bool = True) -> np.ndarray:
        """Plot positions, shape (n, 2): 2-D data as they are; 1-D data as a strip, each point
        at a fixed height of its own (the same on every redraw), or on the middle line."""
        if X.shape[1] == 2:
            return X
        if not spread:
            return np.column_stack([X[:, 0], np.zeros(len(X))])
        jitter = np.random.default_rng(0).uniform(-1.0, 1.0, size=len(X))
        return np.column_stack([X[:, 0], jitter])

    def point_colors(self) -> np.ndarray:
        """The colours of the points drawn, uint8 array of shape (n_drawn, 3)."""
        return self._colors.copy()

    def drawn_points(self) -> np.ndarray:
        """Indices of the data points drawn, int array of shape (n_drawn,)."""
        return self._shown.copy()

    def ringed_points(self) -> np.ndarray:
        """Indices of the points ringed (k-means and EM disagree), int array."""
        return self._differ.copy()

    def centers(self) -> np.ndarray:
        """The stars' positions, array of shape (n_clusters, 2)."""
        pos = self._stars.getData()
        return np.column_stack(pos) if len(pos[0]) else np.empty((0, 2))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Closed by the user: the tool turns off."""
        super().closeEvent(event)
        self.closed.emit()


class KMeansBeside(QObject):
    """The computing of k-means beside EM and the dock that shows it.

    Parameters
    ----------
    workspace : Workspace
        The data and the job runner (k-means of many points runs in a lane of its own).
    parent : QWidget
        The dock's window: a QMainWindow docks it on the right, anything else floats it.
    on_turned_off : callable
        Called when the user closes the dock.
    on_failure : callable(Exception)
        Called when the background k-means fails.

    Signals
    -------
    finished(object)
        k-means run in the background for the data open has ended (its result).
    """

    finished = Signal(object)

    def __init__(
        self,
        workspace: Workspace,
        parent: QWidget,
        on_turned_off: Callable[[], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._window = parent
        self._on_turned_off = on_turned_off
        self._on_failure = on_failure
        self._jobs = workspace.jobs
        self._lane = f"explore-kmeans-{next(_serial)}"  # its kind's name too
        self._jobs.register(Kind(self._lane, Policy.REPLACE, lane=self._lane))
        self._cache: tuple | None = None
        self._pending: tuple | None = None
        self._refresh: Callable[[], None] = lambda: None
        self.dock: KMeansDock | None = None
        #: Share of the points where k-means and EM's hard labels agree (None: not known).
        self.agreement: float | None = None

    @property
    def running(self) -> bool:
        """True while k-means runs in the background."""
        return self._jobs.busy(self._lane)

    def forget(self) -> None:
        """New data: drop what was computed and what is being computed."""
        self._cache = self._pending = None
        self._jobs.drop(self._lane)

    def _labels(self, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | str | None:
        """k-means' labels and centres; None while it runs in the background; a sentence when
        k-means cannot be made."""
        key = (id(X), X.shape, k)
        if self._cache is None or self._cache[0] != key:
            if len(X) > KMEANS_INLINE_MAX:
                if self._pending != key:
                    self._pending = key

                    def work(progress: object, should_cancel: object) -> tuple:
                        return (key, *kmeans_or_problem(X, k))

                    self._jobs.submit(
                        self._lane, work, on_result=self._done, on_failure=self._on_failure
                    )
                return None
            self._cache = (key, *kmeans_or_problem(X, k))
        _, labels, centers, problem = self._cache
        return problem or (labels, centers)

    def _done(self, result: tuple) -> None:
        if result[0] == self._pending:
            self._cache = result
            self._pending = None
            self._refresh()
        self.finished.emit(result)

    def _ensure_dock(self) -> KMeansDock:
        if self.dock is None:
            self.dock = KMeansDock(self._window)
            self.dock.closed.connect(self._on_turned_off)
            if isinstance(self._window, QMainWindow):
                self._window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
                # a small plot beside the main one, not half the window
                self._window.resizeDocks([self.dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
            else:
                self.dock.setFloating(True)
        if not self.dock.isVisible():
            self.dock.show()
        return self.dock

    def show(self, view: ViewOverlay, snap: Snapshot, refresh: Callable[[], None]) -> str:
        """Bring the dock and the k-means centres on the main plot up to date.

        Returns the caption line of the main plot (EM's colours are never touched).
        """
        self._refresh = refresh
        dock = self._ensure_dock()
        self.agreement = None
        k = snap.mixture.n_components
        found = self._labels(np.asarray(snap.X), k)
        if found is None or isinstance(found, str):
            view.set_marker_points(None)
            text = (
                f"k-means, K = {k}: running on {len(snap.X)} points …"
                if found is None
                else f"k-means, K = {k}: {found}"
            )
            dock.show_message(text)
            return text
        labels, centers = found
        em = None
        if snap.resp is not None:
            em = hard_labels(snap.resp)
            mapping = component_mapping(em, labels, k)
            aligned = mapping[labels]
            order = np.argsort(mapping)  # centre of cluster j is drawn as component mapping[j]
            centers = centers[order]
            self.agreement = float(np.mean(aligned == em))
        else:
            aligned = labels
        dataset = self._workspace.dataset
        names = tuple(dataset.columns) if dataset is not None else ()
        dock.show_assignment(np.asarray(snap.X), aligned, centers, em, names)
        view.set_marker_points(centers)  # white stars: they must stand out on the means
        text = f"k-means, K = {k}: its hard assignment in the panel beside, ☆ its centres"
        if self.agreement is not None:
            text += f"<br>same cluster as EM's most responsible Gaussian: {self.agreement:.1%}"
        return text

    def hide(self, view: ViewOverlay) -> None:
        """Turned off: the dock goes, and the centres from the main plot."""
        view.set_marker_points(None)
        self.agreement = None
        if self.dock is not None and self.dock.isVisible():
            self.dock.hide()
